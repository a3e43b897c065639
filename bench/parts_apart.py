"""Photos of digits with a part written apart, and of digits with a line drawn over them: a
development check of which marks `digitrec.imaging.central_digit` joins to the digit.

    .venv/bin/python bench/parts_apart.py --data-dir ../shared/mnist [--count 150] [--seed 0]

A 7 written in two strokes has its bar apart from its stem; a line drawn over a 1 or a 4 is
not its bar. The ink is the *held-out training* digits (as bench/wild_failures.py), written
with a pen on paper and photographed as bench/wild.py does. Each family prints how many of its
photos are read as the digit written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from wild import encoded
from wild_failures import held_out_inks
from wild_render import glyph_of
from wild_shot import ordinary_shot, photograph

SCALE = 4  # 28x28 digits enlarged before they are cut or drawn on, so gaps are not blocky


def _enlarged(image: np.ndarray) -> np.ndarray:
    return cv2.resize(image.astype(np.float32) / 255, None, fx=SCALE, fy=SCALE)


def _pen(ink: np.ndarray) -> int:
    """The digit's stroke width, px."""
    depth = cv2.distanceTransform((ink > 0.4).astype(np.uint8), cv2.DIST_L2, 3)
    return max(3, round(2 * float(np.percentile(depth[depth > 0], 95))))


def _with_line(ink: np.ndarray, left: float, right: float, lowest: float, pen: int, rng):
    """(`ink` padded by its height all round, with a straight stroke from x `left` to `right`,
    a little sloped, its lower edge reaching row `lowest` at most; the padding, px)."""
    pad = ink.shape[0]
    canvas = np.pad(ink, pad)
    tilt = rng.uniform(-0.04, 0.04) * (right - left)
    y = lowest - pen / 2 - abs(tilt) - 1  # a pixel more for the antialiased edge
    ends = (round(left + pad), round(y + pad - tilt)), (round(right + pad), round(y + pad + tilt))
    layer = cv2.line(np.zeros(canvas.shape, np.uint8), *ends, 255, pen, cv2.LINE_AA)
    return np.maximum(canvas, layer.astype(np.float32) / 255), pad


def _extent(ink: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the ink."""
    rows = np.flatnonzero((ink > 0.4).any(axis=1))
    cols = np.flatnonzero((ink > 0.4).any(axis=0))
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


def _one_enlarged(one: np.ndarray) -> tuple[np.ndarray, int, int, int, float]:
    """A 1 enlarged: (its ink, its top row, its height, its pen, its top's column)."""
    ink = _enlarged(one)
    top, bottom, _, _ = _extent(ink)
    height, pen = bottom - top + 1, _pen(ink)
    x_top = float(np.flatnonzero(ink[top + pen // 2] > 0.4).mean())
    return ink, top, height, pen, x_top


def _over_the_top(one: np.ndarray, rng, widths: tuple[float, float]):
    """A 1 with a line above it ending over its top, as a 7's bar does: (its padded canvas,
    the padding, the line's left end, its top row, the 1's height and pen), the line
    `widths` times the 1's height wide."""
    ink, top, height, pen, x_top = _one_enlarged(one)
    right = x_top + rng.uniform(-0.05, 0.15) * height
    left = right - rng.uniform(*widths) * height
    lowest = top - rng.uniform(0.04, 0.12) * height
    canvas, pad = _with_line(ink, left, right, lowest, pen, rng)
    line_top = int(np.flatnonzero(canvas[:, round(left + pad + pen)] > 0.4)[0])
    return canvas, pad, left, line_top, height, pen


def seven_in_two_strokes(one: np.ndarray, rng) -> np.ndarray:
    """A 1's stroke as a 7's stem, its bar written apart above it, ending over its top."""
    return _over_the_top(one, rng, (0.6, 1.5))[0]


def one_under_underlined_figures(one: np.ndarray, rng) -> np.ndarray:
    """A row of figures underlined, and a 1 under the line's end: the line is the
    row's, not a 7's bar (a total under a column of figures)."""
    canvas, pad, left, line_top, height, pen = _over_the_top(one, rng, (1.2, 1.8))
    figures = "".join(rng.choice(list("0123456789"), int(rng.integers(3, 6))))
    font = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX
    scale = 0.35 * height / cv2.getTextSize("8", font, 1.0, 1)[0][1]
    baseline = round(line_top - rng.uniform(0.08, 0.2) * height)
    written = np.zeros(canvas.shape, np.uint8)
    cv2.putText(written, figures, (round(left + pad), baseline), font, scale, 255, pen, cv2.LINE_AA)
    return np.maximum(canvas, written.astype(np.float32) / 255)


def one_under_a_word_struck_out(one: np.ndarray, rng) -> np.ndarray:
    """A word written and struck out with a zigzag above a 1, ending over its top: not a 7's
    bar."""
    ink, top, height, pen, x_top = _one_enlarged(one)
    pad = ink.shape[0]
    canvas = np.pad(ink, pad)
    right = x_top + pad + rng.uniform(-0.05, 0.15) * height
    width, rise = rng.uniform(1.2, 1.8) * height, rng.uniform(0.25, 0.4) * height
    low = top + pad - rng.uniform(0.06, 0.15) * height - pen
    word = "".join(rng.choice(list("acemnorsuvwxz"), int(rng.integers(3, 7))))
    font = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX
    text_width, text_height = cv2.getTextSize(word, font, 1.0, 1)[0]
    scale = min(width / text_width, rise / text_height)
    struck = np.zeros(canvas.shape, np.uint8)
    at = (round(right - width), round(low))
    cv2.putText(struck, word, at, font, scale, 255, max(1, round(0.6 * pen)), cv2.LINE_AA)
    turns = int(rng.integers(3, 7))
    xs = np.linspace(right - width, right, 2 * turns + 1)
    points = np.stack([xs, low - rise * (np.arange(len(xs)) % 2)], axis=1)
    cv2.polylines(struck, [np.round(points).astype(np.int32)], False, 255, pen)
    return np.maximum(canvas, struck.astype(np.float32) / 255)


def line_over(digit: np.ndarray, rng, offset: float = 0.0) -> np.ndarray:
    """A line in the digit's pen drawn above it, 1.2 to 2 times its height wide, centred over
    it (or moved `offset` of its width to either side)."""
    ink = _enlarged(digit)
    top, bottom, left, right = _extent(ink)
    height, pen = bottom - top + 1, _pen(ink)
    width = rng.uniform(1.2, 2.0) * height
    middle = (left + right) / 2 + rng.choice([-1, 1]) * offset * width
    lowest = top - rng.uniform(0.06, 0.2) * height
    return _with_line(ink, middle - width / 2, middle + width / 2, lowest, pen, rng)[0]


# family: (digit written, digit whose ink is used, how it is drawn)
FAMILIES: dict[str, tuple[int, int, Callable]] = {
    "7 in two strokes": (7, 1, seven_in_two_strokes),
    "1 under a line": (1, 1, line_over),
    "4 under a line": (4, 4, line_over),
    "9 under a line": (9, 9, line_over),
    "7 under a line": (7, 7, line_over),
    "1 under a line to a side": (1, 1, lambda ink, rng: line_over(ink, rng, 0.35)),
    "1 under figures underlined": (1, 1, one_under_underlined_figures),
    "1 under a word struck out": (1, 1, one_under_a_word_struck_out),
}


def photos(family: str, inks, count: int, seed: int):
    """(digit written, photo bytes) for `count` photos of `family`."""
    digit, ink_of, draw = FAMILIES[family]
    rng = np.random.default_rng([seed, list(FAMILIES).index(family)])
    pool = np.flatnonzero(inks.labels == ink_of)
    for _ in range(count):
        glyph = glyph_of(draw(inks.images[pool[rng.integers(len(pool))]], rng))
        yield digit, encoded(photograph(ordinary_shot(rng), glyph, rng))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/mnist")
    parser.add_argument("--count", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from digitrec.inference import Recogniser

    recogniser = Recogniser(None)
    inks = held_out_inks(args.data_dir)
    for family in FAMILIES:
        right = sum(
            recogniser.recognise([photo])[0].prediction.digit == digit
            for digit, photo in photos(family, inks, args.count, args.seed)
        )
        print(f"{family:<26} {right:4d} / {args.count}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
