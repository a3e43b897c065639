"""Run every benchmark in bench/ and put their markdown into bench/results.md.

    make bench                  # = .venv/bin/python bench/run.py --data-dir ../shared/mnist
    .venv/bin/python bench/run.py --only training,recognition

Each bench/bench_*.py prints one markdown section; they run one after another (never in
parallel, so that timings are not disturbed by each other) and each is bounded in time. Their
section replaces its previous run's between its markers in results.md; the history stays.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).parent
# Cheap and independent first; the server benchmarks last, on an otherwise idle machine.
ORDER = (
    "training",
    "recognition",
    "explain",
    "numbers",
    "wild",
    "instructions",
    "batch",
    "feedback",
    "server",
    "abuse",
)
# Scripts that print plain text unless asked for their bench/results.md section.
MARKDOWN_FLAG = {"wild": ["--markdown"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/mnist", help="MNIST IDX directory")
    parser.add_argument("--only", default="", help="comma-separated subset of " + ",".join(ORDER))
    args = parser.parse_args()
    chosen = [name for name in ORDER if not args.only or name in args.only.split(",")]

    failures = []
    for name in chosen:
        script = BENCH_DIR / f"bench_{name}.py"
        if not script.is_file():
            continue
        command = [sys.executable, str(script)]
        if name not in ("server", "abuse"):
            command += ["--data-dir", args.data_dir]
        command += MARKDOWN_FLAG.get(name, [])
        print(f"--- {script.name}", flush=True)
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        print(result.stdout, flush=True)
        if result.returncode == 0:
            write_section(BENCH_DIR / "results.md", name, result.stdout.strip())
        else:
            failures.append(name)
            print(result.stderr[-4000:], file=sys.stderr)
        print(f"({script.name}: {time.perf_counter() - started:.0f} s)\n", flush=True)
    if failures:
        print(f"failed: {', '.join(failures)}", file=sys.stderr)
    return 1 if failures else 0


def write_section(results: Path, name: str, section: str) -> None:
    """Replace benchmark `name`'s section of the results file (between its two markers), or add
    it at the end; everything else in the file, the history included, stays as it is."""
    start, end = f"<!-- bench {name}: latest run -->", f"<!-- end of bench {name} -->"
    text = results.read_text() if results.is_file() else "# Benchmark results\n"
    block = f"{start}\n{section}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n{block}\n"
    results.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
