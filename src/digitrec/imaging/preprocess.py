"""Any image -> the MNIST-style 28x28 input the model was trained on.

The path a picture takes, in order:
1. `digitrec.imaging.decode.decode_image`: bytes -> a Pillow image, its first frame, EXIF orientation
   applied, refused from its header when it is too big (re-exported here with `MAX_PIXELS`).
2. `grey_of`: any mode (1-bit, palette, 16-bit, CMYK, RGBA...) -> 8-bit grey, transparency
   composited over whichever background makes the opaque strokes stand out.
3. `ink_map` (the work is in `digitrec.imaging.ink`): grey -> white ink on black, 0..1: polarity read
   from the image itself, uneven background (a shadow across a photo of paper) divided out,
   contrast stretched so that faint or thin strokes reach full strength, specks dropped.
4. `fit_to_mnist_frame`: what MNIST itself did. Scale the digit's bounding box so its longer side
   is 20 px (aspect kept, anti-aliased) and place it in 28x28 with its centre of mass at the centre.
   A digit that fills its picture edge to edge with strokes far wider than MNIST's (a scanner's
   crop, stretched to its box) has them thinned (`digitrec.imaging.strokes`); one that fills it
   as a block of ink is also read narrowed (`digitrec.imaging.stretch`).

`to_mnist_style` runs 2-4 and keeps what the web page shows as "what the model sees".
Pure numpy and Pillow; everything per image is a handful of C-speed passes, so a 280x280 canvas
takes a fraction of a millisecond.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

import numpy as np
from PIL import Image

from digitrec.imaging.frame import INK_THRESHOLD, MNIST_BOX, MNIST_SIZE, frame_ink_image
from digitrec.imaging.ink import (
    LookupTable,
    clean_background,
    clean_ink_table,
    drop_specks,
    ink_image,
    reduced,
)
from digitrec.imaging.photo import PhotoInk, photo_ink
from digitrec.imaging.png import known_alpha_range
from digitrec.imaging.reduce import (
    grey_of_wide,
    original_size,
    reduced_original,
    working_copy,
    working_copy_mark,
)
from digitrec.imaging.sizes import LARGE_LONG_SIDE
from digitrec.imaging.stretch import narrowed_block
from digitrec.imaging.strokes import framed_for_its_strokes

# The ink map is computed on a copy no longer than this; bigger photos are box-reduced first.
WORK_LONG_SIDE = 320
# Steps shown to people are at most this big (the model input itself is always 28x28).
STEP_DISPLAY_PX = 280
# On a clean background, the grey-to-ink table, specks and the rough box come from a copy at
# most this big; a small digit's own region is then made ink at full resolution.
_CLEAN_STATS_LONG_SIDE = 160
# A digit at least this long on the reduced copy (twice the 20 px it is framed to, so that
# framing still averages its pixels down) is framed from the reduced copy's ink; a smaller one
# is made ink again at full resolution, where its strokes have more pixels.
_REDUCED_CROP_SIDE = 2 * MNIST_BOX
# An image whose ink fits in a box shorter than this share of its longer side is nearly blank
# (a stray dot or tap on an empty canvas): there is no digit to read.
MIN_DIGIT_FRACTION = 0.04


def grey_of(image: Image.Image) -> Image.Image:
    """Any Pillow image -> 8-bit grey ("L"), transparency composited.

    A transparent canvas holds its drawing in the opaque pixels: they are laid over white when
    they are dark and over black when they are light, so strokes drawn only in the alpha channel
    still show, whatever colour the invisible pixels happen to have.
    """
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        return grey_of_wide(image)
    if image.mode == "L" and "transparency" not in image.info:
        return image
    has_alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or image.has_transparency_data
    if not has_alpha:
        try:
            return image.convert("L")
        except ValueError:  # modes without a direct grey conversion (LAB, HSV...)
            return image.convert("RGB").convert("L")
    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    known = known_alpha_range(rgba)  # a canvas PNG's, read while it was decoded
    if known == (255, 255):  # opaque: the alpha channel need not even be taken out
        return rgba.convert("L")
    alpha = rgba.getchannel("A")
    grey = rgba.convert("L")
    least_alpha, most_alpha = known or _extrema(alpha)
    if least_alpha == 255:
        return grey
    if most_alpha < 128:  # no pixel counts as drawn
        return Image.new("L", grey.size, 255)  # nothing drawn: an empty page
    darkest, lightest = _extrema(grey)
    paper = 255 if _drawn_is_dark(grey, alpha, darkest, lightest) else 0
    if darkest == lightest:  # one ink colour (a drawing pad): the blend depends on alpha alone
        return alpha.point(_composite_table(darkest, paper))
    return Image.composite(grey, Image.new("L", grey.size, paper), alpha)


def _extrema(image: Image.Image) -> tuple[int, int]:
    """getextrema() of an "L" image. Pillow's scans a byte at a time and stops early only
    once it has met both 0 and 255, so an opaque alpha channel or an all-black canvas cost it
    a full slow pass; numpy's vectorised min and max take a third of that."""
    levels = np.asarray(image)
    return int(levels.min()), int(levels.max())


@functools.lru_cache(maxsize=512)  # one per (ink level, paper level)
def _composite_table(level: int, paper: int) -> LookupTable:
    """Alpha -> what Image.composite makes of grey `level` over `paper` at that alpha: Pillow's
    own blend, read off once for all 256 alphas, so the table has its exact rounding."""
    alpha = Image.frombytes("L", (256, 1), bytes(range(256)))
    blended = Image.composite(
        Image.new("L", alpha.size, level), Image.new("L", alpha.size, paper), alpha
    )
    return LookupTable(np.frombuffer(blended.tobytes(), np.uint8))


def _drawn_is_dark(grey: Image.Image, alpha: Image.Image, darkest: int, lightest: int) -> bool:
    """Whether the pixels that count as drawn (alpha >= 128) are dark on average (< 128);
    `darkest` and `lightest` are grey's extrema."""
    if lightest < 128 or darkest >= 128:  # a canvas's strokes are all one colour
        return lightest < 128
    # Mode "1" without dithering is exactly alpha >= 128.
    drawn = alpha.convert("1", dither=Image.Dither.NONE)
    histogram = np.asarray(grey.histogram(mask=drawn), dtype=np.float64)
    return float((histogram * _LEVEL_NUMBERS).sum() / histogram.sum()) < 128


# _LEVEL_NUMBERS[level] is level: a histogram's mean is one dot product.
_LEVEL_NUMBERS = np.arange(256)


def ink_map(image: Image.Image, long_side: int = WORK_LONG_SIDE) -> tuple[np.ndarray, int]:
    """The whole image as an ink map, and how many original pixels an ink-map pixel spans.

    Returns ((h, w) float32 in [0, 1], white ink on black, background removed, contrast
    normalised, specks dropped; factor). Images longer than `long_side` are box-reduced by the
    integer `factor` first.
    """
    # A working copy made while decoding already spans several original pixels a pixel; read
    # from it, the map is coarser than the original's would be by up to one step of reduction.
    marked = working_copy_mark(image)
    first = marked[0] if marked else 1
    if max(image.size) > LARGE_LONG_SIDE:  # reduced before it is made grey: see LARGE_LONG_SIDE
        step = -(-max(image.size) // long_side)
        image = reduced_original(image, step)
        first *= step
    ink, factor = ink_image(grey_of(image), long_side, first)
    return np.asarray(ink, dtype=np.float32) / 255.0, first * factor


# The 8-bit ink levels that count towards the bounding box are those above this one.
_INK_LEVEL = int(INK_THRESHOLD * 255)


# Levels above _INK_LEVEL -> 255, the rest -> 0: Pillow's getbbox then finds the ink box in C,
# with no copy of the image into numpy.
_INK_MASK = LookupTable(np.where(np.arange(256) > _INK_LEVEL, 255, 0))


def _ink_box(ink: Image.Image) -> tuple[int, int, int, int] | None:
    """`ink_bounding_box` of an "L" ink image, on its 8-bit levels: (x, y, w, h) or None."""
    found = ink.point(_INK_MASK).getbbox()
    if found is None:
        return None
    left, top, right, bottom = found
    return left, top, right - left, bottom - top


@dataclass
class Preprocessed:
    """One image made MNIST-style, with what the web page shows of the way there."""

    mnist: np.ndarray  # (28, 28) float32 in [0, 1], white ink on black: the model input
    is_blank: bool  # no digit to read: an empty page, or only a dot or speck on it
    box: tuple[int, int, int, int] | None  # (x, y, w, h) of the digit in the original image
    grey_image: Image.Image = field(repr=False)  # the image in grey (reduced if > 1024 px)
    ink_image: Image.Image = field(repr=False)  # the whole ink map as "L", possibly reduced
    cropped_image: Image.Image | None = field(repr=False)  # the digit's ink, before framing
    # A photo's light evened out, and what was taken away as not the digit (lines, the page's
    # edge, shadows, other marks); None on a clean background, where there is nothing of either.
    evened_image: Image.Image | None = field(default=None, repr=False)
    removed_image: Image.Image | None = field(default=None, repr=False)
    several_digits: bool = False  # other marks like the digit were found: perhaps a number
    one_bit: bool = False  # a 1-bit scan: its strokes are as wide as its threshold left them
    # The digit read another way: a photo's without marks that may be the writer's or its own
    # (a word with eyes by it, a line well below it, a ring it touches), or else, for a
    # scanner's block of ink, narrowed (`digitrec.imaging.stretch`). `Recogniser` reads both
    # and keeps the surer; the narrowed reading only as a guess (`inference._surer`).
    second: Preprocessed | None = field(default=None, repr=False)
    narrowed: bool = False  # this reading is of a block of ink narrowed: a guess, never sure

    @property
    def from_photo(self) -> bool:
        """Whether the digit was found in a photo (its light evened out, the page taken away),
        not on a clean background."""
        return self.evened_image is not None

    @property
    def pen_width_unsure(self) -> bool:
        """Whether the strokes' width is the camera's, the light's or a scanner's threshold's
        rather than the pen's: a photo or a 1-bit scan (`Recogniser` reads those at three)."""
        return self.from_photo or self.one_bit

    @property
    def ink(self) -> np.ndarray:
        """The whole ink map: (h, w) float32 in [0, 1]."""
        return np.asarray(self.ink_image, dtype=np.float32) / 255.0

    def steps(self) -> dict[str, np.ndarray]:
        """What the model sees, in order, as uint8 (h, w) images at most 280 px on a side."""
        cropped = self.cropped_image or Image.new("L", (1, 1), 0)
        photo = {}
        if self.evened_image is not None and self.removed_image is not None:
            photo = {
                "light": _as_display(self.evened_image),
                "removed": _as_display(self.removed_image),
            }
        return {
            "grey": _as_display(self.grey_image),
            **photo,
            "ink": _as_display(self.ink_image),
            "cropped": _as_display(cropped),
            "mnist": np.round(self.mnist * 255).astype(np.uint8),
        }


def _as_display(image: Image.Image) -> np.ndarray:
    if max(image.size) > STEP_DISPLAY_PX:
        image = image.copy()
        image.thumbnail((STEP_DISPLAY_PX, STEP_DISPLAY_PX), Image.Resampling.BOX)
    return np.asarray(image)


def is_nearly_blank(box, size: tuple[int, int]) -> bool:
    """Whether ink with bounding box `box` (x, y, w, h, or None) is no digit in an image of
    `size`: none at all, or a dot or tap under MIN_DIGIT_FRACTION of the longer side."""
    return box is None or max(box[2], box[3]) < max(2, MIN_DIGIT_FRACTION * max(size))


def _blank(grey: Image.Image, ink: Image.Image) -> Preprocessed:
    return Preprocessed(np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32), True, None, grey, ink, None)


def _clean_to_mnist_style(grey: Image.Image, paper: int, dark_ink: bool, histogram, small):
    """The clean-background path: statistics, specks and the rough box on a reduced copy. A
    digit long enough there is framed from that copy's ink; a smaller one has the same lookup
    table applied at full resolution to its region only."""
    small_grey, factor = small
    table = clean_ink_table(histogram, paper, dark_ink)
    if table is None:
        return _blank(grey, Image.new("L", small_grey.size, 0))
    ink, kept = drop_specks(small_grey.point(table), with_mask=True)
    rough = _ink_box(ink)
    if is_nearly_blank(rough, ink.size):
        return _blank(grey, ink)
    x, y, w, h = rough
    if factor > 1 and max(w, h) >= _REDUCED_CROP_SIDE:
        # Framing averages the crop down to 20 px anyway: the reduced copy's ink is as good.
        crop = ink.crop((x, y, x + w, y + h))
        box = box_in_original(rough, factor, grey.size)
        return Preprocessed(frame_ink_image(crop), False, box, grey, ink, crop)
    region = (
        max(0, (x - 1) * factor),
        max(0, (y - 1) * factor),
        min(grey.width, (x + w + 1) * factor),
        min(grey.height, (y + h + 1) * factor),
    )
    crop = grey.crop(region).point(table)
    if kept is not None:  # specks dropped on the reduced copy are dropped here too
        mask = kept.resize((kept.width * factor, kept.height * factor), Image.Resampling.NEAREST)
        crop = Image.composite(crop, Image.new("L", crop.size, 0), mask.crop(region))
    x, y, w, h = _ink_box(crop) or (0, 0, crop.width, crop.height)
    crop = crop.crop((x, y, x + w, y + h))
    box = (region[0] + x, region[1] + y, w, h)
    return Preprocessed(frame_ink_image(crop), False, box, grey, ink, crop)


def _in_original(preprocessed: Preprocessed, factor: int, size: tuple[int, int]) -> Preprocessed:
    """`preprocessed` of a copy reduced by `factor`, its box in the original's pixels."""
    if factor > 1 and preprocessed.box is not None:
        preprocessed.box = box_in_original(preprocessed.box, factor, size)
    return preprocessed


def to_mnist_style(image: Image.Image, thin_frame_filling_strokes: bool = True) -> Preprocessed:
    """Any Pillow image of one digit -> its MNIST-style 28x28 input and the steps on the way.

    The ink of `ink_map`, framed as `fit_to_mnist_frame` does. An image with no ink, or whose
    ink fits in a box under 4 % of its longer side (a dot, a tap), is blank: `is_blank`, an
    empty frame and no box. On a clean background the lookup table from grey to ink is read
    off a reduced copy, and the digit is framed from that copy's ink when it is at least 40 px
    long there (framing averages it down to 20 px anyway), else from its region made ink at
    full resolution, so a canvas costs a fraction of the model's time. An image
    longer than 1024 px is read from a copy box-reduced in its own mode to 1024-2047 px (`box`
    is still in its pixels).

    A digit filling the picture edge to edge with strokes far wider than MNIST's is taken for a
    scanner's crop and has its strokes thinned (`digitrec.imaging.strokes`). With
    `thin_frame_filling_strokes` False it is framed without thinning: a piece the number reader
    cut out of a number, whose reader never thins its pieces.
    """
    found = _framed(image)
    if thin_frame_filling_strokes:  # a blank one has no box, and is left as it is
        for read in (found, found.second):
            if read is not None:
                read.mnist = framed_for_its_strokes(
                    read.mnist, read.box, original_size(image), read.pen_width_unsure
                )
    return found


def _framed(image: Image.Image) -> Preprocessed:
    """`to_mnist_style` but for the thinning of frame-filling strokes."""
    working, first = working_copy(image)
    grey = grey_of(working)
    small = reduced(grey, _CLEAN_STATS_LONG_SIDE)
    histogram = np.asarray(small[0].histogram(), dtype=np.float64)
    clean = clean_background(histogram, np.asarray(small[0]), max(original_size(image)))
    size = original_size(image)
    if clean is not None:
        framed = _clean_to_mnist_style(grey, *clean, histogram, small)
        framed.one_bit = image.mode == "1"
        framed = _in_original(framed, first, size)
    else:
        small, factor = reduced(grey, WORK_LONG_SIDE)
        found = photo_ink(small, one_digit=True, scale=first * factor)
        framed = _framed_photo_ink(found, grey, first * factor, size)
        if found.second is not None and not framed.is_blank:
            framed.second = _framed_photo_ink(found.second, grey, first * factor, size)
    if framed.second is None:
        framed.second = _narrowed(framed, size)
    return framed


def _narrowed(found: Preprocessed, size: tuple[int, int]) -> Preprocessed | None:
    """A digit that fills its picture edge to edge as a block of ink, narrowed as it was
    before a scanner stretched it (`digitrec.imaging.stretch`); None for any other."""
    if found.is_blank or found.cropped_image is None:
        return None
    crop = narrowed_block(found.cropped_image, found.box, size)
    if crop is None:
        return None
    return replace(found, mnist=frame_ink_image(crop), cropped_image=crop, narrowed=True)


def _framed_photo_ink(found: PhotoInk, grey: Image.Image, factor: int, size) -> Preprocessed:
    """A photo's ink found on its working copy (reduced by `factor` from the original's `size`)
    -> the digit framed, or blank."""
    box = _ink_box(found.ink)
    if is_nearly_blank(box, found.ink.size):
        blank = _blank(grey, found.ink)
        if found.removed.getbbox() is not None:  # marks there were, none of them a digit
            blank.evened_image, blank.removed_image = found.evened, found.removed
        return blank
    x, y, w, h = box
    crop = found.ink.crop((x, y, x + w, y + h))
    return Preprocessed(
        frame_ink_image(crop),
        False,
        box_in_original(box, factor, size),
        grey,
        found.ink,
        crop,
        evened_image=found.evened,
        removed_image=found.removed,
        several_digits=found.several,
    )


def box_in_original(box, factor: int, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x, y, w, h) on a copy reduced by `factor` -> the same box in the original's pixels,
    within the original's `size`."""
    x, y, w, h = box
    left, top = x * factor, y * factor
    right, bottom = min(size[0], (x + w) * factor), min(size[1], (y + h) * factor)
    return left, top, right - left, bottom - top
