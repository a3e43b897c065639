"""The best chain of candidate pieces along a number, reading only the candidates it needs.

The number reader (`digitrec.numbers.segment`) numbers boundaries along the line of ink; each candidate
piece spans two of them, and a chain of candidates runs from the first boundary to the last.
A chain's score is the sum of its pieces' scores, each a prior (width, cuts, merges) plus a
bonus for how surely the model reads it, which is never positive (a weighted log of a
confidence). So a candidate's prior, plus the best chain of priors alone up to its start and on
from its end, bounds the score of every chain through it. Candidates are read in two rounds or
more: first those whose bound is near the best, then any whose bound beats the best chain read
so far. No chain left unread can win, so the answer is the one that reading every candidate
gives, for a small share of the reading: straight cuts every few pixels make about 320
candidates per 4-digit number of held-out digits, of which about 19 are read (median 8).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

# The first round reads the candidates whose bound is within this of the best one: enough for
# a chain of sure readings (a bonus of 3 log(0.72) is -1).
FIRST_ROUND_MARGIN = 1.0

Span = tuple[int, int]  # (start, end) boundary indices, start < end


def best_chain(
    spans: Sequence[Span],
    boundary_count: int,
    priors: Sequence[float],
    read: Callable[[list[int]], Sequence[float]] | None = None,
) -> list[int]:
    """Indices of the chain of candidates, first boundary to last, with the highest total.

    priors: each candidate's score before reading; read(indices) -> the bonus (<= 0) reading
    those candidates adds to each (called as few times and with as few as the answer needs).
    Without `read`, the priors alone choose.
    """
    if read is None:
        return _chain(spans, boundary_count, priors)[0]
    bounds = _bounds(spans, boundary_count, priors)
    scores = [-math.inf] * len(spans)
    unread = [True] * len(spans)
    top = max(bounds, default=-math.inf)
    wanted = [i for i, bound in enumerate(bounds) if bound >= top - FIRST_ROUND_MARGIN]
    chain: list[int] = []
    while wanted:
        for i, bonus in zip(wanted, read(wanted), strict=True):
            scores[i], unread[i] = priors[i] + bonus, False
        chain, total = _chain(spans, boundary_count, scores)
        wanted = [i for i, bound in enumerate(bounds) if unread[i] and bound > total]
    return chain


def _chain(spans: Sequence[Span], boundary_count: int, scores: Sequence[float]):
    """(indices of the best chain, its total); -inf scores are never taken."""
    best, came_from = _totals(spans, boundary_count, scores)
    chain, boundary = [], boundary_count - 1
    while boundary > 0 and came_from[boundary] is not None:
        chain.append(came_from[boundary])
        boundary = spans[came_from[boundary]][0]
    return chain[::-1], best[-1] if best else -math.inf


def _totals(spans: Sequence[Span], boundary_count: int, scores: Sequence[float]):
    """Best total of a chain from boundary 0 to each boundary, and its last candidate."""
    best = [-math.inf] * boundary_count
    came_from: list[int | None] = [None] * boundary_count
    if boundary_count:
        best[0] = 0.0
    for i in sorted(range(len(spans)), key=lambda i: spans[i][1]):
        start, end = spans[i]
        total = best[start] + scores[i]
        if total > best[end]:
            best[end], came_from[end] = total, i
    return best, came_from


def _bounds(spans: Sequence[Span], boundary_count: int, priors: Sequence[float]) -> list[float]:
    """For each candidate, the best total of priors alone of any chain through it."""
    to_start, _ = _totals(spans, boundary_count, priors)
    last = boundary_count - 1
    mirrored = [(last - end, last - start) for start, end in spans]
    from_end, _ = _totals(mirrored, boundary_count, priors)
    return [
        to_start[start] + prior + from_end[last - end]
        for (start, end), prior in zip(spans, priors, strict=True)
    ]
