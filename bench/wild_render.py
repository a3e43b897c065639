"""What a photo of a handwritten digit is made of, for bench/wild.py: paper, print, pen, light,
table and camera.

Images are (h, w, 3) float32 RGB arrays in 0..255 until the camera encodes them. Ink is
subtractive: where a pen's coverage `alpha` is 1, the paper's light is multiplied by the pen's
colour, so blue ink on grey paper is darker blue, and a shadow darkens paper and ink alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# The pen's coverage above which a pixel counts as the digit's ink in the ground-truth mask.
MASK_COVERAGE = 0.35
NOISE_TILE = 256


@dataclass(frozen=True)
class Pen:
    """How a stroke looks: colour (RGB 0..255), how much light it absorbs, stroke weight
    (negative thins the digit's own strokes, positive thickens them, as a share of its height),
    pressure variation along the stroke (0..1) and graphite grain (0..1)."""

    colour: tuple[float, float, float]
    opacity: float
    weight: float
    pressure: float = 0.0
    grain: float = 0.0


# Pen colours people write with: black, blue, red, green, purple, brown.
INK_COLOURS = (
    (25, 25, 35),
    (25, 45, 150),
    (175, 30, 35),
    (20, 110, 55),
    (90, 40, 130),
    (95, 60, 35),
)


def ballpoint(rng: np.random.Generator) -> Pen:
    colour = INK_COLOURS[int(rng.choice([0, 1, 1, 2]))]
    return Pen(_varied(colour, rng), rng.uniform(0.8, 0.95), -rng.uniform(0.005, 0.015), 0.25)


def felt_tip(rng: np.random.Generator) -> Pen:
    colour = INK_COLOURS[int(rng.integers(len(INK_COLOURS)))]
    return Pen(_varied(colour, rng), rng.uniform(0.85, 0.97), rng.uniform(-0.005, 0.01), 0.1)


def marker(rng: np.random.Generator) -> Pen:
    colour = INK_COLOURS[int(rng.integers(len(INK_COLOURS)))]
    return Pen(_varied(colour, rng), rng.uniform(0.9, 1.0), rng.uniform(0.02, 0.04), 0.05)


def pencil(rng: np.random.Generator) -> Pen:
    """Graphite: grey, low contrast, grainy, thinner than the digit's own strokes."""
    level = rng.uniform(85, 130)
    colour = (level, level, level + rng.uniform(0, 12))
    return Pen(
        colour, rng.uniform(0.4, 0.65), -rng.uniform(0.0, 0.015), 0.35, rng.uniform(0.3, 0.6)
    )


def everyday_pen(rng: np.random.Generator) -> Pen:
    """A ballpoint or a felt-tip in a dark colour: what a digit is written with by default."""
    return ballpoint(rng) if rng.random() < 0.5 else felt_tip(rng)


def _varied(colour, rng: np.random.Generator) -> tuple[float, float, float]:
    return tuple(float(np.clip(c + rng.normal(0, 8), 0, 255)) for c in colour)


def glyph_of(digit_image: np.ndarray) -> np.ndarray:
    """A digit image (white ink on black, any scale) -> its ink cropped to its box with a
    one-pixel border, float32, its strokes' cores at 1."""
    values = np.asarray(digit_image, np.float32)
    rows = np.flatnonzero((values > 0).any(axis=1))
    cols = np.flatnonzero((values > 0).any(axis=0))
    crop = values[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    core = float(np.percentile(crop[crop > 0], 80))
    return np.pad(np.clip(crop / max(core, 1e-6), 0, 1), 1)


def pen_coverage(glyph: np.ndarray, height: float, pen: Pen, rng) -> np.ndarray:
    """The digit written `height` px tall (ink box) with `pen`: (h, w) coverage in 0..1, the
    share of each pixel the pen's stroke covers (its opacity is applied by `write`)."""
    scale = height / (glyph.shape[0] - 2)
    size = (max(2, round(glyph.shape[1] * scale)), max(2, round(glyph.shape[0] * scale)))
    smooth = cv2.GaussianBlur(
        cv2.resize(glyph, size, interpolation=cv2.INTER_CUBIC), (0, 0), 0.3 * scale
    )
    # A pen draws a stroke of one width with a sharp edge, where the enlarged digit is soft.
    coverage = np.clip((smooth - 0.3) / 0.3, 0, 1)
    weight = round(abs(pen.weight) * height)
    if weight:
        pad = weight + 1
        coverage = np.pad(coverage, pad)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * weight + 1,) * 2)
        morph = cv2.dilate if pen.weight > 0 else cv2.erode
        coverage = morph(coverage, kernel)
    if pen.pressure:
        coverage *= 1 - pen.pressure * smooth_noise(coverage.shape, rng, 0.15 * height)
    if pen.grain:
        grain = rng.random(coverage.shape, dtype=np.float32)
        coverage *= 1 - pen.grain * cv2.GaussianBlur(grain, (0, 0), 0.7)
    return coverage


def smooth_noise(shape: tuple[int, int], rng, scale: float) -> np.ndarray:
    """(h, w) float32 noise in 0..1 varying over about `scale` px."""
    h, w = shape
    small = rng.random((max(2, int(h / scale) + 2), max(2, int(w / scale) + 2)), dtype=np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def paper(size: tuple[int, int], rng, tint: tuple[float, float, float] | None = None):
    """(h, w, 3) paper: a near-white or a tinted sheet with blotches and fibre grain."""
    w, h = size
    if tint is None:
        level = rng.uniform(205, 250)
        tint = (level, level - rng.uniform(0, 8), level - rng.uniform(0, 20))
    blotches = 1 + 0.03 * (smooth_noise((h, w), rng, max(h, w) / 6) - 0.5)
    fibres = 1 + 0.025 * (smooth_noise((h, w), rng, 1.5) - 0.5)
    return (blotches * fibres)[..., None] * np.asarray(tint, np.float32)


def placed_on(page: np.ndarray, coverage: np.ndarray, centre) -> tuple[np.ndarray, tuple]:
    """The digit's coverage laid on a page-sized layer, centred at `centre` (x, y), and the
    window (rows, columns slices) it lies in: the ground truth of where the digit's ink is."""
    h, w = coverage.shape
    left, top = round(centre[0] - w / 2), round(centre[1] - h / 2)
    placed = np.zeros(page.shape[:2], np.float32)
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + h, page.shape[0]), min(left + w, page.shape[1])
    placed[y0:y1, x0:x1] = coverage[y0 - top : y1 - top, x0 - left : x1 - left]
    return placed, (slice(y0, y1), slice(x0, x1))


def write(page: np.ndarray, coverage: np.ndarray, centre, pen: Pen) -> np.ndarray:
    """Write the digit's coverage onto `page` (in place) centred at `centre` (x, y); returns the
    page-sized coverage (`placed_on`)."""
    placed, window = placed_on(page, coverage, centre)
    absorbed = 1 - np.asarray(pen.colour, np.float32) / 255
    page[window] *= 1 - pen.opacity * placed[window][..., None] * absorbed
    return placed


def chalk(rng: np.random.Generator) -> Pen:
    """Chalk: light, grainy, its pressure varying, on a board darker than it."""
    level = rng.uniform(190, 245)
    return Pen(
        (level, level, level - rng.uniform(0, 15)),
        rng.uniform(0.7, 0.95),
        rng.uniform(0.0, 0.015),
        0.3,
        rng.uniform(0.3, 0.6),
    )


def write_light(board: np.ndarray, coverage: np.ndarray, centre, pen: Pen) -> np.ndarray:
    """`write` for a light pen on a dark board: where the chalk covers, its own colour shows
    instead of the board's."""
    placed, window = placed_on(board, coverage, centre)
    alpha = pen.opacity * placed[window][..., None]
    board[window] = board[window] * (1 - alpha) + alpha * np.asarray(pen.colour, np.float32)
    return placed


def board(size: tuple[int, int], rng) -> np.ndarray:
    """(h, w, 3) a blackboard: dark green or black slate, with the haze of chalk wiped off."""
    w, h = size
    if rng.random() < 0.6:
        colour = (rng.uniform(30, 55), rng.uniform(55, 85), rng.uniform(45, 65))
    else:
        colour = (rng.uniform(25, 50),) * 3
    slate = (0.9 + 0.2 * smooth_noise((h, w), rng, max(w, h) / 4))[..., None] * np.float32(colour)
    haze = rng.uniform(0, 30) * smooth_noise((h, w), rng, max(w, h) / 3)
    return slate + haze[..., None]


def print_lines(page, lines, colour, thickness: int) -> None:
    """Draw straight printed lines ((x0, y0, x1, y1) each) onto `page`, anti-aliased."""
    layer = np.zeros(page.shape[:2], np.uint8)
    for x0, y0, x1, y1 in lines:
        cv2.line(layer, (round(x0), round(y0)), (round(x1), round(y1)), 255, thickness, cv2.LINE_AA)
    _print(page, layer, colour)


def print_dots(page, spacing: float, offset, radius: int, colour) -> None:
    layer = np.zeros(page.shape[:2], np.uint8)
    h, w = layer.shape
    for y in np.arange(offset[1] % spacing, h, spacing):
        for x in np.arange(offset[0] % spacing, w, spacing):
            cv2.circle(layer, (round(x), round(y)), radius, 255, -1, cv2.LINE_AA)
    _print(page, layer, colour)


# Print round a digit: the words of a worksheet or a form, in OpenCV's Hershey fonts.
PRINT_WORDS = (  # noqa: SIM905 (a sentence reads better than thirty quoted words)
    "the answer write it below in box total score name date class how many are there sum of "
    "and each question marks page add seven five plus equals left right"
).split()
PRINT_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX)


def print_text(page, spans, cap_height: float, colour, rng) -> None:
    """Print lines of words onto `page`: each span (x0, baseline, x1) filled with random words
    from PRINT_WORDS as far as x1, capitals `cap_height` px tall, in one font and weight."""
    font = int(rng.choice(PRINT_FONTS))
    scale = cap_height / cv2.getTextSize("H", font, 1.0, 1)[0][1]
    layer = np.zeros(page.shape[:2], np.uint8)
    for x0, baseline, x1 in spans:
        text = ""
        while True:
            longer = f"{text} {rng.choice(PRINT_WORDS)}".strip()
            if x0 + cv2.getTextSize(longer, font, scale, 1)[0][0] > x1:
                break
            text = longer
        cv2.putText(layer, text, (round(x0), round(baseline)), font, scale, 255, 1, cv2.LINE_AA)
    # A font's strokes are a ninth to a fifth of its capitals' height (regular to bold); OpenCV
    # draws them a pixel or two wide whatever the thickness asked for.
    bold = round(cap_height * rng.uniform(1 / 9, 1 / 5))
    if bold > 2:
        layer = cv2.dilate(layer, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (bold - 1,) * 2))
    _print(page, layer, colour)


def _print(page, layer: np.ndarray, colour) -> None:
    """Multiply `page` by the printed colour where `layer` (uint8 coverage) has print: only
    those pixels, a few percent of the page."""
    ys, xs = np.nonzero(layer)
    absorbed = 1 - np.asarray(colour, np.float32) / 255
    page[ys, xs] *= 1 - (layer[ys, xs].astype(np.float32) / 255)[:, None] * absorbed


def gradient_light(size, rng, depth: tuple[float, float] = (0.35, 0.6)) -> np.ndarray:
    """(h, w) light falling off linearly across the page in a random direction."""
    w, h = size
    ys, xs = np.ogrid[0:h, 0:w]
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * xs / w + np.sin(angle) * ys / h
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    return 1 - rng.uniform(*depth) * ramp


def vignette_light(size, rng) -> np.ndarray:
    """(h, w) light falling off radially: the corners 35-60 % as bright as the centre."""
    w, h = size
    ys, xs = np.ogrid[0:h, 0:w]
    cx, cy = w * rng.uniform(0.4, 0.6), h * rng.uniform(0.4, 0.6)
    r2 = ((xs - cx) / w) ** 2 + ((ys - cy) / h) ** 2
    return 1 - rng.uniform(0.4, 0.65) * np.clip(r2 / 0.5, 0, 1) ** rng.uniform(0.8, 1.5)


def shadow_light(size, rng, softness: float) -> np.ndarray:
    """(h, w) light with a straight shadow edge across the central part of the page; the edge
    blurred over `softness` px. The shaded side gets 40-65 % of the light."""
    w, h = size
    ys, xs = np.ogrid[0:h, 0:w]
    angle = rng.uniform(0, np.pi)
    px, py = w * rng.uniform(0.2, 0.8), h * rng.uniform(0.2, 0.8)
    distance = (xs - px) * np.cos(angle) + (ys - py) * np.sin(angle)
    shaded = 1 / (1 + np.exp(np.clip(distance / max(softness / 4, 0.3), -30, 30)))
    return 1 - rng.uniform(0.35, 0.6) * shaded


def flash(image: np.ndarray, rng) -> np.ndarray:
    """A phone's flash: light falling off from a centre, and a glare spot washing it out."""
    h, w = image.shape[:2]
    ys, xs = np.ogrid[0:h, 0:w]
    cx, cy = w * rng.uniform(0.3, 0.7), h * rng.uniform(0.3, 0.7)
    r2 = ((xs - cx) / w) ** 2 + ((ys - cy) / h) ** 2
    lit = image * (1 - rng.uniform(0.25, 0.45) * np.clip(r2 / 0.5, 0, 1))[..., None]
    spot = rng.uniform(0.05, 0.15) * max(w, h)
    glare = rng.uniform(0.3, 0.6) * np.exp(-(((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * spot**2)))
    return lit + (255 - lit) * glare[..., None]


def table(size, rng) -> np.ndarray:
    """(h, w, 3) a surface around a page: wood grain, a dark desk or a coloured cloth."""
    w, h = size
    kind = rng.integers(3)
    if kind == 0:
        base = np.array([rng.uniform(120, 175), rng.uniform(75, 110), rng.uniform(40, 70)])
        grain = smooth_noise((h, max(2, w // 40)), rng, 3)
        grain = cv2.resize(grain, (w, h), interpolation=cv2.INTER_LINEAR)
        if rng.random() < 0.5:
            grain = cv2.resize(grain.T, (w, h), interpolation=cv2.INTER_LINEAR)
        shade = 0.75 + 0.35 * grain
    else:
        base = np.full(3, rng.uniform(35, 95)) if kind == 1 else rng.uniform(40, 200, size=3)
        shade = 0.9 + 0.2 * smooth_noise((h, w), rng, max(w, h) / 5)
    return shade[..., None] * base.astype(np.float32)


def motion_blur(image: np.ndarray, length: float, rng) -> np.ndarray:
    """The camera moving `length` px in a random direction while the shutter is open."""
    size = max(3, int(length) | 1)
    kernel = np.zeros((size, size), np.float32)
    kernel[size // 2, :] = 1
    rotation = cv2.getRotationMatrix2D((size / 2 - 0.5, size / 2 - 0.5), rng.uniform(0, 180), 1)
    kernel = cv2.warpAffine(kernel, rotation, (size, size))
    return cv2.filter2D(image, -1, kernel / kernel.sum(), borderType=cv2.BORDER_REFLECT)


def camera(image: np.ndarray, rng, blur: float, noise: float) -> np.ndarray:
    """A phone camera's lens blur and sensor noise: uint8 RGB.

    The noise is one 256 px tile of normal noise laid at a random offset: drawing a fresh
    normal number for every pixel would cost more than everything else in a photo together."""
    if blur > 0:
        image = cv2.GaussianBlur(image, (0, 0), blur)
    if noise > 0:
        h, w = image.shape[:2]
        tile = rng.standard_normal((NOISE_TILE, NOISE_TILE, image.shape[2]), dtype=np.float32)
        tile = np.roll(tile, rng.integers(NOISE_TILE, size=2), axis=(0, 1))
        reps = (-(-h // NOISE_TILE), -(-w // NOISE_TILE), 1)
        image = image + noise * np.tile(tile, reps)[:h, :w]
    return np.clip(image, 0, 255, out=image).astype(np.uint8)


def jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, encoded = cv2.imencode(
        ".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    )
    if not ok:
        raise RuntimeError("OpenCV could not encode the JPEG")
    return encoded.tobytes()


def png(image: np.ndarray) -> bytes:
    """PNG of an RGB (h, w, 3) or grey (h, w) uint8 array."""
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise RuntimeError("OpenCV could not encode the PNG")
    return encoded.tobytes()
