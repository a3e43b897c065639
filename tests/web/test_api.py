"""The JSON API through Flask's test client: every input form, batches, each error, health,
readiness and metrics. Every response is validated against the app's own OpenAPI document."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from conftest import png_bytes, render_digit
from jsonschema import Draft202012Validator
from PIL import Image, ImageDraw
from prometheus_client.parser import text_string_to_metric_families

from digitrec.web import create_app, openapi

SEVEN = png_bytes(render_digit(7))
THREE = png_bytes(render_digit(3))
BLANK = png_bytes(Image.new("L", (200, 200), 255))


def matches_spec(spec: dict, response, path: str, method: str) -> None:
    """Fail unless the response's status, content type and body are what the spec documents."""
    operation = spec["paths"].get(path, {}).get(method.lower())
    if operation is None:  # an undocumented path or method: only ever a problem
        assert response.status_code in (404, 405), f"{method} {path} is not in the OpenAPI document"
        assert response.mimetype == "application/problem+json"
        schema = {"$ref": "#/components/schemas/Problem"}
    else:
        responses = operation["responses"]
        documented = responses.get(str(response.status_code)) or responses.get("default")
        assert documented, f"{method} {path} answered {response.status_code}, not documented"
        content = documented["content"]
        assert response.mimetype in content, (
            f"{method} {path} {response.status_code} answered {response.mimetype}, "
            f"documented {sorted(content)}"
        )
        schema = content[response.mimetype]["schema"]
    if response.mimetype.endswith("json"):
        validator = Draft202012Validator({**schema, "components": spec["components"]})
        errors = sorted(validator.iter_errors(response.get_json()), key=str)
        assert not errors, f"{method} {path}: {errors[0].message} at {list(errors[0].path)}"


class SpecCheckedClient:
    """Flask's test client, checking every answer against the OpenAPI document."""

    def __init__(self, app):
        self.client = app.test_client()
        with app.app_context():
            self.spec = openapi.document(app)

    def open(self, path, method="GET", **options):
        response = self.client.open(path, method=method, **options)
        matches_spec(self.spec, response, path.split("?")[0], method)
        return response

    def get(self, path, **options):
        return self.open(path, "GET", **options)

    def post(self, path, **options):
        return self.open(path, "POST", **options)


@pytest.fixture
def api(app):
    return SpecCheckedClient(app)


def limited_api(**config) -> SpecCheckedClient:
    return SpecCheckedClient(create_app({"TESTING": True, **config}))


def predict_raw(api, image: bytes, query: str = "", content_type: str = "image/png"):
    return api.post(f"/api/v1/predict{query}", data=image, content_type=content_type)


def data_url_bytes(url: str) -> bytes:
    return base64.b64decode(url.removeprefix("data:image/png;base64,"))


def without_timing(answer: dict) -> dict:
    return {key: value for key, value in answer.items() if key != "timing_ms"}


# Input forms -------------------------------------------------------------------------------


def test_a_large_clear_seven_is_read_as_seven(api):
    answer = predict_raw(api, SEVEN).get_json()
    assert answer["digit"] == 7
    assert answer["is_digit"] is True
    assert answer["confidence"] == max(answer["probabilities"])
    assert sum(answer["probabilities"]) == pytest.approx(1.0, abs=1e-3)
    assert answer["model"]["name"] and answer["model"]["version"]
    assert answer["timing_ms"] >= 0


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


# Errors ------------------------------------------------------------------------------------

TRUNCATED_PNG = SEVEN[: len(SEVEN) // 2]
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

BAD_REQUESTS = [
    # (what, request options, status, problem slug)
    ("text body", {"data": b"seven", "content_type": "text/plain"}, 415, "not-an-image"),
    ("no content type", {"data": b"\x89PNG"}, 400, "malformed-request"),
    ("empty image body", {"data": b"", "content_type": "image/png"}, 400, "malformed-request"),
    (
        "form without file",
        {"data": {"other": "x"}, "content_type": "multipart/form-data"},
        400,
        "malformed-request",
    ),
    (
        "url-encoded form",
        {"data": "file=x", "content_type": "application/x-www-form-urlencoded"},
        415,
        "not-an-image",
    ),
    (
        "invalid json",
        {"data": b"{nope", "content_type": "application/json"},
        400,
        "malformed-request",
    ),
    ("json list", {"json": [1, 2]}, 400, "malformed-request"),
    ("json without image", {"json": {"picture": "x"}}, 400, "malformed-request"),
    ("json image not a string", {"json": {"image": 7}}, 400, "malformed-request"),
    ("json image not base64", {"json": {"image": "not base64!"}}, 400, "malformed-request"),
    ("json image empty", {"json": {"image": ""}}, 400, "malformed-request"),
    (
        "json data url not base64",
        {"json": {"image": "data:image/png,abc"}},
        400,
        "malformed-request",
    ),
    ("json images empty", {"json": {"images": []}}, 400, "malformed-request"),
    ("json images not a list", {"json": {"images": "abc"}}, 400, "malformed-request"),
    ("pdf sent as png", {"data": PDF, "content_type": "image/png"}, 415, "not-an-image"),
    ("truncated png", {"data": TRUNCATED_PNG, "content_type": "image/png"}, 422, "unusable-image"),
]


@pytest.mark.parametrize(
    ("request_options", "status", "slug"),
    [case[1:] for case in BAD_REQUESTS],
    ids=[case[0] for case in BAD_REQUESTS],
)
def test_bad_requests_are_problems_saying_what_is_accepted(api, request_options, status, slug):
    response = api.post("/api/v1/predict", **request_options)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status
    assert problem["type"] == f"/api#problem-{slug}"
    assert problem["detail"]
    assert problem["instance"] == "/api/v1/predict"
    assert "PNG" in problem["accepted"]["formats"]
    assert problem["accepted"]["max_batch"] == 64


@pytest.mark.parametrize(
    ("query", "words"),
    [("?mode=roman", "mode=digit"), ("?steps=maybe", "steps=1")],
)
def test_bad_query_arguments_say_which_values_work(api, query, words):
    problem = predict_raw(api, SEVEN, query).get_json()
    assert problem["status"] == 400
    assert words in problem["detail"]


def test_a_batch_over_the_limit_is_refused_with_the_limit():
    api = limited_api(DIGITREC_MAX_BATCH=2)
    files = [(io.BytesIO(SEVEN), f"{i}.png") for i in range(3)]
    problem = api.post("/api/v1/predict", data={"file": files}).get_json()
    assert problem["status"] == 400
    assert "3 images" in problem["detail"]
    assert "limit is 2" in problem["detail"]
    assert problem["accepted"]["max_batch"] == 2


def test_a_body_over_the_upload_limit_is_413():
    api = limited_api(DIGITREC_MAX_UPLOAD_BYTES=1000)
    response = predict_raw(api, SEVEN + bytes(1000))
    assert response.status_code == 413
    problem = response.get_json()
    assert problem["type"] == "/api#problem-image-too-large"
    assert "1,000 bytes" in problem["detail"]
    assert problem["accepted"]["max_bytes"] == 1000


def test_a_bad_image_in_a_batch_is_named_by_its_position(api):
    files = [(io.BytesIO(SEVEN), "a.png"), (io.BytesIO(TRUNCATED_PNG), "b.png")]
    problem = api.post("/api/v1/predict", data={"file": files}).get_json()
    assert problem["status"] == 422
    assert problem["detail"].startswith("image 2 of 2: ")


def test_uploads_are_never_written_to_disk(api, monkeypatch):
    import tempfile

    def no_disk(*args, **kwargs):
        raise AssertionError("an upload was spooled to a temporary file")

    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", no_disk)
    monkeypatch.setattr(tempfile, "TemporaryFile", no_disk)
    big = png_bytes(Image.effect_noise((900, 900), 60).convert("L"))
    assert len(big) > 500_000  # above werkzeug's in-memory threshold for form files
    response = api.post("/api/v1/predict", data={"file": (io.BytesIO(big), "noise.png")})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/v1/nothing-here", 404), ("GET", "/api/v1/predict", 405)],
)
def test_unknown_paths_and_methods_are_problems(api, method, path, status):
    response = api.open(path, method)
    assert response.status_code == status
    assert response.get_json()["status"] == status
    if status == 405:
        assert "POST" in response.headers["Allow"]


# Model, health, readiness, metrics ---------------------------------------------------------


def test_model_card_is_the_served_models(api, app):
    card = api.get("/api/v1/model").get_json()
    assert card == app.extensions["digitrec"].card.raw


def test_healthz_is_ok(api):
    assert api.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_after_the_self_test_reads_the_bundled_seven(api, app):
    answer = api.get("/readyz").get_json()
    assert answer["status"] == "ready"
    assert answer["model"]["name"] == app.extensions["digitrec"].card.name


def test_readyz_is_503_while_the_self_test_fails(api, app, monkeypatch):
    from digitrec.web import health

    def broken(images):
        raise RuntimeError("model gone")

    monkeypatch.setattr(app.extensions["digitrec"], "recognise", broken)
    health.run_self_test(app)
    response = api.get("/readyz")
    assert response.status_code == 503
    assert "model gone" in response.get_json()["detail"]


def metric_samples(api) -> dict:
    response = api.get("/metrics")
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_count_requests_latency_and_digits(api):
    predict_raw(api, SEVEN)
    predict_raw(api, b"", content_type="image/png")
    samples = metric_samples(api)
    route = ("route", "/api/v1/predict")
    assert (
        samples[("digitrec_http_requests_total", (("method", "POST"), route, ("status", "200")))]
        == 1
    )
    assert (
        samples[("digitrec_http_requests_total", (("method", "POST"), route, ("status", "400")))]
        == 1
    )
    assert samples[("digitrec_http_request_duration_seconds_count", (route,))] == 2
    assert samples[("digitrec_predictions_total", (("digit", "7"), ("is_digit", "true")))] == 1


def test_metrics_label_a_wrong_method_with_its_route_and_an_unknown_path_as_other(api):
    assert api.get("/api/v1/predict").status_code == 405
    assert api.post("/api/v1/nowhere").status_code == 404
    samples = metric_samples(api)
    wrong_method = (("method", "GET"), ("route", "/api/v1/predict"), ("status", "405"))
    assert samples[("digitrec_http_requests_total", wrong_method)] == 1
    unknown = (("method", "POST"), ("route", "other"), ("status", "404"))
    assert samples[("digitrec_http_requests_total", unknown)] == 1


# Numbers -----------------------------------------------------------------------------------


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
