"""The JSON API reads a digit: every input form, batches, what the drawing pad sends, the
preprocessing steps and why this digit. Every answer is checked against the OpenAPI document."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from conftest import photo_of_digit, png_bytes, render_digit
from PIL import Image, ImageDraw

from .api_client import data_url_bytes, predict_raw, without_timing

SEVEN = png_bytes(render_digit(7))
THREE = png_bytes(render_digit(3))
BLANK = png_bytes(Image.new("L", (200, 200), 255))


def test_a_large_clear_seven_is_read_as_seven(api, app):
    answer = predict_raw(api, SEVEN).get_json()
    assert answer["digit"] == 7
    assert answer["is_digit"] is True
    assert answer["confidence"] == max(answer["probabilities"])
    assert sum(answer["probabilities"]) == pytest.approx(1.0, abs=1e-3)
    assert answer["model"]["name"] and answer["model"]["version"]
    photos = app.extensions["digitrec"].photo_reader.card
    assert answer["model"]["photos_model"] == {"name": photos.name, "version": photos.version}
    assert answer["timing_ms"] >= 0
    assert answer["read_by"] == "model"


def test_a_photo_s_digit_says_the_photos_model_read_it(api):
    batch = api.post(
        "/api/v1/predict",
        data={"file": [(io.BytesIO(photo_of_digit(4)), "4.jpg"), (io.BytesIO(SEVEN), "7.png")]},
    ).get_json()
    photo, canvas = batch["results"]
    assert (photo["digit"], photo["read_by"]) == (4, "photos_model")
    assert (canvas["digit"], canvas["read_by"]) == (7, "model")
    assert "photos_model" in batch["model"]


INPUT_FORMS = {
    "multipart file": lambda image: {"data": {"file": (io.BytesIO(image), "seven.png")}},
    "raw image/png": lambda image: {"data": image, "content_type": "image/png"},
    "raw octet-stream": lambda image: {"data": image, "content_type": "application/octet-stream"},
    "json base64": lambda image: {"json": {"image": base64.b64encode(image).decode()}},
    "json url-safe base64 without padding": lambda image: {
        "json": {"image": base64.urlsafe_b64encode(image).decode().rstrip("=")}
    },
    "json data url": lambda image: {
        "json": {"image": "data:image/png;base64," + base64.b64encode(image).decode()}
    },
    "json base64 with line breaks": lambda image: {
        "json": {"image": base64.encodebytes(image).decode()}
    },
}


@pytest.mark.parametrize("form", INPUT_FORMS, ids=list(INPUT_FORMS))
def test_every_input_form_gets_the_same_answer(api, form):
    expected = without_timing(predict_raw(api, THREE).get_json())
    response = api.post("/api/v1/predict", **INPUT_FORMS[form](THREE))
    assert response.status_code == 200
    assert without_timing(response.get_json()) == expected


def test_several_file_fields_are_a_batch_answered_in_order(api):
    images = [SEVEN, BLANK, THREE]
    singles = [without_timing(predict_raw(api, image).get_json()) for image in images]
    files = [(io.BytesIO(image), f"{i}.png") for i, image in enumerate(images)]
    answer = api.post("/api/v1/predict", data={"file": files}).get_json()
    assert [{**result, "model": answer["model"]} for result in answer["results"]] == singles


def test_json_images_are_a_batch_even_of_one(api):
    encoded = [base64.b64encode(image).decode() for image in (THREE, SEVEN)]
    answer = api.post("/api/v1/predict", json={"images": encoded}).get_json()
    assert [result["digit"] for result in answer["results"]] == [3, 7]
    one = api.post("/api/v1/predict", json={"images": encoded[:1]}).get_json()
    assert len(one["results"]) == 1


def test_a_blank_page_has_no_digit(api):
    answer = predict_raw(api, BLANK).get_json()
    assert answer["digit"] is None
    assert answer["is_digit"] is False


def drawn_on_the_pad(strokes, brush: int = 18, size: int = 280) -> bytes:
    """What the page sends: black strokes of the pad's medium brush on a white 280x280 PNG.

    strokes: lists of (x, y) in the pad's pixels; a stroke of one point is a tap.
    """
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        if len(stroke) > 1:
            draw.line(stroke, fill=0, width=brush, joint="curve")
        for x, y in (stroke[0], stroke[-1]):  # round ends, as the pad draws them
            draw.ellipse((x - brush / 2, y - brush / 2, x + brush / 2, y + brush / 2), fill=0)
    return png_bytes(image)


# The pad's brushes, thin to thick, and thick at a pen's full pressure (28 x 1.4).
@pytest.mark.parametrize("brush", [10, 18, 28, 39])
@pytest.mark.parametrize("where", [(140, 140), (40, 230)], ids=["middle", "corner"])
def test_a_tap_is_no_digit(api, brush, where):
    answer = predict_raw(api, drawn_on_the_pad([[where]], brush=brush)).get_json()
    assert (answer["digit"], answer["is_digit"]) == (None, False)


def test_a_short_dash_is_not_a_digit(api):
    answer = predict_raw(api, drawn_on_the_pad([[(130, 140), (150, 140)]])).get_json()
    assert answer["is_digit"] is False


def test_a_digit_drawn_too_small_for_its_strokes_is_not_sure(api):
    # A 2 about 12 % of the pad tall, drawn with the pad's medium brush: a blob.
    tiny_two = [(125, 125), (140, 121), (150, 130), (128, 158), (158, 158)]
    answer = predict_raw(api, drawn_on_the_pad([tiny_two])).get_json()
    assert answer["is_digit"] is False
    assert answer["digit"] is not None  # the best guess is still given

    # The same 2 at a size its strokes fit is read.
    two = [(60, 70), (140, 40), (210, 90), (70, 230), (220, 230)]
    answer = predict_raw(api, drawn_on_the_pad([two])).get_json()
    assert (answer["digit"], answer["is_digit"]) == (2, True)


def test_steps_show_what_the_model_sees_ending_in_28x28(api):
    answer = predict_raw(api, SEVEN, "?steps=1").get_json()
    assert [step["name"] for step in answer["steps"]] == ["grey", "ink", "cropped", "mnist"]
    for step in answer["steps"]:
        png = base64.b64decode(step["image"].removeprefix("data:image/png;base64,"))
        with Image.open(io.BytesIO(png)) as image:
            assert image.format == "PNG"
            assert image.size == (step["width"], step["height"])
            assert max(image.size) <= 280
    assert (answer["steps"][-1]["width"], answer["steps"][-1]["height"]) == (28, 28)
    assert "steps" not in predict_raw(api, SEVEN).get_json()


def test_explain_gives_a_28x28_saliency_map_on_the_ink_and_the_runner_up(api):
    answer = predict_raw(api, SEVEN, "?explain=1&steps=1").get_json()
    saliency = np.array(answer["saliency"])
    assert saliency.shape == (28, 28)
    assert saliency.min() >= 0 and saliency.max() > 0
    mnist = np.asarray(Image.open(io.BytesIO(data_url_bytes(answer["steps"][-1]["image"]))))
    assert saliency[mnist == 0].sum() < saliency[mnist > 0].sum()  # held up by the ink
    heatmap = Image.open(io.BytesIO(data_url_bytes(answer["saliency_image"])))
    assert (heatmap.size, heatmap.mode) == ((28, 28), "RGBA")
    second = answer["runner_up"]
    assert second["digit"] != answer["digit"]
    assert second["probability"] == sorted(answer["probabilities"])[-2]


def test_without_explain_or_without_a_digit_there_is_no_saliency(api):
    assert "saliency" not in predict_raw(api, SEVEN, "?steps=1").get_json()
    blank = png_bytes(Image.new("L", (280, 280), 255))
    assert "saliency" not in predict_raw(api, blank, "?explain=1").get_json()
    no_image = predict_raw(api, SEVEN, "?explain=1").get_json()
    assert "saliency" in no_image and "saliency_image" not in no_image
