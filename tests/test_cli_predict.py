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
