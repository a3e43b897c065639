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
from conftest import png_bytes, render_digit, synthetic_split
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import wild

from digitrec.imaging import light
from digitrec.imaging.lines import printed_lines
from digitrec.imaging.preprocess import to_mnist_style
from digitrec.numbers import read_number

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


def test_a_second_digit_beside_the_first_is_reported_and_the_central_one_read(recogniser):
    page = Image.new("L", (600, 300), 235)
    page.paste(render_digit(7, size=(200, 200), paper=235), (200, 50))
    page.paste(render_digit(2, size=(160, 160), paper=235), (430, 70))
    photo = np.asarray(page, np.float32) * np.linspace(1.0, 0.8, 600)[None, :]
    [result] = recogniser.recognise([Image.fromarray(photo.astype(np.uint8))])
    assert result.prediction.digit == 7
    assert result.preprocessed.several_digits


def test_the_steps_of_a_photo_show_its_light_evened_out_and_the_lines_removed(inks):
    sample = _sample("squared", inks)
    steps = to_mnist_style(Image.open(io.BytesIO(sample.image))).steps()
    assert list(steps) == ["grey", "light", "removed", "ink", "cropped", "mnist"]
    evened, removed, ink = steps["light"], steps["removed"], steps["ink"]
    paper = evened[(removed == 0) & (ink == 0)]
    assert np.percentile(paper, 1) > 200  # even, light paper wherever neither lines nor digit
    assert (removed > 0).mean() > 0.02  # the grid's lines


def _photographed(pixels: np.ndarray, seed: int = 0) -> Image.Image:
    """Grey pixels as a phone gives them: sensor noise, then JPEG."""
    noise = np.random.default_rng(seed).normal(0, 3, pixels.shape)
    grey = Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    grey.save(buffer, format="JPEG", quality=85)
    return Image.open(io.BytesIO(buffer.getvalue()))


def test_a_form_box_the_digit_touches_is_taken_out(recogniser):
    page = np.asarray(render_digit(3, size=(400, 300), scale=0.55, paper=235), np.float32).copy()
    rows = np.flatnonzero((page < 128).any(axis=1))
    top, bottom = 40, rows[-1] - 2  # the box's lower side runs through the 3's lowest stroke
    cv2.rectangle(page, (130, top), (270, int(bottom)), 70, 2)
    photo = _photographed(page)
    [result] = recogniser.recognise([photo])
    assert result.prediction.digit == 3
    ink = result.preprocessed.ink
    scale = ink.shape[1] / 400
    left_side = ink[:, round(128 * scale) : round(134 * scale) + 1]
    assert left_side.max() < 0.3  # the box's side away from the digit is gone
    assert result.preprocessed.removed_image.getbbox() is not None


def _pen_strokes_of_ones(count: int) -> wild.Inks:
    """1s as a hand writes them: one slanting stroke of a pen, 2-3 px of a 28x28 frame."""
    rng = np.random.default_rng(0)
    images = np.zeros((count, 28, 28), np.uint8)
    for image in images:
        top, foot = (int(x) for x in rng.integers(10, 18, size=2))
        cv2.line(image, (top, 4), (foot, 24), 255, int(rng.integers(2, 4)), cv2.LINE_AA)
    return wild.Inks("pen strokes", images, np.ones(count, np.int64))


def test_ones_cropped_to_their_own_width_are_read_as_ones(recogniser):
    samples = list(wild.generate("cropped-to-fill", _pen_strokes_of_ones(12), 60, seed=0))
    strips = [s for s in samples if s.size[1] > 3 * s.size[0]]  # a 1's box, not stretched
    answers = [r.prediction.digit for r in recogniser.recognise([s.image for s in strips])]
    assert len(strips) >= 12
    assert answers.count(1) >= len(strips) - 3


def test_a_page_mostly_in_a_deep_shadow_is_still_dark_ink_on_paper(recogniser):
    page = np.asarray(render_digit(6, size=(400, 300), scale=0.5, paper=235), np.float32)
    ys, xs = np.indices(page.shape)
    shadow = xs + 1.6 * ys < 620  # the digit and five sixths of the page in the shadow
    photo = _photographed(np.where(shadow, page * 0.38, page))
    [result] = recogniser.recognise([photo])
    assert result.prediction.digit == 6


def test_faint_pencil_is_found_and_blank_paper_under_the_same_light_is_not(recogniser):
    light = np.linspace(1.0, 0.85, 400)[None, :]
    faint = np.asarray(render_digit(2, size=(400, 300), scale=0.5, paper=225, ink=192))
    [written] = recogniser.recognise([_photographed(faint * light)])
    assert written.prediction.digit == 2
    [blank] = recogniser.recognise([_photographed(np.full((300, 400), 225.0) * light)])
    assert blank.preprocessed.is_blank


def test_squared_paper_whose_pale_lines_break_into_dashes_is_taken_out(recogniser, inks):
    """Reduced for its ink map, this photo's pale grid comes out as dashes where the ink is
    strong enough for marks, one of them joined to the digit: the lines are found where
    fainter ink joins the dashes up."""
    sample = _sample("squared", inks, 12)
    [result] = recogniser.recognise([sample.image])
    assert result.prediction.digit == sample.digit
    assert stray_ink(result.preprocessed.ink, sample) < STRAY_INK


def test_a_small_page_on_a_dark_table_is_dark_ink_on_paper_not_a_blackboard(recogniser):
    """The page is a tenth of the picture and the rest is dark, as on a blackboard; but it is
    one four-sided light region, which chalk strokes are not."""
    page = np.asarray(render_digit(4, size=(150, 200), scale=0.5, paper=225), np.float32)
    turn = cv2.getRotationMatrix2D((75, 100), 20, 1.0)
    turn[:, 2] += (245, 140)  # into the middle of the table
    photo = cv2.warpAffine(page, turn, (640, 480), borderValue=55)
    [result] = recogniser.recognise([_photographed(photo)])
    assert result.prediction.digit == 4 and result.prediction.is_digit


@pytest.mark.parametrize("digit", [0, 1, 7, 8])
def test_chalk_on_a_blackboard_is_still_light_ink_on_dark(recogniser, digit):
    board = np.asarray(render_digit(digit, size=(400, 300), scale=0.6, ink=230, paper=45))
    [result] = recogniser.recognise([_photographed(board.astype(np.float32))])
    assert result.prediction.digit == digit


def test_a_form_box_as_thick_as_the_pen_and_touching_the_digit_is_taken_out(recogniser):
    """Its sides are no thinner than the strokes, so only its closed, four-sided shape tells it
    from the writing; the digit's own straight strokes make no such shape."""
    page = np.full((480, 640), 235.0, np.float32)
    pen = 5
    cv2.polylines(page, [np.array([[285, 180], [360, 175], [315, 300]])], False, 60, pen)
    cv2.rectangle(page, (240, 130), (400, 300), 60, pen)  # the 7's foot on its lower side
    light = np.linspace(1.0, 0.8, 640)[None, :]
    [result] = recogniser.recognise([_photographed(page * light)])
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
    preprocessed = to_mnist_style(_photographed(page * light))
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


def test_the_lit_corner_of_a_page_in_a_deep_shadow_is_paper_not_chalk(recogniser):
    """Nine tenths of the picture in the shadow is as dark as a blackboard, and the light is
    less than chalk strokes cover; but it runs along the border, going on past the picture."""
    page = np.asarray(render_digit(5, size=(400, 300), scale=0.5, paper=235), np.float32)
    ys, xs = np.indices(page.shape)
    shadow = 2.0 * xs - ys > -150  # all but a wedge along the left border
    [result] = recogniser.recognise([_photographed(np.where(shadow, page * 0.35, page))])
    assert result.prediction.digit == 5 and result.prediction.is_digit


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
    [result] = recogniser.recognise([_photographed(page * light)])
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
    [result] = recogniser.recognise([_photographed(page)])
    assert result.prediction.digit == 0
    ink = result.preprocessed.ink
    scale = ink.shape[1] / 640
    dot = ink[round(314 * scale) : round(322 * scale), round(315 * scale) : round(326 * scale)]
    assert dot.max() < 0.3


def _bold_eight_cropped_to_fill(side: int, pen: int) -> bytes:
    """A marker's 8 on white, its box cut out as a scanner cuts it: the ink covers over four
    fifths of the picture, its paper only the corners and the loops' middles."""
    pixels = np.full((side, side), 246, np.uint8)
    cv2.ellipse(pixels, (side // 2, side * 27 // 100), (side * 2 // 9,) * 2, 0, 0, 360, 60, pen)
    bottom = (side * 27 // 100, side * 24 // 100)
    cv2.ellipse(pixels, (side // 2, side * 72 // 100), bottom, 0, 0, 360, 60, pen)
    ink = pixels < 200
    grain = np.random.default_rng(side).normal(0, 10, pixels.shape)
    pixels = np.where(ink, np.clip(60 + grain, 0, 255), pixels).astype(np.uint8)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return png_bytes(Image.fromarray(pixels[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]))


@pytest.mark.parametrize(("side", "pen"), [(40, 12), (60, 17), (80, 22)])
def test_a_bold_digit_covering_most_of_its_small_scan_is_read(recogniser, side, pen):
    image = _bold_eight_cropped_to_fill(side, pen)
    pixels = np.asarray(Image.open(io.BytesIO(image)))
    assert (pixels == 246).mean() < light.SCAN_PAPER_SHARE  # less paper than a scan has
    [result] = recogniser.recognise([image])
    assert (result.prediction.digit, result.prediction.is_digit) == (8, True)


def _shadowed_with_white(size: tuple[int, int], white: str) -> bytes:
    """A small photo of a 3 on paper in shadow (level 150) where some of it is clipped to white
    (255): a blob of glare, a lit corner, or letterbox bars. White is its commonest level, with
    nothing lighter, as a crop's paper is; the shadowed paper is not ink."""
    width, height = size
    page = np.asarray(render_digit(3, size=size, scale=0.5, paper=150, ink=40), np.float32)
    page = page + np.random.default_rng(width).normal(0, 3, page.shape)
    ys, xs = np.indices(page.shape)
    if white == "glare":  # 10-14 % of the picture, beside the digit
        clipped = (xs - 0.85 * width) ** 2 + (ys - 0.3 * height) ** 2 < (0.22 * height) ** 2
    elif white == "corner":
        clipped = xs + ys < 0.45 * height
    else:  # letterbox bars above and below
        clipped = (ys < 0.07 * height) | (ys >= 0.93 * height)
    pixels = np.clip(np.round(np.where(clipped, 255, page)), 0, 255).astype(np.uint8)
    return png_bytes(Image.fromarray(pixels))


@pytest.mark.parametrize("white", ["glare", "corner", "letterbox"])
@pytest.mark.parametrize("size", [(96, 72), (160, 120), (320, 240)])
def test_a_small_photo_in_shadow_with_white_in_it_is_not_read_as_a_crop(recogniser, white, size):
    [result] = recogniser.recognise([_shadowed_with_white(size, white)])
    assert (result.prediction.digit, result.prediction.is_digit) == (3, True)


def _dim_page_straightened_onto_white(digit: int, level: int) -> bytes:
    """An under-exposed photo of a page, straightened by 5 degrees in an editor that fills the
    new corners with white: white is its commonest level, in all four corners, and the dim
    page round the digit runs to every border, as a bold crop's ink does."""
    page = np.asarray(
        render_digit(digit, size=(200, 150), scale=0.5, paper=level, ink=level // 4), np.float32
    )
    page += np.random.default_rng(digit).normal(0, 4, page.shape)
    photo = Image.fromarray(np.clip(page, 0, 255).astype(np.uint8))
    straightened = photo.rotate(5, Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    white = (np.asarray(straightened) == 255).mean()
    assert light.CROP_PAPER_SHARE < white < light.SCAN_PAPER_SHARE
    return png_bytes(straightened)


def _strip_of_paper_across_a_desk(digit: int) -> bytes:
    """A strip of white paper lying corner to corner across a dark desk, a digit on it: less
    paper than a scan has, so the crop rule is asked."""
    desk = 40 + np.random.default_rng(digit).normal(0, 5, (90, 120))
    strip = render_digit(digit, size=(192, 14), scale=0.8, ink=30)
    angle = np.degrees(np.arctan2(90, 120))
    turned = strip.rotate(angle, Image.Resampling.BICUBIC, expand=True)
    picture = Image.fromarray(np.clip(desk, 0, 255).astype(np.uint8))
    where = ((120 - turned.width) // 2, (90 - turned.height) // 2)
    picture.paste(turned, where, Image.new("L", strip.size, 255).rotate(angle, expand=True))
    assert light.CROP_PAPER_SHARE < (np.asarray(picture) == 255).mean() < light.SCAN_PAPER_SHARE
    return png_bytes(picture)


@pytest.mark.parametrize("digit", [3, 5, 7])
def test_small_pictures_whose_ink_is_not_a_crops_are_not_read_as_crops(recogniser, digit):
    for picture in (
        _dim_page_straightened_onto_white(digit, 110),
        _dim_page_straightened_onto_white(digit, 90),
        _strip_of_paper_across_a_desk(digit),
    ):
        [result] = recogniser.recognise([picture])
        assert result.prediction.digit == digit


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
    [result] = recogniser.recognise([_photographed(page)])
    assert (result.prediction.digit, result.prediction.is_digit) == (digit, True)
    ink = result.preprocessed.ink
    scale = ink.shape[0] / 300
    assert ink[round((bottom + 8) * scale) :, :].max() < 0.3  # the underline is gone


def test_an_underlined_number_is_read_without_its_underline(recogniser):
    reading = read_number(recogniser, _photographed(_underlined("2026", (700, 300))[0]))
    assert reading.number == "2026"


@pytest.mark.parametrize("digit", [2, 7])
def test_a_digit_circled_with_a_pen_as_bold_as_its_own_is_read_without_the_ring(recogniser, digit):
    """People circle the digit that matters (an answer, a score). A ring as bold as the digit's
    strokes fills too much of its box to pass for a form's thin box."""
    page = np.asarray(render_digit(digit, size=(400, 300), scale=0.45, paper=230), np.float32)
    page = page.copy()
    rows = np.flatnonzero((page < 128).any(axis=1))
    cols = np.flatnonzero((page < 128).any(axis=0))
    centre = (round((cols[0] + cols[-1]) / 2), round((rows[0] + rows[-1]) / 2))
    radius = round(0.6 * np.hypot(cols[-1] - cols[0], rows[-1] - rows[0]))  # clear of the digit
    cv2.ellipse(page, centre, (radius, radius), 0, 25, 345, 50, 14, cv2.LINE_AA)
    [result] = recogniser.recognise([_photographed(page)])
    assert (result.prediction.digit, result.prediction.is_digit) == (digit, True)
    assert result.preprocessed.removed_image.getbbox() is not None  # the ring, taken away
