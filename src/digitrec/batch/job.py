"""One batch job: count the inputs, read what no part holds yet, then write RESULTS in order.

    summary = run_batch(BatchJob(inputs=("scans/",), out=Path("results.parquet")))

Run again after an interruption, the same job finds its parts folder, reads only the sources
no part holds, and writes the same RESULTS as an uninterrupted run; the parts folder goes once
RESULTS is whole.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
from tqdm import tqdm

from digitrec.batch.inputs import Source, fingerprint, iter_sources
from digitrec.batch.local import ProcessPool
from digitrec.batch.parts import Parts
from digitrec.batch.table import INDEX, results_schema
from digitrec.batch.writers import check_format, results_writer


@dataclass(frozen=True)
class BatchJob:
    inputs: tuple[str, ...]
    out: Path
    number: bool = False
    engine: str = "local"  # "local" or "ray"
    workers: int | None = None  # processes (local) or actors (ray); None: every CPU
    model_path: Path | None = None
    part_size: int = 500  # images per part the local engine writes
    ray_address: str | None = None  # None: start Ray on this machine
    progress: bool = True


@dataclass(frozen=True)
class Summary:
    total: int
    already_written: int  # read by an earlier, interrupted run of the same job
    read: int
    unsure: int  # read, but not sure enough to be a digit (is_digit false)
    failed: int  # not read: not an image, broken, missing
    seconds: float

    def describe(self, out: Path) -> str:
        rate = (self.total - self.already_written) / self.seconds if self.seconds else 0.0
        resumed = f", {self.already_written:,} of them from before" if self.already_written else ""
        return (
            f"{self.total:,} images{resumed}: {self.read:,} read ({self.unsure:,} unsure), "
            f"{self.failed:,} failed -> {out} ({self.seconds:.1f} s, {rate:,.0f} images/s)"
        )


def run_batch(job: BatchJob) -> Summary:
    """Read every source of `job.inputs` into `job.out`, resuming an interrupted run of it."""
    started = time.perf_counter()
    check_format(job.out)
    with _engine(job) as engine:
        count, names_sha256 = fingerprint(job.inputs)
        parts = Parts.beside(
            job.out,
            {
                "sources": count,
                "names_sha256": names_sha256,
                "number": job.number,
                "model_sha256": engine.model_sha256(),
            },
        )
        done = parts.done(count)
        already_written = int(done.sum())
        if already_written < count:
            with tqdm(
                total=count,
                initial=already_written,
                unit="image",
                disable=not job.progress or None,
            ) as bar:
                engine.read(_not_done(job.inputs, done), count - already_written, parts, bar.update)
    read = unsure = 0
    with results_writer(job.out, results_schema(job.number).remove(0)) as write:
        for rows in parts.rows_in_order(count):
            is_read = pc.is_null(rows.column("error"))
            read += pc.sum(is_read).as_py() or 0
            unsure += pc.sum(pc.and_(is_read, pc.invert(rows.column("is_digit")))).as_py() or 0
            write(rows.drop_columns([INDEX]))
    parts.remove()
    seconds = time.perf_counter() - started
    return Summary(count, already_written, read, unsure, count - read, seconds)


class InputsChangedError(Exception):
    """The inputs named more sources while they were read than when they were counted."""


def _not_done(inputs: tuple[str, ...], done: np.ndarray) -> Iterator[tuple[int, Source]]:
    for index, source in enumerate(iter_sources(inputs)):
        if index >= len(done):
            raise InputsChangedError(
                f"the inputs changed while they were read ({source.name} was not there when "
                f"{len(done):,} sources were counted); run the command again"
            )
        if not done[index]:
            yield index, source


@contextlib.contextmanager
def _engine(job: BatchJob) -> Iterator[ProcessPool | OnRay]:
    """The job's engine: model_sha256() and read(pending, pending_count, parts, on_read). The
    local one's processes start now, to load their models while the inputs are counted."""
    if job.engine == "ray":
        yield OnRay(job.model_path, job.workers, job.ray_address)
        return
    with ProcessPool(job.model_path, job.workers or _cpu_count(), job.part_size) as pool:
        yield pool


@dataclass(frozen=True)
class OnRay:
    """The Ray engine, as the job uses it (digitrec.batch.on_ray, imported only when used)."""

    model_path: Path | None
    actors: int | None
    address: str | None

    def model_sha256(self) -> str:
        """The model's SHA-256 once a recogniser here has loaded it: a bad model is refused
        before Ray starts, and the actors load their own."""
        from digitrec.batch.recognition import models_sha256
        from digitrec.inference import Recogniser

        return models_sha256(Recogniser(self.model_path))

    def read(self, pending, pending_count: int, parts: Parts, on_read: Callable) -> None:
        from digitrec.batch.on_ray import read_on_ray

        read_on_ray(
            pending,
            parts,
            on_read,
            model_path=self.model_path,
            actors=self.actors,
            address=self.address,
        )


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
