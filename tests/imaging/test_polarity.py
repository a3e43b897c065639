"""Which way round a photo's ink is: dark on light paper, or light on dark (chalk on a
board, a screen). A dim page, a page in a deep shadow and a page on a dark table are dark as a
blackboard is, and still dark ink on paper.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import photographed, render_digit

from digitrec.imaging import photo


def test_a_page_mostly_in_a_deep_shadow_is_still_dark_ink_on_paper(recogniser):
    page = np.asarray(render_digit(6, size=(400, 300), scale=0.5, paper=235), np.float32)
    ys, xs = np.indices(page.shape)
    shadow = xs + 1.6 * ys < 620  # the digit and five sixths of the page in the shadow
    [result] = recogniser.recognise([photographed(np.where(shadow, page * 0.38, page))])
    assert result.prediction.digit == 6


def test_a_small_page_on_a_dark_table_is_dark_ink_on_paper_not_a_blackboard(recogniser):
    """The page is a tenth of the picture and the rest is dark, as on a blackboard; but it is
    one four-sided light region, which chalk strokes are not."""
    page = np.asarray(render_digit(4, size=(150, 200), scale=0.5, paper=225), np.float32)
    turn = cv2.getRotationMatrix2D((75, 100), 20, 1.0)
    turn[:, 2] += (245, 140)  # into the middle of the table
    table = cv2.warpAffine(page, turn, (640, 480), borderValue=55)
    [result] = recogniser.recognise([photographed(table)])
    assert result.prediction.digit == 4 and result.prediction.is_digit


def test_a_sticky_note_whose_digit_cuts_into_its_edges_is_a_page_a_bold_chalk_digit_is_not():
    """The note's light outline is notched wherever the strokes reach its edges, filling its
    rectangle no more than a bold chalk digit does; but its hull is its rectangle, and mostly
    light inside."""
    note = np.zeros((480, 640), np.uint8)
    corners = cv2.boxPoints(((320, 240), (140, 140), 12)).astype(np.int32)
    cv2.fillConvexPoly(note, corners, 1)
    centre = corners.mean(axis=0)
    for k in range(4):  # a stroke from the middle of each edge, 0.3 of the way across
        edge_middle = (corners[k] + corners[(k + 1) % 4]) / 2
        inward = edge_middle + 0.6 * (centre - edge_middle)
        cv2.line(note, tuple(edge_middle.astype(int)), tuple(inward.astype(int)), 0, 30)
    assert photo._holds_a_page(note.astype(bool))
    chalk = np.zeros((480, 640), np.uint8)
    cv2.ellipse(chalk, (320, 200), (45, 40), 20, 0, 360, 1, 22)  # a bold 8's two loops
    cv2.ellipse(chalk, (340, 280), (50, 45), 20, 0, 360, 1, 22)
    assert not photo._holds_a_page(chalk.astype(bool))


@pytest.mark.parametrize("digit", [0, 1, 7, 8])
def test_chalk_on_a_blackboard_is_still_light_ink_on_dark(recogniser, digit):
    board = np.asarray(render_digit(digit, size=(400, 300), scale=0.6, ink=230, paper=45))
    [result] = recogniser.recognise([photographed(board.astype(np.float32))])
    assert result.prediction.digit == digit


@pytest.mark.parametrize("digit", [0, 1, 4, 8])
def test_faint_chalk_beside_a_black_magnet_is_still_light_ink_on_dark(recogniser, digit):
    """The magnet is darker below the board than the chalk is light above it, and more than
    1 % of the picture's middle; the chalk's strokes are more of it."""
    board = np.asarray(
        render_digit(digit, size=(400, 300), scale=0.5, ink=125, paper=70, offset=(-40, 0)),
        np.float32,
    )
    board[130:152, 250:272] = 10  # the magnet, in the picture's middle half
    [result] = recogniser.recognise([photographed(board)])
    assert result.prediction.digit == digit and result.prediction.is_digit


@pytest.mark.parametrize("digit", [0, 1, 7, 8])
@pytest.mark.parametrize("noise", [4, 10])
def test_a_dim_photo_of_a_page_is_dark_ink_on_paper_not_a_blackboard(recogniser, digit, noise):
    """Paper at a quarter of its light is as dark as a blackboard, and its lightest pixels (the
    sensor's noise on the paper) are fewer than chalk strokes; but the ink is what stands out,
    far darker than the paper, where chalk is far lighter than the board."""
    page = np.asarray(render_digit(digit, size=(400, 300), scale=0.6, paper=235), np.float32)
    dim = page * 0.28 + np.random.default_rng(digit).normal(0, noise, page.shape)
    [result] = recogniser.recognise([photographed(dim)])
    assert result.prediction.digit == digit and result.prediction.is_digit


def test_the_lit_corner_of_a_page_in_a_deep_shadow_is_paper_not_chalk(recogniser):
    """Nine tenths of the picture in the shadow is as dark as a blackboard, and the light is
    less than chalk strokes cover; but it runs along the border, going on past the picture."""
    page = np.asarray(render_digit(5, size=(400, 300), scale=0.5, paper=235), np.float32)
    ys, xs = np.indices(page.shape)
    shadow = 2.0 * xs - ys > -150  # all but a wedge along the left border
    [result] = recogniser.recognise([photographed(np.where(shadow, page * 0.35, page))])
    assert result.prediction.digit == 5 and result.prediction.is_digit
