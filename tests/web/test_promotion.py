"""Promoting a model: SIGHUP to `digitrec serve` reloads it in every worker, under load, with
no failed request; a model that fails its check is refused and the server keeps serving."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import png_bytes, render_digit, serving

from digitrec.inference import bundled_model_path

MODELS = bundled_model_path().parent
LOAD_THREADS = 4
PROMOTION_WITHIN_S = 30
SEVEN = png_bytes(render_digit(7))


def install(model_dir: Path, served: Path) -> None:
    """Put a model and its card at `served` (model.onnx), each file replaced atomically."""
    for name in ("model.onnx", "model.json"):
        shutil.copyfile(model_dir / name, served.with_name(f".{name}.new"))
        os.replace(served.with_name(f".{name}.new"), served.with_name(name))


def card_version(model_dir: Path) -> str:
    return json.loads((model_dir / "model.json").read_text())["version"]


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def served_version(server) -> str:
    return json.loads(get(f"{server.url}/api/v1/model"))["version"]


def versions_in_metrics(server) -> set[str]:
    try:
        lines = get(f"{server.url}/metrics").decode().splitlines()
    except urllib.error.HTTPError as error:
        pytest.fail(f"/metrics answered {error.code}; server output:\n{server.output()}")
    return {
        line.split('version="')[1].split('"')[0]
        for line in lines
        if line.startswith("digitrec_model_info{")
    }


class Load:
    """Threads posting predictions until stopped; every answer's status and any error kept."""

    def __init__(self, url: str):
        self.url = url
        self.stopped = threading.Event()
        self.statuses: list[int] = []
        self.versions: set[str] = set()  # the model versions that answered
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._send) for _ in range(LOAD_THREADS)]

    def _send(self) -> None:
        while not self.stopped.is_set():
            request = urllib.request.Request(
                f"{self.url}/api/v1/predict",
                data=SEVEN,
                headers={"Content-Type": "image/png"},
            )
            try:
                with urllib.request.urlopen(request, timeout=20) as response:
                    self.statuses.append(response.status)
                    self.versions.add(json.loads(response.read())["model"]["version"])
            except urllib.error.HTTPError as error:
                self.statuses.append(error.code)
            except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
                self.errors.append(repr(error))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=30)


def wait_for(condition, within_s: float, server) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {within_s} s; server output:\n{server.output()}")
        time.sleep(0.1)


@pytest.fixture
def served(tmp_path) -> Path:
    path = tmp_path / "serving" / "model.onnx"
    path.parent.mkdir()
    install(MODELS, path)
    return path


def test_sighup_promotes_the_new_model_in_every_worker_under_load_with_no_failed_request(served):
    old, new = card_version(MODELS), card_version(MODELS / "pieces")
    assert old != new
    with serving("--model", str(served), workers=2) as server, Load(server.url) as load:
        time.sleep(0.5)
        install(MODELS / "pieces", served)
        time.sleep(0.5)
        assert served_version(server) == old  # a file replaced is not yet promoted
        os.kill(server.process.pid, signal.SIGHUP)
        wait_for(lambda: versions_in_metrics(server) == {new}, PROMOTION_WITHIN_S, server)
        assert all(served_version(server) == new for _ in range(10))
        time.sleep(0.5)
        output = server.output()
    assert load.errors == []
    assert load.statuses and set(load.statuses) == {200}
    assert load.versions == {old, new}  # the load ran on both sides of the promotion
    assert f"reloading: serving digitrec-cnn-pieces {new}" in output


def test_a_model_that_fails_its_check_is_refused_and_the_server_keeps_serving(served):
    old = card_version(MODELS)
    with serving("--model", str(served), workers=2) as server, Load(server.url) as load:
        served.write_bytes(b"not a model")
        os.kill(server.process.pid, signal.SIGHUP)
        wait_for(lambda: "reload refused" in server.output(), PROMOTION_WITHIN_S, server)
        time.sleep(1)
        assert served_version(server) == old
        assert server.process.poll() is None
        output = server.output()
    assert load.errors == [] and set(load.statuses) == {200}
    assert f"still serving digitrec-cnn {old}" in output


def test_a_server_whose_feedback_schema_is_behind_refuses_to_start_in_one_line(database_url):
    import subprocess

    import sqlalchemy
    from conftest import digitrec_command

    if database_url.startswith("sqlite"):  # a new SQLite file would be made at the newest schema
        engine = sqlalchemy.create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text("CREATE TABLE unrelated (x INTEGER)"))
        engine.dispose()
    finished = subprocess.run(
        [*digitrec_command(), "serve", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "DIGITREC_DATABASE_URL": database_url},
    )
    assert finished.returncode == 2
    [line] = finished.stderr.strip().splitlines()
    assert line.startswith("digitrec serve: cannot start: the feedback database")
    assert "has no feedback tables" in line and "digitrec db upgrade" in line


def test_metrics_skip_the_empty_samples_file_of_a_worker_that_is_starting(tmp_path):
    from digitrec.web import create_app

    app = create_app({"TESTING": True, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})
    (tmp_path / "counter_12345.db").write_bytes(b"")  # created, not yet sized
    response = app.test_client().get("/metrics")
    assert response.status_code == 200


def test_a_model_refused_at_start_leaves_no_copy_behind(tmp_path, monkeypatch):
    from digitrec.web.promotion import ModelSnapshots
    from digitrec.web.server import ModelFileError, check_model

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    with pytest.raises(ModelFileError):
        ModelSnapshots(tmp_path / "missing.onnx", check_model)
    assert list(tmp_path.iterdir()) == []
    snapshots = ModelSnapshots(None, check_model)
    assert snapshots.current.read_bytes() == bundled_model_path().read_bytes()
    snapshots.remove()
    assert list(tmp_path.iterdir()) == []


def test_the_workers_copy_of_the_model_keeps_its_pieces_and_photos_models(tmp_path, monkeypatch):
    from digitrec.inference import PHOTOS_MODEL, PIECES_MODEL, Recogniser
    from digitrec.web.promotion import ModelSnapshots
    from digitrec.web.server import check_model

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    snapshots = ModelSnapshots(None, check_model)
    served = Recogniser(snapshots.current)
    bundled = bundled_model_path().parent
    assert served.photo_reader is not None and served.cut_judge is not None
    for companion in (PIECES_MODEL, PHOTOS_MODEL):
        copied = snapshots.current.parent / companion
        assert copied.read_bytes() == (bundled / companion).read_bytes()
    snapshots.remove()


def test_a_model_whose_photos_model_fails_its_check_is_refused_whole(tmp_path, monkeypatch):
    from digitrec.model_card import CARD_FILENAME
    from digitrec.web.promotion import ModelSnapshots
    from digitrec.web.server import ModelFileError, check_model

    copies = tmp_path / "copies"
    copies.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(copies))
    bundled = bundled_model_path().parent
    for name in ("model.onnx", CARD_FILENAME):
        (tmp_path / name).write_bytes((bundled / name).read_bytes())
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "model.onnx").write_bytes(b"")  # empty: fails the check
    (tmp_path / "photos" / CARD_FILENAME).write_bytes((bundled / CARD_FILENAME).read_bytes())
    with pytest.raises(ModelFileError, match="empty"):
        ModelSnapshots(tmp_path / "model.onnx", check_model)
    assert list(copies.iterdir()) == []
