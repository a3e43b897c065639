"""`digitrec predict FILE... [--model] [--json]`: one answer per file, errors per file."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import png_bytes, render_digit
from PIL import Image

from digitrec.cli import main


@pytest.fixture
def files(tmp_path):
    paths = {
        "seven": tmp_path / "seven.png",
        "blank": tmp_path / "blank.png",
        "notes": tmp_path / "notes.txt",
    }
    paths["seven"].write_bytes(png_bytes(render_digit(7)))
    paths["blank"].write_bytes(png_bytes(Image.new("L", (200, 200), 255)))
    paths["notes"].write_text("not an image")
    return paths


def run(*arguments: str):
    return CliRunner().invoke(main, ["predict", *arguments])


def test_json_lines_answer_each_file(files):
    result = run("--json", str(files["seven"]), str(files["blank"]))
    assert result.exit_code == 0, result.output
    seven, blank = (json.loads(line) for line in result.output.splitlines())
    assert seven["file"] == str(files["seven"])
    assert seven["digit"] == 7
    assert seven["is_digit"] is True
    assert len(seven["probabilities"]) == 10
    assert 0 < seven["confidence"] <= 1
    assert blank["digit"] is None
    assert blank["is_digit"] is False


def test_unreadable_files_get_an_error_and_the_others_still_answer(files, tmp_path):
    missing = tmp_path / "missing.png"
    result = run("--json", str(files["notes"]), str(files["seven"]), str(missing))
    assert result.exit_code != 0
    notes, seven, gone = (json.loads(line) for line in result.output.splitlines())
    assert "PNG, JPEG" in notes["error"]
    assert "digit" not in notes
    assert seven["digit"] == 7
    assert gone["error"]


def test_plain_output_is_one_line_per_file(files):
    result = run(str(files["seven"]), str(files["blank"]))
    assert result.exit_code == 0, result.output
    seven, blank = result.output.splitlines()
    assert seven.startswith(f"{files['seven']}: 7 (")
    assert blank == f"{files['blank']}: no digit"


def test_model_option_names_the_model(files, tmp_path):
    result = run("--model", str(tmp_path / "nowhere.onnx"), str(files["seven"]))
    assert result.exit_code != 0
    assert "model file not found" in result.output


def test_a_directory_among_the_files_is_that_files_error_only(files, tmp_path):
    result = run("--json", str(tmp_path), str(files["seven"]))
    assert result.exit_code == 1
    folder, seven = (json.loads(line) for line in result.stdout.splitlines())
    assert folder == {"file": str(tmp_path), "error": "Is a directory"}
    assert seven["digit"] == 7


def test_plain_errors_go_to_stderr_and_answers_to_stdout(files, tmp_path):
    missing = tmp_path / "missing.png"
    result = run(str(files["seven"]), str(missing))
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{files['seven']}: 7 (")
    assert str(missing) not in result.stdout
    assert result.stderr == f"{missing}: error: No such file or directory\n"


def test_a_file_too_big_to_be_an_image_is_not_read_through(files, tmp_path, monkeypatch):
    from digitrec.imaging import decode

    monkeypatch.setattr(decode, "MAX_FILE_BYTES", 20_000)
    assert files["seven"].stat().st_size < 20_000
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(50_000))
    result = run("--json", str(big), "/dev/zero", str(files["seven"]))  # /dev/zero never ends
    assert result.exit_code == 1
    refused, endless, seven = (json.loads(line) for line in result.stdout.splitlines())
    assert "the file is over" in refused["error"]
    assert "the file is over" in endless["error"]
    assert seven["digit"] == 7


def test_a_model_that_is_not_its_cards_is_refused_as_serve_refuses_it(files, tmp_path):
    from digitrec.inference import bundled_model_path

    bundled = bundled_model_path()
    swapped = tmp_path / "swapped"
    swapped.mkdir()
    (swapped / "model.json").write_bytes(bundled.with_name("model.json").read_bytes())
    (swapped / "model.onnx").write_bytes((bundled.parent / "pieces" / "model.onnx").read_bytes())
    result = run("--model", str(swapped / "model.onnx"), str(files["seven"]))
    assert result.exit_code != 0
    assert "corrupt or replaced: its SHA-256 does not match model.json" in result.output
