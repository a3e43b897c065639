"""Touching pairs of digits: the outliers that teach the model a merged piece is not a digit."""

from __future__ import annotations

import numpy as np
from conftest import render_digit

from digitrec.imaging.frame import ink_bounding_box
from digitrec.imaging.masks import label_components
from digitrec.training.digit_pairs import make_pairs, touching_pair


def _mnist_style(digit: int) -> np.ndarray:
    """uint8 28x28, white ink on black, like an MNIST image."""
    return 255 - np.asarray(render_digit(digit, size=(28, 28)), dtype=np.uint8)


def test_a_pair_is_one_mnist_framed_piece_wider_than_either_digit():
    rng = np.random.default_rng(0)
    one, seven = _mnist_style(1), _mnist_style(7)
    for _ in range(20):
        pair = touching_pair(one, seven, rng)
        assert pair.shape == (28, 28) and pair.dtype == np.float32
        assert pair.min() >= 0 and pair.max() <= 1
        _, _, w, h = ink_bounding_box(pair)
        assert max(w, h) <= 21  # framed like MNIST: the longer side is 20 px
        assert w > ink_bounding_box(seven / 255)[2]  # wider than the 7 alone


def test_overlapping_pairs_touch():
    rng = np.random.default_rng(1)
    zero = _mnist_style(0)
    touching = 0
    for _ in range(40):
        _, count = label_components(touching_pair(zero, zero, rng) > 0.3)
        touching += count == 1
    assert touching >= 20  # gaps run from 3 px of overlap to 2 px apart


def test_make_pairs_is_seeded():
    digits = np.stack([_mnist_style(d) for d in range(10)])
    first, again, other = (
        make_pairs(digits, 8, 3),
        make_pairs(digits, 8, 3),
        make_pairs(digits, 8, 4),
    )
    assert first.shape == (8, 28, 28)
    assert np.array_equal(first, again) and not np.array_equal(first, other)
