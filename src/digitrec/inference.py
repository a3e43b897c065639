"""The recogniser: an ONNX model loaded once, answering batches of MNIST-style images.

Imports numpy and onnxruntime only (never TensorFlow), so a server using it starts in about a
second. ONNX Runtime sessions are safe to call from several threads at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import onnxruntime as ort

from digitrec.calibration import apply_temperature
from digitrec.model_card import CARD_FILENAME, ModelCard

# An all-but-empty 28x28 input (less ink than a couple of full pixels) has no digit to read.
BLANK_INK = 2.0


class ModelLoadError(Exception):
    """The model file or its card is missing or unusable; the message names the file and why."""


def bundled_model_path() -> Path:
    return Path(str(resources.files("digitrec") / "models" / "model.onnx"))


def load_session(model_path: str | Path, threads: int = 1) -> ort.InferenceSession:
    options = ort.SessionOptions()
    # One image is a few MFLOPs: a thread pool costs more than it saves, and gunicorn workers
    # already use the other cores.
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as error:  # ONNX Runtime raises its own untyped errors for bad files
        raise ModelLoadError(f"{model_path}: not a loadable ONNX model ({error})") from error


def probabilities_of(session: ort.InferenceSession, images: np.ndarray) -> np.ndarray:
    """images: (n, 28, 28) or (n, 28, 28, 1) float32 in [0, 1] -> (n, 10) float32."""
    batch = np.asarray(images, dtype=np.float32).reshape(-1, 28, 28, 1)
    return session.run(None, {session.get_inputs()[0].name: batch})[0]


@dataclass(frozen=True)
class Prediction:
    digit: int | None  # None when the image holds no ink at all
    confidence: float  # calibrated probability of `digit`, 0 when there is none
    probabilities: tuple[float, ...]  # ten calibrated probabilities, digits 0..9
    is_digit: bool  # False for blank, unsure or out-of-distribution inputs

    def as_dict(self) -> dict:
        return {
            "digit": self.digit,
            "confidence": self.confidence,
            "probabilities": list(self.probabilities),
            "is_digit": self.is_digit,
        }


class Recogniser:
    """An ONNX digit model and its card, loaded once and shared by every request."""

    def __init__(self, model_path: str | Path | None = None, threads: int = 1):
        self.model_path = Path(model_path) if model_path else bundled_model_path()
        if not self.model_path.is_file():
            raise ModelLoadError(f"{self.model_path}: model file not found")
        try:
            self.card = ModelCard.load(self.model_path.with_name(CARD_FILENAME))
        except Exception as error:
            raise ModelLoadError(str(error)) from error
        self.session = load_session(self.model_path, threads)

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def version(self) -> str:
        return self.card.version

    def predict(self, images: np.ndarray) -> list[Prediction]:
        """images: (n, 28, 28) float32 in [0, 1], MNIST-style -> one Prediction per image."""
        images = np.asarray(images, dtype=np.float32).reshape(-1, 28, 28)
        if len(images) == 0:
            return []
        calibrated = apply_temperature(
            probabilities_of(self.session, images), self.card.temperature
        )
        ink = images.reshape(len(images), -1).sum(axis=1)
        predictions = []
        for row, total_ink in zip(calibrated, ink, strict=True):
            probabilities = tuple(round(float(p), 6) for p in row)
            if total_ink < BLANK_INK:
                predictions.append(Prediction(None, 0.0, probabilities, False))
                continue
            digit = int(row.argmax())
            confidence = float(row[digit])
            predictions.append(
                Prediction(
                    digit, round(confidence, 6), probabilities, confidence >= self.card.threshold
                )
            )
        return predictions
