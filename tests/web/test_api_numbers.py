"""The JSON API reads whole numbers: `mode=number` and `mode=auto`, photos of several digits,
batches, steps, and numbers that are not numbers."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from conftest import png_bytes, render_digit
from PIL import Image

from .api_client import predict_raw

SEVEN = png_bytes(render_digit(7))


def test_number_mode_reads_each_digit_left_to_right_with_boxes(api):
    image = png_bytes(render_digit("307", size=(600, 200), scale=0.6))
    answer = predict_raw(api, image, "?mode=number").get_json()
    assert answer["mode"] == "number"
    assert len(answer["digits"]) == 3
    xs = [digit["box"][0] for digit in answer["digits"]]
    assert xs == sorted(xs)
    assert re.fullmatch(r"[0-9?]{3}", answer["number"])


def test_auto_mode_tells_a_number_from_a_digit(api):
    number = png_bytes(render_digit("307", size=(600, 200), scale=0.6))
    assert predict_raw(api, number, "?mode=auto").get_json()["mode"] == "number"
    assert predict_raw(api, SEVEN, "?mode=auto").get_json()["mode"] == "digit"


def photo_of_two_digits() -> bytes:
    """A phone photo of a 7 in the middle of the page and a 2 beside it, the light falling off
    to the right: JPEG."""
    page = Image.new("L", (600, 300), 235)
    page.paste(render_digit(7, size=(200, 200), paper=235), (200, 50))
    page.paste(render_digit(2, size=(160, 160), paper=235), (430, 70))
    light = np.linspace(1.0, 0.8, page.width)[None, :]
    photo = Image.fromarray((np.asarray(page, np.float32) * light).astype(np.uint8))
    return png_bytes(photo, "JPEG", quality=85)


def test_a_photo_of_several_digits_answers_the_central_one_and_says_there_are_more(api):
    answer = predict_raw(api, photo_of_two_digits(), content_type="image/jpeg").get_json()
    assert (answer["digit"], answer["several_digits"]) == (7, True)
    assert predict_raw(api, SEVEN).get_json()["several_digits"] is False


def test_auto_mode_reads_a_photo_of_several_digits_as_a_number(api):
    photo = photo_of_two_digits()
    answer = predict_raw(api, photo, "?mode=auto", content_type="image/jpeg").get_json()
    assert (answer["mode"], answer["number"]) == ("number", "72")


def test_number_mode_batches_answer_in_order(api):
    files = [
        (io.BytesIO(png_bytes(render_digit(text, size=(500, 200), scale=0.6))), f"{text}.png")
        for text in ("30", "7")
    ]
    answer = api.post("/api/v1/predict?mode=number", data={"file": files}).get_json()
    assert [len(result["digits"]) for result in answer["results"]] == [2, 1]


def test_number_answers_with_steps_carry_the_image_read_as_a_png_for_any_browser(api):
    tiff = png_bytes(render_digit("307", size=(600, 200), scale=0.6), format="TIFF")
    answer = predict_raw(api, tiff, "?mode=number&steps=1", content_type="image/tiff").get_json()
    assert answer["input"]["image"].startswith("data:image/png;base64,")
    assert (answer["input"]["width"], answer["input"]["height"]) == (600, 200)
    assert (
        "input" not in predict_raw(api, tiff, "?mode=number", content_type="image/tiff").get_json()
    )


def test_a_phones_heic_photo_of_a_number_is_read_and_shown_as_a_png(api):
    """iPhones save HEIC, which browsers other than Safari cannot show: the answer carries the
    image read as a PNG for the page to draw the boxes on."""
    colours = {"ink": (20, 30, 110), "paper": (215, 210, 190), "mode": "RGB"}
    photo = render_digit("58", size=(800, 600), scale=0.4, **colours)
    heic = png_bytes(photo, format="HEIF", quality=70)
    answer = predict_raw(api, heic, "?mode=number&steps=1", content_type="image/heic").get_json()
    assert answer["number"] == "58"
    assert answer["input"]["image"].startswith("data:image/png;base64,")


def test_letters_in_number_mode_make_the_number_doubtful(api):
    letters = png_bytes(render_digit("Hi!", size=(560, 200), scale=0.55))
    answer = predict_raw(api, letters, "?mode=number").get_json()
    assert answer["is_number"] is False
    assert answer["confidence"] < 0.5

    number = png_bytes(render_digit("2026", size=(560, 200), scale=0.55))
    answer = predict_raw(api, number, "?mode=number").get_json()
    assert (answer["number"], answer["is_number"]) == ("2026", True)
    product = 1.0
    for digit in answer["digits"]:
        product *= digit["confidence"]
    assert answer["confidence"] == pytest.approx(product, abs=1e-6)
