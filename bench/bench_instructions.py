"""Instructions per request: recognise() of one 280x280 canvas PNG, counted by callgrind.

    .venv/bin/python bench/bench_instructions.py [--calls 100] [--against ../other-checkout]

On a shared virtual machine wall-clock times swing by half from one run to the next (on
2026-11-30 the same loop over the same code gave p50s from 1.6 to 2.7 ms); how many
instructions a request executes does not depend on what else the machine is doing. Each count
runs in its own process under `valgrind --tool=callgrind`, all with the same set-up (the model
loaded, every kind of canvas made and read once), then `--calls` requests of one kind; a
process that makes no request counts the set-up alone, and the difference divided by the calls
is one request. `--against` counts another checkout's code (a git worktree of an older commit,
say) on the same canvases, for a before-and-after that no noise blurs. Instructions are not
time (each of the model's vector instructions does more work than the Python around it): they
compare two versions of the code, not a version with the 1 ms target. Needs valgrind (Debian's
package); without it the section says so and nothing is counted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
# The bench's canvas kinds (bench_recognition.CANVASES), in the order of its speed table.
KINDS = {"L": "grey", "RGBA": "RGBA (transparent)", "browser": "as Chromium uploads it"}
_COLLECTED = re.compile(r"Collected : (\d+)")


def requests(source: Path, kind: str | None, calls: int) -> None:
    """The counted work, run inside valgrind: set-up, then `calls` requests of `kind`."""
    sys.path[:0] = [str(source / "src"), str(BENCH_DIR)]
    from bench_recognition import canvas_png

    from digitrec.inference import Recogniser

    recogniser = Recogniser()
    canvases = {name: [canvas_png(digit, name) for digit in range(10)] for name in KINDS}
    for files in canvases.values():
        for file in files:
            recogniser.recognise([file])
    for i in range(calls if kind else 0):
        recogniser.recognise([canvases[kind][i % 10]])


def counted(source: Path, kind: str | None, calls: int) -> int:
    """Instructions callgrind counts for one `requests` process."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    command += [sys.executable, __file__, "--child", str(source), kind or "-", str(calls)]
    # What moves the count between runs of the same code: string hashing, salted per process
    # (dict and set work), and idle BLAS threads spinning (valgrind runs threads in turn).
    environment = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1"}
    environment.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    result = subprocess.run(command, capture_output=True, text=True, check=True, env=environment)
    return int(_COLLECTED.search(result.stderr).group(1))


def per_request(source: Path, calls: int) -> dict[str, float]:
    """Instructions (millions) of one request of each kind, for the code under `source`."""
    jobs = [None, *KINDS]
    with ThreadPoolExecutor(max_workers=2) as pool:  # counts do not depend on the load
        totals = dict(
            zip(jobs, pool.map(lambda kind: counted(source, kind, calls), jobs), strict=True)
        )
    return {kind: (totals[kind] - totals[None]) / calls / 1e6 for kind in KINDS}


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        source, kind, calls = sys.argv[2:5]
        requests(Path(source), None if kind == "-" else kind, int(calls))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="unused: accepted like every bench's (bench/run.py)")
    parser.add_argument("--calls", type=int, default=100, help="requests counted per kind")
    parser.add_argument("--against", type=Path, help="another checkout to count beside this one")
    args = parser.parse_args()
    print("## Instructions per request (callgrind)\n")
    if shutil.which("valgrind") is None:
        print("Not measured: valgrind is not installed (`apt-get install valgrind`).")
        return 0
    sources = {"this code": BENCH_DIR.parent}
    if args.against:
        sources[str(args.against)] = args.against.resolve()
    counts = {name: per_request(path, args.calls) for name, path in sources.items()}
    print("| canvas PNG, 280x280 | " + " | ".join(counts) + " |")
    print("|---" * (len(counts) + 1) + "|")
    for kind, label in KINDS.items():
        cells = " | ".join(f"{counts[name][kind]:.2f} M" for name in counts)
        print(f"| {label} | {cells} |")
    command = f".venv/bin/python bench/bench_instructions.py --calls {args.calls}"
    if args.against:
        command += f" --against {args.against}"
    print(
        f"\nMillions of instructions per recognise() call: {args.calls} calls of each kind, "
        f"less a process that makes none. Reproduce with `{command}`."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
