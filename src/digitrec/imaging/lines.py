"""Printed straight lines taken out of an ink mask: ruled and squared paper, a form's boxes.

A pixel is a printed line's when it lies on a straight run of ink that crosses the image
(horizontal or vertical: paper photographed roughly square to the camera) and the ink across
that run is thinner than the writing's strokes. Where a pen stroke crosses the line or runs
along it, the ink across is the stroke's width, so those pixels stay: the strokes a line cut
through are kept whole. A thin 1 is a straight run too, but within the writing. A form's box,
whose sides do not cross the image, is a printed line too: its thin runs across meet thin runs
down, at its corners, which strokes of a pen do not make. OpenCV openings and components do all
of it.
"""

from __future__ import annotations

import cv2
import numpy as np

# A printed line is a straight run at least this share of the image's width (or height) long:
# longer than most of a digit's straight strokes in a photo of one digit, as long as a form
# box's side...
LINE_SPAN = 0.3
# ...its ink across thinner than this share of the writing's strokes (the ink off long runs, of
# which there must be MIN_REST_PIXELS for their width to be known; where that is less than
# WRITING_SHARE of the ink off the lines crossing the image, a long straight stroke is most of
# the writing, and all the ink off those lines is measured)...
THINNER = 0.6
MIN_REST_PIXELS = 20
WRITING_SHARE = 0.25
# ...and a line runs across the page: the run it is on (strokes crossing it included) spans at
# least this share of the image. A 1 in a number cropped tight is thin and straight, but
# within the writing.
EDGE_TO_EDGE = 0.9
# ...or it is part of a printed frame or grid: thin runs at least FRAME_SPAN of the image long,
# across and down, joined at their corners (a form's box, a row of them, squared paper), the
# THIN_SHARE of their ink thin.
FRAME_SPAN = 0.15
THIN_SHARE = 0.5
# A frame's runs may also be as thick as the pen: then thinner than this many times the typical
# width of the ink on long runs (the frame's sides) is the frame's own.
BOX_SIDE = 1.5
# ...and then the frame must be closed round other ink, each side at least CLOSED_SIDE of the
# frame's length, and printed: that width no more than MAX_BOX_SIDE of the picture's shorter
# side (the dark bands of a vignette along the borders make a closed frame too, 0.1 of it wide).
CLOSED_SIDE = 0.8
MAX_BOX_SIDE = 0.045
# A straight line at a slant (a fold's crease, ruled paper turned in the photo) crosses the
# picture too: thin ink lies along at least SLANT_COVER of its chord from border to border (a
# crease fades where the light on its two sides is alike), in a band as wide as the pen's thick
# strokes, from one end of the chord to the other (SLANT_SPAN of it: a fine pen's stroke, thin
# beside a vignette's dark corners, stops short), and the line is more than SLANT_MIN radians
# off both axes (nearer them, the runs above find it). Of the straight lines through
# SLANT_VOTES of the picture's shorter side in thin ink, the MAX_SLANTED with the most are
# looked at: a notebook's page shows 30 lines, and those the digit breaks have the fewest.
SLANT_COVER = 0.4
SLANT_SPAN = 0.8
SLANT_MIN = np.radians(2)
SLANT_VOTES = 0.4
MAX_SLANTED = 40


def _opened(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(1, width), max(1, height)))
    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)


def _stroke_width(distance: np.ndarray, pixels: np.ndarray) -> float:
    """The typical width of the strokes at `pixels` (bool), px: about four times the median
    distance of their pixels to the paper (`distance`, the mask's distance transform)."""
    return 4.0 * float(np.median(distance[pixels]))


def _thin(
    mask: np.ndarray, across: np.ndarray, down: np.ndarray, thick: int
) -> tuple[np.ndarray, np.ndarray]:
    """(across, down) bool: the runs' pixels where the ink across the run is thinner than
    `thick` px; ink at least that thick across a run is a pen's, crossing it or running on."""
    return (across > 0) & (_opened(mask, 1, thick) == 0), (down > 0) & (
        _opened(mask, thick, 1) == 0
    )


def _long_runs(mask: np.ndarray, span: float) -> tuple[np.ndarray, np.ndarray]:
    """(across, down): the ink on horizontal and on vertical runs longer than `span` of the
    image's width (or height).

    The mask is grown by a pixel first, so that a line a pixel thick that steps up or down a
    row (paper turned by a degree) still makes one run."""
    h, w = mask.shape
    grown = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    across = _opened(grown, round(span * w), 1) & mask
    down = _opened(grown, 1, round(span * h)) & mask
    return across, down


def _frame_lines(
    ink: np.ndarray,
    across: np.ndarray,
    down: np.ndarray,
    thin_across: np.ndarray,
    thin_down: np.ndarray,
    thick: int,
    closed: bool = False,
) -> np.ndarray:
    """The pixels of printed frames and grids (bool), corners included: pieces of thin runs,
    grown by `thick` px to bridge their corners (where neither run is thin: the other goes on
    from it), that hold runs across at two heights at least and runs down at two places at
    least, and whose runs are mostly thin. A box has all of it; so does a grid, or a row of
    boxes on a form. A pen's thin straight strokes meeting (a 4's bar and stem) are one of
    each, a thick stroke is thin only at its slanting edges, and a straight stroke that comes
    near a frame is not its (`_strokes_near_frames`). `ink` (bool) is the whole mask; with
    `closed`, only closed frames round some of it are taken (`_is_closed`), and a frame is one
    piece of the ink on runs, not grown: grown by sides as thick as the pen, it would take in
    a digit's stem running beside a side."""
    on_runs = (across | down) > 0
    if closed:  # such sides meet at corners that lie on runs both ways: one piece of ink
        count, labels = cv2.connectedComponents(on_runs.astype(np.uint8), connectivity=8)
    else:
        runs = (thin_across | thin_down).astype(np.uint8)
        joined = cv2.dilate(runs, cv2.getStructuringElement(cv2.MORPH_RECT, (thick + 2,) * 2))
        count, labels = cv2.connectedComponents(joined, connectivity=8)
    writing = ink & ~on_runs
    width, height = (_spread(labels, on_runs, axis, count) for axis in (1, 0))
    thin_across = thin_across & ~_strokes_near_frames(across, labels, width, 1, writing)
    thin_down = thin_down & ~_strokes_near_frames(down, labels, height, 0, writing)
    runs = (thin_across | thin_down).astype(np.uint8)
    apart = 2 * thick + 2
    framed = np.bincount(labels[runs > 0], minlength=count) >= THIN_SHARE * np.bincount(
        labels[on_runs], minlength=count
    )
    framed &= _spread(labels, thin_across, 0, count) > apart
    framed &= _spread(labels, thin_down, 1, count) > apart
    if closed:
        rest = ink & ~(thin_across | thin_down)
        for label in np.flatnonzero(framed):
            piece = labels == label
            framed[label] = _is_closed(thin_across & piece, thin_down & piece, thick, rest)
    framed = framed[labels]
    # A frame's corners: on a run across and a run down, neither thin there, beside thin
    # stretches of both (not the inside of a stroke that two lines run into).
    beside = np.ones((3, 3), np.uint8)
    corners = framed & (across > 0) & (down > 0)
    corners &= cv2.dilate(thin_across.astype(np.uint8), beside) > 0
    corners &= cv2.dilate(thin_down.astype(np.uint8), beside) > 0
    return ((thin_across | thin_down) & framed) | corners


def _strokes_near_frames(
    runs: np.ndarray, labels: np.ndarray, extent: np.ndarray, axis: int, writing: np.ndarray
) -> np.ndarray:
    """The pixels (bool) of the straight pieces of `runs` (along `axis`: 1 across, 0 down)
    that are a pen's: joined to the `writing` (bool, the ink off every run) and stopping short
    of CLOSED_SIDE of the way across their frame (`labels`, whose `extent` along that axis is
    given). A box's or a grid's lines run from side to side, pens crossing them included; a
    digit's straight stroke near a side (a 7's bar under the top, a 9's stem above the bottom)
    is joined to the frame only by being near it."""
    count, pieces, stats, _ = cv2.connectedComponentsWithStats(
        runs.astype(np.uint8), connectivity=8
    )
    on_pieces = pieces > 0
    frame_of = np.zeros(count, np.int64)
    np.maximum.at(frame_of, pieces[on_pieces], labels[on_pieces])
    length = stats[:, cv2.CC_STAT_WIDTH if axis == 1 else cv2.CC_STAT_HEIGHT]
    joined = np.zeros(count, bool)
    joined[pieces[cv2.dilate(writing.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0]] = True
    stroke = joined & (length < CLOSED_SIDE * extent[frame_of])
    stroke[0] = False
    return stroke[pieces]


def _is_closed(across: np.ndarray, down: np.ndarray, thick: int, rest: np.ndarray) -> bool:
    """Whether runs across (bool) and down make a closed frame round other ink (`rest`, bool):
    its top and bottom runs reach CLOSED_SIDE of the way between its outermost runs down, those
    reach as far between the top and the bottom, and at least MIN_REST_PIXELS of `rest` lie
    inside. A pen's straight strokes seldom close, and what they close (a 0 drawn square) is
    empty."""
    rows, columns = np.nonzero(across)
    down_rows, down_columns = np.nonzero(down)
    top, bottom = rows.min(), rows.max()
    left, right = down_columns.min(), down_columns.max()
    sides = (
        (columns[rows <= top + thick], right - left),
        (columns[rows >= bottom - thick], right - left),
        (down_rows[down_columns <= left + thick], bottom - top),
        (down_rows[down_columns >= right - thick], bottom - top),
    )
    if any(side.max() - side.min() < CLOSED_SIDE * length for side, length in sides):
        return False
    inside = rest[top + thick : bottom - thick, left + thick : right - thick]
    return int(inside.sum()) >= MIN_REST_PIXELS


def _spread(labels: np.ndarray, pixels: np.ndarray, axis: int, count: int) -> np.ndarray:
    """(count,) how far apart, px, the `pixels` (bool) of each label lie along `axis` (0: y,
    1: x); -1 for a label with none of them. Label 0 (the background) gets -1."""
    at = np.nonzero(pixels)
    label, position = labels[at], at[axis]
    low = np.full(count, np.iinfo(np.int32).max, np.int64)
    high = np.full(count, -1, np.int64)
    np.minimum.at(low, label, position)
    np.maximum.at(high, label, position)
    spread = np.where(high >= 0, high - low, -1)
    spread[0] = -1
    return spread


def _edge_to_edge(runs: np.ndarray, length: float, extent: int) -> np.ndarray:
    """The 8-connected pieces of `runs` whose box is at least `length` long, measured by
    connectedComponentsWithStats' statistic `extent` (its width or its height)."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    long_enough = stats[:, extent] >= length
    long_enough[0] = False
    return long_enough[labels]


def _chord(rho: float, theta: float, w: int, h: int) -> float:
    """The length, px, of the line x cos(theta) + y sin(theta) = rho inside a w x h picture."""
    cos, sin = np.cos(theta), np.sin(theta)
    ends = []
    if abs(sin) > 1e-6:
        ends += [(x, (rho - x * cos) / sin) for x in (0, w - 1)]
    if abs(cos) > 1e-6:
        ends += [((rho - y * sin) / cos, y) for y in (0, h - 1)]
    inside = [(x, y) for x, y in ends if -0.5 <= x <= w - 0.5 and -0.5 <= y <= h - 0.5]
    if len(inside) < 2:
        return 0.0
    xs, ys = np.array(inside).T
    return float(np.hypot(np.ptp(xs), np.ptp(ys)))


def _slanted_lines(mask: np.ndarray, thick: int) -> np.ndarray:
    """The pixels (bool) of thin straight lines crossing the picture at a slant: thinner than
    `thick` px (what an opening with a disc that wide takes away; a pen's strokes, wider, stay
    whole where the line crosses them), along SLANT_COVER of their chord, from end to end."""
    h, w = mask.shape
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (thick, thick))
    thin = ((mask > 0) & (cv2.morphologyEx(mask, cv2.MORPH_OPEN, disc) == 0)).astype(np.uint8)
    found = cv2.HoughLines(thin, 1, np.pi / 360, max(2, round(SLANT_VOTES * min(h, w))))
    lines = np.zeros((h, w), bool)
    if found is None:
        return lines
    ys, xs = np.nonzero(thin)
    for rho, theta in found[:MAX_SLANTED, 0]:
        off_axes = min(theta % (np.pi / 2), np.pi / 2 - theta % (np.pi / 2))
        if off_axes <= SLANT_MIN:
            continue
        near = np.abs(xs * np.cos(theta) + ys * np.sin(theta) - rho) <= thick / 2
        along = np.round(ys[near] * np.cos(theta) - xs[near] * np.sin(theta))
        chord = _chord(rho, theta, w, h)
        if (
            along.size
            and np.unique(along).size >= SLANT_COVER * chord
            and np.ptp(along) >= SLANT_SPAN * chord
        ):
            lines[ys[near], xs[near]] = True
    return lines


def printed_lines(mask: np.ndarray, on_a_page: bool = True) -> np.ndarray:
    """(h, w) uint8 ink mask (0 or 255) -> the pixels of printed straight lines (0 or 255).
    Not `on_a_page` (a scan cropped round its writing, whose strokes are long runs of the
    image), only lines thinner than the pen's strokes are looked for."""
    h, w = mask.shape
    across, down = _long_runs(mask, FRAME_SPAN)
    long_across, long_down = _long_runs(mask, LINE_SPAN)
    crossing_across = _edge_to_edge(long_across, EDGE_TO_EDGE * w, cv2.CC_STAT_WIDTH)
    crossing_down = _edge_to_edge(long_down, EDGE_TO_EDGE * h, cv2.CC_STAT_HEIGHT)
    off_lines = (mask > 0) & ~(crossing_across | crossing_down)
    writing = off_lines & ((long_across | long_down) == 0)
    if writing.sum() < WRITING_SHARE * off_lines.sum():  # a long straight 1 is most of it
        writing = off_lines
    if writing.sum() < MIN_REST_PIXELS:
        return np.zeros_like(mask)
    distance = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    thick = max(3, round(THINNER * _stroke_width(distance, writing)))
    thin_across, thin_down = _thin(mask, across, down, thick)
    lines = (thin_across & crossing_across) | (thin_down & crossing_down)
    lines |= _frame_lines(mask > 0, across, down, thin_across, thin_down, thick)
    if on_a_page:
        lines |= _slanted_lines(mask, thick)
    # A form's box printed as thick as the pen: its sides' own width tells them from strokes
    # crossing them, and only a closed frame round other ink is taken.
    on_runs = (across | down) > 0
    side = max(3, round(BOX_SIDE * _stroke_width(distance, on_runs))) if on_runs.any() else 0
    grid = crossing_across.any() and crossing_down.any()  # its squares are closed frames too
    if on_a_page and not grid and 0 < side <= BOX_SIDE * MAX_BOX_SIDE * min(h, w):
        thin_across, thin_down = _thin(mask, across, down, side)
        lines |= _frame_lines(mask > 0, across, down, thin_across, thin_down, side, closed=True)
    return np.where(lines, 255, 0).astype(np.uint8)
