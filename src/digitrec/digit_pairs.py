"""Two handwritten digits touching: the piece a number reader must not take for one digit,
and each digit as a reader cuts it out of such a pair.

When two digits of a number touch ("16", "77"), their ink is one connected piece, and a model
trained only on single digits reads it confidently as one of them. Training uses these images
as outlier exposure (a uniform target, like `digitrec.nondigits`), so that such a piece reads
with low confidence and the number reader looks for a cut; evaluation reports how many are
rejected. A digit cut from a pair keeps a sliver of its neighbour or loses one of its own;
training shows such cuts with the digit's own label, so that the reader's pieces read as well
as whole digits. Made from the caller's digits: training passes training images, evaluation
test ones.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from digitrec.frame import fit_to_mnist_frame

# At MNIST's 20 px digit height: from 3 px of overlap to 2 px of space. Further apart, a
# number reader sees two pieces anyway.
GAP_RANGE = (-3, 2)
# Neighbouring digits of one number differ a little in size and sit on a wandering baseline.
SCALE_JITTER = 0.15
BASELINE_JITTER = 0.1
# Where a cut between touching digits may land, as shares of the digit height: up to this far
# into the neighbour (keeping a sliver of its ink) or into the digit itself.
CUT_INTO_NEIGHBOUR = 0.12
CUT_INTO_DIGIT = 0.05


def _ink_crop(image: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(image.any(axis=1))
    cols = np.flatnonzero(image.any(axis=0))
    return image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.float32) / 255.0


def _scaled(crop: np.ndarray, scale: float) -> np.ndarray:
    h, w = crop.shape
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    resized = Image.fromarray(crop, mode="F").resize(size, Image.Resampling.BILINEAR)
    return np.clip(np.asarray(resized), 0.0, 1.0)


def _side_by_side(left: np.ndarray, right: np.ndarray, rng: np.random.Generator):
    """Two uint8 28x28 digits touching -> (canvas float32, each digit's (x0, x1) columns)."""
    crops = [_ink_crop(left), _ink_crop(right)]
    crops = [_scaled(c, rng.uniform(1 - SCALE_JITTER, 1 + SCALE_JITTER)) for c in crops]
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
    return canvas, [(x, x + c.shape[1]) for x, c in zip(lefts, crops, strict=True)]


def touching_pair(left: np.ndarray, right: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two uint8 28x28 MNIST-style digits side by side, touching -> one 28x28 float32 image."""
    canvas, _ = _side_by_side(left, right, rng)
    return fit_to_mnist_frame(canvas)


def cut_from_pair(left: np.ndarray, right: np.ndarray, rng: np.random.Generator):
    """One digit of a touching pair, cut out as a number reader cuts it -> (28x28, 0 or 1).

    The cut lands near the digits' meeting point, not on it: it may keep a sliver of the
    neighbour's ink or take a sliver of the digit's own. The second value says which digit
    (0 left, 1 right) the image shows; its label is that digit's.
    """
    canvas, spans = _side_by_side(left, right, rng)
    height, width = canvas.shape
    which = int(rng.integers(2))
    own_x0, own_x1 = spans[which]
    # Positive: into the neighbour; negative: into the digit itself.
    overshoot = round(rng.uniform(-CUT_INTO_DIGIT, CUT_INTO_NEIGHBOUR) * height)
    if which == 0:
        x0, x1 = 0, min(width, max(own_x1 + overshoot, (own_x0 + own_x1) // 2 + 1))
    else:
        x0, x1 = max(0, min(own_x0 - overshoot, (own_x0 + own_x1) // 2 - 1)), width
    return fit_to_mnist_frame(canvas[:, x0:x1]), which


def make_pairs(digits: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """`count` touching pairs of randomly chosen `digits` (uint8 (n, 28, 28)) -> float32."""
    rng = np.random.default_rng(seed)
    chosen = rng.integers(0, len(digits), size=(count, 2))
    images = np.zeros((count, 28, 28), np.float32)
    for i, (a, b) in enumerate(chosen):
        images[i] = touching_pair(digits[a], digits[b], rng)
    return images


def make_cut_digits(digits: np.ndarray, labels: np.ndarray, count: int, seed: int = 0):
    """`count` digits cut from touching pairs of `digits` -> (float32 images, their labels)."""
    rng = np.random.default_rng(seed)
    chosen = rng.integers(0, len(digits), size=(count, 2))
    images = np.zeros((count, 28, 28), np.float32)
    cut_labels = np.zeros(count, labels.dtype)
    for i, pair in enumerate(chosen):
        images[i], which = cut_from_pair(digits[pair[0]], digits[pair[1]], rng)
        cut_labels[i] = labels[pair[which]]
    return images, cut_labels
