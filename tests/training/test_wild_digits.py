"""digitrec.training.wild_digits: training digits changed as photos and scans change them."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import synthetic_split

from digitrec.imaging.frame import ink_bounding_box
from digitrec.training.wild_digits import (
    HAND_STYLES,
    KINDS,
    binarised,
    crossed_seven,
    flagged_one,
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


def a_one() -> np.ndarray:
    """A bare upright stroke, as most MNIST writers drew a 1."""
    image = np.zeros((28, 28), np.uint8)
    image[4:24, 13:16] = 255
    return image


def a_seven() -> np.ndarray:
    image = np.zeros((28, 28), np.uint8)
    image[4:7, 7:21] = 255  # the bar
    for row in range(7, 24):  # the stem, down to the left
        column = 20 - (row - 7) * 8 // 17
        image[row, column - 1 : column + 2] = 255
    return image


def test_a_flagged_one_gains_ink_up_and_to_the_left_of_its_top_and_never_to_the_right():
    rng = np.random.default_rng(7)
    for _ in range(20):
        flagged = flagged_one(a_one(), rng)
        pad = (flagged.shape[0] - 28) // 2
        inked = flagged > 128
        ys, xs = np.nonzero(inked)
        assert xs.min() < 13 + pad - 2  # the flag reaches left of the stroke
        assert xs.max() <= 15 + pad + round(0.3 * 20) + 1  # a foot at most, no bar to the right
        assert ys.min() >= 4 + pad - 2  # nothing above the top but the flag pen's round end
        top_left = inked[4 + pad : 4 + pad + 12, : 13 + pad]
        assert top_left.any()  # the flag hangs from the top half


def test_a_crossed_seven_gains_a_bar_across_its_stem_below_its_top():
    rng = np.random.default_rng(8)
    seven = a_seven()
    for _ in range(10):
        crossed = crossed_seven(seven, rng)
        added = (crossed > 128) & ~(seven > 128)
        ys, xs = np.nonzero(added)
        assert len(ys) and ys.min() >= 10 and ys.max() <= 18  # mid-height, not at the bar
        assert xs.max() - xs.min() >= 6  # across the stem, not a dot


def test_hand_styles_reach_only_their_own_digits(digits):
    images = np.stack([a_one(), a_seven(), digits.images[0]])
    labels = np.array([1, 7, 3])
    out, out_labels = make_wild_digits(images, labels, 300, seed=2)
    assert sorted(HAND_STYLES) == [1, 7]
    widths = [box_of(image)[2] for image, label in zip(out, out_labels, strict=True) if label == 1]
    assert max(widths) >= 8  # some 1s carry a flag; a bare stroke framed to 20 px is 3-4 wide
    assert min(widths) <= 5  # and some stay bare
