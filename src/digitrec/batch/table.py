"""The results table's columns: one row per source, the same whichever engine read it.

    index          int64    the source's place in the input order (parts only; not in RESULTS)
    path           string   the source's name
    digit          int64    the digit read, null when there is none   (--number: number, string)
    confidence     float64  calibrated probability of the digit       (--number: its least sure digit)
    probabilities  list     ten probabilities, digits 0-9             (--number: one such list per digit)
    is_digit       bool     sure enough to be a digit                 (--number: every digit is)
    error          string   why the source could not be read; null when it was
    model_version  string   the version of the model that read it (a photo's: the photos model)

A row that could not be read has nulls everywhere but path, error and model_version.
"""

from __future__ import annotations

import pyarrow as pa

INDEX = "index"


def results_schema(number: bool) -> pa.Schema:
    probabilities = pa.list_(pa.float64())
    return pa.schema(
        [
            (INDEX, pa.int64()),
            ("path", pa.string()),
            ("number", pa.string()) if number else ("digit", pa.int64()),
            ("confidence", pa.float64()),
            ("probabilities", pa.list_(probabilities) if number else probabilities),
            ("is_digit", pa.bool_()),
            ("error", pa.string()),
            ("model_version", pa.string()),
        ]
    )


def to_table(rows: list[dict], number: bool) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=results_schema(number))
