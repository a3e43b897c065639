"""The final results file, chosen by RESULTS' extension: .parquet, .csv or .jsonl.

Rows arrive a few thousand at a time, in input order, and are written as they come; the file
is written aside and renamed into place at the end, so RESULTS is either whole or absent.
In .csv the probabilities are a JSON list in one cell and a null is an empty cell.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

SUFFIXES = (".parquet", ".csv", ".jsonl")


class UnknownFormatError(Exception):
    """RESULTS has an extension no writer knows."""


def check_format(path: Path) -> None:
    if path.suffix.lower() not in SUFFIXES:
        raise UnknownFormatError(
            f"{path}: results are written as {', '.join(SUFFIXES)}; name the file with one of "
            "these extensions"
        )


@contextlib.contextmanager
def results_writer(path: Path, schema: pa.Schema) -> Iterator[Callable[[pa.Table], None]]:
    """A function that appends a table of rows (of `schema`) to the results file at `path`."""
    check_format(path)
    aside = path.with_name(f".{path.name}.writing")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            with pq.ParquetWriter(aside, schema) as writer:
                yield writer.write_table
        else:
            with aside.open("w", newline="", encoding="utf-8") as file:
                yield _csv_rows(file, schema) if suffix == ".csv" else _json_lines(file)
        os.replace(aside, path)
    finally:
        aside.unlink(missing_ok=True)


def _csv_rows(file, schema: pa.Schema) -> Callable[[pa.Table], None]:
    writer = csv.writer(file)
    writer.writerow(schema.names)

    def write(table: pa.Table) -> None:
        for row in table.to_pylist():
            writer.writerow([_csv_cell(value) for value in row.values()])

    return write


def _csv_cell(value) -> str | int | float | bool:
    if value is None:
        return ""
    return json.dumps(value) if isinstance(value, list) else value


def _json_lines(file) -> Callable[[pa.Table], None]:
    def write(table: pa.Table) -> None:
        for row in table.to_pylist():
            file.write(json.dumps(row) + "\n")

    return write
