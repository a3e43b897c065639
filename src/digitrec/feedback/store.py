"""The feedback store: corrections added, listed, reviewed and read back for training.

Every write is one transaction. The size cap is kept in the same transaction as the insert
(`feedback_usage.stored_bytes` is raised only if it stays under the cap), so it holds with any
number of workers or servers writing at once, and a full store refuses new corrections without
touching the ones it holds.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from digitrec.errors import RecognitionError
from digitrec.feedback.schema import (
    PENDING,
    STATUSES,
    USAGE_ROW_ID,
    Correction,
    FeedbackUsage,
)


class FeedbackFullError(RecognitionError):
    """The store holds as many image bytes as it may; nothing more is taken."""

    status = 507
    title = "Feedback store full"
    slug = "feedback-full"


class UnknownCorrectionError(LookupError):
    """An id that names no correction."""


@dataclass(frozen=True)
class NewCorrection:
    image: bytes  # exactly as received
    mode: str  # "digit" or "number"
    answer: str  # what the model read; "" for nothing
    label: str  # what the sender says was written
    model_name: str
    model_version: str


@dataclass(frozen=True)
class CorrectionRecord:
    """A stored correction without its image (`FeedbackStore.image` reads that)."""

    id: str
    created_at: datetime.datetime
    mode: str
    answer: str
    label: str
    model_name: str
    model_version: str
    image_bytes: int
    status: str
    reviewed_at: datetime.datetime | None

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "mode": self.mode,
            "answer": self.answer,
            "label": self.label,
            "model": {"name": self.model_name, "version": self.model_version},
            "image_bytes": self.image_bytes,
            "status": self.status,
            "reviewed_at": self.reviewed_at.isoformat() if self.reviewed_at else None,
        }


RECORD_COLUMNS = [getattr(Correction, name) for name in CorrectionRecord.__dataclass_fields__]


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _record(row) -> CorrectionRecord:
    values = {name: row._mapping[name] for name in CorrectionRecord.__dataclass_fields__}
    for name in ("created_at", "reviewed_at"):
        # SQLite hands back naive datetimes; every time stored is UTC.
        if values[name] is not None and values[name].tzinfo is None:
            values[name] = values[name].replace(tzinfo=datetime.UTC)
    return CorrectionRecord(**values)


class FeedbackStore:
    """Corrections in one database. `max_bytes`: the most image bytes held; None: no cap."""

    def __init__(self, engine: Engine, max_bytes: int | None = None):
        self.engine = engine
        self.max_bytes = max_bytes

    def add(self, correction: NewCorrection) -> str:
        """Store a correction as pending; returns its random id. FeedbackFullError past the cap."""
        size = len(correction.image)
        correction_id = uuid.uuid4().hex
        with Session(self.engine) as session, session.begin():
            stored = FeedbackUsage.stored_bytes
            room = update(FeedbackUsage).where(FeedbackUsage.id == USAGE_ROW_ID)
            if self.max_bytes is not None:
                room = room.where(stored + size <= self.max_bytes)
            if session.execute(room.values(stored_bytes=stored + size)).rowcount != 1:
                raise FeedbackFullError(
                    f"the feedback store holds its limit of {self.max_bytes:,} bytes of images; "
                    "nothing was stored. Try again after an administrator has made room"
                )
            session.add(
                Correction(
                    id=correction_id,
                    created_at=_now(),
                    mode=correction.mode,
                    answer=correction.answer,
                    label=correction.label,
                    model_name=correction.model_name,
                    model_version=correction.model_version,
                    image=correction.image,
                    image_bytes=size,
                    status=PENDING,
                )
            )
        return correction_id

    def list(
        self, status: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[CorrectionRecord]:
        """Corrections oldest first, of one status or all."""
        query = select(*RECORD_COLUMNS).order_by(Correction.created_at, Correction.id)
        if status is not None:
            query = query.where(Correction.status == _checked_status(status))
        query = query.offset(offset).limit(limit)
        with self.engine.connect() as connection:
            return [_record(row) for row in connection.execute(query)]

    def get(self, correction_id: str) -> CorrectionRecord:
        query = select(*RECORD_COLUMNS).where(Correction.id == correction_id)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            raise UnknownCorrectionError(f"no correction has the id {correction_id!r}")
        return _record(row)

    def image(self, correction_id: str) -> bytes:
        with self.engine.connect() as connection:
            image = connection.scalar(
                select(Correction.image).where(Correction.id == correction_id)
            )
        if image is None:
            raise UnknownCorrectionError(f"no correction has the id {correction_id!r}")
        return bytes(image)

    def review(self, ids: Iterable[str], status: str) -> list[str]:
        """Mark these corrections accepted, rejected or pending again; returns the ids unknown."""
        ids = list(dict.fromkeys(ids))
        status = _checked_status(status)
        with Session(self.engine) as session, session.begin():
            known = set(session.scalars(select(Correction.id).where(Correction.id.in_(ids))))
            if known:
                session.execute(
                    update(Correction)
                    .where(Correction.id.in_(known))
                    .values(status=status, reviewed_at=None if status == PENDING else _now())
                )
        return [correction_id for correction_id in ids if correction_id not in known]

    def count(self, status: str | None = None) -> int:
        query = select(func.count()).select_from(Correction)
        if status is not None:
            query = query.where(Correction.status == _checked_status(status))
        with self.engine.connect() as connection:
            return connection.scalar(query)

    def stored_bytes(self) -> int:
        with self.engine.connect() as connection:
            return connection.scalar(
                select(FeedbackUsage.stored_bytes).where(FeedbackUsage.id == USAGE_ROW_ID)
            )

    def with_images(self, status: str) -> list[tuple[CorrectionRecord, bytes]]:
        """Every correction of `status` with its image, oldest first (for export and training)."""
        query = (
            select(*RECORD_COLUMNS, Correction.image)
            .where(Correction.status == _checked_status(status))
            .order_by(Correction.created_at, Correction.id)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [(_record(row), bytes(row.image)) for row in rows]


def _checked_status(status: str) -> str:
    if status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    return status
