"""The `digitrec` command: train, evaluate, export, predict, batch, serve, feedback, db.

One module per group of commands (training, evaluating, reading, serving here; batch and
feedback beside their own code), each a thin wrapper over the modules that do the work. Heavy
imports happen inside each command, so that `digitrec --help` is instant and `digitrec serve`
never imports TensorFlow.
"""

from __future__ import annotations

import click

from digitrec import __version__
from digitrec.batch import command as batch_command
from digitrec.cli import evaluating, reading, serving, training
from digitrec.feedback import commands as feedback_commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="digitrec")
def main() -> None:
    """Handwritten digit and number recognition: train, evaluate, export, predict, serve."""


for command in (
    training.train,
    evaluating.evaluate,
    training.export,
    reading.predict,
    batch_command.batch,
    serving.serve,
    feedback_commands.db,
    feedback_commands.feedback,
):
    main.add_command(command)
