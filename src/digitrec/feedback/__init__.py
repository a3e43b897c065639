"""Corrections that teach the model: stored, reviewed, exported for training, and gated.

database.py   the engine: SQLite in the user's data directory by default, else PostgreSQL
schema.py     the tables (SQLAlchemy 2), changed only by migrations/ (Alembic)
schema_version.py `digitrec db upgrade` and the start-up check that the schema is current
store.py      add, list, review and count corrections; the size cap
rate_limits.py  a Flask-Limiter storage in the same database, shared by every worker
labels.py     what a correction may say, per mode
examples.py   accepted corrections -> 28x28 digits framed as the reader frames them
export.py     those digits as IDX files, or PNGs with a CSV
gate.py       a candidate model against the current one, before it is served
commands.py   the `digitrec db` and `digitrec feedback` commands
"""
