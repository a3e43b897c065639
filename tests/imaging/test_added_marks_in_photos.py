"""digitrec.imaging.added_marks in photos read whole: the digit or the number is read without
the ring round it or the line under it, and a second reading without doubtful marks is kept
only when the model is surer of it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import photographed, render_digit
from test_added_marks import _seven

from digitrec.numbers import read_number


def _ringed_number(text: str, across: float, pen: int) -> np.ndarray:
    """A photo's grey page with `text` written on it and a ring drawn round it with a pen `pen`
    px wide, its half-width `across` of the writing's width (and a margin), running into the
    writing."""
    page = np.asarray(render_digit(text, size=(700, 300), scale=0.4, paper=230), np.float32)
    page = page.copy()
    rows = np.flatnonzero((page < 128).any(axis=1))
    cols = np.flatnonzero((page < 128).any(axis=0))
    centre = (round((cols[0] + cols[-1]) / 2), round((rows[0] + rows[-1]) / 2))
    axes = (round(across * (cols[-1] - cols[0] + 20)), round(0.85 * (rows[-1] - rows[0])))
    ring = cv2.ellipse(np.zeros(page.shape, np.uint8), centre, axes, 0, 20, 340, 1, pen)
    assert (ring.astype(bool) & (page < 128)).any()  # the writing runs into the ring
    cv2.ellipse(page, centre, axes, 0, 20, 340, 50, pen, cv2.LINE_AA)
    return page


def test_a_circled_number_is_read_without_the_ring(recogniser, text="47"):
    """A total or an answer circled with a pen as bold as the writing, touching its ends."""
    page = _ringed_number(text, across=0.62, pen=14)
    assert read_number(recogniser, photographed(page)).number == text


def _underlined(text: str, size: tuple[int, int]) -> tuple[np.ndarray, int]:
    """A photo's grey page with `text` written on it and a line drawn under it, apart; and the
    row the writing ends on."""
    page = np.asarray(render_digit(text, size=size, scale=0.4, paper=230), np.float32).copy()
    rows = np.flatnonzero((page < 128).any(axis=1))
    cols = np.flatnonzero((page < 128).any(axis=0))
    under = (int(cols[0]) - 10, int(rows[-1]) + 14), (int(cols[-1]) + 10, int(rows[-1]) + 16)
    cv2.line(page, *under, 50, 5)
    return page, int(rows[-1])


@pytest.mark.parametrize("digit", [6, 9])
def test_an_underlined_digit_is_read_without_its_underline(recogniser, digit):
    """6s and 9s are underlined to say which way up they are: the line is not the digit's."""
    page, bottom = _underlined(str(digit), (400, 300))
    [result] = recogniser.recognise([photographed(page)])
    assert (result.prediction.digit, result.prediction.is_digit) == (digit, True)
    ink = result.preprocessed.ink
    scale = ink.shape[0] / 300
    assert ink[round((bottom + 8) * scale) :, :].max() < 0.3  # the underline is gone


def test_an_underlined_number_is_read_without_its_underline(recogniser):
    reading = read_number(recogniser, photographed(_underlined("2026", (700, 300))[0]))
    assert reading.number == "2026"


def test_a_seven_written_on_its_line_is_read_seven(recogniser):
    """The line touches the 7's foot: one piece of ink, read 2 with the line in it."""
    page = np.full((300, 300), 230, np.float32)
    seven = np.zeros((300, 300), np.uint8)
    _seven(seven, 8)
    line = cv2.line(np.zeros((300, 300), np.uint8), (95, 210), (215, 212), 1, 8)
    assert (seven & line).any()
    page[(seven | line) > 0] = 50
    [result] = recogniser.recognise([photographed(page)])
    assert (result.prediction.digit, result.prediction.is_digit) == (7, True)


@pytest.mark.parametrize("text", ["2026", "1984"])
def test_a_thin_ring_round_a_number_that_its_end_digits_run_into_keeps_them(recogniser, text):
    """A thin ring with digits inside is a frame; its end digits touching it are not."""
    page = _ringed_number(text, across=0.5, pen=3)
    assert read_number(recogniser, photographed(page)).number == text


@pytest.mark.parametrize("touching", [False, True])
@pytest.mark.parametrize("digit", [2, 7])
def test_a_digit_circled_with_a_pen_as_bold_as_its_own_is_read_without_the_ring(
    recogniser, digit, touching
):
    """People circle the digit that matters (an answer, a score), often touching it. A ring as
    bold as the digit's strokes fills too much of its box to pass for a form's thin box."""
    page = np.asarray(render_digit(digit, size=(400, 300), scale=0.45, paper=230), np.float32)
    page = page.copy()
    rows = np.flatnonzero((page < 128).any(axis=1))
    cols = np.flatnonzero((page < 128).any(axis=0))
    centre = (round((cols[0] + cols[-1]) / 2), round((rows[0] + rows[-1]) / 2))
    across = (cols[-1] - cols[0], rows[-1] - rows[0])
    clear = round(0.6 * np.hypot(*across))
    axes = (clear - 6,) * 2 if touching else (clear, clear)  # its corners touch it
    ring = cv2.ellipse(np.zeros(page.shape, np.uint8), centre, axes, 0, 25, 345, 1, 14)
    assert bool((ring.astype(bool) & (page < 128)).any()) == touching
    cv2.ellipse(page, centre, axes, 0, 25, 345, 50, 14, cv2.LINE_AA)
    [result] = recogniser.recognise([photographed(page)])
    assert (result.prediction.digit, result.prediction.is_digit) == (digit, True)
    assert result.preprocessed.removed_image.getbbox() is not None  # the ring, taken away


def _photo_of(mask: np.ndarray):
    page = np.full(mask.shape, 230, np.float32)
    page[mask > 0] = 50
    return photographed(page)


def _three_and_five(pen: int, size: tuple[int, int], left: int, top: int) -> list:
    """A 3 and a 5, each drawn on a mask of `size` (h, w) with its box's corner near
    (left, top): [(digit, mask)]."""
    three = np.zeros(size, np.uint8)
    cv2.ellipse(three, (left + 40, top + 38), (44, 38), 0, -160, 90, 1, pen)
    cv2.ellipse(three, (left + 40, top + 116), (50, 40), 0, -90, 160, 1, pen)
    five = np.zeros(size, np.uint8)
    cv2.line(five, (left, top), (left + 70, top), 1, pen)
    cv2.line(five, (left, top), (left - 3, top + 65), 1, pen)
    cv2.ellipse(five, (left + 25, top + 100), (45, 38), 0, -150, 150, 1, pen)
    return [(3, three), (5, five)]


@pytest.mark.parametrize("pen", [6, 10, 14])
@pytest.mark.parametrize(
    ("size", "corner", "ring"),
    [
        ((300, 300), (140, 76), ((150, 150), (100, 100))),  # round, the digit off its centre
        ((320, 300), (128, 78), ((150, 160), (72, 112))),  # an upright oval, as tall as a 0
    ],
)
def test_a_digit_touching_its_ring_is_read_without_it(recogniser, pen, size, corner, ring):
    """Shape alone keeps such a ring (a 0 written round again, or its outline, looks the same);
    the second reading, without it, is surer: a 3 whose bowls open away from the ring's centre,
    a 5 whose bar runs into the ring."""
    for digit, mask in _three_and_five(pen, size, *corner):
        cv2.ellipse(mask, *ring, 0, 100, 430, 1, pen)
        [result] = recogniser.recognise([_photo_of(mask)])
        assert (result.prediction.digit, result.prediction.is_digit) == (digit, True)
        (x, y), (across, _) = ring
        assert result.preprocessed.ink[y, x - across - 10 : x - across + 10].max() < 0.3


@pytest.mark.parametrize("pen", [4, 8, 14])
@pytest.mark.parametrize(("start", "end"), [(0, 200), (-8, 195), (-15, 185)])
def test_a_two_whose_base_is_written_apart_well_below_is_read_two(recogniser, pen, start, end):
    """The second reading takes the base off as an underline, and the model is surer of the 7
    that is left than of the 2: a 2 without its base is a 7 (PART_LEFT_OFF)."""
    two = np.zeros((300, 300), np.uint8)
    cv2.ellipse(two, (150, 120), (42, 35), 0, 180, 380, 1, pen)
    cv2.line(two, (190, 132), (108, 205), 1, pen)
    cv2.line(two, (108 + start, 228 + pen), (end, 228 + pen), 1, pen)
    [result] = recogniser.recognise([_photo_of(two)])
    assert result.prediction.digit == 2
