"""The Ray engine: Ray Data reads the files, an actor pool recognises them, Ray writes Parquet.

    read_binary_files -> map_batches(RecogniseOnActor, ActorPoolStrategy) -> write_parquet

Each actor loads the model once. Without a cluster address Ray starts on this machine; with one
(`--ray-address`, or RAY_ADDRESS as a Ray job has it) the job joins that cluster, and then the
inputs, the model and the parts folder must be at the same paths on every node (shared storage).

Ray's readers read plain files. Archive members (already read by the driver) and names that are
not readable files reach the actors as rows of their own, so that every source gets the same
row, and the same error, as it does on the local engine. The pending sources go to Ray a slice
at a time, each slice one Ray execution, so that the map from file to index each actor holds
stays small; Ray's writer adds each block's rows to the parts folder as soon as it is read.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from digitrec.batch.inputs import Source, chunked
from digitrec.batch.parts import Parts
from digitrec.batch.recognition import read_sources
from digitrec.batch.table import to_table
from digitrec.imaging.decode import MAX_FILE_BYTES
from digitrec.inference import Recogniser

# One Ray execution reads this many sources (or archive members adding up to the bytes), so
# that what the driver holds at once stays bounded.
SOURCES_PER_EXECUTION = 50_000
PROGRESS_EVERY_S = 1.0
BYTES_PER_EXECUTION = 256 << 20
IMAGES_PER_CALL = 100  # one actor call; small enough to keep both actors busy on 300 images
# Files per block Ray reads: a block is also what its writer writes as one part, so this is what
# an interruption can lose.
FILES_PER_BLOCK = 500
# What the actors are given: a source and its place in the input order.
SOURCE_SCHEMA = pa.schema(
    [
        ("index", pa.int64()),
        ("name", pa.string()),
        ("file", pa.string()),
        ("content", pa.binary()),
        ("error", pa.string()),
    ]
)


class RecogniseOnActor:
    """A Ray actor's recogniser, loaded once: batches of SOURCE_SCHEMA rows -> result rows."""

    def __init__(self, model_path: Path | None, number: bool):
        self.recogniser = Recogniser(model_path)
        self.number = number

    def __call__(self, batch: pa.Table) -> pa.Table:
        pairs = [
            (row["index"], Source(row["name"], row["file"], row["content"], row["error"]))
            for row in batch.to_pylist()
        ]
        return to_table(read_sources(self.recogniser, pairs, self.number), self.number)


def read_on_ray(
    pending: Iterable[tuple[int, Source]],
    parts: Parts,
    on_read: Callable[[int], None],
    *,
    model_path: Path | None,
    actors: int | None,
    address: str | None,
) -> None:
    """Read every pending (index, source) into `parts` with Ray Data; `on_read(n)` as the parts
    of n rows appear."""
    try:
        import ray
    except ImportError as error:
        raise RayStartError("--engine ray needs Ray: pip install 'digitrec[batch]'") from error

    started_here = not ray.is_initialized()
    if started_here:
        _start_or_join(ray, address, actors)
    try:
        # One CPU of the cluster is left to Ray's reading and writing tasks (see _start_or_join).
        actors = actors or max(1, int(ray.cluster_resources().get("CPU", 2)) - 1)
        for chunk in chunked(pending, SOURCES_PER_EXECUTION, BYTES_PER_EXECUTION):
            with _counting_new_parts(parts, on_read, len(chunk)):
                _read_slice(chunk, parts, model_path, actors)
    finally:
        if started_here:
            ray.shutdown()


@contextlib.contextmanager
def _counting_new_parts(parts: Parts, on_read: Callable[[int], None], total: int) -> Iterator[None]:
    """While a slice runs, `on_read` the rows of each part Ray's writer adds, once a second; when
    it has run, the rest of its `total` (Ray's writer reports nothing as it goes)."""
    known = set(parts.folder.glob("*.parquet"))
    reported = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal reported
        while not stop.wait(PROGRESS_EVERY_S):
            for path in set(parts.folder.glob("*.parquet")) - known:
                try:
                    rows = pq.ParquetFile(path).metadata.num_rows
                except (pa.ArrowInvalid, OSError):
                    continue  # still being written
                known.add(path)
                reported += rows
                on_read(rows)

    counter = threading.Thread(target=count, daemon=True)
    counter.start()
    try:
        yield
    finally:
        stop.set()
        counter.join()
    on_read(max(0, total - reported))


class RayStartError(Exception):
    """Ray could not start here, or could not join the cluster it was pointed at."""


def _start_or_join(ray, address: str | None, actors: int | None) -> None:
    try:
        _init(ray, address, actors)
    except (ConnectionError, RuntimeError, OSError, ValueError) as error:
        where = f"join the Ray cluster at {address}" if address else "start on this machine"
        raise RayStartError(f"Ray could not {where}: {error}") from error


def _init(ray, address: str | None, actors: int | None) -> None:
    if address:
        ray.init(address=address, log_to_driver=False, logging_level="WARNING")
    else:
        # Each actor holds a CPU for as long as it lives; Ray Data's reading and writing tasks
        # need one more, or they wait for the actors and the actors wait for them.
        ray.init(
            num_cpus=(actors or os.cpu_count()) + 1,
            include_dashboard=False,
            log_to_driver=False,
            logging_level="WARNING",
        )


def _read_slice(
    chunk: list[tuple[int, Source]], parts: Parts, model_path: Path | None, actors: int
) -> None:
    import ray.data

    # The job's own bar counts the images; Ray's would repeat it, line after line.
    ray.data.DataContext.get_current().enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    results = _sources_of(chunk).map_batches(
        RecogniseOnActor,
        fn_constructor_kwargs={
            "model_path": model_path.resolve() if model_path else None,
            "number": parts.number,
        },
        batch_size=IMAGES_PER_CALL,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=1,
    )
    results.write_parquet(str(parts.folder.resolve()))


def _sources_of(chunk: list[tuple[int, Source]]):
    """A Ray dataset of SOURCE_SCHEMA rows: the files through Ray's reader, the rest as rows.
    Every path in it is absolute: Ray's workers do not run in the driver's folder."""
    import ray.data

    indices_of: dict[str, list[tuple[int, str]]] = {}
    others = []
    for index, source in chunk:
        if _ray_can_read(source):
            indices_of.setdefault(os.path.abspath(source.file), []).append((index, source.name))
        else:
            others.append({"index": index, **_source_columns(source)})
    datasets = []
    if indices_of:
        files = ray.data.read_binary_files(
            list(indices_of),
            include_paths=True,
            num_cpus=0.1,
            override_num_blocks=-(-len(indices_of) // FILES_PER_BLOCK),
        )
        datasets.append(
            files.map_batches(
                _named_sources,
                fn_kwargs={"indices_of": indices_of},
                batch_format="pyarrow",
                num_cpus=0.1,
            )
        )
    if others:
        datasets.append(ray.data.from_arrow(pa.Table.from_pylist(others, schema=SOURCE_SCHEMA)))
    return datasets[0].union(*datasets[1:]) if len(datasets) > 1 else datasets[0]


def _named_sources(files: pa.Table, indices_of: dict) -> pa.Table:
    """Ray's (path, bytes) rows -> one SOURCE_SCHEMA row per place the inputs name the file."""
    rows = [
        {"index": index, "name": name, "file": None, "content": content, "error": None}
        for path, content in zip(
            files.column("path").to_pylist(), files.column("bytes").to_pylist(), strict=True
        )
        for index, name in indices_of[path]
    ]
    return pa.Table.from_pylist(rows, schema=SOURCE_SCHEMA)


def _source_columns(source: Source) -> dict:
    return {
        "name": source.name,
        "file": os.path.abspath(source.file) if source.file else None,
        "content": source.content,
        "error": source.error,
    }


def _ray_can_read(source: Source) -> bool:
    """A plain file of a size an image can have: Ray's reader reads it whole."""
    if source.file is None:
        return False
    try:
        return os.path.isfile(source.file) and os.path.getsize(source.file) <= MAX_FILE_BYTES
    except OSError:
        return False
