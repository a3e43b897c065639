"""Versioned schema: `upgrade` brings a database to the newest migration, and a database that
is behind is refused with the command that fixes it."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy

from digitrec.feedback import database, schema_version
from digitrec.feedback.schema_version import SchemaBehindError


@pytest.fixture
def engine(database_url):
    engine = database.create_engine(database_url)
    yield engine
    engine.dispose()


def test_upgrade_brings_an_empty_database_to_the_newest_schema(engine):
    assert schema_version.is_empty(engine)
    assert schema_version.upgrade(engine) == (None, schema_version.head_revision())
    assert schema_version.current_revision(engine) == schema_version.head_revision()
    tables = set(sqlalchemy.inspect(engine).get_table_names())
    assert {"corrections", "feedback_usage", "rate_limits", "alembic_version"} <= tables
    schema_version.check_current(engine)


def test_upgrading_twice_changes_nothing(engine):
    schema_version.upgrade(engine)
    head = schema_version.head_revision()
    assert schema_version.upgrade(engine) == (head, head)


def test_a_database_without_the_schema_is_refused_with_the_command_to_run(engine):
    with pytest.raises(SchemaBehindError, match=r"has no feedback tables.*digitrec db upgrade"):
        schema_version.check_current(engine)


def test_a_database_at_an_older_schema_is_refused(engine, monkeypatch):
    schema_version.upgrade(engine)
    # As when this digitrec ships a migration 0002 the database has not had yet.
    monkeypatch.setattr(schema_version, "head_revision", lambda: "0002")
    with pytest.raises(
        SchemaBehindError, match=r"is at schema 0001; this digitrec needs schema 0002"
    ):
        schema_version.check_current(engine)


def upgraded_then(engine, statement: str) -> None:
    """The database brought to the newest schema, then its version table changed by hand."""
    schema_version.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(statement))


def test_a_database_made_by_a_newer_digitrec_is_refused_saying_so(engine):
    upgraded_then(engine, "UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(SchemaBehindError, match=r"schema 9999, which this digitrec does not know"):
        schema_version.check_current(engine)


def test_the_revisions_checked_at_start_are_alembics_own_oldest_first():
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(schema_version.alembic_config())
    oldest_first = tuple(reversed([script.revision for script in scripts.walk_revisions()]))
    assert oldest_first == schema_version.REVISIONS
    assert schema_version.head_revision() == scripts.get_current_head()


def test_a_server_starting_on_a_new_sqlite_file_never_imports_alembic(tmp_path):
    # gunicorn's master makes the file before it forks (check_database), then each worker
    # opens it (create_app); Alembic in either would cost every worker about 16 MB.
    url = f"sqlite:///{tmp_path}/feedback.sqlite3"
    script = (
        "import sys\n"
        "from digitrec.web import create_app\n"
        "from digitrec.web.feedback import check_database\n"
        f"check_database({url!r})\n"
        f"create_app({{'TESTING': True, 'DIGITREC_DATABASE_URL': {url!r}}})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    engine = database.create_engine(url)
    assert schema_version.current_revision(engine) == schema_version.head_revision()
    engine.dispose()


def test_a_database_at_several_schemas_at_once_is_refused(engine):
    upgraded_then(engine, "INSERT INTO alembic_version VALUES ('0000')")
    with pytest.raises(SchemaBehindError, match=r"several schemas at once \(0000, 0001\)"):
        schema_version.check_current(engine)


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = database.create_engine(f"sqlite:///{tmp_path}/feedback.sqlite3")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_the_default_database_is_a_file_in_the_users_data_directory(user_data_dir):
    assert database.default_url() == f"sqlite:///{user_data_dir}/digitrec/feedback.sqlite3"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u:p@h:5433/db", "postgresql+psycopg://u:p@h:5433/db"),
        ("sqlite:////tmp/f.db", "sqlite:////tmp/f.db"),
    ],
)
def test_urls_are_given_the_driver_digitrec_ships(url, expected):
    assert database.normalised_url(url) == expected


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url"])
def test_unsupported_databases_are_named(url):
    with pytest.raises(database.DatabaseURLError, match="sqlite:///PATH or postgresql://"):
        database.normalised_url(url)
