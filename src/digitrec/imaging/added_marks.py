"""Marks a writer adds to a digit, taken off it: a ring round it, a line under it.

People circle the digit that matters (an answer on a worksheet, a score) and underline a 6 or a
9 to say which way up it is, or a whole number. `digitrec.imaging.marks` drops a ring clear of
the digit as it drops a form's box, but takes a ring the digit touches, or a line under it, for
part of the writing; these take them off its ink.

- A ring: the ink runs along its convex hull nearly all the way round (RING_COVERAGE) and,
  inside a band as deep as the ring, the largest piece of ink stands as tall as a digit in a
  ring (INNER_HEIGHT). A 0 runs along its hull too, but nothing is inside it; an 8 or a 6
  leaves gaps along its hull where its outline turns in, and what is inside its band is a
  short stroke. A straight piece joined to the ring at both its ends crosses it (a slashed
  zero's slash); one joined at an end holds a share of the ink (INNER_SHARE), one apart any.
- A line under it (or under a number): the lowest rows of ink, below a row with none, flat and
  low (UNDERLINE_*).

Of 10,000 held-out training digits (5,000 at 112 and at 224 px) neither changes any
(bench/results.md).
"""

from __future__ import annotations

import cv2
import numpy as np

from digitrec.imaging.strokes import stroke_width

# Share of the hull's outline with ink on it (within ON_THE_HULL px): a hand-drawn ring may be
# left open by a fifth.
RING_COVERAGE = 0.8
ON_THE_HULL = 2.0
# The band's depth inside the hull, in stroke widths: a ring as thick as the pen and a little
# off round, within it all the way.
BAND_STROKES = 1.5
# The largest piece of ink inside the band stands at least this share of the hull's height and,
# joined to the ring, holds this share of the ink: a digit, where a stroke across an 8, a 6's
# tail or a slashed zero's slash is short or light.
INNER_HEIGHT = 0.5
INNER_SHARE = 0.2
# A stroke of width w spreads w / sqrt(12) (0.29 w) either side of its axis; a curve, more.
SLASH_SPREAD = 0.5
# A line under a digit is at least this many times as wide as it is tall, and no taller than
# this share of the digit above it.
UNDERLINE_ASPECT = 4.0
UNDERLINE_HEIGHT = 0.2


def without_added_marks(ink: np.ndarray) -> np.ndarray:
    """(h, w) bool ink of one digit -> the same without a ring round it or a line under it."""
    return without_an_underline(without_a_ring(ink))


def without_a_ring(ink: np.ndarray) -> np.ndarray:
    """(h, w) bool ink of one digit -> the same with a ring drawn round it taken off (the digit
    inside it), or as it is when it holds no ring."""
    mask = ink.astype(np.uint8)
    points = cv2.findNonZero(mask)
    if points is None or len(points) < 3:
        return ink
    hull = np.zeros_like(mask)
    cv2.fillPoly(hull, [cv2.convexHull(points)], 1)
    outline, _ = cv2.findContours(hull, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    along = max(outline, key=len)[:, 0, :]
    to_ink = cv2.distanceTransform(1 - mask, cv2.DIST_L2, 3)
    if np.mean(to_ink[along[:, 1], along[:, 0]] <= ON_THE_HULL) < RING_COVERAGE:
        return ink
    depth = max(2, round(BAND_STROKES * stroke_width(mask.astype(np.float32))) + 1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * depth + 1,) * 2)
    inside = cv2.erode(hull, disc, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0
    inner = ink & inside
    pieces, labels, stats, _ = cv2.connectedComponentsWithStats(inner.astype(np.uint8))
    if pieces < 2:
        return ink
    # The digit is the largest piece inside: a stroke across a 0 or a loop's tail is no digit.
    largest = 1 + int(stats[1:, cv2.CC_STAT_AREA].argmax())
    if stats[largest, cv2.CC_STAT_HEIGHT] < INNER_HEIGHT * np.count_nonzero(hull.any(axis=1)):
        return ink
    width = stroke_width(mask.astype(np.float32))
    joined = _ends_joined(labels == largest, ink & ~inside, width)
    if joined is None:  # a straight stroke across the ring: a slashed zero's slash
        return ink
    if joined and stats[largest, cv2.CC_STAT_AREA] < INNER_SHARE * np.count_nonzero(ink):
        return ink
    return inner


def _ends_joined(piece: np.ndarray, band: np.ndarray, width: float) -> int | None:
    """How many of the two ends of `piece` (bool; its farthest pixels along its longer axis)
    run on into the ink of `band` (bool): 0, 1 or 2; None when both do and the piece is a
    straight stroke (its pixels within SLASH_SPREAD stroke `width`s of its axis, spread as a
    standard deviation): a slash across the ring."""
    ys, xs = np.nonzero(piece)
    points = np.column_stack([xs, ys]).astype(np.float32)
    centred = points - points.mean(axis=0)
    _, spreads, axes = np.linalg.svd(centred, full_matrices=False)
    along = centred @ axes[0]
    next_to_band = cv2.dilate(band.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    ends = (int(along.argmin()), int(along.argmax()))
    joined = sum(bool(next_to_band[ys[end], xs[end]]) for end in ends)
    across = spreads[1] / np.sqrt(len(points))
    return None if joined == 2 and across <= SLASH_SPREAD * width else joined


def without_an_underline(ink: np.ndarray) -> np.ndarray:
    """(h, w) bool ink of a digit or a number -> the same without a line drawn under it, apart
    from it: its lowest inked rows, below a row with no ink, when they are flat and low."""
    rows = np.flatnonzero(ink.any(axis=1))
    if len(rows) < 3:
        return ink
    gaps = np.flatnonzero(np.diff(rows) > 1)
    if len(gaps) == 0:
        return ink
    top_of_line = rows[gaps[-1] + 1]
    line_height = rows[-1] - top_of_line + 1
    above = rows[rows < top_of_line]
    cols = np.flatnonzero(ink[top_of_line:].any(axis=0))
    line_width = cols[-1] - cols[0] + 1
    flat = line_width >= UNDERLINE_ASPECT * line_height
    if not flat or line_height > UNDERLINE_HEIGHT * (above[-1] - above[0] + 1):
        return ink
    kept = ink.copy()
    kept[top_of_line:] = False
    return kept
