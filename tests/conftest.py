"""Shared fixtures: small synthetic MNIST files, rendered digits, the recogniser, the Flask app.

Nothing here reads ../shared or the network: every test makes its own small data.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

# The feedback tests' database fixtures: database_url (each engine in turn), postgres_server.
from databases import database_url, postgres_server  # noqa: F401
from PIL import Image, ImageDraw, ImageFont

from digitrec.imaging.frame import fit_to_mnist_frame
from digitrec.training import data

FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def _font(size: int) -> ImageFont.ImageFont:
    if Path(FONT_PATH).is_file():
        return ImageFont.truetype(FONT_PATH, size)
    return ImageFont.load_default(size=size)


def render_digit(
    digit: int | str,
    size: tuple[int, int] = (280, 280),
    ink: tuple[int, ...] | int = 0,
    paper: tuple[int, ...] | int = 255,
    mode: str = "L",
    scale: float = 0.7,
    offset: tuple[int, int] = (0, 0),
) -> Image.Image:
    """A digit (or a string of digits) drawn in DejaVu Sans Bold, centred plus `offset`."""
    image = Image.new(mode, size, paper)
    draw = ImageDraw.Draw(image)
    font = _font(int(size[1] * scale))
    text = str(digit)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = (size[0] - (right - left)) / 2 - left + offset[0]
    y = (size[1] - (bottom - top)) / 2 - top + offset[1]
    draw.text((x, y), text, fill=ink, font=font)
    return image


def plain(digit: int = 3) -> Image.Image:
    """The reference: a black digit on a white 280x280 canvas."""
    return render_digit(digit)


def png_bytes(image: Image.Image, format: str = "PNG", **save_options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **save_options)
    return buffer.getvalue()


def touching_digits(text: str = "31415926535897932384626433832", height: int = 100) -> bytes:
    """Digits drawn so close that neighbours touch: one wide mark the reader must cut."""
    image = Image.new("L", (height // 2 * len(text) + height, height), 255)
    for position, digit in enumerate(text):
        drawn = render_digit(digit, size=(height, height), scale=0.8)
        image.paste(drawn, (position * height // 2, 0), mask=drawn.point(lambda v: 255 - v))
    return png_bytes(image)


def photo_of_digit(digit: int) -> bytes:
    """A digit on paper lit from one side, as a phone gives it (JPEG): read by the photo path,
    and so by the photos model."""
    page = np.asarray(render_digit(digit, size=(400, 300), scale=0.5, paper=225), np.float32)
    light = np.linspace(1.0, 0.75, 400)[None, :]
    return png_bytes(Image.fromarray(np.clip(page * light, 0, 255).astype(np.uint8)), "JPEG")


def synthetic_split(count: int, seed: int) -> data.Split:
    """MNIST-style digits rendered from the font with small random shifts and rotations."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(count) % 10).astype(np.uint8)
    rng.shuffle(labels)
    images = np.zeros((count, 28, 28), np.uint8)
    for i, label in enumerate(labels):
        drawn = render_digit(int(label), size=(84, 84), ink=255, paper=0, scale=0.8)
        drawn = drawn.rotate(float(rng.uniform(-10, 10)), resample=Image.Resampling.BILINEAR)
        ink = np.asarray(drawn, dtype=np.float32) / 255.0
        images[i] = np.round(fit_to_mnist_frame(ink) * 255).astype(np.uint8)
    return data.Split(images, labels)


def thick_ones(count: int) -> data.Split:
    """1s written with a bold pen, straight or a little bent: 3-4 px of a 28x28 frame, as MNIST
    stores its digits (white ink on black)."""
    rng = np.random.default_rng(0)
    images = np.zeros((count, 28, 28), np.uint8)
    for image in images:
        top, foot = (int(x) for x in rng.integers(10, 18, size=2))
        bend = int(rng.integers(-3, 4))
        stroke = np.array([(top, 4), ((top + foot) // 2 + bend, 14), (foot, 24)], np.int32)
        cv2.polylines(image, [stroke], False, 255, int(rng.integers(3, 5)), cv2.LINE_AA)
    return data.Split(images, np.ones(count, np.uint8))


def write_mnist_dir(directory: Path, train_count: int = 300, test_count: int = 100) -> Path:
    """The four MNIST files, official names, gzip-compressed, holding synthetic digits."""
    directory.mkdir(parents=True, exist_ok=True)
    for prefix, split in (
        ("train", synthetic_split(train_count, seed=1)),
        ("t10k", synthetic_split(test_count, seed=2)),
    ):
        data.write_idx(directory / f"{prefix}-images-idx3-ubyte.gz", split.images)
        data.write_idx(directory / f"{prefix}-labels-idx1-ubyte.gz", split.labels)
    return directory


@pytest.fixture(scope="session", autouse=True)
def user_data_dir(tmp_path_factory) -> Path:
    """XDG_DATA_HOME for the whole run, so the default feedback database of every app and
    server the tests start is a temporary file, never the user's own."""
    directory = tmp_path_factory.mktemp("xdg-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(directory))
        yield directory


@pytest.fixture(scope="session")
def mnist_dir(tmp_path_factory) -> Path:
    """A directory of small synthetic MNIST IDX files (300 training, 100 test digits)."""
    return write_mnist_dir(tmp_path_factory.mktemp("mnist"))


@pytest.fixture(scope="session")
def recogniser():
    from digitrec.inference import Recogniser

    return Recogniser()


@pytest.fixture
def app():
    from digitrec.web import create_app

    return create_app({"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def digitrec_command() -> list[str]:
    """The installed `digitrec` script of this environment (as `make serve` runs it)."""
    script = Path(sys.executable).with_name("digitrec")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "digitrec.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServer:
    url: str  # e.g. http://127.0.0.1:54321, no trailing slash
    process: subprocess.Popen
    log: Path  # the server's stdout and stderr together

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def serving(*options: str, workers: int = 2, env: dict | None = None, ready_within_s: float = 30):
    """Run the real `digitrec serve` on a free port until /readyz answers 200; always stop it.

    Fails the test with the server's output if it exits or is not ready in time.
    """
    port = free_port()
    command = [*digitrec_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), *options]
    with running(command, port, env=env, ready_within_s=ready_within_s) as server:
        yield server


@contextlib.contextmanager
def running(
    command: list[str],
    port: int,
    env: dict | None = None,
    cwd: Path | None = None,
    ready_within_s: float = 30,
):
    """Run a server `command` that listens on `port` until /readyz answers 200; always stop it."""
    log = Path(tempfile.mkstemp(prefix="digitrec-serve-", suffix=".log")[1])
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + ready_within_s
        while True:
            if process.poll() is not None:
                pytest.fail(f"digitrec serve exited with {process.returncode}:\n{server.output()}")
            try:
                with urllib.request.urlopen(f"{server.url}/readyz", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"digitrec serve not ready in {ready_within_s} s:\n{server.output()}")
            time.sleep(0.05)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def live_server():
    """`digitrec serve` (gunicorn, two workers) on a free port of 127.0.0.1, for the session."""
    with serving() as server:
        yield server


def photographed(pixels: np.ndarray, seed: int = 0) -> Image.Image:
    """Grey pixels as a phone gives them: sensor noise, then JPEG."""
    noise = np.random.default_rng(seed).normal(0, 3, pixels.shape)
    grey = Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    grey.save(buffer, format="JPEG", quality=85)
    return Image.open(io.BytesIO(buffer.getvalue()))


def register_heif_for_tests() -> None:
    """Tests write HEICs (`png_bytes(image, "HEIF")`): Pillow saves them once pillow-heif has
    registered itself, which digitrec does only when it first reads one."""
    import pillow_heif

    pillow_heif.register_heif_opener()


register_heif_for_tests()
