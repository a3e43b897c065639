"""Printed straight lines taken out of an ink mask: ruled and squared paper, a form's boxes.

A pixel is a printed line's when it lies on a straight run of ink longer than LINE_SPAN of the
image (horizontal or vertical: paper photographed roughly square to the camera), and the ink
across that run is thin: no thicker than the line itself. Where a pen stroke crosses the line
or runs along it, the ink across is the stroke's width, so those pixels stay: the strokes a line
cut through are kept whole. OpenCV openings do all of it.
"""

from __future__ import annotations

import cv2
import numpy as np

# A printed line is a straight run at least this share of the image's width (or height) long:
# longer than a digit's straight strokes in a photo of one digit, and than a form box's side.
LINE_SPAN = 0.3


def _opened(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(1, width), max(1, height)))
    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)


def _line_thickness(mask: np.ndarray, on_lines: np.ndarray) -> int:
    """The typical thickness of the lines found, px: twice the median distance of their pixels
    to the paper, so that strokes crossing the lines barely move it."""
    distance = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    return max(1, round(2 * float(np.median(distance[on_lines > 0]))))


def printed_lines(mask: np.ndarray) -> np.ndarray:
    """(h, w) uint8 ink mask (0 or 255) -> the pixels of printed straight lines (0 or 255)."""
    h, w = mask.shape
    # Grown by a pixel first, so that a line a pixel thick that steps up or down a row (paper
    # turned by a degree) still makes one run.
    grown = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    across = _opened(grown, round(LINE_SPAN * w), 1) & mask
    down = _opened(grown, 1, round(LINE_SPAN * h)) & mask
    if not across.any() and not down.any():
        return np.zeros_like(mask)
    stroke = _line_thickness(mask, across | down) + 2
    # Ink at least `stroke` thick across the line's direction is a pen's, not the line's.
    thin_across = across & ~_opened(mask, 1, stroke)
    thin_down = down & ~_opened(mask, stroke, 1)
    return thin_across | thin_down
