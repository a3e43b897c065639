"""The report: one markdown section, a row per attack, then each attack's details."""

from __future__ import annotations

from abuse.probing import (
    HEALTH_EVERY_S,
    IDLE_S,
    PREDICT_EVERY_S,
    PROBE_TIMEOUT_S,
    Outcome,
)


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
