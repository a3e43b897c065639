"""Which of the marks that are writing (`digitrec.imaging.marks.writing`) is the digit.

The digit is the heaviest mark weighted by nearness to the centre, with the marks just beside it
(a 5's bar written apart, a stroke broken where the pen skipped); others of about its weight and
height are more digits. Print round it (a worksheet's words) is neither: words and lines of
them, shorter than the digit, are told by their letters and their lines (PRINT_*).
"""

from __future__ import annotations

import cv2
import numpy as np

from digitrec.imaging.marks import Marks, piece_of

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
# A line as wide as that may still be a 7's bar written apart from its stem (`_bar_apart`):
# doubtful, joined to the digit in the first reading and not in the second. It lies above the
# stem, its right end within END_REACH of the stem's height of the stem's right side and of
# its top (the stem's top TOP_SHARE of rows), the stem's top under its last BAR_END share; it
# is not cut by the picture's edge (a longer line's end); and it is one stroke (BAR_SOLIDITY
# of its convex hull: a zigzag, a word struck out, cursive and a box fill less) of about the
# stem's pen (no more than BAR_STROKE of its depth: a highlighter's or a marker's is more),
# with no writing within BAR_CLEAR of the stem's height above it (a row of figures
# underlined, a fraction's numerator: any mark at least CLEAR_HEIGHT of the stem's height
# tall). A bar finer than PRINT_STROKE of the stem stays print.
END_REACH = 0.2
TOP_SHARE = 0.1
BAR_END = 0.45
BAR_SOLIDITY = 0.75
BAR_STROKE = 1.5
BAR_CLEAR = 0.5
BAR_ACROSS = 2.0
CLEAR_HEIGHT = 0.15
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
    candidates = candidates & ~_print_beside(marks, best, doubtful)
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


def _print_beside(marks: Marks, best: int, doubtful: bool = False) -> np.ndarray:
    """(n,) bool: marks that are print round the digit (mark `best`), not parts of it: no
    taller than PRINT_HEIGHT of it, and their strokes no wider than PRINT_STROKE of its or
    themselves wider than PRINT_WIDTH of its height (a line of words), unless, outside a
    `doubtful` reading, such a line may be a 7's bar written apart (`_bar_apart`)."""
    inside = cv2.distanceTransform((marks.labels > 0).astype(np.uint8), cv2.DIST_L2, 3)
    depth = np.bincount(marks.labels.ravel(), weights=inside.ravel(), minlength=len(marks.area))
    depth /= np.maximum(marks.area, 1.0)
    height = marks.boxes[best, 3]
    short = marks.boxes[:, 3] <= PRINT_HEIGHT * height
    wide = marks.boxes[:, 2] >= PRINT_WIDTH * height
    if not doubtful:
        wide &= ~_bar_apart(marks, best, short & wide, depth)
    return short & ((depth <= PRINT_STROKE * depth[best]) | wide)


def _bar_apart(marks: Marks, best: int, lines: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """(n,) bool: the `lines` placed and drawn as a 7's bar written apart from its stem, mark
    `best` (END_REACH .. BAR_CLEAR); `depth`: each mark's mean depth of ink. A line drawn over
    a digit reaches past both its sides or has the digit's top under its middle."""
    if not lines.any():  # most photos: no need to find the stem's top
        return lines
    x, y, w, h = marks.boxes.T
    bx, by, bw, bh = marks.boxes[best]
    top_x = _top_of(marks, best)
    reach = END_REACH * bh
    placed = lines & (y + h / 2 < by) & (x + w <= bx + bw + reach) & (x + w >= top_x - reach)
    placed &= (top_x >= x + (1 - BAR_END) * w) & (depth <= BAR_STROKE * depth[best])
    placed &= (x > 0) & (y > 0) & (x + w < marks.shape[1])
    # Writing above, however it was judged (figures too small and fine to be the digit's are
    # still figures): marks taller than specks of the paper.
    written = h >= CLEAR_HEIGHT * bh
    bars = np.zeros(len(placed), bool)
    for index in np.flatnonzero(placed):
        above = written & (y + h / 2 < y[index]) & (y + h >= y[index] - BAR_CLEAR * bh)
        above &= (x < x[index] + w[index]) & (x + w > x[index])
        bars[index] = not above.any() and _one_stroke(marks, index, 4 * depth[best])
    return bars


def _one_stroke(marks: Marks, index: int, pen: float) -> bool:
    """Whether mark `index` is one stroke of a pen about `pen` px wide, as a bar is: its ink
    fills BAR_SOLIDITY of its convex hull (a word struck out, cursive and a box fill less) and
    its narrowest box across is no more than BAR_ACROSS pens (a zigzag's is its rise)."""
    ink = cv2.findNonZero(piece_of(marks, index))
    hull = cv2.contourArea(cv2.convexHull(ink))
    across = min(cv2.minAreaRect(ink)[1])
    return marks.area[index] >= BAR_SOLIDITY * hull and across <= BAR_ACROSS * pen


def _top_of(marks: Marks, index: int) -> float:
    """The mean column of mark `index`'s ink in its top TOP_SHARE of rows (its box, grown round
    its ink, holds none in its first row)."""
    ink = piece_of(marks, index)
    rows = np.flatnonzero(ink.any(axis=1))
    top = ink[rows[0] : rows[0] + max(1, round(TOP_SHARE * len(ink)))]
    return float(marks.boxes[index, 0] + np.nonzero(top)[1].mean())


def _words_with_eyes(marks: Marks, wordlike: np.ndarray) -> np.ndarray:
    """(n,) bool: the `wordlike` marks (short and wide) with paper enclosed in their ink, no more
    than EYE_AREA of their height squared: the eye of an a, an e or an o."""
    eyed = np.zeros(len(wordlike), bool)
    for index in np.flatnonzero(wordlike):
        outlines, hierarchy = cv2.findContours(
            piece_of(marks, index), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE
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
