"""Temperature scaling and the "not a digit" threshold, fitted on held-out training digits.

A softmax network is over-confident; dividing its log-probabilities by a temperature T fitted
on validation data makes "confidence" mean what it says. The threshold on calibrated confidence
is then set so that only a small, chosen fraction of genuine validation digits falls below it.
"""

from __future__ import annotations

import numpy as np

# Reject at most this fraction of held-out digits, so the test set stays well under 1 %.
TARGET_REJECTED = 0.005
# A piece of a written number, among other digits, is far more likely a digit than an image
# sent on its own, and every doubt costs the whole number: the number reader's threshold rejects
# at most this fraction instead.
TARGET_REJECTED_IN_NUMBERS = 0.001
_TEMPERATURES = np.exp(np.linspace(np.log(0.25), np.log(8.0), 241))
# Equal-width confidence bins of the reliability diagram and its expected calibration error.
RELIABILITY_BINS = 10


def apply_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """probabilities: (n, 10) -> (n, 10) softmax(log(p) / T); rows still sum to 1."""
    logits = np.log(np.clip(probabilities, 1e-30, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of the true labels."""
    rows = np.arange(len(labels))

    def nll(temperature: float) -> float:
        calibrated = apply_temperature(probabilities, temperature)
        return float(-np.log(np.clip(calibrated[rows, labels], 1e-30, 1.0)).mean())

    return float(min(_TEMPERATURES, key=nll))


def choose_threshold(confidences: np.ndarray, target_rejected: float = TARGET_REJECTED) -> float:
    """The largest confidence threshold that rejects at most `target_rejected` of these digits."""
    return float(np.quantile(confidences, target_rejected, method="lower"))


def number_threshold_of(calibration: dict) -> float:
    """The threshold for pieces of a number; a calibration without one uses the single-image
    threshold."""
    return float(calibration.get("number_threshold", calibration["threshold"]))


def photo_threshold_of(calibration: dict) -> float:
    """The threshold for photos and 1-bit scans, read at three pen widths; a calibration without
    one uses the single-image threshold."""
    return float(calibration.get("photo_threshold", calibration["threshold"]))


def mean_over_widths(calibrated: np.ndarray, calibrated_variants: np.ndarray) -> np.ndarray:
    """(n, 10) calibrated probabilities of images as framed and (2n, 10) of the same a pixel
    bolder, then a pixel finer (`digitrec.imaging.pen_widths`) -> (n, 10), their mean."""
    variants = calibrated_variants.reshape(2, len(calibrated), -1)
    return (calibrated + variants.sum(axis=0)) / 3.0


def confidences_at_pen_widths(
    probabilities: np.ndarray, variant_probabilities: np.ndarray, temperature: float
) -> np.ndarray:
    """Raw probabilities (n, 10) of images as framed and (2n, 10) of them a pixel bolder and
    finer (`digitrec.imaging.pen_widths.bolder_and_finer`) -> (n,) confidences as photos are read."""
    mean = mean_over_widths(
        apply_temperature(probabilities, temperature),
        apply_temperature(variant_probabilities, temperature),
    )
    return mean.max(axis=1)


def calibrate(
    probabilities: np.ndarray, labels: np.ndarray, variant_probabilities: np.ndarray
) -> dict:
    """Held-out digits' raw probabilities (n, 10), their labels, and the raw probabilities
    (2n, 10) of the same digits a pixel bolder and finer -> the card's calibration: the
    temperature, and thresholds for one image, for a number's pieces and for photos.

    Averaging three widths smooths a photo's confidence, so photos get a threshold of their own,
    chosen by the same rule on the digits read as photos are read.
    """
    temperature = fit_temperature(probabilities, labels)
    confidences = apply_temperature(probabilities, temperature).max(axis=1)
    threshold = choose_threshold(confidences)
    number_threshold = choose_threshold(confidences, TARGET_REJECTED_IN_NUMBERS)
    photo_confidences = confidences_at_pen_widths(probabilities, variant_probabilities, temperature)
    photo_threshold = choose_threshold(photo_confidences)
    return {
        "temperature": round(temperature, 4),
        "threshold": threshold,
        "number_threshold": number_threshold,
        "photo_threshold": photo_threshold,
        "fitted_on": f"{len(labels)} held-out training images",
        "validation_rejected": float((confidences < threshold).mean()),
        "validation_rejected_in_numbers": float((confidences < number_threshold).mean()),
        "validation_rejected_as_photos": float((photo_confidences < photo_threshold).mean()),
    }


def reliability(confidences: np.ndarray, correct: np.ndarray, bins: int = RELIABILITY_BINS):
    """Confidences in [0, 1] and whether each answer was right -> one row per non-empty
    equal-width bin: {"low", "high", "count", "confidence" (mean), "accuracy"}."""
    confidences = np.asarray(confidences, dtype=np.float64)
    correct = np.asarray(correct, dtype=bool)
    # The top edge belongs to the last bin, so a confidence of exactly 1 is counted.
    index = np.minimum((confidences * bins).astype(np.int64), bins - 1)
    rows = []
    for b in range(bins):
        members = index == b
        if members.any():
            rows.append(
                {
                    "low": b / bins,
                    "high": (b + 1) / bins,
                    "count": int(members.sum()),
                    "confidence": float(confidences[members].mean()),
                    "accuracy": float(correct[members].mean()),
                }
            )
    return rows


def expected_calibration_error(rows: list[dict]) -> float:
    """The reliability rows' gap between confidence and accuracy, weighted by their counts."""
    total = sum(row["count"] for row in rows)
    gaps = sum(row["count"] * abs(row["confidence"] - row["accuracy"]) for row in rows)
    return gaps / total if total else 0.0
