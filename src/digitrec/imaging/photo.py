"""A photo of writing on paper -> its ink, with the page, its light and its print taken away.

1. The ink's polarity: dark on light unless the picture and its middle are dark and what stands
   out of them is light (a blackboard, not a dim photo of a page).
2. Light (`digitrec.imaging.light`): the paper's light at page scale divided out, so that a
   vignette, a gradient, glare or a shadow's edge become flat paper.
3. Contrast stretched over the noise: stroke cores to full strength, faint pencil kept.
4. Print (`digitrec.imaging.lines`, `digitrec.imaging.dots`): ruled, squared and form lines
   taken out, strokes kept whole; dotted paper's dots taken out.
5. Marks (`digitrec.imaging.marks`): the page's edge, the table, outlines, shadows and specks
   dropped; for one digit, the most central mark of ink is kept and others like it reported
   (`digitrec.imaging.central_digit`).
6. Added marks (`digitrec.imaging.added_marks`): a ring round the writing, a line under it.
   For one digit, what shape alone cannot tell from its own strokes (a word with eyes by it, a
   line well below it, a ring it touches off centre) is taken off for a second reading.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from digitrec.imaging.added_marks import without_added_marks
from digitrec.imaging.central_digit import central_digit
from digitrec.imaging.dots import printed_dots
from digitrec.imaging.light import evened_out, ink_contrast, paper_light, scan_paper
from digitrec.imaging.lines import printed_lines
from digitrec.imaging.marks import EDGE_SHARE, marks_of, mask_of, writing
from digitrec.imaging.masks import depths

# Ink is light on dark only when most of the picture, and its middle, are darker than this,
# and no more than this share of it is light (nearer its lightest level than its median).
DARK_PICTURE = 110
LIGHT_INK_SHARE = 0.15
# ...and in the middle, what is light stands further out than what is dark, each judged by the
# level this percentage of its pixels passes (about what a digit's strokes cover of it, more
# than a magnet on a board), after a median over this many px that takes the sensor's noise
# away: a dim photo of a page is dark too, its ink darker still.
EXTREME_PERCENT = 2.0
NOISE_SMOOTHING = 5
# ...unless that light is a page on a dark table, seen whole (`_holds_a_page`).
MIN_PAGE_SHARE = 0.02
PAGE_FILL = 0.8
# ...or, where the writing cuts into its outline (a sticky note's digit touching its edges),
# its hull fills this share of the smallest rectangle round it and is at least this share light.
PAGE_HULL_FILL = 0.95
PAGE_LIGHT_SHARE = 0.6
PAGE_CORNERS_TOLERANCE = 0.02
# The strongest ink (its 99.95th percentile of contrast) inside a photo's border margin (a
# share of its longer side) must be at least this, and this many noise deviations, for there
# to be any ink at all: faint pencil is about 0.15, blank paper under uneven light under 0.07.
MIN_CONTRAST = 0.1
MIN_SNR = 8.0
BORDER_MARGIN = 1 / 12
# A picture narrower than this (px), or this many times taller than it is wide, is a strip
# with no page around its marks (a digit cropped to its ink, a 1 most of all; a number is
# wide): read as a scan, its paper the level this share of its pixels are darker than, and
# none of its marks taken for the page's edge, the table or a shadow.
MIN_PAGE_SIDE = 16
MAX_PAGE_ASPECT = 3
STRIP_PAPER_PERCENTILE = 99
# Lines and marks are made of stretched ink at least this strong; fainter ink at least
# FAINT_LEVEL strong joined to a kept mark is kept with it (a stroke's rim, its faint stretches).
MARK_LEVEL = 0.25
# Printed lines are looked for in the ink at MARK_LEVEL and again in the ink at least this
# strong: thin and pale, they can break into dashes at MARK_LEVEL once a photo is reduced, no
# dash long enough to be a line; a box of the pen's width the digit touches is found at MARK_LEVEL.
LINE_LEVEL = 0.1
FAINT_LEVEL = 0.05
FAINT_REACH = 3
# A digit cropped to fill its scan is a small picture (a scanner at 300 dpi makes a digit a
# centimetre tall about 120 px; postal and form scanners keep fewer), a phone's photo of a page
# a large one. Of pictures whose paper is one flat level, those at least this long (px, in the
# original) may be read as a page whose paper is blown out to white.
PHOTO_LONG_SIDE = 400
# ...and what such a picture's reading as a scan keeps of the page's light (dark corners, a
# shadow, the table) is deeper than this share of its shorter side, from its edge to its middle:
# a pen's strokes are thinner, even where two of the drawing pad's thickest cross (about 0.1).
LIGHT_DEPTH_SHARE = 0.10
_ONE_PIXEL = np.ones((3, 3), np.uint8)


@dataclass
class PhotoInk:
    """What `photo_ink` found, each image the size of the photo it was given."""

    ink: Image.Image  # "L": the writing (or the one digit) white on black, 0..255
    evened: Image.Image  # "L": the picture with its light evened out
    removed: Image.Image  # "L": what was taken away (lines, edges, shadows, other marks)
    several: bool  # one digit was asked for and more marks look like digits
    # The one digit without marks that may be the writer's or its own (`_ink_on`).
    second: PhotoInk | None = None


def _is_dark_paper(pixels: np.ndarray) -> bool:
    """Whether the writing is light on dark (a blackboard, a screen): three quarters of the
    picture and the middle of it are darker than DARK_PICTURE, what is light is no more than
    strokes cover (LIGHT_INK_SHARE: paper in a deep shadow is dark too, beside a large stretch
    of it in the light), and that light is not a page lying on a dark table (`_holds_a_page`:
    a small page is no more of the picture than chalk strokes) nor the lit part of a page in
    shadow (`_lit_paper_at_the_border`)."""
    h, w = pixels.shape
    middle = pixels[h // 4 : h - h // 4, w // 4 : w - w // 4]
    if np.percentile(pixels, 75) >= DARK_PICTURE or np.median(middle) >= DARK_PICTURE:
        return False
    darkest, lightest = np.median(pixels), np.percentile(pixels, 99.9)
    light = pixels > (darkest + lightest) / 2
    return (
        bool(np.mean(light) <= LIGHT_INK_SHARE)
        and _light_stands_out(middle)
        and not _holds_a_page(light)
        and not _lit_paper_at_the_border(light)
    )


def _light_stands_out(middle: np.ndarray) -> bool:
    """Whether the light extreme of the picture's middle stands at least as far from its usual
    level as its dark extreme, the sensor's noise smoothed away (a median over NOISE_SMOOTHING
    px): chalk is far lighter than the board, where the lightest pixels of a dim photo of a page
    are the noise's peaks on its paper and its ink is what stands out, far darker. The middle,
    where the writing is, leaves out the dark corners of a vignette. A picture of one flat
    level passes: nothing stands out of it either way."""
    smooth = cv2.medianBlur(np.ascontiguousarray(middle), NOISE_SMOOTHING)
    usual = float(np.median(smooth))
    lightest, darkest = np.percentile(smooth, (100 - EXTREME_PERCENT, EXTREME_PERCENT))
    return lightest - usual >= usual - darkest


def _lit_paper_at_the_border(light: np.ndarray) -> bool:
    """Whether the light runs along one border for more than EDGE_SHARE of it: the lit part of
    a page whose rest lies in a deep shadow, going on past the picture. Chalk strokes meet the
    border, if at all, where they end, a stroke's width at a time."""
    edges = (light[0], light[-1], light[:, 0], light[:, -1])
    return any(_longest_run(edge) > EDGE_SHARE * len(edge) for edge in edges)


def _longest_run(values: np.ndarray) -> int:
    """The longest run of True in a row of bools."""
    padded = np.concatenate(([0], values.astype(np.int8), [0]))
    changes = np.flatnonzero(np.diff(padded))
    return int((changes[1::2] - changes[::2]).max()) if len(changes) else 0


def _holds_a_page(light: np.ndarray) -> bool:
    """Whether the largest light region is a page lying on a dark table: four-sided (its hull
    drawn to within PAGE_CORNERS_TOLERANCE of its length has at most four corners), filling
    PAGE_FILL of the smallest rectangle round it, turned as it lies, no longer than
    MAX_PAGE_ASPECT times its width, and at least MIN_PAGE_SHARE of the picture. Chalk and
    light pens on dark make strokes: a 0's or an 8's outline has eight corners, a 7 fills half
    its rectangle, and a straight 1 is longer than MAX_PAGE_ASPECT times its width."""
    contours, _ = cv2.findContours(
        light.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    if not contours:
        return False
    outline = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(outline)
    _, (width, height), _ = cv2.minAreaRect(outline)
    if area < MIN_PAGE_SHARE * light.size or min(width, height) == 0:
        return False
    hull = cv2.convexHull(outline)
    tolerance = PAGE_CORNERS_TOLERANCE * cv2.arcLength(hull, True)
    return (
        len(cv2.approxPolyDP(hull, tolerance, True)) <= 4
        and (
            area >= PAGE_FILL * width * height or _written_to_its_edges(light, hull, width * height)
        )
        and max(width, height) <= MAX_PAGE_ASPECT * min(width, height)
    )


def _written_to_its_edges(light: np.ndarray, hull: np.ndarray, rectangle: float) -> bool:
    """Whether a light region whose outline the writing cuts into (a sticky note's digit
    touching its edges) is still a page: its hull is its rectangle (PAGE_HULL_FILL of it) and
    mostly light inside (PAGE_LIGHT_SHARE). A bold chalk digit's hull is not so square."""
    if cv2.contourArea(hull) < PAGE_HULL_FILL * rectangle:
        return False
    inside = np.zeros(light.shape, np.uint8)
    cv2.fillConvexPoly(inside, hull, 1)
    return bool(light[inside > 0].mean() >= PAGE_LIGHT_SHARE)


def _is_strip(pixels: np.ndarray) -> bool:
    height, width = pixels.shape
    return min(height, width) < MIN_PAGE_SIDE or height > MAX_PAGE_ASPECT * width


def _noise(contrast: np.ndarray) -> float:
    """Sensor noise of the contrast (a standard deviation), from neighbouring pixels'
    differences along rows or along columns, whichever are the smaller: ink edges are too few
    to move their median, except across a strip of ink (a 1 cropped to its own width)."""
    spreads = [
        float(np.median(np.abs(np.diff(contrast, axis=axis))))
        for axis in (0, 1)
        if contrast.shape[axis] >= 2
    ]
    return 1.4826 * min(spreads) / np.sqrt(2.0) if spreads else 0.0


def _inside(contrast: np.ndarray) -> np.ndarray:
    """The photo less a margin of BORDER_MARGIN of its longer side, where the estimate of
    the paper's light is least sure (the closing's square reaches past the picture)."""
    h, w = contrast.shape
    margin = round(BORDER_MARGIN * max(h, w))
    inside = contrast[margin : h - margin, margin : w - margin]
    return inside if inside.size else contrast


def _stretched(contrast: np.ndarray, scanned: bool) -> np.ndarray | None:
    """Contrast -> ink strength in [0, 1]: the paper's own level plus its noise to 0, stroke
    cores to 1; None when nothing stands out of the noise. A photo's paper level is its median
    contrast (paper is most of any photo of writing): the closing that estimates the light
    follows the noise's peaks, so blank paper comes out a little darker than its light. A
    scan's is 0, whatever share of it the ink covers."""
    noise = _noise(contrast)
    paper = 0.0 if scanned else float(np.median(contrast))
    strongest = float(np.percentile(contrast, 99.95)) - paper
    within = strongest if scanned else float(np.percentile(_inside(contrast), 99.95)) - paper
    if within < max(MIN_CONTRAST, MIN_SNR * noise):
        return None
    floor = paper + 3.0 * noise
    core = float(np.median(contrast[contrast >= paper + strongest / 2]))
    return np.clip((contrast - floor) / max(core - floor, 1e-3), 0.0, 1.0)


def photo_ink(grey: Image.Image, one_digit: bool, scale: int = 1) -> PhotoInk:
    """Grey ("L") photo, each pixel `scale` x `scale` of the original's -> its ink and the steps
    on the way (see the module's docstring).

    A picture whose paper is one flat level is read as a scan first, keeping the marks at its
    border (a digit cropped to fill it). But paper blown out to white in bright light is one
    flat level too, with the table, a shadow or dark corners around it: where the scan's reading
    keeps such a mark (one a page's reading drops, deeper than a stroke), the picture is as large
    as a photo (PHOTO_LONG_SIDE) and a page's reading finds writing clear of its border, the
    picture is read as a page."""
    pixels = np.asarray(grey)
    if _is_dark_paper(pixels):
        pixels = 255 - pixels
    photo_sized = max(grey.size) * scale >= PHOTO_LONG_SIDE
    scanned = scan_paper(pixels, photo_sized)
    if scanned is None and _is_strip(pixels):
        scanned = int(np.percentile(pixels, STRIP_PAPER_PERCENTILE))
    if scanned is None:
        return _ink_on(pixels, grey.size, one_digit, None)[0]
    as_scanned, page_marks_kept = _ink_on(pixels, grey.size, one_digit, scanned, photo_sized)
    if not page_marks_kept:
        return as_scanned
    on_a_page = _ink_on(pixels, grey.size, one_digit, None)[0]
    return on_a_page if _clear_of_the_border(on_a_page.ink) else as_scanned


def _clear_of_the_border(ink: Image.Image) -> bool:
    """Whether there is ink and none of it on the picture's outermost pixels."""
    box = ink.getbbox()
    if box is None:
        return False
    left, top, right, bottom = box
    return left > 0 and top > 0 and right < ink.width and bottom < ink.height


def _ink_on(
    pixels: np.ndarray,
    size: tuple[int, int],
    one_digit: bool,
    scanned: int | None,
    look_for_page_marks: bool = False,
) -> tuple[PhotoInk, bool]:
    """The ink of `pixels` on a scan's paper at level `scanned`, or on a page whose light is
    estimated (None); and, where asked to look on a scan, whether marks were kept that a page's
    reading drops and that are deeper than strokes (LIGHT_DEPTH_SHARE): the table, a shadow,
    dark corners."""
    paper = paper_light(pixels) if scanned is None else np.full_like(pixels, scanned)
    evened = Image.fromarray(evened_out(pixels, paper))
    strength = _stretched(ink_contrast(pixels, paper), scanned is not None)
    if strength is None:
        empty = Image.new("L", size, 0)
        return PhotoInk(empty, evened, empty, False), False
    inked = np.where(strength > MARK_LEVEL, 255, 0).astype(np.uint8)
    faint = np.where(strength > LINE_LEVEL, 255, 0).astype(np.uint8)
    on_a_page = scanned is None
    mask = inked & ~(printed_lines(inked, on_a_page) | printed_lines(faint, on_a_page))
    mask[printed_dots(mask)] = 0
    marks = marks_of(mask, strength)
    chosen = writing(marks, on_a_page)
    page_marks_kept = False
    if not on_a_page and look_for_page_marks:
        deep = depths(marks.labels, len(marks.mass) - 1) >= LIGHT_DEPTH_SHARE * min(pixels.shape)
        page_marks_kept = bool((chosen & deep & ~writing(marks, on_a_page=True)).any())
    if not one_digit:
        ink = without_added_marks(mask_of(marks, chosen), one_digit=False)
        return _found(ink, inked, strength, evened, False), page_marks_kept
    digit, several = central_digit(marks, chosen)
    ink = without_added_marks(mask_of(marks, digit))
    found = _found(ink, inked, strength, evened, several)
    # What shape alone cannot tell from the digit's own strokes (a word with eyes by it, a
    # short line well below it, a ring it touches off centre) is taken off for a second
    # reading; `digitrec.inference.Recogniser` keeps the surer of the two.
    doubtful_digit, _ = central_digit(marks, chosen, doubtful=True)
    second = without_added_marks(mask_of(marks, doubtful_digit), doubtful=True)
    if not np.array_equal(second, ink):
        found.second = _found(second, inked, strength, evened, several)
    return found, page_marks_kept


def _found(chosen_ink, inked, strength, evened, several: bool) -> PhotoInk:
    """The chosen ink (bool) with its faint parts, what was taken away, and the steps."""
    kept = _with_faint_parts(chosen_ink, (inked > 0) & ~chosen_ink, strength)
    ink = np.where(kept, np.round(255 * strength), 0).astype(np.uint8)
    removed = np.where(kept, 0, inked).astype(np.uint8)
    return PhotoInk(Image.fromarray(ink), evened, Image.fromarray(removed), several)


def _with_faint_parts(kept: np.ndarray, dropped: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """The kept marks (bool) with the faint ink joined to them within FAINT_REACH px (a
    stroke's soft rim, its thin faint stretches), but none of the ink next to the marks
    dropped (a printed line's rim would otherwise come back along the line)."""
    near_dropped = cv2.dilate(dropped.astype(np.uint8), _ONE_PIXEL) > 0
    reach = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * FAINT_REACH + 1,) * 2)
    near_kept = cv2.dilate(kept.astype(np.uint8), reach) > 0
    faint = ((strength > FAINT_LEVEL) & near_kept & ~near_dropped) | kept
    _, labels = cv2.connectedComponents(faint.astype(np.uint8), connectivity=8)
    joined = np.zeros(labels.max() + 1, bool)
    joined[labels[kept]] = True
    joined[0] = False
    return joined[labels]
