"""The feedback store on both engines: what a correction keeps, review, the size cap, and many
processes writing at once."""

from __future__ import annotations

import multiprocessing
import uuid

import pytest

from digitrec.feedback import database, schema_version
from digitrec.feedback.schema import ACCEPTED, PENDING, REJECTED
from digitrec.feedback.store import (
    FeedbackFullError,
    FeedbackStore,
    NewCorrection,
    UnknownCorrectionError,
)


def correction(image: bytes = b"\x89PNG fake", label: str = "7", **changes) -> NewCorrection:
    values = {
        "image": image,
        "mode": "digit",
        "answer": "1",
        "label": label,
        "model_name": "digitrec-cnn",
        "model_version": "1.0.0+test",
    }
    return NewCorrection(**{**values, **changes})


@pytest.fixture
def store(database_url) -> FeedbackStore:
    engine = database.create_engine(database_url)
    schema_version.upgrade(engine)
    yield FeedbackStore(engine, max_bytes=1000)
    engine.dispose()


def test_a_correction_keeps_the_exact_image_the_answer_the_label_and_the_model(store):
    image = bytes(range(256))
    correction_id = store.add(correction(image, label="4", answer="9", mode="digit"))
    record = store.get(correction_id)
    assert store.image(correction_id) == image
    assert (record.mode, record.answer, record.label, record.status) == ("digit", "9", "4", PENDING)
    assert (record.model_name, record.model_version) == ("digitrec-cnn", "1.0.0+test")
    assert record.image_bytes == 256 and record.created_at.tzinfo is not None


def test_ids_are_random_uuids_not_a_count(store):
    ids = [store.add(correction()) for _ in range(3)]
    assert len(set(ids)) == 3
    assert all(uuid.UUID(hex=correction_id).version == 4 for correction_id in ids)


def test_review_marks_corrections_and_names_unknown_ids(store):
    first, second, third = (store.add(correction()) for _ in range(3))
    assert store.review([first, "no-such-id"], ACCEPTED) == ["no-such-id"]
    assert store.review([second], REJECTED) == []
    assert [r.id for r in store.list(ACCEPTED)] == [first]
    assert [r.id for r in store.list(REJECTED)] == [second]
    assert [r.id for r in store.list(PENDING)] == [third]
    assert store.get(first).reviewed_at is not None
    assert store.count() == 3 and store.count(PENDING) == 1


def test_only_accepted_corrections_come_with_their_images_for_training(store):
    accepted, _ = store.add(correction(b"yes", label="3")), store.add(correction(b"no"))
    store.review([accepted], ACCEPTED)
    [(record, image)] = store.with_images(ACCEPTED)
    assert (record.id, record.label, image) == (accepted, "3", b"yes")


def test_past_the_size_cap_new_feedback_is_refused_and_nothing_stored_is_lost(store):
    kept = [store.add(correction(bytes(400))) for _ in range(2)]
    with pytest.raises(FeedbackFullError, match="limit of 1,000 bytes") as refused:
        store.add(correction(bytes(201)))
    assert refused.value.status == 507
    store.add(correction(bytes(200)))  # exactly up to the cap still fits
    assert store.stored_bytes() == 1000 and store.count() == 3
    assert all(store.image(i) == bytes(400) for i in kept)


def test_an_unknown_id_is_a_clear_error(store):
    with pytest.raises(UnknownCorrectionError, match="no correction has the id 'nope'"):
        store.get("nope")
    with pytest.raises(UnknownCorrectionError):
        store.image("nope")


def _write_corrections(url: str, count: int, size: int, cap: int | None) -> int:
    engine = database.create_engine(url)
    store = FeedbackStore(engine, max_bytes=cap)
    written = 0
    for _ in range(count):
        try:
            store.add(correction(bytes(size)))
            written += 1
        except FeedbackFullError:
            pass
    engine.dispose()
    return written


def test_processes_writing_at_once_lose_nothing(store, database_url):
    processes, each = 4, 25
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        written = pool.starmap(_write_corrections, [(database_url, each, 10, None)] * processes)
    assert sum(written) == processes * each == store.count()
    assert store.stored_bytes() == processes * each * 10


def test_processes_writing_at_once_never_pass_the_size_cap(store, database_url):
    processes, each, size, cap = 4, 10, 100, 2500
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        written = pool.starmap(_write_corrections, [(database_url, each, size, cap)] * processes)
    assert sum(written) == cap // size == store.count()
    assert store.stored_bytes() == cap
