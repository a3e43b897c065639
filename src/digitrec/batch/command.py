"""`digitrec batch`: the command over digitrec.batch.job, its options and its errors.

    digitrec batch INPUT... --out RESULTS [--number] [--engine local|ray] [--workers N]

The job's modules are imported only when the command runs, so that `digitrec --help` stays
instant and a missing optional dependency (pyarrow, Ray) is a message, not a traceback.
"""

from __future__ import annotations

import sys

import click

from digitrec.options import onnx_model_option


@click.command()
# Plain strings: a name that is no file is that name's error row, not the command's failure.
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    required=True,
    help="Results file: .parquet, .csv or .jsonl, one row per image in input order. Parts are "
    "written to OUT.parts/ as the work proceeds; run the same command again to resume.",
)
@click.option("--number", is_flag=True, help="Read a multi-digit number in each image.")
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="local: a process pool on this machine; ray: Ray Data (pip install 'digitrec[batch]').",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes (local) or actors (ray), one model each. Default: every CPU.",
)
@onnx_model_option
@click.option(
    "--ray-address",
    envvar="RAY_ADDRESS",
    default=None,
    help="The Ray cluster to join (default: $RAY_ADDRESS). Unset: Ray starts on this machine.",
)
@click.option(
    "--part-size",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="Images per part the local engine writes (an interrupted run loses at most these).",
)
def batch(inputs, out_path, number, engine, workers, model_path, ray_address, part_size):
    """Recognise every image in INPUTS (files, folders, globs, zip or tar archives, @list.txt)
    into one results table, using every core, or a Ray cluster with --engine ray."""
    from pathlib import Path

    try:
        from digitrec.batch import job as batch_job
    except ImportError as error:
        raise click.ClickException(
            f"digitrec batch needs {error.name}: pip install 'digitrec[batch]'"
        ) from error
    job = batch_job.BatchJob(
        inputs=tuple(inputs),
        out=Path(out_path),
        number=number,
        engine=engine,
        workers=workers,
        model_path=Path(model_path) if model_path else None,
        part_size=part_size,
        ray_address=ray_address,
    )
    try:
        summary = batch_job.run_batch(job)
    except KeyboardInterrupt:
        click.echo(
            f"\ninterrupted: the parts read so far are in {job.out}.parts/; run the same command "
            "again to finish",
            err=True,
        )
        sys.exit(130)
    except Exception as error:
        if isinstance(error, _user_errors()):
            raise click.ClickException(str(error)) from error
        raise
    click.echo(summary.describe(job.out))


def _user_errors() -> tuple[type[Exception], ...]:
    """The errors whose message is the whole answer. Imported only once one is raised: the Ray
    engine's module loads ONNX Runtime, which the local engine's parent process never needs."""
    from digitrec.batch.inputs import InputListError
    from digitrec.batch.job import InputsChangedError
    from digitrec.batch.on_ray import RayStartError
    from digitrec.batch.parts import MissingRowsError, PartsMismatchError
    from digitrec.batch.writers import UnknownFormatError
    from digitrec.errors import ModelLoadError

    return (
        InputListError,
        InputsChangedError,
        MissingRowsError,
        ModelLoadError,
        PartsMismatchError,
        RayStartError,
        UnknownFormatError,
    )
