"""Numbers composed from MNIST digits, drawn as users send them: what the numbers benchmark
reads (test digits) and what training cuts into pieces (`digitrec.training.number_pieces`, training
digits).

Digits stand side by side with gaps from 3 px of overlap to half a digit height, scale and
baseline jitter, on a canvas-like white background (PNG) or a photo-like one (uneven paper,
blur, noise, JPEG). Seeded by the caller's generator, so the same seed composes the same numbers.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from digitrec.training.digit_pairs import ink_crop, scaled

STYLES = ("canvas", "photo")


@dataclass(frozen=True)
class ComposedNumber:
    ink: np.ndarray  # (h, w) float32 in [0, 1], white ink on black
    spans: list[tuple[int, int]]  # each digit's (x0, x1) columns, left to right
    layers: list[tuple[int, int, np.ndarray]]  # each digit's (y, x, ink) as placed


def digit_crops(images: np.ndarray) -> list[np.ndarray]:
    """Each MNIST digit cropped to its ink, float32 in [0, 1]."""
    return [ink_crop(image) for image in images]


def compose_ink(crops: list[np.ndarray], rng: np.random.Generator) -> ComposedNumber:
    """Digits side by side on black: gaps of -3 px (overlap) up to half a digit height."""
    height = rng.uniform(32, 64)  # one number's digit height in pixels
    drift = rng.uniform(-0.15, 0.15)  # the baseline wanders by up to this share of a height
    placed = []
    for index, crop in enumerate(crops):
        scale = height / 20 * rng.uniform(0.85, 1.15)  # MNIST digits are 20 px tall
        baseline = height * (drift * index + rng.normal(0, 0.05))
        placed.append((scaled(crop, scale), baseline))
    margin = round(height * 0.4)
    total_w = sum(p.shape[1] for p, _ in placed) + round(height * 0.5) * len(placed) + 2 * margin
    lowest = min(base for _, base in placed)
    total_h = round(max(p.shape[0] + base - lowest for p, base in placed)) + 2 * margin
    canvas = np.zeros((total_h, total_w), np.float32)
    x = margin
    spans, layers = [], []
    for ink, base in placed:
        h, w = ink.shape
        spans.append((x, x + w))
        y = round(total_h - margin - h - (base - lowest))
        layers.append((y, x, ink))
        region = canvas[y : y + h, x : x + w]
        np.maximum(region, ink, out=region)
        x += w + int(rng.integers(-3, round(height * 0.5) + 1))
    used = np.flatnonzero(canvas.any(axis=0))[-1] + 1 + margin
    return ComposedNumber(canvas[:, :used], spans, layers)


def render(ink: np.ndarray, style: str, rng: np.random.Generator) -> bytes:
    """An ink map drawn as a user would send it: PNG canvas, or JPEG photo of paper."""
    h, w = ink.shape
    if style == "canvas":
        colour = np.array([rng.integers(0, 60), rng.integers(0, 60), rng.integers(0, 120)])
        paper = np.full(3, 255.0)
        pixels = paper - ink[..., None] * (paper - colour)
        image = Image.fromarray(pixels.astype(np.uint8), "RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xs / w + np.sin(angle) * ys / h) * rng.uniform(20, 70)
    paper = rng.uniform(170, 235) - ramp + rng.uniform(-5, 5)
    ink_level = rng.uniform(20, 80)
    grey = paper - ink * (paper - ink_level)
    image = Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8), "L")
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    noisy = np.asarray(image, np.float32) + rng.normal(0, rng.uniform(2, 8), (h, w))
    tint = np.array([1.0, rng.uniform(0.92, 1.0), rng.uniform(0.8, 1.0)])
    rgb = np.clip(noisy[..., None] * tint, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, format="JPEG", quality=int(rng.integers(60, 92)))
    return buffer.getvalue()
