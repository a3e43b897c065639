"""Training pieces cut from composed numbers: labelled by whose ink they hold."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import synthetic_split

from digitrec.training.composed_numbers import compose_ink, digit_crops
from digitrec.training.number_pieces import NO_DIGIT, label_piece, make_pieces


def _masks(shape, *boxes):
    masks = []
    for x0, x1 in boxes:
        mask = np.zeros(shape, bool)
        mask[:, x0:x1] = True
        masks.append(mask)
    return masks


# Two digits on a 20x40 ink map: digit 7 in columns 0-19, digit 3 in columns 20-39.
MASKS = _masks((20, 40), (0, 20), (20, 40))
DIGITS = np.array([7, 3])


def _piece(x0, x1):
    """The ink map's columns x0..x1 as a piece: (box, ink)."""
    return (x0, 0, x1 - x0, 20), np.ones((20, x1 - x0), np.float32)


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        ((0, 22), (7, "digit")),  # all of the 7 and a sliver of the 3
        ((2, 20), (7, "digit")),  # the 7 less a little
        ((0, 20), (None, None)),  # exactly the 7: plain MNIST already has it
        ((5, 35), (NO_DIGIT, "pair")),  # most of both
        ((0, 9), (NO_DIGIT, "part")),  # under half of the 7, nothing else
        ((0, 5), (None, None)),  # one narrow stroke: could be a 1
        ((0, 14), (None, None)),  # 70 % of the 7: neither whole nor a part
        ((0, 27), (None, None)),  # the 7 and a third of the 3: too much foreign ink
    ],
)
def test_pieces_are_labelled_by_whose_ink_they_hold(columns, expected):
    box, ink = _piece(*columns)
    label, kind, _ = label_piece(box, ink, MASKS, DIGITS)
    assert (label, kind) == expected


def test_a_piece_without_ink_is_left_out():
    box, ink = _piece(0, 10)
    assert label_piece(box, ink * 0, MASKS, DIGITS)[:2] == (None, None)


def test_composed_layers_add_up_to_the_number():
    split = synthetic_split(20, seed=3)
    composed = compose_ink(digit_crops(split.images[:4]), np.random.default_rng(0))
    redrawn = np.zeros_like(composed.ink)
    for top, left, ink in composed.layers:
        h, w = ink.shape
        region = redrawn[top : top + h, left : left + w]
        np.maximum(region, ink, out=region)
    assert np.array_equal(redrawn, composed.ink)
    assert [left for _, left, _ in composed.layers] == [x0 for x0, _ in composed.spans]


@pytest.fixture(scope="module")
def pieces():
    split = synthetic_split(200, seed=4)
    return make_pieces(split.images, split.labels, 300, seed=5)


def test_pieces_are_mnist_style_and_of_every_kind(pieces):
    assert pieces.images.shape == (300, 28, 28)
    assert pieces.images.dtype == np.float32
    assert pieces.images.min() >= 0.0 and pieces.images.max() <= 1.0
    assert (pieces.images.reshape(300, -1).max(axis=1) > 0.25).all()  # every piece has ink
    assert set(pieces.kinds) == {"digit", "pair", "part"}
    digits = pieces.kinds == "digit"
    assert set(pieces.labels[digits]) <= set(range(10))
    assert (pieces.labels[~digits] == NO_DIGIT).all()


def test_digit_pieces_read_as_their_label(pieces, recogniser):
    """The label is the digit the piece shows: the bundled model mostly agrees."""
    digits = pieces.kinds == "digit"
    read = [p.digit for p in recogniser.predict(pieces.images[digits])]
    agreement = np.mean(np.array(read) == pieces.labels[digits])
    assert agreement >= 0.9, agreement


def test_the_same_seed_cuts_the_same_pieces():
    split = synthetic_split(50, seed=6)
    first = make_pieces(split.images, split.labels, 40, seed=7)
    second = make_pieces(split.images, split.labels, 40, seed=7)
    assert np.array_equal(first.images, second.images)
    assert np.array_equal(first.labels, second.labels)


def test_pieces_of_chosen_kinds_only():
    split = synthetic_split(50, seed=8)
    parts = make_pieces(split.images, split.labels, 20, seed=9, kinds=("part",))
    assert set(parts.kinds) == {"part"}
    assert (parts.labels == NO_DIGIT).all()
    none = make_pieces(split.images, split.labels, 0)
    assert none.images.shape == (0, 28, 28) and len(none.labels) == 0
