"""Alembic's environment: migrations run on the connection `digitrec.feedback.migrations`
hands over, never on a URL from a config file."""

from __future__ import annotations

from alembic import context

from digitrec.feedback.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
