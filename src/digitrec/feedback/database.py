"""The feedback database: SQLite in the user's data directory unless a URL names another.

SQLite runs in WAL mode with every transaction taken as a writer (BEGIN IMMEDIATE) and a long
busy timeout, so several gunicorn workers writing at once wait their turn instead of failing
with "database is locked". PostgreSQL URLs are given the psycopg 3 driver.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
import sqlalchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

DATABASE_FILENAME = "feedback.sqlite3"
# How long a SQLite writer waits for another worker's transaction before giving up.
SQLITE_BUSY_TIMEOUT_S = 30


class DatabaseURLError(ValueError):
    """A database URL digitrec cannot use; says which and what is accepted."""


def default_url() -> str:
    """sqlite:/// in the user's data directory ($XDG_DATA_HOME/digitrec on Linux)."""
    directory = platformdirs.user_data_path("digitrec")
    return f"sqlite:///{directory / DATABASE_FILENAME}"


def normalised_url(url: str | None) -> str:
    """The URL SQLAlchemy should open: the default for None, psycopg 3 for PostgreSQL."""
    if not url:
        return default_url()
    try:
        parsed = make_url(url)
    except sqlalchemy.exc.ArgumentError:
        raise DatabaseURLError(
            f"{url!r} is not a database URL: use sqlite:///PATH or postgresql://USER@HOST/NAME"
        ) from None
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseURLError(
            f"{parsed.get_backend_name()} is not supported: use sqlite:///PATH or "
            "postgresql://USER@HOST/NAME"
        )
    return parsed.render_as_string(hide_password=False)


def sqlite_file(url: sqlalchemy.engine.URL) -> str | None:
    """The file of a SQLite URL; None for another database or one in memory."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return url.database


def create_engine(url: str | None = None) -> Engine:
    """An engine for `url` (None: the default SQLite file, its directory made if missing)."""
    url = normalised_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sqlalchemy.create_engine(url, pool_pre_ping=True)
    if (path := sqlite_file(parsed)) is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sqlalchemy.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    event.listen(engine, "connect", _configure_sqlite)
    event.listen(engine, "begin", _begin_as_writer)
    return engine


def _configure_sqlite(dbapi_connection, connection_record) -> None:
    # SQLAlchemy emits BEGIN itself (below); the driver's own transaction handling is off.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at each checkpoint; safe under WAL
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cursor.close()


def _begin_as_writer(connection) -> None:
    # A deferred transaction that reads, then writes, can fail at once with "database is
    # locked" when another worker wrote meanwhile; an immediate one waits for the lock instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def describe(engine: Engine) -> str:
    """The database in one line, without its password."""
    return engine.url.render_as_string(hide_password=True)


def describe_url(url: str | None) -> str:
    """`url` (None: the default) in one line, without its password."""
    return make_url(normalised_url(url)).render_as_string(hide_password=True)
