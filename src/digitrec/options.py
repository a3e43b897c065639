"""Command-line options that more than one command module takes (cli/, batch/command.py), kept
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

DATA_DIR_HELP = (
    "Directory holding the MNIST IDX files (gzip or raw). Default: $DIGITREC_DATA, else the "
    "cache (~/.cache/digitrec/mnist), downloaded and checksum-verified if missing."
)

data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False), default=None, help=DATA_DIR_HELP
)
