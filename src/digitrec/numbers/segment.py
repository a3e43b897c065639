"""An ink map of a number -> one piece of ink per digit, left to right, each read by the model.

The steps, in the order the data flows (`digitrec.numbers.reading.read_number` runs them on an image):
1. `preprocess.ink_map` gives white ink on black with the background removed (the same polarity
   and background handling as single digits).
2. `digitrec.numbers.components`: 8-connected components of ink; specks dropped; fragments of one
   digit (the detached bar of a 5 or 7) merged with the digit they sit above or below.
3. Candidate pieces (`digitrec.numbers.candidates`), with boundaries numbered along the whole line:
   - each group whole;
   - a group wider than half its height may be touching digits: the pieces between
     least-ink seams and straight cuts every few pixels (`digitrec.numbers.seams`), except cuts
     through more than three strokes;
   - two neighbouring groups that overlap or nearly touch, as one (a loop broken into
     left and right halves, a 6 whose loop came off its stem).
4. Dynamic programming (`digitrec.numbers.chains`) picks the chain of candidates from the left edge
   of the line to the right with the highest total of weighted log(confidence) plus priors
   (width against the image's typical digit height, short pieces, strokes cut, components
   joined), reading only the candidates that could be in that chain, in a batch or two
   (identical ones once). Each candidate's confidence is averaged with a second reading at
   strokes one pixel thicker.
   The confidences come from the recogniser's `cut_judge` when it has one (the bundled
   pieces model, fine-tuned on such candidates); the chosen pieces' digits are always the
   recogniser's own reading.
5. Pieces ordered by their centre of mass along x, so slant and a wandering baseline are fine.

Measured by bench/bench_numbers.py (MNIST test digits composed into numbers).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from digitrec.imaging.frame import fit_to_mnist_frame
from digitrec.numbers.candidates import Candidate, Piece, candidate_pieces
from digitrec.numbers.chains import best_chain

if TYPE_CHECKING:
    from digitrec.inference import Prediction, Recogniser

# Choosing pieces: each scores CONFIDENCE_WEIGHT * log(confidence) + these priors, in the same
# log units. Weighing confidence above the priors lets the model's "not a digit" signal (it
# was trained with outlier exposure: half a digit reads with low confidence) veto pieces.
CONFIDENCE_WEIGHT = 3.0
PIECE_COST = 0.3  # every extra piece must earn its place
MERGE_COST = 1.0  # most digits are one component: joining two must earn its place too
WIDE_COST = 2.0  # per unit of width/height above WIDE_START
WIDE_START = 0.9
SHORT_COST = 6.0  # a piece under SHORT_START of its group's height is likely a stray stroke
SHORT_START = 0.7
CUT_COST = 1.0  # per stroke of ink a cut crosses
# Candidates read at least this surely are read a second time with thicker strokes.
SECOND_OPINION_FLOOR = 0.5
# Candidates are cut out, framed and read this many at a time, with `check_time` called before
# each lot: a line of 31 touching digits offers some 5,000 candidates to read in one round
# (about 12 s on a loaded 2-core machine), a lot of 128 about a third of a second.
READ_CHUNK = 128


class Reading(NamedTuple):
    """One distinct piece as the judge read it."""

    prediction: Prediction
    confidence: float  # weighed with a second opinion, for choosing cuts
    frame: np.ndarray  # (28, 28): what was read


def _piece_prior(candidate: Candidate, digit_height: float) -> float:
    """A piece's score before the model reads it: priors on width, height, cuts and merges.

    Width is judged against the shorter of the group's height and the typical digit height
    in the image: two touching digits on different baselines make a tall group.
    """
    group = candidate.group
    _, _, w, h = candidate.box
    score = -PIECE_COST - WIDE_COST * max(0.0, w / min(group.height, digit_height) - WIDE_START)
    score -= CUT_COST * candidate.cut_strokes
    score -= SHORT_COST * max(0.0, SHORT_START - h / group.height) / SHORT_START
    if candidate.merged:
        score -= MERGE_COST
    return score


def segment(
    ink: np.ndarray,
    recogniser: Recogniser | None = None,
    check_time: Callable[[], None] | None = None,
) -> list[Piece]:
    """Split an ink map into one piece per digit, ordered left to right.

    ink: (h, w) float32 in [0, 1], white ink on black, background removed (as from
    `preprocess.ink_map`). With a `recogniser`, cuts through touching digits (and merges of
    neighbouring pieces) are chosen by how confidently the model reads the pieces (by its
    `cut_judge`, the pieces model, when it has one; only the candidates that could be in the
    best chain are read, `digitrec.numbers.chains`) and each piece carries the recogniser's
    `prediction`; without one, by digit-width priors alone. No ink -> []. `check_time` is
    called before each READ_CHUNK candidates are read and may raise to stop the reading (a
    request's deadline).
    """
    candidates, boundary_count, digit_height = candidate_pieces(ink)
    if not candidates:
        return []
    spans = [(c.start, c.end) for c in candidates]
    priors = [_piece_prior(c, digit_height) for c in candidates]
    if recogniser is None:
        chain = best_chain(spans, boundary_count, priors)
        return sorted((candidates[i].piece for i in chain), key=_centre_x)
    judge = getattr(recogniser, "cut_judge", None) or recogniser
    predictions: dict[int, Prediction] = {}
    framed: dict[int, np.ndarray] = {}  # every read candidate's 28x28 frame
    readings: dict[tuple, Reading] = {}  # by `_same_piece`: seams through empty space repeat

    def read(indices: list[int]) -> list[float]:
        bonuses = []
        for start in range(0, len(indices), READ_CHUNK):
            if check_time is not None:
                check_time()
            chunk = indices[start : start + READ_CHUNK]
            # Cut out afresh, not kept: only the chain's few pieces are needed after reading.
            pieces = [candidates[i].cut_out() for i in chunk]
            _read_new_pieces(judge, pieces, readings)
            for i, piece in zip(chunk, pieces, strict=True):
                prediction, confidence, frame = readings[_same_piece(piece)]
                predictions[i], framed[i] = prediction, frame
                bonuses.append(CONFIDENCE_WEIGHT * math.log(max(confidence, 1e-6)))
        return bonuses

    chain = best_chain(spans, boundary_count, priors, read)  # takes only candidates it read
    if judge is not recogniser and chain:
        # The judge only chose the cuts: the digits reported are the recogniser's own reading.
        read_by_recogniser = recogniser.predict(
            np.stack([framed[i] for i in chain]), threshold=recogniser.number_threshold
        )
        predictions = dict(zip(chain, read_by_recogniser, strict=True))
    pieces = [
        Piece(candidates[i].piece.box, candidates[i].piece.ink, predictions[i]) for i in chain
    ]
    return sorted(pieces, key=_centre_x)


def _same_piece(piece: Piece) -> tuple:
    """Pieces with the same box and ink are read once."""
    return piece.box, round(float(piece.ink.sum()), 3)


def _read_new_pieces(recogniser: Recogniser, pieces: list[Piece], readings: dict) -> None:
    """Read, in one batch through the model, the pieces not yet in `readings`: each one's
    prediction, its confidence for choosing cuts (`_second_opinion`) and its 28x28 frame,
    stored by `_same_piece`."""
    new = {}
    for piece in pieces:
        key = _same_piece(piece)
        if key not in readings:
            new.setdefault(key, piece)
    if not new:
        return
    framed = np.stack([fit_to_mnist_frame(piece.ink) for piece in new.values()])
    predictions = recogniser.predict(framed, threshold=recogniser.number_threshold)
    confidences = _second_opinion(recogniser, framed, predictions)
    for key, prediction, confidence, frame in zip(
        new, predictions, confidences, framed, strict=True
    ):
        readings[key] = Reading(prediction, confidence, frame)


def _second_opinion(recogniser: Recogniser, framed: np.ndarray, predictions) -> list[float]:
    """Each piece's confidence, averaged (geometrically) with how surely the model reads the
    same digit with strokes one pixel thicker.

    framed: (n, 28, 28) as read. The reported digit and confidence stay the plain reading's;
    this only weighs the choice of cuts, where a reading that holds only at one stroke width
    is less to be trusted (the model itself was trained on thicker and thinner strokes). Pieces
    read less surely than SECOND_OPINION_FLOOR are not read twice: it could not change them.
    """
    confidences = [p.confidence for p in predictions]
    asked = [
        i
        for i, p in enumerate(predictions)
        if p.digit is not None and p.confidence >= SECOND_OPINION_FLOOR
    ]
    if not asked:
        return confidences
    thicker = recogniser.predict(
        _thicker_strokes(framed[asked]), threshold=recogniser.number_threshold
    )
    for i, opinion in zip(asked, thicker, strict=True):
        second = max(opinion.probabilities[predictions[i].digit], 1e-6)
        confidences[i] = math.sqrt(confidences[i] * second)
    return confidences


def _thicker_strokes(images: np.ndarray) -> np.ndarray:
    """(n, 28, 28) -> the same with every stroke one pixel wider (a 2x2 maximum filter)."""
    grown = images.copy()
    np.maximum(grown[:, 1:], images[:, :-1], out=grown[:, 1:])
    wider = grown.copy()
    np.maximum(wider[:, :, 1:], grown[:, :, :-1], out=wider[:, :, 1:])
    return wider


def _centre_x(piece: Piece) -> float:
    column_mass = piece.ink.sum(axis=0)
    total = float(column_mass.sum())
    if total <= 0:
        return piece.box[0] + piece.box[2] / 2
    return piece.box[0] + float((column_mass * np.arange(len(column_mass))).sum()) / total
