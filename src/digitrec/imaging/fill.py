"""How solid a framed digit is: the share of its 20x20 frame that is full ink.

Written digits are lines: held-out MNIST training digits fill at most about 0.6 of the frame.
A dot, a tap, or a digit drawn so small that the brush's strokes merge is a solid blob that
framing blows up to the full 20 px, where its shape says nothing about a digit.
"""

from __future__ import annotations

import numpy as np

from digitrec.imaging.frame import MNIST_BOX

# A pixel at least this bright (0..1) is full ink: the middle of a stroke, not its soft edge.
SOLID_INK = 0.5
# Framed digits filling more of the 20x20 box than this are blobs, not lines (`ink_fill`):
# a digit too small for its strokes is "not sure", a solid dot (a disc fills 0.79) no digit.
# Both sit above the fill of nearly every held-out training digit (bench/results.md).
BLOB_FILL = 0.6
DOT_FILL = 0.7


def ink_fill(mnist: np.ndarray) -> float:
    """mnist: (28, 28) float in [0, 1], white ink on black -> full-ink pixels / (20 x 20)."""
    return float(np.count_nonzero(np.asarray(mnist) >= SOLID_INK)) / (MNIST_BOX * MNIST_BOX)
