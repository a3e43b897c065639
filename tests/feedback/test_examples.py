"""What a correction teaches: the frame the recogniser read, but never a guess (#19)."""

from __future__ import annotations

import datetime
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import wild
from conftest import thick_ones

from digitrec.feedback import examples
from digitrec.feedback.store import CorrectionRecord
from digitrec.imaging.preprocess import to_mnist_style


def _digit_correction(label: str) -> CorrectionRecord:
    now = datetime.datetime.now(datetime.UTC)
    return CorrectionRecord("c1", now, "digit", "1", label, "m", "1", 0, "accepted", now)


def test_a_correction_of_a_narrowed_guess_teaches_the_block_as_it_was_sent(recogniser):
    ones = thick_ones(20)
    inks = wild.Inks("bold ones", ones.images, ones.labels.astype(np.int64))
    samples = wild.generate("cropped-to-fill", inks, 200, seed=0)
    image = next(
        s.image for s in samples if recogniser.recognise([s.image])[0].preprocessed.narrowed
    )
    digits = examples.training_digits([(_digit_correction("1"), image)], recogniser)
    as_sent = to_mnist_style(Image.open(io.BytesIO(image))).mnist
    assert len(digits) == 1
    assert np.array_equal(digits.images[0], np.round(as_sent * 255).astype(np.uint8))
