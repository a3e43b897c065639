"""bench/loadgen.py: counts every request, stops by itself, and refuses non-local URLs.

Runs against a tiny HTTP server in a thread on 127.0.0.1; a couple of seconds in all.
"""

from __future__ import annotations

import io
import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import loadgen


class DigitThreeServer(BaseHTTPRequestHandler):
    """Answers every POST with {"digit": 3}; a POST to /fail gets a 500 instead."""

    protocol_version = "HTTP/1.1"  # keep-alive, as a real server offers

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        status, body = (500, b"{}") if self.path == "/fail" else (200, b'{"digit": 3}')
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), DigitThreeServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_payloads_are_real_canvas_sized_pngs_of_each_digit():
    payloads = loadgen.digit_payloads(variants=2)
    assert sorted(payload.digit for payload in payloads) == sorted(list(range(10)) * 2)
    image = Image.open(io.BytesIO(payloads[0].body))
    assert (image.format, image.size) == ("PNG", (loadgen.CANVAS_PX, loadgen.CANVAS_PX))
    assert len({payload.body for payload in payloads}) == len(payloads)


def test_a_timed_run_counts_every_request_and_stops_at_its_deadline(server_url):
    result = loadgen.run_load(
        f"{server_url}/predict", [loadgen.Payload(b"png", digit=3)], clients=4, duration_s=1.0
    )
    assert result.requests > 20
    assert result.statuses == {"200": result.requests}
    assert (result.errors, result.wrong_answers) == (0, 0)
    assert 0.9 < result.duration_s < 3.0
    assert 0 < result.p50_ms <= result.p99_ms <= result.max_ms
    assert result.requests_per_s == pytest.approx(result.requests / result.duration_s, rel=0.01)


def test_a_request_cap_is_exact_and_wrong_digits_are_counted(server_url):
    payloads = [loadgen.Payload(b"a", digit=3), loadgen.Payload(b"b", digit=4)]
    result = loadgen.run_load(
        f"{server_url}/predict", payloads, clients=3, duration_s=30, max_requests=50
    )
    assert result.requests == 50
    assert result.wrong_answers == 25  # every other payload expects a 4; the server says 3
    assert result.errors == 0
    assert result.duration_s < 10


def test_server_errors_are_counted_by_status(server_url):
    result = loadgen.run_load(
        f"{server_url}/fail", [loadgen.Payload(b"x")], clients=2, duration_s=5, max_requests=10
    )
    assert result.statuses == {"500": 10}
    assert result.errors == 10


def test_refused_connections_are_errors_not_crashes():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the run: nothing listens there
    result = loadgen.run_load(
        f"http://127.0.0.1:{port}/", [loadgen.Payload(b"x")], clients=2, max_requests=6
    )
    assert result.requests == result.errors == 6
    assert set(result.statuses) == {"ConnectionRefusedError"}


@pytest.mark.parametrize("url", ["http://example.com/predict", "https://127.0.0.1/predict"])
def test_only_local_http_urls_are_loaded(url):
    with pytest.raises(ValueError, match=r"only http://127\.0\.0\.1"):
        loadgen.run_load(url, [loadgen.Payload(b"x")], max_requests=1)


def test_the_script_prints_json_and_fails_on_errors(server_url, capsys):
    status = loadgen.main(
        ["--url", f"{server_url}/fail", "--clients", "1", "--requests", "3", "--json"]
    )
    result = json.loads(capsys.readouterr().out)
    assert (status, result["requests"], result["errors"]) == (1, 3, 3)
