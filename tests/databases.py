"""The two engines the feedback tests run on: SQLite in a temporary file, and a real PostgreSQL.

PostgreSQL is, in order: the server named by DIGITREC_TEST_DATABASE_URL; the one the test
machines run on 127.0.0.1:5432 (trust auth, database `test`); else Debian's postgresql started
here in a temporary directory on a free port (as a non-root user, since PostgreSQL refuses to
run as root) and stopped after the session. Each test gets its own schema, dropped afterwards.
Only when no server can be had are the PostgreSQL cases skipped, with the reason.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid

import pytest
import sqlalchemy
from sqlalchemy.engine import make_url

LOCAL_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CONNECT_TIMEOUT_S = 3
START_TIMEOUT_S = 60


def answers(url: str) -> bool:
    engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    try:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT 1"))
        return True
    except sqlalchemy.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def postgres_binaries() -> str | None:
    """Debian's directory of PostgreSQL server programs (the newest installed), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return os.path.dirname(found[-1]) if found else None


def _as_server_user(command: list[str]) -> list[str]:
    """Root runs PostgreSQL's programs as the `postgres` user (or nobody); others as themselves."""
    if os.geteuid() != 0:
        return command
    user = "postgres" if _user_exists("postgres") else "nobody"
    return ["runuser", "-u", user, "--", *command]


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@contextlib.contextmanager
def temporary_postgres(port: int):
    """A PostgreSQL server in a temporary directory on 127.0.0.1:`port`; stopped and removed
    on exit. Raises RuntimeError saying why when one cannot be started."""
    binaries = postgres_binaries()
    if binaries is None:
        raise RuntimeError("Debian's postgresql is not installed (apt-get install postgresql)")
    directory = tempfile.mkdtemp(prefix="digitrec-postgres-")
    if os.geteuid() == 0:
        user = "postgres" if _user_exists("postgres") else "nobody"
        shutil.chown(directory, user=user)
    data = os.path.join(directory, "data")
    pg_ctl = [os.path.join(binaries, "pg_ctl"), "-D", data]
    try:
        initdb = [os.path.join(binaries, "initdb"), "-D", data, "-U", "postgres", "--auth=trust"]
        _run(_as_server_user([*initdb, "--no-sync", "-E", "UTF8"]))
        options = f"-p {port} -k {directory} -h 127.0.0.1 -c fsync=off"
        log = os.path.join(directory, "server.log")
        _run(_as_server_user([*pg_ctl, "-o", options, "-l", log, "-w", "-t", str(START_TIMEOUT_S), "start"]))  # fmt: skip
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            _run(_as_server_user([*pg_ctl, "-m", "fast", "-w", "stop"]))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _run(command: list[str]) -> None:
    finished = subprocess.run(command, capture_output=True, text=True, timeout=START_TIMEOUT_S)
    if finished.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {finished.stderr.strip()[-500:]}")


@pytest.fixture(scope="session")
def postgres_server():
    """A URL of a PostgreSQL server to make test schemas in (see the module docstring)."""
    from conftest import free_port

    named = os.environ.get("DIGITREC_TEST_DATABASE_URL")
    if named:
        url = make_url(named).set(drivername="postgresql+psycopg").render_as_string(False)
        if not answers(url):
            pytest.fail(f"DIGITREC_TEST_DATABASE_URL={named} does not answer")
        yield url
    elif answers(LOCAL_SERVER):
        yield LOCAL_SERVER
    else:
        try:
            server = temporary_postgres(free_port())
            url = server.__enter__()
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
            pytest.skip(f"no PostgreSQL server: none answers on 127.0.0.1:5432 and {error}")
        try:
            yield url
        finally:
            server.__exit__(None, None, None)


@contextlib.contextmanager
def postgres_schema(server_url: str):
    """A URL whose connections work in a new schema of `server_url`; the schema is dropped."""
    schema = f"digitrec_test_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(server_url)
    with admin.begin() as connection:
        connection.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    url = make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """An empty database on each engine in turn: a SQLite file, a PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/feedback.sqlite3"
        return
    with postgres_schema(request.getfixturevalue("postgres_server")) as url:
        yield url
