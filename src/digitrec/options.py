"""Command-line options that more than one command module takes (cli.py, batch/command.py), kept
here so that those modules import them from below instead of from each other."""

from __future__ import annotations

import click

onnx_model_option = click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="An ONNX model with its model.json beside it. Default: the bundled model.",
)
