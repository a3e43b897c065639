"""The conditions of bench/wild.py: each a named function (glyph, rng) -> Picture that changes one
thing about an ordinary phone photo of one digit written with a margin on paper, except the
framings that say otherwise (a small digit in a 12 MP photo, a thumbnail, a digit cropped to fill
its image). Those of light (a gradient, a shadow, a flash, a dim room, a fold's creases) are in
bench/wild_light.py; those that put marks beside the digit (a line under it, a ring round it,
print round it) in bench/wild_marks.py. The ordinary photo is bench/wild_shot.py; what it is
made of (paper, pens, light, the camera) is in bench/wild_render.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import cv2
import numpy as np
from wild_light import (
    flash_glare,
    folded,
    gradient,
    hand_shadow,
    low_light,
    overexposed,
    shadow_hard,
    shadow_soft,
    vignette,
)
from wild_marks import circled, printed_text, underlined
from wild_render import (
    MASK_COVERAGE,
    Pen,
    ballpoint,
    board,
    camera,
    chalk,
    everyday_pen,
    felt_tip,
    gradient_light,
    marker,
    paper,
    pen_coverage,
    pencil,
    print_dots,
    print_lines,
    table,
    write,
    write_light,
)
from wild_shot import Picture, ordinary_shot, photograph

TWELVE_MEGAPIXELS = (4000, 3000)
THUMBNAIL_LONG_SIDE = 160


# Paper ---------------------------------------------------------------------------------------


def _printed_blue(rng) -> tuple[float, float, float]:
    return (rng.uniform(120, 180), rng.uniform(160, 200), rng.uniform(200, 240))


def ruled(glyph, rng) -> Picture:
    """Lined paper; the digit sits on a line, touching or just crossing it."""
    shot = ordinary_shot(rng)
    w, h = shot.size
    spacing = shot.height / rng.uniform(0.7, 1.0)
    baseline = shot.centre[1] + shot.height / 2 + rng.uniform(-0.06, 0.03) * spacing
    thickness = max(1, round(spacing / 45))
    colour = _printed_blue(rng)
    margin = rng.uniform(0.03, 0.1) * w if rng.random() < 0.3 else None
    left_of_digit = shot.centre[0] - shot.height
    lines = [(0, y, w, y) for y in np.arange(baseline % spacing, h, spacing)]

    def printed(page, rng):
        print_lines(page, lines, colour, thickness)
        if margin is not None and margin < left_of_digit:
            print_lines(page, [(margin, 0, margin, h)], (220, 90, 100), thickness)

    return photograph(replace(shot, printed=printed), glyph, rng)


def squared(glyph, rng) -> Picture:
    """Squared (graph) paper: the digit spans about two squares and crosses the grid."""
    shot = ordinary_shot(rng)
    w, h = shot.size
    spacing = shot.height / rng.uniform(1.6, 2.6)
    x0, y0 = rng.uniform(0, spacing, size=2)
    lines = [(x, 0, x, h) for x in np.arange(x0, w, spacing)]
    lines += [(0, y, w, y) for y in np.arange(y0, h, spacing)]
    colour = _printed_blue(rng) if rng.random() < 0.6 else (rng.uniform(150, 200),) * 3
    thickness = max(1, round(spacing / 40))
    printed = lambda page, rng: print_lines(page, lines, colour, thickness)  # noqa: E731
    return photograph(replace(shot, printed=printed), glyph, rng)


def dotted(glyph, rng) -> Picture:
    shot = ordinary_shot(rng)
    spacing = shot.height / rng.uniform(1.6, 2.6)
    offset = rng.uniform(0, spacing, size=2)
    radius = max(1, round(spacing / 22))
    colour = (rng.uniform(110, 170),) * 3
    printed = lambda page, rng: print_dots(page, spacing, offset, radius, colour)  # noqa: E731
    return photograph(replace(shot, printed=printed), glyph, rng)


def chalkboard(glyph, rng) -> Picture:
    """Chalk on a blackboard: light ink on dark, grainy, lit unevenly."""
    shot = ordinary_shot(rng)
    slate = board(shot.size, rng)
    pen = chalk(rng)
    coverage = write_light(slate, pen_coverage(glyph, shot.height, pen, rng), shot.centre, pen)
    slate *= shot.light(shot.size, rng)[..., None]
    return Picture(camera(slate, rng, shot.blur, shot.noise), coverage, shot.quality)


# Pen -----------------------------------------------------------------------------------------


def _with_pen(make_pen: Callable[[np.random.Generator], Pen]):
    def condition(glyph, rng) -> Picture:
        shot = ordinary_shot(rng)
        return photograph(replace(shot, pen=make_pen(rng)), glyph, rng)

    return condition


# Framing -------------------------------------------------------------------------------------


def tilted_page(glyph, rng) -> Picture:
    """A sheet photographed at an angle, in perspective, with the table around it."""
    shot = ordinary_shot(rng)
    scene_w, scene_h = shot.size
    page_h = rng.uniform(0.55, 0.8) * scene_h
    page_w = page_h * (rng.uniform(0.7, 0.75) if rng.random() < 0.5 else rng.uniform(1.3, 1.42))
    page_w = min(page_w, 0.85 * scene_w)
    page_size = (round(page_w), round(page_h))
    page = paper(page_size, rng)
    height = rng.uniform(0.3, 0.45) * min(page_size)
    centre = (page_w * rng.uniform(0.4, 0.6), page_h * rng.uniform(0.4, 0.6))
    coverage = write(page, pen_coverage(glyph, height, shot.pen, rng), centre, shot.pen)
    source = np.float32([[0, 0], [page_w, 0], [page_w, page_h], [0, page_h]])
    target = _tilted_corners(source, (scene_w, scene_h), rng)
    warp = cv2.getPerspectiveTransform(source, target)

    def onto_scene(image, flags=cv2.INTER_LINEAR):
        return cv2.warpPerspective(image, warp, shot.size, flags=flags)

    covered = onto_scene(np.ones(page.shape[:2], np.float32))[..., None]
    scene = table(shot.size, rng) * (1 - covered) + onto_scene(page) * covered
    scene *= shot.light(shot.size, rng)[..., None]
    return Picture(camera(scene, rng, shot.blur, shot.noise), onto_scene(coverage), shot.quality)


def _tilted_corners(source: np.ndarray, scene: tuple[int, int], rng) -> np.ndarray:
    """The page's corners turned up to 25 degrees, pulled into perspective, kept in the scene."""
    centre = source.mean(axis=0)
    angle = np.radians(rng.uniform(-25, 25))
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = (source - centre) @ turn.T
    corners += rng.uniform(-0.07, 0.07, size=(4, 2)) * min(scene)  # perspective
    # Scale into the scene with a margin of table on every side, then shift off centre a little.
    span = corners.max(axis=0) - corners.min(axis=0)
    fit = min(1.0, *((np.array(scene) * rng.uniform(0.8, 0.92)) / span))
    corners = corners * fit
    room = (np.array(scene) - (corners.max(axis=0) - corners.min(axis=0))) / 2
    shift = np.array(scene) / 2 + rng.uniform(-1, 1, size=2) * room * 0.6
    return (corners + shift).astype(np.float32)


def small_in_12_megapixels(glyph, rng) -> Picture:
    """A digit 8-15 % of the height of a 4000x3000 photo of a page. The page's paper and light
    are made at an eighth of the size (they vary slowly), the digit at full resolution, and
    sensor noise comes from one tile repeated (a full-size normal draw costs seconds)."""
    w, h = TWELVE_MEGAPIXELS if rng.random() < 0.5 else TWELVE_MEGAPIXELS[::-1]
    height = rng.uniform(0.08, 0.15) * h
    centre = (w * rng.uniform(0.25, 0.75), h * rng.uniform(0.25, 0.75))
    pen = everyday_pen(rng)
    small = (
        paper((w // 8, h // 8), rng) * gradient_light((w // 8, h // 8), rng, (0.05, 0.3))[..., None]
    )
    image = cv2.resize(np.clip(small, 0, 255).astype(np.uint8), (w, h), cv2.INTER_LINEAR)
    coverage = pen_coverage(glyph, height, pen, rng)
    pad = 8
    left, top = round(centre[0] - coverage.shape[1] / 2), round(centre[1] - coverage.shape[0] / 2)
    x0, y0 = left - pad, top - pad
    x1, y1 = left + coverage.shape[1] + pad, top + coverage.shape[0] + pad
    patch = image[y0:y1, x0:x1].astype(np.float32)
    placed = write(patch, coverage, (patch.shape[1] / 2, patch.shape[0] / 2), pen)
    image[y0:y1, x0:x1] = camera(patch, rng, rng.uniform(1.0, 2.0), 0)
    _add_tiled_noise(image, rng, rng.uniform(2, 5))
    full_coverage = np.zeros((h, w), np.float32)
    full_coverage[y0:y1, x0:x1] = placed
    return Picture(image, full_coverage, int(rng.integers(85, 95)))


def _add_tiled_noise(image: np.ndarray, rng, sigma: float, tile: int = 512) -> None:
    noise = rng.normal(0, sigma, (tile, tile, 3))
    h, w = image.shape[:2]
    reps = (-(-h // tile), -(-w // tile), 1)
    up = np.tile(np.clip(noise, 0, 255).astype(np.uint8), reps)[:h, :w]
    down = np.tile(np.clip(-noise, 0, 255).astype(np.uint8), reps)[:h, :w]
    cv2.subtract(cv2.add(image, up, dst=image), down, dst=image)


def thumbnail(glyph, rng) -> Picture:
    """A phone's thumbnail of an ordinary photo: at most 160 px on its longer side."""
    photo = photograph(ordinary_shot(rng), glyph, rng)
    h, w = photo.coverage.shape
    factor = rng.uniform(96, THUMBNAIL_LONG_SIDE) / max(w, h)
    size = (max(8, round(w * factor)), max(8, round(h * factor)))
    pixels = cv2.resize(photo.pixels, size, interpolation=cv2.INTER_AREA)
    coverage = cv2.resize(photo.coverage, size, interpolation=cv2.INTER_AREA)
    return Picture(pixels, coverage, int(rng.integers(70, 90)))


def form_box(glyph, rng) -> Picture:
    """A digit written in a printed box of a form, sometimes one of a row of boxes."""
    shot = ordinary_shot(rng)
    shot = replace(shot, height=shot.height * 0.8)
    box_h = shot.height * rng.uniform(1.25, 1.6)
    box_w = box_h * rng.uniform(0.75, 1.0)
    cx = shot.centre[0] + rng.uniform(-0.05, 0.05) * box_w
    cy = shot.centre[1] + rng.uniform(-0.05, 0.05) * box_h
    top, bottom = cy - box_h / 2, cy + box_h / 2
    lefts = np.array([cx - box_w / 2])
    if rng.random() < 0.5:  # one of a row of boxes across the form
        lefts = np.arange(lefts[0] % box_w - box_w, shot.size[0] + box_w, box_w)
    right = lefts[-1] + box_w
    lines = [(x, top, x, bottom) for x in [*lefts, right]]
    lines += [(lefts[0], top, right, top), (lefts[0], bottom, right, bottom)]
    colour = (rng.uniform(20, 90),) * 3 if rng.random() < 0.6 else (30, 40, rng.uniform(110, 160))
    thickness = max(1, round(box_h / rng.uniform(25, 60)))
    printed = lambda page, rng: print_lines(page, lines, colour, thickness)  # noqa: E731
    return photograph(replace(shot, printed=printed), glyph, rng)


def cropped_to_fill(glyph, rng) -> Picture:
    """A scanned digit cropped to its ink's box with no margin, sometimes stretched, as postal
    and form scanners cut them: grey PNG."""
    pen = everyday_pen(rng)
    coverage = pen_coverage(glyph, rng.uniform(60, 160), pen, rng)
    rows = np.flatnonzero((coverage > MASK_COVERAGE).any(axis=1))
    cols = np.flatnonzero((coverage > MASK_COVERAGE).any(axis=0))
    coverage = coverage[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height = rng.uniform(24, 128)
    aspect = coverage.shape[1] / coverage.shape[0]
    if rng.random() < 0.5:
        aspect = rng.uniform(0.6, 1.3)  # stretched to the scanner's box
    size = (max(8, round(height * aspect)), max(8, round(height)))
    scan = np.full((*coverage.shape, 3), rng.uniform(235, 255), np.float32)
    write(scan, coverage, (coverage.shape[1] / 2, coverage.shape[0] / 2), pen)
    grey = cv2.cvtColor(np.clip(scan, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    return Picture(grey, cv2.resize(coverage, size, interpolation=cv2.INTER_AREA))


# Degradation ---------------------------------------------------------------------------------


def motion(glyph, rng) -> Picture:
    shot = ordinary_shot(rng)
    return photograph(replace(shot, motion=shot.height * rng.uniform(0.05, 0.12)), glyph, rng)


def jpeg_40(glyph, rng) -> Picture:
    return photograph(replace(ordinary_shot(rng), quality=40), glyph, rng)


def one_bit(glyph, rng) -> Picture:
    """A scanner's 1-bit (thresholded) output of a digit on white paper: a mode "1" PNG."""
    pen = everyday_pen(rng)
    height = rng.uniform(40, 200)
    coverage = pen_coverage(glyph, height, pen, rng)
    margin = rng.uniform(0.2, 0.8, size=2) * height
    size = (round(coverage.shape[1] + 2 * margin[0]), round(coverage.shape[0] + 2 * margin[1]))
    scan = np.full((size[1], size[0], 3), rng.uniform(235, 255), np.float32)
    placed = write(scan, coverage, (size[0] / 2, size[1] / 2), pen)
    scan += rng.normal(0, 4, scan.shape).astype(np.float32)
    grey = cv2.cvtColor(np.clip(scan, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    return Picture(grey > rng.uniform(110, 170), placed)


CONDITIONS: dict[str, Callable[[np.ndarray, np.random.Generator], Picture]] = {
    "gradient": gradient,
    "vignette": vignette,
    "shadow-hard": shadow_hard,
    "shadow-soft": shadow_soft,
    "flash": flash_glare,
    "ruled": ruled,
    "squared": squared,
    "dotted": dotted,
    "pencil": _with_pen(pencil),
    "ballpoint": _with_pen(ballpoint),
    "felt-tip": _with_pen(felt_tip),
    "marker": _with_pen(marker),
    "tilted-page": tilted_page,
    "small-in-12mp": small_in_12_megapixels,
    "thumbnail": thumbnail,
    "form-box": form_box,
    "cropped-to-fill": cropped_to_fill,
    "motion-blur": motion,
    "jpeg-40": jpeg_40,
    "one-bit": one_bit,
    # Last: sample i of a condition is drawn from (seed, the condition's place here, i), so a
    # condition added at the end leaves every other condition's images as they were.
    "overexposed": overexposed,
    "underlined": underlined,
    "circled": circled,
    "printed-text": printed_text,
    "low-light": low_light,
    "chalkboard": chalkboard,
    "folded": folded,
    "hand-shadow": hand_shadow,
}
