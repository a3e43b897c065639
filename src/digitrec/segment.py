"""An image of a number -> its digits, left to right, each read by the single-digit model.

The steps, in the order the data flows:
1. `preprocess.ink_map` gives white ink on black with the background removed (the same polarity
   and background handling as single digits).
2. `label_components`: 8-connected components of ink, labelled in numpy from horizontal runs.
3. `group_components`: specks dropped; fragments of one digit (the detached bar of a 5 or 7,
   a loop broken in two) merged with the digit they sit above or below.
4. A group wider than 3/4 of its height may be touching digits: it is offered cuts along
   least-ink top-to-bottom seams (minimum cuts that may lean with slanted writing), except
   cuts through more than about one stroke (those go through one digit's loop). Every chain
   of cuts is scored by the classifier's confidence in its pieces plus priors (width against
   the image's typical digit height, short pieces, strokes cut) and the best chain is kept.
   All candidate pieces of one image go through the model in ONE batch, identical ones once.
5. Pieces ordered by their centre of mass along x, so slant and a wandering baseline are fine.

`read_number(recogniser, image)` runs the whole path and answers a `NumberReading`; a piece the
model does not take for a digit is reported with `is_digit` False and shows as "?" in `number`.
`choose_mode(image)` tells one digit from a number without the model, for `mode=auto`.
Measured by bench/bench_numbers.py (MNIST test digits composed into numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from digitrec import preprocess
from digitrec.preprocess import fit_to_mnist_frame

if TYPE_CHECKING:
    from digitrec.inference import Prediction, Recogniser

# The ink map of a number is worked on at most this long: a single digit's 320 px would leave
# each digit of a long number only a few pixels tall.
NUMBER_LONG_SIDE = 1024
# Ink brighter than this (0..1) joins a component. Fainter anti-aliased edges still reach the
# model: each piece's crop keeps the ink within one pixel of its components.
SEGMENT_THRESHOLD = 0.25
# A component under this share of the heaviest one's ink, and small, is a speck of noise.
SPECK_MASS = 0.05
SPECK_SIZE = 0.25  # ... and its longer side is under this share of the typical digit height
# A component shorter than this share of the typical digit height is a fragment of a digit
# (a 5's bar, half of a broken 8) when it shares columns with another piece.
FRAGMENT_HEIGHT = 0.7
FRAGMENT_OVERLAP = 0.2  # share of the fragment's width that must lie over the other piece
MERGED_HEIGHT = 1.5  # a merged digit is at most this many typical heights tall
# A group left alone this small (ink and height) after merging is noise, not a digit.
STRAY_MASS = 0.12
STRAY_HEIGHT = 0.45
# A group wider than this share of its height may be several touching digits (a 1 beside a
# digit is barely wider than a 0).
SPLIT_ASPECT = 0.75
# Seams: the least-ink paths from top to bottom; leaning one pixel per row costs this much ink.
SEAM_DRIFT_COST = 0.3
SEAM_ROWS = 48  # seams are found on a copy at most this tall, for speed
SEAM_MARGIN = 0.12  # no cut nearer the group's edge than this share of its height
SEAM_SPACING = 0.15  # nor nearer another cut
MAX_SEAMS = 16
# Choosing cuts: each piece scores log(confidence) + these priors (in the same log units).
PIECE_COST = 0.3  # every extra piece must earn its place
WIDE_COST = 4.0  # per unit of width/height above WIDE_START
WIDE_START = 1.0
SHORT_COST = 6.0  # a piece under SHORT_START of its group's height is likely a stray stroke
SHORT_START = 0.7
CUT_COST = 1.0  # per stroke of ink a cut crosses
MAX_CUT_STROKES = 1.2  # cuts crossing more are not offered at all
MIN_PIECE_HEIGHT = 0.4  # nor pieces shorter than this share of their group's height
MAX_PIECE_ASPECT = 1.6  # wider candidate pieces are not considered (unless the whole group)


@dataclass(frozen=True)
class Piece:
    """One digit's worth of ink, as found by `segment`."""

    box: tuple[int, int, int, int]  # x, y, w, h in ink-map pixels
    ink: np.ndarray  # (h, w) float32 in [0, 1], white on black: this piece's ink only
    prediction: Prediction | None = None  # set when `segment` was given a recogniser


@dataclass(frozen=True)
class DigitReading:
    box: tuple[int, int, int, int]  # x, y, w, h in the original image's pixels
    digit: int | None
    confidence: float
    probabilities: tuple[float, ...]
    is_digit: bool

    def as_dict(self) -> dict:
        return {
            "box": list(self.box),
            "digit": self.digit,
            "confidence": self.confidence,
            "probabilities": list(self.probabilities),
            "is_digit": self.is_digit,
        }


# How a piece the model does not take for a digit shows in `NumberReading.number`.
NOT_A_DIGIT = "?"


@dataclass(frozen=True)
class NumberReading:
    """The digits of a number, left to right; `number` is "" when the image holds no ink."""

    number: str  # one character per piece: its digit, or "?" when is_digit is False
    digits: list[DigitReading] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"number": self.number, "digits": [digit.as_dict() for digit in self.digits]}


# ---------------------------------------------------------------------------------------------
# Connected components


def label_components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected components of a boolean mask -> (labels (h, w) int32, 0 = none; count).

    Pixels are grouped into horizontal runs first; runs touching across consecutive rows are
    joined with a vectorised union-find (hooking plus pointer jumping), so the Python-level
    loop runs a handful of times whatever the image size.
    """
    mask = np.asarray(mask, dtype=bool)
    h, w = mask.shape
    flat = mask.ravel()
    if not flat.any():
        return np.zeros((h, w), np.int32), 0
    starts = flat.copy()
    starts[1:] &= ~flat[:-1]
    starts[::w] = flat[::w]  # every row's first pixel starts a run
    run_of = np.cumsum(starts, dtype=np.int64) - 1
    run_count = int(run_of[-1]) + 1
    run_image = np.where(mask, run_of.reshape(h, w), -1)

    upper, lower = run_image[:-1], run_image[1:]
    firsts, seconds = [], []
    for dx in (-1, 0, 1):  # lower pixel at column c + dx touches upper pixel at column c
        a = upper[:, max(0, -dx) : w - max(0, dx)]
        b = lower[:, max(0, dx) : w - max(0, -dx)]
        both = (a >= 0) & (b >= 0)
        firsts.append(a[both])
        seconds.append(b[both])
    pairs = np.unique(np.concatenate(firsts) * run_count + np.concatenate(seconds))
    a, b = pairs // run_count, pairs % run_count

    parent = np.arange(run_count)
    while True:
        root_a, root_b = parent[a], parent[b]
        if np.array_equal(root_a, root_b):
            break
        lowest = np.minimum(root_a, root_b)
        np.minimum.at(parent, root_a, lowest)
        np.minimum.at(parent, root_b, lowest)
        while True:  # pointer jumping until every run points at its root
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
    roots, component_of_run = np.unique(parent, return_inverse=True)
    labels = np.zeros(h * w, np.int32)
    labels[flat] = component_of_run[run_of[flat]] + 1
    return labels.reshape(h, w), len(roots)


@dataclass
class _Group:
    """One or more components believed to be one digit (or touching digits)."""

    labels: list[int]
    x0: int
    y0: int
    x1: int  # exclusive
    y1: int  # exclusive
    mass: float

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def absorb(self, other: _Group) -> None:
        self.labels += other.labels
        self.x0, self.y0 = min(self.x0, other.x0), min(self.y0, other.y0)
        self.x1, self.y1 = max(self.x1, other.x1), max(self.y1, other.y1)
        self.mass += other.mass


def _component_groups(labels: np.ndarray, count: int, ink: np.ndarray) -> list[_Group]:
    """One `_Group` per component, with its bounding box and ink mass."""
    ys, xs = np.nonzero(labels)
    ids = labels[ys, xs] - 1
    x0 = np.full(count, labels.shape[1])
    y0 = np.full(count, labels.shape[0])
    x1 = np.zeros(count, np.int64)
    y1 = np.zeros(count, np.int64)
    np.minimum.at(x0, ids, xs)
    np.minimum.at(y0, ids, ys)
    np.maximum.at(x1, ids, xs + 1)
    np.maximum.at(y1, ids, ys + 1)
    mass = np.bincount(ids, weights=ink[ys, xs], minlength=count)
    return [
        _Group([i + 1], int(x0[i]), int(y0[i]), int(x1[i]), int(y1[i]), float(mass[i]))
        for i in range(count)
    ]


def typical_height(groups: list[_Group]) -> float:
    """The median height of the components carrying a fair share of the ink: one digit's."""
    heaviest = max(group.mass for group in groups)
    return float(np.median([g.height for g in groups if g.mass >= 0.25 * heaviest]))


def group_components(groups: list[_Group]) -> list[_Group]:
    """Drop specks and merge each digit's fragments into one group; order is not kept."""
    if not groups:
        return []
    height = typical_height(groups)
    heaviest = max(group.mass for group in groups)
    kept = [
        g
        for g in groups
        if g.mass >= SPECK_MASS * heaviest or max(g.width, g.height) >= SPECK_SIZE * height
    ]
    # Tall pieces first: a fragment joins the piece it lies over or under, never the reverse.
    kept.sort(key=lambda g: -g.height)
    merged: list[_Group] = []
    for group in kept:
        target = _fragment_target(group, merged, height)
        if target is None:
            merged.append(group)
        else:
            target.absorb(group)
    if len(merged) > 1:
        typical_mass = float(np.median([g.mass for g in merged]))
        merged = [
            g
            for g in merged
            if g.mass >= STRAY_MASS * typical_mass or g.height >= STRAY_HEIGHT * height
        ]
    return merged


def _fragment_target(group: _Group, others: list[_Group], height: float) -> _Group | None:
    if group.height >= FRAGMENT_HEIGHT * height:
        return None
    best, best_overlap = None, FRAGMENT_OVERLAP * group.width
    for other in others:
        overlap = min(group.x1, other.x1) - max(group.x0, other.x0)
        merged_height = max(group.y1, other.y1) - min(group.y0, other.y0)
        if overlap >= best_overlap and merged_height <= MERGED_HEIGHT * height:
            best, best_overlap = other, overlap
    return best


# ---------------------------------------------------------------------------------------------
# Cutting touching digits


def _dilate(mask: np.ndarray) -> np.ndarray:
    """Grow a boolean mask by one pixel in all eight directions."""
    grown = mask.copy()
    grown[1:] |= mask[:-1]
    grown[:-1] |= mask[1:]
    wide = grown.copy()
    wide[:, 1:] |= grown[:, :-1]
    wide[:, :-1] |= grown[:, 1:]
    return wide


def find_seams(cost: np.ndarray, count: int, margin: int, spacing: int) -> np.ndarray:
    """Up to `count` least-cost top-to-bottom paths through `cost` (h, w) -> (k, h) columns.

    Each path moves at most one column per row (paying SEAM_DRIFT_COST per move), so it can
    follow slanted writing; paths end at least `margin` columns from either edge and `spacing`
    columns from each other. Sorted left to right.
    """
    h, w = cost.shape
    if w <= 2 * margin:
        return np.zeros((0, h), np.int64)
    total = cost[0].astype(np.float64)
    moves = np.zeros((h, w), np.int8)
    step = np.array([0, -1, 1], np.int8)
    inf = np.array([np.inf])
    columns = np.arange(w)
    for row in range(1, h):
        options = np.stack(
            [
                total,
                np.concatenate([inf, total[:-1]]) + SEAM_DRIFT_COST,
                np.concatenate([total[1:], inf]) + SEAM_DRIFT_COST,
            ]
        )
        choice = options.argmin(axis=0)
        total = options[choice, columns] + cost[row]
        moves[row] = step[choice]
    ends: list[int] = []
    for column in np.argsort(total[margin : w - margin], kind="stable") + margin:
        if all(abs(int(column) - end) >= spacing for end in ends):
            ends.append(int(column))
            if len(ends) == count:
                break
    position = np.array(sorted(ends), np.int64)
    seams = np.empty((len(position), h), np.int64)
    for row in range(h - 1, -1, -1):
        seams[:, row] = position
        position = position + moves[row, position]
    return seams


def _cut_candidates(ink: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Seams (k, h) through a group's crop, in crop columns: where touching digits may part."""
    h, w = mask.shape
    if w <= SPLIT_ASPECT * h:  # narrow enough for one digit: no cuts offered
        return np.zeros((0, h), np.int64)
    factor = max(1, math.ceil(h / SEAM_ROWS))
    cost = np.where(mask, ink, 0.0)
    if factor > 1:  # find the seams on a block-averaged copy, then scale them back up
        ph, pw = -h % factor, -w % factor
        padded = np.pad(cost, ((0, ph), (0, pw)))
        cost = padded.reshape(padded.shape[0] // factor, factor, -1, factor).mean(axis=(1, 3))
    small_h = cost.shape[0]
    count = min(MAX_SEAMS, int(w / (SEAM_SPACING * h)) + 1)
    seams = find_seams(
        cost,
        count,
        margin=max(1, round(SEAM_MARGIN * small_h)),
        spacing=max(1, round(SEAM_SPACING * small_h)),
    )
    if factor > 1:
        rows = np.minimum(np.arange(h) // factor, small_h - 1)
        seams = np.clip(seams[:, rows] * factor + factor // 2, 0, w - 1)
    return seams


@dataclass
class _Candidate:
    """A possible digit inside a group: the ink between two boundaries."""

    group: int
    start: int  # boundary indices
    end: int
    piece: Piece
    cut_strokes: float  # strokes the cut at `start` crosses (0 at the group's left edge)


def _candidates_of(group_index: int, group: _Group, ink: np.ndarray, labels: np.ndarray):
    """Whole-group piece, plus (for wide groups) pieces between pairs of seams.

    Returns (candidates, number of boundaries).
    """
    crop_labels = labels[group.y0 : group.y1, group.x0 : group.x1]
    mask = np.isin(crop_labels, group.labels)
    crop_ink = ink[group.y0 : group.y1, group.x0 : group.x1]
    region = _dilate(mask) & ((crop_labels == 0) | mask)  # never another piece's ink
    h, w = mask.shape
    own_ink = np.where(mask, crop_ink, 0.0)
    seams = _cut_candidates(crop_ink, mask)
    # A cut through two strokes or more goes through one digit's loop: not worth classifying.
    seams = seams[_strokes_crossed(own_ink, seams, mask) <= MAX_CUT_STROKES]
    columns = np.arange(w)
    boundaries = _boundaries(np.full(h, -1), seams, np.full(h, w - 1), mask, columns)
    last = len(boundaries) - 1
    strokes_cut = _strokes_crossed(own_ink, boundaries, mask)
    strokes_cut[0] = 0.0  # the group's left edge cuts nothing
    candidates = []
    for start in range(last):
        for end in range(start + 1, last + 1):
            whole = start == 0 and end == last
            mean_width = float((boundaries[end] - boundaries[start]).mean())
            if not whole and mean_width > MAX_PIECE_ASPECT * h:
                continue
            between = (columns > boundaries[start][:, None]) & (columns <= boundaries[end][:, None])
            piece = _piece_from(crop_ink, mask & between, region & between, group)
            if piece is None or (not whole and piece.box[3] < MIN_PIECE_HEIGHT * h):
                continue
            candidates.append(_Candidate(group_index, start, end, piece, strokes_cut[start]))
    return candidates, last + 1


def _strokes_crossed(ink: np.ndarray, seams: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """How many strokes' worth of ink each seam (k, h) cuts through -> (k,).

    A stroke's width is taken as the median horizontal run of ink; a cut between two touching
    digits crosses about one stroke or less, a cut through one digit's loop two or more.
    """
    padded = np.pad(mask, ((0, 0), (1, 1)))
    edges = np.diff(padded.astype(np.int8), axis=1)
    runs = np.flatnonzero(edges.ravel() == -1) - np.flatnonzero(edges.ravel() == 1)
    stroke_ink = max(1.0, float(np.median(runs)) if runs.size else 1.0)
    rows = np.arange(ink.shape[0])
    crossed = np.array(
        [ink[rows, np.clip(seam, 0, ink.shape[1] - 1)].sum() for seam in seams], np.float64
    )
    return crossed / stroke_ink


def _boundaries(left, seams, right, mask, columns) -> np.ndarray:
    """(k, h) boundaries, left edge to right edge, keeping only seams with ink between them.

    The pixels of a row right of boundary i and up to boundary i + 1 form strip i.
    """
    kept = [left]
    for boundary in [*seams, right]:
        strip = (columns > kept[-1][:, None]) & (columns <= boundary[:, None])
        if (mask & strip).any():
            kept.append(boundary)
        elif boundary is right and len(kept) > 1:
            kept[-1] = right  # the last seam had only empty columns to its right
    if len(kept) == 1:
        kept.append(right)
    return np.stack(kept)


def _piece_from(crop_ink, core: np.ndarray, region: np.ndarray, group: _Group) -> Piece | None:
    rows = np.flatnonzero(core.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(core.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    # Keep the faint halo one pixel around the core, still inside the box (1 px margin).
    y0, x0 = max(0, y0 - 1), max(0, x0 - 1)
    y1, x1 = min(core.shape[0], y1 + 1), min(core.shape[1], x1 + 1)
    ink = np.where(region[y0:y1, x0:x1], crop_ink[y0:y1, x0:x1], 0.0).astype(np.float32)
    box = (group.x0 + int(x0), group.y0 + int(y0), int(x1 - x0), int(y1 - y0))
    return Piece(box, ink)


def _piece_score(
    candidate: _Candidate, group: _Group, digit_height: float, confidence: float | None
) -> float:
    """log(confidence) plus priors on width and height; higher is better.

    Width is judged against the shorter of the group's height and the typical digit height
    in the image: two touching digits on different baselines make a tall group.
    """
    _, _, w, h = candidate.piece.box
    score = -PIECE_COST - WIDE_COST * max(0.0, w / min(group.height, digit_height) - WIDE_START)
    score -= CUT_COST * candidate.cut_strokes
    score -= SHORT_COST * max(0.0, SHORT_START - h / group.height) / SHORT_START
    if confidence is not None:
        score += math.log(max(confidence, 1e-6))
    return score


def _best_cuts(candidates: list[_Candidate], boundary_count: int, scores: list[float]):
    """The chain of candidates from the first boundary to the last with the highest total."""
    best = [-math.inf] * boundary_count
    came_from: list[int | None] = [None] * boundary_count
    best[0] = 0.0
    by_end = sorted(range(len(candidates)), key=lambda i: candidates[i].end)
    for i in by_end:
        candidate = candidates[i]
        total = best[candidate.start] + scores[i]
        if total > best[candidate.end]:
            best[candidate.end], came_from[candidate.end] = total, i
    chain, boundary = [], boundary_count - 1
    while boundary > 0 and came_from[boundary] is not None:
        chain.append(came_from[boundary])
        boundary = candidates[came_from[boundary]].start
    return chain[::-1]


def segment(ink: np.ndarray, recogniser: Recogniser | None = None) -> list[Piece]:
    """Split an ink map into one piece per digit, ordered left to right.

    ink: (h, w) float32 in [0, 1], white ink on black, background removed (as from
    `preprocess.ink_map`). With a `recogniser`, cuts through touching digits are chosen by
    how confidently the model reads the pieces (all candidates in one batch) and each piece
    carries its `prediction`; without one, by digit-width priors alone. No ink -> [].
    """
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2:
        raise ValueError(f"ink map must be 2-D (h, w), got shape {ink.shape}")
    labels, count = label_components(ink > SEGMENT_THRESHOLD)
    groups = group_components(_component_groups(labels, count, ink))
    candidates: list[_Candidate] = []
    boundary_counts = []
    for index, group in enumerate(groups):
        found, boundary_count = _candidates_of(index, group, ink, labels)
        candidates += found
        boundary_counts.append(boundary_count)
    if not candidates:
        return []
    digit_height = typical_height(groups)
    predictions = [None] * len(candidates)
    if recogniser is not None:
        predictions = _predict_distinct(recogniser, [c.piece for c in candidates])
    pieces = []
    for index, group in enumerate(groups):
        own = [i for i, c in enumerate(candidates) if c.group == index]
        scores = [
            _piece_score(
                candidates[i],
                group,
                digit_height,
                None if predictions[i] is None else predictions[i].confidence,
            )
            for i in own
        ]
        for chosen in _best_cuts([candidates[i] for i in own], boundary_counts[index], scores):
            i = own[chosen]
            pieces.append(Piece(candidates[i].piece.box, candidates[i].piece.ink, predictions[i]))
    return sorted(pieces, key=_centre_x)


def _predict_distinct(recogniser: Recogniser, pieces: list[Piece]) -> list[Prediction]:
    """One batch through the model; pieces with the same box and ink are classified once.

    Seams that pass through empty space make many candidates identical.
    """
    first_of: dict[tuple, int] = {}
    index_of = [
        first_of.setdefault((piece.box, round(float(piece.ink.sum()), 3)), len(first_of))
        for piece in pieces
    ]
    distinct = [None] * len(first_of)
    for piece, index in zip(pieces, index_of, strict=True):
        distinct[index] = piece
    predictions = recogniser.predict(np.stack([fit_to_mnist_frame(p.ink) for p in distinct]))
    return [predictions[index] for index in index_of]


def _centre_x(piece: Piece) -> float:
    column_mass = piece.ink.sum(axis=0)
    total = float(column_mass.sum())
    if total <= 0:
        return piece.box[0] + piece.box[2] / 2
    return piece.box[0] + float((column_mass * np.arange(len(column_mass))).sum()) / total


# ---------------------------------------------------------------------------------------------
# The whole path


def _ink_of(image: bytes | Image.Image, max_pixels: int) -> tuple[np.ndarray, float]:
    """bytes or a PIL image -> (ink map, scale from original to ink-map pixels).

    An image whose ink is only a dot or speck (as `to_mnist_style` judges single digits)
    gives an empty ink map: there is nothing to read.
    """
    if isinstance(image, bytes | bytearray | memoryview):
        image = preprocess.decode_image(bytes(image), max_pixels)
    if not isinstance(image, Image.Image):
        raise TypeError(f"expected image bytes or a PIL image, got {type(image).__name__}")
    ink, scale = preprocess.ink_map(image, NUMBER_LONG_SIDE)
    box = preprocess.ink_bounding_box(ink)
    if box is None or max(box[2], box[3]) < max(2, preprocess.MIN_DIGIT_FRACTION * max(ink.shape)):
        return np.zeros_like(ink), scale
    return ink, scale


def _original_box(box, scale: float) -> tuple[int, int, int, int]:
    x, y, w, h = box
    left, top = math.floor(x / scale), math.floor(y / scale)
    right, bottom = math.ceil((x + w) / scale), math.ceil((y + h) / scale)
    return left, top, right - left, bottom - top


def read_number(recogniser: Recogniser, image: bytes | Image.Image) -> NumberReading:
    """Read every digit in an image (bytes or a PIL image), left to right.

    A single digit answers a one-digit number. A piece the model does not take for a digit
    stays in `digits` (is_digit False, its best guess in `digit`) and shows as "?" in
    `number`. No ink -> NumberReading("", []). Boxes are in the original image's pixels.
    """
    ink, scale = _ink_of(image, getattr(recogniser, "max_pixels", preprocess.MAX_PIXELS))
    digits = []
    for piece in segment(ink, recogniser):
        prediction = piece.prediction
        digits.append(
            DigitReading(
                _original_box(piece.box, scale),
                prediction.digit,
                prediction.confidence,
                prediction.probabilities,
                prediction.is_digit,
            )
        )
    number = "".join(
        str(d.digit) if d.is_digit and d.digit is not None else NOT_A_DIGIT for d in digits
    )
    return NumberReading(number, digits)


def choose_mode(image: bytes | Image.Image) -> str:
    """ "number" when an image (bytes or a PIL image) holds more than one digit, else "digit".

    Decided from the ink alone (no model): several separate pieces, or one piece too wide for a
    single digit, make a number. For `mode=auto`.
    """
    ink, _ = _ink_of(image, preprocess.MAX_PIXELS)
    return "number" if len(segment(ink)) > 1 else "digit"
