"""The database's schema version: brought up to date by `digitrec db upgrade`, checked at start.

Migrations live in migrations/versions/ (Alembic) and ship inside the package. A server never
changes the schema itself: one whose database is behind refuses to start and says what to run.

Checking reads Alembic's version table with SQLAlchemy alone: importing Alembic (and Mako with
it) would cost every server worker about 16 MB for one query at start. Upgrading uses Alembic.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy
from sqlalchemy.engine import Engine

from digitrec.feedback.database import describe

MIGRATIONS = Path(__file__).with_name("migrations")
# Every migration in migrations/versions/, oldest first (a test checks it against Alembic's own
# list): add a new migration's revision here.
REVISIONS = ("0001",)
VERSION_TABLE = "alembic_version"


class SchemaBehindError(Exception):
    """The database's schema is older than this version of digitrec (or missing)."""


def alembic_config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest migration this version of digitrec ships."""
    return REVISIONS[-1]


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at; None for a database never upgraded."""
    with engine.connect() as connection:
        if not sqlalchemy.inspect(connection).has_table(VERSION_TABLE):
            return None
        versions = connection.execute(
            sqlalchemy.text(f"SELECT version_num FROM {VERSION_TABLE}")
        ).scalars()
        return next(iter(versions), None)


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Apply every migration the database lacks; returns (revision before, revision after)."""
    from alembic import command

    before = current_revision(engine)
    config = alembic_config()
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
    if current is not None and current not in REVISIONS:
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
    return not sqlalchemy.inspect(engine).get_table_names()
