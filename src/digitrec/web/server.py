"""`digitrec serve`: the web app under gunicorn, with the model loaded once in each worker.

    digitrec serve --host 127.0.0.1 --port 5000 --workers 2

Workers load the model after the fork; the master never imports ONNX Runtime. A process
forked after `import onnxruntime` can hang creating a session or abort on exit (its runtime's
threads do not survive a fork), and the session is small enough that sharing it would save
nothing. Instead the master checks the model file and its card without ONNX Runtime (present,
readable, the card's SHA-256 matches) and refuses to start with one clear line when they are
missing or corrupt, rather than letting every worker fail to boot. A card without a checksum
proves nothing about the file, so then a short child process loads it in ONNX Runtime first
(about 0.3 s; the bundled model has a checksum and skips it). Should a worker still fail to
load the model, it says why in one line and gunicorn stops the server.

Connections are read by gevent and requests answered by a few real threads in each worker
(`web/worker.py`), so slow clients cost greenlets, not threads.

Promotion: workers load a checked copy of the model; SIGHUP checks the file `--model` names
again and, if it passes, starts new workers on it while the old ones finish their requests
(`digitrec.web.promotion`).

Faults: gunicorn replaces a worker that dies; on SIGTERM workers stop accepting and answer every
request they have accepted (up to GRACEFUL_TIMEOUT_S) before the server exits.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.errors import HaltServer

from digitrec.web.promotion import ModelSnapshots

# A worker silent this long is killed and replaced; an answer takes milliseconds.
WORKER_TIMEOUT_S = 30
# On SIGTERM, how long workers may take to finish the requests they hold: enough for a 10 MB
# upload from a slow phone, and less than the 10 s `docker stop` waits before SIGKILL.
GRACEFUL_TIMEOUT_S = 8
# Loading a model in ONNX Runtime takes well under a second; a minute means something is wrong.
MODEL_LOAD_TIMEOUT_S = 60
# The child process that loads a model without a checksum (see the module docstring).
LOAD_MODEL_SCRIPT = """
import sys
from digitrec.inference import ModelLoadError, load_session
try:
    load_session(sys.argv[1])
except ModelLoadError as error:
    print(error)
    sys.exit(1)
"""


def _child_exit(server, worker) -> None:
    """gunicorn hook: forget a dead worker's live metrics (counters and histograms are kept)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


class DigitrecServer(BaseApplication):
    """gunicorn running `create_app(app_config)` in each worker."""

    def __init__(
        self,
        options: dict,
        app_config: dict,
        boot_failure: Path,
        models: ModelSnapshots | None = None,
    ):
        self.options = options
        self.app_config = app_config
        # The model workers load, promoted on SIGHUP (digitrec.web.promotion).
        self.models = models
        # A worker that cannot load the model writes why here, for the master to print once.
        self.boot_failure = boot_failure
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def reload(self) -> None:
        """gunicorn's arbiter calls this on SIGHUP, in the master, before starting new workers."""
        super().reload()
        if self.models is not None:
            self.app_config["DIGITREC_MODEL"] = str(self.models.promote())

    def load(self):
        from digitrec.inference import ModelLoadError
        from digitrec.web import create_app

        try:
            return create_app(self.app_config)
        except ModelLoadError as error:
            reason = _one_line(error)
            if self.models is not None:  # the worker loaded the master's copy: name the file
                reason = reason.replace(str(self.models.current), str(self.models.source))
            self.boot_failure.write_text(reason)
            # This status makes gunicorn's arbiter stop the server instead of retrying forever.
            raise SystemExit(Arbiter.APP_LOAD_ERROR) from None


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
    from digitrec.model_card import (
        CARD_FILENAME,
        ModelCard,
        ModelCardError,
        replaced_model_problem,
    )

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
    if not card.raw.get("files", {}).get("onnx_sha256"):
        _load_in_child(path)
    elif problem := replaced_model_problem(path, model, card):
        raise ModelFileError(problem)
    return path


def _load_in_child(path: Path) -> None:
    """Load the model in ONNX Runtime in a child process; ModelFileError if it cannot."""
    try:
        finished = subprocess.run(
            [sys.executable, "-c", LOAD_MODEL_SCRIPT, str(path)],
            capture_output=True,
            text=True,
            timeout=MODEL_LOAD_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        raise ModelFileError(
            f"{path}: ONNX Runtime did not load it within {MODEL_LOAD_TIMEOUT_S} s"
        ) from None
    if finished.returncode != 0:
        reason = " ".join(finished.stdout.split()) or (
            f"{path}: cannot be loaded (exit status {finished.returncode}): "
            + " ".join(finished.stderr.strip().splitlines()[-1:])
        )
        raise ModelFileError(reason)


def run_gunicorn(host: str, port: int, workers: int | None, model_path: str | None) -> int:
    """Serve until stopped; returns the exit status (non-zero when it could not start)."""
    from digitrec.feedback.database import DatabaseURLError
    from digitrec.feedback.schema_version import SchemaBehindError
    from digitrec.web.config import ConfigError, from_environment
    from digitrec.web.feedback import check_database
    from digitrec.web.worker import CONNECTIONS_PER_WORKER, DigitrecWorker

    try:
        settings = from_environment()
        if settings["DIGITREC_FEEDBACK"]:
            check_database(settings["DIGITREC_DATABASE_URL"])
        models = ModelSnapshots(model_path or settings["DIGITREC_MODEL"], check_model)
    except (ConfigError, ModelFileError, DatabaseURLError, SchemaBehindError) as error:
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
    app_config = {"PROMETHEUS_MULTIPROC_DIR": metrics_dir, "DIGITREC_MODEL": str(models.current)}
    options = {
        "bind": bind_address(host, port),
        "workers": workers,
        "worker_class": DigitrecWorker,
        "worker_connections": CONNECTIONS_PER_WORKER,
        "timeout": WORKER_TIMEOUT_S,
        "graceful_timeout": GRACEFUL_TIMEOUT_S,
        # Non-zero keeps connections open between requests; how long one may stay idle is the
        # worker's head deadline (body.HEAD_DEADLINE_S).
        "keepalive": 5,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "digitrec",
        "child_exit": _child_exit,
        "control_socket_disable": True,
    }
    boot_failure = Path(tempfile.mkstemp(prefix="digitrec-boot-", suffix=".txt")[1])
    master_pid = os.getpid()
    try:
        DigitrecServer(options, app_config, boot_failure, models).run()
    except (SystemExit, HaltServer) as stopped:
        # gunicorn's arbiter leaves through sys.exit, or through HaltServer when a second
        # worker fails to boot while it is halting for the first.
        if os.getpid() != master_pid:
            # A worker leaving: gunicorn forks inside run(), so its exit unwinds through here.
            raise
        reason = boot_failure.read_text().strip()
        if reason:
            print(f"digitrec serve: cannot start: {reason}", file=sys.stderr)
        code = stopped.exit_status if isinstance(stopped, HaltServer) else stopped.code
        return code if isinstance(code, int) else 1
    finally:
        # Only the master cleans up: a worker's exit must not delete what the others share.
        if os.getpid() == master_pid:
            boot_failure.unlink(missing_ok=True)
            models.remove()
            if owns_metrics_dir:
                shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0
