"""The `digitrec` command: train, evaluate, export, predict, batch, serve.

Thin wrappers over the modules; heavy imports happen inside each command so that
`digitrec --help` is instant and `digitrec serve` never imports TensorFlow.
"""

from __future__ import annotations

import json
import sys

import click

from digitrec import __version__
from digitrec.batch import command as batch_command
from digitrec.feedback import commands as feedback_commands
from digitrec.options import onnx_model_option

DATA_DIR_HELP = (
    "Directory holding the MNIST IDX files (gzip or raw). Default: $DIGITREC_DATA, else the "
    "cache (~/.cache/digitrec/mnist), downloaded and checksum-verified if missing."
)

data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False), default=None, help=DATA_DIR_HELP
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="digitrec")
def main() -> None:
    """Handwritten digit and number recognition: train, evaluate, export, predict, serve."""


@main.command()
@click.option(
    "--arch",
    type=click.Choice(["cnn", "mlp"]),
    default="cnn",
    show_default=True,
    help="cnn: the default model; mlp: the original spec's 16-16 network.",
)
@click.option(
    "--epochs",
    type=click.IntRange(min=1),
    default=None,
    help="Training epochs. Default: 20 for cnn, 10 for mlp (as the spec had).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=None,
    help="Images per step. Default: 128 for cnn, 32 for mlp.",
)
@data_dir_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default="runs/latest",
    show_default=True,
    help="Where model.keras, model.onnx and model.json are written.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seeds shuffling, augmentation and initial weights (the validation split is fixed).",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(["keras", "onnx", "h5"]),
    multiple=True,
    help="Extra formats to write; h5 adds the seed-compatible weights.h5.",
)
@click.option(
    "--members",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Train this many models (seeds seed, seed+1, ...) and ship their average as one graph.",
)
@click.option(
    "--quantize/--no-quantize",
    default=True,
    show_default=True,
    help="Ship model.onnx as int8 (about 2.5x faster per image); the float graph stays beside it.",
)
@click.option(
    "--record-test-accuracy",
    is_flag=True,
    help="Also measure test accuracy after each epoch (recorded, never used to choose).",
)
@click.option(
    "--init-from",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Fine-tune this saved model.keras (one model or an ensemble) instead of starting "
    "afresh; with --members 1 and a few --epochs. An .onnx model made by digitrec (e.g. the "
    "bundled models/model.onnx, int8 or float) is accepted too: it is rebuilt as "
    "Keras with its batch normalisation frozen.",
)
@click.option(
    "--number-pieces",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="cnn: also train on pieces of composed numbers as the number reader cuts them, this "
    "many per training digit (0.2: a fifth). Off by default: see bench/results.md.",
)
@click.option(
    "--wild-digits",
    type=click.FloatRange(0.0, 2.0),
    default=0.0,
    show_default=True,
    help="cnn: also train on training digits changed as photos and scans change them "
    "(elastic, stretched to fill, low resolution, 1-bit, a piece of ruled line beside), this "
    "many per training digit (digitrec.training.wild_digits).",
)
@click.option(
    "--self-distil",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="With --init-from: this share of each digit's target is the starting model's own "
    "reading (0.5 made the bundled pieces model, with --learning-rate 1e-4).",
)
@click.option(
    "--learning-rate",
    type=click.FloatRange(min=0.0, min_open=True),
    default=None,
    help="With --init-from: the fine-tuning's peak learning rate [default: 3e-4].",
)
@click.option(
    "--limit",
    type=click.IntRange(min=50),
    default=None,
    help="Train on only the first N training images (for smoke tests).",
)
@feedback_commands.feedback_source_option(
    "With --init-from: also learn the accepted corrections in this feedback database (the "
    "default one when no URL is given), mixed with the MNIST digits; the gate's held-out "
    "fifth is left out."
)
@click.option(
    "--feedback-share",
    type=click.FloatRange(0.01, 0.9),
    default=0.1,
    show_default=True,
    help="With --feedback: the share of the training digits the corrections make, repeated.",
)
@click.option(
    "--join",
    "join_paths",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Train nothing: ship the average of all the members of these digitrec ONNX models "
    "(repeat it), exported, calibrated and evaluated as a trained model is.",
)
def train(
    arch,
    epochs,
    batch_size,
    data_dir,
    out_dir,
    seed,
    members,
    quantize,
    formats,
    record_test_accuracy,
    init_from,
    number_pieces,
    wild_digits,
    self_distil,
    learning_rate,
    limit,
    feedback_source,
    feedback_share,
    join_paths,
):
    """Train a model on MNIST, export it to ONNX, calibrate it and write its model card."""
    from digitrec.training.data import DatasetError
    from digitrec.training.from_onnx import UnknownGraphError
    from digitrec.training.join import join
    from digitrec.training.train import TrainConfig
    from digitrec.training.train import train as run_training

    config = TrainConfig(
        arch=arch,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        members=members,
        quantize=quantize and arch == "cnn",
        data_dir=data_dir,
        out_dir=out_dir,
        formats=("keras", "onnx", *formats),
        record_test_accuracy=record_test_accuracy,
        limit_train=limit,
        init_from=init_from,
        number_pieces=number_pieces,
        wild_digits=wild_digits,
        self_distil=self_distil,
        learning_rate=learning_rate,
    )
    if feedback_source is not None:
        if not init_from:
            raise click.UsageError("--feedback fine-tunes a model: name it with --init-from")
        feedback = feedback_commands.feedback_for_training(feedback_source or None, init_from)
        config.feedback_digits = (feedback.digits.images, feedback.digits.labels)
        config.feedback_share = feedback_share
        config.feedback_record = feedback.record
        click.echo(
            f"learning {feedback.record['corrections']} accepted corrections "
            f"({feedback.record['digits']} digits); {feedback.record['held_out_for_the_gate']} "
            "held out for the gate"
        )
    if init_from and members > 1:
        raise click.UsageError("--init-from continues one saved model: use it with --members 1")
    if (self_distil or learning_rate) and not init_from:
        raise click.UsageError("--self-distil and --learning-rate fine-tune: use --init-from")
    if join_paths and (init_from or feedback_source is not None or members > 1):
        raise click.UsageError(
            "--join trains nothing: use it without --init-from, --feedback, --members"
        )
    try:
        out = join(list(join_paths), config) if join_paths else run_training(config)
    except (DatasetError, UnknownGraphError) as error:
        raise click.ClickException(str(error)) from error
    card = json.loads((out / "model.json").read_text())
    click.echo(
        f"wrote {out}/model.onnx: test accuracy {card['evaluation']['accuracy']:.4f} "
        f"after {card['training']['epochs']} epochs in {card['training']['seconds']:.0f} s"
    )


@main.command()
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
    result = evaluation.evaluate_split(
        recogniser.model_path, test, recogniser.card.raw["calibration"]
    )
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


@main.command()
@click.option(
    "--model",
    "model_path",
    type=click.Path(exists=True, dir_okay=False),
    required=True,
    help="A Keras model: .keras, or a seed-style weights.h5.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    required=True,
    help="The ONNX file to write.",
)
@click.option(
    "--arch",
    type=click.Choice(["cnn", "mlp"]),
    default=None,
    help="Architecture for a weights-only .h5 (default: the seed's mlp).",
)
def export(model_path, out_path, arch):
    """Convert a Keras model to ONNX and check ONNX Runtime matches Keras within 1e-5."""
    from digitrec.training.export import ExportMismatchError, export_onnx, load_keras_model

    try:
        difference = export_onnx(load_keras_model(model_path, arch), out_path)
    except ExportMismatchError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"wrote {out_path}: max |ONNX - Keras| = {difference:.2e}")


@main.command()
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


class FromEnvironment(click.ParamType):
    """An option's type whose errors name the environment variable when the value came from
    one: `DIGITREC_PORT=abc` is the mistake to fix, not a `--port` nobody typed."""

    def __init__(self, inner: click.ParamType):
        self.inner = inner
        self.name = inner.name

    def convert(self, value, param, ctx):
        try:
            return self.inner.convert(value, param, ctx)
        except click.BadParameter as error:
            source = ctx.get_parameter_source(param.name) if ctx and param else None
            if source is not click.core.ParameterSource.ENVIRONMENT:
                raise
            raise click.BadParameter(
                error.message, ctx, param, param_hint=f"environment variable {param.envvar}"
            ) from None

    def get_metavar(self, param, ctx=None):
        return self.inner.get_metavar(param, ctx) if ctx else self.inner.get_metavar(param)


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    envvar="DIGITREC_HOST",
    help="Address to listen on.",
)
@click.option(
    "--port",
    type=FromEnvironment(click.IntRange(1, 65535)),
    default=5000,
    show_default=True,
    envvar="DIGITREC_PORT",
    help="Port to listen on.",
)
@click.option(
    "--workers",
    type=FromEnvironment(click.IntRange(min=1)),
    default=None,
    envvar="DIGITREC_WORKERS",
    help="gunicorn worker processes. Default: the number of CPU cores.",
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False),
    default=None,
    envvar="DIGITREC_MODEL",
    help="ONNX model to serve. Default: the bundled model.",
)
def serve(host, port, workers, model_path):
    """Serve the web page and JSON API under gunicorn, the model loaded once per worker."""
    from digitrec.web.server import run_gunicorn

    sys.exit(run_gunicorn(host=host, port=port, workers=workers, model_path=model_path))


main.add_command(batch_command.batch)
main.add_command(feedback_commands.db)
main.add_command(feedback_commands.feedback)

if __name__ == "__main__":
    main()
