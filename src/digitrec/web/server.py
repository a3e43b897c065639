"""`digitrec serve`: the web app under gunicorn, with the model loaded once in each worker.

    digitrec serve --host 127.0.0.1 --port 5000 --workers 2

Workers load the model after the fork; the master never imports ONNX Runtime. A process
forked after `import onnxruntime` can hang creating a session or abort on exit (its runtime's
threads do not survive a fork), and the session is small enough that sharing it would save
nothing. Instead the master checks the model file and its card without ONNX Runtime (present,
readable, the card's SHA-256 matches) and refuses to start with one clear line when they are
missing or corrupt, rather than letting every worker fail to boot.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from gunicorn.app.base import BaseApplication

# Threads per worker: requests are CPU-bound and short, but a slow upload must not hold a
# whole worker while it trickles in.
THREADS_PER_WORKER = 4


def _child_exit(server, worker) -> None:
    """gunicorn hook: forget a dead worker's live metrics (counters and histograms are kept)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


class DigitrecServer(BaseApplication):
    """gunicorn running `create_app(app_config)` in each worker."""

    def __init__(self, options: dict, app_config: dict):
        self.options = options
        self.app_config = app_config
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self):
        from digitrec.web import create_app

        return create_app(self.app_config)


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


class ModelFileError(Exception):
    """The model to serve is missing or corrupt; the message names the file and why."""


def check_model(model_path: str | Path | None) -> Path:
    """The model's path, after checking it and its card without loading ONNX Runtime.

    Raises ModelFileError naming the file and what is wrong with it.
    """
    from digitrec.model_card import CARD_FILENAME, ModelCard, ModelCardError

    # The same default as inference.bundled_model_path(), which would import ONNX Runtime.
    path = (
        Path(model_path) if model_path else Path(__file__).parent.parent / "models" / "model.onnx"
    )
    if not path.is_file():
        raise ModelFileError(f"{path}: model file not found")
    try:
        model = path.read_bytes()
    except OSError as error:
        raise ModelFileError(f"{path}: cannot read the model file ({error.strerror})") from None
    if not model:
        raise ModelFileError(f"{path}: the model file is empty")
    try:
        card = ModelCard.load(path.with_name(CARD_FILENAME))
    except ModelCardError as error:
        raise ModelFileError(str(error)) from None
    expected = card.raw.get("files", {}).get("onnx_sha256")
    if expected and hashlib.sha256(model).hexdigest() != expected:
        raise ModelFileError(
            f"{path}: corrupt or replaced: its SHA-256 does not match {CARD_FILENAME} "
            "(export the model and its card together)"
        )
    return path


def run_gunicorn(host: str, port: int, workers: int | None, model_path: str | None) -> int:
    """Serve until stopped; returns the exit status (non-zero when it could not start)."""
    from digitrec.web.config import ConfigError, from_environment

    try:
        settings = from_environment()
        check_model(model_path or settings["DIGITREC_MODEL"])
    except (ConfigError, ModelFileError) as error:
        print(f"digitrec serve: cannot start: {_one_line(error)}", file=sys.stderr)
        return 2
    workers = workers or settings["DIGITREC_WORKERS"] or os.cpu_count() or 1

    # prometheus_client reads this variable when it is first imported, in each worker, and
    # then keeps every worker's samples in files there for /metrics to sum.
    metrics_dir = settings["PROMETHEUS_MULTIPROC_DIR"] or tempfile.mkdtemp(
        prefix="digitrec-metrics-"
    )
    owns_metrics_dir = metrics_dir != settings["PROMETHEUS_MULTIPROC_DIR"]
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    app_config = {"PROMETHEUS_MULTIPROC_DIR": metrics_dir}
    if model_path:
        app_config["DIGITREC_MODEL"] = model_path
    options = {
        "bind": bind_address(host, port),
        "workers": workers,
        "worker_class": "gthread",
        "threads": THREADS_PER_WORKER,
        "timeout": 30,
        "graceful_timeout": 20,
        "keepalive": 5,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "digitrec",
        "child_exit": _child_exit,
        "control_socket_disable": True,
    }
    try:
        DigitrecServer(options, app_config).run()
    except SystemExit as stopped:  # gunicorn's arbiter leaves through sys.exit
        return stopped.code if isinstance(stopped.code, int) else 1
    finally:
        if owns_metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0
