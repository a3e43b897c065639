"""Serving: configuration from the environment, `flask --app digitrec.web`, and the real
`digitrec serve` under gunicorn: refusing a bad model, multi-worker metrics, a clean stop."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import digitrec_command, free_port, png_bytes, render_digit, serving
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
    """`digitrec serve` expected to refuse to start (port 1 unless `options` name another)."""
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


def test_a_weak_api_token_is_refused_in_one_line_without_echoing_it():
    finished = serve_once(env={"DIGITREC_API_TOKEN": "hunter2"})
    assert_refused(finished, "DIGITREC_API_TOKEN", "at least 16 characters")
    assert "hunter2" not in finished.stderr


def rewrite_card(model: Path, **files) -> None:
    card_path = model.with_name("model.json")
    card = json.loads(card_path.read_text())
    card["files"] = {**card.get("files", {}), **files}
    card["files"] = {name: value for name, value in card["files"].items() if value is not None}
    card_path.write_text(json.dumps(card))


def test_a_corrupt_model_without_a_checksum_is_refused_in_one_line(model_copy):
    model_copy.write_bytes(model_copy.read_bytes()[:5000])
    rewrite_card(model_copy, onnx_sha256=None)
    finished = serve_once("--model", str(model_copy))
    assert_refused(finished, str(model_copy), "not a loadable ONNX model")


def test_a_worker_that_cannot_load_the_model_stops_the_server_with_one_clear_line(model_copy):
    # The card vouches for the corrupt bytes, so only ONNX Runtime in the worker finds out:
    # as when a model needs a newer runtime than the one installed.
    model_copy.write_bytes(model_copy.read_bytes()[:5000])
    rewrite_card(model_copy, onnx_sha256=hashlib.sha256(model_copy.read_bytes()).hexdigest())
    port = str(free_port())
    finished = serve_once("--host", "127.0.0.1", "--port", port, "--model", str(model_copy))
    assert finished.returncode != 0
    assert "Traceback" not in finished.stderr
    last_line = finished.stderr.strip().splitlines()[-1]
    assert last_line.startswith("digitrec serve: cannot start: ")
    assert str(model_copy) in last_line
    assert "not a loadable ONNX model" in last_line


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


def test_with_a_token_in_the_environment_gunicorn_asks_for_it():
    token = "served-with-a-token-0123456789"
    with serving(workers=1, env={"DIGITREC_API_TOKEN": token}) as server:
        with pytest.raises(urllib.error.HTTPError) as refused:
            post_png(server.url, png_bytes(render_digit(7)))
        assert refused.value.code == 401
        assert refused.value.headers["WWW-Authenticate"].startswith("Bearer")
        request = urllib.request.Request(
            f"{server.url}/api/v1/predict",
            data=png_bytes(render_digit(7)),
            headers={"Content-Type": "image/png", "Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.load(response)["digit"] == 7


# Faults -----------------------------------------------------------------------------------


def worker_pids(master_pid: int) -> set[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text()
    return {int(pid) for pid in children.split()}


def test_a_killed_worker_is_replaced_and_no_answer_is_wrong():
    images = {7: png_bytes(render_digit(7)), 3: png_bytes(render_digit(3))}
    lock = threading.Lock()
    counts = {"right": 0, "right_after_kill": 0, "failed": 0}
    wrong = []
    killed, stop = threading.Event(), threading.Event()

    def client(url: str, digit: int) -> None:
        deadline = time.monotonic() + 30
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                answer = post_png(url, images[digit])
            except urllib.error.HTTPError as error:  # an answer, and a wrong one
                answer = {"status": error.code}
            except (urllib.error.URLError, http.client.HTTPException, OSError):
                with lock:
                    counts["failed"] += 1  # a request the killed worker held: failed, not wrong
                continue
            with lock:
                if answer.get("digit") != digit:
                    wrong.append(answer)
                counts["right"] += 1
                counts["right_after_kill"] += killed.is_set()

    def wait_for(condition, within_s: float) -> None:
        deadline = time.monotonic() + within_s
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.02)

    with serving(workers=2) as server:
        before = worker_pids(server.process.pid)
        clients = [threading.Thread(target=client, args=(server.url, d)) for d in images]
        for thread in clients:
            thread.start()
        try:
            wait_for(lambda: counts["right"] >= 10, within_s=10)
            os.kill(min(before), signal.SIGKILL)
            killed.set()
            wait_for(
                lambda: (
                    worker_pids(server.process.pid) - before and counts["right_after_kill"] >= 20
                ),
                within_s=20,
            )
        finally:
            stop.set()
            for thread in clients:
                thread.join(timeout=15)
        now = worker_pids(server.process.pid)
        assert not wrong
        assert len(now) == 2 and now - before, "the killed worker was not replaced"
        assert counts["right_after_kill"] >= 20
        assert counts["failed"] <= 2  # at most the requests in flight on the killed worker
        assert post_png(server.url, images[7])["digit"] == 7


def test_sigterm_lets_an_in_flight_request_finish():
    seven = png_bytes(render_digit(7))
    with serving(workers=1) as server:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=15) as connection:
            head = (
                f"POST /api/v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: image/png\r\nContent-Length: {len(seven)}\r\n"
                "Connection: close\r\n\r\n"
            )
            connection.sendall(head.encode() + seven[:100])
            time.sleep(0.3)  # the worker is now reading the body
            server.process.send_signal(signal.SIGTERM)
            time.sleep(0.5)  # the server is shutting down, the upload still trickling in
            connection.sendall(seven[100:])
            reply = b""
            while chunk := connection.recv(65536):
                reply += chunk
        status_line, _, rest = reply.partition(b"\r\n")
        assert status_line == b"HTTP/1.1 200 OK", reply[:300]
        assert json.loads(rest.partition(b"\r\n\r\n")[2])["digit"] == 7
        assert server.process.wait(timeout=15) == 0


def test_gunicorn_answers_a_chunked_body_over_the_limit_with_413(live_server):
    port = int(live_server.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        over_limit = (bytes(1024 * 1024) for _ in range(11))  # 11 MB, no Content-Length
        connection.request(
            "POST",
            "/api/v1/predict",
            body=over_limit,
            headers={"Content-Type": "image/png", "Transfer-Encoding": "chunked"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        assert response.status == 413
        assert response.getheader("Content-Type") == "application/problem+json"
        assert json.loads(response.read())["type"] == "/api#problem-image-too-large"
    finally:
        connection.close()


def test_a_worker_stopped_alone_leaves_the_shared_metrics_in_place():
    seven = png_bytes(render_digit(7))

    def sevens_counted(url: str) -> float:
        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
            text = response.read().decode()
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "digitrec_predictions_total" and sample.labels["digit"] == "7"
        )

    with serving(workers=1) as server:
        for _ in range(3):
            post_png(server.url, seven)
        (worker,) = worker_pids(server.process.pid)
        os.kill(worker, signal.SIGTERM)  # a worker leaving on its own, as after a timeout
        deadline = time.monotonic() + 15
        while worker_pids(server.process.pid) in (set(), {worker}):
            assert time.monotonic() < deadline, "the worker was not replaced"
            time.sleep(0.05)
        answered = None
        while answered is None and time.monotonic() < deadline:
            try:
                answered = post_png(server.url, seven)
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        assert sevens_counted(server.url) == 4


@pytest.mark.parametrize(
    "arguments, env, named",
    [
        ([], {"DIGITREC_PORT": "abc"}, "environment variable DIGITREC_PORT"),
        ([], {"DIGITREC_WORKERS": "0"}, "environment variable DIGITREC_WORKERS"),
        (["--port", "abc"], {}, "'--port'"),
    ],
)
def test_a_bad_serve_option_names_where_it_came_from(arguments, env, named):
    from click.testing import CliRunner

    from digitrec.cli import main

    result = CliRunner().invoke(main, ["serve", *arguments], env=env)
    assert result.exit_code == 2
    assert f"Invalid value for {named}" in result.output
