"""`digitrec train` and `digitrec export`: a model trained on MNIST (or joined from trained
ones), exported to ONNX, calibrated and carded; a Keras model converted to ONNX."""

from __future__ import annotations

import json

import click

from digitrec.feedback import commands as feedback_commands
from digitrec.options import data_dir_option


@click.command()
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


@click.command()
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
