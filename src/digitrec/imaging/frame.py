"""A digit's ink -> the 28x28 MNIST frame, the way MNIST itself was made.

Scale the digit's bounding box so its longer side is 20 px (aspect kept, anti-aliased) and
place it in 28x28 so that its centre of mass sits at the centre. Training, the non-digit
generator, preprocessing and segmentation all frame digits through these functions.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

MNIST_SIZE = 28
MNIST_BOX = 20
# Pixels fainter than this (on a 0..1 ink scale) do not count towards the digit's bounding box.
INK_THRESHOLD = 0.1
_FRAME_INDICES = np.arange(MNIST_SIZE)


def ink_bounding_box(ink: np.ndarray, threshold: float = INK_THRESHOLD):
    """(x, y, w, h) of the pixels brighter than `threshold`, or None when there are none."""
    rows = np.flatnonzero((ink > threshold).any(axis=1))
    cols = np.flatnonzero((ink > threshold).any(axis=0))
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


def reaches_every_edge(box, size: tuple[int, int]) -> bool:
    """Whether a box (x, y, w, h) comes within a pixel of every edge of a picture of `size`
    (width, height): a digit cut out to its ink's box, whose soft edge can leave a pixel of
    paper fainter than ink round it."""
    x, y, w, h = box
    return x <= 1 and y <= 1 and x + w >= size[0] - 1 and y + h >= size[1] - 1


def _shift_to_centre_of_mass(frame: np.ndarray) -> np.ndarray:
    row_mass, col_mass = frame.sum(axis=1), frame.sum(axis=0)
    total = float(row_mass.sum())
    if total <= 0:
        return frame
    h, w = frame.shape
    row_index = _FRAME_INDICES if h == MNIST_SIZE else np.arange(h)
    col_index = _FRAME_INDICES if w == MNIST_SIZE else np.arange(w)
    # MNIST's digits have their centre of mass at (14, 14) in pixel-index coordinates (the mean
    # over its test set is 13.99, 14.01), not at the geometric centre 13.5.
    dy = round(h / 2 - float(row_mass @ row_index) / total)
    dx = round(w / 2 - float(col_mass @ col_index) / total)
    # Never shift ink out of the frame: a lopsided digit stays whole rather than exactly centred.
    rows, cols = np.flatnonzero(row_mass).tolist(), np.flatnonzero(col_mass).tolist()
    dy = min(max(dy, -rows[0]), h - 1 - rows[-1])
    dx = min(max(dx, -cols[0]), w - 1 - cols[-1])
    shifted = np.zeros_like(frame)
    shifted[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = frame[
        max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)
    ]
    return shifted


def _centred_frame(small: np.ndarray) -> np.ndarray:
    """A digit already scaled to fit 20 px, placed in 28x28 and moved to centre its mass."""
    h, w = small.shape
    frame = np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    top, left = (MNIST_SIZE - h) // 2, (MNIST_SIZE - w) // 2
    frame[top : top + h, left : left + w] = small
    return _shift_to_centre_of_mass(frame)


def frame_ink_image(crop: Image.Image) -> np.ndarray:
    """An 8-bit "L" crop of a digit's ink -> (28, 28) float32 in [0, 1]: scaled so its longer
    side is 20 px (aspect kept, anti-aliased), placed in 28x28 and centred by mass.

    Resized in 8 bits, MNIST's own depth, for speed; big reductions first average whole blocks
    (reducing_gap), the same anti-aliasing for a fraction of a full-width Lanczos kernel's work.
    """
    scale = MNIST_BOX / max(crop.size)
    size = (max(1, round(crop.width * scale)), max(1, round(crop.height * scale)))
    if size != crop.size:
        crop = crop.resize(
            size,
            Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BILINEAR,
            reducing_gap=2.0 if scale < 1 else None,
        )
    return _centred_frame(np.asarray(crop, dtype=np.float32) / 255.0)


def fit_to_mnist_frame(ink: np.ndarray) -> np.ndarray:
    """Crop an ink map to its digit, scale the longer side to 20 px, centre by mass in 28x28.

    ink: (h, w) float32 in [0, 1], white ink on black. Returns (28, 28) float32 in [0, 1];
    all zeros when there is no ink.
    """
    box = ink_bounding_box(ink)
    if box is None:
        return np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    x, y, w, h = box
    # Ink maps are 8-bit levels over 255, so this is exact for them: every digit, read alone or
    # cut from a number, is framed by the one function.
    levels = np.round(np.clip(ink[y : y + h, x : x + w], 0.0, 1.0) * 255.0).astype(np.uint8)
    return frame_ink_image(Image.fromarray(levels))
