"""Grey -> ink: white strokes on black, 0..255, whatever the picture was.

How preprocessing reads a grey picture of a digit: on a clean background (a canvas, a scan,
MNIST) the paper and the ink's polarity from the histogram, contrast stretched so that faint or
thin strokes reach full strength, and specks of noise (small components of ink) dropped; a
photo goes to `digitrec.imaging.photo`. `ink_image` does all of it; `digitrec.imaging.preprocess`
frames what it finds the way MNIST did. On copies reduced to a few hundred pixels.
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image

from digitrec.imaging.masks import grown, label_components
from digitrec.imaging.photo import PHOTO_LONG_SIDE, photo_ink

# An image whose strongest ink differs from its clean background by less than this (0..255,
# relative to the paper's brightness) holds no ink at all.
MIN_INK_CONTRAST = 12
# A clean background's outermost pixels are its paper, but for strokes crossing them. A picture
# as large as a photo (PHOTO_LONG_SIDE) on white paper with more of them than this darker than
# the paper by MIN_INK_CONTRAST is a photo of a page blown out to white in bright light, its
# light falling off beyond (dark corners, a shadow, the table): one exact level over half the
# picture too. The photo path reads it; there, a drawing whose strokes run along its border is
# still read as a scan (`digitrec.imaging.photo.photo_ink`).
BORDER_INK_SHARE = 0.05
WHITE = 250
# Ink in a component with less than this share of the heaviest component's ink is a speck.
SPECK_FRACTION = 0.05
# Specks are found on a copy at most this big; pieces closer than a pixel there stay together.
_SPECK_LONG_SIDE = 32

# Per-image work on 256-entry tables is a few microseconds per numpy call: what can be is built
# once here.
_LEVELS = np.arange(256, dtype=np.float32)


def _levels_at(histogram: np.ndarray, *fractions: float) -> list[int]:
    """The levels (bin numbers) below which each of `fractions` of a histogram's pixels lie."""
    cumulative = np.cumsum(histogram)
    targets = np.multiply(fractions, cumulative[-1])
    return np.searchsorted(cumulative, targets, side="left").tolist()


def _level_at(histogram: np.ndarray, fraction: float) -> int:
    """The grey level below which `fraction` of a 256-bin histogram's pixels lie."""
    return _levels_at(histogram, fraction)[0]


def _is_one_level(histogram: np.ndarray, paper: int) -> bool:
    """Whether the background is one exact grey level: the robust spread around `paper` (1.4826
    x the median absolute deviation) is under 1, which is to say the median deviation is 0,
    which is to say at least half the pixels are exactly `paper`."""
    return bool(histogram[paper] >= 0.5 * histogram.sum())


def reduced(image: Image.Image, long_side: int) -> tuple[Image.Image, int]:
    """A box-reduced copy no longer than `long_side`, and the integer factor used."""
    factor = -(-max(image.size) // long_side)
    return (image.reduce(factor) if factor > 1 else image), factor


def _paper_and_polarity(histogram: np.ndarray) -> tuple[int, bool] | None:
    """(the paper's grey level, whether the ink is darker), or None for a flat picture.

    The paper is the median pixel (ink covers a minority of any picture of a digit); the ink lies
    on the side of the median where the extremes reach furthest.
    """
    paper, darkest, lightest = _levels_at(histogram, 0.5, 0.0005, 0.9995)
    if lightest - darkest < 2:
        return None
    return paper, paper - darkest > lightest - paper


@functools.lru_cache(maxsize=512)  # one per (paper, dark_ink): 512 in all
def _clean_contrast_levels(paper: int, dark_ink: bool) -> np.ndarray:
    """Grey level -> ink contrast (0..255, int64) on a background of exactly one level."""
    if dark_ink:  # relative to the paper's brightness, as a photo's is
        table = 255.0 * np.clip(1.0 - _LEVELS / max(paper, 1), 0.0, 1.0)
    else:
        table = np.clip(_LEVELS - paper, 0.0, 255.0)
    levels = np.round(table).astype(np.int64)
    levels.flags.writeable = False  # shared by every call
    return levels


def _stroke_core(histogram: np.ndarray) -> float | None:
    """The contrast of stroke cores (to become ink 255) in a contrast histogram of a clean
    background; None: no ink at all."""
    strongest = _level_at(histogram, 0.999)
    if strongest < MIN_INK_CONTRAST:
        return None
    # Stroke cores: the level that 90 % of the pixels at least half as strong as the strongest
    # reach. A scan or MNIST digit is already saturated there and is left as it is.
    cores = histogram.copy()
    cores[: strongest // 2] = 0
    return max(_level_at(cores, 0.9), 1.0)


class LookupTable(Image.ImagePointHandler):
    """A 256-entry grey -> ink table for `Image.point`.

    Handing Pillow a plain list makes it round all 256 entries in Python on every call (about
    a tenth of a canvas's preprocessing); as a point handler the table goes to Pillow's C
    code as it is.
    """

    def __init__(self, table: np.ndarray):
        self.table = np.round(table).astype(np.uint8).tolist()

    def point(self, image: Image.Image) -> Image.Image:
        return image._new(image.im.point(self.table, None))


def _lut(table: np.ndarray) -> LookupTable:
    return LookupTable(table)


def clean_ink_table(histogram: np.ndarray, paper: int, dark_ink: bool) -> LookupTable | None:
    """Grey level -> ink level (0..255) on a background of one exact level; None if no ink."""
    to_contrast = _clean_contrast_levels(paper, dark_ink)
    contrast_histogram = np.bincount(to_contrast, weights=histogram, minlength=256)
    core = _stroke_core(contrast_histogram)
    return None if core is None else _clean_lut(paper, dark_ink, core)


@functools.lru_cache(maxsize=1024)  # canvases and scans share a handful of these
def _clean_lut(paper: int, dark_ink: bool, core: float) -> LookupTable:
    stretch = 255.0 * np.clip(_LEVELS / core, 0.0, 1.0)  # the floor is 0 on a clean background
    return _lut(stretch[_clean_contrast_levels(paper, dark_ink)])


def clean_background(
    histogram: np.ndarray, pixels: np.ndarray, long_side: int
) -> tuple[int, bool] | None:
    """(paper, dark_ink) when the background of `pixels` ((h, w) uint8, `histogram` theirs, of
    a picture `long_side` px long) is one exact grey level: a canvas, a scan, MNIST, but not a
    photo's paper blown out to white (see BORDER_INK_SHARE)."""
    found = _paper_and_polarity(histogram)
    if found is None or not _is_one_level(histogram, found[0]):
        return None
    paper, dark_ink = found
    white_paper = dark_ink and paper >= WHITE
    if (
        long_side >= PHOTO_LONG_SIDE
        and white_paper
        and _light_falls_off_at_the_border(pixels, paper)
    ):
        return None
    return found


def _light_falls_off_at_the_border(pixels: np.ndarray, paper: int) -> bool:
    """Whether more than BORDER_INK_SHARE of the outermost pixels are darker than the paper."""
    dark = (paper - pixels.astype(np.int16)) >= MIN_INK_CONTRAST
    ring = np.concatenate((dark[0], dark[-1], dark[:, 0], dark[:, -1]))
    return bool(ring.mean() > BORDER_INK_SHARE)


def ink_of_grey(grey: Image.Image, scale: int = 1) -> Image.Image | None:
    """Grey, each pixel `scale` x `scale` of the original's -> ink ("L", white on black,
    background removed, contrast stretched); None if none.

    A clean background (a canvas, a scan, MNIST itself) is one grey level: the whole way from
    grey to ink is then one lookup table, read off the histogram. Anything else is a photo of
    writing on paper: `digitrec.imaging.photo` evens its light out and takes away the page's
    edge, the table, printed lines, shadows and specks.
    """
    histogram = np.asarray(grey.histogram(), dtype=np.float64)
    if _paper_and_polarity(histogram) is None:
        return None
    clean = clean_background(histogram, np.asarray(grey), max(grey.size) * scale)
    if clean is not None:
        table = clean_ink_table(histogram, *clean)
        return None if table is None else grey.point(table)
    ink = photo_ink(grey, one_digit=False, scale=scale).ink
    return ink if ink.getbbox() is not None else None


@functools.lru_cache(maxsize=64)  # one per thumbnail shape
def _all_pixels(h: int, w: int) -> int:
    """Every pixel of an (h, w) mask in the bit layout of `_grown_is_one_piece`."""
    row = (1 << w) - 1
    return sum(row << (y * (w + 1)) for y in range(h))


def _grown_is_one_piece(mask: np.ndarray) -> bool:
    """Whether a boolean (h, w) mask grown by one pixel (`masks.grown`) is empty or one 8-connected
    piece; False also when unsure.

    Labelling every piece is a loop in Python (about 30 us for a 28x28 thumbnail); this floods
    the piece holding the first pixel instead, the whole mask as one Python integer (w + 1 bits
    a row, the last always 0 so that no shift carries a pixel into the next row), one step in
    all eight directions at a time: a few us. A flood still spreading after h + w steps (a
    long winding stroke) gives up, and the caller labels the mask as before.
    """
    h, w = mask.shape
    stride = w + 1
    padded = np.zeros((h, stride), bool)
    padded[:, :w] = mask
    pixels = int.from_bytes(np.packbits(padded, bitorder="little").tobytes(), "little")

    def step(reached: int) -> int:  # one pixel further in all eight directions, or off the mask
        across = reached | (reached << 1) | (reached >> 1)
        return across | (across << stride) | (across >> stride)

    grown = step(pixels) & _all_pixels(h, w)
    reached = grown & -grown  # the first pixel, row by row
    for _ in range(h + w):
        spread = step(reached) & grown
        if spread == reached:
            return reached == grown
        reached = spread
    return False


def drop_specks(ink: Image.Image, with_mask: bool = False):
    """Remove components of ink much lighter than the heaviest one (specks of noise or dust).

    With `with_mask`, answers (ink, mask of what was kept as "L" at the thumbnail's scale times
    its factor, or None when nothing was dropped).
    """
    small, factor = reduced(ink, _SPECK_LONG_SIDE)
    levels = np.asarray(small)
    # Grown by one thumbnail pixel so that pieces of one digit a stroke-width apart stay together.
    inked = levels > 8
    if _grown_is_one_piece(inked):  # the usual drawing: nothing to weigh, nothing to drop
        return (ink, None) if with_mask else ink
    weights = levels.astype(np.float32)
    labels, _ = label_components(grown(inked))
    masses = np.bincount(labels.ravel(), weights=weights.ravel())
    masses[0] = 0.0
    keep = masses >= SPECK_FRACTION * masses.max()
    keep[0] = False
    if len(masses) <= 2 or keep[1:].all():
        return (ink, None) if with_mask else ink
    kept = Image.fromarray(np.where(keep[labels], 255, 0).astype(np.uint8), mode="L")
    if factor > 1:
        kept = kept.resize((small.width * factor, small.height * factor), Image.Resampling.NEAREST)
    kept = kept.crop((0, 0, ink.width, ink.height))
    cleaned = Image.composite(ink, Image.new("L", ink.size, 0), kept)
    return (cleaned, kept) if with_mask else cleaned


def ink_image(grey: Image.Image, long_side: int, scale: int = 1) -> tuple[Image.Image, int]:
    """Grey, each pixel `scale` x `scale` of the original's -> (ink as "L": white ink on black,
    0..255; the integer reduction factor)."""
    grey, factor = reduced(grey, long_side)
    ink = ink_of_grey(grey, scale * factor)
    if ink is None:
        return Image.new("L", grey.size, 0), factor
    return drop_specks(ink), factor
