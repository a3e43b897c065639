"""Keras -> ONNX, with a check that ONNX Runtime answers as Keras does.

digitrec export --model model.keras --out model.onnx
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digitrec.model import input_shape

TOLERANCE = 1e-5


class ExportMismatchError(Exception):
    """ONNX Runtime's outputs differ from Keras's by more than the tolerance."""


def load_keras_model(path: str | Path, arch: str | None = None):
    """A saved Keras model (.keras or a seed-style full-model .h5), or weights-only .h5 + arch."""
    import keras

    from digitrec.model import build_model

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file")
    try:
        return keras.models.load_model(path, compile=False)
    except (ValueError, OSError, TypeError, KeyError):
        if path.suffix != ".h5":
            raise
    # Weights alone: rebuild the named (or the seed's) architecture and fill it in.
    model = build_model(arch or "mlp")
    model.load_weights(path)
    return model


def export_onnx(model, out_path: str | Path, check_images: np.ndarray | None = None) -> float:
    """Write `model` as ONNX and return the largest |ONNX - Keras| output difference.

    Raises ExportMismatchError above TOLERANCE. check_images: (n, 28, 28, 1) float32; random
    images in [0, 1] when omitted (the check is about arithmetic, not accuracy).
    """
    import onnxruntime as ort

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if check_images is None:
        check_images = np.random.default_rng(0).random((32, *input_shape), dtype=np.float32)
    expected = np.asarray(model.predict(check_images, verbose=0))  # also builds an unbuilt model
    model.export(str(out_path), format="onnx", verbose=False)
    session = ort.InferenceSession(str(out_path), providers=["CPUExecutionProvider"])
    actual = session.run(None, {session.get_inputs()[0].name: check_images})[0]
    difference = float(np.abs(actual - expected).max())
    if difference > TOLERANCE:
        raise ExportMismatchError(
            f"{out_path}: ONNX Runtime differs from Keras by {difference:.2e} "
            f"(tolerance {TOLERANCE:.0e})"
        )
    return difference
