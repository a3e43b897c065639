"""The pages through the test client: the drawing page, the form that works without
JavaScript, static files, error pages, and what a strict Content-Security-Policy demands."""

from __future__ import annotations

import dataclasses
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import photo_of_digit, png_bytes, render_digit

from digitrec.web.samples import SAMPLES

STATIC = Path(__file__).parents[2] / "src" / "digitrec" / "web" / "static"


class Tags(HTMLParser):
    """Every start tag with its attributes, in order."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def all(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.tags if name == tag]


@pytest.fixture
def index(client):
    response = client.get("/")
    assert response.status_code == 200
    return response


def test_the_page_has_a_pad_an_upload_form_samples_and_a_live_result(index):
    tags = Tags(index.get_data(as_text=True))
    assert tags.all("canvas")
    (form,) = [f for f in tags.all("form") if f.get("id") == "read-form"]
    assert form["method"] == "post"
    assert form["enctype"] == "multipart/form-data"
    assert [i for i in tags.all("input") if i.get("type") == "file" and i.get("name") == "file"]
    samples = [b for b in tags.all("button") if b.get("name") == "sample"]
    assert len(samples) == len(SAMPLES)
    assert all(b["type"] == "submit" for b in samples)  # samples work without scripts too
    assert any(p.get("aria-live") == "polite" for _, p in tags.tags)
    assert {r["value"] for r in tags.all("input") if r.get("name") == "mode"} == {"digit", "number"}


def test_the_page_needs_no_inline_script_style_or_handler(index):
    html = index.get_data(as_text=True)
    tags = Tags(html)
    assert all("src" in script for script in tags.all("script"))
    for _, attributes in tags.tags:
        assert "style" not in attributes
        assert not [name for name in attributes if name.startswith("on")]
    assert "<style" not in html


def test_every_response_carries_a_strict_content_security_policy(client, index):
    for response in (index, client.get("/api"), client.get("/api/v1/model"), client.get("/nope")):
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_every_linked_asset_is_served_with_cache_headers_and_nothing_is_external(client, index):
    tags = Tags(index.get_data(as_text=True))
    links = [a["src"] for a in tags.all("script") + tags.all("img") if "src" in a]
    links += [a["href"] for a in tags.all("link")]
    assert links
    for link in links:
        assert link.startswith("/static/"), f"{link} is not served by the app"
        response = client.get(link)
        assert response.status_code == 200, link
        assert "max-age" in response.headers["Cache-Control"]


def test_static_files_and_templates_load_nothing_from_elsewhere():
    for path in [*STATIC.rglob("*"), *(STATIC.parent / "templates").rglob("*")]:
        if path.suffix in (".js", ".css", ".html", ".svg"):
            # A namespace name, not something fetched.
            text = path.read_text().replace("http://www.w3.org/2000/svg", "")
            assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text), path
            assert "@import" not in text, path


def test_the_scripts_import_only_modules_the_app_serves(client):
    for path in STATIC.glob("*.js"):
        for module in re.findall(r'from "\./([\w.-]+)"', path.read_text()):
            assert client.get(f"/static/{module}").status_code == 200, f"{path.name}: {module}"


@pytest.mark.parametrize("kind", ["canvas", "photo"])
def test_the_answer_names_the_model_that_read_it(app, client, kind):
    served = app.extensions["digitrec"]
    image, reader = {
        "canvas": (png_bytes(render_digit(7)), served),
        "photo": (photo_of_digit(4), served.photo_reader),
    }[kind]
    response = client.post("/", data={"mode": "digit", "file": (io.BytesIO(image), "x.png")})
    meta = re.search(r'<p class="result-meta" id="result-meta">([^<]*)</p>', response.text)
    assert meta and meta.group(1).startswith(f"{reader.name} {reader.version} · ")


def test_the_form_without_javascript_shows_the_digit_and_what_the_model_sees(client):
    image = png_bytes(render_digit(7))
    response = client.post("/", data={"mode": "digit", "file": (io.BytesIO(image), "seven.png")})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'<output class="big-digit" id="big-digit">7</output>', html)
    assert "The digit is 7" in html
    steps = re.findall(
        r'<li class="step step-(\w+)">\s*<span class="step-picture">\s*'
        r'<img src="data:image/png;base64,',
        html,
    )
    assert steps == ["grey", "ink", "cropped", "mnist"]
    assert html.count('class="bar-fill"') == 10


@pytest.mark.parametrize("sample", [s for s in SAMPLES if s.mode == "digit"], ids=str)
def test_each_sample_digit_is_read_as_what_it_shows(client, sample):
    html = client.post("/", data={"sample": sample.name}).get_data(as_text=True)
    assert f'id="big-digit">{sample.label}</output>' in html


def test_an_unsure_answer_says_so_and_gives_the_best_guess(app, client, monkeypatch):
    recogniser = app.extensions["digitrec"]
    real = recogniser.recognise

    def unsure(images, check_time=None):
        return [
            dataclasses.replace(r, prediction=dataclasses.replace(r.prediction, is_digit=False))
            for r in real(images, check_time)
        ]

    monkeypatch.setattr(recogniser, "recognise", unsure)
    html = client.post("/", data={"sample": "digit-7"}).get_data(as_text=True)
    assert 'id="big-digit">?</output>' in html
    assert "Not sure this is a digit" in html
    assert "Best guess 7" in html


def form_error(html: str) -> str:
    match = re.search(r'<p class="form-error" id="form-error" role="alert">([^<]*)</p>', html)
    assert match, "no error in the form"
    assert 'id="read-form"' in html, "the form is gone"
    return match[1]


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        ({"mode": "digit"}, 400, "Choose an image first"),
        ({"file": (io.BytesIO(b""), "empty.png")}, 400, "Choose an image first"),
        (
            {"file": (io.BytesIO(b"hello"), "notes.txt")},
            415,
            "PNG, JPEG, HEIC, GIF, BMP, WebP or TIFF",
        ),
        (
            {"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(40)), "cut.png")},
            422,
            "could not read",
        ),
    ],
)
def test_the_form_says_what_went_wrong_in_plain_words_inside_the_form(client, data, status, words):
    response = client.post("/", data=data, content_type="multipart/form-data")
    assert response.status_code == status
    assert response.mimetype == "text/html"
    error = form_error(response.get_data(as_text=True))
    assert words in error
    for developer_word in ("multipart", "`file`", "field", "Content-Type"):
        assert developer_word not in error


def test_the_form_with_a_body_over_the_limit_says_the_limit_in_the_form():
    from digitrec.web import create_app

    small = create_app({"TESTING": True, "DIGITREC_MAX_UPLOAD_BYTES": 1000}).test_client()
    big = (io.BytesIO(png_bytes(render_digit(7)) + bytes(2000)), "seven.png")
    response = small.post("/", data={"file": big}, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "too large" in form_error(response.get_data(as_text=True))


def test_a_missing_page_is_an_html_page_for_browsers_and_a_problem_for_programs(client):
    browser = client.get("/missing", headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.status_code == 404
    assert browser.mimetype == "text/html"
    assert client.get("/missing").mimetype == "application/problem+json"


def test_number_mode_page_without_javascript(client):
    html = client.post("/", data={"sample": "number-2026"}).get_data(as_text=True)
    assert re.search(r'id="big-number">[0-9?]{4}</output>', html)
    assert html.count('<g class="box') == 4


def test_the_form_without_javascript_says_when_a_number_is_doubtful(client):
    letters = png_bytes(render_digit("Hi!", size=(560, 200), scale=0.55))
    html = client.post(
        "/", data={"mode": "number", "file": (io.BytesIO(letters), "hi.png")}
    ).get_data(as_text=True)
    assert 'class="number-verdict is-unsure"' in html
    assert "Not sure this is a number" in html


def test_the_form_without_javascript_shows_why_this_digit(client):
    html = client.post("/", data={"sample": "digit-7"}).get_data(as_text=True)
    assert re.search(r'<img class="heatmap" src="data:image/png;base64,', html)
    assert 'id="show-why" checked' in html  # a checkbox: it toggles without scripts
    assert "Second most likely" in html


@pytest.mark.parametrize(
    ("confidence", "shown"),
    [(1.0, "100%"), (0.9996, "&gt;99.9%"), (0.9951, "99.5%"), (0.42, "42%"), (0.05, "5.0%")],
)
def test_the_page_says_100_percent_only_when_the_probability_is_1(
    app, client, monkeypatch, confidence, shown
):
    recogniser = app.extensions["digitrec"]
    real = recogniser.recognise

    def with_confidence(images, check_time=None):
        return [
            dataclasses.replace(
                r, prediction=dataclasses.replace(r.prediction, confidence=confidence)
            )
            for r in real(images, check_time)
        ]

    monkeypatch.setattr(recogniser, "recognise", with_confidence)
    html = client.post("/", data={"sample": "digit-7"}).get_data(as_text=True)
    assert re.search(rf'id="confidence">{re.escape(shown)} sure</p>', html)
