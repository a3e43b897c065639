"""The original spec's `flask run`, from the repository root, serves the app on 127.0.0.1."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

from conftest import free_port, png_bytes, render_digit, running

ROOT = Path(__file__).resolve().parents[2]


def test_flask_run_from_the_repository_root_serves_the_page_and_the_api():
    port = free_port()
    command = [sys.executable, "-m", "flask", "run", "--host", "127.0.0.1", "--port", str(port)]
    with running(command, port, env={"FLASK_APP": ""}, cwd=ROOT) as server:
        with urllib.request.urlopen(f"{server.url}/") as page:
            assert page.status == 200
        request = urllib.request.Request(
            f"{server.url}/api/v1/predict",
            data=png_bytes(render_digit(4)),
            headers={"Content-Type": "image/png"},
        )
        with urllib.request.urlopen(request) as answer:
            assert json.load(answer)["digit"] == 4
