"""A digit a scanner cut to its box and stretched to fill it, narrowed to be read again.

Form and postal scanners cut a digit to its ink's box and may stretch it to the box's shape. A
1 so stretched becomes a block of ink as wide as it is tall, which no thinning makes a stroke
again: the model reads it as an 8, a 2 or a 3, or as no digit. A crop that fills its picture
edge to edge with ink over SOLID_SHARE of its box is also read narrowed to NARROWED_ASPECT of
its height. A bold letter, a filled shape or a marker's 8 with its loops shut, cut to its box,
narrowed looks as much like a 1 to the model, so `digitrec.inference.Recogniser` keeps the
narrowed reading only where the block as it is reads as a digit but no sure one (a solid blot
stays no digit) and the narrowed reading is surer, and answers it as a guess (not sure). The
two numbers were chosen on held-out training digits (bench/results.md).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from digitrec.imaging.fill import SOLID_INK
from digitrec.imaging.frame import reaches_every_edge

# Of a crop's box, the share in full ink above which it is read narrowed too: a marker's bold 0
# or 8 cut to its box stays under it, a 1 stretched to a block reaches it.
SOLID_SHARE = 0.5
# Width over height of the narrowed crop: a slanting 1's box before the scanner stretched it.
NARROWED_ASPECT = 0.4
_SOLID_LEVEL = round(SOLID_INK * 255)


def narrowed_block(crop: Image.Image, box, size: tuple[int, int]) -> Image.Image | None:
    """The "L" ink `crop` of a digit whose box (x, y, w, h) in a picture of `size` reaches every
    edge, narrowed to NARROWED_ASPECT of its height, when its ink fills over SOLID_SHARE of it
    and it is wider than that; else None."""
    if not reaches_every_edge(box, size) or crop.width <= NARROWED_ASPECT * crop.height:
        return None
    solid = np.count_nonzero(np.asarray(crop) >= _SOLID_LEVEL)
    if solid <= SOLID_SHARE * crop.width * crop.height:
        return None
    width = max(1, round(NARROWED_ASPECT * crop.height))
    return crop.resize((width, crop.height), Image.Resampling.BOX)
