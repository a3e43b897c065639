"""The rate limiter's counters in the feedback database: shared by every process that opens it."""

from __future__ import annotations

import time

import pytest
from limits import RateLimitItemPerMinute
from limits.strategies import FixedWindowRateLimiter

from digitrec.feedback import database, rate_limits, schema_version


@pytest.fixture
def engine(database_url):
    engine = database.create_engine(database_url)
    schema_version.upgrade(engine)
    yield engine
    engine.dispose()


def storage(engine):
    return rate_limits.DatabaseStorage(f"{rate_limits.SCHEME}://", engine=engine)


def test_two_storages_on_one_database_share_one_count(engine):
    limit = RateLimitItemPerMinute(3)
    first, second = FixedWindowRateLimiter(storage(engine)), FixedWindowRateLimiter(storage(engine))
    assert [first.hit(limit, "client"), second.hit(limit, "client"), first.hit(limit, "client")] == [True] * 3  # fmt: skip
    assert not second.hit(limit, "client")
    assert first.hit(limit, "another client")


def test_a_window_that_ended_counts_from_one_again(engine):
    counters = storage(engine)
    assert counters.incr("key", expiry=60) == 1
    assert counters.incr("key", expiry=60, amount=2) == 3
    assert counters.get("key") == 3 and counters.get_expiry("key") > time.time()
    assert counters.incr("old", expiry=-1) == 1  # already ended
    assert counters.get("old") == 0
    assert counters.incr("old", expiry=60) == 1


def test_clear_and_reset_forget_counts(engine):
    counters = storage(engine)
    counters.incr("a", 60)
    counters.incr("b", 60)
    counters.clear("a")
    assert counters.get("a") == 0 and counters.get("b") == 1
    assert counters.reset() == 1 and counters.get("b") == 0
    assert counters.check()
