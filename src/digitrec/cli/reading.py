"""`digitrec predict`: the digit or the number in each image file, as text or JSON lines."""

from __future__ import annotations

import json
import sys

import click

from digitrec.options import onnx_model_option


@click.command()
# Plain strings, not click.Path: a missing file or a directory is that file's error, answered
# in its turn, while the other files are still read.
@click.argument("files", nargs=-1, required=True)
@onnx_model_option
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object per line: file, digit, confidence, probabilities, is_digit.",
)
@click.option("--number", is_flag=True, help="Read a multi-digit number instead of one digit.")
def predict(files, model_path, as_json, number):
    """Recognise the digit (or with --number, the number) in each image FILE."""
    from digitrec.errors import RecognitionError
    from digitrec.imaging.decode import read_image_file
    from digitrec.inference import ModelLoadError, Recogniser
    from digitrec.numbers import read_number

    try:
        recogniser = Recogniser(model_path)
    except ModelLoadError as error:
        raise click.ClickException(str(error)) from error
    failed = False
    for file in files:
        try:
            content = read_image_file(file)
            if number:
                answer = {"file": file, **read_number(recogniser, content).as_dict()}
            else:
                answer = {"file": file, **recogniser.recognise([content])[0].as_dict()}
        except OSError as error:
            failed = True
            answer = {"file": file, "error": error.strerror or str(error)}
        except RecognitionError as error:
            failed = True
            answer = {"file": file, "error": str(error)}
        # --json keeps one line per file on stdout; plain errors are messages, for stderr.
        click.echo(
            json.dumps(answer) if as_json else _describe(answer),
            err=not as_json and "error" in answer,
        )
    sys.exit(1 if failed else 0)


def _describe(answer: dict) -> str:
    if "error" in answer:
        return f"{answer['file']}: error: {answer['error']}"
    if "number" in answer:
        return f"{answer['file']}: {answer['number'] or '(no digits)'}"
    if answer["digit"] is None:
        return f"{answer['file']}: no digit"
    verdict = "" if answer["is_digit"] else " (not sure this is a digit)"
    return f"{answer['file']}: {answer['digit']} ({answer['confidence']:.1%}){verdict}"
