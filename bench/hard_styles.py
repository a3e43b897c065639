"""Hard writing styles for the feedback benchmark's simulated round, made from MNIST digits.

Each style turns a 28x28 MNIST digit (white ink on black) into the PNG a user would send, dark
ink on paper at 112x112: cheaper to make than bench/wild.py's photos, and applied to the very
digits a round corrects. `worst_style` picks the one the model reads worst.

    thin_pencil    faint grey strokes, thinned, on light grey paper with grain
    heavy_shadow   dark ink on paper that falls from white to shadow across the digit
    low_res_scan   the digit at 10-12 px, blown up with hard 1-bit edges
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

SIDE = 112


def _png(grey: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def _ink(digit: np.ndarray) -> np.ndarray:
    """(28, 28) uint8 -> (SIDE, SIDE) float ink in [0, 1]."""
    return cv2.resize(digit.astype(np.float32) / 255.0, (SIDE, SIDE), interpolation=cv2.INTER_CUBIC).clip(0, 1)  # fmt: skip


def thin_pencil(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    ink = cv2.erode(_ink(digit), np.ones((5, 5), np.uint8))
    paper, lead = rng.uniform(215, 235), rng.uniform(110, 150)
    grey = paper - (paper - lead) * ink + rng.normal(0, 4, ink.shape)
    return _png(grey)


def heavy_shadow(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    ink = _ink(digit)
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:SIDE, 0:SIDE] / SIDE - 0.5
    along = (xs * np.cos(angle) + ys * np.sin(angle)) * 1.4 + 0.5
    light = 245 - 130 * np.clip(along, 0, 1)  # paper from 245 down to 115
    grey = light * (1 - 0.85 * ink) + rng.normal(0, 3, ink.shape)
    return _png(grey)


def low_res_scan(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    size = int(rng.integers(10, 13))
    small = cv2.resize(digit, (size, size), interpolation=cv2.INTER_AREA)
    big = cv2.resize(small, (SIDE, SIDE), interpolation=cv2.INTER_NEAREST)
    return _png(np.where(big > 100, 20, 235))


STYLES = {"thin_pencil": thin_pencil, "heavy_shadow": heavy_shadow, "low_res_scan": low_res_scan}


def render(style: str, digits: np.ndarray, seed: int) -> list[bytes]:
    rng = np.random.default_rng(seed)
    return [STYLES[style](digit, rng) for digit in digits]


def accuracy(recogniser, images: list[bytes], labels: np.ndarray) -> float:
    """Share read as their label, through the server's own path (decode, frame, model)."""
    answers = recogniser.recognise(images)
    read = [a.prediction.digit if a.prediction.is_digit else None for a in answers]
    return float(np.mean([r == int(label) for r, label in zip(read, labels, strict=True)]))


def worst_style(recogniser, digits: np.ndarray, labels: np.ndarray, seed: int) -> dict[str, float]:
    """Accuracy of the model on each style, worst first."""
    scores = {style: accuracy(recogniser, render(style, digits, seed), labels) for style in STYLES}
    return dict(sorted(scores.items(), key=lambda item: item[1]))
