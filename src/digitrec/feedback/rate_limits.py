"""A storage for `limits` (and so Flask-Limiter) kept in the feedback database.

Why here: the limit must hold across every gunicorn worker, and across servers behind a load
balancer when they share PostgreSQL. `limits` ships memory storage (one per process: each
worker would allow the full rate) and network stores (Redis, Memcached, MongoDB) that need a
service digitrec does not otherwise need. The feedback database is already shared by exactly
the processes that take feedback, so its counters are too. Redis stays an option
(DIGITREC_RATE_LIMIT_STORAGE_URL=redis://...) for sites that run one.

Fixed windows only (Flask-Limiter's default strategy): one row per client and limit, raised by
an atomic upsert. Keys are hashed client addresses (see web/feedback_api.py), kept no longer
than their window.
"""

from __future__ import annotations

import itertools
import time
from typing import ClassVar

import sqlalchemy
from limits.storage import Storage
from sqlalchemy import text

SCHEME = "digitrec+database"
# Expired counters are swept once every this many increments, by whichever worker gets there.
SWEEP_EVERY = 200

INCREMENT = text(
    """
    INSERT INTO rate_limits (key, count, expires_at) VALUES (:key, :amount, :now + :expiry)
    ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN rate_limits.expires_at <= :now THEN :amount
                     ELSE rate_limits.count + :amount END,
        expires_at = CASE WHEN rate_limits.expires_at <= :now THEN :now + :expiry
                          ELSE rate_limits.expires_at END
    RETURNING count
    """
)


class DatabaseStorage(Storage):
    """`limits` storage over a SQLAlchemy engine: DatabaseStorage(SCHEME + "://", engine=...)."""

    STORAGE_SCHEME: ClassVar[list[str]] = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        self.engine = options.pop("engine")
        self._increments = itertools.count(1)
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return sqlalchemy.exc.SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self.engine.begin() as connection:
            count = connection.execute(
                INCREMENT, {"key": key, "amount": amount, "now": now, "expiry": expiry}
            ).scalar_one()
            if next(self._increments) % SWEEP_EVERY == 0:
                connection.execute(
                    text("DELETE FROM rate_limits WHERE expires_at <= :now"), {"now": now}
                )
        return count

    def get(self, key: str) -> int:
        with self.engine.connect() as connection:
            count = connection.execute(
                text("SELECT count FROM rate_limits WHERE key = :key AND expires_at > :now"),
                {"key": key, "now": time.time()},
            ).scalar()
        return count or 0

    def get_expiry(self, key: str) -> float:
        with self.engine.connect() as connection:
            expires_at = connection.execute(
                text("SELECT expires_at FROM rate_limits WHERE key = :key"), {"key": key}
            ).scalar()
        return expires_at if expires_at is not None else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except sqlalchemy.exc.SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as connection:
            return connection.execute(text("DELETE FROM rate_limits")).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(text("DELETE FROM rate_limits WHERE key = :key"), {"key": key})
