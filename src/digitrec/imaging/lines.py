"""Printed straight lines taken out of an ink mask: ruled and squared paper, a form's boxes.

A pixel is a printed line's when it lies on a straight run of ink that crosses the image
(horizontal or vertical: paper photographed roughly square to the camera) and the ink across
that run is thinner than the writing's strokes. Where a pen stroke crosses the line or runs
along it, the ink across is the stroke's width, so those pixels stay: the strokes a line cut
through are kept whole. A thin 1 is a straight run too, but within the writing. A form's box,
whose sides do not cross the image, is left to `digitrec.imaging.marks`. OpenCV openings and
components do all of it.
"""

from __future__ import annotations

import cv2
import numpy as np

# A printed line is a straight run at least this share of the image's width (or height) long:
# longer than most of a digit's straight strokes in a photo of one digit, as long as a form
# box's side...
LINE_SPAN = 0.3
# ...its ink across thinner than this share of the writing's strokes (the ink off long runs, of
# which there must be MIN_REST_PIXELS for their width to be known)...
THINNER = 0.6
MIN_REST_PIXELS = 20
# ...and a line runs across the page: the run it is on (strokes crossing it included) spans at
# least this share of the image. A 1 in a number cropped tight is thin and straight, but
# within the writing.
EDGE_TO_EDGE = 0.9


def _opened(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(1, width), max(1, height)))
    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)


def _stroke_width(mask: np.ndarray, pixels: np.ndarray) -> float:
    """The typical width of the strokes at `pixels` (bool), px: about four times the median
    distance of their pixels to the paper."""
    distance = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    return 4.0 * float(np.median(distance[pixels]))


def _long_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(across, down): the ink on horizontal and on vertical runs longer than LINE_SPAN.

    The mask is grown by a pixel first, so that a line a pixel thick that steps up or down a
    row (paper turned by a degree) still makes one run."""
    h, w = mask.shape
    grown = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    across = _opened(grown, round(LINE_SPAN * w), 1) & mask
    down = _opened(grown, 1, round(LINE_SPAN * h)) & mask
    return across, down


def _edge_to_edge(runs: np.ndarray, length: float, extent: int) -> np.ndarray:
    """The 8-connected pieces of `runs` whose box is at least `length` long, measured by
    connectedComponentsWithStats' statistic `extent` (its width or its height)."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    long_enough = stats[:, extent] >= length
    long_enough[0] = False
    return long_enough[labels]


def printed_lines(mask: np.ndarray) -> np.ndarray:
    """(h, w) uint8 ink mask (0 or 255) -> the pixels of printed straight lines (0 or 255)."""
    h, w = mask.shape
    across, down = _long_runs(mask)
    writing = (mask > 0) & ((across | down) == 0)
    if writing.sum() < MIN_REST_PIXELS:
        return np.zeros_like(mask)
    thick = max(3, round(THINNER * _stroke_width(mask, writing)))
    # Ink at least `thick` across the run's direction is a pen's, not the line's.
    thin_across = (across > 0) & (_opened(mask, 1, thick) == 0)
    thin_down = (down > 0) & (_opened(mask, thick, 1) == 0)
    thin_across &= _edge_to_edge(across, EDGE_TO_EDGE * w, cv2.CC_STAT_WIDTH)
    thin_down &= _edge_to_edge(down, EDGE_TO_EDGE * h, cv2.CC_STAT_HEIGHT)
    return np.where(thin_across | thin_down, 255, 0).astype(np.uint8)
