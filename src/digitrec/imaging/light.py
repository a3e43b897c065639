"""The paper's light, estimated at page scale and divided out.

A morphological closing (a maximum filter, then a minimum filter, of a square a sixth of the
image's longer side) fills every dark mark narrower than the square with the paper around it and
keeps everything that varies slowly or spans a large area: a vignette, a gradient, glare, the sharp
edge of a shadow, the table around a page. Dividing the picture by it leaves flat paper with the
dark marks on it, however the light fell. Pure OpenCV on the working copy: a fraction of a
millisecond for 320 px.
"""

from __future__ import annotations

import cv2
import numpy as np

from digitrec.imaging.frame import reaches_every_edge

# The closing's square, as a share of the image's longer side: wider than a thick marker's
# strokes on a digit half the photo's height, and no wider, since near the border, where the
# square reaches past the image, the paper comes out too bright where the light falls off.
PAPER_WINDOW = 1 / 6
# A photo's noise spreads its paper over several grey levels; a scan's paper is one level, under
# at least this share of the pixels even when a digit cropped to fill the scan covers the rest.
SCAN_PAPER_SHARE = 0.2
# ...and the lightest thing on it: no more than this share of a scan is lighter than its paper
# by PAPER_MARGIN levels (a JPEG's ringing beside strokes). The flat paper in a photo's shadow
# can be one level too, beside the same page in the light.
LIGHTER_THAN_PAPER_SHARE = 0.02
PAPER_MARGIN = 16
# A bold digit cut out to its box can cover most of a small scan, its paper only the corners and
# the gaps between strokes: as little as this share. The picture must then show what a crop
# shows (`_is_a_crop`): paper in CROP_PAPER_CORNERS of its corners; what is not paper one dark
# ink, its median at most CROP_INK_RATIO as bright as the paper and no more than CROP_INK_SPREAD
# of the paper's level above its darkest (a dim page with a digit on it has two levels); and
# that ink, with its soft edges (at most CROP_EDGE_RATIO as bright), one piece reaching all four
# borders. A photo's paper in shadow, or a page straightened onto white, beside clipped glare, a
# lit corner or white bars, or a strip of paper across a desk, does not show all of these.
CROP_PAPER_SHARE = 0.08
CROP_PAPER_CORNERS = 2
CROP_INK_RATIO = 0.5
CROP_INK_SPREAD = 0.15
CROP_EDGE_RATIO = 0.75


def paper_light(grey: np.ndarray) -> np.ndarray:
    """(h, w) uint8 grey with dark ink -> (h, w) uint8, the paper's brightness at each pixel.

    Beyond its borders the image is taken to go on as it ends (mirrored, light falling off
    towards a corner would make the corner a narrow dark valley, filled in as if ink).
    """
    side = max(3, round(PAPER_WINDOW * max(grey.shape))) | 1
    square = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    return cv2.morphologyEx(grey, cv2.MORPH_CLOSE, square, borderType=cv2.BORDER_REPLICATE)


def scan_paper(grey: np.ndarray, photo_sized: bool = True) -> int | None:
    """The paper's level of a scan (evenly lit paper: one exact grey level, nearly nothing
    lighter), or None for a photo. A digit cropped to fill its scan runs off every edge, which
    the closing of `paper_light` would take for paper: a scan's paper is its level everywhere.
    A picture smaller than a photo (`photo_sized` False) that is a crop needs less paper."""
    levels = np.bincount(grey.ravel(), minlength=256)
    paper = int(levels.argmax())
    if levels[paper + PAPER_MARGIN + 1 :].sum() > LIGHTER_THAN_PAPER_SHARE * grey.size:
        return None
    if levels[paper] >= SCAN_PAPER_SHARE * grey.size:
        return paper
    if photo_sized or levels[paper] < CROP_PAPER_SHARE * grey.size:
        return None
    return paper if _is_a_crop(grey, paper) else None


def _is_a_crop(grey: np.ndarray, paper: int) -> bool:
    """Whether `grey` is dark ink cut out to its box on paper of level `paper` (see
    CROP_PAPER_SHARE)."""
    corners = grey[[0, 0, -1, -1], [0, -1, 0, -1]].astype(np.int16)
    if np.count_nonzero(np.abs(corners - paper) <= 2) < CROP_PAPER_CORNERS:
        return False
    not_paper = grey[grey < paper - PAPER_MARGIN]
    if not_paper.size == 0:
        return False
    darkest, median = np.percentile(not_paper, [2, 50])
    if median > CROP_INK_RATIO * paper or median - darkest > CROP_INK_SPREAD * paper:
        return False
    ink = (grey <= CROP_EDGE_RATIO * paper).astype(np.uint8)
    pieces, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if pieces < 2:
        return False
    largest = stats[1 + int(stats[1:, cv2.CC_STAT_AREA].argmax()), :4]
    return reaches_every_edge(largest, (grey.shape[1], grey.shape[0]))


def ink_contrast(grey: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """How much darker than its paper each pixel is: (h, w) float32 in [0, 1], 0 on paper."""
    ratio = grey.astype(np.float32) / np.maximum(paper.astype(np.float32), 1.0)
    return np.clip(1.0 - ratio, 0.0, 1.0)


def evened_out(grey: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """The picture as if evenly lit (paper at 255): what the web page shows of this step."""
    return np.round(255.0 * (1.0 - ink_contrast(grey, paper))).astype(np.uint8)
