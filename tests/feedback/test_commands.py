"""`digitrec db upgrade` and `digitrec feedback list|accept|reject|export`, on both engines."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import png_bytes, render_digit

from digitrec.cli import main
from digitrec.feedback import database
from digitrec.feedback.store import FeedbackStore, NewCorrection
from digitrec.training.data import read_split


def run(*arguments: str):
    return CliRunner().invoke(main, list(arguments), catch_exceptions=False)


@pytest.fixture
def store(database_url) -> FeedbackStore:
    assert run("db", "upgrade", "--database", database_url).exit_code == 0
    engine = database.create_engine(database_url)
    yield FeedbackStore(engine)
    engine.dispose()


def add(store, label: str, image: bytes, mode: str = "digit") -> str:
    return store.add(NewCorrection(image, mode, "", label, "digitrec-cnn", "test"))


def test_db_upgrade_creates_the_schema_then_says_it_is_current(database_url):
    first = run("db", "upgrade", "--database", database_url)
    assert first.exit_code == 0 and "schema (none) -> 0001" in first.output
    again = run("db", "upgrade", "--database", database_url)
    assert "already at schema 0001" in again.output


def test_commands_on_a_database_without_the_schema_say_to_upgrade(database_url):
    result = CliRunner().invoke(main, ["feedback", "list", "--database", database_url])
    assert result.exit_code == 1
    assert "digitrec db upgrade" in result.output


def test_list_accept_and_reject(store, database_url):
    four, five = add(store, "4", b"a"), add(store, "5", b"b")
    listed = run("feedback", "list", "--database", database_url)
    assert four in listed.output and five in listed.output and "written      4" in listed.output
    assert run("feedback", "accept", four, "--database", database_url).output == "1 accepted\n"
    assert run("feedback", "reject", five, "--database", database_url).output == "1 rejected\n"
    accepted = run("feedback", "list", "--status", "accepted", "--json", "--database", database_url)
    assert [json.loads(line)["id"] for line in accepted.output.splitlines()] == [four]
    assert run("feedback", "list", "--database", database_url).output == ""


def test_accept_all_pending_and_unknown_ids(store, database_url):
    ids = {add(store, "1", b"x") for _ in range(3)}
    assert (
        run("feedback", "accept", "--all-pending", "--database", database_url).output
        == "3 accepted\n"
    )
    assert {r.id for r in store.list("accepted")} == ids
    unknown = CliRunner().invoke(main, ["feedback", "reject", "nope", "--database", database_url])
    assert unknown.exit_code == 1 and "no correction has the id nope" in unknown.output
    nothing = CliRunner().invoke(main, ["feedback", "accept", "--database", database_url])
    assert nothing.exit_code == 2


def test_export_writes_idx_of_accepted_digits_framed_as_the_reader_frames(
    store, database_url, tmp_path
):
    from digitrec.imaging.decode import decode_image
    from digitrec.imaging.preprocess import to_mnist_style

    seven, three = png_bytes(render_digit(7)), png_bytes(render_digit(3))
    accepted = [add(store, "1", seven), add(store, "8", three)]
    add(store, "9", seven)  # pending: not exported
    store.review(accepted, "accepted")
    result = run("feedback", "export", "--out", str(tmp_path), "--database", database_url)
    assert "wrote 2 digits from 2 corrections" in result.output
    split = read_split(
        tmp_path / "feedback-images-idx3-ubyte", tmp_path / "feedback-labels-idx1-ubyte"
    )
    assert split.labels.tolist() == [1, 8]
    expected = np.round(to_mnist_style(decode_image(seven)).mnist * 255).astype(np.uint8)
    assert np.array_equal(split.images[0], expected)
    assert (tmp_path / "feedback-ids.txt").read_text().split() == accepted


def test_export_cuts_a_number_into_its_digits_or_skips_it_saying_why(store, database_url, tmp_path):
    number = png_bytes(render_digit("2026", size=(560, 200), scale=0.5))
    kept = add(store, "2027", number, mode="number")
    skipped = add(store, "123", number, mode="number")
    store.review([kept, skipped], "accepted")
    result = CliRunner().invoke(
        main,
        [
            "feedback",
            "export",
            "--format",
            "png",
            "--out",
            str(tmp_path),
            "--database",
            database_url,
        ],
    )
    assert result.exit_code == 0
    assert f"skipped {skipped}: the reader cut 4 pieces for the 3 digits" in result.output
    with (tmp_path / "labels.csv").open() as table:
        rows = list(csv.DictReader(table))
    assert [row["label"] for row in rows] == ["2", "0", "2", "7"]
    assert {row["correction_id"] for row in rows} == {kept}
    assert all((tmp_path / row["file"]).is_file() for row in rows)
