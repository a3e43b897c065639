"""Which marks on a page are writing, and which of them make the one digit."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from digitrec.imaging.central_digit import central_digit
from digitrec.imaging.marks import marks_of, mask_of, writing


def _marks(mask: np.ndarray):
    return marks_of(mask, (mask > 0).astype(np.float32))


def _label_at(marks, x: int, y: int) -> int:
    return int(marks.labels[y, x])


def test_a_thin_digit_whose_box_holds_the_centre_of_a_row_of_boxes_round_it_is_kept():
    mask = np.zeros((300, 400), np.uint8)
    for left in range(-20, 400, 120):  # a row of form boxes, one mark across the image
        cv2.rectangle(mask, (left, 60), (left + 120, 240), 255, 3)
    # A thin 7 in the box from x = 100 to 220, its box over the row's centre (200, 150).
    cv2.polylines(mask, [np.array([[140, 90], [205, 90], [160, 215]])], False, 255, 3)
    marks = _marks(mask)
    kept = writing(marks)
    assert kept[_label_at(marks, 170, 90)]  # the 7's bar
    assert not kept[_label_at(marks, 50, 60)]  # the boxes
    chosen, several = central_digit(marks, kept)
    assert mask_of(marks, chosen)[90, 140:206].all() and not several


def test_a_box_drawn_round_a_digit_is_not_writing():
    mask = np.zeros((300, 300), np.uint8)
    cv2.rectangle(mask, (80, 50), (220, 250), 255, 3)
    cv2.line(mask, (150, 90), (150, 210), 255, 6)
    marks = _marks(mask)
    kept = writing(marks)
    assert kept[_label_at(marks, 150, 150)] and not kept[_label_at(marks, 80, 150)]


def test_a_digit_broken_across_is_read_whole_its_wider_and_taller_half_included():
    mask = np.zeros((300, 300), np.uint8)
    cv2.ellipse(mask, (150, 135), (30, 35), 0, 0, 360, 255, 8)  # an 8's upper loop...
    cv2.ellipse(mask, (150, 230), (42, 48), 0, 0, 360, 255, 8)  # ...its lower one, apart
    marks = _marks(mask)
    chosen, several = central_digit(marks, writing(marks))
    whole = mask_of(marks, chosen)
    assert whole[100, 150] and whole[278, 150] and not several


def test_a_digit_beside_the_central_one_is_another_digit_not_a_part_of_it():
    mask = np.zeros((300, 400), np.uint8)
    cv2.ellipse(mask, (200, 150), (40, 70), 0, 0, 360, 255, 8)  # a 0 in the middle
    cv2.line(mask, (280, 90), (280, 210), 255, 8)  # a 1 beside it
    marks = _marks(mask)
    chosen, several = central_digit(marks, writing(marks))
    whole = mask_of(marks, chosen)
    assert whole[150, 160] and not whole[150, 280] and several


def test_a_fives_bar_written_apart_and_reaching_past_its_body_is_part_of_it():
    mask = np.zeros((300, 300), np.uint8)
    cv2.line(mask, (140, 70), (250, 70), 255, 8)  # the bar, apart, reaching right
    cv2.line(mask, (125, 85), (125, 140), 255, 8)  # the upright
    cv2.ellipse(mask, (140, 180), (40, 40), 0, -100, 130, 255, 8)  # the belly
    marks = _marks(mask)
    chosen, several = central_digit(marks, writing(marks))
    whole = mask_of(marks, chosen)
    assert whole[70, 245] and whole[180, 180] and not several


def test_a_three_broken_in_three_pieces_is_read_whole_each_piece_near_the_next():
    mask = np.zeros((300, 300), np.uint8)
    cv2.ellipse(mask, (150, 100), (40, 30), 0, -160, 80, 255, 8)  # the upper bow
    cv2.line(mask, (162, 145), (185, 145), 255, 8)  # the middle, a few px below it
    cv2.ellipse(mask, (145, 190), (48, 30), 0, -70, 160, 255, 8)  # the lower bow, wider
    marks = _marks(mask)
    chosen, several = central_digit(marks, writing(marks))
    whole = mask_of(marks, chosen)
    assert whole[100, 190] and whole[145, 175] and whole[190, 193] and not several


def test_a_sevens_bar_written_apart_and_wider_than_its_stem_is_part_of_it():
    mask = np.zeros((300, 300), np.uint8)
    cv2.line(mask, (100, 80), (165, 80), 255, 8)  # the bar, ending 7 px short of the stem
    cv2.line(mask, (180, 80), (165, 230), 255, 8)  # the stem, a third as wide as the bar
    marks = _marks(mask)
    chosen, several = central_digit(marks, writing(marks))
    whole = mask_of(marks, chosen)
    assert whole[80, 105] and whole[200, 168] and not several


def test_a_sevens_bar_written_apart_wider_than_its_stem_is_tall_is_part_of_it_first():
    """As wide as a line of print beside the stem, but ending over the stem's top: the 7's bar
    in the first reading, left out of the second (the model keeps a 7 over a 1)."""
    mask = np.zeros((300, 300), np.uint8)
    cv2.line(mask, (80, 92), (212, 92), 255, 8)  # the bar, 1.4 times the stem's height wide
    cv2.line(mask, (205, 114), (168, 204), 255, 8)  # the stem
    marks = _marks(mask)
    first, _ = central_digit(marks, writing(marks))
    doubtful, _ = central_digit(marks, writing(marks), doubtful=True)
    assert mask_of(marks, first)[92, 100] and mask_of(marks, first)[180, 178]
    assert not mask_of(marks, doubtful)[92, 100] and mask_of(marks, doubtful)[180, 178]


def test_a_line_over_a_one_reaching_past_its_right_side_is_not_its_bar():
    mask = np.zeros((300, 300), np.uint8)
    cv2.line(mask, (150, 118), (144, 236), 255, 8)  # the 1
    cv2.line(mask, (62, 96), (250, 96), 255, 8)
    marks = _marks(mask)
    chosen, _ = central_digit(marks, writing(marks))
    assert mask_of(marks, chosen)[180, 147] and not mask_of(marks, chosen)[96, 140]


def test_a_line_centred_over_a_zero_is_not_a_bar_though_it_ends_near_its_side():
    """Over a wide digit a centred line ends near its sides; the 0's top is under its middle,
    where a 7's stem never starts."""
    mask = np.zeros((300, 300), np.uint8)
    cv2.ellipse(mask, (150, 180), (40, 60), 0, 0, 360, 255, 8)  # the 0, 128 px tall
    cv2.line(mask, (74, 96), (226, 96), 255, 8)  # 160 px wide, 36 px past each side
    marks = _marks(mask)
    chosen, _ = central_digit(marks, writing(marks))
    assert mask_of(marks, chosen)[180, 110] and not mask_of(marks, chosen)[96, 150]


def _one_under(line: np.ndarray) -> np.ndarray:
    """`line` (a mask ending over x = 200) with a 1 written under its end, apart from it."""
    mask = line.copy()
    cv2.line(mask, (203, 118), (196, 236), 255, 8)
    return mask


def _joined_over_the_one(mask: np.ndarray) -> bool:
    marks = _marks(mask)
    chosen, _ = central_digit(marks, writing(marks))
    whole = mask_of(marks, chosen)
    assert whole[180, 199]
    return bool(whole[:104].any())


def test_a_line_under_writing_ending_over_a_ones_top_is_not_its_bar():
    """A row of figures underlined, the 1 written under the line's end: the line is the row's."""
    line = cv2.line(np.zeros((300, 300), np.uint8), (55, 96), (205, 96), 255, 8)
    assert _joined_over_the_one(_one_under(line))  # the shape of a 7 with its bar apart
    cv2.putText(line, "523", (70, 82), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 255, 6)
    assert not _joined_over_the_one(_one_under(line))


def test_a_line_running_off_the_picture_ending_over_a_ones_top_is_not_its_bar():
    """A rule of a table cut by the photo's edge, ending just past the 1 in its last column
    (its ink a pixel short of the edge: ink touching it would be the page's or the table's)."""
    line = cv2.line(np.zeros((300, 300), np.uint8), (120, 96), (205, 96), 255, 8)
    assert _joined_over_the_one(_one_under(line))
    cv2.line(line, (5, 96), (205, 96), 255, 8)
    assert not line[:, 0].any() and line[:, 1].any()
    assert not _joined_over_the_one(_one_under(line))


@pytest.mark.parametrize("stroke", ["zigzag", "scribble", "marker"])
def test_a_word_struck_out_or_a_markers_stroke_ending_over_a_ones_top_is_not_its_bar(stroke):
    """A zigzag fills little of its hull; a dense scribble fills it, but is as tall as its
    rise; a marker's stroke is twice the 1's pen."""
    line = np.zeros((300, 300), np.uint8)
    if stroke in ("zigzag", "scribble"):
        step, rise, pen = (15, 20, 6) if stroke == "zigzag" else (6, 16, 8)
        points = [[55 + step * i, 100 - rise * (i % 2)] for i in range(150 // step + 1)]
        cv2.polylines(line, [np.array(points)], False, 255, pen)
    else:
        cv2.line(line, (55, 90), (205, 90), 255, 16)  # twice the 1's pen
    assert not _joined_over_the_one(_one_under(line))


def test_a_box_as_thick_as_the_pen_round_a_digit_is_not_writing():
    mask = np.zeros((300, 300), np.uint8)
    cv2.rectangle(mask, (90, 60), (210, 240), 255, 14)  # its ink fills more than a fifth
    cv2.line(mask, (150, 95), (150, 205), 255, 10)
    marks = _marks(mask)
    kept = writing(marks)
    assert kept[_label_at(marks, 150, 150)] and not kept[_label_at(marks, 90, 150)]


@pytest.mark.parametrize("squareness", [3.0, 4.0])
def test_a_small_squarish_zero_holding_a_dot_is_writing_not_a_box(squareness):
    """Its outline fills less of its box than a printed box's does: measured against its box
    turned as it lies, an upright mark's box is its upright box, as large as it always was."""
    mask = np.zeros((160, 160), np.uint8)
    turn = np.linspace(0, 2 * np.pi, 400)
    c, s = np.cos(turn), np.sin(turn)
    x = 80 + 36 * np.sign(c) * np.abs(c) ** (2 / squareness)
    y = 80 + 40 * np.sign(s) * np.abs(s) ** (2 / squareness)
    cv2.polylines(mask, [np.stack([x, y], 1).round().astype(np.int32)], True, 255, 8)
    cv2.circle(mask, (80, 80), 5, 255, -1)
    marks = _marks(mask)
    assert writing(marks)[_label_at(marks, 80, 40)]


def test_a_seven_holding_the_centre_of_its_bars_broken_end_is_not_a_frame_round_it():
    mask = np.zeros((300, 300), np.uint8)
    cv2.line(mask, (120, 80), (200, 80), 255, 3)  # the bar...
    cv2.line(mask, (200, 80), (150, 230), 255, 3)  # ...and the stem: one thin stroke
    cv2.line(mask, (110, 88), (128, 88), 255, 3)  # a piece of the bar's end, broken off
    marks = _marks(mask)
    kept = writing(marks)
    assert kept[_label_at(marks, 180, 140)]


def test_a_sevens_bar_ending_an_eighth_of_its_height_short_of_the_stem_is_part_of_it():
    """Pencil skips where the bar turns into the stem: the gap is wider than a dilation joins."""
    mask = np.zeros((300, 300), np.uint8)
    cv2.line(mask, (100, 80), (168, 80), 255, 8)  # the bar
    cv2.line(mask, (190, 95), (170, 200), 255, 8)  # the stem, starting below and right of it
    marks = _marks(mask)
    chosen, several = central_digit(marks, writing(marks))
    whole = mask_of(marks, chosen)
    assert whole[80, 105] and whole[150, 180] and not several


def test_a_twos_base_written_apart_from_the_end_of_its_stroke_is_part_of_it():
    mask = np.zeros((300, 300), np.uint8)
    cv2.ellipse(mask, (150, 110), (40, 35), 0, 180, 360, 255, 8)  # the 2's bow
    cv2.line(mask, (190, 110), (112, 225), 255, 8)  # its stroke down to the left
    cv2.line(mask, (122, 228), (200, 228), 255, 8)  # the base, begun again beside its end
    marks = _marks(mask)
    chosen, _ = central_digit(marks, writing(marks))
    assert mask_of(marks, chosen)[228, 190]


@pytest.mark.parametrize("print_pen", [2, 6])
def test_print_round_a_digit_is_not_part_of_it_however_near(print_pen):
    """A worksheet's words above and below the digit, as near as its own parts come: shorter
    than half the digit, and printed finer than its pen, or words on a line (here bold, each
    word's letters run together)."""
    mask = np.zeros((400, 400), np.uint8)
    cv2.line(mask, (150, 130), (250, 130), 255, 10)  # a 7, its bar and its stem
    cv2.line(mask, (250, 130), (190, 280), 255, 10)
    printed = np.zeros_like(mask)
    for baseline in (70, 110, 320, 360):
        cv2.putText(printed, "add the total", (40, baseline), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 255)
    mask |= cv2.dilate(printed, np.ones((print_pen, print_pen), np.uint8))  # OpenCV prints thin
    marks = _marks(mask)
    chosen, several = central_digit(marks, writing(marks))
    whole = mask_of(marks, chosen)
    assert whole[130, 200] and whole[250, 200]
    assert not whole[:118].any() and not whole[292:].any() and not several


@pytest.mark.parametrize("skip", [1, 2, 3])
def test_a_sevens_bar_written_apart_with_an_ink_skip_in_it_is_part_of_it(skip):
    """A felt-tip skips and leaves paper inside the bar: short, wide and holding a hole, as a
    bold printed word holds its letters' eyes, but the 7's bar all the same."""
    mask = np.zeros((300, 300), np.uint8)
    cv2.line(mask, (105, 77), (195, 75), 255, 10)  # the bar
    cv2.circle(mask, (150, 76), skip, 0, -1)  # where the pen skipped
    cv2.line(mask, (190, 93), (130, 235), 255, 10)  # the stem, apart from it
    marks = _marks(mask)
    chosen, _ = central_digit(marks, writing(marks))
    assert mask_of(marks, chosen)[76, 120]


@pytest.mark.parametrize("word", ["date", "there"])
@pytest.mark.parametrize("print_pen", [3, 5])
def test_a_bold_word_just_above_a_digit_is_print_by_its_letters_eyes_when_doubtful(word, print_pen):
    """One word, its letters run together, as short and as wide as a 5's bar written apart
    and as near: shape joins it to the 5, and a second reading leaves it out by the paper its
    letters enclose (an a's, a d's, an e's eye)."""
    mask = np.zeros((400, 360), np.uint8)
    cv2.line(mask, (150, 150), (230, 150), 255, 10)  # a 5's bar
    cv2.line(mask, (150, 150), (145, 215), 255, 10)  # its stem
    cv2.ellipse(mask, (180, 250), (50, 45), 0, -150, 150, 255, 10)  # its bowl
    printed = np.zeros_like(mask)
    cv2.putText(printed, word, (130, 132), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 255, 2)
    mask |= cv2.dilate(printed, np.ones((print_pen, print_pen), np.uint8))
    marks = _marks(mask)
    first, _ = central_digit(marks, writing(marks))
    chosen, several = central_digit(marks, writing(marks), doubtful=True)
    whole = mask_of(marks, chosen)
    assert whole[150, 190] and whole[250, 230] and not whole[:140].any() and not several
    assert mask_of(marks, first)[:140].any()


def test_a_line_of_two_bold_words_over_a_digit_is_print_not_its_bar():
    """Two words, their letters run together, wider than the digit is tall: a line of print.
    A 5's bar, or a 7's, is narrower than its digit is tall."""
    mask = np.zeros((400, 400), np.uint8)
    cv2.line(mask, (150, 140), (250, 140), 255, 10)  # a 7
    cv2.line(mask, (250, 140), (190, 290), 255, 10)
    printed = np.zeros_like(mask)
    cv2.putText(printed, "seven are", (100, 115), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 255)
    mask |= cv2.dilate(printed, np.ones((5, 5), np.uint8))
    marks = _marks(mask)
    chosen, several = central_digit(marks, writing(marks))
    whole = mask_of(marks, chosen)
    assert whole[140, 200] and not whole[:125].any() and not several


def test_a_line_of_bold_print_heavier_than_a_fine_digit_does_not_take_its_place():
    """Bold words whose letters run together outweigh a 1 written with a fine pen, near the
    centre as they are: they are still print, shorter than the 1 and many times wider."""
    mask = np.zeros((300, 240), np.uint8)
    cv2.line(mask, (118, 95), (112, 175), 255, 4)  # a fine 1
    printed = np.zeros_like(mask)
    cv2.putText(printed, "equals there", (15, 225), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 255, 3)
    mask |= cv2.dilate(printed, np.ones((5, 5), np.uint8))
    marks = _marks(mask)
    assert marks.mass[_label_at(marks, 115, 140)] < 0.5 * marks.mass.max()  # the print's
    chosen, several = central_digit(marks, writing(marks))
    whole = mask_of(marks, chosen)
    assert whole[140, 115] and not whole[190:].any() and not several


def test_a_digit_no_word_stays_the_digit_though_a_fainter_taller_mark_sets_the_height():
    """A crease or a shadow's sliver, over half the digit's weight and twice its height, sets
    the height print falls short of; the digit, short beside it but no wider than a word is,
    is still the one read."""
    mask = np.zeros((260, 300), np.uint8)
    cv2.ellipse(mask, (185, 110), (22, 18), 0, 0, 360, 255, 7)  # a squat 0
    strength = (mask > 0).astype(np.float32)
    cv2.line(mask, (140, 40), (140, 180), 255, 5)  # a long fainter sliver beside it
    strength[(mask > 0) & (strength == 0)] = 0.9
    marks = marks_of(mask, strength)
    zero, sliver = _label_at(marks, 207, 110), _label_at(marks, 140, 110)
    assert 0.5 * marks.mass[zero] < marks.mass[sliver] < marks.mass[zero]
    chosen, _ = central_digit(marks, writing(marks))
    whole = mask_of(marks, chosen)
    assert whole[110, 207] and not whole[110, 140]


@pytest.mark.parametrize("line_length", [250, 400])
def test_a_digit_joined_to_a_long_underline_is_still_the_digit(line_length):
    """The only mark, many times as wide as tall: no contender is narrow, and the mark itself
    sets the digit's height (the paper is never chosen)."""
    mask = np.zeros((300, 460), np.uint8)
    cv2.line(mask, (180, 90), (240, 90), 255, 6)  # a 7 standing on a long line
    cv2.line(mask, (240, 90), (205, 185), 255, 6)
    cv2.line(mask, (230 - line_length // 2, 188), (230 + line_length // 2, 188), 255, 5)
    marks = _marks(mask)
    chosen, _ = central_digit(marks, writing(marks))
    assert not chosen[0] and mask_of(marks, chosen)[90, 200]


@pytest.mark.parametrize("tilt", [0.0, 3.0, -5.0])
@pytest.mark.parametrize("pen", [3, 14])
def test_a_tilted_row_of_a_forms_boxes_round_a_digit_is_not_writing(tilt, pen):
    """Its dividers lie deep in its hull, as a number's digits joined to a ring do; but the
    row is a rectangle however it is turned, and no ring; printed as thick as a marker, its
    outline fills its turned box as an upright one's fills its box."""
    mask = np.zeros((300, 460), np.uint8)
    for left in range(80, 380, 60):
        cv2.rectangle(mask, (left, 110), (left + 60, 190), 255, pen)
    turn = cv2.getRotationMatrix2D((230, 150), tilt, 1.0)
    mask = cv2.warpAffine(mask, turn, (460, 300), flags=cv2.INTER_NEAREST)
    cv2.line(mask, (232, 125), (226, 175), 255, 7)  # a 1 in the middle box
    marks = _marks(mask)
    kept = writing(marks)
    assert kept[_label_at(marks, 229, 150)] and kept.sum() == 1
