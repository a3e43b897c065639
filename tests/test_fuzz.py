"""Fuzzing: hostile bytes never crash decoding, preprocessing or the API, and never hang.

Seeds are real images made here (a rendered digit as PNG in several modes, JPEG, CMYK JPEG,
animated GIF, BMP, WebP, HEIC, TIFF); hypothesis flips, truncates, splices, duplicates and deletes
their bytes, rewrites their declared sizes, or sends random bytes behind a real signature.
The property: decode_image + to_mnist_style either answer a well-formed 28x28 input or raise a
RecognitionError; the API answers anything but a 5xx; each case takes under CASE_LIMIT_S.

    DIGITREC_FUZZ_EXAMPLES=10000 .venv/bin/pytest tests/test_fuzz.py     # = make fuzz
"""

from __future__ import annotations

import base64
import io
import json
import os
import struct
import time
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from digitrec.errors import RecognitionError
from digitrec.imaging.decode import decode_image
from digitrec.imaging.preprocess import to_mnist_style

# Pillow warns about the corrupt metadata it survives (EXIF, truncated reads): expected here.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL")
EXAMPLES = int(os.environ.get("DIGITREC_FUZZ_EXAMPLES", "300"))
# Wall-clock bound per case. Real cases take milliseconds; this is generous so that a busy CI
# machine cannot fail it, yet it still catches a decoder that loops or a bomb that allocates.
CASE_LIMIT_S = 2.0
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,  # timed explicitly below: a deadline would also fail on a re-run's jitter
    database=None,  # nothing written into the working tree; failures print their input
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- seeds: real images made here ---------------------------------------------------------


def _digit(size: int = 48) -> Image.Image:
    """A dark 7 on light paper: two strokes, enough for a real digit at any size."""
    image = Image.new("L", (size, size), 235)
    draw = ImageDraw.Draw(image)
    width = max(2, size // 10)
    draw.line([(size * 0.2, size * 0.2), (size * 0.8, size * 0.2)], fill=20, width=width)
    draw.line([(size * 0.8, size * 0.2), (size * 0.4, size * 0.85)], fill=20, width=width)
    return image


def _encoded(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def _animated_gif(frames: int = 4) -> bytes:
    images = [_digit().rotate(10 * i, fillcolor=235) for i in range(frames)]
    return _encoded(images[0], "GIF", save_all=True, append_images=images[1:], duration=50)


def _seeds() -> dict[str, bytes]:
    grey = _digit()
    rgba = grey.convert("RGBA")
    rgba.putalpha(grey.point(lambda v: 255 - v))  # strokes opaque, paper transparent
    sixteen = Image.fromarray((np.asarray(grey, dtype=np.uint16) * 257).astype(np.uint16))
    return {
        "png-grey": _encoded(grey, "PNG"),
        "png-rgba": _encoded(rgba, "PNG"),
        "png-palette-transparent": _encoded(rgba.convert("P"), "PNG", transparency=0),
        "png-16-bit": _encoded(sixteen, "PNG"),
        "png-1-bit": _encoded(grey.convert("1"), "PNG"),
        "png-canvas": _encoded(_digit(280), "PNG"),
        "jpeg": _encoded(grey.convert("RGB"), "JPEG", quality=80),
        "jpeg-cmyk": _encoded(grey.convert("CMYK"), "JPEG"),
        "jpeg-progressive": _encoded(grey, "JPEG", progressive=True),
        "gif-animated": _animated_gif(),
        "bmp": _encoded(grey.convert("RGB"), "BMP"),
        "webp": _encoded(grey.convert("RGB"), "WEBP", quality=80),
        "webp-lossless": _encoded(rgba, "WEBP", lossless=True),
        "heic": _encoded(grey.convert("RGB"), "HEIF", quality=80),
        "tiff": _encoded(grey, "TIFF"),
        "tiff-deflate": _encoded(grey.convert("RGB"), "TIFF", compression="tiff_deflate"),
    }


SEEDS = _seeds()
SIGNATURES = [
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff\xe0",
    b"GIF89a",
    b"GIF87a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    b"\x00\x00\x00\x18ftypheic",
    b"%PDF-1.7",
    b"<svg ",
    b"",
]


def test_every_seed_is_a_readable_digit():
    """The fuzzer starts from good images: each decodes and has a digit to read."""
    for name, data in SEEDS.items():
        preprocessed = to_mnist_style(decode_image(data))
        assert not preprocessed.is_blank, name


# --- mutations ----------------------------------------------------------------------------


def _with_declared_size(name: str, data: bytes, width: int, height: int) -> bytes:
    """The seed with its header claiming width x height (a PNG's CRC fixed to match the claim,
    so that it gets past the check), its pixel data left as it was."""
    if name.startswith("png"):
        header = data[12:16] + struct.pack(">II", width, height) + data[24:29]
        return data[:16] + header[4:] + struct.pack(">I", zlib.crc32(header)) + data[33:]
    if name.startswith("gif"):
        return data[:6] + struct.pack("<HH", width % 2**16, height % 2**16) + data[10:]
    if name == "bmp":
        return data[:18] + struct.pack("<II", width, height) + data[26:]
    return data


@st.composite
def mutated_images(draw) -> bytes:
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[name])
    if name.startswith(("png", "gif", "bmp")) and draw(st.booleans()):
        side = st.integers(min_value=0, max_value=2**31 - 1) | st.integers(0, 70_000)
        data = bytearray(_with_declared_size(name, bytes(data), draw(side), draw(side)))
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        if not data:
            break
        # Headers hold most of the parsers' decisions: aim half of the edits at the first 64 bytes.
        end = len(data) if draw(st.booleans()) else min(len(data), 64)
        at = draw(st.integers(min_value=0, max_value=end - 1))
        kind = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete", "duplicate"]))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set":
            data[at] = draw(st.sampled_from([0x00, 0x7F, 0x80, 0xFF, draw(st.integers(0, 255))]))
        elif kind == "truncate":
            data = data[:at]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 256))]
    return bytes(data)


random_bytes = st.builds(
    lambda signature, tail: signature + tail,
    st.sampled_from(SIGNATURES),
    st.binary(max_size=2048),
)
hostile_bytes = mutated_images() | random_bytes


# --- decode and preprocess ------------------------------------------------------------------


def _decode_and_preprocess(data: bytes) -> None:
    try:
        image = decode_image(data)
        preprocessed = to_mnist_style(image)
        steps = preprocessed.steps()
    except RecognitionError:
        return
    assert preprocessed.mnist.shape == (28, 28)
    assert preprocessed.mnist.dtype == np.float32
    assert np.isfinite(preprocessed.mnist).all()
    assert preprocessed.mnist.min() >= 0.0 and preprocessed.mnist.max() <= 1.0
    assert all(step.dtype == np.uint8 and step.ndim == 2 for step in steps.values())


@FUZZ_SETTINGS
@given(data=hostile_bytes)
def test_hostile_bytes_give_an_mnist_input_or_a_recognition_error(data):
    started = time.perf_counter()
    _decode_and_preprocess(data)
    elapsed = time.perf_counter() - started
    assert elapsed < CASE_LIMIT_S, f"{len(data)} bytes took {elapsed:.2f} s"


# --- the HTTP endpoint ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_client():
    """One app for every example (hypothesis reruns the test body, not the fixture)."""
    web = pytest.importorskip("digitrec.web")
    app = web.create_app({"TESTING": True})
    if "/api/v1/predict" not in {rule.rule for rule in app.url_map.iter_rules()}:
        pytest.skip("the API's POST /api/v1/predict is not there yet")
    return app.test_client()


def _request(form: str, data: bytes) -> dict:
    """Keyword arguments for the test client's post() sending `data` the way `form` says."""
    if form == "raw-png":
        return {"data": data, "content_type": "image/png"}
    if form == "raw-octet-stream":
        return {"data": data, "content_type": "application/octet-stream"}
    if form == "raw-wrong-type":
        return {"data": data, "content_type": "text/plain"}
    if form == "multipart":
        return {"data": {"file": (io.BytesIO(data), "upload.png")}}
    if form == "json-base64":
        return {"json": {"image": base64.b64encode(data).decode()}}
    if form == "json-batch":
        encoded = base64.b64encode(data).decode()
        return {"json": {"images": [encoded, base64.b64encode(SEEDS["png-grey"]).decode()]}}
    # The bytes as the JSON body itself: mostly malformed JSON.
    return {"data": data, "content_type": "application/json"}


FORMS = [
    "raw-png",
    "raw-octet-stream",
    "raw-wrong-type",
    "multipart",
    "json-base64",
    "json-batch",
    "json-garbage",
]


@FUZZ_SETTINGS
@given(form=st.sampled_from(FORMS), data=hostile_bytes)
def test_the_api_never_answers_5xx_to_hostile_uploads(fuzz_client, form, data):
    started = time.perf_counter()
    response = fuzz_client.post("/api/v1/predict", **_request(form, data))
    elapsed = time.perf_counter() - started
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    assert elapsed < CASE_LIMIT_S, f"{form} with {len(data)} bytes took {elapsed:.2f} s"
    body = json.loads(response.get_data())
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
        assert body["status"] == response.status_code and body["detail"]
    else:
        answers = body.get("results", [body])
        assert all(set(answer) >= {"digit", "probabilities", "is_digit"} for answer in answers)


def test_the_largest_allowed_image_is_read_within_the_time_bound():
    """A photo-sized grey PNG just under the pixel limit: decoded in full, still under 2 s."""
    from digitrec.imaging.decode import MAX_PIXELS

    side = int(MAX_PIXELS**0.5) - 1
    paper = Image.new("L", (side, side), 235)
    paper.paste(_digit(side // 3), (side // 3, side // 3))
    data = _encoded(paper, "PNG", compress_level=1)
    started = time.perf_counter()
    preprocessed = to_mnist_style(decode_image(data))
    elapsed = time.perf_counter() - started
    assert not preprocessed.is_blank
    assert elapsed < CASE_LIMIT_S, f"a {side}x{side} PNG took {elapsed:.2f} s"


def _tall_palette_png(width: int = 1, height: int = 39_999_999) -> bytes:
    """A valid, 78 KB palette PNG (index 0 transparent white, 1 black) with a band of ink."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    paper, ink = b"\x00" + b"\x00" * width, b"\x00" + b"\x01" * width
    rows = paper * (height // 2) + ink * 1000 + paper * (height - height // 2 - 1000)
    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", header),
            chunk(b"PLTE", b"\xff\xff\xff\x00\x00\x00"),
            chunk(b"tRNS", b"\x00"),
            chunk(b"IDAT", zlib.compress(rows, 9)),
            chunk(b"IEND", b""),
        ]
    )


def test_a_one_pixel_wide_image_is_answered_within_the_time_bound():
    data = _tall_palette_png()
    started = time.perf_counter()
    _decode_and_preprocess(data)
    elapsed = time.perf_counter() - started
    assert elapsed < CASE_LIMIT_S, f"a {len(data):,}-byte 1x39999999 PNG took {elapsed:.2f} s"
