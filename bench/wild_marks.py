"""The conditions of bench/wild.py that put marks on the page beside the digit: what a writer
adds (a line under it, a ring round it, in its own pen) and print round it (a worksheet's
words). Each is a named function (glyph, rng) -> Picture, as in bench/wild_conditions.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import cv2
import numpy as np
from wild_render import print_text, write
from wild_shot import Picture, Shot, ordinary_shot, photograph


def _with_pen_marks(shot: Shot, draw: Callable[[np.ndarray, np.random.Generator], None]):
    """`shot` with marks drawn on the page with the digit's own pen before it is written:
    `draw(layer, rng)` draws them at 255 on a page-sized uint8 layer. They are not the digit:
    its ink mask (the picture's coverage) stays the digit's alone."""

    def printed(page, rng):
        layer = np.zeros(page.shape[:2], np.uint8)
        draw(layer, rng)
        h, w = layer.shape
        write(page, layer.astype(np.float32) / 255, (w / 2, h / 2), shot.pen)

    return replace(shot, printed=printed)


def _pen_width(shot: Shot) -> int:
    """About the width of the digit's strokes, px."""
    return max(2, round(shot.height * (0.1 + 2 * max(shot.pen.weight, 0.0))))


def underlined(glyph, rng) -> Picture:
    """A line drawn under the digit, apart from it, as a 6 or a 9 is underlined to say which
    way up it is."""
    shot = ordinary_shot(rng)
    (x, y), height = shot.centre, shot.height
    below = y + height * rng.uniform(0.58, 0.7)
    half = height * rng.uniform(0.35, 0.6)
    tilt = height * rng.uniform(-0.04, 0.04)

    def draw(layer, rng):
        ends = (round(x - half), round(below - tilt)), (round(x + half), round(below + tilt))
        cv2.line(layer, *ends, 255, _pen_width(shot), cv2.LINE_AA)

    return photograph(_with_pen_marks(shot, draw), glyph, rng)


def circled(glyph, rng) -> Picture:
    """A ring drawn round the digit, left a little open, often touching it: an answer or a
    score circled."""
    shot = ordinary_shot(rng)
    (x, y), height = shot.centre, shot.height
    axes = (round(height * rng.uniform(0.62, 0.75)), round(height * rng.uniform(0.68, 0.8)))
    start = rng.uniform(0, 360)
    gap = rng.uniform(10, 40)

    def draw(layer, rng):
        centre = (round(x), round(y))
        cv2.ellipse(
            layer, centre, axes, 0, start, start + 360 - gap, 255, _pen_width(shot), cv2.LINE_AA
        )

    return photograph(_with_pen_marks(shot, draw), glyph, rng)


def printed_text(glyph, rng) -> Picture:
    """A page of print round the digit, written in the space left for it: a worksheet's
    questions above and below, and now and then words on its own line before it."""
    shot = ordinary_shot(rng)
    w, h = shot.size
    (x, y), height = shot.centre, shot.height
    cap = height * rng.uniform(0.15, 0.35)
    spacing = cap * rng.uniform(1.8, 2.4)
    clear = height * rng.uniform(0.15, 0.4)  # between the digit and the print round it
    left = w * rng.uniform(0.03, 0.1)
    ends = lambda: w * rng.uniform(0.6, 0.97)  # noqa: E731 (a ragged right margin)
    above = np.arange(y - height / 2 - clear, cap, -spacing)
    below = np.arange(y + height / 2 + clear + cap, h, spacing)
    spans = [(left, baseline, ends()) for baseline in [*above, *below]]
    if rng.random() < 0.5:  # "Answer:", on the digit's line
        spans.append((left, y + cap / 2, x - height / 2 - clear))
    colour = (rng.uniform(20, 70),) * 3
    printed = lambda page, rng: print_text(page, spans, cap, colour, rng)  # noqa: E731
    return photograph(replace(shot, printed=printed), glyph, rng)
