"""The marks on a page, and which of them are writing.

Marks are the 8-connected pieces of an ink mask grown by a little (so that the broken strokes
of one digit, pencil grain or a stroke cut by a removed line stay one mark). Some are not
writing at all and are dropped:
- edges: marks touching the border along much of it, or solid ones touching it at all (the
  page's edge, the table, dark corners);
- outlines: a long thin frame away from the middle (the rest of a page's edge), or a thin one
  round another mark (a form's box);
- large regions: a shadow or the table, more than a quarter of the image;
- specks: less than SPECK_SHARE of the heaviest mark's ink.
Which of what is left is the digit is `digitrec.imaging.central_digit`'s to say.
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


@dataclass(frozen=True)
class Marks:
    """The marks of an ink mask and what is known of each; index 0 is the paper."""

    labels: np.ndarray  # (h, w) int32: each inked pixel's mark, 0 on paper
    mass: np.ndarray  # (n,) the ink each mark holds
    area: np.ndarray  # (n,) its inked pixels
    # (n, 4) x, y, w, h of the mark grown a pixel round its ink (the ink pieces that growing
    # joins are one mark): a box at the picture's edge need not hold ink there.
    boxes: np.ndarray
    centres: np.ndarray  # (n, 2) x, y of its box's centre
    border: np.ndarray  # (n,) the longest share of one border its ink touches

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
    piece = piece_of(marks, index)
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
    piece = piece_of(marks, index)
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


def piece_of(marks: Marks, index: int) -> np.ndarray:
    """(h, w) uint8: mark `index`'s ink (1) in its box."""
    x, y, w, h = marks.boxes[index].astype(int)
    return (marks.labels[y : y + h, x : x + w] == index).astype(np.uint8)


def _turned_box_area(points: np.ndarray) -> float:
    """The area of the smallest box round `points` (OpenCV's (n, 1, 2)), turned as they lie."""
    _, (side, other_side), _ = cv2.minAreaRect(points)
    return float(side * other_side)


def mask_of(marks: Marks, chosen: np.ndarray) -> np.ndarray:
    """(h, w) bool: the pixels of the chosen marks."""
    return chosen[marks.labels]
