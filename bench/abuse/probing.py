"""What every attack shares: a fresh `digitrec serve`, requests on fresh connections, the probes
of /healthz and a canvas predict, RSS per worker, and how the answers are tallied.

A tally keys answers by status and problem type, and keeps each problem's whole detail for the
report (a table cell would cut it short). An attack whose requests are all within the API's
limits, and that got every one of a kind refused (a 4xx other than the request's deadline
cutting it), measured nothing: `Outcome.refused`. A 503 is no refusal: it says to try again.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import loadgen
from servers import ROOT, console_command, free_port, stop, worker_pids

WORKERS = 2
PROBE_TIMEOUT_S = 3.0
HEALTH_EVERY_S = 0.25
PREDICT_EVERY_S = 0.5
# After an attack, how long the server is left alone before its idle RSS is read.
IDLE_S = 5.0
# A 422 saying this was read until the request's deadline cut it: accepted, not refused.
CUT_AT_DEADLINE = re.compile(r"took over [\d.]+ s")
# Distinct problem details kept per kind of answer (batches name the image they stopped at).
DETAILS_KEPT = 2


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def run_together(threads: list[threading.Thread]) -> None:
    """Start every thread, then wait for all of them."""
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def range_s(values: list[float | None]) -> str:
    known = [value for value in values if value is not None]
    if not known:
        return "-"
    return f"{min(known):.1f}-{max(known):.1f} s"


# --- the server ---------------------------------------------------------------------------


@dataclass
class Served:
    port: int
    process: subprocess.Popen
    log_path: Path
    startup_rss_mb: dict[int, float] = field(default_factory=dict)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def rss_mb(pid: int, field_name: str) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


@contextlib.contextmanager
def serving(env: dict | None = None, ready_within_s: float = 60):
    command = console_command("digitrec", "digitrec.cli")
    port = free_port()
    command += ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS)]
    log_path = Path(tempfile.mkstemp(prefix="digitrec-abuse-", suffix=".log")[1])
    with log_path.open("wb") as sink:
        process = subprocess.Popen(
            command,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})},
            start_new_session=True,
        )
    served = Served(port, process, log_path)
    try:
        deadline = time.monotonic() + ready_within_s
        while request(port, "GET", "/readyz", timeout=2)[0] != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"digitrec serve did not start:\n{served.output()[-3000:]}")
            time.sleep(0.1)
        time.sleep(0.5)  # every worker booted, not just the first to answer
        served.startup_rss_mb = {pid: rss_mb(pid, "VmRSS") for pid in worker_pids(process.pid)}
        yield served
    finally:
        stop(process)
        log_path.unlink(missing_ok=True)


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict | None = None,
    timeout: float = PROBE_TIMEOUT_S,
) -> tuple[int | str, dict, bytes, float]:
    """(status or the transport error's name, headers, body, seconds) of one request on a
    fresh connection."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        answer = response.read()
        return response.status, dict(response.getheaders()), answer, time.perf_counter() - started
    except (OSError, http.client.HTTPException) as error:
        return type(error).__name__, {}, b"", time.perf_counter() - started
    finally:
        connection.close()


def raw_exchange(port: int, data: bytes, timeout: float = PROBE_TIMEOUT_S) -> bytes:
    """Send bytes as they are and read the reply until the server closes (or the timeout)."""
    reply = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(data)
        with contextlib.suppress(OSError):
            while chunk := connection.recv(65536):
                reply += chunk
    return reply


# --- what is measured during every attack -------------------------------------------------


class Probes:
    """Probe /healthz and a canvas predict on fresh connections until stopped."""

    def __init__(self, port: int, headers: dict | None = None):
        self.port = port
        self.headers = headers or {}
        self.health: list[float] = []
        self.predict: list[float] = []
        self.failed = Counter()
        self._stop = threading.Event()
        self._canvas = loadgen.render_digit_png(7)
        self._threads = [
            threading.Thread(target=self._loop, args=(self._probe_health, HEALTH_EVERY_S)),
            threading.Thread(target=self._loop, args=(self._probe_predict, PREDICT_EVERY_S)),
        ]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join()

    def _loop(self, probe: Callable[[], None], every_s: float) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            probe()
            self._stop.wait(max(0.0, every_s - (time.monotonic() - started)))

    def _probe_health(self) -> None:
        status, _, _, seconds = request(self.port, "GET", "/healthz")
        self._record(self.health, "health", status, seconds)

    def _probe_predict(self) -> None:
        headers = {"Content-Type": "image/png", **self.headers}
        status, _, _, seconds = request(self.port, "POST", "/api/v1/predict", self._canvas, headers)
        self._record(self.predict, "predict", status, seconds)

    def _record(self, latencies: list[float], name: str, status, seconds: float) -> None:
        if status != 200:
            self.failed[name] += 1
            seconds = max(seconds, PROBE_TIMEOUT_S)
        latencies.append(seconds)

    def summary(self, latencies: list[float], name: str) -> str:
        return (
            f"{percentile(latencies, 0.5) * 1000:,.0f} / {percentile(latencies, 0.99) * 1000:,.0f}"
            f" ms ({self.failed[name]} of {len(latencies)} failed)"
        )


@dataclass
class Outcome:
    attack: str
    sent: int
    answers: Counter
    probes: Probes | None  # None: no probes (the server was being stopped)
    startup_rss_mb: float
    peak_rss_mb: float
    idle_rss_mb: float
    longest_s: float
    note: str = ""
    details: list[str] = field(default_factory=list)
    # Kinds of requests within every limit, every one of which was refused: the attack measured
    # nothing of them ("" names an attack's only kind).
    refused: list[str] = field(default_factory=list)


def finish(
    attack: str, served: Served, probes: Probes, answers: Counter, longest_s: float, note=""
):
    """The attack's outcome, after IDLE_S of quiet for the workers' idle RSS."""
    time.sleep(IDLE_S)
    workers = worker_pids(served.process.pid)
    return Outcome(
        attack=attack,
        sent=sum(answers.values()),
        answers=answers,
        probes=probes,
        startup_rss_mb=max(served.startup_rss_mb.values(), default=0.0),
        peak_rss_mb=max((rss_mb(pid, "VmHWM") for pid in workers), default=0.0),
        idle_rss_mb=max((rss_mb(pid, "VmRSS") for pid in workers), default=0.0),
        longest_s=longest_s,
        note=note,
    )


class Tally:
    """Answers to an attack's requests, from many sender threads: counted by kind, status and
    problem type, with their durations and (a few of) each problem's whole detail."""

    def __init__(self):
        self.answers = Counter()
        self.durations: list[float] = []
        self.details: dict[str, list[str]] = {}
        self.sent = Counter()  # by kind
        self.refused = Counter()  # by kind: 4xx, except the request's deadline cutting it
        self._lock = threading.Lock()

    def add(self, status, body: bytes, seconds: float, kind: str = "") -> None:
        key, detail = str(status), ""
        if status != 200 and body:
            with contextlib.suppress(ValueError, AttributeError):
                problem = json.loads(body)
                detail = problem.get("detail", "")
                key += " " + problem.get("type", "").rsplit("problem-", 1)[-1]
        if kind:
            key = f"{kind}: {key}"
        with self._lock:
            self.answers[key] += 1
            self.durations.append(seconds)
            self.sent[kind] += 1
            refused = isinstance(status, int) and 400 <= status < 500
            self.refused[kind] += refused and not CUT_AT_DEADLINE.search(detail)
            kept = self.details.setdefault(key, [])
            if detail and detail not in kept and len(kept) < DETAILS_KEPT:
                kept.append(detail)

    def detail_lines(self) -> list[str]:
        return [f"- {key}: {detail}" for key, kept in self.details.items() for detail in kept]


def finish_tally(attack: str, served: Served, probes: Probes, tally: Tally, note="") -> Outcome:
    """`finish` for an attack of requests that should be read: its tally's answers, longest
    request, problem details, and the kinds of requests every one of which was refused."""
    outcome = finish(attack, served, probes, tally.answers, max(tally.durations, default=0), note)
    outcome.details = tally.detail_lines()
    outcome.refused = [kind for kind, sent in tally.sent.items() if tally.refused[kind] == sent]
    return outcome
