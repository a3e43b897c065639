"""The JSON API's errors: each is application/problem+json saying what is accepted, checked
against the OpenAPI document."""

from __future__ import annotations

import io

import pytest
from conftest import png_bytes, render_digit
from PIL import Image

from .api_client import limited_api, predict_raw

SEVEN = png_bytes(render_digit(7))
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
