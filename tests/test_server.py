"""Serving: configuration from the environment, `flask --app digitrec.web`, and the real
`digitrec serve` under gunicorn: refusing a bad model, multi-worker metrics, a clean stop."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import urllib.request

import pytest
from conftest import digitrec_command, png_bytes, render_digit, serving
from prometheus_client.parser import text_string_to_metric_families

from digitrec.web import config
from digitrec.web.server import bind_address

# Configuration ----------------------------------------------------------------------------


def test_defaults_when_nothing_is_set():
    settings = config.from_environment({})
    assert settings["DIGITREC_MODEL"] is None
    assert settings["DIGITREC_MAX_UPLOAD_BYTES"] == 10 * 1024 * 1024
    assert settings["DIGITREC_MAX_BATCH"] == 64
    assert settings["DIGITREC_WORKERS"] is None


def test_environment_values_are_parsed():
    settings = config.from_environment(
        {"DIGITREC_MODEL": "/m/model.onnx", "DIGITREC_MAX_BATCH": "8", "DIGITREC_WORKERS": " 3 "}
    )
    assert settings["DIGITREC_MODEL"] == "/m/model.onnx"
    assert settings["DIGITREC_MAX_BATCH"] == 8
    assert settings["DIGITREC_WORKERS"] == 3


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DIGITREC_MAX_BATCH", "lots", "expected a whole number"),
        ("DIGITREC_MAX_UPLOAD_BYTES", "0", "at least 1"),
        ("DIGITREC_WORKERS", "-2", "at least 1"),
    ],
)
def test_a_bad_value_names_the_variable(name, value, message):
    with pytest.raises(config.ConfigError, match=rf"{name}='{value}': .*{message}"):
        config.from_environment({name: value})


def test_the_config_dict_overrides_the_environment(monkeypatch):
    from digitrec.web import create_app

    monkeypatch.setenv("DIGITREC_MAX_BATCH", "9")
    assert create_app({"TESTING": True}).config["DIGITREC_MAX_BATCH"] == 9
    assert create_app({"DIGITREC_MAX_BATCH": 2}).config["DIGITREC_MAX_BATCH"] == 2


def test_flask_run_finds_the_factory():
    from flask.cli import ScriptInfo

    app = ScriptInfo(app_import_path="digitrec.web").load_app()
    assert "digitrec" in app.extensions


def test_ipv6_hosts_are_bracketed():
    assert bind_address("::1", 5000) == "[::1]:5000"
    assert bind_address("127.0.0.1", 5000) == "127.0.0.1:5000"


# Refusing to start ------------------------------------------------------------------------


@pytest.fixture
def model_copy(tmp_path):
    from digitrec.inference import bundled_model_path

    bundled = bundled_model_path()
    for name in ("model.onnx", "model.json"):
        shutil.copy(bundled.with_name(name), tmp_path / name)
    return tmp_path / "model.onnx"


def serve_once(*options: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [*digitrec_command(), "serve", "--port", "1", *options],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **(env or {})},
    )


def assert_refused(finished: subprocess.CompletedProcess, *words: str) -> None:
    assert finished.returncode != 0
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1, finished.stderr
    for word in words:
        assert word in lines[0]


def test_a_missing_model_is_refused_in_one_line(tmp_path):
    missing = tmp_path / "nowhere" / "model.onnx"
    assert_refused(serve_once("--model", str(missing)), str(missing), "not found")


def test_a_corrupt_model_is_refused_in_one_line(model_copy):
    model_copy.write_bytes(model_copy.read_bytes()[:500])
    assert_refused(serve_once("--model", str(model_copy)), str(model_copy), "corrupt")


def test_a_model_without_its_card_is_refused_in_one_line(model_copy):
    model_copy.with_name("model.json").unlink()
    assert_refused(serve_once("--model", str(model_copy)), "model.json")


def test_a_bad_environment_variable_is_refused_in_one_line():
    assert_refused(serve_once(env={"DIGITREC_MAX_BATCH": "none"}), "DIGITREC_MAX_BATCH")


# Under gunicorn ---------------------------------------------------------------------------


def post_png(url: str, image: bytes) -> dict:
    request = urllib.request.Request(
        f"{url}/api/v1/predict", data=image, headers={"Content-Type": "image/png"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_gunicorn_answers_and_sums_metrics_over_its_workers(live_server):
    seven = png_bytes(render_digit(7))
    for _ in range(6):
        assert post_png(live_server.url, seven)["digit"] == 7
    with urllib.request.urlopen(f"{live_server.url}/metrics", timeout=10) as response:
        text = response.read().decode()
    predictions = {
        (sample.name, sample.labels.get("digit")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert predictions[("digitrec_predictions_total", "7")] >= 6
    assert live_server.output().count("Booting worker") == 2


def test_sigterm_stops_the_server_cleanly():
    with serving(workers=1) as server:
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=15) == 0
        assert "Shutting down" in server.output()
