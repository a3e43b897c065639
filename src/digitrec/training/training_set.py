"""What a model is trained on: the MNIST training digits and what is added to them.

For the CNN, outlier exposure: synthetic non-digits and two digits touching (what a number
reader gets when it misses a cut), with a uniform target, teach the model to say "unsure";
pieces of composed numbers as the reader cuts them (`digitrec.training.number_pieces`); and
digits changed as photos and scans change them (`digitrec.training.wild_digits`). Users'
corrections, when fine-tuning on feedback, are repeated until they weigh `feedback_share`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from digitrec.training import digit_pairs, nondigits, number_pieces, wild_digits
from digitrec.training.model import num_classes


@dataclass
class TrainingSet:
    """Model inputs (n, 28, 28, 1) float32 in [0, 1] and their labels (NO_DIGIT: no single
    digit), with how many of each kind were added, for the card."""

    x: np.ndarray
    labels: np.ndarray
    counts: dict = field(default_factory=dict)


def as_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 (n, 28, 28) -> float32 (n, 28, 28, 1) in [0, 1]."""
    return (images.astype(np.float32) / 255.0)[..., None]


def targets(labels: np.ndarray) -> np.ndarray:
    """Digit labels -> one-hot rows; NO_DIGIT -> uniform ones ("not a single digit")."""
    rows = np.full((len(labels), num_classes), 1 / num_classes, np.float32)
    digits = labels != number_pieces.NO_DIGIT
    rows[digits] = np.eye(num_classes, dtype=np.float32)[labels[digits]]
    return rows


def feedback_repeats_for(mnist_digits: int, feedback_digits: int, share: float) -> int:
    """How many times each correction is shown per epoch: enough to make `share` of the
    training digits, at least once."""
    return max(1, round(share * mnist_digits / ((1 - share) * feedback_digits)))


def assemble(config, fit_split, seed: int) -> TrainingSet:
    """The training set of one member (`config` a `digitrec.training.train.TrainConfig`)."""
    x = as_model_input(fit_split.images)
    labels = fit_split.labels.astype(int)
    outlier_count = pair_count = piece_count = wild_count = 0
    if config.arch == "cnn":
        outlier_count = pair_count = len(x) // 10
        outliers, _ = nondigits.make_nondigits(outlier_count, seed=seed + 1000)
        pairs = digit_pairs.make_pairs(fit_split.images, pair_count, seed=seed + 2000)
        pieces = number_pieces.make_pieces(
            fit_split.images,
            fit_split.labels,
            round(len(x) * config.number_pieces),
            seed=seed + 3000,
            kinds=config.number_piece_kinds,
        )
        piece_count = len(pieces.labels)
        wild_count = round(len(fit_split.labels) * config.wild_digits)
        wild, wild_labels = wild_digits.make_wild_digits(
            fit_split.images, fit_split.labels, wild_count, seed=seed + 4000
        )
        extra = [outliers[..., None], pairs[..., None], pieces.images[..., None]]
        x = np.concatenate([x, *extra, as_model_input(wild)])
        outlier_labels = np.full(outlier_count + pair_count, number_pieces.NO_DIGIT)
        labels = np.concatenate([labels, outlier_labels, pieces.labels, wild_labels])
    feedback_repeats = 0
    if config.feedback_digits is not None and len(config.feedback_digits[1]):
        feedback_images, feedback_labels = config.feedback_digits
        feedback_repeats = feedback_repeats_for(
            len(fit_split), len(feedback_labels), config.feedback_share
        )
        x = np.concatenate([x, as_model_input(np.tile(feedback_images, (feedback_repeats, 1, 1)))])
        labels = np.concatenate([labels, np.tile(feedback_labels.astype(int), feedback_repeats)])
    counts = {
        "nondigit_images": outlier_count,
        "touching_pair_images": pair_count,
        "number_piece_images": piece_count,
        "wild_digit_images": wild_count,
        "wild_digit_kinds": list(wild_digits.KINDS) if wild_count else [],
        "wild_digit_hand_styles": (
            {str(digit): style.__name__ for digit, style in wild_digits.HAND_STYLES.items()}
            if wild_count
            else {}
        ),
        "feedback_repeats": feedback_repeats,
    }
    return TrainingSet(x, labels, counts)
