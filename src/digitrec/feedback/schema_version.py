"""The database's schema version: brought up to date by `digitrec db upgrade`, checked at start.

Migrations live in migrations/versions/ (Alembic) and ship inside the package. A server never
changes the schema itself: one whose database is behind refuses to start and says what to run.

Checking reads Alembic's version table with SQLAlchemy alone: importing Alembic (and Mako with
it) would cost every server worker about 16 MB for one query at start. Upgrading uses Alembic;
a server that makes its new SQLite file upgrades it in a child process, so that none of its
processes (the gunicorn master, whose memory its workers inherit, included) holds Alembic.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy
from sqlalchemy.engine import Engine

from digitrec.feedback.database import describe

MIGRATIONS = Path(__file__).with_name("migrations")
# Every migration in migrations/versions/, oldest first (a test checks it against Alembic's own
# list): add a new migration's revision here.
REVISIONS = ("0001",)
# Alembic's default name, which migrations/env.py keeps (the upgrade tests read it back).
VERSION_TABLE = "alembic_version"

if TYPE_CHECKING:
    from alembic.config import Config


class SchemaBehindError(Exception):
    """The database's schema is older than this version of digitrec (or missing)."""


def alembic_config() -> Config:
    """Alembic's configuration for the migrations shipped in the package."""
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
        version = sqlalchemy.column("version_num")
        query = sqlalchemy.select(version).select_from(sqlalchemy.table(VERSION_TABLE))
        versions = connection.execute(query).scalars().all()
    if len(versions) > 1:  # branches merged by hand, never by `digitrec db upgrade`
        raise SchemaBehindError(
            f"the feedback database {describe(engine)} is at several schemas at once "
            f"({', '.join(sorted(versions))}); this digitrec needs schema {head_revision()} alone"
        )
    return versions[0] if versions else None


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Apply every migration the database lacks; returns (revision before, revision after)."""
    from alembic import command

    before = current_revision(engine)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, head_revision()


def upgrade_in_a_child_process(engine: Engine) -> None:
    """`upgrade` run by a new Python process, so that this one never imports Alembic."""
    url = engine.url.render_as_string(hide_password=False)
    script = (
        "import sys\n"
        "from digitrec.feedback import database, schema_version\n"
        "schema_version.upgrade(database.create_engine(sys.argv[1]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, url], capture_output=True, text=True)
    if done.returncode != 0:
        last_line = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise SchemaBehindError(
            f"could not make the feedback database {describe(engine)} at schema "
            f"{head_revision()}: {last_line}"
        )


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
