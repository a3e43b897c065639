"""digitrec.imaging.added_marks: a ring drawn round a digit and touching it is taken off it; digits
that are rings themselves, or have loops, are left whole."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from digitrec.imaging.added_marks import without_a_ring, without_an_underline


def _seven(mask: np.ndarray, pen: int) -> None:
    cv2.line(mask, (120, 100), (185, 100), 1, pen)
    cv2.line(mask, (185, 100), (140, 205), 1, pen)


@pytest.mark.parametrize("pen", [4, 8])
def test_a_ring_round_a_digit_touching_it_is_taken_off_and_the_digit_kept(pen):
    mask = np.zeros((300, 300), np.uint8)
    _seven(mask, pen)
    cv2.ellipse(mask, (152, 152), (78, 75), 0, 15, 335, 1, pen)  # drawn round, left a little open
    cv2.line(mask, (140, 205), (130, 225), 1, pen)  # the 7's foot runs into the ring
    kept = without_a_ring(mask.astype(bool))
    assert kept[100, 150] and kept[160, 162]  # the 7's bar and stem
    assert not kept[152, 152 - 78] and not kept[152 - 75, 152]  # the ring's left and top
    assert kept.sum() < 0.6 * mask.sum()


def _zero(mask, pen):
    cv2.ellipse(mask, (150, 150), (55, 85), 0, 0, 360, 1, pen)


def _eight(mask, pen):
    cv2.ellipse(mask, (150, 100), (40, 40), 0, 0, 360, 1, pen)
    cv2.ellipse(mask, (150, 195), (52, 55), 0, 0, 360, 1, pen)


def _six(mask, pen):
    cv2.ellipse(mask, (150, 190), (50, 50), 0, 0, 360, 1, pen)
    cv2.ellipse(mask, (205, 190), (105, 140), 0, 180, 250, 1, pen)


def _nine(mask, pen):
    cv2.ellipse(mask, (150, 110), (50, 50), 0, 0, 360, 1, pen)
    cv2.line(mask, (198, 115), (185, 260), 1, pen)


def _closed_four(mask, pen):
    cv2.polylines(mask, [np.array([[170, 60], [100, 180], [210, 180]])], True, 1, pen)
    cv2.line(mask, (170, 60), (170, 250), 1, pen)


@pytest.mark.parametrize("draw", [_zero, _eight, _six, _nine, _closed_four])
@pytest.mark.parametrize("pen", [3, 8, 16])
def test_digits_with_loops_are_left_whole(draw, pen):
    mask = np.zeros((300, 300), np.uint8)
    draw(mask, pen)
    assert np.array_equal(without_a_ring(mask.astype(bool)), mask.astype(bool))


def test_no_ink_is_left_as_it_is():
    empty = np.zeros((40, 40), bool)
    assert not without_a_ring(empty).any()


def test_a_one_inside_a_ring_clear_of_it_is_kept_however_light_beside_a_thick_ring():
    mask = np.zeros((300, 300), np.uint8)
    cv2.ellipse(mask, (150, 150), (95, 105), 0, 30, 330, 1, 16)
    cv2.line(mask, (160, 85), (140, 215), 1, 5)  # a 1 a fifth of the ink, not touching
    kept = without_a_ring(mask.astype(bool))
    assert kept[150, 150] and not kept[150, 150 - 95]


def test_a_slashed_zero_keeps_its_slash_and_its_ring():
    mask = np.zeros((300, 300), np.uint8)
    _zero(mask, 8)
    cv2.line(mask, (195, 75), (105, 225), 1, 6)  # the slash, joined to the ring at both ends
    assert np.array_equal(without_a_ring(mask.astype(bool)), mask.astype(bool))


@pytest.mark.parametrize("pen", [3, 8])
def test_a_line_under_a_digit_and_apart_from_it_is_taken_off(pen):
    mask = np.zeros((300, 300), np.uint8)
    _nine(mask, pen)
    cv2.line(mask, (100, 268 + pen), (220, 270 + pen), 1, pen)
    kept = without_an_underline(mask.astype(bool))
    assert kept[110, 100] and kept[250, 186]
    assert not kept[269 + pen, 160]


def test_a_twos_base_joined_to_it_and_a_stroke_low_beside_a_digit_stay():
    two = np.zeros((300, 300), np.uint8)
    cv2.ellipse(two, (150, 110), (40, 35), 0, 180, 360, 1, 8)
    cv2.line(two, (190, 110), (112, 225), 1, 8)
    cv2.line(two, (112, 225), (200, 228), 1, 8)  # the base, one stroke with the rest
    assert np.array_equal(without_an_underline(two.astype(bool)), two.astype(bool))
    seven = np.zeros((300, 300), np.uint8)
    _seven(seven, 8)
    cv2.line(seven, (100, 235), (120, 238), 1, 8)  # a short dash below: too narrow for a line
    assert np.array_equal(without_an_underline(seven.astype(bool)), seven.astype(bool))
