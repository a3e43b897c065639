"""The model card (`model.json`) that travels with every exported model.

It says what the ONNX file expects and what it was measured to do. The recogniser checks the
input shape against what preprocessing makes, and reads the labels and calibration from it.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from digitrec import __version__
from digitrec.calibration import number_threshold_of, photo_threshold_of

CARD_FILENAME = "model.json"
# Folders beside a model that hold models of its own, each a model.onnx and its card: the judge
# of a number's cuts, and the reader of photos (digitrec.inference loads them).
PIECES_FOLDER = "pieces"
PHOTOS_FOLDER = "photos"
COMPANION_FOLDERS = (PIECES_FOLDER, PHOTOS_FOLDER)


class ModelCardError(Exception):
    """A model card is missing, unreadable, or lacks a field the recogniser needs."""


@dataclass(frozen=True)
class ModelCard:
    name: str
    version: str
    architecture: str
    input_shape: tuple[int | None, ...]  # (batch, 28, 28, 1): NHWC, float32 in [0, 1], ink white
    labels: tuple[str, ...]
    temperature: float
    threshold: float
    # For the pieces of a written number (`digitrec.numbers.reading`); a card without one uses
    # `threshold`.
    number_threshold: float
    # For photos and 1-bit scans, read at three pen widths (`digitrec.imaging.pen_widths`); a card
    # without one uses `threshold`.
    photo_threshold: float
    raw: dict  # everything in model.json, for /api/v1/model and the report

    @classmethod
    def from_dict(cls, card: dict, source: str = "model card") -> ModelCard:
        try:
            return cls(
                name=str(card["name"]),
                version=str(card["version"]),
                architecture=str(card["architecture"]),
                input_shape=tuple(card["input"]["shape"]),
                labels=tuple(card["labels"]),
                temperature=float(card["calibration"]["temperature"]),
                threshold=float(card["calibration"]["threshold"]),
                number_threshold=number_threshold_of(card["calibration"]),
                photo_threshold=photo_threshold_of(card["calibration"]),
                raw=card,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ModelCardError(f"{source}: missing or malformed field {error}") from error

    @classmethod
    def load(cls, path: str | Path) -> ModelCard:
        path = Path(path)
        try:
            card = json.loads(path.read_text())
        except FileNotFoundError as error:
            raise ModelCardError(f"{path}: no model card (model.json) beside the model") from error
        except (OSError, ValueError) as error:
            raise ModelCardError(f"{path}: not a readable JSON model card ({error})") from error
        return cls.from_dict(card, str(path))


def replaced_model_problem(model_path: str | Path, model: bytes, card: ModelCard) -> str | None:
    """What is wrong when the model file is not the one its card describes (its SHA-256 differs
    from the card's); None when it is, or when the card records no checksum."""
    expected = card.raw.get("files", {}).get("onnx_sha256")
    if not expected or hashlib.sha256(model).hexdigest() == expected:
        return None
    return (
        f"{model_path}: corrupt or replaced: its SHA-256 does not match {CARD_FILENAME} "
        "(export the model and its card together)"
    )


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "digitrec": __version__}
    for package in ("keras", "tensorflow-cpu", "tensorflow", "tf2onnx", "onnx", "onnxruntime"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    return versions


def build(*, arch, model, onnx_path, calibration, evaluation, training) -> dict:
    """The card of a freshly trained model, in the shape `ModelCard.from_dict` reads."""
    import onnx

    graph = onnx.load(str(onnx_path)).graph
    onnx_bytes = Path(onnx_path).read_bytes()
    digest = hashlib.sha256(onnx_bytes).hexdigest()
    return {
        "name": f"digitrec-{arch}",
        # The date says when; the start of the weights' hash tells two models of one day apart.
        "version": f"{__version__}+{datetime.date.today():%Y%m%d}.{digest[:8]}",
        "architecture": arch,
        "parameters": int(model.count_params()),
        "input": {
            "name": graph.input[0].name,
            "shape": [None, 28, 28, 1],
            "dtype": "float32",
            "range": [0.0, 1.0],
            "layout": "NHWC",
            "polarity": "white ink on black, MNIST-style: digit box 20 px, centred by mass",
        },
        "output": {"name": graph.output[0].name, "kind": "probabilities", "shape": [None, 10]},
        "labels": [str(digit) for digit in range(10)],
        "calibration": calibration,
        "evaluation": evaluation,
        "training": training,
        "files": {
            "onnx": Path(onnx_path).name,
            "onnx_bytes": len(onnx_bytes),
            "onnx_sha256": digest,
        },
        "versions": _versions(),
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def save(card: dict, path: str | Path) -> None:
    Path(path).write_text(json.dumps(card, indent=2) + "\n")
