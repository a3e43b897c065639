"""Photos and 1-bit scans are read at three pen widths: as framed, a pixel bolder and a pixel
finer. A photo's pen, light and reduction, or a scanner's threshold, leave strokes wider or
thinner than MNIST's, and the model reads some digits better at another width (chosen on held-out
training digits photographed by bench/wild.py; bench/results.md). The recogniser reads them so,
averaging the three readings (`digitrec.calibration.mean_over_widths`), and their "not a digit"
threshold is fitted on held-out digits read so (`digitrec.calibration.calibrate`).
"""

from __future__ import annotations

import cv2
import numpy as np

# A pixel bolder or finer: a 2x2 dilation or erosion of the 28x28 input.
PEN_STEP = np.ones((2, 2), np.float32)


def bolder_and_finer(images: np.ndarray) -> np.ndarray:
    """(n, 28, 28) float32 -> (2n, 28, 28): each image a pixel bolder, then each a pixel finer."""
    bolder = [cv2.dilate(image, PEN_STEP) for image in images]
    finer = [cv2.erode(image, PEN_STEP) for image in images]
    return np.stack(bolder + finer).astype(np.float32)
