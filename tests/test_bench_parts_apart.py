"""bench/parts_apart.py: a 7 written in two strokes, and lines drawn over digits, as drawn."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import parts_apart


def _one() -> np.ndarray:
    """A 1 as MNIST stores one: white on black, 28 x 28, leaning right."""
    return cv2.line(np.zeros((28, 28), np.uint8), (16, 4), (12, 23), 255, 2, cv2.LINE_AA)


def _pieces(ink: np.ndarray) -> tuple[int, np.ndarray]:
    """How many pieces of ink, and each one's (x, y, w, h, area)."""
    count, _, stats, _ = cv2.connectedComponentsWithStats((ink > 0.4).astype(np.uint8))
    return count - 1, stats[1:]


@pytest.mark.parametrize("seed", range(5))
def test_a_seven_in_two_strokes_has_its_bar_apart_above_the_stem_ending_over_its_top(seed):
    drawn = parts_apart.seven_in_two_strokes(_one(), np.random.default_rng(seed))
    count, stats = _pieces(drawn)
    assert count == 2
    bar, stem = sorted(stats, key=lambda s: s[1])  # (x, y, w, h, area), the bar above
    assert bar[1] + bar[3] / 2 < stem[1]  # above it
    stem_top_x = stem[0] + stem[2]  # the 1 leans right: its top is its box's right side
    assert abs(bar[0] + bar[2] - stem_top_x) <= 0.25 * stem[3]


@pytest.mark.parametrize("seed", range(5))
def test_a_line_over_a_digit_reaches_past_both_its_sides(seed):
    drawn = parts_apart.line_over(_one(), np.random.default_rng(seed))
    count, stats = _pieces(drawn)
    assert count == 2
    line, digit = sorted(stats, key=lambda s: s[1])
    assert line[0] < digit[0] and line[0] + line[2] > digit[0] + digit[2]
    assert 1.2 * digit[3] <= line[2] <= 2.3 * digit[3]  # and its pen's round ends
