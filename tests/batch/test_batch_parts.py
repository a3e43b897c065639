"""The parts folder: what is done, and the final rows in order, each once."""

from __future__ import annotations

import pytest

from digitrec.batch import parts as parts_module
from digitrec.batch.parts import MissingRowsError, Parts
from digitrec.batch.table import to_table

JOB = {"sources": 6, "names_sha256": "x", "number": False, "model_sha256": "y"}


def rows(*indices: int) -> list[dict]:
    return [{"index": index, "path": f"{index}.png", "error": "missing"} for index in indices]


@pytest.fixture
def parts(tmp_path, monkeypatch) -> Parts:
    monkeypatch.setattr(parts_module, "ASSEMBLY_ROWS", 4)  # several windows over six rows
    return Parts.beside(tmp_path / "results.parquet", JOB)


def test_parts_written_in_any_order_give_the_rows_in_index_order_each_once(parts):
    parts.write(to_table(rows(4, 5, 0), number=False))
    parts.write(to_table(rows(1, 2, 3, 4), number=False))  # 4 again, as a retried task writes
    ordered = [row["index"] for table in parts.rows_in_order(6) for row in table.to_pylist()]
    assert ordered == [0, 1, 2, 3, 4, 5]


def test_done_marks_the_indices_some_part_holds(parts):
    parts.write(to_table(rows(1, 3), number=False))
    assert parts.done(6).tolist() == [False, True, False, True, False, False]


def test_a_part_cut_short_is_removed_and_its_rows_count_as_not_done(parts):
    parts.write(to_table(rows(0), number=False))
    cut_short = parts.folder / "ray-block-1.parquet"
    cut_short.write_bytes(b"PAR1 and no footer")
    assert parts.done(6).tolist() == [True, False, False, False, False, False]
    assert not cut_short.exists()


def test_a_row_never_written_is_an_error_not_a_shorter_file(parts):
    parts.write(to_table(rows(0, 1, 2, 3, 5), number=False))
    with pytest.raises(MissingRowsError, match=r"1 of rows 4\.\.5 were never written"):
        list(parts.rows_in_order(6))
