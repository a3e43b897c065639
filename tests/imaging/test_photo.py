"""Photos of digits written on paper: the digit is found, not the page, its light or its print.

Images come from the wild benchmark's generator (bench/wild.py) with rendered digits as ink, so
that every test knows the digit and exactly where its ink is.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import photographed, render_digit, synthetic_split
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import wild

from digitrec.imaging import light
from digitrec.imaging.lines import printed_lines
from digitrec.imaging.preprocess import to_mnist_style

# The share of the ink map's ink that may lie off the digit: its anti-aliased rim, no more.
STRAY_INK = 0.03


@pytest.fixture(scope="module")
def inks() -> wild.Inks:
    split = synthetic_split(40, seed=7)
    return wild.Inks("rendered", split.images, split.labels.astype(np.int64))


def _sample(condition: str, inks: wild.Inks, index: int = 0) -> wild.WildSample:
    [sample] = wild.generate(condition, inks, count=1, seed=0, first=index)
    return sample


def stray_ink(ink: np.ndarray, sample: wild.WildSample) -> float:
    """The share of an ink map's ink lying off the digit's true ink (grown by two pixels of the
    map, for its soft rim)."""
    truth = cv2.resize(
        sample.ink_mask().astype(np.uint8), ink.shape[::-1], interpolation=cv2.INTER_AREA
    )
    near = cv2.dilate(truth, np.ones((5, 5), np.uint8)) > 0
    return float(ink[~near].sum() / max(ink.sum(), 1e-6))


@pytest.mark.parametrize("condition", list(wild.CONDITIONS))
def test_a_digit_photographed_under_each_condition_is_read_and_its_ink_map_is_the_digit_alone(
    recogniser, inks, condition
):
    sample = _sample(condition, inks)
    [result] = recogniser.recognise([sample.image])
    assert result.prediction.digit == sample.digit
    assert stray_ink(result.preprocessed.ink, sample) < STRAY_INK


@pytest.mark.parametrize(
    "condition", ["ruled", "squared", "tilted-page", "vignette", "overexposed"]
)
def test_lines_page_edges_and_dark_corners_leave_nothing_in_the_ink_map(inks, condition):
    for index in range(3):
        sample = _sample(condition, inks, index)
        preprocessed = to_mnist_style(Image.open(io.BytesIO(sample.image)))
        assert stray_ink(preprocessed.ink, sample) < STRAY_INK, index
        assert not preprocessed.several_digits


def test_a_digit_crossing_a_ruled_line_keeps_its_strokes_where_they_cross_it():
    page = np.asarray(render_digit(4, size=(300, 300), scale=0.6), np.uint8).copy()
    digit = page < 128
    line_row = 170  # through the 4's crossbar and its upright
    page[line_row - 1 : line_row + 2, :] = np.minimum(page[line_row - 1 : line_row + 2, :], 140)
    inked = np.where(page < 200, 255, 0).astype(np.uint8)
    lines = printed_lines(inked) > 0
    crossing = digit[line_row - 1 : line_row + 2]
    assert not lines[line_row - 1 : line_row + 2][crossing].any()  # the strokes stay whole
    assert lines[line_row, :40].all() and lines[line_row, -40:].all()  # the line goes


def test_a_fold_s_creases_crossing_the_digit_at_a_slant_are_taken_out_its_strokes_kept():
    page = np.asarray(render_digit(4, size=(400, 300), scale=0.6), np.uint8).copy()
    digit = page < 128
    creases = np.zeros_like(page)
    cv2.line(creases, (0, 40), (399, 260), 255, 2)  # through the 4's crossbar and upright
    cv2.line(creases, (120, 0), (290, 299), 255, 2)
    page[creases > 0] = np.minimum(page[creases > 0], 150)
    inked = np.where(page < 200, 255, 0).astype(np.uint8)
    lines = printed_lines(inked) > 0
    assert not lines[digit & (creases > 0)].any()  # the strokes stay whole where crossed
    off_the_digit = (creases > 0) & ~cv2.dilate(digit.astype(np.uint8), np.ones((5, 5))).astype(
        bool
    )
    assert lines[off_the_digit].mean() > 0.95  # the creases go


def test_ruled_paper_turned_in_the_photo_loses_every_line_those_through_the_digit_too():
    """Twenty lines at 10 degrees: the ones the digit's strokes break get the fewest votes of
    all, and must go too."""
    page = np.asarray(render_digit(7, size=(400, 300), scale=0.6), np.uint8).copy()
    digit = page < 128
    ruled = np.zeros_like(page)
    for y in range(-60, 300, 18):
        cv2.line(ruled, (0, y), (399, y + 70), 255, 1)
    page[ruled > 0] = np.minimum(page[ruled > 0], 150)
    inked = np.where(page < 200, 255, 0).astype(np.uint8)
    lines = printed_lines(inked) > 0
    off_the_digit = (ruled > 0) & ~cv2.dilate(digit.astype(np.uint8), np.ones((5, 5))).astype(bool)
    across_the_digit = np.zeros_like(digit)
    rows, columns = np.nonzero(digit)
    across_the_digit[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1] = True
    assert lines[off_the_digit & across_the_digit].mean() > 0.95
    assert lines[off_the_digit].mean() > 0.9  # not the ends of lines that cut a corner
    assert not lines[digit].any()


def test_a_thin_stroke_that_ends_inside_the_picture_is_not_a_crease():
    """A fine pen's 1 in a close-up, the dark corners of a vignette round it as thick as a
    marker: thin beside them and straight, but it stops well short of the picture's border."""
    mask = np.full((240, 320), 255, np.uint8)
    cv2.ellipse(mask, (160, 120), (175, 135), 0, 0, 360, 0, -1)  # the dark corners are left
    cv2.line(mask, (170, 60), (150, 190), 255, 2)
    assert not printed_lines(mask)[60:190, 140:180].any()


def test_a_digit_s_own_long_slanted_stroke_is_writing_not_a_line(recogniser):
    """A 1 written across most of a close-up photo is a long straight run at a slant, but as
    thick as the writing, which it is."""
    stroke = ((190, 30), (110, 270))
    [result] = recogniser.recognise([_page_with_strokes(stroke)])
    assert (result.prediction.digit, result.prediction.is_digit) == (1, True)


@pytest.mark.parametrize("angle", [0.5, 2.2])
def test_a_folded_page_photographed_is_read_its_crease_left_out(recogniser, angle):
    """The crease through the 3 joined it to a line across the page: read 8 or 1, unsure."""
    page = np.asarray(render_digit(3, size=(400, 300), scale=0.5, paper=230), np.float32)
    ys, xs = np.indices(page.shape)
    across = (xs - 200) * np.cos(angle) + (ys - 150) * np.sin(angle)
    page *= 1 - 0.4 * np.exp(-((across / 2) ** 2)) - 0.1 * (across > 0)
    [result] = recogniser.recognise([photographed(page)])
    assert (result.prediction.digit, result.prediction.is_digit) == (3, True)
    ink = result.preprocessed.ink
    truth = cv2.resize((page < 128).astype(np.uint8), ink.shape[::-1]) > 0
    near = cv2.dilate(truth.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert ink[~near].sum() < STRAY_INK * ink.sum()


def test_a_second_digit_beside_the_first_is_reported_and_the_central_one_read(recogniser):
    page = Image.new("L", (600, 300), 235)
    page.paste(render_digit(7, size=(200, 200), paper=235), (200, 50))
    page.paste(render_digit(2, size=(160, 160), paper=235), (430, 70))
    photo = np.asarray(page, np.float32) * np.linspace(1.0, 0.8, 600)[None, :]
    [result] = recogniser.recognise([Image.fromarray(photo.astype(np.uint8))])
    assert result.prediction.digit == 7
    assert result.preprocessed.several_digits


def _page_with_strokes(*strokes: tuple[tuple[int, int], tuple[int, int]]) -> Image.Image:
    """A photo of a 300 x 300 page with lines written on it in one pen, 8 px wide."""
    page = np.full((300, 300), 232, np.float32)
    for start, end in strokes:
        cv2.line(page, start, end, 45, 8, cv2.LINE_AA)
    return photographed(page)


def test_a_seven_written_in_two_strokes_its_bar_wider_than_its_stem_is_tall_is_read_seven(
    recogniser,
):
    """The bar apart from the stem and longer than the stem is tall: as wide as a line of print,
    but placed as a 7's bar is, its right end over the stem's top."""
    bar, stem = ((80, 92), (212, 92)), ((205, 114), (168, 204))
    [result] = recogniser.recognise([_page_with_strokes(bar, stem)])
    assert (result.prediction.digit, result.prediction.is_digit) == (7, True)


@pytest.mark.parametrize("digit, strokes", [(1, [((150, 118), (144, 236))]), (4, None)])
def test_a_line_over_a_digit_reaching_past_both_its_sides_is_not_a_sevens_bar(
    recogniser, digit, strokes
):
    """A line drawn above a 1 or a 4, a little apart and wider than it is tall: not its bar."""
    four = [((200, 120), (200, 240)), ((200, 120), (118, 200)), ((118, 200), (225, 200))]
    line = ((62, 96), (250, 96))
    [result] = recogniser.recognise([_page_with_strokes(line, *(strokes or four))])
    assert (result.prediction.digit, result.prediction.is_digit) == (digit, True)


def test_the_steps_of_a_photo_show_its_light_evened_out_and_the_lines_removed(inks):
    sample = _sample("squared", inks)
    steps = to_mnist_style(Image.open(io.BytesIO(sample.image))).steps()
    assert list(steps) == ["grey", "light", "removed", "ink", "cropped", "mnist"]
    evened, removed, ink = steps["light"], steps["removed"], steps["ink"]
    paper = evened[(removed == 0) & (ink == 0)]
    assert np.percentile(paper, 1) > 200  # even, light paper wherever neither lines nor digit
    assert (removed > 0).mean() > 0.02  # the grid's lines


def test_a_form_box_the_digit_touches_is_taken_out(recogniser):
    page = np.asarray(render_digit(3, size=(400, 300), scale=0.55, paper=235), np.float32).copy()
    rows = np.flatnonzero((page < 128).any(axis=1))
    top, bottom = 40, rows[-1] - 2  # the box's lower side runs through the 3's lowest stroke
    cv2.rectangle(page, (130, top), (270, int(bottom)), 70, 2)
    photo = photographed(page)
    [result] = recogniser.recognise([photo])
    assert result.prediction.digit == 3
    ink = result.preprocessed.ink
    scale = ink.shape[1] / 400
    left_side = ink[:, round(128 * scale) : round(134 * scale) + 1]
    assert left_side.max() < 0.3  # the box's side away from the digit is gone
    assert result.preprocessed.removed_image.getbbox() is not None


def test_faint_pencil_is_found_and_blank_paper_under_the_same_light_is_not(recogniser):
    light = np.linspace(1.0, 0.85, 400)[None, :]
    faint = np.asarray(render_digit(2, size=(400, 300), scale=0.5, paper=225, ink=192))
    [written] = recogniser.recognise([photographed(faint * light)])
    assert written.prediction.digit == 2
    [blank] = recogniser.recognise([photographed(np.full((300, 400), 225.0) * light)])
    assert blank.preprocessed.is_blank


def test_squared_paper_whose_pale_lines_break_into_dashes_is_taken_out(recogniser, inks):
    """Reduced for its ink map, this photo's pale grid comes out as dashes where the ink is
    strong enough for marks, one of them joined to the digit: the lines are found where
    fainter ink joins the dashes up."""
    sample = _sample("squared", inks, 12)
    [result] = recogniser.recognise([sample.image])
    assert result.prediction.digit == sample.digit
    assert stray_ink(result.preprocessed.ink, sample) < STRAY_INK


def test_a_form_box_as_thick_as_the_pen_and_touching_the_digit_is_taken_out(recogniser):
    """Its sides are no thinner than the strokes, so only its closed, four-sided shape tells it
    from the writing; the digit's own straight strokes make no such shape."""
    page = np.full((480, 640), 235.0, np.float32)
    pen = 5
    cv2.polylines(page, [np.array([[285, 180], [360, 175], [315, 300]])], False, 60, pen)
    cv2.rectangle(page, (240, 130), (400, 300), 60, pen)  # the 7's foot on its lower side
    light = np.linspace(1.0, 0.8, 640)[None, :]
    [result] = recogniser.recognise([photographed(page * light)])
    assert result.prediction.digit == 7
    ink = result.preprocessed.ink
    scale = ink.shape[1] / 640
    assert ink[:, round(235 * scale) : round(245 * scale) + 1].max() < 0.3  # the left side


@pytest.mark.parametrize("corners", [4, 8])
def test_a_zero_drawn_square_is_writing_not_a_frame(corners):
    """Its sides are as straight as a box's and it closes, but there is nothing inside it."""
    page = np.full((480, 640), 235.0, np.float32)
    x0, y0, x1, y1, cut = 260, 120, 380, 360, 0 if corners == 4 else 20
    outline = [
        (x0 + cut, y0), (x1 - cut, y0), (x1, y0 + cut), (x1, y1 - cut),
        (x1 - cut, y1), (x0 + cut, y1), (x0, y1 - cut), (x0, y0 + cut),
    ]  # fmt: skip
    cv2.polylines(page, [np.array(outline)], True, 60, 6)
    light = np.linspace(1.0, 0.8, 640)[None, :]
    preprocessed = to_mnist_style(photographed(page * light))
    assert not preprocessed.is_blank
    scale = preprocessed.ink.shape[1] / 640
    assert preprocessed.ink[:, round(x0 * scale) - 1 : round(x0 * scale) + 2].max() > 0.5


def test_a_hard_shadow_whose_paper_is_one_flat_level_is_not_taken_for_a_scan(recogniser):
    """A deep shadow's paper can be one exact grey level over much of a photo, the sensor's
    noise too small there to spread it, as a scan's paper is; but the page lit beside it is far
    lighter, and a scan's paper is its lightest."""
    page = np.asarray(render_digit(8, size=(300, 400), scale=0.5, paper=205), np.float32)
    ys, xs = np.indices(page.shape)
    shadow = xs > 120 + 0.1 * ys  # through the 8, most of the page
    lit = page + np.random.default_rng(0).normal(0, 3, page.shape)  # noise grows with light
    pixels = np.clip(np.round(np.where(shadow, page * 0.4, lit)), 0, 255).astype(np.uint8)
    assert light.scan_paper(pixels) is None
    assert light.scan_paper(np.asarray(render_digit(8, size=(300, 400), paper=205))) == 205
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    [result] = recogniser.recognise([buffer.getvalue()])
    assert result.prediction.digit == 8


def test_a_digit_s_straight_stroke_near_a_box_side_is_writing_not_the_box():
    """A 9's stem ending just above the box's lower side, and a 7's bar just under a row of
    boxes' upper line, are thin straight runs joined to the frame by being near it; but a
    frame's lines run from side to side, and they stop short."""
    page = np.zeros((300, 400), np.uint8)
    cv2.rectangle(page, (150, 60), (250, 240), 255, 2)
    cv2.circle(page, (195, 110), 28, 255, 3)
    cv2.line(page, (222, 115), (222, 234), 255, 3)  # the 9's stem, 4 px above the side
    lines = printed_lines(page)
    assert lines[150:220, 220:225].max() == 0
    row = np.zeros((300, 600), np.uint8)
    for x in range(0, 600, 100):
        cv2.line(row, (x, 80), (x, 220), 255, 2)
    cv2.line(row, (0, 80), (599, 80), 255, 2)
    cv2.line(row, (0, 220), (599, 220), 255, 2)
    cv2.line(row, (220, 86), (275, 86), 255, 3)  # the 7's bar, under the upper line
    cv2.line(row, (275, 86), (240, 210), 255, 3)
    lines = printed_lines(row)
    assert lines[84:89, 230:265].max() == 0
    assert lines[219:222, 10:90].min() == 255  # the row's own lines are found


def test_a_box_printed_as_thick_as_a_marker_is_taken_out_and_the_stems_beside_its_sides_kept(
    recogniser,
):
    """Its sides are as wide as the marker's strokes, wider than most printed boxes: a 7 crossing
    its lower side is read alone; a 9's stem running beside a side, not touching it, is the
    9's, for the box's sides are one piece of ink and the stem another."""
    page = np.full((480, 640), 235.0, np.float32)
    marker = 13
    cv2.polylines(page, [np.array([[270, 190], [370, 185], [320, 330]])], False, 60, marker)
    cv2.rectangle(page, (220, 120), (420, 300), 60, marker)
    light = np.linspace(1.0, 0.8, 640)[None, :]
    [result] = recogniser.recognise([photographed(page * light)])
    assert result.prediction.digit == 7
    ink = result.preprocessed.ink
    scale = ink.shape[1] / 640
    assert ink[:, round(212 * scale) : round(228 * scale) + 1].max() < 0.3  # the left side
    box = np.zeros((300, 400), np.uint8)
    cv2.rectangle(box, (120, 40), (280, 240), 255, 8)
    cv2.circle(box, (222, 95), 30, 255, 8)
    cv2.line(box, (252, 60), (255, 226), 255, 8)  # the 9's stem, most of the box's height
    lines = printed_lines(box)
    assert lines[130:220, 248:260].max() == 0
    assert lines[100:200, 277:284].min() == 255  # the box's right side is found


def test_dotted_paper_s_dots_go_the_one_touching_a_zero_inside_its_loop_too(recogniser):
    page = np.full((480, 640), 235.0, np.float32)
    cv2.ellipse(page, (320, 240), (55, 90), 0, 0, 360, 60, 7)  # a 0, its loop's bottom at y 327
    for y in range(21, 480, 75):  # a dot inside the loop, just touching it, at (320, 321)
        for x in range(20, 640, 75):
            cv2.circle(page, (x, y), 4, 140, -1)
    [result] = recogniser.recognise([photographed(page)])
    assert result.prediction.digit == 0
    ink = result.preprocessed.ink
    scale = ink.shape[1] / 640
    dot = ink[round(314 * scale) : round(322 * scale), round(315 * scale) : round(326 * scale)]
    assert dot.max() < 0.3
