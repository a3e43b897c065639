"""Synthetic images that are not digits: letters, symbols, scribbles, noise, hatching, blobs.

Used twice, with different seeds: in training, as outlier exposure (the model learns to spread
its probability evenly over the ten digits for them), and to measure how many non-digits the
recogniser rejects. Every image is made MNIST-style with the same `fit_to_mnist_frame` as digits.
"""

from __future__ import annotations

import glob

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from digitrec.imaging.frame import fit_to_mnist_frame

# Letters and symbols that no handwritten digit resembles closely (no O, l, I, S, Z, B, g, q, G...).
GLYPHS = "ACEFHKLMNPRVWXYacdefhkmnprvwxy#%@*+=<>{}~"
KINDS = ("glyph", "scribble", "noise", "hatching", "blob")
_CANVAS = 112


def _fonts() -> list[str]:
    return sorted(glob.glob("/usr/share/fonts/truetype/dejavu/*.ttf"))


def _glyph(rng: np.random.Generator, fonts: list[str]) -> Image.Image:
    canvas = Image.new("L", (_CANVAS, _CANVAS), 0)
    draw = ImageDraw.Draw(canvas)
    if fonts:
        font = ImageFont.truetype(fonts[rng.integers(len(fonts))], int(rng.integers(50, 80)))
    else:
        font = ImageFont.load_default(size=int(rng.integers(50, 80)))
    draw.text((20, 10), GLYPHS[rng.integers(len(GLYPHS))], fill=255, font=font)
    return canvas.rotate(float(rng.uniform(-20, 20)), resample=Image.Resampling.BILINEAR)


def _scribble(rng: np.random.Generator) -> Image.Image:
    canvas = Image.new("L", (_CANVAS, _CANVAS), 0)
    draw = ImageDraw.Draw(canvas)
    points = rng.uniform(10, _CANVAS - 10, size=(int(rng.integers(6, 16)), 2))
    draw.line([tuple(p) for p in points], fill=255, width=int(rng.integers(3, 9)), joint="curve")
    return canvas


def _noise(rng: np.random.Generator) -> Image.Image:
    density = rng.uniform(0.05, 0.5)
    field = (rng.random((_CANVAS // 4, _CANVAS // 4)) < density).astype(np.uint8) * 255
    image = Image.fromarray(field).resize((_CANVAS, _CANVAS), Image.Resampling.NEAREST)
    return image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0, 2))))


def _hatching(rng: np.random.Generator) -> Image.Image:
    canvas = Image.new("L", (_CANVAS, _CANVAS), 0)
    draw = ImageDraw.Draw(canvas)
    spacing = int(rng.integers(8, 20))
    width = int(rng.integers(2, 6))
    for offset in range(0, _CANVAS, spacing):
        draw.line([(offset, 0), (offset, _CANVAS)], fill=255, width=width)
        if rng.random() < 0.5:
            draw.line([(0, offset), (_CANVAS, offset)], fill=255, width=width)
    return canvas.rotate(float(rng.uniform(0, 90)), resample=Image.Resampling.BILINEAR)


def _blob(rng: np.random.Generator) -> Image.Image:
    canvas = Image.new("L", (_CANVAS, _CANVAS), 0)
    draw = ImageDraw.Draw(canvas)
    for _ in range(int(rng.integers(1, 4))):
        x, y = rng.uniform(10, 70, size=2)
        w, h = rng.uniform(25, 45, size=2)
        if rng.random() < 0.5:
            draw.rectangle([x, y, x + w, y + h], fill=255)
        else:
            draw.polygon([tuple(p) for p in rng.uniform(5, 105, size=(5, 2))], fill=255)
    return canvas


def make_nondigits(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(images, kinds): images (count, 28, 28) float32 in [0, 1], kinds (count,) index into KINDS."""
    rng = np.random.default_rng(seed)
    fonts = _fonts()
    images = np.zeros((count, 28, 28), np.float32)
    kinds = rng.integers(len(KINDS), size=count)
    for i, kind in enumerate(kinds):
        name = KINDS[kind]
        if name == "glyph":
            canvas = _glyph(rng, fonts)
        elif name == "scribble":
            canvas = _scribble(rng)
        elif name == "noise":
            canvas = _noise(rng)
        elif name == "hatching":
            canvas = _hatching(rng)
        else:
            canvas = _blob(rng)
        images[i] = fit_to_mnist_frame(np.asarray(canvas, dtype=np.float32) / 255.0)
    return images, kinds
