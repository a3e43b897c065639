"""Training digits made to look like what photos and scans leave in the 28x28 frame.

Preprocessing finds the digit on a page and frames it as MNIST did, but what it frames is not
an MNIST scan: a form scanner stretches a digit to fill its box, a phone thumbnail or an 8x8 scan
has a few pixels of stroke, pens draw thick or thin, a 1-bit scan has hard edges, removing a ruled line leaves a short
piece of it beside the strokes, and hands vary more than MNIST's writers. Each function here
makes one of those from MNIST-style digits; `make_wild_digits` mixes them. Every result is
framed again by `digitrec.imaging.frame.fit_to_mnist_frame`, exactly as the reader frames.

images: (n, 28, 28) uint8, white ink on black, as MNIST stores them.
"""

from __future__ import annotations

import cv2
import numpy as np

from digitrec.imaging.frame import fit_to_mnist_frame, ink_bounding_box

SIZE = 28


def _ink_crop(image: np.ndarray) -> np.ndarray:
    """The digit's bounding box cut out of its frame (the whole frame when it holds no ink)."""
    box = ink_bounding_box(image.astype(np.float32) / 255.0)
    if box is None:
        return image
    x, y, w, h = box
    return image[y : y + h, x : x + w]


def elastic(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A smooth random displacement of every pixel (Simard et al. 2003): another writer's hand."""
    alpha, sigma = rng.uniform(20, 36), rng.uniform(4.0, 5.0)
    shifts = rng.uniform(-1, 1, size=(2, SIZE, SIZE)).astype(np.float32)
    dx, dy = (cv2.GaussianBlur(s, (0, 0), sigma) * alpha for s in shifts)
    ys, xs = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    return cv2.remap(image, xs + dx, ys + dy, cv2.INTER_LINEAR, borderValue=0)


def stroke_width(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Another pen: strokes thickened (a felt-tip, a marker, an 8x8 scan enlarged) or thinned
    (a fine ballpoint) by a pixel or two all round, before the digit is framed: more than the
    one pixel that training's own augmentation (`train._augmenter`) adds or takes."""
    pixels = int(rng.integers(1, 3))
    pen = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1,) * 2)
    if rng.random() < 0.65:
        return cv2.dilate(image, pen)
    thinned = cv2.erode(image, pen)
    # A stroke thinned away entirely would leave no digit: then the pen is the same as before.
    return thinned if (thinned > 128).sum() >= 0.3 * (image > 128).sum() else image


def stretched_to_fill(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The digit's box stretched towards a square, as a form scanner fills its field with it."""
    crop = _ink_crop(image)
    h, w = crop.shape
    side, short = max(w, h), min(w, h)
    # The shorter side grows by up to 60 %, never past square: a 1 stays a stroke, not a block.
    stretched = min(side, max(1, round(short * rng.uniform(1.15, 1.6))))
    size = (side, stretched) if w >= h else (stretched, side)
    return cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR)


def low_resolution(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The digit read from a few pixels (a phone thumbnail, an 8x8 scan) and enlarged again."""
    crop = _ink_crop(image)
    h, w = crop.shape
    side = int(rng.integers(7, 15))  # the digit's longer side in the small copy
    scale = side / max(w, h)
    small = cv2.resize(
        crop,
        (max(1, round(w * scale)), max(1, round(h * scale))),
        interpolation=cv2.INTER_AREA,
    )
    if rng.random() < 0.5:  # an 8x8 scan keeps only 16 levels of grey
        small = (small // 16 * 17).astype(np.uint8)
    large = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.GaussianBlur(large, (0, 0), rng.uniform(0.3, 0.9))


def binarised(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 1-bit scan: every pixel ink or paper, at a threshold the scanner chose."""
    threshold = rng.uniform(0.25, 0.65) * 255
    hard = np.where(image > threshold, 255, 0).astype(np.uint8)
    return cv2.GaussianBlur(hard, (0, 0), 0.5) if rng.random() < 0.5 else hard


def with_line_piece(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A short piece of a ruled line or a box's edge beside the strokes, as line removal may
    leave where a line met the digit."""
    line = np.zeros_like(image)
    length = int(rng.integers(3, 9))
    thickness = int(rng.integers(1, 3))
    level = int(rng.integers(120, 256))
    ys, xs = np.nonzero(image > 128)
    if len(ys) == 0:
        return image
    at = int(rng.integers(len(ys)))  # the piece starts at a stroke and runs off it
    y, x = int(ys[at]), int(xs[at])
    direction = rng.choice([-1, 1])
    if rng.random() < 0.7:  # ruled lines are horizontal; a form box's edges also vertical
        end = (int(np.clip(x + direction * length, 0, SIZE - 1)), y)
    else:
        end = (x, int(np.clip(y + direction * length, 0, SIZE - 1)))
    cv2.line(line, (x, y), end, level, thickness)
    return np.maximum(image, line)  # the line lies under the ink, never over it


def _pen_width(image: np.ndarray) -> int:
    """The width of the digit's strokes in pixels: twice the deepest distance into the ink."""
    ink = (image > 128).astype(np.uint8)
    depth = cv2.distanceTransform(ink, cv2.DIST_L2, 3)
    return int(np.clip(round(2 * float(depth.max())) - 1, 1, 6))


def flagged_one(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 1 as much of the world writes it: a long flag down to the left from its top, and now
    and then a foot. MNIST's writers mostly drew a bare stroke, so the model took a flagged 1 for
    a 4, a 7 or a 9."""
    ys, xs = np.nonzero(image > 128)
    if len(ys) == 0:
        return image
    top, bottom = int(ys.min()), int(ys.max())
    height = bottom - top + 1
    pen = _pen_width(image)
    pad = SIZE  # room for a flag longer than the frame's margin
    canvas = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    x_top = round(float(xs[ys <= top + 1].mean())) + pad
    length = rng.uniform(0.25, 0.55) * height
    angle = np.radians(rng.uniform(30, 65))  # below the horizontal: a 7's bar is flat
    start = (x_top, top + pad)
    end = (round(x_top - length * np.cos(angle)), round(top + pad + length * np.sin(angle)))
    cv2.line(canvas, start, end, 255, pen, cv2.LINE_AA)
    if rng.random() < 0.3:
        x_foot = round(float(xs[ys >= bottom - 1].mean())) + pad
        half = round(rng.uniform(0.15, 0.3) * height)
        y_foot = bottom + pad
        cv2.line(canvas, (x_foot - half, y_foot), (x_foot + half, y_foot), 255, pen, cv2.LINE_AA)
    return canvas


def crossed_seven(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 7 with a bar across its stem, as continental Europe writes it."""
    ys, xs = np.nonzero(image > 128)
    if len(ys) == 0:
        return image
    top, bottom = int(ys.min()), int(ys.max())
    height = bottom - top + 1
    y_bar = round(top + rng.uniform(0.45, 0.6) * height)
    stem = xs[ys == y_bar]
    if len(stem) == 0:
        return image
    pen = _pen_width(image)
    x_stem = round(float(stem.mean()))
    half = round(rng.uniform(0.2, 0.35) * height)
    crossed = image.copy()
    cv2.line(crossed, (x_stem - half, y_bar), (x_stem + half, y_bar), 255, pen, cv2.LINE_AA)
    return crossed


# Ways of writing a digit that MNIST's writers seldom used, by the digit they are of.
HAND_STYLES = {1: flagged_one, 7: crossed_seven}
HAND_STYLE_SHARE = 0.5  # of the wild digits that have a style of their own

KINDS = {
    "elastic": elastic,
    "stroke-width": stroke_width,
    "stretched": stretched_to_fill,
    "low-resolution": low_resolution,
    "binarised": binarised,
    "line-piece": with_line_piece,
}


def make_wild_digits(
    images: np.ndarray, labels: np.ndarray, count: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """`count` digits drawn from `images` (with their labels), each changed by one or two of
    KINDS and framed again MNIST-style -> ((count, 28, 28) uint8, (count,) labels)."""
    rng = np.random.default_rng(seed)
    chosen = rng.integers(0, len(images), count)
    changes = list(KINDS.values())
    out = np.zeros((count, SIZE, SIZE), np.uint8)
    for i, index in enumerate(chosen):
        image = images[index]
        style = HAND_STYLES.get(int(labels[index]))
        if style is not None and rng.random() < HAND_STYLE_SHARE:
            styled = style(image, rng).astype(np.float32) / 255.0
            image = np.round(fit_to_mnist_frame(styled) * 255).astype(np.uint8)
        for change in rng.choice(changes, size=int(rng.integers(1, 3)), replace=False):
            image = change(image, rng)
        framed = fit_to_mnist_frame(image.astype(np.float32) / 255.0)
        out[i] = np.round(framed * 255).astype(np.uint8)
    return out, labels[chosen]
