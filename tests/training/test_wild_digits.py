"""digitrec.training.wild_digits: training digits changed as photos and scans change them."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import synthetic_split

from digitrec.imaging.frame import ink_bounding_box
from digitrec.training.wild_digits import (
    KINDS,
    binarised,
    make_wild_digits,
    stretched_to_fill,
    stroke_width,
    with_line_piece,
)


@pytest.fixture(scope="module")
def digits():
    return synthetic_split(40, seed=3)


def box_of(image: np.ndarray):
    return ink_bounding_box(image.astype(np.float32) / 255.0)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_change_keeps_a_digit_of_ink_in_the_frame(digits, kind):
    rng = np.random.default_rng(0)
    for image in digits.images[:10]:
        changed = KINDS[kind](image, rng)
        assert changed.dtype == np.uint8 and changed.max() > 100


def test_wild_digits_are_framed_as_mnist_frames_digits_and_keep_their_labels(digits):
    images, labels = make_wild_digits(digits.images, digits.labels, 60, seed=1)
    assert images.shape == (60, 28, 28) and images.dtype == np.uint8
    assert set(labels) <= set(digits.labels)
    for image in images:
        _, _, w, h = box_of(image)
        assert 18 <= max(w, h) <= 21  # the longer side framed to 20 px, give or take its edge
    again, labels_again = make_wild_digits(digits.images, digits.labels, 60, seed=1)
    assert np.array_equal(images, again) and np.array_equal(labels, labels_again)


def test_a_stretched_digit_is_wider_for_its_height_but_never_past_square(digits):
    rng = np.random.default_rng(2)
    for image in digits.images[:10]:
        _, _, w, h = box_of(image)
        stretched = stretched_to_fill(image, rng)
        sh, sw = stretched.shape
        assert min(sw, sh) / max(sw, sh) >= min(w, h) / max(w, h)
        assert max(sw, sh) == max(w, h)


def test_a_one_bit_scan_has_only_ink_and_paper_before_its_blur(digits):
    rng = np.random.default_rng(4)
    levels = {int(v) for image in digits.images[:10] for v in np.unique(binarised(image, rng))}
    assert levels & {0, 255} == {0, 255}


def test_a_line_piece_adds_ink_beside_the_strokes(digits):
    rng = np.random.default_rng(5)
    image = digits.images[0]
    assert with_line_piece(image, rng).astype(int).sum() > image.astype(int).sum()


def test_another_pen_thickens_or_thins_the_strokes_and_keeps_the_digit(digits):
    rng = np.random.default_rng(6)
    thicker = thinner = 0
    for image in digits.images[:20]:
        ink = (image > 128).sum()
        changed = (stroke_width(image, rng) > 128).sum()
        thicker += changed > ink
        thinner += changed < ink
        assert changed >= 0.3 * ink
    assert thicker and thinner
