"""digitrec.imaging.preprocess: any image a person might send -> the MNIST-style 28x28 model input."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from conftest import plain, png_bytes, render_digit, synthetic_split
from PIL import Image, ImageFilter

from digitrec.imaging import preprocess
from digitrec.imaging.decode import decode_image
from digitrec.imaging.frame import MNIST_BOX, fit_to_mnist_frame, ink_bounding_box
from digitrec.imaging.preprocess import grey_of, ink_map, to_mnist_style
from digitrec.imaging.reduce import reduced_original


def mnist_of(image: Image.Image) -> np.ndarray:
    return to_mnist_style(image).mnist


def assert_same_input(image: Image.Image, reference: Image.Image, tolerance: float = 0.06):
    """Both images give the model nearly the same 28x28 input (mean absolute difference)."""
    difference = np.abs(mnist_of(image) - mnist_of(reference)).mean()
    assert difference < tolerance, f"mean |difference| {difference:.3f}"


def centre_of_mass(frame: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(frame.shape)
    return float((ys * frame).sum() / frame.sum()), float((xs * frame).sum() / frame.sum())


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


def test_one_colour_drawing_is_composited_exactly_as_pillow_composites_it():
    alpha = Image.fromarray(np.tile(np.arange(256, dtype=np.uint8), (4, 1)))  # every alpha
    for colour in (0, 90, 200, 255):
        drawing = Image.new("RGBA", alpha.size, (colour, colour, colour, 0))
        drawing.putalpha(alpha)
        grey = drawing.convert("L")
        paper = Image.new("L", alpha.size, 255 if colour < 128 else 0)
        expected = Image.composite(grey, paper, alpha)
        assert grey_of(drawing).tobytes() == expected.tobytes()


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


def glare_photo_of(image: Image.Image, seed: int = 0) -> Image.Image:
    """Faint dark ink on dim paper with a soft patch of glare brighter than the ink is dark:
    the whole picture's lightest pixels lie further from its median than its darkest do."""
    rng = np.random.default_rng(seed)
    drawn = 1 - np.asarray(image.filter(ImageFilter.GaussianBlur(1.5)), np.float32) / 255
    height, width = drawn.shape
    ys, xs = np.indices(drawn.shape, dtype=np.float32)
    glare = np.exp(-((np.hypot(xs - 0.85 * width, ys - 0.15 * height) / (0.2 * width)) ** 2) / 2)
    pixels = 150.0 + 100.0 * glare - 70.0 * drawn + rng.normal(0, 4, drawn.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


@pytest.mark.parametrize("digit", range(10))
def test_glare_on_a_photo_does_not_turn_its_ink_around(digit):
    drawing = render_digit(digit, scale=0.4)
    ink, _ = ink_map(glare_photo_of(drawing, seed=digit))
    strokes = np.asarray(drawing.resize(ink.shape[::-1])) < 128
    assert ink[strokes].mean() > 0.5  # the strokes are ink...
    assert np.median(ink[~strokes]) == 0  # ...and the paper, glare and all, is not


@pytest.mark.parametrize("digit", range(10))
def test_a_photo_cropped_tight_around_its_digit_keeps_its_ink(digit):
    """The local paper under a digit that fills the frame is mostly ink: it must not decide."""
    drawing = render_digit(digit, size=(64, 64), scale=0.85)
    drawn = 1 - np.asarray(drawing.filter(ImageFilter.GaussianBlur(1.5)), np.float32) / 255
    ys, xs = np.indices(drawn.shape, dtype=np.float32)
    light = 0.95 - 0.4 * xs / 64 - 0.15 * ys / 64
    pixels = (200 - 150 * drawn) * light + np.random.default_rng(digit).normal(0, 5, drawn.shape)
    photo = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    ink, _ = ink_map(Image.open(io.BytesIO(png_bytes(photo, "JPEG", quality=70))))
    strokes = np.asarray(drawing) < 128
    assert ink[strokes].mean() > 0.5
    assert np.median(ink[~strokes]) == 0


def test_specks_of_noise_are_dropped():
    image = plain(3)
    pixels = np.asarray(image).copy()
    pixels[10:13, 10:13] = 0  # dust far from the digit
    pixels[260:262, 265:267] = 0
    ink, _ = ink_map(Image.fromarray(pixels))
    assert ink[5:20, 5:20].max() == 0
    assert to_mnist_style(Image.fromarray(pixels)).box == to_mnist_style(image).box


def thin_photo(width: int, height: int, paper: int, ink: int) -> Image.Image:
    """A noisy strip of paper (so it takes the photo path), a band of ink across its middle."""
    pixels = np.random.default_rng(width * height).normal(paper, 6, (height, width))
    pixels[height * 9 // 20 : height * 11 // 20] = ink
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


@pytest.mark.parametrize("size", [(1, 300), (3, 700), (8, 5000), (300, 1), (1, 1)])
@pytest.mark.parametrize(("paper", "ink"), [(230, 20), (20, 230)], ids=["dark ink", "light ink"])
def test_thin_photos_give_a_finite_input_without_warnings(size, paper, ink):
    image = thin_photo(*size, paper, ink)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the noise of an image one pixel wide was NaN
        preprocessed = to_mnist_style(image)
        ink_levels, _ = ink_map(image)
    assert np.isfinite(preprocessed.mnist).all()
    assert np.isfinite(ink_levels).all()
    if size[1] >= 300:  # the band is read as ink, the paper as none
        rows = ink_levels.shape[0]
        assert ink_levels[rows // 2].min() > 0.9
        assert ink_levels[: rows * 2 // 5].max() < 0.1


def test_ink_map_reports_its_reduction_factor_for_big_photos():
    big = render_digit(3, size=(4000, 3000))
    ink, factor = ink_map(big)
    assert max(ink.shape) <= 320
    assert ink.shape == (-(-3000 // factor), -(-4000 // factor))
    small_ink, small_factor = ink_map(plain(3))
    assert small_factor == 1
    assert small_ink.shape == (280, 280)
    assert small_ink.dtype == np.float32
    assert small_ink.min() >= 0.0 and small_ink.max() <= 1.0


def test_big_photo_gives_the_same_input_as_the_canvas():
    assert_same_input(render_digit(3, size=(4000, 3000)), render_digit(3, size=(400, 300)))


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


@pytest.mark.parametrize("scale", [1, 5])  # 4000x3000 is read from a copy reduced 3 times
def test_box_is_in_the_original_images_pixels(scale):
    image = render_digit(
        1, size=(800 * scale, 600 * scale), scale=0.2, offset=(-250 * scale, -180 * scale)
    )
    expected = Image.eval(image, lambda v: 255 - v).getbbox()
    x, y, w, h = to_mnist_style(image).box
    assert abs(x - expected[0]) <= 3 * scale and abs(y - expected[1]) <= 3 * scale
    assert abs(x + w - expected[2]) <= 3 * scale and abs(y + h - expected[3]) <= 3 * scale


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P", "1", "I;16", "RGB"])
def test_big_images_are_reduced_a_strip_at_a_time_as_a_whole_reduce_would(mode):
    image = render_digit(5, size=(1500, 1100))
    if mode == "I;16":
        image = Image.fromarray(np.asarray(image, dtype=np.uint16) * 257)
        # grey_of reads 16 bits as level / 257 (Pillow's own convert("L") would clip instead)
        grey = np.round(np.asarray(image, np.float32) / 257).astype(np.uint8)
        whole = Image.fromarray(grey).reduce(3)
    else:
        image = image.convert(mode)
        whole = image.convert("L" if mode in ("P", "1") else mode).reduce(3)
    reduced = reduced_original(image, 3)
    assert reduced.size == (500, 367)
    assert np.array_equal(np.asarray(reduced), np.asarray(whole))


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


@pytest.mark.parametrize("digit", range(10))
@pytest.mark.parametrize("size", [(280, 280), (200, 200)])
def test_a_big_digit_framed_from_the_reduced_copy_matches_full_resolution(digit, size):
    image = render_digit(digit, size=size, scale=0.9 if size[0] == 200 else 0.7)
    reduced = preprocess.to_mnist_style(image)
    x, y, w, h = reduced.box
    assert max(reduced.cropped_image.size) < max(w, h)  # framed from the reduced copy
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(preprocess, "_REDUCED_CROP_SIDE", 10**9)
        full = preprocess.to_mnist_style(image)
    assert max(full.cropped_image.size) == max(full.box[2:])
    # Rounding the centre of mass may place the two a pixel apart.
    difference = min(
        np.abs(np.roll(reduced.mnist, (dy, dx), axis=(0, 1)) - full.mnist).mean()
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )
    assert difference < 0.04
    assert abs(x - full.box[0]) <= 2 and abs(y - full.box[1]) <= 2
    assert abs(w - full.box[2]) <= 3 and abs(h - full.box[3]) <= 3
