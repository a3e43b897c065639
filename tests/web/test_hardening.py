"""Bad input never gets a 500: every class of hostile or broken upload, with its exact status.

One table of requests and the status each must get, through Flask's test client: size caps,
decompression bombs and absurd dimensions (refused from the header, quickly, without the
pixels being allocated), broken and disguised files, malformed JSON and base64, wrong content
types, images too small to hold a digit (1x1) and batches beyond the cap. Unusual but valid
images (16-bit, CMYK, palette with transparency, thousands of GIF frames) are read, not refused.
"""

from __future__ import annotations

import base64
import io
import resource
import struct
import time
import zlib

import numpy as np
import pytest
from conftest import png_bytes, render_digit
from PIL import Image

from digitrec.web import create_app

MAX_BYTES = 300_000  # a small cap, so that "too large" needs little test data
MAX_BATCH = 4
# Each bad request is answered within this, on a loaded two-core machine.
ANSWER_WITHIN_S = 2.0
# Refusing a bomb may not grow the process by more than this (its pixels would be gigabytes).
BOMB_MEMORY_MB = 100

SEVEN = png_bytes(render_digit(7))


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def png_declaring(width: int, height: int, rows: int = 16, bit_depth: int = 1) -> bytes:
    """A valid PNG header for width x height grey pixels, with a few rows of zeros: a few KB."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    row = b"\x00" * (1 + (width * bit_depth + 7) // 8)
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(rows)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", pixels)
        + png_chunk(b"IEND", b"")
    )


def palette_png_without_palette() -> bytes:
    """Colour type 3 (palette) with no PLTE chunk: invalid, yet Pillow opens and loads it."""
    header = struct.pack(">IIBBBBB", 32, 32, 8, 3, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes([row % 4]) * 32 for row in range(32))
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


def gif_declaring(width: int, height: int) -> bytes:
    """A tiny GIF whose logical screen claims width x height."""
    small = png_bytes(Image.new("P", (8, 8), 0), "GIF")
    return small[:6] + struct.pack("<HH", width, height) + small[10:]


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small JPEG with its frame header (SOF0) patched to claim width x height."""
    jpeg = png_bytes(render_digit(7, size=(64, 64)), "JPEG")
    sof = jpeg.index(b"\xff\xc0")
    return jpeg[: sof + 5] + struct.pack(">HH", height, width) + jpeg[sof + 9 :]


def many_frames_gif(frames: int) -> bytes:
    """An animated GIF: a 7, then `frames - 1` frames that each differ (so none are merged)."""
    first = render_digit(7, size=(64, 64)).convert("P")
    rest = []
    for i in range(frames - 1):
        frame = first.copy()
        spot = (i % 64, (i // 64) % 64)
        frame.putpixel(spot, 0 if frame.getpixel(spot) else 255)
        rest.append(frame)
    buffer = io.BytesIO()
    first.save(buffer, "GIF", save_all=True, append_images=rest, duration=20, loop=0)
    return buffer.getvalue()


def raw(body: bytes, content_type: str = "image/png") -> dict:
    return {"data": body, "content_type": content_type}


def upload(body: bytes, filename: str = "image.png", content_type: str | None = None) -> dict:
    """A multipart form with `body` as its `file` field (its type guessed from the name)."""
    part = (
        (io.BytesIO(body), filename, content_type) if content_type else (io.BytesIO(body), filename)
    )
    return {"data": {"file": part}}


def as_json(value) -> dict:
    return {"json": value}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


HUGE_PNG = png_declaring(50_000, 50_000)  # 2.5 gigapixels in about 1 KB
BOMB_PNG = png_declaring(20_000, 20_000, rows=20_000)  # every row present: a real bomb
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><text>7</text></svg>'
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
CORRUPT_IHDR = SEVEN[:29] + b"\x00\x00\x00\x00" + SEVEN[33:]  # the header's CRC zeroed

# The four answers a bad upload can get: (status, problem slug).
TOO_LARGE = (413, "image-too-large")
MALFORMED = (400, "malformed-request")
NOT_AN_IMAGE = (415, "not-an-image")
UNUSABLE = (422, "unusable-image")

CHUNKED_OVER_CAP = {
    "input_stream": io.BytesIO(bytes(MAX_BYTES + 1)),
    "headers": {"Transfer-Encoding": "chunked", "Content-Type": "image/png"},
    "environ_base": {"wsgi.input_terminated": True},  # as gunicorn says of its streams
}
TOO_MANY_PARTS = {"data": {f"field{i}": "x" for i in range(1001)}}
TOO_MANY_PARTS["data"]["file"] = (io.BytesIO(SEVEN), "7.png")
WRONG_FIELD = {"data": {"image": (io.BytesIO(SEVEN), "7.png")}}
FIVE_FILES = {"data": {"file": [(io.BytesIO(SEVEN), f"{i}.png") for i in range(5)]}}
BAD_IN_BATCH = {"data": {"file": [(io.BytesIO(SEVEN), "a.png"), (io.BytesIO(PDF), "b.png")]}}
TRUNCATED_JPEG = png_bytes(render_digit(7), "JPEG")[:600]
ZIP = b"PK\x03\x04" + bytes(40)

# (what, request options, (status, slug)). The status is the exact one the API answers.
BAD_INPUT = [
    # Size and dimensions
    ("body over the size cap", raw(SEVEN + bytes(MAX_BYTES)), TOO_LARGE),
    ("file over the size cap", upload(bytes(MAX_BYTES + 1)), TOO_LARGE),
    ("chunked body over the size cap", CHUNKED_OVER_CAP, TOO_LARGE),
    ("form with more parts than werkzeug parses", TOO_MANY_PARTS, TOO_LARGE),
    ("50000x50000 PNG of a few KB", raw(HUGE_PNG), TOO_LARGE),
    ("20000x20000 PNG bomb", raw(BOMB_PNG), TOO_LARGE),
    ("GIF claiming 65535x65535", raw(gif_declaring(65535, 65535), "image/gif"), TOO_LARGE),
    ("JPEG claiming 60000x60000", raw(jpeg_declaring(60000, 60000), "image/jpeg"), TOO_LARGE),
    ("bomb as base64 JSON", as_json({"image": b64(HUGE_PNG)}), TOO_LARGE),
    # Broken files
    ("zero-byte body", raw(b""), MALFORMED),
    ("zero-byte file", upload(b""), MALFORMED),  # as a zero-byte body: the same mistake
    ("truncated PNG", raw(SEVEN[: len(SEVEN) // 2]), UNUSABLE),
    ("PNG cut inside its header", raw(SEVEN[:20]), UNUSABLE),
    ("PNG with a corrupt header", raw(CORRUPT_IHDR), UNUSABLE),
    ("truncated JPEG", raw(TRUNCATED_JPEG, "image/jpeg"), UNUSABLE),
    ("PNG declaring 0x0", raw(png_declaring(0, 0, rows=0)), UNUSABLE),
    ("1x1 PNG", raw(png_bytes(Image.new("L", (1, 1), 0))), UNUSABLE),
    ("palette PNG without its palette", raw(palette_png_without_palette()), UNUSABLE),
    # Not images, whatever they are called
    ("SVG", raw(SVG, "image/svg+xml"), NOT_AN_IMAGE),
    ("SVG uploaded as .png", upload(SVG, "seven.png", "image/png"), NOT_AN_IMAGE),
    ("PDF", raw(PDF, "application/pdf"), NOT_AN_IMAGE),
    ("PDF sent as image/png", raw(PDF), NOT_AN_IMAGE),
    ("HTML named .png", upload(HTML, "seven.png", "image/png"), NOT_AN_IMAGE),
    ("ZIP as octet-stream", raw(ZIP, "application/octet-stream"), NOT_AN_IMAGE),
    ("random bytes", raw(bytes(range(256)) * 4), NOT_AN_IMAGE),
    # Malformed JSON and base64
    ("invalid JSON", raw(b'{"image": ', "application/json"), MALFORMED),
    ("JSON nested 100000 deep", raw(b"[" * 100_000, "application/json"), MALFORMED),
    ("JSON string, not an object", as_json("iVBORw0KGgo="), MALFORMED),
    ("JSON image null", as_json({"image": None}), MALFORMED),
    ("JSON with both image and images", as_json({"image": b64(SEVEN), "images": []}), MALFORMED),
    ("JSON not UTF-8", raw(b'{"image": "\xff\xfe"}', "application/json"), MALFORMED),
    ("base64 with bad characters", as_json({"image": "iVBOR*w0KGgo!"}), MALFORMED),
    ("base64 of nothing", as_json({"image": "===="}), MALFORMED),
    ("data: URL without base64", as_json({"image": "data:image/png,xyz"}), MALFORMED),
    ("base64 of a PDF", as_json({"image": b64(PDF)}), NOT_AN_IMAGE),
    # Wrong content types
    ("no content type", {"data": SEVEN}, MALFORMED),
    ("text/plain", raw(b"seven", "text/plain"), NOT_AN_IMAGE),
    ("text/html", raw(HTML, "text/html"), NOT_AN_IMAGE),
    ("url-encoded form", raw(b"file=7", "application/x-www-form-urlencoded"), NOT_AN_IMAGE),
    ("multipart without a boundary", raw(b"--x\r\n", "multipart/form-data"), MALFORMED),
    ("multipart without a file field", WRONG_FIELD, MALFORMED),
    # Batches
    ("five files, cap four", FIVE_FILES, MALFORMED),
    ("five JSON images, cap four", as_json({"images": [b64(SEVEN)] * 5}), MALFORMED),
    ("20000 JSON images", as_json({"images": ["AA=="] * 20_000}), MALFORMED),
    ("a PDF in a batch", BAD_IN_BATCH, NOT_AN_IMAGE),
]


@pytest.fixture(scope="module")
def hardened():
    """The app with a small upload cap and batch, so the limits are cheap to reach."""
    app = create_app(
        {"TESTING": True, "DIGITREC_MAX_UPLOAD_BYTES": MAX_BYTES, "DIGITREC_MAX_BATCH": MAX_BATCH}
    )
    return app.test_client()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


@pytest.mark.parametrize(
    ("request_options", "expected"),
    [case[1:] for case in BAD_INPUT],
    ids=[case[0] for case in BAD_INPUT],
)
def test_bad_input_is_a_clear_problem_with_its_exact_status(hardened, request_options, expected):
    status, slug = expected
    peak_before = peak_rss_mb()
    started = time.perf_counter()
    response = hardened.post("/api/v1/predict", **request_options)
    elapsed_s = time.perf_counter() - started
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status
    assert problem["type"] == f"/api#problem-{slug}"
    assert len(problem["detail"]) > 10
    assert problem["accepted"]["max_bytes"] == MAX_BYTES
    assert elapsed_s < ANSWER_WITHIN_S, f"answered in {elapsed_s:.2f} s"
    assert peak_rss_mb() - peak_before < BOMB_MEMORY_MB


def test_a_bomb_is_refused_from_its_header_saying_the_limit(hardened):
    detail = hardened.post("/api/v1/predict", **raw(HUGE_PNG)).get_json()["detail"]
    assert "50000x50000" in detail
    assert "limit is 32 megapixels" in detail


def test_a_1x1_image_is_refused_saying_the_smallest_size_read(hardened):
    problem = hardened.post("/api/v1/predict", **raw(png_bytes(Image.new("L", (1, 1), 0))))
    detail = problem.get_json()["detail"]
    assert "1x1 pixels" in detail
    assert "at least 8x8 pixels" in detail
    assert problem.get_json()["accepted"]["min_side"] == 8


def test_the_pixel_limit_is_configurable():
    client = create_app({"TESTING": True, "DIGITREC_MAX_MEGAPIXELS": 1}).test_client()
    big = png_bytes(render_digit(7, size=(1200, 1000)))
    problem = client.post("/api/v1/predict", **raw(big)).get_json()
    assert problem["status"] == 413
    assert "limit is 1 megapixels" in problem["detail"]
    assert problem["accepted"]["max_pixels"] == 1_000_000


def test_a_chunked_body_under_the_cap_is_read_whole(hardened):
    response = hardened.post(
        "/api/v1/predict",
        input_stream=io.BytesIO(SEVEN),
        headers={"Transfer-Encoding": "chunked", "Content-Type": "image/png"},
        environ_base={"wsgi.input_terminated": True},
    )
    assert response.status_code == 200
    assert response.get_json()["digit"] == 7


def sixteen_bit(image: Image.Image) -> Image.Image:
    """An 8-bit grey image -> the same in 16 bits (0..65535)."""
    return Image.fromarray(np.asarray(image, dtype=np.uint16) * 257)


GIF_OF_3000_FRAMES = many_frames_gif(3000)


# Unusual but valid: read, never refused. (what, request options, digit expected)
UNUSUAL_BUT_VALID = [
    ("16-bit grey PNG", raw(png_bytes(sixteen_bit(render_digit(7)))), 7),
    ("CMYK JPEG", raw(png_bytes(render_digit(7).convert("CMYK"), "JPEG"), "image/jpeg"), 7),
    (
        "palette PNG with a transparent background",
        raw(png_bytes(render_digit(7, mode="P", ink=1, paper=0), transparency=0)),
        7,
    ),
    ("animated GIF of 3000 frames (the first is read)", raw(GIF_OF_3000_FRAMES, "image/gif"), 7),
    (
        "data: URL with its scheme in capitals",
        as_json({"image": "DATA:image/png;base64," + b64(SEVEN)}),
        7,
    ),
]


@pytest.mark.parametrize(
    ("request_options", "digit"),
    [case[1:] for case in UNUSUAL_BUT_VALID],
    ids=[case[0] for case in UNUSUAL_BUT_VALID],
)
def test_unusual_but_valid_images_are_read(client, request_options, digit):
    started = time.perf_counter()
    response = client.post("/api/v1/predict", **request_options)
    assert time.perf_counter() - started < ANSWER_WITHIN_S
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["digit"] == digit
    assert answer["is_digit"] is (digit is not None)


def test_the_many_frames_gif_really_has_them():
    with Image.open(io.BytesIO(GIF_OF_3000_FRAMES)) as gif:
        assert gif.n_frames == 3000


@pytest.mark.parametrize(
    ("request_options", "status"),
    [
        ({"data": {"file": (io.BytesIO(HUGE_PNG), "huge.png")}}, 413),
        ({"data": {"file": (io.BytesIO(SVG), "seven.png")}}, 415),
        ({"data": {"file": (io.BytesIO(b""), "empty.png")}}, 400),
        ({"data": {"file": [(io.BytesIO(SEVEN), "a.png"), (io.BytesIO(SEVEN), "b.png")]}}, 400),
    ],
    ids=["bomb", "svg", "empty", "two files"],
)
def test_the_form_without_javascript_answers_the_same_problems_in_the_form(
    hardened, request_options, status
):
    response = hardened.post("/", **request_options)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert 'id="form-error" role="alert"' in html and 'id="read-form"' in html


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("image/png", SEVEN),
        ("application/json", b'{"image": "' + base64.b64encode(SEVEN) + b'"}'),
        (
            "multipart/form-data; boundary=b",
            b"--b\r\nContent-Disposition: form-data; "
            b'name="file"; filename="7.png"\r\n\r\n' + SEVEN + b"\r\n--b--\r\n",
        ),
    ],
    ids=["raw", "json", "multipart"],
)
def test_a_body_still_arriving_at_its_deadline_is_answered_408(
    hardened, monkeypatch, content_type, body
):
    deadline = hardened.application.wsgi_app  # the outermost middleware
    monkeypatch.setattr(deadline, "seconds", -1.0)  # every body is late
    late = hardened.post("/api/v1/predict", data=body, headers={"Content-Type": content_type})
    assert late.status_code == 408
    assert late.mimetype == "application/problem+json"
    assert "did not arrive in time" in late.get_json()["detail"]
    monkeypatch.undo()
    on_time = hardened.post("/api/v1/predict", data=body, headers={"Content-Type": content_type})
    assert on_time.status_code == 200


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"image": ', "not valid JSON"),
        (b'{"image": "\xff"}', "not valid JSON"),
        (b"null", "not a JSON object"),
        (b'["iVBORw0KGgo="]', "not a JSON object"),
    ],
)
def test_json_that_does_not_parse_is_told_apart_from_json_of_the_wrong_shape(client, body, detail):
    response = client.post("/api/v1/predict", data=body, content_type="application/json")
    assert response.status_code == 400
    assert detail in response.get_json()["detail"]
