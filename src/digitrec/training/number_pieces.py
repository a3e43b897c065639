"""Pieces of numbers as the segmenter cuts them, labelled for training.

A number reader asks the model about every candidate piece `digitrec.numbers.segment` offers: a digit
with a sliver of its neighbour left on after a cut, a 4 or 5 written in two strokes joined
again, two touching digits taken whole, half a digit. Plain MNIST never shows the model such
pieces, so it reads some of them wrongly and surely, and the reader then picks the wrong cut.
Here numbers are composed from training digits (`digitrec.training.composed_numbers`, as the numbers
benchmark composes test digits), drawn and inked as users' images are, and each candidate is
labelled by whose ink it holds (each digit is placed on its own layer):
- one digit nearly whole with at most a little foreign ink: that digit;
- most of two digits or more: no digit (a uniform target, like `digitrec.training.digit_pairs`);
- part of one digit and nothing else: no digit, the model should not vouch for half a digit;
- anything in between is left out: no label would be honest.
Pieces that are exactly one digit on its own are left out too: MNIST has those already.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitrec.imaging.decode import decode_image
from digitrec.imaging.frame import fit_to_mnist_frame
from digitrec.numbers.candidates import candidate_pieces
from digitrec.numbers.components import SEGMENT_THRESHOLD
from digitrec.numbers.reading import number_ink_map
from digitrec.training.composed_numbers import STYLES, compose_ink, digit_crops, render

LENGTHS = (2, 3, 4, 5)
# A piece is a digit when it holds at least WHOLE of that digit's ink pixels and at most
# FOREIGN of its own ink pixels belong to other digits.
WHOLE = 0.85
FOREIGN = 0.2
# It holds two digits when at least PART of each is in it; half a digit when it holds no more
# than PART of its one digit (and no foreign ink).
PART = 0.5
# A piece is plainly its one digit (nothing for the model to learn) above these.
PLAIN_WHOLE = 0.97
PLAIN_FOREIGN = 0.02
# Part of a digit narrower than this (width / height) is one stroke, which the model cannot
# tell from a 1: the reader's priors on short and cut pieces must judge it, not the model.
STROKE_ASPECT = 0.4
NO_DIGIT = -1


@dataclass
class PieceSet:
    images: np.ndarray  # (n, 28, 28) float32 in [0, 1], MNIST-style as the model reads them
    labels: np.ndarray  # (n,) int: the digit, or NO_DIGIT
    kinds: np.ndarray  # (n,) str: "digit", "pair" or "part"


def label_piece(box, piece_ink: np.ndarray, digit_masks: list[np.ndarray], digits) -> tuple:
    """(label, kind, index of the digit it holds most of) of one candidate piece; label and
    kind are None when it is left out.

    box: the piece's (x, y, w, h) in the ink map; piece_ink: its (h, w) ink;
    digit_masks: each digit's ink pixels on the whole ink map, in the number's order.
    """
    x, y, w, h = box
    mine = piece_ink > SEGMENT_THRESHOLD
    total = int(mine.sum())
    if total == 0:
        return None, None, None
    held = np.array([(mine & mask[y : y + h, x : x + w]).sum() for mask in digit_masks])
    sizes = np.array([max(1, int(mask.sum())) for mask in digit_masks])
    whole = held / sizes
    best = int(np.argmax(whole))
    foreign = 1.0 - held[best] / total
    if (whole >= PART).sum() >= 2:
        return NO_DIGIT, "pair", best
    if whole[best] >= WHOLE and foreign <= FOREIGN:
        if whole[best] >= PLAIN_WHOLE and foreign <= PLAIN_FOREIGN:
            return None, None, best
        return int(digits[best]), "digit", best
    if whole[best] <= PART and foreign <= PLAIN_FOREIGN and w >= STROKE_ASPECT * h:
        return NO_DIGIT, "part", best
    return None, None, best


KINDS = ("digit", "pair", "part")


def make_pieces(
    images: np.ndarray, labels: np.ndarray, count: int, seed: int = 0, kinds=KINDS
) -> PieceSet:
    """`count` labelled pieces of the given kinds, cut from numbers composed of `images`
    (uint8 MNIST) with their `labels`."""
    rng = np.random.default_rng(seed)
    crops = digit_crops(images)
    framed: list[np.ndarray] = [np.zeros((0, 28, 28), np.float32)]
    targets, found = [], []
    index = 0
    while len(targets) < count:
        length = LENGTHS[index % len(LENGTHS)]
        style = STYLES[(index // len(LENGTHS)) % len(STYLES)]
        index += 1
        chosen = rng.integers(0, len(crops), length)
        composed = compose_ink([crops[i] for i in chosen], rng)
        ink, _ = number_ink_map(decode_image(render(composed.ink, style, rng)))
        if ink.shape != composed.ink.shape:  # reduced: the layers no longer line up
            continue
        masks = []
        for top, left, digit_ink in composed.layers:
            mask = np.zeros(ink.shape, bool)
            h, w = digit_ink.shape
            mask[top : top + h, left : left + w] = digit_ink > SEGMENT_THRESHOLD
            masks.append(mask)
        # Seams through empty space and small shifts make many near-copies of one piece:
        # one of each kind per digit of the number keeps the set varied.
        choices: dict[tuple, list] = {}
        for candidate in candidate_pieces(ink)[0]:
            piece = candidate.piece
            label, kind, held = label_piece(piece.box, piece.ink, masks, labels[chosen])
            if kind in kinds:
                choices.setdefault((kind, held), []).append((label, piece.ink))
        for (kind, _), options in choices.items():
            label, piece_ink = options[int(rng.integers(len(options)))]
            framed.append(fit_to_mnist_frame(piece_ink)[None])
            targets.append(label)
            found.append(kind)
    return PieceSet(
        np.concatenate(framed)[:count].astype(np.float32),
        np.array(targets[:count], dtype=int),
        np.array(found[:count], dtype=str),
    )
