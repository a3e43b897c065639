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


def read_on_processes(
    pending: Iterable[tuple[int, Source]],
    parts: Parts,
    model_path: Path | None,
    workers: int,
    part_size: int,
    on_read: Callable[[int], None],
) -> None:
    """Read every pending (index, source) into `parts`; `on_read(n)` after each part of n."""
    # Spawned, not forked: the parent has ONNX Runtime loaded, and its threads do not fork.
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_load_recogniser, initargs=(model_path,)
    )
    in_flight: set[Future] = set()
    try:
        for part in chunked(pending, part_size, PART_BYTES):
            if len(in_flight) >= workers * (1 + QUEUED_PER_WORKER):
                finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                _report(finished, on_read)
            in_flight.add(pool.submit(_read_part, part, parts))
        _report(wait(in_flight).done, on_read)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _report(finished: set[Future], on_read: Callable[[int], None]) -> None:
    for future in finished:
        on_read(future.result())


def _load_recogniser(model_path: Path | None) -> None:
    global _recogniser
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _recogniser = Recogniser(model_path)


def _read_part(part: list[tuple[int, Source]], parts: Parts) -> int:
    parts.write(to_table(read_sources(_recogniser, part, parts.number), parts.number))
    return len(part)
