"""Where touching digits may part: least-ink seams from top to bottom of a group of ink.

A seam moves at most one column per row, so it can follow slanted writing between two digits
that touch. `segment` offers the pieces between seams to the model; these functions only find
the seams and measure how much ink each one cuts.
"""

from __future__ import annotations

import math

import numpy as np

# A group wider than this share of its height may be several touching digits: a 1 touching a
# 6 is no wider than many a 0 (0.7). Cutting is only offered; the model, which learnt touching
# pairs as outliers, decides whether a cut or the whole group reads better.
SPLIT_ASPECT = 0.5
# Seams: the least-ink paths from top to bottom; leaning one pixel per row costs this much ink.
SEAM_DRIFT_COST = 0.3
SEAM_ROWS = 48  # seams are found on a copy at most this tall, for speed
SEAM_MARGIN = 0.12  # no cut nearer the group's edge than this share of its height
SEAM_SPACING = 0.15  # nor nearer another cut
MAX_SEAMS = 16
# Straight cuts are also offered every GRID_STEP of the group's height, wherever the ink is:
# where two digits overlap, no least-ink path parts them, but some column near the overlap
# leaves each digit nearly whole, and the model's confidence finds it.
GRID_STEP = 0.08


def find_seams(
    cost: np.ndarray, count: int, margin: int, spacing: int, drift_cost: float = SEAM_DRIFT_COST
) -> np.ndarray:
    """Up to `count` least-cost top-to-bottom paths through `cost` (h, w) -> (k, h) columns.

    Each path moves at most one column per row (paying `drift_cost` per move), so it can
    follow slanted writing (an infinite `drift_cost` gives straight vertical cuts); paths end
    at least `margin` columns from either edge and `spacing` columns from each other. Sorted
    left to right.
    """
    h, w = cost.shape
    if w <= 2 * margin:
        return np.zeros((0, h), np.int64)
    if drift_cost == np.inf:  # straight cuts: each column's total, no path to follow
        return np.repeat(
            _spaced_ends(cost.sum(axis=0, dtype=np.float64), count, margin, spacing)[:, None],
            h,
            axis=1,
        )
    total = cost[0].astype(np.float64)
    moves = np.zeros((h, w), np.int8)
    step = np.array([0, -1, 1], np.int8)
    inf = np.array([np.inf])
    columns = np.arange(w)
    for row in range(1, h):
        options = np.stack(
            [
                total,
                np.concatenate([inf, total[:-1]]) + drift_cost,
                np.concatenate([total[1:], inf]) + drift_cost,
            ]
        )
        choice = options.argmin(axis=0)
        total = options[choice, columns] + cost[row]
        moves[row] = step[choice]
    position = _spaced_ends(total, count, margin, spacing)
    seams = np.empty((len(position), h), np.int64)
    for row in range(h - 1, -1, -1):
        seams[:, row] = position
        position = position + moves[row, position]
    return seams


def _spaced_ends(total: np.ndarray, count: int, margin: int, spacing: int) -> np.ndarray:
    """Up to `count` columns of least `total`, `margin` from the edges and `spacing` apart,
    sorted left to right."""
    w = len(total)
    ends: list[int] = []
    for column in np.argsort(total[margin : w - margin], kind="stable") + margin:
        if all(abs(int(column) - end) >= spacing for end in ends):
            ends.append(int(column))
            if len(ends) == count:
                break
    return np.array(sorted(ends), np.int64)


def seams_through(ink: np.ndarray, mask: np.ndarray) -> np.ndarray:
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
    margin = max(1, round(SEAM_MARGIN * small_h))
    spacing = max(1, round(SEAM_SPACING * small_h))
    # Straight cuts too (the columns with least ink): a seam free to lean can slip round the
    # end of one digit's stroke and take the top of its neighbour with it.
    seams = np.concatenate(
        [
            find_seams(cost, count, margin, spacing),
            find_seams(cost, max(1, count // 2), margin, spacing, drift_cost=np.inf),
        ]
    )
    if factor > 1:
        rows = np.minimum(np.arange(h) // factor, small_h - 1)
        seams = np.clip(seams[:, rows] * factor + factor // 2, 0, w - 1)
    edge = max(1, round(SEAM_MARGIN * h))
    grid = np.arange(edge, w - edge, max(1, round(GRID_STEP * h)))
    seams = np.unique(np.concatenate([seams, np.repeat(grid[:, None], h, axis=1)]), axis=0)
    return seams[np.argsort(seams.mean(axis=1), kind="stable")]


def strokes_crossed(ink: np.ndarray, seams: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """How many strokes' worth of ink each seam (k, h) cuts through -> (k,).

    A stroke's width is taken as the median horizontal run of ink; a cut between two touching
    digits crosses about one stroke or less, a cut through one digit's loop two or more.
    """
    padded = np.pad(mask, ((0, 0), (1, 1)))
    edges = np.diff(padded.astype(np.int8), axis=1)
    runs = np.flatnonzero(edges.ravel() == -1) - np.flatnonzero(edges.ravel() == 1)
    stroke_ink = max(1.0, float(np.median(runs)) if runs.size else 1.0)
    rows = np.arange(ink.shape[0])
    crossed = ink[rows, np.clip(seams, 0, ink.shape[1] - 1)].sum(axis=1).astype(np.float64)
    return crossed / stroke_ink


def boundaries(left, seams, right, mask, columns) -> np.ndarray:
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
