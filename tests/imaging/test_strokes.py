"""Strokes too thick for MNIST, in a digit cropped to fill its picture or in a photo's digit
that framing makes a blob, are thinned (#19)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import photographed, png_bytes
from PIL import Image

from digitrec.imaging.fill import BLOB_FILL, ink_fill
from digitrec.imaging.frame import fit_to_mnist_frame
from digitrec.imaging.preprocess import to_mnist_style
from digitrec.imaging.strokes import MNIST_STROKE, THICK_STROKE, stroke_width, thinned

PAPER, INK = 245, 40


def slanted_bar(width: int, height: int, thickness: int, margin: int = 0) -> np.ndarray:
    """A 1 in a marker's stroke, as a scanner crops it to its box and stretches it to fill
    it: a slanted bar running corner to corner (grey, dark ink on paper)."""
    pixels = np.full((height, width), PAPER, np.uint8)
    corners = [[width - thickness, 0], [width, 0], [thickness, height], [0, height]]
    cv2.fillPoly(pixels, [np.array(corners, np.int32)], INK)
    return np.pad(pixels, margin, constant_values=PAPER)


def test_a_strokes_measured_width_grows_with_the_pen():
    widths = []
    for pen in (2, 4, 6, 8):
        frame = np.zeros((28, 28), np.float32)
        cv2.line(frame, (14, 4), (14, 23), 1.0, pen)
        widths.append(stroke_width(frame))
    assert widths == sorted(widths) and widths[0] < MNIST_STROKE < THICK_STROKE < widths[-1]
    assert stroke_width(np.zeros((28, 28), np.float32)) == 0.0


@pytest.mark.parametrize("size", [(60, 70, 22), (70, 70, 30), (80, 60, 30)])
def test_a_thick_one_stretched_to_fill_its_scan_is_read_as_a_one(recogniser, size):
    [result] = recogniser.recognise([png_bytes(Image.fromarray(slanted_bar(*size)))])
    cropped = np.asarray(result.preprocessed.cropped_image, np.float32) / 255
    assert stroke_width(fit_to_mnist_frame(cropped)) > THICK_STROKE  # as framed: a block
    assert stroke_width(result.preprocessed.mnist) < THICK_STROKE
    assert (result.prediction.digit, result.prediction.is_digit) == (1, True)


def test_the_same_strokes_with_a_margin_round_them_are_framed_as_they_are():
    pixels = slanted_bar(70, 70, 30, margin=15)
    preprocessed = to_mnist_style(Image.fromarray(pixels))
    as_framed = fit_to_mnist_frame(np.asarray(preprocessed.cropped_image, np.float32) / 255)
    assert np.array_equal(preprocessed.mnist, as_framed)
    assert stroke_width(preprocessed.mnist) > THICK_STROKE


def test_a_piece_the_number_reader_cut_out_is_framed_as_it_is():
    # Users' corrections of numbers are framed for training as the number reader frames them.
    preprocessed = to_mnist_style(
        Image.fromarray(slanted_bar(70, 70, 30)), thin_frame_filling_strokes=False
    )
    as_framed = fit_to_mnist_frame(np.asarray(preprocessed.cropped_image, np.float32) / 255)
    assert np.array_equal(preprocessed.mnist, as_framed)


def _photo_of(shape: np.ndarray) -> Image.Image:
    page = np.full(shape.shape, 225, np.float32)
    page[shape > 0] = 45
    return photographed(page)


def test_a_photos_marker_zero_with_its_loop_all_but_shut_is_thinned_and_read(recogniser):
    """Framed as it is, the 0 is a blob ("not sure"); a photo's strokes are the light's and the
    camera's as much as the pen's, so they are worn down to MNIST's and the 0 read."""
    zero = cv2.ellipse(np.zeros((400, 400), np.uint8), (200, 200), (58, 62), 0, 0, 360, 1, 50)
    [result] = recogniser.recognise([_photo_of(zero)])
    cropped = np.asarray(result.preprocessed.cropped_image, np.float32) / 255
    assert ink_fill(fit_to_mnist_frame(cropped)) > BLOB_FILL
    assert ink_fill(result.preprocessed.mnist) < BLOB_FILL
    assert (result.prediction.digit, result.prediction.is_digit) == (0, True)


def test_a_photos_solid_blot_is_still_no_digit_it_is_sure_of(recogniser):
    blot = cv2.ellipse(np.zeros((400, 400), np.uint8), (200, 200), (50, 65), 20, 0, 360, 1, -1)
    [result] = recogniser.recognise([_photo_of(blot)])
    assert ink_fill(result.preprocessed.mnist) > BLOB_FILL
    assert not result.prediction.is_digit


def test_a_solid_blob_wears_away_rather_than_thinning_and_is_left_as_it_is():
    disc = np.zeros((28, 28), np.float32)
    cv2.circle(disc, (14, 14), 10, 1.0, -1)
    assert stroke_width(disc) > THICK_STROKE
    assert thinned(disc) is disc


def test_thin_strokes_are_never_thinned():
    frame = np.zeros((28, 28), np.float32)
    cv2.line(frame, (10, 4), (18, 23), 1.0, 2)
    assert thinned(frame) is frame


@pytest.mark.parametrize("block", [(0, 28, 0, 28), (0, 8, 0, 8), (20, 28, 20, 28), (0, 28, 10, 18)])
def test_thinning_ink_against_the_frames_edges_comes_to_an_end(block):
    top, bottom, left, right = block
    frame = np.zeros((28, 28), np.float32)
    frame[top:bottom, left:right] = 1.0
    assert thinned(frame).shape == (28, 28)
    full = np.ones((28, 28), np.float32)
    assert thinned(full) is full  # all ink wears away: left as it is
