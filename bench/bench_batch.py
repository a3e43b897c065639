"""Batch benchmark: `digitrec batch` on 20,000 PNGs, local engine with 1 and 2 workers, Ray
with 2 actors, against looping over `digitrec predict`.

    .venv/bin/python bench/bench_batch.py --data-dir ../shared/mnist [--images 20000]

The images are the 10,000 MNIST test digits and the first 10,000 training digits, each saved as
a PNG (the wild-photo generator is not in bench/ yet; when it is, its photos belong here too),
in folders of 1,000. Every run is the real command in a fresh process, timed from start to the
results file written (start-up, counting, reading and assembling included). Peak memory is the
highest sum of resident memory over the command's whole process tree (workers, Ray's daemons
and actors), sampled every 0.1 s; CPU time is that of every process of the command. The runs
must give identical rows, which is checked.

Two baselines: the command's own predecessor, `digitrec predict` with every file in one call
(one process, one image at a time), and a shell-style loop starting `digitrec predict FILE`
once per image, timed on a sample (20,000 starts would take hours). The 2-worker figure is
meant to reach 1.8x the 1-worker one on an otherwise idle machine; the load average is printed
beside the figures because on a shared machine it cannot.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import pyarrow.parquet as pq
from PIL import Image

from digitrec.training import data

FOLDER_SIZE = 1_000
LOOP_SAMPLE = 40  # images for the one-process-per-image loop
TARGET_SPEEDUP = 1.8
DIGITREC = [str(Path(sys.executable).with_name("digitrec"))]
if not Path(DIGITREC[0]).is_file():
    DIGITREC = [sys.executable, "-m", "digitrec.cli"]


@dataclass(frozen=True)
class Run:
    label: str
    images: int
    seconds: float
    cpu_seconds: float  # user + system time of every process of the command, reaped
    peak_rss_mb: float
    load_before: float

    @property
    def rate(self) -> float:
        return self.images / self.seconds


def write_pngs(root: Path, data_dir: str, count: int) -> Path:
    train, test = data.load_mnist(data_dir)
    images = list(test.images) + list(train.images[: max(0, count - len(test.images))])
    for i, image in enumerate(images[:count]):
        folder = root / f"{i // FOLDER_SIZE:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image, mode="L").save(folder / f"{i:05d}.png")
    return root


def measured(label: str, command: list[str], images: int, cwd: Path | None = None) -> Run:
    """Run `command`, sampling its process tree's resident memory; fail loudly if it fails."""
    load_before = os.getloadavg()[0]
    cpu_before = _children_cpu_seconds()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = [0]
    sampler = threading.Thread(target=_sample_memory, args=(process.pid, peak), daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - started
    sampler.join()
    if process.returncode not in (0, 1):  # predict exits 1 when some file fails
        raise RuntimeError(f"{label} failed ({process.returncode}):\n{stderr[-3000:]}")
    cpu_seconds = _children_cpu_seconds() - cpu_before
    return Run(label, images, seconds, cpu_seconds, peak[0] / (1 << 20), load_before)


def _children_cpu_seconds() -> float:
    """CPU time of every process this one has reaped, and of those they reaped in turn."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _sample_memory(pid: int, peak: list[int]) -> None:
    try:
        root = psutil.Process(pid)
        while root.is_running() and root.status() != psutil.STATUS_ZOMBIE:
            total = 0
            for process in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # a worker that just ended
                    total += process.memory_info().rss
            peak[0] = max(peak[0], total)
            time.sleep(0.1)
    except psutil.Error:
        pass


def batch_run(label: str, images: Path, out: Path, count: int, *options: str) -> Run:
    command = [*DIGITREC, "batch", str(images), "--out", str(out), *options]
    return measured(label, command, count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/mnist", help="MNIST IDX directory")
    parser.add_argument("--images", type=int, default=20_000, help="how many PNGs")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="digitrec-bench-batch-") as scratch:
        scratch = Path(scratch)
        images = write_pngs(scratch / "images", args.data_dir, args.images)
        results = {name: scratch / f"{name}.parquet" for name in ("one", "two", "ray")}
        runs = [
            batch_run(
                "local engine, 1 worker", images, results["one"], args.images, "--workers", "1"
            ),
            batch_run(
                "local engine, 2 workers", images, results["two"], args.images, "--workers", "2"
            ),
            batch_run(
                "Ray Data, 2 actors",
                images,
                results["ray"],
                args.images,
                "--engine",
                "ray",
                "--workers",
                "2",
            ),
        ]
        tables = [pq.read_table(path) for path in results.values()]
        identical = all(table.equals(tables[0]) for table in tables[1:])
        files = sorted(str(path.relative_to(images)) for path in images.rglob("*.png"))
        runs.append(
            measured(
                "`digitrec predict` with every file, one process",
                [*DIGITREC, "predict", *files],
                len(files),
                cwd=images,
            )
        )
        sample = files[:LOOP_SAMPLE]
        loop_started = time.perf_counter()
        load_before = os.getloadavg()[0]
        cpu_before = _children_cpu_seconds()
        for file in sample:
            subprocess.run([*DIGITREC, "predict", file], cwd=images, capture_output=True)
        runs.append(
            Run(
                f"loop of `digitrec predict FILE` ({LOOP_SAMPLE} images)",
                len(sample),
                time.perf_counter() - loop_started,
                _children_cpu_seconds() - cpu_before,
                float("nan"),
                load_before,
            )
        )

    print(report(runs, identical, args.images))
    return 0 if identical else 1


def report(runs: list[Run], identical: bool, count: int) -> str:
    speedup = runs[1].rate / runs[0].rate
    lines = [
        f"## Batch recognition ({count:,} MNIST PNGs, {os.cpu_count()} cores)\n",
        "| run | images/s | seconds | CPU ms per image | peak memory, MB | load average before |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        memory = "—" if run.peak_rss_mb != run.peak_rss_mb else f"{run.peak_rss_mb:,.0f}"
        lines.append(
            f"| {run.label} | {run.rate:,.0f} | {run.seconds:,.1f} | "
            f"{1000 * run.cpu_seconds / run.images:.2f} | {memory} | {run.load_before:.1f} |"
        )
    verdict = "reached" if speedup >= TARGET_SPEEDUP else "NOT reached"
    lines += [
        "",
        f"2 workers / 1 worker: {speedup:.2f}x (target {TARGET_SPEEDUP}x: {verdict}). "
        f"Rows identical across the three batch runs: {'yes' if identical else 'NO'}. "
        "Seconds are end to end (start-up, counting, reading, writing the file); CPU time counts "
        "every process of the command, start-up included, and is what a busy machine cannot "
        "steal; peak memory sums resident memory over the whole process tree.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
