"""Any image -> the MNIST-style 28x28 input the model was trained on.

MNIST itself was made by scaling each digit's bounding box so that its longer side is 20 px
(aspect kept, anti-aliased) and placing it in a 28x28 frame so that its centre of mass sits at
the centre. `fit_to_mnist_frame` does exactly that to an ink map (white ink on black, floats).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

MNIST_SIZE = 28
MNIST_BOX = 20
# Pixels fainter than this (on a 0..1 ink scale) do not count towards the digit's bounding box.
INK_THRESHOLD = 0.1


def ink_bounding_box(ink: np.ndarray, threshold: float = INK_THRESHOLD):
    """(x, y, w, h) of the pixels brighter than `threshold`, or None when there are none."""
    rows = np.flatnonzero((ink > threshold).any(axis=1))
    cols = np.flatnonzero((ink > threshold).any(axis=0))
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


def _shift_to_centre_of_mass(frame: np.ndarray) -> np.ndarray:
    total = frame.sum()
    if total <= 0:
        return frame
    ys, xs = np.indices(frame.shape)
    centre = (frame.shape[0] - 1) / 2
    dy = round(float(centre - (ys * frame).sum() / total))
    dx = round(float(centre - (xs * frame).sum() / total))
    # Never shift ink out of the frame: a lopsided digit stays whole rather than exactly centred.
    rows = np.flatnonzero(frame.any(axis=1))
    cols = np.flatnonzero(frame.any(axis=0))
    dy = int(np.clip(dy, -rows[0], frame.shape[0] - 1 - rows[-1]))
    dx = int(np.clip(dx, -cols[0], frame.shape[1] - 1 - cols[-1]))
    shifted = np.zeros_like(frame)
    h, w = frame.shape
    shifted[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = frame[
        max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)
    ]
    return shifted


def fit_to_mnist_frame(ink: np.ndarray) -> np.ndarray:
    """Crop an ink map to its digit, scale the longer side to 20 px, centre by mass in 28x28.

    ink: (h, w) float32 in [0, 1], white ink on black. Returns (28, 28) float32 in [0, 1];
    all zeros when there is no ink.
    """
    box = ink_bounding_box(ink)
    if box is None:
        return np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    x, y, w, h = box
    crop = ink[y : y + h, x : x + w]
    scale = MNIST_BOX / max(w, h)
    new_w = max(1, round(w * scale))
    new_h = max(1, round(h * scale))
    resized = Image.fromarray(crop.astype(np.float32), mode="F").resize(
        (new_w, new_h), Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BILINEAR
    )
    small = np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)
    frame = np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    top = (MNIST_SIZE - new_h) // 2
    left = (MNIST_SIZE - new_w) // 2
    frame[top : top + new_h, left : left + new_w] = small
    return _shift_to_centre_of_mass(frame)
