"""Dotted paper's dots taken out of an ink mask, and nothing else."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from digitrec.imaging import dots
from digitrec.imaging.dots import printed_dots

SPACING = 60
RADIUS = 3


def _dotted(shape=(300, 240), offset=(20, 25)) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    for y in range(offset[1], shape[0], SPACING):
        for x in range(offset[0], shape[1], SPACING):
            cv2.circle(mask, (x, y), RADIUS, 255, -1)
    return mask


def test_the_dots_of_dotted_paper_go_the_one_inside_a_zero_too_and_its_stroke_stays():
    mask = _dotted()
    # A 0 round the dot at (140, 145), its stroke well clear of it.
    cv2.ellipse(mask, (140, 150), (45, 70), 0, 0, 360, 255, 8)
    dots = printed_dots(mask)
    assert dots[145, 140] and dots[25, 20] and dots[265, 200]
    assert not dots[150, 95:100].any() and not dots[80, 140]


def test_a_dot_touching_a_stroke_goes_and_the_stroke_stays_whole():
    mask = _dotted()
    # A stroke whose lower edge touches the dot at (140, 145) from above.
    cv2.line(mask, (90, 137), (190, 137), 255, 8)
    before = cv2.connectedComponents(mask)[0]
    dots = printed_dots(mask)
    assert dots[147, 140] and not dots[134, 100:180].any()
    left = np.where(dots, 0, mask).astype(np.uint8)
    stroke = cv2.connectedComponents(left[100:170, 80:200])[0] - 1
    assert stroke == 1 and cv2.connectedComponents(left)[0] < before


def test_a_stroke_written_over_a_dot_keeps_it():
    mask = _dotted()
    cv2.line(mask, (140, 100), (140, 200), 255, 8)  # through the dot at (140, 145)
    dots = printed_dots(mask)
    assert dots[25, 20] and not dots[100:200, 136:145].any()


def test_specks_lying_at_random_are_not_taken_for_dots():
    rng = np.random.default_rng(0)
    mask = np.zeros((300, 240), np.uint8)
    for x, y in zip(rng.integers(5, 235, 20), rng.integers(5, 295, 20), strict=True):
        cv2.circle(mask, (int(x), int(y)), RADIUS, 255, -1)
    assert not printed_dots(mask).any()


def test_a_lattice_turned_with_the_page_is_found_too():
    mask = np.zeros((300, 300), np.uint8)
    turn = np.deg2rad(12)
    steps = SPACING * np.array([[np.cos(turn), np.sin(turn)], [-np.sin(turn), np.cos(turn)]])
    for i in range(-6, 7):
        for j in range(-6, 7):
            x, y = np.array([150.0, 150.0]) + i * steps[0] + j * steps[1]
            if 0 <= x < 300 and 0 <= y < 300:
                cv2.circle(mask, (round(x), round(y)), RADIUS, 255, -1)
    cv2.line(mask, (150, 140), (230, 140), 255, 8)  # touching the dot at (150, 150)
    dots = printed_dots(mask)
    assert dots[152, 150] and not dots[137, 160:230].any()


def test_a_picture_of_dots_touching_strokes_everywhere_is_looked_at_in_bounded_work(monkeypatch):
    """Half the places of a fine lattice hold a dot touching a short bar: the dots touching ink
    are looked for at MAX_TOUCHING places at most, the most central first."""
    mask = np.zeros((1024, 1024), np.uint8)
    mask[8::16, 8::16] = 255  # one-pixel dots 16 px apart
    for y in range(24, 1024, 32):  # every other row's dots sit on a bar 9 px long, 3 wide
        for x in range(8, 1024, 16):
            mask[y + 1 : y + 4, x - 4 : x + 5] = 255
    looked = []
    real = dots._pieces
    monkeypatch.setattr(dots, "_pieces", lambda ink: looked.append(1) or real(ink))
    taken = dots.printed_dots(mask)
    assert taken[8, 8] and taken[504, 520]  # a free dot, and a central one on its bar
    assert not taken[24, 8]  # a dot on a bar in a corner: past the places looked at
    assert len(looked) <= 2 * dots.MAX_TOUCHING


def test_a_lattice_s_step_is_found_whichever_way_its_steps_point_and_lean():
    # Steps along one row, measured both ways, their centres a fraction of a pixel off.
    steps = np.array([[20.0, 0.3], [20.0, -0.3], [-20.0, 0.3], [-20.0, -0.2], [0.2, 20.0]])
    assert np.allclose(dots._commonest_step(steps), [20.0, 0.0], atol=0.35)


@pytest.mark.parametrize("degrees", [0.0, 44.4, 75.0, 90.64, 133.1, 179.4])
def test_a_lattice_s_step_is_found_from_two_steps_whatever_their_direction(degrees):
    # Two opposite steps fill a run of equally counted bins; a search by angle from that run's
    # first bin found no step in it (NaN, then a failed least-squares fit: a squared-paper photo
    # that raised LinAlgError).
    turn = np.radians(degrees)
    step = 44.5 * np.array([np.cos(turn), np.sin(turn)])
    found = dots._commonest_step(np.stack([step, -step]))
    assert np.isfinite(found).all()
    assert np.allclose(np.abs(found), np.abs(step), atol=1e-6)
