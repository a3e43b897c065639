"""Which marks on a page are writing, and which one is the digit.

Marks are the 8-connected pieces of an ink mask grown by a little (so that the broken strokes
of one digit, pencil grain or a stroke cut by a removed line stay one mark). Some are not
writing at all and are dropped:
- edges: marks touching the border along much of it, or solid ones touching it at all (the
  page's edge, the table, dark corners);
- outlines: a long thin frame away from the middle (the rest of a page's edge), or a thin one
  round another mark (a form's box);
- large regions: a shadow or the table, more than a quarter of the image;
- specks: less than SPECK_SHARE of the heaviest mark's ink.
Of what is left, the digit is the heaviest mark weighted by nearness to the centre, with the
marks just beside it (a 5's bar written apart); others of about its weight and height are more
digits. Print round it (a worksheet's words) is neither: words and lines of them, shorter than
the digit, are told by their letters and their lines (PRINT_*).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from digitrec.imaging.added_marks import band_depth, hull_depth
from digitrec.imaging.strokes import stroke_width

SPECK_SHARE = 0.03
# A mark touching one border along more than this share of it is the page's edge or the table.
EDGE_SHARE = 0.2
LARGE_SHARE = 0.25
# A mark at the border that fills more than this share of its box is a patch of table or
# shadow in a corner; strokes leave most of their box empty.
SOLID_FILL = 0.5
# A mark whose ink fills less than this share of its box, and whose box spans this much of the
# image, is an outline.
OUTLINE_FILL = 0.08
OUTLINE_SPAN = 0.3
# ...unless it is in the middle, within this share of the image's sides from its centre (a 1
# written slanting fills little of its box too).
MIDDLE_REACH = 0.15
# A mark whose box holds another's centre and whose ink fills less than this share of its box
# is a frame drawn round it: a form's box (the loop of a 0 or a 6 fills twice as much)...
FRAME_FILL = 0.2
# ...and so is one printed as thick as a pen, whose outline fills this share of its box (a
# rectangle, where a 0's ellipse fills pi / 4 of it).
RECTANGLE_FILL = 0.9
# A thin frame that is round (its hull fills at most RING_FILL of its smallest box, where an
# ellipse's fills pi / 4), holding more than JOINED_WRITING of its ink deeper in its hull
# than a ring's band (`added_marks.band_depth`), has writing joined to it (a ring round a
# number that its end digits run into): it stays, for `added_marks` to take the band off. A
# form's row of boxes, a rectangle, has its sides inside its hull.
RING_FILL = 0.85
JOINED_WRITING = 0.15
# Nearness to the centre weighs a mark by exp(-(distance / CENTRE_REACH)^2), the distance in
# shares of the image's sides.
CENTRE_REACH = 0.35
# Marks no wider and no taller than the digit, closer to its box than this share of its longer
# side, are parts of it: the bar of a 5 or a 7 written apart, a stroke broken where the pen
# skipped (not the sides of a form's boxes, taller than the digit they hold).
PART_GAP = 0.15
# ...or, broken across, above or below it and at most this many times as tall and as wide.
STACKED_SIZE = 2.0
# ...or no more than this share of its longer side from the ink already found to be it,
# above, below or over it, its longer side at most STACKED_SIZE times the digit's: a stroke
# broken in several places (a 3 in three pieces, the middle one joining the others), a 7's
# bar wider than its stem. Digits side by side in a number are beside each other.
PIECE_REACH = 0.2
MAX_PIECE_ROUNDS = 4
# Another mark with this share of the digit's ink, between half and twice its height,
# is another digit.
ANOTHER_DIGIT_SHARE = 0.35
# Print round the digit (a worksheet's words) is neither the digit nor a part of it: marks no
# taller than PRINT_HEIGHT of the digit that are words (PRINT_LETTERS pieces of ink or more, or
# as many marks of their height side by side on a line), or lines of them (two marks or one)
# wider than PRINT_WIDTH of its height, or printed with strokes no wider than PRINT_STROKE of
# its. A digit's own parts are written with its pen, in a piece or two, and a bar or a base is
# narrower than the digit is tall.
PRINT_HEIGHT = 0.5
PRINT_LETTERS = 3
PRINT_WIDTH = 1.2
PRINT_STROKE = 0.6
# Marks this many times as wide as tall or more are lines (of print, or a digit's bar): they
# set neither the digit's height nor the weight a mark needs to be a contender for it.
LINE_SHAPE = 3.0
# A mark no taller than PRINT_HEIGHT of the digit and this many times as wide as tall is a word.
# Doubtful (a second reading): never a part of the digit where its ink encloses paper no more
# than EYE_AREA of its height squared (a letter's eye; a bar or a base written apart encloses
# none, and the loop of a 2 broken off its stroke is larger; but a bar with an ink skip may).
WORD_SHAPE = 2.0
EYE_AREA = 0.1
# Marks weighing this share of the heaviest (mass by nearness to the centre) may be the digit.
CONTENDER_SHARE = 0.5


@dataclass(frozen=True)
class Marks:
    """The marks of an ink mask and what is known of each; index 0 is the paper."""

    labels: np.ndarray  # (h, w) int32: each inked pixel's mark, 0 on paper
    mass: np.ndarray  # (n,) the ink each mark holds
    area: np.ndarray  # (n,) its inked pixels
    boxes: np.ndarray  # (n, 4) x, y, w, h
    centres: np.ndarray  # (n, 2) x, y of its box's centre
    border: np.ndarray  # (n,) the longest share of one border it touches

    @property
    def shape(self) -> tuple[int, int]:
        return self.labels.shape


def marks_of(mask: np.ndarray, strength: np.ndarray) -> Marks:
    """(h, w) uint8 mask (0/255) and float32 ink strength -> its Marks."""
    h, w = mask.shape
    reach = 3
    grown = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    labels = np.where(mask > 0, labels, 0)
    flat = labels.ravel()
    mass = np.bincount(flat, weights=strength.ravel(), minlength=count)
    mass[0] = 0.0
    area = np.bincount(flat, minlength=count).astype(np.float64)
    border = np.zeros(count)
    for edge, side in ((labels[0], w), (labels[-1], w), (labels[:, 0], h), (labels[:, -1], h)):
        border = np.maximum(border, np.bincount(edge, minlength=count) / side)
    boxes = stats[:, :4].astype(np.float64)
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    return Marks(labels, mass, area, boxes, centres, border)


def writing(marks: Marks, on_a_page: bool = True) -> np.ndarray:
    """(n,) bool: the marks that are writing, not the page, its light or its print. Not
    `on_a_page` (a scan: no page edge, table, shadow or dark corner), marks at the border and
    large ones stay: they are a digit cropped to fill its scan."""
    h, w = marks.shape
    box_w, box_h = marks.boxes[:, 2], marks.boxes[:, 3]
    span = np.maximum(box_w / w, box_h / h)
    fill = marks.area / np.maximum(box_w * box_h, 1.0)
    kept = marks.mass >= SPECK_SHARE * marks.mass.max()
    outline = (fill < OUTLINE_FILL) & (span > OUTLINE_SPAN) & ~_in_the_middle(marks)
    kept &= ~(outline | _frames_another(marks, fill, kept))
    if on_a_page:
        kept &= marks.area <= LARGE_SHARE * h * w
        kept &= marks.border <= EDGE_SHARE
        kept &= ~((marks.border > 0) & (fill > SOLID_FILL))
    kept[0] = False
    return kept


def _in_the_middle(marks: Marks) -> np.ndarray:
    """(n,) bool: marks whose box's centre is in the middle of the image (MIDDLE_REACH of its
    sides from the centre), where the writing is: the page's edges lie around it."""
    h, w = marks.shape
    offset = np.abs(marks.centres / np.array([w, h]) - 0.5)
    return (offset <= MIDDLE_REACH).all(axis=1)


def _frames_another(marks: Marks, fill: np.ndarray, heavy: np.ndarray) -> np.ndarray:
    """(n,) bool: marks round another, smaller mark and no speck (one of the `heavy` ones),
    that are thin, or rectangles: a box drawn round a digit. Round: the other's centre is in
    this mark's box, and this mark's ink lies beyond the other's box on three sides of that
    centre at least (a 7's bar holds the centre of a piece of itself broken off its end, but
    not round it). A slanting 1's box may hold the centre of a speck, and a digit's box
    that of a grid round it."""
    x, y, w, h = marks.boxes.T
    cx, cy = marks.centres[1:, 0], marks.centres[1:, 1]
    holds = (
        (x[:, None] < cx) & (cx < (x + w)[:, None]) & (y[:, None] < cy) & (cy < (y + h)[:, None])
    )
    holds &= (w[1:] < w[:, None]) & (h[1:] < h[:, None]) & heavy[1:]
    thin = fill < FRAME_FILL
    framing = np.zeros(len(fill), bool)
    for index, held in zip(*np.nonzero(holds), strict=True):
        if framing[index] or not _round(marks, index, held + 1):
            continue
        if thin[index]:
            framing[index] = not _a_ring_with_writing_joined(marks, index)
        else:
            framing[index] = _outline_fill(marks, index) >= RECTANGLE_FILL
    return framing


def _a_ring_with_writing_joined(marks: Marks, index: int) -> bool:
    """Whether mark `index` is round (its hull fills at most RING_FILL of the smallest box
    round it, turned as it lies: a tilted row of a form's boxes is no rounder) and more than
    JOINED_WRITING of its ink lies deeper in its hull than a ring's band: writing joined to
    a ring."""
    piece = _piece(marks, index)
    hull, depth = hull_depth(piece)
    if np.count_nonzero(hull) > RING_FILL * _turned_box_area(cv2.findNonZero(piece)):
        return False
    inside = piece & (depth > band_depth(stroke_width(piece)))
    return np.count_nonzero(inside) > JOINED_WRITING * np.count_nonzero(piece)


def _round(marks: Marks, index: int, held: int) -> bool:
    """Whether mark `index`'s ink lies beyond mark `held`'s box, from its centre, in three of
    the four directions at least (a box, or what is left of one whose side a line took)."""
    x, y, w, h = marks.boxes[held].astype(int)
    cx, cy = (int(c) for c in marks.centres[held])
    labels = marks.labels
    beyond = (labels[:y, cx], labels[y + h :, cx], labels[cy, :x], labels[cy, x + w :])
    return sum(bool((ray == index).any()) for ray in beyond) >= 3


def _outline_fill(marks: Marks, index: int) -> float:
    """The share of mark `index`'s box that its outer outline holds, the box turned as the mark
    lies: its upright box, shrunk by as much as the smallest turned box round the outline is
    smaller than the upright one (an upright mark is measured against its box; a form's box
    tilted a few degrees is as much a rectangle as an upright one)."""
    piece = _piece(marks, index)
    contours, _ = cv2.findContours(piece, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return 0.0
    # The outer outlines hold all the ink: their points have its smallest box, and are fewer.
    points = np.concatenate(contours)
    _, _, width, height = cv2.boundingRect(points)
    upright = max((width - 1) * (height - 1), 1)
    turned = min(_turned_box_area(points) / upright, 1.0)
    _, _, box_width, box_height = marks.boxes[index]
    return max(cv2.contourArea(c) for c in contours) / max(box_width * box_height * turned, 1.0)


def _piece(marks: Marks, index: int) -> np.ndarray:
    """(h, w) uint8: mark `index`'s ink (1) in its box."""
    x, y, w, h = marks.boxes[index].astype(int)
    return (marks.labels[y : y + h, x : x + w] == index).astype(np.uint8)


def _turned_box_area(points: np.ndarray) -> float:
    """The area of the smallest box round `points` (OpenCV's (n, 1, 2)), turned as they lie."""
    _, (side, other_side), _ = cv2.minAreaRect(points)
    return float(side * other_side)


def central_digit(
    marks: Marks, candidates: np.ndarray, doubtful: bool = False
) -> tuple[np.ndarray, bool]:
    """The digit among the `candidates`: ((n,) bool, just it; whether others look like digits
    too). With `doubtful`, no word whose letters have eyes is a part of it (EYE_AREA)."""
    h, w = marks.shape
    offset = np.hypot(marks.centres[:, 0] / w - 0.5, marks.centres[:, 1] / h - 0.5)
    nearness = np.exp(-((offset / CENTRE_REACH) ** 2))
    weight = np.where(candidates, marks.mass * nearness, 0.0)
    chosen = np.zeros(len(weight), bool)
    if not weight.any():
        return chosen, False
    # The tallest of the marks that could be the digit sets the height print falls short of: a
    # line of words may outweigh the digit, but it is not as tall. A mark in a row of others of
    # its height (a table's grain, a number's digits) sets none, nor does a line (its letters
    # run together), whose weight would leave a fine digit no contender.
    in_rows, row_spans = _in_a_row(marks, candidates)
    heights, widths = marks.boxes[:, 3], marks.boxes[:, 2]
    narrow = candidates & (widths < LINE_SHAPE * heights)
    weighed = np.where(narrow, weight, 0.0) if narrow.any() else weight
    contenders = (weighed >= CONTENDER_SHARE * weighed.max()) & (weighed > 0)
    contenders &= in_rows < PRINT_LETTERS
    digit_height = heights[contenders].max() if contenders.any() else heights[weight.argmax()]
    lines = (in_rows >= 2) & (row_spans >= PRINT_WIDTH * digit_height)
    candidates = candidates & ~_lettered(marks, candidates, in_rows, digit_height, lines)
    weight = np.where(candidates, weight, 0.0)
    # A word left over is short and wide: the digit is the heaviest mark that is not.
    wordlike = (heights <= PRINT_HEIGHT * digit_height) & (widths >= WORD_SHAPE * heights)
    unlike_words = np.where(wordlike, 0.0, weight)
    best = int(unlike_words.argmax()) if unlike_words.any() else int(weight.argmax())
    candidates = candidates & ~_print_beside(marks, best)
    if doubtful:
        candidates &= ~_words_with_eyes(marks, wordlike)
    smaller = (marks.boxes[:, 2:] <= marks.boxes[best, 2:]).all(axis=1)
    chosen = candidates & (smaller | _stacked_on(marks.boxes, best))
    chosen &= _gaps_to(marks.boxes, marks.boxes[best]) <= PART_GAP * marks.boxes[best, 2:].max()
    chosen[best] = True
    chosen = _with_pieces_near(marks, chosen, candidates)
    # Another digit is written on the page, clear of its borders.
    others = candidates & ~chosen & (marks.border == 0)
    others &= marks.mass >= ANOTHER_DIGIT_SHARE * marks.mass[best]
    others &= (heights > 0.5 * heights[best]) & (heights < 2 * heights[best])
    return chosen, bool(others.any())


def _in_a_row(marks: Marks, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n,) how many candidates, each one included, stand in a row with each candidate (their
    rows overlapping by half the shorter's height, neither twice as tall as the other), and
    (n,) how wide that row is, px."""
    heights = marks.boxes[:, 3]
    index = np.flatnonzero(candidates)
    top, bottom, tall = (
        marks.boxes[index, 1],
        marks.boxes[index, 1] + heights[index],
        heights[index],
    )
    overlap = np.minimum(bottom[:, None], bottom) - np.maximum(top[:, None], top)
    ratio = tall[:, None] / tall
    row = (overlap >= 0.5 * np.minimum(tall[:, None], tall)) & (ratio <= 2) & (ratio >= 0.5)
    counts = np.zeros(len(heights), np.int64)
    counts[index] = row.sum(axis=1)
    left, right = marks.boxes[index, 0], marks.boxes[index, 0] + marks.boxes[index, 2]
    row_right = np.where(row, right, -np.inf).max(axis=1)
    row_left = np.where(row, left, np.inf).min(axis=1)
    spans = np.zeros(len(heights))
    spans[index] = row_right - row_left
    return counts, spans


def _lettered(
    marks: Marks,
    candidates: np.ndarray,
    in_rows: np.ndarray,
    digit_height: float,
    lines: np.ndarray,
) -> np.ndarray:
    """(n,) bool: the candidates that are print's words: no taller than PRINT_HEIGHT of the
    digit's height, and made of PRINT_LETTERS pieces of ink or more (letters a little apart),
    or in a row of as many marks (`in_rows`) of about their height (words on a line), or in
    one of the `lines` (two words or more, wider than a bar)."""
    short = candidates & (marks.boxes[:, 3] <= PRINT_HEIGHT * digit_height)
    if not short.any():
        return short
    inked = (marks.labels > 0).astype(np.uint8)
    count, pieces = cv2.connectedComponents(inked, connectivity=8)
    pairs = np.unique(marks.labels.astype(np.int64) * count + pieces)
    pieces_in = np.bincount(pairs // count, minlength=len(marks.area))
    return short & ((pieces_in >= PRINT_LETTERS) | (in_rows >= PRINT_LETTERS) | lines)


def _print_beside(marks: Marks, best: int) -> np.ndarray:
    """(n,) bool: marks that are print round the digit (mark `best`), not parts of it: no
    taller than PRINT_HEIGHT of it, and their strokes no wider than PRINT_STROKE of its or
    themselves wider than PRINT_WIDTH of its height (a line of words)."""
    inside = cv2.distanceTransform((marks.labels > 0).astype(np.uint8), cv2.DIST_L2, 3)
    depth = np.bincount(marks.labels.ravel(), weights=inside.ravel(), minlength=len(marks.area))
    depth /= np.maximum(marks.area, 1.0)
    height = marks.boxes[best, 3]
    short = marks.boxes[:, 3] <= PRINT_HEIGHT * height
    wide = marks.boxes[:, 2] >= PRINT_WIDTH * height
    return short & ((depth <= PRINT_STROKE * depth[best]) | wide)


def _words_with_eyes(marks: Marks, wordlike: np.ndarray) -> np.ndarray:
    """(n,) bool: the `wordlike` marks (short and wide) with paper enclosed in their ink, no more
    than EYE_AREA of their height squared: the eye of an a, an e or an o."""
    eyed = np.zeros(len(wordlike), bool)
    for index in np.flatnonzero(wordlike):
        outlines, hierarchy = cv2.findContours(
            _piece(marks, index), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE
        )
        if hierarchy is None:
            continue
        largest = EYE_AREA * float(marks.boxes[index, 3]) ** 2
        eyes = [o for o, (*_, parent) in zip(outlines, hierarchy[0], strict=True) if parent >= 0]
        eyed[index] = any(cv2.contourArea(eye) <= largest for eye in eyes)
    return eyed


def _stacked_on(boxes: np.ndarray, index: int) -> np.ndarray:
    """(n,) bool: boxes over half the narrower one's columns with box `index`, or above or below
    it (their middle beyond its top or its bottom) and overlapping its columns, at most
    STACKED_SIZE times as tall and as wide: the other half of a digit broken across (an 8's
    loops, a 5's or a 7's bar), where digits beside it would be side by side."""
    x, y, w, h = boxes.T
    bx, by, bw, bh = boxes[index]
    middle = y + h / 2
    beyond = (middle < by) | (middle > by + bh)
    overlap = np.minimum(x + w, bx + bw) - np.maximum(x, bx)
    stacked = (overlap >= 0.5 * np.minimum(w, bw)) | (beyond & (overlap > 0))
    return stacked & (h <= STACKED_SIZE * bh) & (w <= STACKED_SIZE * bw)


def _with_pieces_near(marks: Marks, chosen: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """`chosen` (bool, (n,)) with the `candidates` whose ink comes within PIECE_REACH of the
    chosen ink's box's longer side of that ink, above, below or over it and no longer than
    STACKED_SIZE times that side, again as long as more join."""
    x, w = marks.boxes[:, 0], marks.boxes[:, 2]
    for _ in range(MAX_PIECE_ROUNDS):
        box = _box_round(marks.boxes[chosen])
        reach = PIECE_REACH * box[2:].max()
        maybe = candidates & ~chosen & (_gaps_to(marks.boxes, box) <= reach)
        maybe &= np.minimum(x + w, box[0] + box[2]) > np.maximum(x, box[0])
        maybe &= marks.boxes[:, 2:].max(axis=1) <= STACKED_SIZE * box[2:].max()
        if not maybe.any():
            break
        paper = np.where(chosen[marks.labels], 0, 255).astype(np.uint8)
        distance = cv2.distanceTransform(paper, cv2.DIST_L2, 3)
        near = [i for i in np.flatnonzero(maybe) if distance[marks.labels == i].min() <= reach]
        if not near:
            break
        chosen = chosen.copy()
        chosen[near] = True
    return chosen


def _box_round(boxes: np.ndarray) -> np.ndarray:
    """The (x, y, w, h) box round `boxes` ((k, 4))."""
    low = boxes[:, :2].min(axis=0)
    high = (boxes[:, :2] + boxes[:, 2:]).max(axis=0)
    return np.concatenate([low, high - low])


def _gaps_to(boxes: np.ndarray, box: np.ndarray) -> np.ndarray:
    """(n,) the gap, px, between each box and `box` (0 where they overlap)."""
    x, y, w, h = boxes.T
    bx, by, bw, bh = box
    gap_x = np.maximum(0, np.maximum(x, bx) - np.minimum(x + w, bx + bw))
    gap_y = np.maximum(0, np.maximum(y, by) - np.minimum(y + h, by + bh))
    return np.maximum(gap_x, gap_y)


def mask_of(marks: Marks, chosen: np.ndarray) -> np.ndarray:
    """(h, w) bool: the pixels of the chosen marks."""
    return chosen[marks.labels]
