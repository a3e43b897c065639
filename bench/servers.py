"""The servers bench_server.py compares, and their processes.

What each server's command is (the original spec's Flask + Keras baseline, digitrec with one
and with several workers), and the /proc plumbing the benchmark needs: a free port, the
process tree and its workers, peak RSS and CPU time, the first answer after start (the cold
start, probed with an MNIST-style 3), and stopping a server's whole process group.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import loadgen
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
BASELINE_APP = ROOT / "bench" / "baseline" / "app.py"
PROBE_DIGIT = 3
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Server:
    label: str
    command: list[str]
    predict_path: str
    environment: dict[str, str]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def probe_png(digit: int = PROBE_DIGIT) -> bytes:
    """A rendered digit already in MNIST form (28x28, white on black, 20 px box, centred)."""
    from digitrec.imaging.frame import fit_to_mnist_frame

    canvas = Image.open(io.BytesIO(loadgen.render_digit_png(digit)))
    ink = np.asarray(canvas, dtype=np.float32) / 255.0
    frame = np.round(fit_to_mnist_frame(ink) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(frame, mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


# --- processes --------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name (which may hold spaces) start at the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return children


def process_tree(pid: int) -> list[int]:
    tree, frontier = [pid], [pid]
    while frontier:
        frontier = [child for parent in frontier for child in children_of(parent)]
        tree.extend(frontier)
    return tree


def worker_pids(pid: int) -> list[int]:
    """The processes that answer requests: the leaves of the tree (gunicorn's workers), or
    the server process itself when it has no children (Flask's development server)."""
    tree = process_tree(pid)
    leaves = [p for p in tree if not children_of(p)]
    return [p for p in leaves if p != pid] or [pid]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / CLK_TCK


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the server's whole process group; SIGKILL it if it lingers past 10 s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def wait_for_answer(
    process: subprocess.Popen, port: int, path: str, body: bytes, started: float, limit_s: float
) -> tuple[float | None, bool]:
    """Seconds from `started` (perf_counter) to the server's first 200 answer, and whether
    that answer named PROBE_DIGIT; (None, False) if none came within `limit_s`."""
    while time.perf_counter() - started < limit_s and process.poll() is None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("POST", path, body=body, headers={"Content-Type": "image/png"})
            response = connection.getresponse()
            answer = response.read()
            connection.close()
        except (OSError, http.client.HTTPException):
            time.sleep(0.02)
            continue
        if response.status == 200:
            elapsed = time.perf_counter() - started
            try:
                return elapsed, json.loads(answer).get("digit") == PROBE_DIGIT
            except (ValueError, AttributeError):
                return elapsed, False
        time.sleep(0.02)
    return None, False


# --- the servers ------------------------------------------------------------------------


def bundled_card() -> dict:
    from digitrec.inference import bundled_model_path

    return json.loads(bundled_model_path().with_name("model.json").read_text())


def choose_keras_model(requested: str | None, architecture: str) -> tuple[Path | None, str]:
    """The Keras file the baseline serves, and a sentence saying what it is."""
    from digitrec.inference import bundled_model_path

    # `make train` writes the base model to runs/cnn and its fine-tuned form to runs/cnn-tuned.
    candidates = [
        ROOT / "runs" / name / "model.keras" for name in (f"{architecture}-tuned", architecture)
    ]
    path = (
        Path(requested)
        if requested
        else next((c for c in candidates if c.is_file()), candidates[-1])
    )
    if not path.is_file():
        if requested:
            raise SystemExit(f"{requested}: no such Keras model file")
        return None, (
            f"no trained Keras file at {path.relative_to(ROOT)}: the baseline serves the "
            f"`{architecture}` architecture with untrained weights (the same arithmetic per "
            "request, but its answers, the cold-start probe's included, are not meaningful)"
        )
    exported = path.with_name("model.onnx")
    same = exported.is_file() and _sha256(exported) == _sha256(bundled_model_path())
    weights = "the bundled model's weights" if same else "weights not checked against digitrec's"
    return path, f"`{_shown(path)}` ({weights})"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def console_command(script: str, module: str) -> list[str]:
    """This environment's console `script` (as `make serve` runs it), else `python -m module`."""
    installed = Path(os.path.normpath(sys.executable)).parent / script
    return [str(installed)] if installed.exists() else [sys.executable, "-m", module]


def servers_to_compare(args, architecture: str, keras_model: Path | None) -> list[Server]:
    flask = console_command("flask", "flask")
    digitrec = console_command("digitrec", "digitrec.cli")
    baseline_env = {"BASELINE_ARCH": architecture, "TF_CPP_MIN_LOG_LEVEL": "2"}
    if keras_model:
        baseline_env["BASELINE_KERAS_MODEL"] = str(keras_model)
    model_option = ["--model", args.model] if args.model else []
    serve = [*digitrec, "serve", "--host", "127.0.0.1", "--port", "{port}", *model_option]
    chosen = [
        Server(
            "baseline: Flask dev server + Keras",
            [*flask, "--app", str(BASELINE_APP), "run", "--host", "127.0.0.1", "--port", "{port}"],
            "/predict",
            baseline_env,
        ),
        Server("digitrec, 1 worker", [*serve, "--workers", "1"], "/api/v1/predict", {}),
    ]
    if args.workers > 1:
        chosen.append(
            Server(
                f"digitrec, {args.workers} workers",
                [*serve, "--workers", str(args.workers)],
                "/api/v1/predict",
                {},
            )
        )
    return chosen
