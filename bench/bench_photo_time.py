"""Time to read a 12-megapixel photo: this checkout against another, alternated in one run.

    .venv/bin/python bench/bench_photo_time.py --data-dir ../shared/mnist --against /tmp/base

The photos are bench/wild.py's "small-in-12mp" (a digit 8-15 % of a 4000x3000 JPEG's height),
made once and read through `Recogniser.recognise([jpeg_bytes])` by a fresh process per checkout
and round, the checkouts taking turns so that the machine's load falls on both alike. Each
process reads every photo once unmeasured, then --repeats times; its median CPU time (this
thread's) and wall-clock time per photo are reported. Without --against only this checkout is
timed.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


def time_reading(photos_path: str, repeats: int) -> None:
    """Run inside a checkout's interpreter: print the median CPU and wall seconds per photo."""
    import time

    from digitrec.inference import Recogniser

    recogniser = Recogniser(threads=1)
    with open(photos_path, "rb") as file:
        photos = pickle.load(file)
    recogniser.recognise(photos[:1] * 2)
    cpu, wall = [], []
    for _ in range(repeats):
        for photo in photos:
            started, started_cpu = time.perf_counter(), time.thread_time()
            recogniser.recognise([photo])
            wall.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - started_cpu)
    print(statistics.median(cpu), statistics.median(wall))


def timed(source: Path, photos_path: str, repeats: int) -> tuple[float, float]:
    environment = {**os.environ, "PYTHONPATH": str(source / "src")}
    script = str(Path(__file__).resolve())
    command = [sys.executable, script, "--read", photos_path, "--repeats", str(repeats)]
    result = subprocess.run(command, env=environment, capture_output=True, text=True, check=True)
    cpu, wall = result.stdout.split()
    return float(cpu), float(wall)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/mnist", help="MNIST IDX directory")
    parser.add_argument("--against", type=Path, help="another checkout to time alike")
    parser.add_argument("--photos", type=int, default=10, help="12 MP photos to read")
    parser.add_argument("--repeats", type=int, default=3, help="times each process reads them")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the checkouts")
    parser.add_argument("--read", help=argparse.SUPPRESS)  # inside a timed process
    args = parser.parse_args()
    if args.read:
        time_reading(args.read, args.repeats)
        return 0

    sys.path.insert(0, str(BENCH_DIR))
    from wild import generate, mnist_test_inks

    inks = mnist_test_inks(args.data_dir)
    photos = [sample.image for sample in generate("small-in-12mp", inks, args.photos, seed=0)]
    checkouts = {"this checkout": ROOT}
    if args.against:
        checkouts[f"against {args.against}"] = args.against.resolve()
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in checkouts}
    with tempfile.NamedTemporaryFile(suffix=".pickle") as file:
        pickle.dump(photos, file)
        file.flush()
        for _ in range(args.rounds):
            for name, source in checkouts.items():
                times[name].append(timed(source, file.name, args.repeats))

    print("## Reading a 12-megapixel photo (bench/bench_photo_time.py)\n")
    print("```\n.venv/bin/python bench/bench_photo_time.py " + " ".join(sys.argv[1:]) + "\n```\n")
    print("| code | CPU ms per photo, each round | wall ms per photo, each round |")
    print("|---|---|---|")
    for name, rounds in times.items():
        cpu = ", ".join(f"{c * 1000:.0f}" for c, _ in rounds)
        wall = ", ".join(f"{w * 1000:.0f}" for _, w in rounds)
        print(f"| {name} | {cpu} | {wall} |")
    print(
        f"\n{args.photos} photos of {len(photos[0]) / 1e6:.1f}-odd MB, medians of "
        f"{args.repeats} readings each; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
