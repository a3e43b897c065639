"""The tests' own PostgreSQL, for machines where none answers on 127.0.0.1:5432: Debian's
server started in a temporary directory as a non-root user, then stopped and removed."""

from __future__ import annotations

import pytest
from conftest import free_port
from databases import answers, postgres_binaries, postgres_schema, temporary_postgres

from digitrec.feedback import database, schema_version


@pytest.mark.skipif(postgres_binaries() is None, reason="Debian's postgresql is not installed")
def test_a_temporary_server_starts_takes_the_schema_and_is_removed_after():
    with temporary_postgres(free_port()) as url:
        assert answers(url)
        with postgres_schema(url) as schema_url:
            engine = database.create_engine(schema_url)
            schema_version.upgrade(engine)
            schema_version.check_current(engine)
            engine.dispose()
    assert not answers(url)
