"""Digits drawn as ink for the number-reading tests: glyphs, touching pairs, broken digits."""

from __future__ import annotations

import numpy as np
from conftest import png_bytes, render_digit
from PIL import Image

from digitrec.imaging.masks import label_components
from digitrec.numbers import NumberReading, read_number
from digitrec.numbers.components import SEGMENT_THRESHOLD


def glyph(digit: str, height: int = 120) -> np.ndarray:
    """One digit in DejaVu Sans Bold as ink (white on black, 0..1), cropped to its ink."""
    drawn = render_digit(digit, size=(height * 2, height * 2), ink=255, paper=0, scale=0.5)
    ink = np.asarray(drawn, np.float32) / 255
    rows = np.flatnonzero(ink.max(axis=1) > 0)
    cols = np.flatnonzero(ink.max(axis=0) > 0)
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def touching(digits: str, overlap: int = 2) -> np.ndarray:
    """Glyphs moved together until their strokes touch, then `overlap` pixels further."""
    glyphs = [glyph(d) for d in digits]
    for gap in range(0, -60, -1):
        ink, _ = compose(glyphs, gaps=gap)
        if label_components(ink > SEGMENT_THRESHOLD)[1] == 1:
            return compose(glyphs, gaps=gap - overlap)[0]
    raise AssertionError(f"{digits} never touched")


def five_with_detached_bar() -> np.ndarray:
    """A 5 whose top bar was lifted off the stem, as when written in two strokes."""
    five = glyph("5").copy()
    bar_end = int(np.argmax(five[:, int(0.8 * five.shape[1])] < 0.5))  # first row under the bar
    five[bar_end + 1 : bar_end + 6] = 0.0
    return five


def five_with_shifted_bar(shift: int = 15) -> np.ndarray:
    """A 5 whose detached bar was also written `shift` pixels to the right of its stem."""
    five = five_with_detached_bar()
    bar_rows = int(np.argmax(five[:, int(0.8 * five.shape[1])] < 0.5)) + 1
    h, w = five.shape
    shifted = np.zeros((h, w + shift), np.float32)
    shifted[bar_rows:, :w] = five[bar_rows:]
    shifted[:bar_rows, shift : shift + w] = five[:bar_rows]
    return shifted


def zero_in_halves(gap: int = 8) -> np.ndarray:
    """A 0 whose loop is broken at the top and bottom into a left and a right half."""
    zero = glyph("0").copy()
    middle = zero.shape[1] // 2
    zero[:, middle - gap // 2 : middle + gap // 2] = 0.0
    return zero


def compose(
    glyphs: list[np.ndarray],
    gaps: list[int] | int = 40,
    drops: list[int] | None = None,
    margin: int = 40,
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Glyphs side by side (a negative gap overlaps them), each lowered by its `drops` pixels.

    Returns the ink canvas and each glyph's (x0, x1) columns.
    """
    gaps = [gaps] * len(glyphs) if isinstance(gaps, int) else gaps
    drops = drops or [0] * len(glyphs)
    width = sum(g.shape[1] for g in glyphs) + sum(gaps[:-1]) + 2 * margin
    height = max(g.shape[0] + d for g, d in zip(glyphs, drops, strict=True)) + 2 * margin
    canvas = np.zeros((height, width), np.float32)
    x, spans = margin, []
    for g, gap, drop in zip(glyphs, gaps, drops, strict=True):
        h, w = g.shape
        region = canvas[margin + drop : margin + drop + h, x : x + w]
        np.maximum(region, g, out=region)
        spans.append((x, x + w))
        x += w + gap
    return canvas, spans


def on_paper(ink: np.ndarray) -> Image.Image:
    """Dark ink on white paper, as a canvas or a scan would send it."""
    return Image.fromarray(np.round(255 * (1 - ink)).astype(np.uint8), mode="L")


def sheared(ink: np.ndarray, slant: float) -> np.ndarray:
    """Italic writing: each row shifted right by `slant` pixels per row above the bottom."""
    h = ink.shape[0]
    extra = int(abs(slant) * h) + 1
    image = Image.fromarray(np.pad(ink, ((0, 0), (0, extra))), mode="F")
    # Affine maps output (x, y) to input (x + slant * (y - h), y): the top leans right.
    image = image.transform(
        image.size, Image.Transform.AFFINE, (1, slant, -slant * h, 0, 1, 0), Image.BILINEAR
    )
    return np.asarray(image, np.float32)


def number_of(recogniser, ink: np.ndarray) -> NumberReading:
    return read_number(recogniser, png_bytes(on_paper(ink)))
