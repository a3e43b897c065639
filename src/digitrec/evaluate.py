"""Metrics of an ONNX digit model on MNIST's test set, and the report's plots.

digitrec evaluate --data-dir ../shared/mnist --json --report report/
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digitrec import data, nondigits
from digitrec.calibration import apply_temperature
from digitrec.inference import load_session, probabilities_of

# Non-digits for the rejection rate: a seed never used in training.
NONDIGIT_EVAL_SEED = 424242
NONDIGIT_EVAL_COUNT = 2000


def onnx_probabilities(onnx_path: str | Path, images: np.ndarray, batch: int = 1000) -> np.ndarray:
    """images: (n, 28, 28[, 1]) float32 in [0, 1] -> (n, 10) raw model probabilities."""
    session = load_session(onnx_path, threads=0)  # 0: all cores, for a whole test set
    return np.concatenate(
        [probabilities_of(session, images[i : i + batch]) for i in range(0, len(images), batch)]
    )


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """(10, 10): row = true digit, column = predicted digit."""
    matrix = np.zeros((10, 10), np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    return matrix


def evaluate_split(onnx_path: str | Path, split: data.Split, calibration: dict) -> dict:
    """Accuracy, per-class accuracy, confusion matrix and rejection rates of one model."""
    probabilities = onnx_probabilities(onnx_path, split.images.astype(np.float32) / 255.0)
    predicted = probabilities.argmax(axis=1)
    labels = split.labels.astype(np.int64)
    matrix = confusion_matrix(labels, predicted)
    per_class = {
        str(digit): round(float(matrix[digit, digit] / max(1, matrix[digit].sum())), 5)
        for digit in range(10)
    }
    temperature, threshold = calibration["temperature"], calibration["threshold"]
    confidences = apply_temperature(probabilities, temperature).max(axis=1)
    outliers, _ = nondigits.make_nondigits(NONDIGIT_EVAL_COUNT, seed=NONDIGIT_EVAL_SEED)
    outlier_confidences = apply_temperature(onnx_probabilities(onnx_path, outliers), temperature)
    return {
        "accuracy": round(float((predicted == labels).mean()), 5),
        "n": len(labels),
        "errors": int((predicted != labels).sum()),
        "per_class": per_class,
        "confusion": matrix.tolist(),
        "test_digits_rejected": round(float((confidences < threshold).mean()), 5),
        "nondigits_rejected": round(float((outlier_confidences.max(axis=1) < threshold).mean()), 5),
        "nondigits_evaluated": NONDIGIT_EVAL_COUNT,
    }
