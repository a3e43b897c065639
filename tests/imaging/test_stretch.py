"""A digit a scanner cut to its box and stretched to a block of ink is read again narrowed, and
the recogniser keeps the surer reading (#19): a 1 stretched to fill its box reads 1."""

from __future__ import annotations

import io
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import png_bytes, render_digit, thick_ones
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import wild

from digitrec.imaging.preprocess import Preprocessed, to_mnist_style
from digitrec.imaging.stretch import NARROWED_ASPECT, SOLID_SHARE, narrowed_block
from digitrec.inference import Prediction, _surer


def _block(width: int, height: int, solid: float) -> Image.Image:
    """An "L" ink crop (white ink) whose full ink covers the share `solid` of it, in columns
    from the left, and reaches every edge."""
    pixels = np.zeros((height, width), np.uint8)
    pixels[:, : max(1, round(solid * width))] = 255
    pixels[:, -1] = 255  # the crop's right edge is the ink's too
    return Image.fromarray(pixels)


def test_a_solid_crop_filling_its_picture_is_narrowed_to_a_strokes_box():
    crop = _block(90, 100, 0.8)
    narrowed = narrowed_block(crop, (0, 0, 90, 100), (90, 100))
    assert narrowed is not None
    assert narrowed.size == (round(NARROWED_ASPECT * 100), 100)


@pytest.mark.parametrize(
    ("crop", "box", "size", "why"),
    [
        (_block(90, 100, 0.8), (10, 10, 90, 100), (110, 120), "paper round it: not a crop"),
        (_block(90, 100, SOLID_SHARE - 0.1), (0, 0, 90, 100), (90, 100), "strokes, not a block"),
        (_block(30, 100, 0.9), (0, 0, 30, 100), (30, 100), "already as narrow as a stroke"),
    ],
)
def test_other_crops_are_not_narrowed(crop, box, size, why):
    assert narrowed_block(crop, box, size) is None, why


def _stretched_ones():
    """Thick 1s cut to their box by a scanner, many of them stretched to fill it."""
    ones = thick_ones(20)
    inks = wild.Inks("bold ones", ones.images, ones.labels.astype(np.int64))
    return wild.generate("cropped-to-fill", inks, 200, seed=0)


def test_ones_stretched_to_fill_their_scanners_box_are_read_as_ones(recogniser):
    samples = _stretched_ones()
    stretched = [s for s in samples if s.size[0] > 0.6 * s.size[1]]  # a 1's box is narrower
    results = recogniser.recognise([s.image for s in stretched])
    answers = [r.prediction.digit for r in results]
    assert len(stretched) >= 60
    # Framed as they are, under half read 1 (blocks read 8, 2, 3, 0 or nothing); the solidest
    # blocks stay no digit, as any blot does.
    assert answers.count(1) >= 0.8 * len(stretched)
    guesses = [r.prediction for r in results if r.preprocessed.narrowed]
    assert guesses and not any(prediction.is_digit for prediction in guesses)
    kept = [r.preprocessed.cropped_image for r in results]
    assert sum(crop.width <= NARROWED_ASPECT * crop.height + 1 for crop in kept) >= len(kept) / 2


def _bold_shapes(count: int) -> wild.Inks:
    """No digits: bold letters and filled shapes, 28x28 as MNIST stores its digits."""
    rng = np.random.default_rng(1)
    images = np.zeros((count, 28, 28), np.uint8)
    for n, image in enumerate(images):
        if n % 2:
            letter = "SWBMKRXZAE"[n // 2 % 10]
            cv2.putText(image, letter, (4, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 4)
        else:
            corners = rng.integers(4, 24, size=(int(rng.integers(3, 7)), 2)).astype(np.int32)
            cv2.fillPoly(image, [cv2.convexHull(corners)], 255)
    return wild.Inks("bold shapes", images, np.full(count, -1, np.int64))


def test_a_bold_shape_cut_to_its_box_is_never_a_sure_digit_for_being_narrowed(recogniser):
    # Narrowed, a bold letter or a filled shape looks like a 1 to the model: a guess, not sure.
    samples = list(wild.generate("cropped-to-fill", _bold_shapes(40), 200, seed=0))
    results = recogniser.recognise([s.image for s in samples])
    guesses = [r.prediction for r in results if r.preprocessed.narrowed]
    assert len(guesses) >= 10
    assert not any(prediction.is_digit for prediction in guesses)


@pytest.fixture(scope="module")
def stretched_block() -> tuple[Preprocessed, Preprocessed]:
    """A thick 1 stretched to fill its scan: its reading as it is, and narrowed."""
    for sample in _stretched_ones():
        first = to_mnist_style(Image.open(io.BytesIO(sample.image)))
        if first.second is not None:
            break
    assert first.second is not None and first.second.narrowed
    return first, first.second


def _prediction(digit: int | None, confidence: float, sure: bool) -> Prediction:
    return Prediction(digit, confidence, np.full(10, 0.1, np.float32), sure)


@pytest.mark.parametrize(
    ("as_it_is", "kept"),
    [
        (_prediction(8, 0.40, False), True),  # no sure digit: the narrowed guess may be kept
        (_prediction(8, 0.90, True), False),  # a sure reading of the block stands
        (_prediction(8, 0.99, False), False),  # the guess must be surer
        (_prediction(7, 0.40, False), False),  # a 7 squeezed is as much a 1 (PART_LEFT_OFF)
    ],
)
def test_a_narrowed_reading_is_kept_only_where_the_block_is_no_sure_digit(
    stretched_block, as_it_is, kept
):
    first, narrowed = stretched_block
    assert _surer(_prediction(1, 0.95, True), narrowed, as_it_is, first) is kept


def test_a_solid_blot_read_as_no_digit_is_never_narrowed_into_one(stretched_block):
    first, narrowed = stretched_block
    blot = replace(first, mnist=np.ones_like(first.mnist))  # filled: judged blank
    assert not _surer(_prediction(1, 0.95, True), narrowed, _prediction(8, 0.4, False), blot)


def test_a_digit_cropped_with_its_paper_round_it_has_no_second_reading():
    pixels = np.asarray(render_digit(1, size=(120, 120), scale=0.9, ink=20))
    assert to_mnist_style(Image.fromarray(pixels)).second is None


@pytest.mark.parametrize("digit", [0, 8])
def test_a_bold_digit_cut_to_its_box_is_read_as_it_is(recogniser, digit):
    pixels = np.full((120, 100), 245, np.uint8)
    if digit == 0:
        cv2.ellipse(pixels, (50, 60), (42, 52), 0, 0, 360, 30, 16)
    else:
        cv2.ellipse(pixels, (50, 33), (30, 25), 0, 0, 360, 30, 14)
        cv2.ellipse(pixels, (50, 86), (38, 26), 0, 0, 360, 30, 14)
    rows, cols = (
        np.flatnonzero((pixels < 128).any(axis=1)),
        np.flatnonzero((pixels < 128).any(axis=0)),
    )
    crop = pixels[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    [result] = recogniser.recognise([png_bytes(Image.fromarray(crop))])
    assert result.prediction.digit == digit
