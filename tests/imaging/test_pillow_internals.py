"""The Pillow internals digitrec leans on for speed, checked loudly.

pyproject.toml pins Pillow below the next major release. Before raising that bound, these must
pass: each names what it relies on, so that a Pillow release that changes it fails here, by
name, rather than somewhere deep in a request.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from test_png import UP, png_file

from digitrec.imaging.decode import decode_image
from digitrec.imaging.ink import LookupTable
from digitrec.imaging.png import known_alpha_range


def test_point_handlers_and_image_new_still_apply_a_table_in_c():
    """imaging/ink.py's LookupTable hands Pillow a ready table (Image.ImagePointHandler)."""
    assert hasattr(Image, "ImagePointHandler"), "Image.ImagePointHandler is gone"
    levels = Image.fromarray(np.arange(256, dtype=np.uint8).reshape(16, 16))
    inverted = levels.point(LookupTable(255 - np.arange(256)))
    assert np.array_equal(np.asarray(inverted), 255 - np.asarray(levels))


def test_an_images_core_object_is_the_same_until_the_image_changes():
    """imaging/png.py keeps an RGBA image's alpha range beside the `im` it was read from."""
    pixels = np.zeros((12, 16, 4), np.uint8)
    pixels[..., 3] = 255
    pixels[1, 2, 3] = 7
    image = decode_image(png_file(pixels, "RGBA", UP))
    assert known_alpha_range(image) == (7, 255)
    image.putpixel((0, 0), (0, 0, 0, 0))
    assert known_alpha_range(image) is None, "a changed image must not keep its old range"
