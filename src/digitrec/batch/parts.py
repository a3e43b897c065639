"""The parts folder beside RESULTS (`results.parquet.parts/`): every row read so far.

Engines add Parquet files of rows (each with its source's `index`) as they go; a part appears
whole or not at all (written aside, then renamed; a file that Ray's writer left cut short has no
Parquet footer and is removed when the job starts again). So a job that was stopped, run again,
reads only the indices no part holds, and the final file is the union of the parts in index
order: no row is lost, and a row written twice is kept once. `job.json` records what the parts
were read from (the inputs' fingerprint, the mode, the model): parts of another job are never
mixed in.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from digitrec.batch.table import INDEX, results_schema

MANIFEST = "job.json"
# Rows gathered, sorted and written at a time when the parts become the final file.
ASSEMBLY_ROWS = 10_000


class PartsMismatchError(Exception):
    """The parts folder holds rows of a different job; the message says how to start again."""


class MissingRowsError(Exception):
    """Rows are missing when every one should have been read: the inputs changed mid-job."""


@dataclass(frozen=True)
class Span:
    """A part file and the lowest and highest index it holds."""

    path: Path
    low: int
    high: int


@dataclass(frozen=True)
class Parts:
    folder: Path
    number: bool

    @classmethod
    def beside(cls, results: Path, job: dict) -> Parts:
        """The parts folder of `results`, made for `job` or checked to have been made for it."""
        folder = results.with_name(results.name + ".parts")
        manifest = folder / MANIFEST
        if manifest.is_file():
            recorded = json.loads(manifest.read_text())
            if recorded != job:
                raise PartsMismatchError(
                    f"{folder} holds the parts of a different job ({_difference(recorded, job)}); "
                    "run the same command again to finish it, or delete the folder to start afresh"
                )
        else:
            folder.mkdir(parents=True, exist_ok=True)
            _write_aside(manifest, lambda path: path.write_text(json.dumps(job, indent=2)))
        return cls(folder, job["number"])

    def write(self, table: pa.Table) -> Path:
        """Add a part holding `table`'s rows (named by its first index, unique among parts)."""
        first = table.column(INDEX)[0].as_py()
        path = self.folder / f"part-{first:012d}.parquet"
        _write_aside(path, lambda aside: pq.write_table(table, aside))
        return path

    def spans(self) -> list[Span]:
        """Every whole part and its index range."""
        return [
            Span(path, int(indices.min()), int(indices.max()))
            for path, indices in self._indices()
            if len(indices)
        ]

    def done(self, count: int) -> np.ndarray:
        """(count,) bool: which of the first `count` indices some part already holds."""
        done = np.zeros(count, dtype=bool)
        for _, indices in self._indices():
            done[indices[indices < count]] = True
        return done

    def _indices(self) -> Iterator[tuple[Path, np.ndarray]]:
        """Each whole part and the indices it holds; parts cut short are deleted."""
        for path in sorted(self.folder.glob("*.parquet")):
            try:
                yield path, _read(path, [INDEX]).column(INDEX).to_numpy()
            except (pa.ArrowInvalid, OSError):
                path.unlink()

    def rows_in_order(self, count: int) -> Iterator[pa.Table]:
        """Rows 0..count-1 in index order, each once, ASSEMBLY_ROWS at a time."""
        spans = self.spans()
        for start in range(0, count, ASSEMBLY_ROWS):
            stop = min(count, start + ASSEMBLY_ROWS)
            rows = self._rows_between(
                start, stop, [s for s in spans if s.low < stop and s.high >= start]
            )
            if rows.num_rows != stop - start:
                raise MissingRowsError(
                    f"{stop - start - rows.num_rows} of rows {start}..{stop - 1} were never "
                    "written: did files go while the job ran? Run the same command again"
                )
            yield rows

    def _rows_between(self, start: int, stop: int, spans: list[Span]) -> pa.Table:
        """The rows of indices start..stop-1 that `spans` hold, sorted, a row written twice once."""
        schema = results_schema(self.number)
        tables = [_read(span.path).select(schema.names).cast(schema) for span in spans]
        rows = pa.concat_tables(tables) if tables else schema.empty_table()
        indices = rows.column(INDEX)
        rows = rows.filter(pc.and_(pc.greater_equal(indices, start), pc.less(indices, stop)))
        rows = rows.sort_by(INDEX)
        ordered = rows.column(INDEX).to_numpy()
        first_of_each = np.ones(len(ordered), dtype=bool)
        first_of_each[1:] = ordered[1:] != ordered[:-1]
        return rows.filter(first_of_each)

    def remove(self) -> None:
        shutil.rmtree(self.folder)


def _read(path: Path, columns: list[str] | None = None) -> pa.Table:
    """One part file's rows. pq.ParquetFile, not pq.read_table: the latter's first call imports
    pyarrow.dataset, over half a second of CPU that would hold up every job's last step."""
    with pq.ParquetFile(path) as part:
        return part.read(columns=columns)


def _write_aside(path: Path, write) -> None:
    """Write `path` through a hidden file renamed into place, so it is whole or absent."""
    aside = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    try:
        write(aside)
        os.replace(aside, path)
    finally:
        aside.unlink(missing_ok=True)


def _difference(recorded: dict, job: dict) -> str:
    changed = sorted(key for key in {*recorded, *job} if recorded.get(key) != job.get(key))
    return "different " + ", ".join(changed)
