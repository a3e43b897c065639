"""Digits drawn the ways people send them, for the recognition benchmark: a seeded generator.

    from handwriting import STYLES, make_style
    images, labels = make_style("photo", count=200, seed=0)   # PIL images, digit labels

Every image is a DejaVu digit (the fonts this machine has as it comes), so accuracy here says
how well preprocessing carries printed-looking digits of any style into MNIST's frame. Each
style varies one thing people do differently from MNIST; all of them vary the font and size.
"""

from __future__ import annotations

import glob
import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
# Upright, proportional faces: Mono's slashed zero and the italic faces are a different task.
FONT_NAMES = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSansCondensed.ttf",
    "DejaVuSansCondensed-Bold.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
)
STYLES = (
    "canvas",  # black on a white 280x280 canvas, centred, as a drawing pad sends it
    "transparent",  # black strokes on a transparent canvas (RGBA PNG)
    "off-centre",  # drawn in a corner of the canvas
    "small",  # a tenth to a fifth of the canvas
    "thick",  # a fat marker
    "thin",  # a fine pen
    "rotated",  # tilted up to 15 degrees either way
    "colour",  # coloured ink on coloured paper
    "light-on-dark",  # chalk on a blackboard, white on a dark screen
    "photo",  # a phone photo of paper: uneven light, blur, sensor noise, JPEG
)


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(f"{FONT_DIR}/{name}", size)


def available_fonts() -> list[str]:
    present = {path.rsplit("/", 1)[-1] for path in glob.glob(f"{FONT_DIR}/*.ttf")}
    return [name for name in FONT_NAMES if name in present]


def draw_digit(
    digit: int,
    size: tuple[int, int],
    height: float,
    centre: tuple[float, float],
    font: str,
    ink: tuple[int, int, int, int] = (0, 0, 0, 255),
    paper: tuple[int, int, int, int] = (255, 255, 255, 255),
    stroke: int = 0,
    angle: float = 0.0,
) -> Image.Image:
    """An RGBA image with `digit` about `height` px tall, centred at `centre`, turned `angle`."""
    glyph_font = _font(font, max(8, int(height * 1.35)))
    text = str(digit)
    left, top, right, bottom = glyph_font.getbbox(text, stroke_width=stroke)
    pad = stroke + 4
    layer = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(layer).text(
        (pad - left, pad - top),
        text,
        fill=255,
        font=glyph_font,
        stroke_width=stroke,
        stroke_fill=255,
    )
    if angle:
        layer = layer.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    # Scale so the glyph's ink is `height` tall whatever the face's proportions.
    box = layer.getbbox() or (0, 0, layer.width, layer.height)
    layer = layer.crop(box)
    factor = height / layer.height
    layer = layer.resize(
        (max(1, round(layer.width * factor)), max(1, round(layer.height * factor))),
        Image.Resampling.LANCZOS,
    )
    image = Image.new("RGBA", size, paper)
    colour = Image.new("RGBA", layer.size, ink)
    position = (round(centre[0] - layer.width / 2), round(centre[1] - layer.height / 2))
    image.paste(colour, position, layer)
    return image


def _light(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """(h, w) multiplicative illumination: a gradient plus a soft shadow, 0.45..1."""
    w, h = size
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    direction = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(direction) * xs / w + np.sin(direction) * ys / h + 1) / 2
    light = 1.0 - rng.uniform(0.15, 0.35) * ramp
    cx, cy, radius = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.3, 0.7) * max(w, h)
    shadow = np.exp(-(((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * radius**2)))
    return np.clip(light - rng.uniform(0.1, 0.25) * shadow, 0.45, 1.0)


def _photo(rng: np.random.Generator, digit: int, font: str) -> Image.Image:
    size = (int(rng.integers(480, 1280)), int(rng.integers(360, 960)))
    height = rng.uniform(0.35, 0.7) * size[1]
    centre = (size[0] / 2 + rng.uniform(-0.15, 0.15) * size[0], size[1] / 2)
    ink_level = int(rng.integers(20, 90))
    paper_level = int(rng.integers(200, 245))
    sharp = draw_digit(
        digit,
        size,
        height,
        centre,
        font,
        ink=(ink_level, ink_level, ink_level + 10, 255),
        paper=(paper_level, paper_level - 5, paper_level - 15, 255),
        stroke=int(rng.integers(0, 3)) * size[1] // 200,
        angle=float(rng.uniform(-8, 8)),
    ).convert("RGB")
    blurred = sharp.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 2.5))))
    pixels = np.asarray(blurred, dtype=np.float32) * _light(rng, size)[..., None]
    pixels += rng.normal(0, rng.uniform(3, 10), pixels.shape)
    noisy = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="RGB")
    buffer = io.BytesIO()
    noisy.save(buffer, format="JPEG", quality=int(rng.integers(50, 90)))
    return Image.open(io.BytesIO(buffer.getvalue()))


def _colour_pair(rng: np.random.Generator):
    """Coloured ink and coloured paper whose brightness differs clearly."""
    paper = tuple(int(v) for v in rng.integers(170, 256, size=3))
    ink = tuple(int(v) for v in rng.integers(0, 120, size=3))
    order = rng.permutation(3)  # blue ink on yellow, red on green, ...
    return (*[ink[i] for i in order], 255), (*paper, 255)


def make_image(style: str, digit: int, rng: np.random.Generator, fonts: list[str]) -> Image.Image:
    """One digit drawn in `style` (see STYLES)."""
    font = fonts[int(rng.integers(len(fonts)))]
    canvas = (280, 280)
    height = rng.uniform(150, 220)
    centre = (140 + rng.uniform(-15, 15), 140 + rng.uniform(-15, 15))
    stroke = int(rng.integers(0, 6))
    if style == "canvas":
        return draw_digit(digit, canvas, height, centre, font, stroke=stroke).convert("L")
    if style == "transparent":
        return draw_digit(digit, canvas, height, centre, font, paper=(0, 0, 0, 0), stroke=stroke)
    if style == "off-centre":
        height = rng.uniform(70, 120)
        corner = rng.uniform(height * 0.6, 280 - height * 0.6, size=2)
        return draw_digit(digit, canvas, height, tuple(corner), font, stroke=stroke // 2).convert(
            "RGB"
        )
    if style == "small":
        height = rng.uniform(28, 56)
        spot = tuple(rng.uniform(40, 240, size=2))
        return draw_digit(digit, canvas, height, spot, font).convert("L")
    if style == "thick":
        return draw_digit(digit, canvas, height, centre, font, stroke=int(rng.integers(10, 17)))
    if style == "thin":
        thin_font = "DejaVuSans-ExtraLight.ttf" if rng.random() < 0.7 else font
        return draw_digit(digit, canvas, height, centre, thin_font).convert("L")
    if style == "rotated":
        angle = float(rng.choice([-1, 1]) * rng.uniform(5, 15))
        return draw_digit(digit, canvas, height, centre, font, stroke=stroke, angle=angle)
    if style == "colour":
        ink, paper = _colour_pair(rng)
        return draw_digit(digit, canvas, height, centre, font, ink, paper, stroke).convert("RGB")
    if style == "light-on-dark":
        level = int(rng.integers(0, 70))
        paper = (level, level, int(level + rng.integers(0, 50)), 255)
        ink = (*(int(v) for v in rng.integers(200, 256, size=3)), 255)
        return draw_digit(digit, canvas, height, centre, font, ink, paper, stroke).convert("RGB")
    if style == "photo":
        return _photo(rng, digit, font)
    raise ValueError(f"unknown style {style!r}; choose one of {', '.join(STYLES)}")


def make_style(style: str, count: int, seed: int = 0) -> tuple[list[Image.Image], np.ndarray]:
    """`count` images of `style`, digits 0-9 in turn, reproducible from `seed`."""
    rng = np.random.default_rng([seed, STYLES.index(style)])
    fonts = available_fonts()
    labels = np.arange(count) % 10
    return [make_image(style, int(digit), rng, fonts) for digit in labels], labels
