"""An ordinary phone photo of one digit written on paper, the picture every condition of
bench/wild_conditions.py changes one thing of, and what a condition gives back (`Picture`).
What it is made of (paper, pens, light, the camera) is in bench/wild_render.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from wild_render import (
    Pen,
    camera,
    everyday_pen,
    flash,
    gradient_light,
    motion_blur,
    paper,
    pen_coverage,
    write,
)


@dataclass(frozen=True)
class Picture:
    """A condition's result before encoding: pixels and the pen's coverage on them."""

    pixels: np.ndarray  # (h, w, 3) RGB or (h, w) grey uint8, or (h, w) bool for a 1-bit scan
    coverage: np.ndarray  # (h, w) float32 0..1: how much of each pixel the digit's ink covers
    quality: int | None = None  # JPEG quality of a photo; None: a PNG scan


@dataclass(frozen=True)
class Shot:
    """An ordinary phone photo of one digit on paper; each condition changes one thing."""

    size: tuple[int, int]  # (width, height)
    height: float  # the digit's height, px
    centre: tuple[float, float]  # where the digit is written (x, y)
    pen: Pen
    light: Callable[[tuple[int, int], np.random.Generator], np.ndarray]
    blur: float  # lens blur, Gaussian sigma px
    noise: float  # sensor noise, grey levels at full light
    quality: int
    printed: Callable[[np.ndarray, np.random.Generator], None] | None = None  # before the pen
    motion: float = 0.0  # camera shake, px
    flash: bool = False


def _even_light(size, rng) -> np.ndarray:
    return gradient_light(size, rng, (0.0, 0.15))


def ordinary_shot(rng: np.random.Generator) -> Shot:
    long_side = rng.uniform(640, 1200)
    w, h = (long_side, long_side * 0.75) if rng.random() < 0.5 else (long_side * 0.75, long_side)
    height = rng.uniform(0.3, 0.55) * min(w, h)
    centre = (w * rng.uniform(0.42, 0.58), h * rng.uniform(0.42, 0.58))
    return Shot(
        size=(round(w), round(h)),
        height=height,
        centre=centre,
        pen=everyday_pen(rng),
        light=_even_light,
        blur=rng.uniform(0.4, 1.0) * long_side / 800,
        noise=rng.uniform(2, 6),
        quality=int(rng.integers(75, 93)),
    )


def photograph(shot: Shot, glyph: np.ndarray, rng: np.random.Generator) -> Picture:
    page = paper(shot.size, rng)
    if shot.printed is not None:
        shot.printed(page, rng)
    coverage = write(page, pen_coverage(glyph, shot.height, shot.pen, rng), shot.centre, shot.pen)
    page *= shot.light(shot.size, rng)[..., None]
    if shot.flash:
        page = flash(page, rng)
    if shot.motion:
        page = motion_blur(page, shot.motion, rng)
    return Picture(camera(page, rng, shot.blur, shot.noise), coverage, shot.quality)
