"""`digitrec batch` on the local engine: one row per image in input order, errors as rows,
archives and @lists as input, and a killed run that resumes to the same file."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from batch_images import write_digits, write_non_images
from click.testing import CliRunner
from conftest import digitrec_command, photo_of_digit

from digitrec.cli import main

COLUMNS = ["path", "digit", "confidence", "probabilities", "is_digit", "error", "model_version"]


def batch(*arguments: str):
    result = CliRunner().invoke(main, ["batch", "--workers", "1", *arguments])
    assert result.exit_code == 0, result.output
    return result


def read_results(path: Path) -> list[dict]:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines()]
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> list[Path]:
    return write_digits(tmp_path_factory.mktemp("digits"), 30)


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_one_row_per_image_in_input_order_as_the_recogniser_reads_it(
    digits, recogniser, tmp_path, suffix
):
    out = tmp_path / f"results{suffix}"
    arguments = [str(path) for path in reversed(digits[:12])]
    batch(*arguments, "--out", str(out), "--part-size", "5")
    rows = read_results(out)
    assert list(rows[0]) == COLUMNS
    assert [row["path"] for row in rows] == arguments
    for row, path in zip(rows, arguments, strict=True):
        expected = recogniser.recognise([Path(path).read_bytes()])[0].prediction
        assert str(row["digit"]) == str(expected.digit)
        assert row["model_version"] == recogniser.version
    assert not (tmp_path / f"results{suffix}.parts").exists()


def test_a_photo_s_row_names_the_photos_model_that_read_it(digits, recogniser, tmp_path):
    photo = tmp_path / "photo-of-4.jpg"
    photo.write_bytes(photo_of_digit(4))
    out = tmp_path / "results.jsonl"
    batch(str(photo), str(digits[0]), str(tmp_path / "missing.png"), "--out", str(out))
    read_photo, read_canvas, missing = read_results(out)
    assert read_photo["digit"] == 4
    assert read_photo["model_version"] == recogniser.photo_reader.version != recogniser.version
    assert read_canvas["model_version"] == missing["model_version"] == recogniser.version


def test_broken_and_non_image_files_give_error_rows_and_are_counted_failed(digits, tmp_path):
    notes, broken = write_non_images(tmp_path / "mixed")
    missing = tmp_path / "missing.png"
    out = tmp_path / "results.jsonl"
    result = batch(str(digits[0]), str(notes), str(broken), str(missing), "--out", str(out))
    rows = read_results(out)
    assert [row["error"] is None for row in rows] == [True, False, False, False]
    assert "not an image" in rows[1]["error"]
    assert "truncated or corrupt" in rows[2]["error"]
    assert rows[3]["error"] == "No such file or directory"
    assert rows[1]["digit"] is None and rows[1]["probabilities"] is None
    assert "4 images: 1 read (0 unsure), 3 failed" in result.output


def test_an_archive_and_an_at_list_work_as_input(digits, tmp_path):
    archive = tmp_path / "forms.zip"
    with zipfile.ZipFile(archive, "w") as opened:
        for path in digits[:3]:
            opened.write(path, f"page/{path.name}")
    listing = tmp_path / "list.txt"
    listing.write_text(f"{digits[5]}\nforms.zip\n")
    out = tmp_path / "results.parquet"
    batch(f"@{listing}", "--out", str(out))
    rows = read_results(out)
    assert [row["path"] for row in rows] == [
        str(digits[5]),
        *(f"{archive}/page/{path.name}" for path in digits[:3]),
    ]
    assert all(row["error"] is None for row in rows)
    archived = [row["digit"] for row in rows[1:]]
    assert archived == [read_results_of_one(path, tmp_path)["digit"] for path in digits[:3]]


def read_results_of_one(path: Path, tmp_path: Path) -> dict:
    out = tmp_path / f"one-{path.stem}.jsonl"
    batch(str(path), "--out", str(out))
    return read_results(out)[0]


def test_number_mode_reads_the_number_and_each_digits_probabilities(digits, tmp_path):
    out = tmp_path / "numbers.jsonl"
    batch(str(digits[0]), "--number", "--out", str(out))
    [row] = read_results(out)
    assert set(row) == {*COLUMNS, "number"} - {"digit"}
    assert len(row["number"]) == len(row["probabilities"]) == 1
    assert len(row["probabilities"][0]) == 10


def test_an_unknown_results_extension_is_refused_before_any_work(digits, tmp_path):
    result = CliRunner().invoke(main, ["batch", str(digits[0]), "--out", str(tmp_path / "r.xls")])
    assert result.exit_code == 1
    assert ".parquet, .csv, .jsonl" in result.output
    assert not (tmp_path / "r.xls.parts").exists()


def test_a_model_the_workers_cannot_load_is_refused_before_any_part(digits, tmp_path):
    missing = tmp_path / "no-such-model.onnx"
    arguments = ["batch", str(digits[0]), "--out", str(tmp_path / "r.jsonl")]
    result = CliRunner().invoke(main, [*arguments, "--workers", "2", "--model", str(missing)])
    assert result.exit_code == 1
    assert f"{missing}: model file not found" in result.output
    assert not (tmp_path / "r.jsonl.parts").exists()


def test_parts_of_a_different_job_are_never_mixed_in(digits, tmp_path):
    out = tmp_path / "results.jsonl"
    (tmp_path / "results.jsonl.parts").mkdir()
    (tmp_path / "results.jsonl.parts" / "job.json").write_text(json.dumps({"sources": 1}))
    result = CliRunner().invoke(main, ["batch", str(digits[0]), "--out", str(out)])
    assert result.exit_code == 1
    assert "holds the parts of a different job" in result.output
    assert "delete the folder to start afresh" in result.output


def start_and_wait_for_parts(arguments: list[str], parts: Path, count: int) -> subprocess.Popen:
    """The real command in its own process group, once `count` parts are written."""
    job = subprocess.Popen(
        [*digitrec_command(), "batch", *arguments],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell leaves Ctrl-C to a foreground job; a job started here must not ignore it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while len(list(parts.glob("part-*.parquet"))) < count and job.poll() is None:
        if time.monotonic() > deadline:
            os.killpg(job.pid, signal.SIGKILL)
            pytest.fail("no parts were written")
        time.sleep(0.02)
    return job


@pytest.fixture(scope="module")
def many_digits(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("many") / "images"
    write_digits(folder, 120)
    return folder


def slow_job_arguments(images: Path) -> list[str]:
    # Number mode reads an image in tens of milliseconds: slow enough to be stopped part-way.
    return [str(images), "--number", "--part-size", "5", "--workers", "1"]


def test_a_killed_run_run_again_gives_the_complete_file_with_no_duplicates(many_digits, tmp_path):
    """The job is killed (parent and workers at once, as a machine dies) after some parts are
    written; a part cut short, as Ray's writer can leave one, is there too. Run again, the job
    reads only what is missing and writes the same file as a run never interrupted."""
    arguments = slow_job_arguments(many_digits)
    out = tmp_path / "results.jsonl"
    parts = tmp_path / "results.jsonl.parts"
    job = start_and_wait_for_parts([*arguments, "--out", str(out)], parts, 3)
    os.killpg(job.pid, signal.SIGKILL)
    job.communicate()
    assert not out.exists(), "the job finished before it could be killed"
    written_before = len(list(parts.glob("part-*.parquet")))
    (parts / "part-999999999999.parquet").write_bytes(b"PAR1 cut short")

    resumed = batch(*arguments, "--workers", "2", "--out", str(out))
    reference = tmp_path / "reference.jsonl"
    batch(*arguments, "--out", str(reference))

    rows = read_results(out)
    assert [row["path"] for row in rows] == [str(path) for path in sorted(many_digits.iterdir())]
    assert out.read_bytes() == reference.read_bytes()
    assert f"{5 * written_before} of them from before" in resumed.output
    assert not parts.exists()


def test_ctrl_c_keeps_the_parts_written_and_says_how_to_finish(many_digits, tmp_path):
    arguments = [*slow_job_arguments(many_digits), "--out", str(tmp_path / "results.jsonl")]
    parts = tmp_path / "results.jsonl.parts"
    job = start_and_wait_for_parts(arguments, parts, 2)
    os.killpg(job.pid, signal.SIGINT)  # as Ctrl-C does: the whole foreground group
    _, stderr = job.communicate(timeout=120)
    assert job.returncode == 130
    assert "run the same command again to finish" in stderr
    assert "Traceback" not in stderr
    written = len(list(parts.glob("part-*.parquet")))
    assert f"{5 * written} of them from before" in batch(*arguments).output


def test_a_job_s_model_fingerprint_covers_the_models_beside_it(recogniser, tmp_path):
    from digitrec.batch.recognition import models_sha256
    from digitrec.inference import Recogniser

    models = recogniser.model_path.parent
    copy = tmp_path / "models"
    copy.mkdir()
    for name in ("model.onnx", "model.json"):
        (copy / name).write_bytes((models / name).read_bytes())
    alone = models_sha256(Recogniser(copy / "model.onnx"))
    for folder in ("photos", "pieces"):
        (copy / folder).mkdir()
        for name in ("model.onnx", "model.json"):
            (copy / folder / name).write_bytes((models / folder / name).read_bytes())
    whole = models_sha256(Recogniser(copy / "model.onnx"))
    assert whole == models_sha256(recogniser) != alone
    # Another photos model beside the same model: a job begun with one does not resume with it.
    (copy / "photos" / "model.onnx").write_bytes((models / "pieces" / "model.onnx").read_bytes())
    (copy / "photos" / "model.json").write_bytes((models / "pieces" / "model.json").read_bytes())
    assert models_sha256(Recogniser(copy / "model.onnx")) not in (whole, alone)
