"""Big images box-reduced in their own mode, without a full-size copy: the working copy every
imaging step reads of an image longer than LARGE_LONG_SIDE (`working_copy`), and how a copy made
while decoding (`png_bands`) is marked as that copy of its original.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from PIL import Image

from digitrec.imaging.sizes import LARGE_LONG_SIDE

# Modes that Image.reduce cannot average as they are (bits, palette indices, 16-bit) are
# converted a strip of about this many pixels at a time on the way.
_STRIP_PIXELS = 1 << 20
# Modes Image.reduce averages directly, allocating only its result.
_REDUCED_AS_THEY_ARE = ("L", "RGB", "CMYK", "I", "F")


def grey_of_wide(image: Image.Image) -> Image.Image:
    """16-bit, 32-bit integer and float images -> 8-bit grey, keeping their full range."""
    values = np.asarray(image).astype(np.float32)
    top = float(values.max()) if values.size else 0.0
    if image.mode == "F" and top <= 1.0:
        values = values * 255.0
    elif image.mode.startswith("I;16") or 255.0 < top <= 65535.0:
        values = values / 257.0
    elif top > 65535.0 or float(values.min()) < 0.0:
        low = float(values.min())
        values = (values - low) * (255.0 / max(top - low, 1e-12))
    return Image.fromarray(np.clip(np.round(values), 0, 255).astype(np.uint8), mode="L")


def _reducible_strip(strip: Image.Image) -> Image.Image:
    """A strip of an image in a mode Image.reduce averages correctly, per pixel as grey_of
    would read it: palette and bits to grey (or RGBA when transparent), 16-bit to 8-bit."""
    if strip.mode in ("I", "F") or strip.mode.startswith("I;16"):
        return grey_of_wide(strip) if strip.mode.startswith("I;16") else strip
    if strip.mode in ("P", "PA", "1"):
        transparent = strip.mode == "PA" or "transparency" in strip.info
        return strip.convert("RGBA" if transparent else "L")
    return strip


def reduced_original(image: Image.Image, factor: int) -> Image.Image:
    """`image` box-reduced by an integer factor in its own mode (or the nearest one that can be
    averaged), without a full-size copy: it goes a strip at a time, since converting a mode and
    reducing with alpha (Pillow premultiplies it) would each copy the whole image."""
    if factor <= 1:
        return image
    if image.mode in _REDUCED_AS_THEY_ARE:
        return image.reduce(factor)
    width, height = image.size
    rows = factor * max(1, _STRIP_PIXELS // (width * factor))
    strips = (
        image.crop((0, top, width, min(height, top + rows))) for top in range(0, height, rows)
    )
    return reduced_bands(strips, factor, image.size)


def reduced_bands(bands: Iterable[Image.Image], factor: int, size: tuple[int, int]) -> Image.Image:
    """What `reduced_original(image, factor)` makes of an image of `size` given as its bands of
    rows, top to bottom, each a multiple of `factor` rows tall but the last, and none bigger
    than a strip: the same pixels, without the whole image ever held at once (box reduction
    averages each box of rows alone)."""
    reduced, top = None, 0
    for band in bands:
        piece = _reducible_strip(band).reduce(factor)
        if reduced is None:
            reduced = Image.new(piece.mode, (-(-size[0] // factor), -(-size[1] // factor)))
            if band.mode in _REDUCED_AS_THEY_ARE:  # Image.reduce keeps info ("transparency")
                reduced.info = dict(piece.info)
        reduced.paste(piece, (0, top // factor))
        top += band.height
    if reduced is None or top != size[1]:
        raise ValueError(f"bands of {top} rows for an image of {size[1]}")
    return reduced


def working_factor(size: tuple[int, int]) -> int:
    """The integer factor `working_copy` reduces an image of `size` by (1: not at all)."""
    return max(1, max(size) // LARGE_LONG_SIDE)


def mark_working_copy(image: Image.Image, factor: int, size: tuple[int, int]) -> Image.Image:
    """Mark `image` as the working copy of an image of `size` reduced by `factor`, made while
    decoding (`decode_image(..., reduce_large=True)`): `to_mnist_style` then takes it as it is
    and still answers boxes in the original's pixels. Kept with the pixels it marks, like
    `png.known_alpha_range`: an image made from it (a copy, a crop, a conversion) is not
    marked, though one drawn on in place still is (nothing here draws on it)."""
    image._digitrec_working = (image.im, factor, size)
    return image


def working_copy_mark(image: Image.Image) -> tuple[int, tuple[int, int]] | None:
    kept = getattr(image, "_digitrec_working", None)
    if kept is None or kept[0] is not image.im:
        return None
    return kept[1], kept[2]


def original_size(image: Image.Image) -> tuple[int, int]:
    """The size of the image `image` stands for: its own, or that of the image it is the
    working copy of (`mark_working_copy`)."""
    marked = working_copy_mark(image)
    return image.size if marked is None else marked[1]


def working_copy(image: Image.Image) -> tuple[Image.Image, int]:
    """(the image itself, 1) up to LARGE_LONG_SIDE; beyond, (a copy box-reduced in its own mode
    to between LARGE_LONG_SIDE and twice that, the integer factor it was reduced by). An image
    already marked as such a copy (`mark_working_copy`) is that copy."""
    marked = working_copy_mark(image)
    if marked is not None:
        return image, marked[0]
    factor = working_factor(image.size)
    return reduced_original(image, factor), factor
