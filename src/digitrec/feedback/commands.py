"""`digitrec db` and `digitrec feedback`: the schema, and reviewing and exporting corrections.

    digitrec db upgrade [--database URL]
    digitrec feedback list [--status pending] [--json]
    digitrec feedback accept ID... | --all-pending
    digitrec feedback reject ID...
    digitrec feedback export --out DIR [--format idx|png]

The database is --database, else $DIGITREC_DATABASE_URL, else the embedded SQLite file.
"""

from __future__ import annotations

import json

import click

from digitrec.feedback.statuses import ACCEPTED, PENDING, REJECTED, STATUSES

database_option = click.option(
    "--database",
    "database_url",
    envvar="DIGITREC_DATABASE_URL",
    default=None,
    help="SQLAlchemy URL of the feedback database (sqlite:///PATH or postgresql://...). "
    "Default: $DIGITREC_DATABASE_URL, else feedback.sqlite3 in the user's data directory.",
)


def open_store(database_url: str | None):
    """The store, its schema checked; a ClickException saying what to run if it is behind."""
    from digitrec.feedback import database, schema_version
    from digitrec.feedback.store import FeedbackStore

    try:
        engine = database.create_engine(database_url)
        schema_version.check_current(engine)
    except (database.DatabaseURLError, schema_version.SchemaBehindError) as error:
        raise click.ClickException(str(error)) from error
    return FeedbackStore(engine)


@click.group()
def db() -> None:
    """The feedback database's schema."""


@db.command()
@database_option
def upgrade(database_url):
    """Bring the feedback database's schema up to this digitrec's (creating it if new)."""
    from digitrec.feedback import database, schema_version

    try:
        engine = database.create_engine(database_url)
    except database.DatabaseURLError as error:
        raise click.ClickException(str(error)) from error
    before, after = schema_version.upgrade(engine)
    where = database.describe(engine)
    if before == after:
        click.echo(f"{where}: already at schema {after}")
    else:
        click.echo(f"{where}: schema {before or '(none)'} -> {after}")


@click.group()
def feedback() -> None:
    """Corrections users sent: list, accept or reject them, export the accepted ones."""


@feedback.command("list")
@database_option
@click.option(
    "--status",
    type=click.Choice([*STATUSES, "all"]),
    default=PENDING,
    show_default=True,
    help="Which corrections to list.",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="List at most this many.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_corrections(database_url, status, limit, as_json):
    """Corrections oldest first: id, time, mode, what the model read and what was written."""
    store = open_store(database_url)
    for record in store.list(None if status == "all" else status, limit=limit):
        if as_json:
            click.echo(json.dumps(record.as_dict()))
        else:
            read = record.answer or "-"
            click.echo(
                f"{record.id}  {record.created_at:%Y-%m-%d %H:%M}  {record.mode:6}  "
                f"read {read:>6}  written {record.label:>6}  {record.status}"
            )


def _review(database_url, ids, all_pending: bool, status: str) -> None:
    store = open_store(database_url)
    if all_pending:
        ids = (*ids, *(record.id for record in store.list(PENDING)))
    if not ids:
        raise click.UsageError("name the corrections' ids (see `digitrec feedback list`)")
    unknown = store.review(ids, status)
    click.echo(f"{len(set(ids)) - len(unknown)} {status}")
    if unknown:
        raise click.ClickException(f"no correction has the id {', '.join(unknown)}")


@feedback.command()
@database_option
@click.argument("ids", nargs=-1)
@click.option("--all-pending", is_flag=True, help="Accept every pending correction.")
def accept(database_url, ids, all_pending):
    """Accept corrections: they will be used to train the next model."""
    _review(database_url, ids, all_pending, ACCEPTED)


@feedback.command()
@database_option
@click.argument("ids", nargs=-1)
@click.option("--all-pending", is_flag=True, help="Reject every pending correction.")
def reject(database_url, ids, all_pending):
    """Reject corrections: they are kept but never used for training."""
    _review(database_url, ids, all_pending, REJECTED)


@feedback.command()
@database_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    required=True,
    help="Directory to write into (made if missing).",
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["idx", "png"]),
    default="idx",
    show_default=True,
    help="idx: MNIST-style IDX files; png: one 28x28 PNG per digit and labels.csv.",
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="The model whose number reader cuts number-mode corrections. Default: the bundled one.",
)
def export(database_url, out_dir, file_format, model_path):
    """Write the accepted corrections' digits, framed as the reader frames them."""
    from digitrec.feedback import examples
    from digitrec.feedback import export as exporting
    from digitrec.inference import ModelLoadError, Recogniser

    store = open_store(database_url)
    try:
        recogniser = Recogniser(model_path)
    except ModelLoadError as error:
        raise click.ClickException(str(error)) from error
    digits = examples.training_digits(store.with_images(ACCEPTED), recogniser)
    write = exporting.write_idx_files if file_format == "idx" else exporting.write_pngs
    write(digits, out_dir)
    for correction_id, reason in digits.skipped.items():
        click.echo(f"skipped {correction_id}: {reason}", err=True)
    click.echo(
        f"wrote {len(digits)} digits from {len(set(digits.correction_ids))} corrections to {out_dir}"
    )


def feedback_source_option(help_text: str):
    """--feedback [URL]: given alone it means the default database (an empty string here)."""
    return click.option(
        "--feedback",
        "feedback_source",
        is_flag=False,
        flag_value="",
        default=None,
        metavar="[DATABASE_URL]",
        help=help_text,
    )


def _recogniser(model_path: str | None):
    from digitrec.inference import ModelLoadError, Recogniser

    try:
        return Recogniser(model_path)
    except ModelLoadError as error:
        raise click.ClickException(str(error)) from error


def feedback_for_training(database_url: str | None, init_from: str):
    """The accepted corrections to fine-tune on, framed by the reader of the model being tuned
    (an .onnx one; a .keras one is framed by the bundled model's reader)."""
    from digitrec.feedback.fine_tune import feedback_for_training as gather

    store = open_store(database_url or None)
    framing_model = init_from if init_from.lower().endswith(".onnx") else None
    return gather(store, _recogniser(framing_model))


def run_gate(candidate_path, against_path, data_dir, database_url, as_json: bool) -> int:
    """`digitrec evaluate --candidate`: prints the table; returns 0 if the gate passed, else 1."""
    from digitrec.feedback import examples, gate
    from digitrec.training import data

    candidate, current = _recogniser(candidate_path), _recogniser(against_path)
    store = open_store(database_url or None)
    _, held_out = examples.split_held_out(store.with_images(ACCEPTED))
    try:
        _, test = data.load_mnist(data_dir)
    except data.DatasetError as error:
        raise click.ClickException(str(error)) from error
    result = gate.run_gate(candidate, current, test, held_out)
    click.echo(json.dumps(result.as_dict()) if as_json else gate.format_table(result))
    return 0 if result.passed else 1
