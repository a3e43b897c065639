"""Keras -> ONNX, with a check that ONNX Runtime answers as Keras does.

digitrec export --model model.keras --out model.onnx
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digitrec.training.model import input_shape

TOLERANCE = 1e-5


class ExportMismatchError(Exception):
    """ONNX Runtime's outputs differ from Keras's by more than the tolerance."""


def load_keras_model(path: str | Path, arch: str | None = None):
    """A saved Keras model (.keras or a seed-style full-model .h5), or weights-only .h5 + arch."""
    import keras

    from digitrec.training.model import build_model

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


def quantize_onnx(
    float_path: str | Path, out_path: str | Path, calibration_images: np.ndarray
) -> dict:
    """Write an int8 copy of a float ONNX model, calibrated on `calibration_images`.

    Static QDQ quantisation with per-channel weights makes the CNN about 2.5x faster on one
    image, which is what a single request costs. Weights use 7 bits (reduce_range) so that
    CPUs without VNNI instructions cannot saturate their 16-bit accumulators and answer
    differently from those with them. calibration_images: (n, 28, 28, 1) float32 training
    images (never validation or test images). Returns what the card records about it.
    """
    import onnxruntime as ort
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    out_path = Path(out_path)
    prepared = out_path.with_suffix(".prepared.onnx")
    quant_pre_process(str(float_path), str(prepared), skip_symbolic_shape=True)
    input_name = ort.InferenceSession(str(prepared)).get_inputs()[0].name

    class Batches(CalibrationDataReader):
        def __init__(self):
            self.batches = iter(
                {input_name: calibration_images[i : i + 64]}
                for i in range(0, len(calibration_images), 64)
            )

        def get_next(self):
            return next(self.batches, None)

    quantize_static(
        str(prepared),
        str(out_path),
        Batches(),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        reduce_range=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
    )
    prepared.unlink()
    return {
        "method": "onnxruntime static QDQ, int8 per-channel weights (7-bit range), uint8 activations",
        "calibration_images": len(calibration_images),
        "float_model": Path(float_path).name,
    }
