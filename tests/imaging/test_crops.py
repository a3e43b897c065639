"""Digits cut out to their box, as scanners and forms crop them, read as scans: a 1 cut to its
own width, a bold digit that covers most of a small picture; and small photos that only look
like such a crop (a page in shadow beside clipped white, a dim page straightened onto white, a
strip of paper across a desk) read as photos."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import png_bytes, render_digit
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import wild

from digitrec.imaging import light


def _pen_strokes_of_ones(count: int) -> wild.Inks:
    """1s as a hand writes them: one slanting stroke of a pen, 2-3 px of a 28x28 frame."""
    rng = np.random.default_rng(0)
    images = np.zeros((count, 28, 28), np.uint8)
    for image in images:
        top, foot = (int(x) for x in rng.integers(10, 18, size=2))
        cv2.line(image, (top, 4), (foot, 24), 255, int(rng.integers(2, 4)), cv2.LINE_AA)
    return wild.Inks("pen strokes", images, np.ones(count, np.int64))


def test_ones_cropped_to_their_own_width_are_read_as_ones(recogniser):
    samples = list(wild.generate("cropped-to-fill", _pen_strokes_of_ones(12), 60, seed=0))
    strips = [s for s in samples if s.size[1] > 3 * s.size[0]]  # a 1's box, not stretched
    answers = [r.prediction.digit for r in recogniser.recognise([s.image for s in strips])]
    assert len(strips) >= 12
    assert answers.count(1) >= len(strips) - 3


def _bold_eight_cropped_to_fill(side: int, pen: int) -> bytes:
    """A marker's 8 on white, its box cut out as a scanner cuts it: the ink covers over four
    fifths of the picture, its paper only the corners and the loops' middles."""
    pixels = np.full((side, side), 246, np.uint8)
    cv2.ellipse(pixels, (side // 2, side * 27 // 100), (side * 2 // 9,) * 2, 0, 0, 360, 60, pen)
    bottom = (side * 27 // 100, side * 24 // 100)
    cv2.ellipse(pixels, (side // 2, side * 72 // 100), bottom, 0, 0, 360, 60, pen)
    ink = pixels < 200
    grain = np.random.default_rng(side).normal(0, 10, pixels.shape)
    pixels = np.where(ink, np.clip(60 + grain, 0, 255), pixels).astype(np.uint8)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return png_bytes(Image.fromarray(pixels[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]))


@pytest.mark.parametrize(("side", "pen"), [(40, 12), (60, 17), (80, 22)])
def test_a_bold_digit_covering_most_of_its_small_scan_is_read(recogniser, side, pen):
    image = _bold_eight_cropped_to_fill(side, pen)
    pixels = np.asarray(Image.open(io.BytesIO(image)))
    assert (pixels == 246).mean() < light.SCAN_PAPER_SHARE  # less paper than a scan has
    [result] = recogniser.recognise([image])
    assert (result.prediction.digit, result.prediction.is_digit) == (8, True)


def _shadowed_with_white(size: tuple[int, int], white: str) -> bytes:
    """A small photo of a 3 on paper in shadow (level 150) where some of it is clipped to white
    (255): a blob of glare, a lit corner, or letterbox bars. White is its commonest level, with
    nothing lighter, as a crop's paper is; the shadowed paper is not ink."""
    width, height = size
    page = np.asarray(render_digit(3, size=size, scale=0.5, paper=150, ink=40), np.float32)
    page = page + np.random.default_rng(width).normal(0, 3, page.shape)
    ys, xs = np.indices(page.shape)
    if white == "glare":  # 10-14 % of the picture, beside the digit
        clipped = (xs - 0.85 * width) ** 2 + (ys - 0.3 * height) ** 2 < (0.22 * height) ** 2
    elif white == "corner":
        clipped = xs + ys < 0.45 * height
    else:  # letterbox bars above and below
        clipped = (ys < 0.07 * height) | (ys >= 0.93 * height)
    pixels = np.clip(np.round(np.where(clipped, 255, page)), 0, 255).astype(np.uint8)
    return png_bytes(Image.fromarray(pixels))


@pytest.mark.parametrize("white", ["glare", "corner", "letterbox"])
@pytest.mark.parametrize("size", [(96, 72), (160, 120), (320, 240)])
def test_a_small_photo_in_shadow_with_white_in_it_is_not_read_as_a_crop(recogniser, white, size):
    [result] = recogniser.recognise([_shadowed_with_white(size, white)])
    assert (result.prediction.digit, result.prediction.is_digit) == (3, True)


def _dim_page_straightened_onto_white(digit: int, level: int) -> bytes:
    """An under-exposed photo of a page, straightened by 5 degrees in an editor that fills the
    new corners with white: white is its commonest level, in all four corners, and the dim
    page round the digit runs to every border, as a bold crop's ink does."""
    page = np.asarray(
        render_digit(digit, size=(200, 150), scale=0.5, paper=level, ink=level // 4), np.float32
    )
    page += np.random.default_rng(digit).normal(0, 4, page.shape)
    photo = Image.fromarray(np.clip(page, 0, 255).astype(np.uint8))
    straightened = photo.rotate(5, Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    white = (np.asarray(straightened) == 255).mean()
    assert light.CROP_PAPER_SHARE < white < light.SCAN_PAPER_SHARE
    return png_bytes(straightened)


def _strip_of_paper_across_a_desk(digit: int) -> bytes:
    """A strip of white paper lying corner to corner across a dark desk, a digit on it: less
    paper than a scan has, so the crop rule is asked."""
    desk = 40 + np.random.default_rng(digit).normal(0, 5, (90, 120))
    strip = render_digit(digit, size=(192, 14), scale=0.8, ink=30)
    angle = np.degrees(np.arctan2(90, 120))
    turned = strip.rotate(angle, Image.Resampling.BICUBIC, expand=True)
    picture = Image.fromarray(np.clip(desk, 0, 255).astype(np.uint8))
    where = ((120 - turned.width) // 2, (90 - turned.height) // 2)
    picture.paste(turned, where, Image.new("L", strip.size, 255).rotate(angle, expand=True))
    assert light.CROP_PAPER_SHARE < (np.asarray(picture) == 255).mean() < light.SCAN_PAPER_SHARE
    return png_bytes(picture)


@pytest.mark.parametrize("digit", [3, 5, 7])
def test_small_pictures_whose_ink_is_not_a_crops_are_not_read_as_crops(recogniser, digit):
    for picture in (
        _dim_page_straightened_onto_white(digit, 110),
        _dim_page_straightened_onto_white(digit, 90),
        _strip_of_paper_across_a_desk(digit),
    ):
        [result] = recogniser.recognise([picture])
        assert result.prediction.digit == digit
