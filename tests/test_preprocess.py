"""digitrec.preprocess: any image a person might send -> the MNIST-style 28x28 model input."""

from __future__ import annotations

import contextlib
import io
import struct
import warnings
import zlib

import numpy as np
import pytest
from conftest import png_bytes, render_digit, synthetic_split
from PIL import Image, ImageFilter

from digitrec.errors import (
    ACCEPTED_IMAGES,
    ImageTooLargeError,
    NotAnImageError,
    RecognitionError,
    UnusableImageError,
)
from digitrec.preprocess import (
    MNIST_BOX,
    decode_image,
    fit_to_mnist_frame,
    ink_bounding_box,
    ink_map,
    label_components,
    to_mnist_style,
)


def plain(digit: int = 3) -> Image.Image:
    """The reference: a black digit on a white 280x280 canvas."""
    return render_digit(digit)


def mnist_of(image: Image.Image) -> np.ndarray:
    return to_mnist_style(image).mnist


def assert_same_input(image: Image.Image, reference: Image.Image, tolerance: float = 0.06):
    """Both images give the model nearly the same 28x28 input (mean absolute difference)."""
    difference = np.abs(mnist_of(image) - mnist_of(reference)).mean()
    assert difference < tolerance, f"mean |difference| {difference:.3f}"


def centre_of_mass(frame: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(frame.shape)
    return float((ys * frame).sum() / frame.sum()), float((xs * frame).sum() / frame.sum())


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


def test_exif_orientation_is_applied():
    # Stored turned a quarter, with EXIF saying "rotate 90 clockwise to display" (orientation 6).
    stored = plain(7).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    image = decode_image(png_bytes(stored, "JPEG", exif=exif.tobytes()))
    assert_same_input(image, plain(7))


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
    with pytest.raises(ImageTooLargeError, match=r"100000x100000 .* limit is 40 megapixels"):
        decode_image(_png_header_only(100_000, 100_000))
    with pytest.raises(ImageTooLargeError, match="280x280"):
        decode_image(png_bytes(plain()), max_pixels=280 * 279)
    assert decode_image(png_bytes(plain()), max_pixels=280 * 280).size == (280, 280)


def test_a_side_longer_than_the_limit_is_refused_from_the_header_and_says_the_limit():
    # Within 40 megapixels, but one row per pixel: seconds of per-row work if it were decoded.
    with pytest.raises(ImageTooLargeError, match=r"1x39999999 .* longer than 20,000 pixels"):
        decode_image(_png_header_only(1, 39_999_999))
    with pytest.raises(ImageTooLargeError, match=r"20001x2 "):
        decode_image(_png_header_only(20_001, 2))
    assert decode_image(png_bytes(Image.new("L", (2, 20_000), 255))).size == (2, 20_000)
    with pytest.raises(ImageTooLargeError, match="longer than 279 pixels"):
        decode_image(png_bytes(plain()), max_side=279)


def test_mangled_bytes_only_ever_raise_recognition_errors():
    original = png_bytes(plain().resize((64, 64)))
    rng = np.random.default_rng(0)
    for _ in range(200):
        data = bytearray(original)
        for position in rng.integers(0, len(data), size=int(rng.integers(1, 8))):
            data[position] = int(rng.integers(256))
        with contextlib.suppress(RecognitionError):
            to_mnist_style(decode_image(bytes(data[: int(rng.integers(8, len(data) + 1))])))


# --- the ink map: polarity, colour, transparency, background, specks ------------------------


def test_light_ink_on_dark_gives_the_same_input_as_dark_on_light():
    assert_same_input(render_digit(3, ink=255, paper=0), plain(3), tolerance=0.01)
    assert_same_input(render_digit(3, ink=230, paper=40), plain(3), tolerance=0.02)


def test_colour_ink_on_coloured_paper_gives_the_same_input():
    blue_on_yellow = render_digit(3, ink=(30, 40, 160), paper=(250, 230, 120), mode="RGB")
    assert_same_input(blue_on_yellow, plain(3), tolerance=0.03)


def test_transparent_canvas_with_dark_strokes_is_a_digit():
    drawing = render_digit(3, ink=(0, 0, 0, 255), paper=(0, 0, 0, 0), mode="RGBA")
    preprocessed = to_mnist_style(drawing)
    assert not preprocessed.is_blank
    assert_same_input(drawing, plain(3), tolerance=0.01)


def test_strokes_only_in_the_alpha_channel_are_a_digit():
    alpha = render_digit(3, ink=255, paper=0)
    for colour in (0, 255):  # invisible pixels and strokes alike black, or alike white
        drawing = Image.new("RGBA", alpha.size, (colour, colour, colour, 0))
        drawing.putalpha(alpha)
        assert_same_input(drawing, plain(3), tolerance=0.01)


def test_faint_thin_strokes_reach_full_strength():
    faint = render_digit(3, ink=215, paper=240, scale=0.5)
    ink, _ = ink_map(faint)
    assert ink.max() == pytest.approx(1.0)
    assert_same_input(faint, render_digit(3, scale=0.5), tolerance=0.03)


def photo_of(image: Image.Image, seed: int = 0) -> Image.Image:
    """Paper photographed under uneven light: a dark gradient and shadow, blur, noise, JPEG."""
    rng = np.random.default_rng(seed)
    pixels = np.asarray(image.filter(ImageFilter.GaussianBlur(1.5)), dtype=np.float32)
    ys, xs = np.indices(pixels.shape, dtype=np.float32)
    light = 0.95 - 0.4 * xs / pixels.shape[1] - 0.15 * ys / pixels.shape[0]
    pixels = 0.85 * pixels * light + rng.normal(0, 6, pixels.shape)
    noisy = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return Image.open(io.BytesIO(png_bytes(noisy, "JPEG", quality=70)))


def test_uneven_background_is_removed():
    ink, _ = ink_map(photo_of(plain(3)))
    paper = ink[:, :40]  # a strip of paper only, across the shadow
    assert paper.max() < 0.1
    assert_same_input(photo_of(plain(3)), plain(3), tolerance=0.06)


def test_specks_of_noise_are_dropped():
    image = plain(3)
    pixels = np.asarray(image).copy()
    pixels[10:13, 10:13] = 0  # dust far from the digit
    pixels[260:262, 265:267] = 0
    ink, _ = ink_map(Image.fromarray(pixels))
    assert ink[5:20, 5:20].max() == 0
    assert to_mnist_style(Image.fromarray(pixels)).box == to_mnist_style(image).box


def test_ink_map_reports_its_scale_for_big_photos():
    big = render_digit(3, size=(4000, 3000))
    ink, scale = ink_map(big)
    assert max(ink.shape) <= 320
    assert ink.shape == (round(3000 * scale + 0.49), round(4000 * scale + 0.49))
    small_ink, small_scale = ink_map(plain(3))
    assert small_scale == 1.0
    assert small_ink.shape == (280, 280)
    assert small_ink.dtype == np.float32
    assert small_ink.min() >= 0.0 and small_ink.max() <= 1.0


def test_big_photo_gives_the_same_input_as_the_canvas():
    assert_same_input(render_digit(3, size=(4000, 3000)), render_digit(3, size=(400, 300)))


def test_label_components_are_eight_connected():
    mask = np.array(
        [
            [1, 0, 0, 1],
            [0, 1, 0, 1],
            [0, 0, 0, 0],
            [1, 1, 0, 1],
        ],
        dtype=bool,
    )
    labels = label_components(mask)
    assert labels[0, 0] == labels[1, 1]  # diagonal neighbours join
    assert len({labels[0, 3], labels[0, 0], labels[3, 0], labels[3, 3]}) == 4
    assert (labels == 0).sum() == (~mask).sum()


# --- the MNIST frame ---------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [(0, 0), (-80, -70), (90, 60)])
def test_output_is_centred_by_mass_and_its_box_fits_20_px(offset):
    preprocessed = to_mnist_style(render_digit(2, scale=0.3, offset=offset))
    frame = preprocessed.mnist
    assert frame.shape == (28, 28)
    assert frame.dtype == np.float32
    row, col = centre_of_mass(frame)
    assert abs(row - 14) <= 0.55 and abs(col - 14) <= 0.55
    _, _, w, h = ink_bounding_box(frame)
    assert max(w, h) in (MNIST_BOX - 1, MNIST_BOX)


def test_box_is_in_the_original_images_pixels():
    image = render_digit(1, size=(800, 600), scale=0.2, offset=(-250, -180))
    expected = Image.eval(image, lambda v: 255 - v).getbbox()
    x, y, w, h = to_mnist_style(image).box
    assert abs(x - expected[0]) <= 3 and abs(y - expected[1]) <= 3
    assert abs(x + w - expected[2]) <= 3 and abs(y + h - expected[3]) <= 3


def test_an_mnist_style_image_keeps_its_meaning():
    digits = synthetic_split(40, seed=5).images
    for image in digits:
        decoded = decode_image(png_bytes(Image.fromarray(image)))
        again = to_mnist_style(decoded).mnist
        original = image.astype(np.float32) / 255
        assert np.abs(again - original).mean() < 0.01


def test_fit_to_mnist_frame_of_nothing_is_empty():
    assert not fit_to_mnist_frame(np.zeros((40, 30), np.float32)).any()


# --- nothing to read ---------------------------------------------------------------------------

BLANKS = {
    "white": Image.new("L", (280, 280), 255),
    "black": Image.new("L", (280, 280), 0),
    "grey": Image.new("RGB", (280, 280), (120, 130, 140)),
    "transparent": Image.new("RGBA", (280, 280), (0, 0, 0, 0)),
    "one pixel": Image.new("L", (1, 1), 0),
    "a dot": render_digit(".", scale=0.05),
    "faint noise": Image.fromarray(
        np.clip(np.random.default_rng(0).normal(200, 4, (280, 280)), 0, 255).astype(np.uint8)
    ),
    "blank photo": photo_of(Image.new("L", (400, 300), 255)),
}


@pytest.mark.parametrize("name", list(BLANKS))
def test_blank_and_nearly_blank_images_have_no_digit(name):
    preprocessed = to_mnist_style(BLANKS[name])
    assert preprocessed.is_blank
    assert preprocessed.box is None
    assert not preprocessed.mnist.any()


# --- what the page shows -------------------------------------------------------------------------


def test_steps_show_what_the_model_sees_in_order():
    steps = to_mnist_style(render_digit(4, size=(1200, 900))).steps()
    assert list(steps) == ["grey", "ink", "cropped", "mnist"]
    for name, pixels in steps.items():
        assert pixels.dtype == np.uint8, name
        assert pixels.ndim == 2, name
        assert max(pixels.shape) <= 280, name
    assert steps["mnist"].shape == (28, 28)
    assert steps["grey"].mean() > 128 > steps["ink"].mean()  # polarity corrected


def test_steps_of_a_blank_image_are_still_images():
    steps = to_mnist_style(BLANKS["white"]).steps()
    assert list(steps) == ["grey", "ink", "cropped", "mnist"]
    assert all(pixels.ndim == 2 and pixels.size for pixels in steps.values())
