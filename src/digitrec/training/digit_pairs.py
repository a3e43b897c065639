"""Two handwritten digits touching, framed as one image: the piece a number reader must not
take for a single digit.

When two digits of a number touch ("16", "77"), their ink is one connected piece, and a model
trained only on single digits reads it confidently as one of them. Training uses these images
as outlier exposure (a uniform target, like `digitrec.training.nondigits`), so that such a piece reads
with low confidence and the number reader looks for a cut; evaluation reports how many are
rejected. Made from the caller's digits: training passes training images, evaluation test ones.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from digitrec.imaging.frame import fit_to_mnist_frame, ink_bounding_box

# At MNIST's 20 px digit height: from 3 px of overlap to 2 px of space. Further apart, a
# number reader sees two pieces anyway.
GAP_RANGE = (-3, 2)
# Neighbouring digits of one number differ a little in size and sit on a wandering baseline.
SCALE_JITTER = 0.15
BASELINE_JITTER = 0.1


def ink_crop(image: np.ndarray) -> np.ndarray:
    """A uint8 MNIST-style digit cut to its ink -> float32 in [0, 1]."""
    x, y, w, h = ink_bounding_box(image, 0)
    return image[y : y + h, x : x + w].astype(np.float32) / 255.0


def scaled(crop: np.ndarray, scale: float) -> np.ndarray:
    """A float32 crop resized by `scale` (bilinear, at least 1 px a side), kept in [0, 1]."""
    h, w = crop.shape
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    resized = Image.fromarray(crop, mode="F").resize(size, Image.Resampling.BILINEAR)
    return np.clip(np.asarray(resized), 0.0, 1.0)


def touching_pair(left: np.ndarray, right: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two uint8 28x28 MNIST-style digits side by side, touching -> one 28x28 float32 image."""
    crops = [ink_crop(left), ink_crop(right)]
    crops = [scaled(c, rng.uniform(1 - SCALE_JITTER, 1 + SCALE_JITTER)) for c in crops]
    height = max(c.shape[0] for c in crops)
    # Each digit stands on a common baseline, moved up or down a little.
    tops = [
        height + round(rng.uniform(-BASELINE_JITTER, BASELINE_JITTER) * height) - c.shape[0]
        for c in crops
    ]
    tops = [top - min(tops) for top in tops]
    gap = int(rng.integers(GAP_RANGE[0], GAP_RANGE[1] + 1))
    lefts = [0, max(0, crops[0].shape[1] + gap)]
    canvas = np.zeros(
        (
            max(t + c.shape[0] for t, c in zip(tops, crops, strict=True)),
            max(x + c.shape[1] for x, c in zip(lefts, crops, strict=True)),
        ),
        np.float32,
    )
    for crop, top, left in zip(crops, tops, lefts, strict=True):
        h, w = crop.shape
        region = canvas[top : top + h, left : left + w]
        np.maximum(region, crop, out=region)
    return fit_to_mnist_frame(canvas)


def make_pairs(digits: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """`count` touching pairs of randomly chosen `digits` (uint8 (n, 28, 28)) -> float32."""
    rng = np.random.default_rng(seed)
    chosen = rng.integers(0, len(digits), size=(count, 2))
    images = np.zeros((count, 28, 28), np.float32)
    for i, (a, b) in enumerate(chosen):
        images[i] = touching_pair(digits[a], digits[b], rng)
    return images
