"""Abuse benchmark: the attacks of issue #23 against `digitrec serve` on 127.0.0.1, each bounded.

    .venv/bin/python bench/bench_abuse.py                       # every attack, about 5 minutes
    .venv/bin/python bench/bench_abuse.py --only slow,metrics --slow-clients 30

Each attack (one module each in bench/abuse/) gets a fresh server (`digitrec serve --workers 2`
on a free loopback port, stopped whatever happens), is bounded in requests and seconds, and
reports:
  - requests sent and how they were answered (statuses and problem types, each problem's
    detail in full below the table; "closed" when the server hung up without answering, "no
    answer" when the attack ended first);
  - /healthz and a canvas predict, probed throughout: p50/p99 and how many failed (a probe
    that fails counts as its timeout in the percentiles);
  - RSS per worker: after start-up, the peak (VmHWM), and after an idle pause at the end;
  - the longest request.
The attacks: slow clients (headers, bodies and chunked bodies sent a byte every 5 s), expensive
number-mode batches (the heaviest the API accepts), concurrent big images, all of those at once
with ordinary traffic (mixed), dozens of clients each sending a full 9 MB upload (uploads),
made-up HTTP methods, SIGTERM under load, and the small checks (gunicorn's own error pages,
redirects, data: URLs, a JPEG claiming 30 megapixels, the no-JS form's token). Prints one markdown section on stdout; progress goes to stderr. Exits 1 when an
attack whose requests are within the API's limits had every one refused: it measured nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from abuse.big_images import attack_big_images
from abuse.made_up_methods import attack_made_up_methods
from abuse.mixed import attack_mixed
from abuse.number_batches import attack_expensive_batches
from abuse.report import markdown
from abuse.sigterm import attack_sigterm
from abuse.slow_clients import attack_slow_clients
from abuse.small_things import attack_small_things
from abuse.uploads import attack_uploads

from digitrec.web.work_limits import MAX_NUMBER_IMAGES

ATTACKS = {
    "slow": attack_slow_clients,
    "expensive": attack_expensive_batches,
    "memory": attack_big_images,
    "mixed": attack_mixed,
    "uploads": attack_uploads,
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
    parser.add_argument(
        "--batch",
        type=int,
        default=MAX_NUMBER_IMAGES,
        help="images in each number-mode batch (default: the most one request may hold)",
    )
    parser.add_argument("--cap", type=float, default=60, help="seconds a request may take")
    parser.add_argument("--concurrent", type=int, default=8, help="big images sent at once")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of big images per format")
    parser.add_argument("--mixed-seconds", type=float, default=40, help="how long mixed runs")
    parser.add_argument("--mixed-numbers", type=int, default=2, help="mixed: number-batch clients")
    parser.add_argument("--mixed-big", type=int, default=4, help="mixed: big-image clients")
    parser.add_argument("--mixed-canvases", type=int, default=2, help="mixed: canvas clients")
    parser.add_argument("--upload-clients", type=int, default=48, help="uploads: clients")
    parser.add_argument("--upload-seconds", type=float, default=25, help="how long uploads runs")
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
    refused = [(o.attack, kind) for o in outcomes for kind in o.refused]
    for attack, kind in refused:
        print(
            f"bench_abuse: {attack}: every {kind + ' ' if kind else ''}request was refused, "
            "so it measured nothing (see its answers above)",
            file=sys.stderr,
        )
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
