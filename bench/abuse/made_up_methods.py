"""Made-up HTTP methods: each must not add a metrics series."""

from __future__ import annotations

import random
import string
from collections import Counter

from abuse.probing import (
    Outcome,
    Probes,
    finish,
    log,
    request,
    serving,
)


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
