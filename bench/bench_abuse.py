"""Abuse benchmark: the attacks of issue #23 against `digitrec serve` on 127.0.0.1, each bounded.

    .venv/bin/python bench/bench_abuse.py                       # every attack, about 4 minutes
    .venv/bin/python bench/bench_abuse.py --only slow,metrics --slow-clients 30

Each attack gets a fresh server (`digitrec serve --workers 2` on a free loopback port, stopped
whatever happens), is bounded in requests and seconds, and reports:
  - requests sent and how they were answered (statuses; "closed" when the server hung up
    without answering, "no answer" when the attack ended first);
  - /healthz and a canvas predict, probed throughout: p50/p99 and how many failed (a probe
    that fails counts as its timeout in the percentiles);
  - RSS per worker: after start-up, the peak (VmHWM), and after an idle pause at the end;
  - the longest request.
The attacks: slow clients (headers, bodies and chunked bodies sent a byte every 5 s), expensive
number-mode batches, concurrent big images, made-up HTTP methods, SIGTERM under load, and the
small checks (gunicorn's own error pages, redirects, data: URLs, a JPEG claiming 30 megapixels,
the no-JS form's token). Prints one markdown section on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import io
import json
import os
import random
import signal
import socket
import string
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
from PIL import Image, ImageDraw, ImageFont
from servers import ROOT, console_command, free_port, stop, worker_pids

WORKERS = 2
PROBE_TIMEOUT_S = 3.0
HEALTH_EVERY_S = 0.25
PREDICT_EVERY_S = 0.5
# After an attack, how long the server is left alone before its idle RSS is read.
IDLE_S = 5.0
TRICKLE_EVERY_S = 5.0
TOKEN = "abuse-bench-token-0123456789"
TOUCHING_DIGITS = "3141592653589793238462643383279"  # 31 digits


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


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


# --- 1. slow clients ----------------------------------------------------------------------


@dataclass
class SlowClient:
    kind: str
    sock: socket.socket
    opened: float
    trickle: bytes
    reply: bytes = b""
    outcome: str | None = None
    answered_after_s: float | None = None


def open_slow_client(port: int, kind: str) -> SlowClient:
    path = b"POST /api/v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if kind == "headers":
        first, trickle = (
            b"POST /api/v1/predict HTTP/1.1\r\n",
            b"Host: 127.0.0.1\r\nX-Slow: " + bytes(1000).replace(b"\x00", b"a"),
        )
    elif kind == "body":
        first = path + b"Content-Type: image/png\r\nContent-Length: 100000\r\n\r\n\x89PNG"
        trickle = bytes(100000)
    else:  # chunked, stalling inside a chunk of 100,000 bytes
        first = path + b"Content-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n186a0\r\n"
        trickle = bytes(100000)
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(first)
    sock.setblocking(False)
    return SlowClient(kind, sock, time.monotonic(), trickle)


def poll_slow_client(client: SlowClient) -> None:
    """Read what the server said; mark the client finished once it answered or hung up."""
    try:
        while chunk := client.sock.recv(65536):
            client.reply += chunk
        ended = True  # recv returned b"": the server closed the connection
    except BlockingIOError:
        ended = False
    except OSError:
        ended = True
    if client.reply.startswith(b"HTTP/") and (ended or b"\r\n\r\n" in client.reply):
        client.outcome = client.reply.split(b" ", 2)[1].decode()
    elif ended:
        client.outcome = "closed"
    if client.outcome:
        client.answered_after_s = time.monotonic() - client.opened
        client.sock.close()


def attack_slow_clients(args) -> Outcome:
    kinds = ("headers", "body", "chunked")
    with serving() as served, Probes(served.port) as probes:
        clients = [
            open_slow_client(served.port, kinds[i % len(kinds)]) for i in range(args.slow_clients)
        ]
        log(f"slow clients: {len(clients)} open, trickling for up to {args.slow_seconds:.0f} s")
        ends = time.monotonic() + args.slow_seconds
        next_byte = time.monotonic() + TRICKLE_EVERY_S
        while time.monotonic() < ends and any(c.outcome is None for c in clients):
            for client in clients:
                if client.outcome is None:
                    poll_slow_client(client)
            if time.monotonic() >= next_byte:
                next_byte += TRICKLE_EVERY_S
                for client in clients:
                    if client.outcome is None and client.trickle:
                        with contextlib.suppress(OSError):  # read on the next poll
                            client.sock.send(client.trickle[:1])
                        client.trickle = client.trickle[1:]
            time.sleep(0.05)
        answers = Counter()
        for client in clients:
            if client.outcome is None:
                client.sock.close()
            answers[f"{client.kind}: {client.outcome or 'no answer'}"] += 1
        answered = [c.answered_after_s for c in clients if c.answered_after_s is not None]
        still_open = args.slow_seconds if any(c.outcome is None for c in clients) else 0.0
        by_kind = "; ".join(
            f"{kind} answered after {_range_s([c.answered_after_s for c in clients if c.kind == kind])}"
            for kind in kinds
        )
        log(f"slow clients: {dict(answers)}")
        probes.stop()
        return finish(
            "slow clients", served, probes, answers, max([*answered, still_open]), by_kind
        )


def run_together(threads: list[threading.Thread]) -> None:
    """Start every thread, then wait for all of them."""
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _range_s(values: list[float | None]) -> str:
    known = [value for value in values if value is not None]
    if not known:
        return "-"
    return f"{min(known):.1f}-{max(known):.1f} s"


# --- 2. expensive number-mode batches -----------------------------------------------------


def touching_digits_png(text: str = TOUCHING_DIGITS, height: int = 120) -> bytes:
    """Digits drawn so close that each touches its neighbours: one wide mark to cut apart."""
    font_path = loadgen.FONT_PATH
    font_size = int(height * 0.8)
    font = (
        ImageFont.truetype(str(font_path), font_size)
        if font_path.is_file()
        else ImageFont.load_default(size=font_size)
    )
    advance = int(font_size * 0.5)
    image = Image.new("L", (advance * len(text) + height, height), 255)
    draw = ImageDraw.Draw(image)
    for position, digit in enumerate(text):
        draw.text((height // 2 + position * advance, height * 0.05), digit, fill=0, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def attack_expensive_batches(args) -> Outcome:
    image = base64.b64encode(touching_digits_png()).decode()
    body = json.dumps({"images": [image] * args.batch}).encode()
    headers = {"Content-Type": "application/json"}
    answers, durations = Counter(), []
    lock = threading.Lock()

    def send(port: int) -> None:
        status, _, answer, seconds = request(
            port, "POST", "/api/v1/predict?mode=number", body, headers, timeout=args.cap
        )
        detail = ""
        if status != 200 and answer:
            with contextlib.suppress(ValueError, AttributeError):
                detail = f" ({json.loads(answer).get('detail', '')[:80]})"
        with lock:
            answers[f"{status}{detail}"] += 1
            durations.append(seconds)

    with serving() as served, Probes(served.port) as probes:
        log(f"expensive: {args.batches} batches of {args.batch} x 31 touching digits")
        run_together(
            [threading.Thread(target=send, args=(served.port,)) for _ in range(args.batches)]
        )
        log(f"expensive: {dict(answers)}, durations {[round(d, 1) for d in durations]}")
        probes.stop()
        note = f"each request {_range_s(durations)}; client gives up after {args.cap:.0f} s"
        return finish("number-mode batches", served, probes, answers, max(durations), note)


# --- 3. concurrent big images -------------------------------------------------------------


def big_image(kind: str, side: int = 5600) -> bytes:
    """A side x side image with one digit on it, small on the wire, big once decoded."""
    image = Image.new("RGBA", (side, side), (255, 255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse(
        (side // 3, side // 4, 2 * side // 3, 3 * side // 4),
        outline=(0, 0, 0, 255),
        width=side // 25,
    )
    buffer = io.BytesIO()
    if kind == "tiff":  # 32-bit integer grey, deflated
        image.convert("L").convert("I").save(
            buffer, format="TIFF", compression="tiff_adobe_deflate"
        )
    else:
        image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def attack_big_images(args) -> Outcome:
    payloads = {kind: big_image(kind) for kind in ("png", "tiff")}
    answers, durations = Counter(), []
    lock = threading.Lock()

    def send(port: int, kind: str) -> None:
        content_type = {"png": "image/png", "tiff": "image/tiff"}[kind]
        status, _, _, seconds = request(
            port, "POST", "/api/v1/predict", payloads[kind], {"Content-Type": content_type}, 60
        )
        with lock:
            answers[f"{kind}: {status}"] += 1
            durations.append(seconds)

    with serving() as served, Probes(served.port) as probes:
        sizes = ", ".join(f"{kind} {len(data) / 1000:.0f} KB" for kind, data in payloads.items())
        log(f"big images: {args.concurrent} at once of 5600x5600 ({sizes})")
        for kind in payloads:
            for _ in range(args.rounds):
                run_together(
                    [
                        threading.Thread(target=send, args=(served.port, kind))
                        for _ in range(args.concurrent)
                    ]
                )
        log(f"big images: {dict(answers)}")
        probes.stop()
        note = f"5600x5600: {sizes}; {args.concurrent} at once, {args.rounds} rounds each"
        return finish("big images", served, probes, answers, max(durations), note)


# --- 4. made-up methods -------------------------------------------------------------------


def metrics_text(port: int) -> str:
    return request(port, "GET", "/metrics", timeout=30)[2].decode(errors="replace")


def series_count(text: str) -> int:
    return sum(1 for line in text.splitlines() if line and not line.startswith("#"))


def attack_made_up_methods(args) -> Outcome:
    rng = random.Random(23)
    answers = Counter()
    with serving() as served, Probes(served.port) as probes:
        before = metrics_text(served.port)
        longest = 0.0
        for _ in range(args.methods):
            method = "X" + "".join(rng.choices(string.ascii_uppercase, k=10))
            status, _, _, seconds = request(served.port, method, "/x")
            answers[str(status)] += 1
            longest = max(longest, seconds)
        after = metrics_text(served.port)
        note = (
            f"/metrics {len(before) / 1000:.1f} -> {len(after) / 1000:.1f} KB, "
            f"{series_count(before)} -> {series_count(after)} series"
        )
        log(f"made-up methods: {note}")
        probes.stop()
        return finish("made-up methods", served, probes, answers, longest, note)


# --- 5. SIGTERM under load ----------------------------------------------------------------


def sigterm_round(clients: int, canvas: bytes) -> list[int | str]:
    """Clients post canvases until the server is sent SIGTERM; the statuses of every request
    sent before the signal (a transport failure by its error's name)."""
    sent: list[tuple[float, int | str]] = []
    lock, signalled = threading.Lock(), threading.Event()

    def client(port: int) -> None:
        while not signalled.is_set():
            started = time.monotonic()
            status = request(
                port, "POST", "/api/v1/predict", canvas, {"Content-Type": "image/png"}, 20
            )[0]
            with lock:
                sent.append((started, status))

    with serving() as served:
        threads = [threading.Thread(target=client, args=(served.port,)) for _ in range(clients)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        signalled_at = time.monotonic()
        served.process.send_signal(signal.SIGTERM)  # the master, as `docker stop` does
        signalled.set()
        for thread in threads:
            thread.join()
        served.process.wait(timeout=30)
    return [status for started, status in sent if started < signalled_at]


def attack_sigterm(args) -> Outcome:
    canvas = loadgen.render_digit_png(3)
    answers = Counter()
    for round_number in range(args.sigterm_rounds):
        answers.update(str(status) for status in sigterm_round(args.clients, canvas))
        log(f"sigterm round {round_number + 1}: {dict(answers)}")
    note = f"{args.clients} clients, {args.sigterm_rounds} servers; requests sent before the signal"
    return Outcome("SIGTERM under load", sum(answers.values()), answers, None, 0, 0, 0, 0, note)


# --- 6. the smaller things ----------------------------------------------------------------


def truncated_jpeg_claiming(width: int, height: int) -> bytes:
    image = Image.new("L", (64, 64), 255)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=50)
    jpeg = buffer.getvalue()
    sof = jpeg.index(b"\xff\xc0")
    patched = jpeg[: sof + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return patched + jpeg[sof + 9 : 380]


def attack_small_things(args) -> Outcome:
    checks: list[tuple[str, str]] = []
    canvas = loadgen.render_digit_png(5)
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    with (
        serving(env={"DIGITREC_API_TOKEN": TOKEN}) as served,
        Probes(served.port, bearer) as probes,
    ):
        port = served.port

        def gunicorn_error(name: str, raw: bytes) -> None:
            reply = raw_exchange(port, raw)
            head = reply.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
            status = head.split(" ", 2)[1] if head.startswith("HTTP/") else "no answer"
            csp = "with" if "content-security-policy:" in head.lower() else "WITHOUT"
            kind = next(
                (
                    line.split(":", 1)[1].strip()
                    for line in head.splitlines()
                    if line.lower().startswith("content-type:")
                ),
                "?",
            )
            checks.append((name, f"{status}, {kind}, {csp} security headers"))

        gunicorn_error(
            "URI of 9,000 bytes", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        gunicorn_error(
            "101 header fields",
            b"GET / HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-%d: 1\r\n" % i for i in range(101))
            + b"\r\n",
        )
        gunicorn_error("garbage request line", b"GARBAGE\r\n\r\n")
        gunicorn_error(
            "Transfer-Encoding: gzip",
            b"POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
        )
        gunicorn_error(
            "Expect: 200-ok",
            b"POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 0\r\n\r\n",
        )
        status, headers, _, _ = request(
            port, "GET", "/api//v1/model", headers={"Host": "evil.example"}
        )
        checks.append(
            ("redirect with Host: evil.example", f"{status}, Location {headers.get('Location')}")
        )

        upper = "DATA:image/png;BASE64," + base64.b64encode(canvas).decode()
        status, _, _, _ = request(
            port,
            "POST",
            "/api/v1/predict",
            json.dumps({"image": upper}).encode(),
            {"Content-Type": "application/json", **bearer},
        )
        checks.append(("DATA:image/png;BASE64,...", str(status)))

        jpeg = truncated_jpeg_claiming(5000, 6000)
        status, _, _, seconds = request(
            port, "POST", "/api/v1/predict", jpeg, {"Content-Type": "image/jpeg", **bearer}
        )
        checks.append(
            (f"{len(jpeg)}-byte JPEG claiming 5000x6000", f"{status} in {seconds * 1000:.0f} ms")
        )

        boundary = "abuse"
        multipart = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="token"\r\n\r\n  {TOKEN} \r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="5.png"\r\n'
                "Content-Type: image/png\r\n\r\n"
            ).encode()
            + canvas
            + f"\r\n--{boundary}--\r\n".encode()
        )
        status, _, _, _ = request(
            port,
            "POST",
            "/",
            multipart,
            {"Content-Type": f"multipart/form-data; boundary={boundary}", "Accept": "text/html"},
        )
        checks.append(("no-JS form, token with spaces around it", str(status)))
        for name, result in checks:
            log(f"small: {name}: {result}")
        answers = Counter(status.split(",")[0].split(" ")[0] for _, status in checks)
        probes.stop()
        outcome = finish("smaller things (below)", served, probes, answers, 0.0)
    outcome.details = [f"- {name}: {result}" for name, result in checks]
    return outcome


# --- report -------------------------------------------------------------------------------


def markdown(outcomes: list[Outcome], args) -> str:
    lines = [
        "## Abuse (issue #23): `digitrec serve`, 2 workers, attacked on loopback",
        "",
        f"Command: `python bench/bench_abuse.py {' '.join(args.argv)}`".rstrip() + ". Load average "
        f"when the run began: {args.load_average}. RSS per worker is the largest among the "
        f"workers: after start-up / peak (VmHWM) / after {IDLE_S:.0f} s idle. Probes: /healthz every "
        f"{HEALTH_EVERY_S} s and a 280x280 canvas predict every {PREDICT_EVERY_S} s, fresh "
        f"connections, {PROBE_TIMEOUT_S:.0f} s timeout (a failed probe counts as that).",
        "",
        "| attack | requests | answered | health p50 / p99 | canvas predict p50 / p99 | RSS per worker | longest request |",
        "|---|---|---|---|---|---|---|",
    ]
    for outcome in outcomes:
        answered = "; ".join(f"{key}: {count}" for key, count in sorted(outcome.answers.items()))
        probes = outcome.probes
        health = probes.summary(probes.health, "health") if probes else "-"
        predict = probes.summary(probes.predict, "predict") if probes else "-"
        rss = (
            f"{outcome.startup_rss_mb:.0f} / {outcome.peak_rss_mb:.0f} / {outcome.idle_rss_mb:.0f} MB"
            if outcome.peak_rss_mb
            else "-"
        )
        note = f" ({outcome.note})" if outcome.note else ""
        lines.append(
            f"| {outcome.attack}{note} | {outcome.sent} | {answered} | {health} | {predict} | "
            f"{rss} | {outcome.longest_s:.1f} s |"
        )
    for outcome in outcomes:
        if outcome.details:
            lines += ["", f"{outcome.attack.split(' (')[0].capitalize()}:", *outcome.details]
    return "\n".join(lines)


ATTACKS = {
    "slow": attack_slow_clients,
    "expensive": attack_expensive_batches,
    "memory": attack_big_images,
    "metrics": attack_made_up_methods,
    "sigterm": attack_sigterm,
    "small": attack_small_things,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated subset of " + ",".join(ATTACKS))
    parser.add_argument("--slow-clients", type=int, default=201, help="slow connections (3 kinds)")
    parser.add_argument("--slow-seconds", type=float, default=75, help="how long they trickle")
    parser.add_argument("--batches", type=int, default=4, help="concurrent number-mode batches")
    parser.add_argument("--batch", type=int, default=16, help="images in each batch")
    parser.add_argument("--cap", type=float, default=60, help="seconds a batch request may take")
    parser.add_argument("--concurrent", type=int, default=8, help="big images sent at once")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of big images per format")
    parser.add_argument("--methods", type=int, default=1000, help="requests with made-up methods")
    parser.add_argument("--clients", type=int, default=16, help="clients under SIGTERM")
    parser.add_argument("--sigterm-rounds", type=int, default=3, help="servers stopped under load")
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else argv
    args.load_average = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    unknown = set(args.only.split(",")) - set(ATTACKS) - {""}
    if unknown:
        parser.error(
            f"no attack named {', '.join(sorted(unknown))}; choose from {', '.join(ATTACKS)}"
        )
    chosen = [name for name in ATTACKS if not args.only or name in args.only.split(",")]
    outcomes = [ATTACKS[name](args) for name in chosen]
    print(markdown(outcomes, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
