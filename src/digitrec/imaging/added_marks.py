"""Marks a writer adds to a digit, taken off it: a ring round it, a line under it.

People circle the digit that matters (an answer on a worksheet, a score) and underline a 6 or a
9 to say which way up it is, or a whole number. `digitrec.imaging.marks` drops a thin ring clear
of the digit as it drops a form's box, but takes a pen's ring, or a line under the writing, for
part of it; these take them off its ink.

- A ring: a piece of ink of its own that runs along the hull of all the ink for four fifths of
  it (RING_COVERAGE), round the rest, which stands at least INNER_HEIGHT of the ring's height.
  A ring the digit touches is one piece with it and stays: such a piece is as often the
  digit's own outline running on, a 0 drawn with an overshoot, a 6 whose stem curls round its
  loop, a slashed zero.
- A line under it: the lowest rows of ink, below a row with none, flat and low (UNDERLINE_*),
  reaching past the writing above at both ends (UNDERLINE_REACH): a 2's base begun again under
  its stroke starts where the stroke ends.

Of 10,000 held-out training digits (5,000 at 112 and at 224 px), only a 5 with specks of dash
under it changes, losing them (bench/results.md).
"""

from __future__ import annotations

import cv2
import numpy as np

# Share of the hull's outline with the ring's ink on it (within ON_THE_HULL px): a hand-drawn
# ring may be left open by a fifth.
RING_COVERAGE = 0.8
ON_THE_HULL = 2.0
# What the ring holds stands at least this share of the ring's height: a digit, not a speck.
INNER_HEIGHT = 0.4
# A line under the writing is at least this many times as wide as it is tall, no taller than
# UNDERLINE_HEIGHT of the writing above it, and reaches past it at both ends by UNDERLINE_REACH
# of that height.
UNDERLINE_ASPECT = 4.0
UNDERLINE_HEIGHT = 0.2
UNDERLINE_REACH = 0.05


def without_added_marks(ink: np.ndarray) -> np.ndarray:
    """(h, w) bool ink of one digit -> the same without a ring round it or a line under it."""
    return without_an_underline(without_a_ring(ink))


def without_a_ring(ink: np.ndarray) -> np.ndarray:
    """(h, w) bool ink of one digit -> the same with a ring drawn round it, apart from it,
    taken off, or as it is when it holds no ring."""
    mask = ink.astype(np.uint8)
    pieces, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if pieces < 3:  # a ring apart from the digit is a piece of its own
        return ink
    points = cv2.findNonZero(mask)
    hull = np.zeros_like(mask)
    cv2.fillPoly(hull, [cv2.convexHull(points)], 1)
    outline, _ = cv2.findContours(hull, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    along = max(outline, key=len)[:, 0, :]
    # The piece the hull runs along: the one nearest most points of its outline.
    distance, nearest = cv2.distanceTransformWithLabels(
        1 - mask, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL
    )
    ys, xs = np.nonzero(mask)
    piece_of_pixel = np.zeros(nearest.max() + 1, np.int32)
    piece_of_pixel[nearest[ys, xs]] = labels[ys, xs]
    on_hull = distance[along[:, 1], along[:, 0]] <= ON_THE_HULL
    owners = piece_of_pixel[nearest[along[:, 1], along[:, 0]]][on_hull]
    if len(owners) == 0:
        return ink
    ring = int(np.bincount(owners).argmax())
    if np.count_nonzero(owners == ring) < RING_COVERAGE * len(along):
        return ink
    rest = ink & (labels != ring)
    rows = np.flatnonzero(rest.any(axis=1))
    if rows[-1] - rows[0] + 1 < INNER_HEIGHT * stats[ring, cv2.CC_STAT_HEIGHT]:
        return ink
    return rest


def without_an_underline(ink: np.ndarray) -> np.ndarray:
    """(h, w) bool ink of a digit or a number -> the same without a line drawn under it, apart
    from it: its lowest inked rows, below a row with no ink, when they are flat and low and
    reach past the writing above at both ends."""
    rows = np.flatnonzero(ink.any(axis=1))
    if len(rows) < 3:
        return ink
    gaps = np.flatnonzero(np.diff(rows) > 1)
    if len(gaps) == 0:
        return ink
    top_of_line = rows[gaps[-1] + 1]
    line_height = rows[-1] - top_of_line + 1
    above = rows[rows < top_of_line]
    height_above = above[-1] - above[0] + 1
    line_cols = np.flatnonzero(ink[top_of_line:].any(axis=0))
    cols_above = np.flatnonzero(ink[:top_of_line].any(axis=0))
    reach = UNDERLINE_REACH * height_above
    past_both_ends = (
        line_cols[0] <= cols_above[0] - reach and line_cols[-1] >= cols_above[-1] + reach
    )
    flat = line_cols[-1] - line_cols[0] + 1 >= UNDERLINE_ASPECT * line_height
    if not (flat and past_both_ends) or line_height > UNDERLINE_HEIGHT * height_above:
        return ink
    kept = ink.copy()
    kept[top_of_line:] = False
    return kept
