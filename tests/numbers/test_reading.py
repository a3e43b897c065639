"""digitrec.numbers.reading: numbers read from images with the bundled model, left to right, boxes in the
original image; the API shape and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import png_bytes, render_digit
from number_images import (
    compose,
    five_with_detached_bar,
    five_with_shifted_bar,
    glyph,
    number_of,
    on_paper,
    sheared,
    touching,
)
from PIL import Image

from digitrec.inference import Prediction
from digitrec.numbers import choose_mode, read_number
from digitrec.numbers.reading import DigitReading, NumberReading


def test_separated_digits_read_as_a_number(recogniser):
    ink, spans = compose([glyph(d) for d in "2026"])
    reading = number_of(recogniser, ink)
    assert reading.number == "2026"
    for digit, (x0, x1) in zip(reading.digits, spans, strict=True):
        x, _, w, _ = digit.box
        assert x0 - 3 <= x and x + w <= x1 + 3, "boxes are in the original image's pixels"
        assert digit.is_digit


# "13" needs a model unsure of touching pairs read whole (it learnt them as outliers), or the
# pair reads as a sure 3; "84" needs straight cuts beside the leaning seams, and a reader that
# accepts DejaVu Bold's closed-top 4 within a number though the model is unsure of it alone.
@pytest.mark.parametrize("pair", ["57", "23", "50", "13", "84"])
def test_touching_pairs_are_cut_apart(recogniser, pair):
    assert number_of(recogniser, touching(pair)).number == pair


def test_five_with_a_detached_bar_reads_as_five(recogniser):
    ink, _ = compose([glyph("2"), five_with_detached_bar()])
    assert number_of(recogniser, ink).number == "25"


@pytest.mark.parametrize("shift", [5, 25])
def test_five_whose_bar_drifted_right_reads_as_five(recogniser, shift):
    assert number_of(recogniser, compose([five_with_shifted_bar(shift)])[0]).number == "5"
    ink, _ = compose([glyph("3"), five_with_shifted_bar(shift)])
    assert number_of(recogniser, ink).number == "35"


def test_close_neighbours_that_each_read_as_digits_stay_apart(recogniser):
    ink, _ = compose([glyph(d) for d in "1171"], gaps=4)
    assert number_of(recogniser, ink).number == "1171"


def test_digit_with_noise_specks(recogniser):
    ink, _ = compose([glyph("3")], margin=60)
    rng = np.random.default_rng(1)
    for y, x in rng.integers(0, ink.shape, (10, 2)):
        ink[y : y + 3, x : x + 3] = 1.0
    assert number_of(recogniser, ink).number == "3"


def test_single_digit_in_number_mode(recogniser):
    reading = read_number(recogniser, render_digit(7))
    assert reading.number == "7"
    assert len(reading.digits) == 1
    assert reading.digits[0].digit == 7


def test_empty_image_has_no_digits_and_no_error(recogniser):
    blank = png_bytes(Image.new("L", (300, 120), 255))
    assert read_number(recogniser, blank).as_dict() == {
        "number": "",
        "is_number": False,
        "confidence": 0.0,
        "digits": [],
    }


def test_a_dot_on_an_empty_canvas_is_no_number(recogniser):
    canvas = Image.new("L", (600, 200), 255)
    canvas.paste(0, (300, 100, 304, 104))
    assert read_number(recogniser, canvas).number == ""


def test_slanted_writing_on_a_wandering_baseline_reads_left_to_right(recogniser):
    ink, _ = compose([glyph(d) for d in "1357"], gaps=30, drops=[0, 18, 6, 26])
    reading = number_of(recogniser, sheared(ink, 0.25))
    assert reading.number == "1357"
    lefts = [digit.box[0] for digit in reading.digits]
    assert lefts == sorted(lefts)


def test_boxes_are_scaled_back_to_a_large_original(recogniser):
    ink, spans = compose([glyph(d, height=300) for d in "52"], gaps=600, margin=100)
    image = on_paper(ink)
    assert max(image.size) > 1000, "big enough that the ink map is reduced"
    reading = read_number(recogniser, image)
    assert reading.number == "52"
    for digit, (x0, x1) in zip(reading.digits, spans, strict=True):
        x, _, w, _ = digit.box
        assert abs(x - x0) <= 8 and abs(x + w - x1) <= 8


def test_a_piece_that_is_not_a_digit_is_reported_as_a_question_mark():
    class Unsure:
        """A stand-in model that takes nothing for a digit."""

        number_threshold = 0.5

        def predict(self, images, threshold=None):
            probabilities = (0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05)
            return [Prediction(0, 0.3, probabilities, False) for _ in images]

    ink, _ = compose([glyph(d) for d in "18"])
    reading = read_number(Unsure(), on_paper(ink))
    assert reading.number == "??"
    assert [d.is_digit for d in reading.digits] == [False, False]
    assert [d.digit for d in reading.digits] == [0, 0], "the best guess is still reported"


def test_pieces_of_a_number_are_judged_by_the_number_threshold():
    class Spy:
        """Records the threshold the reader asks for; sure of everything."""

        number_threshold = 0.123

        def __init__(self):
            self.asked = []

        def predict(self, images, threshold=None):
            self.asked.append(threshold)
            return [Prediction(1, 0.9, (0.1,) * 10, True) for _ in images]

    ink, _ = compose([glyph(d) for d in "11"])
    spy = Spy()
    read_number(spy, on_paper(ink))
    assert spy.asked and set(spy.asked) == {0.123}


def test_reading_as_dict_has_the_api_shape(recogniser):
    ink, _ = compose([glyph(d) for d in "90"])
    answer = json.loads(json.dumps(number_of(recogniser, ink).as_dict()))
    assert set(answer) == {"number", "is_number", "confidence", "digits"}
    assert answer["number"] == "90"
    for digit in answer["digits"]:
        assert set(digit) == {"box", "digit", "confidence", "probabilities", "is_digit"}
        assert len(digit["box"]) == 4 and all(isinstance(v, int) for v in digit["box"])
        assert len(digit["probabilities"]) == 10


def test_choose_mode_tells_one_digit_from_a_number():
    assert choose_mode(png_bytes(render_digit(8))) == "digit"
    assert choose_mode(on_paper(compose([glyph(d) for d in "31"])[0])) == "number"
    assert choose_mode(on_paper(touching("47"))) == "number"
    assert choose_mode(png_bytes(Image.new("L", (50, 50), 255))) == "digit"


def test_cli_reads_a_number_as_json(tmp_path):
    from digitrec.cli import main

    path = tmp_path / "number.png"
    on_paper(compose([glyph(d) for d in "2026"])[0]).save(path)
    result = CliRunner().invoke(main, ["predict", "--number", str(path), "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["file"] == str(path)
    assert answer["number"] == "2026"
    assert len(answer["digits"]) == 4


def test_an_image_with_more_marks_than_a_number_is_refused_before_any_reading(recogniser):
    from digitrec.errors import UnusableImageError
    from digitrec.numbers.candidates import MAX_GROUPS

    rows = [compose([glyph(str(d % 10)) for d in range(12)])[0] for _ in range(3)]
    page = np.zeros((sum(r.shape[0] for r in rows), max(r.shape[1] for r in rows)), np.float32)
    top = 0
    for row in rows:
        page[top : top + row.shape[0], : row.shape[1]] = row
        top += row.shape[0]
    image = Image.fromarray(np.uint8(255 - page * 255))
    with pytest.raises(UnusableImageError, match=f"36 separate marks.*up to {MAX_GROUPS} digits"):
        read_number(recogniser, image)
    assert len(read_number(recogniser, Image.fromarray(np.uint8(255 - rows[0] * 255))).number) == 12


@pytest.mark.parametrize("digit", ["3", "7", "0"])
def test_a_digit_read_alone_and_cut_from_a_number_gets_the_same_28x28(digit):
    from digitrec.imaging.frame import fit_to_mnist_frame
    from digitrec.imaging.preprocess import to_mnist_style
    from digitrec.numbers.reading import number_ink_map
    from digitrec.numbers.segment import segment

    def pen(d):  # hard edges, and small enough for both paths to work at full resolution
        return (glyph(d, height=60) > 0.5).astype(np.float32)

    alone, _ = compose([pen(digit)])
    in_a_number, _ = compose([pen(digit), pen("1")])
    framed_alone = to_mnist_style(on_paper(alone)).mnist
    first_piece = segment(number_ink_map(on_paper(in_a_number))[0])[0]
    assert np.array_equal(fit_to_mnist_frame(first_piece.ink), framed_alone)


def test_a_number_whose_pieces_are_all_digits_is_a_number_with_their_joint_confidence():
    reading = NumberReading(
        "17",
        [
            DigitReading((0, 0, 10, 20), 1, 0.9, (0.0,) * 10, True),
            DigitReading((12, 0, 10, 20), 7, 0.8, (0.0,) * 10, True),
        ],
    )
    assert reading.is_number
    assert reading.confidence == pytest.approx(0.72)
    assert reading.as_dict()["is_number"] is True


def test_one_piece_that_is_not_a_digit_makes_the_whole_number_doubtful():
    reading = NumberReading(
        "1?",
        [
            DigitReading((0, 0, 10, 20), 1, 1.0, (0.0,) * 10, True),
            DigitReading((12, 0, 10, 20), 4, 0.2, (0.0,) * 10, False),
        ],
    )
    assert not reading.is_number
    assert reading.confidence == pytest.approx(0.2)


def test_no_pieces_is_no_number():
    assert not NumberReading("", []).is_number
    assert NumberReading("", []).confidence == 0
