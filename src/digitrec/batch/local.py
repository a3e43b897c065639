"""The local engine: a pool of processes on this machine, one recogniser in each.

Sources are handed out a part at a time (`part_size` images, or fewer archive members when they
reach PART_BYTES) and only a couple of parts per process are ever in flight, so memory stays
flat however many files there are. Each process reads its part's files itself and writes the
part's rows to the parts folder; the parent only enumerates and counts, and never loads the
model (nor imports ONNX Runtime): the workers report which model they loaded, or why they could
not. Worker processes ignore Ctrl-C: the parent stops handing out parts and lets the ones in
hand finish, so every part is written whole.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING

from digitrec.batch.inputs import Source, chunked

if TYPE_CHECKING:
    from digitrec.batch.parts import Parts
    from digitrec.inference import Recogniser

# Parts queued per process beyond the one it is reading: enough that none waits for work.
QUEUED_PER_WORKER = 1
# A part ends sooner when the archive members it carries reach this many bytes.
PART_BYTES = 32 << 20
# Near the end of a job parts shrink, so that the processes finish together instead of one
# reading a last long part alone (photos cost ten times an MNIST PNG): a part holds at most the
# pending sources over TAIL_SHARES per process, and at least the sources one model call reads.
TAIL_SHARES = 2
SMALLEST_PART = 64

_recogniser: Recogniser | None = None  # this worker process's own, loaded once
_load_error: Exception | None = None  # why it could not be loaded, for the parent to raise


class ProcessPool:
    """The local engine's worker processes, each with its own recogniser. All of them start when
    the pool is made, so that they load their models while the parent counts the inputs."""

    def __init__(self, model_path: Path | None, workers: int, part_size: int):
        self.workers = workers
        self.part_size = part_size
        # Spawned, not forked: a forked child would inherit the parent's locks and threads
        # (pyarrow's, tqdm's) in whatever state they were in.
        self._pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_load_recogniser,
            initargs=(model_path,),
        )
        # The pool starts a process for each task no process is free for: one task each.
        self._started = [self._pool.submit(_loaded_model_sha256) for _ in range(workers)]

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, exception_type, *exception) -> None:
        if exception_type is None:
            # Every part is written: the processes tear themselves down while the parent
            # assembles the results, and are joined when it exits.
            self._pool.shutdown(wait=False)
        else:
            # Parts being read are finished and written (workers ignore Ctrl-C); queued ones
            # dropped.
            self._pool.shutdown(wait=True, cancel_futures=True)

    def model_sha256(self) -> str:
        """The SHA-256 of the model the workers loaded, once one has; raises the ModelLoadError
        of a model they could not load."""
        return self._started[0].result()

    def read(
        self,
        pending: Iterable[tuple[int, Source]],
        pending_count: int,
        parts: Parts,
        on_read: Callable[[int], None],
    ) -> None:
        """Read every pending (index, source) into `parts`; `on_read(n)` after each part of n."""
        in_flight: set[Future] = set()
        for part in _tapering(pending, pending_count, self.part_size, self.workers):
            if len(in_flight) >= self.workers * (1 + QUEUED_PER_WORKER):
                finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                _report(finished, on_read)
            in_flight.add(self._pool.submit(_read_part, part, parts))
        _report(wait(in_flight).done, on_read)


def _tapering(
    pending: Iterable[tuple[int, Source]], pending_count: int, part_size: int, workers: int
) -> Iterator[list[tuple[int, Source]]]:
    """Parts of `part_size` sources while many are left, then smaller ones (see TAIL_SHARES)."""
    remaining = pending_count
    pending = iter(pending)
    while True:
        size = min(part_size, max(SMALLEST_PART, remaining // (TAIL_SHARES * workers)))
        part = next(chunked(pending, size, PART_BYTES), None)
        if part is None:
            return
        remaining -= len(part)
        yield part


def _report(finished: set[Future], on_read: Callable[[int], None]) -> None:
    for future in finished:
        on_read(future.result())


def _load_recogniser(model_path: Path | None) -> None:
    global _recogniser, _load_error
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from digitrec.inference import ModelLoadError, Recogniser

    try:
        _recogniser = Recogniser(model_path)
    except ModelLoadError as error:
        # Raised in the parent by model_sha256(); raised here, it would only break the pool.
        _load_error = error


def _loaded_model_sha256() -> str:
    if _load_error is not None:
        raise _load_error
    from digitrec.batch.recognition import models_sha256

    return models_sha256(_recogniser)


def _read_part(part: list[tuple[int, Source]], parts: Parts) -> int:
    from digitrec.batch.recognition import read_sources
    from digitrec.batch.table import to_table

    parts.write(to_table(read_sources(_recogniser, part, parts.number), parts.number))
    return len(part)
