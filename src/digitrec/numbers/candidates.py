"""Candidate pieces of a written number: where the digits of an ink map may begin and end.

Each group of components (`digitrec.numbers.components`) is offered whole; a group wide enough to be
touching digits is also offered cut between least-ink seams and straight cuts
(`digitrec.numbers.seams`); neighbouring groups that overlap or nearly touch are also offered as one.
A candidate's box is known at once; its ink is cut out only when it is read. `digitrec.numbers.segment`
chooses among them; training cuts numbers the same way (`digitrec.training.number_pieces`).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from digitrec.errors import UnusableImageError
from digitrec.imaging.masks import grown, label_components
from digitrec.numbers.components import (
    MERGED_HEIGHT,
    SEGMENT_THRESHOLD,
    Group,
    component_groups,
    group_components,
    typical_height,
)
from digitrec.numbers.seams import boundaries as cut_boundaries
from digitrec.numbers.seams import seams_through, strokes_crossed

if TYPE_CHECKING:
    from digitrec.inference import Prediction

# Neighbouring groups are also offered to the model as one piece (a loop broken into left and
# right halves, a 6 whose loop came off its stem) when at most MERGE_GAP typical heights apart
# and together no wider than MERGE_WIDTH of the taller of that and their own height.
MERGE_GAP = 0.1
MERGE_WIDTH = 1.2
MAX_CUT_STROKES = 3.0  # cuts crossing more are not offered at all
MIN_PIECE_HEIGHT = 0.4  # nor pieces shorter than this share of their group's height
MAX_PIECE_ASPECT = 1.6  # wider candidate pieces are not considered (unless the whole group)
# A number is read up to this many separate marks (digits, or parts of one). Each costs up to a
# few dozen model runs when nothing in it reads as a digit; a page of text is not a number.
MAX_GROUPS = 32


@dataclass(frozen=True)
class Piece:
    """One digit's worth of ink, as found by `segment`."""

    box: tuple[int, int, int, int]  # x, y, w, h in ink-map pixels
    ink: np.ndarray  # (h, w) float32 in [0, 1], white on black: this piece's ink only
    prediction: Prediction | None = None  # set when `segment` was given a recogniser


@dataclass
class Candidate:
    """A possible digit inside a group: the ink between two boundaries.

    Its box is known at once (the priors need no more); its ink is cut out the first time
    `piece` is asked for, since a number has hundreds of candidates and `best_chain` reads a
    few dozen of them.
    """

    group: Group  # the group (or merged neighbours) the piece is cut from
    start: int  # boundary indices
    end: int
    box: tuple[int, int, int, int]  # the piece's box, as `piece.box`
    cut_strokes: float  # strokes the cut at `start` crosses (0 at the group's left edge)
    cut_out: Callable[[], Piece] = field(repr=False)  # makes `piece`
    merged: bool = False  # two neighbouring groups taken as one digit

    @functools.cached_property
    def piece(self) -> Piece:
        return self.cut_out()


def _candidates_of(group: Group, ink: np.ndarray, labels: np.ndarray, first: int):
    """Whole-group piece, plus (for wide groups) pieces between pairs of seams.

    Boundaries are numbered from `first`. Returns (candidates, number of boundaries).
    """
    crop_labels = labels[group.y0 : group.y1, group.x0 : group.x1]
    mask = np.isin(crop_labels, group.labels)
    crop_ink = ink[group.y0 : group.y1, group.x0 : group.x1]
    region = grown(mask) & ((crop_labels == 0) | mask)  # never another piece's ink
    h, w = mask.shape
    own_ink = np.where(mask, crop_ink, 0.0)
    seams = seams_through(crop_ink, mask)
    # A cut through more strokes than that goes through the body of a digit, not between two.
    seams = seams[strokes_crossed(own_ink, seams, mask) <= MAX_CUT_STROKES]
    columns = np.arange(w)
    boundaries = cut_boundaries(np.full(h, -1), seams, np.full(h, w - 1), mask, columns)
    last = len(boundaries) - 1
    strokes_cut = strokes_crossed(own_ink, boundaries, mask)
    strokes_cut[0] = 0.0  # the group's left edge cuts nothing
    # Every pair of boundaries, in the order start, then end; only the whole group and pieces
    # no wider than MAX_PIECE_ASPECT of its height are candidates. Widths from integer sums:
    # their difference over h is exactly the mean width of the pair's columns.
    starts, ends = np.triu_indices(len(boundaries), k=1)
    column_sums = boundaries.sum(axis=1)
    width_ok = (column_sums[ends] - column_sums[starts]) / h <= MAX_PIECE_ASPECT * h
    kept = width_ok | ((starts == 0) & (ends == last))
    starts, ends = starts[kept].tolist(), ends[kept].tolist()
    candidates = []
    boxes = _boxes_between(mask, boundaries, starts, ends)
    for start, end, box in zip(starts, ends, boxes, strict=True):
        whole = start == 0 and end == last
        if box is None or (not whole and box[3] < MIN_PIECE_HEIGHT * h):
            continue
        cut_out = functools.partial(
            _piece_between, crop_ink, mask, region, group, boundaries[start], boundaries[end]
        )
        x, y, box_w, box_h = box
        candidates.append(
            Candidate(
                group,
                first + start,
                first + end,
                (group.x0 + x, group.y0 + y, box_w, box_h),
                strokes_cut[start],
                cut_out,
            )
        )
    return candidates, last + 1


def _boxes_between(mask: np.ndarray, boundaries: np.ndarray, starts, ends) -> list:
    """For each pair (starts[i], ends[i]) of boundaries: the (x, y, w, h) box, in the mask's
    pixels, that `_piece_from` gives the mask's ink right of the one and up to the other (None
    without ink).

    Found for all pairs at once from each row's nearest ink columns, instead of cutting out an
    (h, w) core per candidate: a 4-digit number has some 300 candidates.
    """
    h, w = mask.shape
    columns = np.arange(w)
    # first_from[y, x]: the first ink column >= x in row y (w if none), for x in 0..w.
    ahead = np.hstack([np.where(mask, columns, w), np.full((h, 1), w)])
    first_from = np.minimum.accumulate(ahead[:, ::-1], axis=1)[:, ::-1]
    # last_upto[y, x + 1]: the last ink column <= x in row y (-1 if none), for x in -1..w-1.
    behind = np.hstack([np.full((h, 1), -1), np.where(mask, columns, -1)])
    last_upto = np.maximum.accumulate(behind, axis=1)
    rows = np.arange(h)
    firsts = first_from[rows, boundaries[starts] + 1]  # (n, h): first ink right of the start
    lasts = last_upto[rows, boundaries[ends] + 1]  # (n, h): last ink up to the end
    inked = firsts <= lasts  # (n, h): row y has ink between the pair
    found = inked.any(axis=1)
    # The core's extent, then the 1 px margin `_piece_from` keeps inside the crop.
    y0 = np.maximum(np.argmax(inked, axis=1) - 1, 0)
    y1 = np.minimum(h - np.argmax(inked[:, ::-1], axis=1) + 1, h)
    x0 = np.maximum(np.where(inked, firsts, w).min(axis=1, initial=w) - 1, 0)
    x1 = np.minimum(np.where(inked, lasts, -1).max(axis=1, initial=-1) + 2, w)
    boxes = np.stack([x0, y0, x1 - x0, y1 - y0], axis=1).tolist()
    return [tuple(box) if has else None for box, has in zip(boxes, found.tolist(), strict=True)]


def _piece_between(crop_ink, mask, region, group: Group, left, right) -> Piece:
    """The piece of a group's ink right of boundary `left` and up to boundary `right`."""
    columns = np.arange(mask.shape[1])
    between = (columns > left[:, None]) & (columns <= right[:, None])
    return _piece_from(crop_ink, mask & between, region & between, group)


def _piece_from(crop_ink, core: np.ndarray, region: np.ndarray, group: Group) -> Piece | None:
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


def candidate_pieces(ink: np.ndarray) -> tuple[list[Candidate], int, float]:
    """Every piece `segment` may choose from: (candidates, boundary count, digit height).

    Also what training reads as the segmenter cuts (`digitrec.training.number_pieces`).
    """
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2:
        raise ValueError(f"ink map must be 2-D (h, w), got shape {ink.shape}")
    labels, count = label_components(ink > SEGMENT_THRESHOLD)
    groups = group_components(component_groups(labels, count, ink))
    if not groups:
        return [], 0, 0.0
    if len(groups) > MAX_GROUPS:
        raise UnusableImageError(
            f"the image holds {len(groups)} separate marks; a number is read up to "
            f"{MAX_GROUPS} digits: crop the image to one number"
        )
    groups.sort(key=lambda g: g.x0 + g.x1)
    digit_height = typical_height(groups)
    # Boundaries are numbered along the whole line: a group's right edge is the next one's left.
    candidates: list[Candidate] = []
    firsts = [0]
    for group in groups:
        found, boundary_count = _candidates_of(group, ink, labels, firsts[-1])
        candidates += found
        firsts.append(firsts[-1] + boundary_count - 1)
    candidates += _merged_candidates(groups, ink, labels, firsts, digit_height)
    return candidates, firsts[-1] + 1, digit_height


def _merged_candidates(groups, ink, labels, firsts, digit_height: float) -> list[Candidate]:
    """Neighbouring groups as one piece, when they overlap or nearly touch and fit one digit.

    A loop broken into left and right halves, or a 4 written in two strokes, is two groups
    that no fragment rule joins; the model's confidence decides.
    """
    candidates = []
    for index, (left, right) in enumerate(itertools.pairwise(groups)):
        gap = max(left.x0, right.x0) - min(left.x1, right.x1)
        union = Group(list(left.labels), left.x0, left.y0, left.x1, left.y1, left.mass)
        union.absorb(right)
        # With few groups the typical height may be a fragment's: never less than the union's.
        height = max(digit_height, union.height)
        if (
            gap > MERGE_GAP * height
            or union.width > MERGE_WIDTH * height
            or union.height > MERGED_HEIGHT * height
        ):
            continue
        crop_labels = labels[union.y0 : union.y1, union.x0 : union.x1]
        mask = np.isin(crop_labels, union.labels)
        region = grown(mask) & ((crop_labels == 0) | mask)
        crop_ink = ink[union.y0 : union.y1, union.x0 : union.x1]
        piece = _piece_from(crop_ink, mask, region, union)
        if piece is not None:
            start, end = firsts[index], firsts[index + 2]
            candidates.append(
                Candidate(union, start, end, piece.box, 0.0, lambda piece=piece: piece, True)
            )
    return candidates
