"""digitrec.imaging.decode: image file bytes -> a Pillow image, or a clear error for anything else."""

from __future__ import annotations

import contextlib
import io
import struct
import subprocess
import sys
import warnings
import zlib

import numpy as np
import pytest
from conftest import plain, png_bytes, render_digit
from PIL import Image

from digitrec.errors import (
    ACCEPTED_IMAGES,
    ImageTooLargeError,
    NotAnImageError,
    RecognitionError,
    UnusableImageError,
)
from digitrec.imaging.decode import decode_image
from digitrec.imaging.preprocess import to_mnist_style


def assert_same_input(image: Image.Image, reference: Image.Image, tolerance: float = 0.06):
    """Both images give the model nearly the same 28x28 input (mean absolute difference)."""
    difference = np.abs(to_mnist_style(image).mnist - to_mnist_style(reference).mnist).mean()
    assert difference < tolerance, f"mean |difference| {difference:.3f}"


# --- decoding: every accepted format, depth and mode ------------------------------------------


def _encoded(format: str, mode: str, **options) -> bytes:
    image = plain()
    if mode == "I;16":
        image = Image.fromarray(np.asarray(image, dtype=np.uint16) * 257)
    elif mode == "CMYK":
        image = image.convert("RGB").convert("CMYK")
    else:
        image = image.convert(mode)
    return png_bytes(image, format, **options)


DECODE_CASES = [
    ("PNG", "1"),
    ("PNG", "L"),
    ("PNG", "I;16"),
    ("PNG", "P"),
    ("PNG", "RGB"),
    ("PNG", "RGBA"),
    ("PNG", "LA"),
    ("JPEG", "L"),
    ("JPEG", "RGB"),
    ("JPEG", "CMYK"),
    ("GIF", "P"),
    ("BMP", "1"),
    ("BMP", "L"),
    ("BMP", "RGB"),
    ("WEBP", "RGB"),
    ("WEBP", "RGBA"),
    ("HEIF", "RGB"),
    ("HEIF", "L"),
    ("TIFF", "1"),
    ("TIFF", "L"),
    ("TIFF", "I;16"),
    ("TIFF", "RGB"),
    ("TIFF", "CMYK"),
]


@pytest.mark.parametrize(("format", "mode"), DECODE_CASES)
def test_each_accepted_format_and_mode_decodes_to_the_same_input(format, mode):
    image = decode_image(_encoded(format, mode))
    assert image.size == (280, 280)
    assert_same_input(image, plain())


def test_gif_answers_its_first_frame():
    frames = [plain(3).convert("P"), plain(8).convert("P")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    assert_same_input(decode_image(buffer.getvalue()), plain(3), tolerance=0.02)


def test_a_big_colour_jpeg_is_decoded_as_its_luma():
    colour = render_digit(
        7, size=(1600, 1200), ink=(200, 30, 30), paper=(240, 240, 180), mode="RGB"
    )
    image = decode_image(png_bytes(colour, "JPEG"))
    assert (image.mode, image.size) == ("L", (1600, 1200))
    assert_same_input(image, colour.convert("L"), tolerance=0.01)
    assert decode_image(png_bytes(colour.resize((1024, 768)), "JPEG")).mode == "RGB"
    # Phones' multi-picture JPEGs too (Pillow calls them MPO): the first picture, in grey.
    multi_picture = png_bytes(colour, "MPO", save_all=True, append_images=[colour])
    assert decode_image(multi_picture).mode == "L"


def test_exif_orientation_is_applied():
    # Stored turned a quarter, with EXIF saying "rotate 90 clockwise to display" (orientation 6).
    stored = plain(7).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    image = decode_image(png_bytes(stored, "JPEG", exif=exif.tobytes()))
    assert_same_input(image, plain(7))


def test_a_phones_heic_photo_is_read_upright():
    """iPhones save HEIC: a photo of a 7 stored turned a quarter, the camera's orientation
    recorded beside it, is read as the 7 it shows."""
    stored = render_digit(7, ink=(30, 40, 160), paper=(225, 220, 200), mode="RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    data = png_bytes(stored.transpose(Image.Transpose.ROTATE_90), "HEIF", exif=exif.tobytes())
    assert data[4:12] == b"ftypheic"
    image = decode_image(data)
    assert image.size == (280, 280)
    assert_same_input(image, plain(7))


def test_a_heic_too_big_is_refused_from_its_header():
    with pytest.raises(ImageTooLargeError, match="280x280"):
        decode_image(png_bytes(plain(), "HEIF"), max_pixels=50_000)


def test_a_heic_cut_short_is_unusable_even_a_grid_of_tiles_as_phones_save():
    """libheif fills a grid's missing tiles with a flat colour and says nothing."""
    single = png_bytes(plain(), "HEIF")
    grid = png_bytes(render_digit(3, size=(1100, 900)).convert("RGB"), "HEIF", tile_size=512)
    assert decode_image(grid).size == (1100, 900)
    for whole in (single, grid):
        for kept in (0.4, 0.9, 0.99):
            with pytest.raises(UnusableImageError, match=r"cut short|truncated"):
                decode_image(whole[: round(kept * len(whole))])
    with pytest.raises(UnusableImageError, match="corrupt or cut short"):
        decode_image(single[:40])


@pytest.mark.parametrize("brand", [None, b"mif1", b"msf1"])
def test_an_avif_is_refused_as_a_format_not_read_whatever_its_major_brand(brand):
    """libavif decodes the whole coded frame, whatever size the header declares: no limit
    can be checked before decoding."""
    data = png_bytes(plain().convert("RGB"), "AVIF")
    if brand is not None:
        data = data[:8] + brand + data[12:]
    with pytest.raises(NotAnImageError, match="AVIF") as raised:
        decode_image(data)
    assert ACCEPTED_IMAGES in str(raised.value) and "AVIF" not in ACCEPTED_IMAGES


# --- decoding: what is refused, and how ------------------------------------------------------


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height, followed by a tiny compressed stream."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )


BAD_INPUTS = [
    ("empty", b"", NotAnImageError),
    ("text", b"hello, this is not an image", NotAnImageError),
    (
        "svg",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>',
        NotAnImageError,
    ),
    ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", NotAnImageError),
    ("html", b"<!DOCTYPE html><html><body>7</body></html>", NotAnImageError),
    ("ico", png_bytes(render_digit(1, size=(32, 32)), "ICO"), NotAnImageError),
    ("truncated png", png_bytes(plain())[:400], UnusableImageError),
    ("truncated jpeg", png_bytes(plain(), "JPEG")[:600], UnusableImageError),
    ("png signature only", b"\x89PNG\r\n\x1a\n", UnusableImageError),
    ("zero-width png", _png_header_only(0, 10), UnusableImageError),
    ("1x1 png", png_bytes(Image.new("L", (1, 1), 0)), UnusableImageError),
    ("7x280 png", png_bytes(plain().crop((0, 0, 7, 280))), UnusableImageError),
    ("decompression bomb", _png_header_only(100_000, 100_000), ImageTooLargeError),
]


@pytest.mark.parametrize(
    ("data", "error"), [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS]
)
def test_bad_input_raises_its_own_error_with_what_is_accepted(data, error):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DecompressionBombWarning (or any other) escapes
        with pytest.raises(error) as raised:
            decode_image(data)
    assert str(raised.value)
    if error is not ImageTooLargeError:
        assert ACCEPTED_IMAGES in str(raised.value) or "nothing to read" in str(raised.value)


def test_error_names_what_it_got():
    with pytest.raises(NotAnImageError, match="SVG"):
        decode_image(b'<svg xmlns="http://www.w3.org/2000/svg"><text>7</text></svg>')


def test_pixel_limit_is_checked_from_the_header_and_says_the_limit():
    with pytest.raises(ImageTooLargeError, match=r"100000x100000 .* limit is 32 megapixels"):
        decode_image(_png_header_only(100_000, 100_000))
    with pytest.raises(ImageTooLargeError, match="280x280"):
        decode_image(png_bytes(plain()), max_pixels=280 * 279)
    assert decode_image(png_bytes(plain()), max_pixels=280 * 280).size == (280, 280)


def test_a_side_longer_than_the_limit_is_refused_from_the_header_and_says_the_limit():
    # Within 32 megapixels, but one row per pixel: seconds of per-row work if it were decoded.
    with pytest.raises(ImageTooLargeError, match=r"1x31999999 .* longer than 20,000 pixels"):
        decode_image(_png_header_only(1, 31_999_999))
    with pytest.raises(ImageTooLargeError, match=r"20001x2 "):
        decode_image(_png_header_only(20_001, 2))
    assert decode_image(png_bytes(Image.new("L", (8, 20_000), 255))).size == (8, 20_000)
    with pytest.raises(ImageTooLargeError, match="longer than 279 pixels"):
        decode_image(png_bytes(plain()), max_side=279)


def test_an_image_smaller_than_8_px_on_a_side_is_refused_saying_the_minimum():
    with pytest.raises(UnusableImageError, match=r"image is 1x1 pixels; .* at least 8x8 pixels"):
        decode_image(png_bytes(Image.new("L", (1, 1), 0)))
    with pytest.raises(UnusableImageError, match=r"image is 280x7 pixels"):
        decode_image(png_bytes(plain().crop((0, 0, 280, 7)), "JPEG"))
    assert decode_image(png_bytes(plain().resize((8, 8)))).size == (8, 8)


def test_mangled_bytes_only_ever_raise_recognition_errors():
    original = png_bytes(plain().resize((64, 64)))
    rng = np.random.default_rng(0)
    for _ in range(200):
        data = bytearray(original)
        for position in rng.integers(0, len(data), size=int(rng.integers(1, 8))):
            data[position] = int(rng.integers(256))
        with contextlib.suppress(RecognitionError):
            to_mnist_style(decode_image(bytes(data[: int(rng.integers(8, len(data) + 1))])))


def _with_chunk_before_idat(png: bytes, kind: bytes, payload: bytes) -> bytes:
    chunk = struct.pack(">I", len(payload)) + kind + payload
    chunk += struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    at = png.index(b"IDAT") - 4
    return png[:at] + chunk + png[at:]


@pytest.mark.parametrize("kind, prefix", [(b"zTXt", b"k\x00\x00"), (b"iCCP", b"p\x00\x00")])
def test_metadata_that_inflates_past_pillows_cap_is_too_large_not_corrupt(kind, prefix):
    # 50 MB of text or colour profile in a few KB: Pillow refuses to inflate it.
    bomb = prefix + zlib.compress(b"a" * 50_000_000, 9)
    image = png_bytes(render_digit(1).convert("L"), optimize=False)
    with pytest.raises(ImageTooLargeError, match=r"metadata .* is too large"):
        decode_image(_with_chunk_before_idat(image, kind, bomb))


def test_a_bmp_of_negative_width_is_unusable_not_too_large():
    bmp = bytearray(png_bytes(render_digit(9), "BMP"))
    bmp[18:26] = struct.pack("<ii", -5, 280)
    with pytest.raises(UnusableImageError, match="impossible size"):
        decode_image(bytes(bmp))
    top_down = bytearray(png_bytes(render_digit(9), "BMP"))
    top_down[22:26] = struct.pack("<i", -struct.unpack("<i", top_down[22:26])[0])
    assert decode_image(bytes(top_down)).size == (280, 280)  # a negative height is allowed


def test_libheif_is_loaded_only_once_a_heic_comes(tmp_path):
    """A worker that never reads a HEIC never pays for libheif; the first one registers it."""
    heic = tmp_path / "seven.heic"
    heic.write_bytes(png_bytes(plain(7).convert("RGB"), "HEIF"))
    script = (
        "import io, sys\n"
        "from PIL import Image\n"
        "from digitrec.imaging.decode import decode_image\n"
        "for kind in ('PNG', 'GIF', 'TIFF'):\n"
        "    file = io.BytesIO()\n"
        "    Image.new('L', (64, 64), 255).save(file, format=kind)\n"
        "    decode_image(file.getvalue())\n"
        "print('pillow_heif' in sys.modules)\n"
        f"print(*decode_image(open({str(heic)!r}, 'rb').read()).size)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["False", "280", "280"]
