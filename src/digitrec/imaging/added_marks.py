"""Marks a writer adds to a digit, taken off it: a ring round it, a line under it.

People circle the digit that matters (an answer on a worksheet, a score) and underline a 6 or a
9 to say which way up it is, or a whole number. `digitrec.imaging.marks` drops a thin ring clear
of the digit as it drops a form's box, but takes a pen's ring, or a line under the writing, for
part of it; these take them off its ink.

- A ring: ink that runs along the hull of all the ink for four fifths of it (RING_COVERAGE).
  A piece of its own is taken off when what it holds stands at least INNER_HEIGHT of its
  height (round a number, when it lies in the band along the hull: BEYOND_THE_BAND). A ring
  the writing touches is one piece with it, and so is a digit's own outline (a 0 drawn with an
  overshoot or a slash, a 6 whose stem curls round its loop): the band one pen wide along the
  hull is taken off round a number when two digits or more are left, and round one digit only
  when the hull is round and what the band holds is a digit, bold, tall, centred and reaching
  the centre, and no straight stroke (the constants below).
- A line under it: the lowest rows of ink, below a row with none, flat and low (UNDERLINE_*),
  reaching past the writing above at both ends (UNDERLINE_REACH): a 2's base begun again under
  its stroke starts where the stroke ends. A line that slants into the writing's rows, or that
  the writing touches, is found by its long flat runs and followed along them; one touched is
  taken off when what touches it lands in a narrow place, well in from both its ends (a 7 on
  its line; a 2's stroke turns into its base near the base's end: TOUCHED_REACH,
  TOUCHING_WIDTH).
- Doubtful marks, which shape alone cannot tell from the digit's own strokes, go only for a
  second reading of a photo (`digitrec.imaging.photo`; the recogniser keeps the surer): a ring
  the digit touches off its centre or runs along, or an upright oval (round a 3 or a 5, or a
  0's second round), and a line well below the digit that it reaches past at one end (an
  underline shorter than a 7's bar, or a 2's base written apart).

Of 10,000 held-out training digits (5,000 at 112 and at 224 px), only a 5 with specks of dash
under it changes, losing them (bench/results.md).
"""

from __future__ import annotations

import cv2
import numpy as np

# Share of the hull's outline with the ring's ink on it (within ON_THE_HULL px): a hand-drawn
# ring may be left open by a fifth.
RING_COVERAGE = 0.8
ON_THE_HULL = 2.0
# What the ring holds stands at least this share of the ring's height: a digit, not a speck.
INNER_HEIGHT = 0.4
# A ring apart from a number's writing lies in the band along the hull (below) but for this
# share of it: a piece reaching further in holds some of the writing, the digits at its ends.
BEYOND_THE_BAND = 0.05
# A ring the digit touches: the band along the hull, BAND_PENS pen widths and BAND_MARGIN px
# deep, is the ring, when the hull's outline leaves the ink at most RING_GAPS times (its
# opening; a slash poking out of a 0 adds two) and the hull is round (a 0 is taller than wide).
# What the band holds is a digit when, bolder than half the pen, it stands BODY_HEIGHT of the
# ring's height, off its centre by at most BODY_OFF_CENTRE of its size; a tenth of it lies
# CLEAR_OF_THE_RING pens from the band or further; it comes within CENTRE_REACH of the ring's
# half-size of its centre; and it is no straight stroke (STRAIGHT_SHARE of it within a pen, or
# BEND of the ring's height, of a line). A 0 with a slash or a stroke in it, or written round
# twice, fails one of these.
RING_ROUNDNESS = 0.75
BAND_PENS = 1.25
BAND_MARGIN = 2.0
BODY_HEIGHT = 0.45
BODY_OFF_CENTRE = 0.08
# Doubtful (a second reading): a digit touching its ring may stand this share of its width off
# centre sideways (a 3's bowls open to the left), its body all the bold parts the band leaves
# at least BODY_PART of the largest (the band cuts a digit where it touches the ring).
BODY_OFF_ACROSS = 0.2
BODY_PART = 0.2
CLEAR_OF_THE_RING = 2.25
CENTRE_REACH = 0.3
STRAIGHT_SHARE = 0.85
BEND = 0.06
RING_GAPS = 2
# A line under the writing is at least this many times as wide as it is tall, no taller than
# UNDERLINE_HEIGHT of the writing above it, and reaches past it at both ends by UNDERLINE_REACH
# of that height.
UNDERLINE_ASPECT = 4.0
UNDERLINE_HEIGHT = 0.2
UNDERLINE_REACH = 0.05
# Doubtful (a second reading): a line apart under the writing that lies this share of the
# writing's height below it, though the writing reaches past one of its ends.
UNDERLINE_GAP = 0.08
# A line in the writing's rows: the lowest rows of ink with runs at least UNDERLINE_RUN of the
# writing's height long, followed along the line fitted to them. Apart from the writing, it
# goes as a line below a row with none does; touched, when what touches it lands within
# TOUCHING_WIDTH of its length, TOUCHED_REACH of its length in from both its ends.
UNDERLINE_RUN = 0.5
TOUCHED_REACH = 0.15
TOUCHING_WIDTH = 0.12


def without_added_marks(
    ink: np.ndarray, one_digit: bool = True, doubtful: bool = False
) -> np.ndarray:
    """(h, w) bool ink of one digit, or of a number -> the same without a ring round it or a
    line under it. With `doubtful`, marks that shape alone cannot tell from the digit's own
    strokes go too (for a second reading: `digitrec.imaging.photo`): a short line well below
    the digit that it reaches past at one end (an underline, or a 2's base written apart:
    UNDERLINE_GAP), and a ring the digit touches off its centre or runs along, or an upright
    oval (round a 3 or a 5, or a 0's second round: `_digit_in_a_touching_ring`)."""
    ringless = without_a_ring(ink, one_digit, doubtful)
    return without_a_touching_underline(without_an_underline(ringless, doubtful))


def without_a_ring(ink: np.ndarray, one_digit: bool = True, doubtful: bool = False) -> np.ndarray:
    """(h, w) bool ink of one digit, or of a number -> the same with a ring drawn round it
    taken off, or as it is when it holds no ring (with `doubtful`, one the digit touches off
    its centre or runs along, or an upright oval, goes too)."""
    mask = ink.astype(np.uint8)
    pieces, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if pieces < 2:
        return ink
    hull, depth = hull_depth(mask)
    outline, _ = cv2.findContours(hull, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    along = max(outline, key=len)[:, 0, :]
    # The piece the hull runs along: the one nearest most points of its outline.
    distance, nearest = cv2.distanceTransformWithLabels(
        1 - mask, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL
    )
    ys, xs = np.nonzero(mask)
    piece_of_pixel = np.zeros(nearest.max() + 1, np.int32)
    piece_of_pixel[nearest[ys, xs]] = labels[ys, xs]
    on_hull = distance[along[:, 1], along[:, 0]] <= ON_THE_HULL
    owners = piece_of_pixel[nearest[along[:, 1], along[:, 0]]][on_hull]
    if len(owners) == 0:
        return ink
    ring = int(np.bincount(owners).argmax())
    if np.count_nonzero(owners == ring) < RING_COVERAGE * len(along):
        return ink
    pen = _ring_pen(ink, depth)
    band = ink & (depth <= band_depth(pen))
    ring_ink = labels == ring
    in_the_band = np.count_nonzero(ring_ink & ~band) <= BEYOND_THE_BAND * ring_ink.sum()
    # A ring apart from the writing. Round one digit, the piece is taken off whatever it holds
    # (a photo's dark surround round the digit goes too); round a number, only a ring.
    if pieces >= 3 and (one_digit or in_the_band):
        rest = ink & ~ring_ink
        rows = np.flatnonzero(rest.any(axis=1))
        if rows[-1] - rows[0] + 1 >= INNER_HEIGHT * stats[ring, cv2.CC_STAT_HEIGHT]:
            return rest
    if not one_digit:
        number = _number_in_a_touching_ring(ink, band, pen, stats[ring, cv2.CC_STAT_HEIGHT])
        if number is not None:
            return number
    if _gaps_along(on_hull, pen) > RING_GAPS:
        return ink  # something pokes out of it: a slashed zero's slash
    return _digit_in_a_touching_ring(ink, hull, band, pen, doubtful)


def hull_depth(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(h, w) uint8 mask with ink -> its convex hull (uint8, 1 inside) and each pixel's
    distance from the hull's outside (float32, 0 beyond it)."""
    hull = np.zeros_like(mask)
    cv2.fillPoly(hull, [cv2.convexHull(cv2.findNonZero(mask))], 1)
    return hull, cv2.distanceTransform(np.pad(hull, 1), cv2.DIST_L2, 3)[1:-1, 1:-1]


def band_depth(pen: float) -> float:
    """How deep in the hull, px, a ring drawn with a pen `pen` px wide lies (BAND_*)."""
    return BAND_PENS * pen + BAND_MARGIN


def _ring_pen(ink: np.ndarray, depth: np.ndarray) -> float:
    """The width of the ring's stroke, px: twice the median depth of the middles of the strokes
    that run along the hull (`depth`, each pixel's distance from the hull's outside), where a
    stroke's middle lies as deep in the hull as in the stroke."""
    inside = cv2.distanceTransform(np.pad(ink.astype(np.uint8), 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
    middles = ink & (inside >= cv2.dilate(inside, np.ones((3, 3), np.uint8)))
    on_the_hull = middles & (depth <= inside + 1.5)
    return 2 * float(np.median(inside[on_the_hull if on_the_hull.any() else middles]))


def _digit_in_a_touching_ring(
    ink: np.ndarray, hull: np.ndarray, band: np.ndarray, pen: float, doubtful: bool = False
) -> np.ndarray:
    """Ink that runs along its hull -> the same without the band one pen wide along the hull,
    when the hull is round and what the band holds is a digit (BODY_*, CLEAR_OF_THE_RING,
    CENTRE_REACH, STRAIGHT_SHARE). With `doubtful`, the ring may be an upright oval (as round a
    digit, taller than wide) and the digit may touch it off the centre sideways and run along
    it (BODY_PART, BODY_OFF_ACROSS), as a 0 written round again does: the model judges."""
    ys, xs = np.nonzero(hull)
    height, width = ys[-1] - ys[0] + 1, xs.max() - xs.min() + 1
    if not doubtful and width < RING_ROUNDNESS * height:
        return ink
    rest = ink & ~band
    bold = _bold(rest, pen).astype(np.uint8)
    found, parts, part_stats, _ = cv2.connectedComponentsWithStats(bold, connectivity=8)
    if found < 2:
        return ink
    areas = part_stats[1:, cv2.CC_STAT_AREA]
    share = BODY_PART if doubtful else 1.0
    body = np.isin(parts, 1 + np.flatnonzero(areas >= share * areas.max()))
    body_ys, body_xs = np.nonzero(body)
    off_centre = abs(body_ys[0] + body_ys[-1] - ys[0] - ys[-1]) / (2 * height)
    off_across = abs(body_xs.min() + body_xs.max() - xs.min() - xs.max()) / (2 * width)
    if (
        body_ys[-1] - body_ys[0] + 1 < BODY_HEIGHT * height
        or off_centre > BODY_OFF_CENTRE
        or off_across > (BODY_OFF_ACROSS if doubtful else BODY_OFF_CENTRE)
    ):
        return ink
    _, labels = cv2.connectedComponents(rest.astype(np.uint8), connectivity=8)
    digit = rest & np.isin(labels, np.unique(labels[body]))
    from_band = cv2.distanceTransform((~band).astype(np.uint8), cv2.DIST_L2, 3)
    if not doubtful and np.percentile(from_band[digit], 90) < CLEAR_OF_THE_RING * pen:
        return ink  # an outline traced twice, running along its first round
    if not _reaches_the_centre(digit, ys, xs) or _straight(digit, max(pen, BEND * height)):
        return ink  # a 0 written round again or with a stroke in it, not a digit in a ring
    return digit


def _number_in_a_touching_ring(
    ink: np.ndarray, band: np.ndarray, pen: float, ring_height: int
) -> np.ndarray | None:
    """Ink of a number that runs along its hull -> the same without the band one pen wide
    along the hull, and without what of the ring the band leaves (pieces with no stroke as bold
    as half the pen), when what is left is two digits or more: pieces standing INNER_HEIGHT of
    the ring's height. None when it is not (one digit read as a number, judged as one digit)."""
    rest = ink & ~band
    bold = _bold(rest, pen)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(rest.astype(np.uint8), connectivity=8)
    with_strokes = np.unique(labels[bold])
    tall = stats[with_strokes, cv2.CC_STAT_HEIGHT] >= INNER_HEIGHT * ring_height
    digits = with_strokes[tall & (with_strokes > 0)]
    if len(digits) < 2:
        return None
    return rest & np.isin(labels, with_strokes[with_strokes > 0])


def _bold(ink: np.ndarray, pen: float) -> np.ndarray:
    """(h, w) bool: the ink's strokes at least half the pen wide (an opening by a disc that
    wide): a digit's strokes, not the sliver of a ring's inner rim that its band leaves."""
    size = max(1, round(pen / 2))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return cv2.morphologyEx(ink.astype(np.uint8), cv2.MORPH_OPEN, disc).astype(bool)


def _gaps_along(on_hull: np.ndarray, pen: float) -> int:
    """How many times the hull's outline (`on_hull`, bool along it: ink there) leaves the ink
    for longer than a pen: a ring's opening, where a stroke poking out of a round adds two."""
    off = ~on_hull
    if off.all():
        return 1
    start = int(np.argmin(off))  # from a point on ink, so that no run wraps round
    runs = np.diff(np.concatenate([[0], np.roll(off, -start).astype(np.int8), [0]]))
    lengths = np.flatnonzero(runs == -1) - np.flatnonzero(runs == 1)
    return int(np.count_nonzero(lengths > pen))


def _reaches_the_centre(digit: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> bool:
    """Whether the digit's ink comes within CENTRE_REACH of the hull's half-size (rows `ys`,
    columns `xs`) of its centre, as a digit's strokes do and a 0's second round does not."""
    inked_ys, inked_xs = np.nonzero(digit)
    cy, cx = (ys[0] + ys[-1]) / 2, (xs.min() + xs.max()) / 2
    half = min(ys[-1] - ys[0], xs.max() - xs.min()) / 2
    return bool(np.hypot(inked_ys - cy, inked_xs - cx).min() <= CENTRE_REACH * half)


def _straight(ink: np.ndarray, within: float) -> bool:
    """Whether the ink is one straight stroke: STRAIGHT_SHARE of it `within` px of the line
    fitted to it."""
    points = cv2.findNonZero(ink.astype(np.uint8)).reshape(-1, 2).astype(np.float32)
    vx, vy, x0, y0 = cv2.fitLine(points, cv2.DIST_L2, 0, 0.01, 0.01).ravel()
    off_line = np.abs((points[:, 0] - x0) * vy - (points[:, 1] - y0) * vx)
    return bool(np.mean(off_line <= within) >= STRAIGHT_SHARE)


def without_an_underline(ink: np.ndarray, doubtful: bool = False) -> np.ndarray:
    """(h, w) bool ink of a digit or a number -> the same without a line drawn under it, apart
    from it: its lowest inked rows, below a row with no ink, when they are flat and low and
    reach past the writing above at both ends (with `doubtful`, or lie well below it)."""
    rows = np.flatnonzero(ink.any(axis=1))
    if len(rows) < 3:
        return ink
    gaps = np.flatnonzero(np.diff(rows) > 1)
    if len(gaps) == 0:
        return ink
    top_of_line = rows[gaps[-1] + 1]
    line_height = rows[-1] - top_of_line + 1
    above = rows[rows < top_of_line]
    height_above = above[-1] - above[0] + 1
    line_cols = np.flatnonzero(ink[top_of_line:].any(axis=0))
    cols_above = np.flatnonzero(ink[:top_of_line].any(axis=0))
    reach = UNDERLINE_REACH * height_above
    past_both_ends = (
        line_cols[0] <= cols_above[0] - reach and line_cols[-1] >= cols_above[-1] + reach
    )
    flat = line_cols[-1] - line_cols[0] + 1 >= UNDERLINE_ASPECT * line_height
    well_below = doubtful and top_of_line - above[-1] - 1 >= UNDERLINE_GAP * height_above
    if (
        not (flat and (past_both_ends or well_below))
        or line_height > UNDERLINE_HEIGHT * height_above
    ):
        return ink
    kept = ink.copy()
    kept[top_of_line:] = False
    return kept


def without_a_touching_underline(ink: np.ndarray) -> np.ndarray:
    """(h, w) bool ink of a digit or a number -> the same without a line drawn under it in the
    rows of the writing: the lowest long flat run of ink, followed to its ends, when it is
    thin, reaches past the writing above at both ends, and nothing touches it or what does
    lands in a narrow place well in from its ends."""
    rows = np.flatnonzero(ink.any(axis=1))
    if len(rows) < 3:
        return ink
    line = _lowest_line(ink, rows[-1] - rows[0] + 1)
    if line is None:
        return ink
    near = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    rest = ink & ~line
    rest_rows = np.flatnonzero(rest.any(axis=1))
    line_rows = np.flatnonzero(line.any(axis=1))
    if len(rest_rows) == 0 or rest_rows[0] >= line_rows[0]:
        return ink
    thickness = np.median(line.sum(axis=0)[line.any(axis=0)])
    if thickness > UNDERLINE_HEIGHT * (line_rows[0] - rest_rows[0]):
        return ink
    rest_cols = np.flatnonzero(rest.any(axis=0))
    line_cols = np.flatnonzero(line.any(axis=0))
    length = line_cols[-1] - line_cols[0] + 1
    past = UNDERLINE_REACH * (line_rows[0] - rest_rows[0])
    if line_cols[0] > rest_cols[0] - past or line_cols[-1] < rest_cols[-1] + past:
        return ink
    touching = rest & (cv2.dilate(line.astype(np.uint8), near) > 0)
    touched = np.flatnonzero(touching.any(axis=0))
    if len(touched) == 0:
        return rest  # apart from the writing, but in rows of it: a slanting line
    reach = TOUCHED_REACH * length
    if touched[0] - line_cols[0] < reach or line_cols[-1] - touched[-1] < reach:
        return ink
    if touched[-1] - touched[0] + 1 > TOUCHING_WIDTH * length:
        return ink
    return rest


def _lowest_line(ink: np.ndarray, height: int) -> np.ndarray | None:
    """(h, w) bool: the ink of the lowest straight, nearly flat line under the writing, found
    by its rows' runs at least UNDERLINE_RUN of the writing's `height` long and followed to
    its ends along the line fitted to them (a hand's line slants a little); None if the
    lowest such run has ink hanging below it."""
    mask = ink.astype(np.uint8)
    run = np.ones((1, max(3, round(UNDERLINE_RUN * height))), np.uint8)
    flat = cv2.morphologyEx(mask, cv2.MORPH_OPEN, run)
    pieces, labels, stats, _ = cv2.connectedComponentsWithStats(flat, connectivity=8)
    if pieces < 2:
        return None
    lowest = 1 + int((stats[1:, cv2.CC_STAT_TOP] + stats[1:, cv2.CC_STAT_HEIGHT]).argmax())
    if stats[lowest, cv2.CC_STAT_WIDTH] < run.shape[1]:
        return None  # kept by the opening only at the image's edge: narrower than the run
    ys, xs = np.nonzero(labels == lowest)
    slope, offset = np.polyfit(xs, ys, 1)
    half = _half_width(ink, xs, ys)
    all_ys, all_xs = np.nonzero(ink)
    on_it = np.abs(all_ys - (slope * all_xs + offset)) <= half + 1.5
    zone = np.zeros_like(mask)
    zone[all_ys[on_it], all_xs[on_it]] = 1
    _, zone_labels = cv2.connectedComponents(zone, connectivity=8)
    line = zone_labels == zone_labels[ys[0], xs[0]]
    # The line's ragged edges, specks off the fitted line by a pixel or two, are the line's.
    _, rest_labels, rest_stats, _ = cv2.connectedComponentsWithStats(
        (ink & ~line).astype(np.uint8), connectivity=8
    )
    beside = np.unique(rest_labels[cv2.dilate(line.astype(np.uint8), np.ones((3, 3))) > 0])
    edges = beside[(beside > 0) & (rest_stats[beside, cv2.CC_STAT_AREA] <= (2 * half) ** 2)]
    line |= np.isin(rest_labels, edges)
    below = all_ys > slope * all_xs + offset + half + 1.5
    if np.count_nonzero(below) > (2 * half) ** 2:
        return None  # ink hangs below the flat run, more than its ragged edge: no underline
    return line


def _half_width(ink: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> float:
    """Half the width, px, of the stroke through the points (xs, ys): the median over their
    columns of the deepest of them inside the ink (each pixel's distance from the paper)."""
    inside = cv2.distanceTransform(np.pad(ink.astype(np.uint8), 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
    deepest = np.zeros(ink.shape[1], np.float32)
    np.maximum.at(deepest, xs, inside[ys, xs])
    return float(np.median(deepest[np.unique(xs)]))
