"""SIGTERM under load: every request sent before the signal must be answered."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter

import loadgen

from abuse.probing import (
    Outcome,
    log,
    request,
    serving,
)


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
