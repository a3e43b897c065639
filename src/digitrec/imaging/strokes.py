"""A framed digit's stroke width, and strokes too thick for MNIST thinned.

A scanner that crops a digit to fill its box, stretching it to the box's shape, turns a marker's
strokes, a 1 above all, into bars and blocks far wider in the 28x28 frame than any MNIST
writer's: the model reads such a 1 as an 8 or a 2. Strokes of a digit that fills its picture
edge to edge and are wider than THICK_STROKE are worn down to MNIST_STROKE and the digit framed
again. Digits with a margin round them are left as they are: held-out training digits read best
as framed (bench/results.md). But a photo's or a 1-bit scan's digit so bold that framing makes
it a blob (`fill.BLOB_FILL`: a marker's 0, 6 or 8 with its loops all but shut, which would be
answered "not sure") is thinned too: its strokes' width is the light's, the camera's or the
threshold's as much as the pen's. A solid blot wears away instead, and stays a blob.
"""

from __future__ import annotations

import cv2
import numpy as np

from digitrec.imaging.fill import BLOB_FILL, SOLID_INK, ink_fill
from digitrec.imaging.frame import MNIST_SIZE, fit_to_mnist_frame, reaches_every_edge

# Stroke widths in the 28x28 frame (px): 99 % of held-out MNIST training digits' are at most
# THICK_STROKE, 90 % at most MNIST_STROKE.
THICK_STROKE = 4.4
MNIST_STROKE = 3.4
# Strokes worn down to MNIST_STROKE keep at least this share of their full ink (a bar twice
# as wide keeps half); a solid blob (a dot, a tap) wears away instead, and is left as it is.
LEAST_KEPT = 0.25
_PIXEL = np.ones((2, 2), np.float32)


def stroke_width(mnist: np.ndarray) -> float:
    """The mean width (px) of the full-ink strokes of a float ink image (a (28, 28) input, or
    any ink map in [0, 1]): twice their area over their outline's length, as a stroke of width w
    and length l has area w l and outline about 2 l. 0 without ink."""
    solid = (np.asarray(mnist) >= SOLID_INK).astype(np.uint8)
    outlines, _ = cv2.findContours(solid, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(outline, True) for outline in outlines)
    return 2.0 * float(solid.sum()) / perimeter if perimeter else 0.0


def thinned(mnist: np.ndarray) -> np.ndarray:
    """A (28, 28) float input whose strokes are wider than MNIST_STROKE, eroded a pixel at a
    time until they are not and framed again (its box is smaller, so framing widens them a
    little again); as it is when that would wear it away."""
    full_ink = np.count_nonzero(mnist >= SOLID_INK)
    worn = mnist
    for _ in range(MNIST_SIZE // 2):  # by then any frame is worn away, or thin
        if stroke_width(worn) <= MNIST_STROKE:
            return mnist if worn is mnist else fit_to_mnist_frame(worn)
        # Beyond the frame is no ink: erosion's default border (the largest value) would leave
        # ink against the frame's edges where it is.
        worn = cv2.erode(worn, _PIXEL, borderType=cv2.BORDER_CONSTANT, borderValue=0.0)
        if np.count_nonzero(worn >= SOLID_INK) < LEAST_KEPT * full_ink:
            return mnist
    return mnist


def framed_for_its_strokes(
    mnist: np.ndarray, box, size: tuple[int, int], pen_width_unsure: bool = False
) -> np.ndarray:
    """The input `mnist` of a digit whose ink has bounding box `box` (x, y, w, h) in a picture
    of `size`: thinned when the ink fills the picture edge to edge and its strokes are wider
    than THICK_STROKE, or when its strokes' width is a photo's or a 1-bit scan's
    (`pen_width_unsure`) and they are so wide that the digit is a blob (a marker's 0, 6 or 8
    with its loops all but shut); else as it is."""
    if box is None:
        return mnist
    if pen_width_unsure and ink_fill(mnist) > BLOB_FILL:
        return thinned(mnist)
    # (A box found on a reduced copy is as coarse as its reduction.)
    if not reaches_every_edge(box, size) or stroke_width(mnist) <= THICK_STROKE:
        return mnist
    return thinned(mnist)
