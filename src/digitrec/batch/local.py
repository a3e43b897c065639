"""The local engine: a pool of processes on this machine, one recogniser in each.

Sources are handed out a part at a time (`part_size` images, or fewer archive members when they
reach PART_BYTES) and only a couple of parts per process are ever in flight, so memory stays
flat however many files there are. Each process
reads its part's files itself and writes the part's rows to the parts folder; the parent only
enumerates and counts. Worker processes ignore Ctrl-C: the parent stops handing out parts and
lets the ones in hand finish, so every part is written whole.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path

from digitrec.batch.inputs import Source, chunked
from digitrec.batch.parts import Parts
from digitrec.batch.recognition import read_sources
from digitrec.batch.table import to_table
from digitrec.inference import Recogniser

# Parts queued per process beyond the one it is reading: enough that none waits for work.
QUEUED_PER_WORKER = 1
# A part ends sooner when the archive members it carries reach this many bytes.
PART_BYTES = 32 << 20

_recogniser: Recogniser | None = None  # this worker process's own, loaded once


class ProcessPool:
    """The local engine's worker processes, each with its own recogniser. All of them start when
    the pool is made, so that they load their models while the parent counts the inputs."""

    def __init__(self, model_path: Path | None, workers: int):
        self.workers = workers
        # Spawned, not forked: the parent has ONNX Runtime loaded, and its threads do not fork.
        self._pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_load_recogniser,
            initargs=(model_path,),
        )
        for _ in range(workers):  # the pool starts a process for each task no process is free for
            self._pool.submit(_started)

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, *exception) -> None:
        # Parts being read are finished and written (workers ignore Ctrl-C); queued ones dropped.
        self._pool.shutdown(wait=True, cancel_futures=True)

    def read(
        self,
        pending: Iterable[tuple[int, Source]],
        parts: Parts,
        on_read: Callable[[int], None],
        *,
        part_size: int,
    ) -> None:
        """Read every pending (index, source) into `parts`; `on_read(n)` after each part of n."""
        in_flight: set[Future] = set()
        for part in chunked(pending, part_size, PART_BYTES):
            if len(in_flight) >= self.workers * (1 + QUEUED_PER_WORKER):
                finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                _report(finished, on_read)
            in_flight.add(self._pool.submit(_read_part, part, parts))
        _report(wait(in_flight).done, on_read)


def _report(finished: set[Future], on_read: Callable[[int], None]) -> None:
    for future in finished:
        on_read(future.result())


def _started() -> None:
    """Nothing: a task for each new process to take, once its recogniser is loaded."""


def _load_recogniser(model_path: Path | None) -> None:
    global _recogniser
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _recogniser = Recogniser(model_path)


def _read_part(part: list[tuple[int, Source]], parts: Parts) -> int:
    parts.write(to_table(read_sources(_recogniser, part, parts.number), parts.number))
    return len(part)
