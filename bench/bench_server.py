"""Serving benchmark: the original spec's stack (bench/baseline) against digitrec, side by side.

    .venv/bin/python bench/bench_server.py            # 60 s of load per server
    .venv/bin/python bench/bench_server.py --quick    # 5 s per server, for a smoke run

Starts each server on a free 127.0.0.1 port, one after the other on the same machine, and
measures with the same requests (280x280 canvas PNGs of rendered digits, bench/loadgen.py):
  - cold start: process start -> the first answer, polled every 20 ms with an MNIST-style
    28x28 PNG of a 3 (which any pipeline reads the same way), and whether it said 3;
  - requests/s and p50/p99 latency for --clients concurrent clients over --duration seconds,
    after a short warm-up that is not counted; errors (any status outside 2xx) must be 0;
  - peak RSS per worker (VmHWM of each worker process) and server CPU time per request.
Prints one markdown section (the README's table) on stdout; progress goes to stderr. Every
server is stopped (its whole process group) whatever happens; exit status 1 if any request
failed.

The servers' commands and the process plumbing (ports, /proc, stopping) are in bench/servers.py.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import loadgen
from servers import (
    ROOT,
    Server,
    bundled_card,
    choose_keras_model,
    cpu_seconds,
    free_port,
    peak_rss_mb,
    probe_png,
    process_tree,
    servers_to_compare,
    stop,
    wait_for_answer,
    worker_pids,
)

TARGETS = {"ratio": 30.0, "cold_start_s": 1.5, "rss_mb": 150.0}


@dataclass(frozen=True)
class Measurement:
    label: str
    cold_start_s: float  # process start -> first answer (see first_answer_correct)
    first_answer_correct: bool
    load: loadgen.LoadResult
    workers: int
    peak_rss_mb: float  # the largest VmHWM among the worker processes
    cpu_ms_per_request: float  # server processes' user + system time / requests answered
    cores_busy: float  # server processes' CPU time / wall time under load


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure(server: Server, args, payloads: list[loadgen.Payload], probe: bytes) -> Measurement:
    port = free_port()
    command = [part.replace("{port}", str(port)) for part in server.command]
    url = f"http://127.0.0.1:{port}{server.predict_path}"
    log(f"[{server.label}] {shlex.join(command)}")
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **server.environment},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() reaches the workers
        )
        try:
            cold_start, correct = wait_for_answer(
                process, port, server.predict_path, probe, started, args.start_limit
            )
            if cold_start is None:
                output.seek(0)
                status = process.poll()
                why = (
                    f"exited with status {status}"
                    if status is not None
                    else f"gave no answer within {args.start_limit:.0f} s"
                )
                raise RuntimeError(f"{server.label} {why}:\n{output.read()[-3000:]}")
            log(f"[{server.label}] first answer after {cold_start:.2f} s (correct: {correct})")
            loadgen.run_load(url, payloads, args.clients, args.warmup)
            pids = process_tree(process.pid)
            cpu_before = cpu_seconds(pids)
            load = loadgen.run_load(url, payloads, args.clients, args.duration)
            cpu_used = cpu_seconds(pids) - cpu_before
            log(f"[{server.label}] {load.summary()}")
            workers = worker_pids(process.pid)
            rss = max(peak_rss_mb(pid) for pid in workers)
        finally:
            stop(process)
    return Measurement(
        label=server.label,
        cold_start_s=round(cold_start, 3),
        first_answer_correct=correct,
        load=load,
        workers=len(workers),
        peak_rss_mb=round(rss, 1),
        cpu_ms_per_request=round(1000 * cpu_used / max(load.requests, 1), 3),
        cores_busy=round(cpu_used / load.duration_s, 2),
    )


# --- the report -------------------------------------------------------------------------


def _times(better: float, worse: float) -> str:
    return f"{better / worse:,.1f}x" if worse > 0 else "n/a"


def markdown(results: list[Measurement], args, model_note: str, card: dict) -> str:
    """The README's section: one column per server; digitrec's cells carry their ratio to the
    baseline in brackets (how many times better: more requests/s, less of everything else)."""
    baseline = results[0]

    def row(name: str, cell, ratio=None, target: str = "") -> str:
        cells = [cell(baseline)]
        for m in results[1:]:
            cells.append(cell(m) + (f" ({ratio(m)})" if ratio else ""))
        return f"| {name} | " + " | ".join(cells) + f" | {target} |"

    lines = [
        "## Serving: digitrec against the original spec's stack",
        "",
        f"Command: `{shlex.join(['.venv/bin/python', 'bench/bench_server.py', *sys.argv[1:]])}`"
        f" on {os.cpu_count()} CPU cores; {args.clients} concurrent clients for "
        f"{args.duration:g} s per server after a {args.warmup:g} s warm-up, each request a "
        "280x280 PNG of a rendered digit (bench/loadgen.py); servers run one at a time.",
        "",
        f"Model: digitrec serves `{card['name']}` {card['version']} (`{card['architecture']}`, "
        f"ONNX Runtime); the baseline serves {model_note} with Keras `model.predict`.",
        "",
        "| | " + " | ".join(m.label for m in results) + " | target |",
        "|---|" + "---:|" * len(results) + "---|",
        row(
            "requests/s",
            lambda m: f"{m.load.requests_per_s:,.1f}",
            lambda m: f"**{_times(m.load.requests_per_s, baseline.load.requests_per_s)}**",
            f"≥ {TARGETS['ratio']:.0f}x the baseline",
        ),
        row(
            "p50 latency",
            lambda m: f"{m.load.p50_ms:,.1f} ms",
            lambda m: _times(baseline.load.p50_ms, m.load.p50_ms),
        ),
        row(
            "p99 latency",
            lambda m: f"{m.load.p99_ms:,.1f} ms",
            lambda m: _times(baseline.load.p99_ms, m.load.p99_ms),
        ),
        row("errors / requests", lambda m: f"{m.load.errors} / {m.load.requests:,}", None, "0"),
        row("answers naming another digit", lambda m: f"{m.load.wrong_answers:,}"),
        row(
            "cold start: process start to first answer",
            lambda m: f"{m.cold_start_s:.2f} s" + ("" if m.first_answer_correct else " (wrong)"),
            lambda m: _times(baseline.cold_start_s, m.cold_start_s),
            f"≤ {TARGETS['cold_start_s']} s",
        ),
        row(
            "peak RSS per worker",
            lambda m: f"{m.peak_rss_mb:,.0f} MB",
            lambda m: _times(baseline.peak_rss_mb, m.peak_rss_mb),
            f"≤ {TARGETS['rss_mb']:.0f} MB",
        ),
        row(
            "server CPU time per request",
            lambda m: f"{m.cpu_ms_per_request:,.2f} ms",
            lambda m: _times(baseline.cpu_ms_per_request, m.cpu_ms_per_request),
        ),
        row("server CPU cores busy", lambda m: f"{m.cores_busy:.2f}"),
        "",
        "In brackets: how many times better than the baseline. The baseline is one process "
        "(`flask run`, threaded) whose TensorFlow spreads each predict over every core; "
        "digitrec's workers are gunicorn processes with one ONNX Runtime thread each. The load "
        "generator runs on the same cores, so requests/s is a floor for every server; CPU time "
        f"per request is the figure least disturbed by other work. Load average when the run "
        f"began: {args.load_average}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration", type=float, default=None, help="seconds of load per server (default 60)"
    )
    parser.add_argument(
        "--warmup", type=float, default=None, help="uncounted seconds first (default 3)"
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="also measure digitrec with this many workers (1: skip that run)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 5 s per server, 1 s warm-up by default"
    )
    parser.add_argument(
        "--keras-model",
        default=None,
        help="Keras file for the baseline. Default: runs/<bundled architecture>-tuned/model.keras, "
        "else runs/<bundled architecture>/model.keras",
    )
    parser.add_argument("--model", default=None, help="ONNX model for digitrec (default: bundled)")
    parser.add_argument(
        "--start-limit", type=float, default=120.0, help="seconds a server may take to answer"
    )
    args = parser.parse_args(argv)
    quick_or_full = (5.0, 1.0) if args.quick else (60.0, 3.0)
    args.duration = args.duration if args.duration is not None else quick_or_full[0]
    args.warmup = args.warmup if args.warmup is not None else quick_or_full[1]
    args.load_average = " ".join(Path("/proc/loadavg").read_text().split()[:3])

    card = bundled_card()
    keras_model, model_note = choose_keras_model(args.keras_model, card["architecture"])
    payloads = loadgen.digit_payloads()
    probe = probe_png()
    results = [
        measure(server, args, payloads, probe)
        for server in servers_to_compare(args, card["architecture"], keras_model)
    ]
    print(markdown(results, args, model_note, card))
    return 1 if any(m.load.errors for m in results) else 0


if __name__ == "__main__":
    sys.exit(main())
