"""Boolean masks of ink: their 8-connected components, how deep each is, and the mask grown by
one pixel.

Speck removal (`digitrec.imaging.ink`) and the number reader (`digitrec.numbers`) both work on
these. OpenCV does the work.
"""

from __future__ import annotations

import cv2
import numpy as np

_EIGHT_NEIGHBOURS = np.ones((3, 3), np.uint8)


def label_components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected components of a boolean (h, w) mask -> (labels (h, w) int32, count).

    Label 0 is the background; components are numbered 1..count in the order their first pixel
    comes, row by row, so that the numbering depends on the mask alone.
    """
    count, labels = cv2.connectedComponents(
        np.asarray(mask, dtype=np.uint8), connectivity=8, ltype=cv2.CV_32S
    )
    if count <= 2:  # no component, or one: already numbered in that order
        return labels, count - 1
    found, first = np.unique(labels[labels > 0], return_index=True)
    renumbered = np.zeros(count, np.int32)
    renumbered[found[np.argsort(first)]] = np.arange(1, count, dtype=np.int32)
    return renumbered[labels], count - 1


def grown(mask: np.ndarray) -> np.ndarray:
    """A boolean (h, w) mask dilated by one pixel in all eight directions."""
    return cv2.dilate(np.asarray(mask, dtype=np.uint8), _EIGHT_NEIGHBOURS).astype(bool)


def depths(labels: np.ndarray, count: int) -> np.ndarray:
    """(count + 1,) the deepest any pixel of each labelled region (labels (h, w), 0 the
    background) lies from the region's edge, px: half a stroke's width, the most of a patch's."""
    inside = cv2.distanceTransform((labels > 0).astype(np.uint8), cv2.DIST_L2, 3)
    deepest = np.zeros(count + 1, np.float32)
    np.maximum.at(deepest, labels.ravel(), inside.ravel())
    return deepest
