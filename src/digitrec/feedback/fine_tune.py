"""The accepted corrections a fine-tuning run learns from, and what its model card records.

The gate's held-out fifth (examples.is_held_out) is left out here, so the gate measures the
new model on corrections it never saw.
"""

from __future__ import annotations

from dataclasses import dataclass

from digitrec.feedback import examples
from digitrec.feedback.database import describe
from digitrec.feedback.statuses import ACCEPTED
from digitrec.feedback.store import FeedbackStore


@dataclass(frozen=True)
class FeedbackForTraining:
    digits: examples.TrainingDigits
    record: dict  # the card's training.feedback: count, ids, date range, held out, skipped


def feedback_for_training(store: FeedbackStore, recogniser) -> FeedbackForTraining:
    """Accepted corrections outside the held-out fifth, as training digits framed by the reader
    of `recogniser` (the model being fine-tuned)."""
    for_training, held_out = examples.split_held_out(store.with_images(ACCEPTED))
    digits = examples.training_digits(for_training, recogniser)
    used = [c for c in for_training if c[0].id not in digits.skipped]
    record = {
        "database": describe(store.engine),
        "corrections": len(used),
        "digits": len(digits),
        "ids": [record.id for record, _ in used],
        "date_range": examples.date_range(used),
        "held_out_for_the_gate": len(held_out),
        "skipped": digits.skipped,
    }
    return FeedbackForTraining(digits, record)
