"""Accepted corrections -> digits to train and measure on, framed as the reader frames them.

A digit-mode correction gives one digit: its image made MNIST-style exactly as the recogniser
makes it. A number-mode correction gives one digit per piece the number reader cuts, each
framed alone, when the reader cuts as many pieces as the label has digits; otherwise there is
no telling which piece is which digit, and the correction is skipped (and reported).

A fifth of the corrections, chosen by a hash of their id so that training and the gate agree
without storing anything, is held out of training for the gate to measure on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from digitrec.errors import RecognitionError
from digitrec.feedback.store import CorrectionRecord
from digitrec.imaging.decode import decode_image
from digitrec.imaging.preprocess import to_mnist_style
from digitrec.numbers import read_number

HELD_OUT_SHARE = 5  # one correction in this many is held out of training

Correction = tuple[CorrectionRecord, bytes]


@dataclass(frozen=True)
class TrainingDigits:
    images: np.ndarray  # (n, 28, 28) uint8, white ink on black, as MNIST
    labels: np.ndarray  # (n,) uint8
    correction_ids: list[str]  # the correction each digit came from
    skipped: dict[str, str] = field(default_factory=dict)  # correction id -> why

    def __len__(self) -> int:
        return len(self.labels)


def is_held_out(correction_id: str) -> bool:
    """Whether this correction belongs to the gate's held-out fifth (stable across runs)."""
    digest = hashlib.sha256(correction_id.encode("ascii")).digest()
    return int.from_bytes(digest[:4], "big") % HELD_OUT_SHARE == 0


def split_held_out(corrections: Sequence[Correction]) -> tuple[list[Correction], list[Correction]]:
    """(for training, held out for the gate)."""
    held = [c for c in corrections if is_held_out(c[0].id)]
    return [c for c in corrections if not is_held_out(c[0].id)], held


def training_digits(corrections: Sequence[Correction], recogniser) -> TrainingDigits:
    """Every digit the corrections teach; `recogniser` cuts numbers into their pieces."""
    images, labels, ids, skipped = [], [], [], {}
    for record, image in corrections:
        try:
            framed = _framed_digits(record, image, recogniser)
        except RecognitionError as error:
            skipped[record.id] = str(error)
            continue
        if isinstance(framed, str):
            skipped[record.id] = framed
            continue
        images += framed
        labels += [int(character) for character in record.label]
        ids += [record.id] * len(framed)
    stacked = np.stack(images) if images else np.zeros((0, 28, 28), np.uint8)
    return TrainingDigits(stacked, np.array(labels, np.uint8), ids, skipped)


def _as_uint8(mnist: np.ndarray) -> np.ndarray:
    return np.round(mnist * 255).astype(np.uint8)


def _framed_digits(record: CorrectionRecord, image: bytes, recogniser) -> list[np.ndarray] | str:
    """The digits of one correction as 28x28 uint8 frames, or why there are none."""
    decoded = decode_image(image, recogniser.max_pixels)
    if record.mode == "digit":
        # The frame the recogniser read: of a photo's two readings, the one it kept. A block of
        # ink narrowed is only a guess at what was written: its frame is the block as it is.
        preprocessed = recogniser.recognise([decoded])[0].preprocessed
        if preprocessed.narrowed:
            preprocessed = to_mnist_style(decoded)
        if preprocessed.is_blank:
            return "the image holds no digit"
        return [_as_uint8(preprocessed.mnist)]
    pieces = read_number(recogniser, decoded).digits
    if len(pieces) != len(record.label):
        return (
            f"the reader cut {len(pieces)} pieces for the {len(record.label)} digits of the label"
        )
    frames = []
    for piece in pieces:
        x, y, w, h = piece.box
        piece = decoded.crop((x, y, x + w, y + h))
        frames.append(_as_uint8(to_mnist_style(piece, thin_frame_filling_strokes=False).mnist))
    return frames


def date_range(corrections: Sequence[Correction]) -> list[str] | None:
    """[first, last] creation time (ISO 8601) of the corrections, for the model card."""
    if not corrections:
        return None
    times = sorted(record.created_at for record, _ in corrections)
    return [times[0].isoformat(), times[-1].isoformat()]
