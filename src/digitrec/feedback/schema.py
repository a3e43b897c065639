"""The feedback tables. Changed only through a new migration in migrations/versions/.

A correction keeps what is needed to review it and train on it, and nothing about who sent
it: no address, no cookie, no account.
"""

from __future__ import annotations

import datetime

from sqlalchemy import BigInteger, DateTime, Float, Integer, LargeBinary, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from digitrec.feedback.statuses import ACCEPTED, PENDING, REJECTED, STATUSES

__all__ = ["ACCEPTED", "PENDING", "REJECTED", "STATUSES", "Base", "Correction"]
# The one row of `feedback_usage`.
USAGE_ROW_ID = 1


class Base(DeclarativeBase):
    pass


class Correction(Base):
    """An image someone sent, what the model answered, and what they say they wrote."""

    __tablename__ = "corrections"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, uuid4 hex
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), index=True)
    mode: Mapped[str] = mapped_column(String(8))  # "digit" or "number"
    answer: Mapped[str] = mapped_column(String(64))  # the model's reading; "" for none
    label: Mapped[str] = mapped_column(String(64))  # the correction
    model_name: Mapped[str] = mapped_column(String(100))
    model_version: Mapped[str] = mapped_column(String(200))
    image: Mapped[bytes] = mapped_column(LargeBinary)  # the bytes received, unchanged
    image_bytes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), index=True, default=PENDING)
    reviewed_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))


class FeedbackUsage(Base):
    """One row: the bytes of all images stored, raised in the same transaction as each insert,
    so the size cap holds however many workers write at once."""

    __tablename__ = "feedback_usage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stored_bytes: Mapped[int] = mapped_column(BigInteger)


class RateLimit(Base):
    """A rate limiter's counter (`rate_limits.DatabaseStorage`): a key and its window's end."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # Unix time, seconds
