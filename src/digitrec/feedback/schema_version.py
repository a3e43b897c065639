"""The database's schema version: brought up to date by `digitrec db upgrade`, checked at start.

Migrations live in migrations/versions/ (Alembic) and ship inside the package. A server never
changes the schema itself: one whose database is behind refuses to start and says what to run.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from digitrec.feedback.database import describe

MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaBehindError(Exception):
    """The database's schema is older than this version of digitrec (or missing)."""


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest migration this version of digitrec ships."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at; None for a database never upgraded."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Apply every migration the database lacks; returns (revision before, revision after)."""
    before = current_revision(engine)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, head_revision()


def check_current(engine: Engine) -> None:
    """Raise SchemaBehindError, saying what to run, unless the schema is at the newest."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    where = describe(engine)
    if current is not None and current not in known_revisions():
        raise SchemaBehindError(
            f"the feedback database {where} is at schema {current}, which this digitrec does "
            f"not know (it knows up to {head}): a newer digitrec made it; upgrade digitrec"
        )
    state = "has no feedback tables" if current is None else f"is at schema {current}"
    raise SchemaBehindError(
        f"the feedback database {where} {state}; this digitrec needs schema {head}. "
        "Run `digitrec db upgrade` with the same DIGITREC_DATABASE_URL (or --database)."
    )


def is_empty(engine: Engine) -> bool:
    """True for a database with no tables at all (a new file, a new schema)."""
    from sqlalchemy import inspect

    return not inspect(engine).get_table_names()
