"""`digitrec evaluate`: a model measured on the MNIST test set, or a candidate gated against
the model served now."""

from __future__ import annotations

import json
import sys

import click

from digitrec.feedback import commands as feedback_commands
from digitrec.options import data_dir_option, onnx_model_option


@click.command()
@onnx_model_option
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Also write PNG plots here: confusion matrix, misclassified digits, curves.",
)
@click.option(
    "--candidate",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="The gate: compare this new ONNX model with --against before serving it; exits 1 "
    "when it fails.",
)
@click.option(
    "--against",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="With --candidate: the model served now. Default: the bundled model.",
)
@feedback_commands.feedback_source_option(
    "With --candidate: the feedback database whose held-out fifth of accepted corrections "
    "the candidate must read better (default: the default database)."
)
def evaluate(model_path, data_dir, as_json, report_dir, candidate, against, feedback_source):
    """Measure a model on the MNIST test set (accuracy, per-class accuracy, confusion matrix)
    and its calibration on held-out training digits (expected calibration error, and a
    reliability diagram in --report).

    With --candidate, the gate before serving a new model: a side-by-side table, exit 1 if it
    fails."""
    if candidate:
        sys.exit(feedback_commands.run_gate(candidate, against, data_dir, feedback_source, as_json))
    from digitrec.inference import ModelLoadError, Recogniser
    from digitrec.training import data
    from digitrec.training import evaluate as evaluation

    try:
        recogniser = Recogniser(model_path)
        train, test = data.load_mnist(data_dir)
    except (ModelLoadError, data.DatasetError) as error:
        raise click.ClickException(str(error)) from error
    # Where a photos model sits beside this one, it reads the photos: "as photos" measures it.
    photos = recogniser.photo_reader
    photos_model = photos and (photos.model_path, photos.card.raw["calibration"])
    result = evaluation.evaluate_split(
        recogniser.model_path, test, recogniser.card.raw["calibration"], photos=photos_model
    )
    if photos:
        result["photos_model"] = f"{photos.card.name} {photos.card.version}"
    result["calibration"] = evaluation.calibration_on_held_out(
        recogniser.model_path, train, recogniser.card.temperature
    )
    if report_dir:
        written = evaluation.write_report(
            recogniser.model_path, test, recogniser.card, report_dir, result["calibration"]
        )
        result["report"] = [str(path) for path in written]
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(evaluation.format_text(result, recogniser.card))
