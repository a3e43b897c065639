"""Photos and scans of real handwriting as people send them: a seeded generator for bench_wild.

    from wild import CONDITIONS, generate, mnist_test_inks
    for sample in generate("ruled", mnist_test_inks("../shared/mnist"), count=300, seed=0):
        sample.image        # the file as a user uploads it: JPEG for photos, PNG for scans
        sample.digit        # the digit written
        sample.ink_mask()   # (h, w) bool: where the digit's ink is, and nothing else

The ink is real handwriting, never a font: MNIST *test* digits (to measure, never to train on)
or scikit-learn's `load_digits` (43 writers, none from MNIST), enlarged smoothly and written
with a pen onto textured paper (bench/wild_render.py). Each condition is one named function
that changes one thing about an ordinary phone photo (bench/wild_conditions.py). Sample i of a
condition depends only on (seed, condition, i).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image
from wild_conditions import CONDITIONS
from wild_render import MASK_COVERAGE, glyph_of, jpeg, png
from wild_shot import Picture


@dataclass(frozen=True)
class Inks:
    """Handwritten digits to write with. images: (n, h, w) white ink on black; labels: (n,)."""

    name: str
    images: np.ndarray
    labels: np.ndarray


def mnist_test_inks(data_dir: str) -> Inks:
    from digitrec.training import data

    _, test = data.load_mnist(data_dir, download=False)
    return Inks("MNIST test", test.images, test.labels.astype(np.int64))


def load_digits_inks() -> Inks:
    from sklearn.datasets import load_digits

    digits = load_digits()
    return Inks("load_digits", digits.images.astype(np.float32), digits.target.astype(np.int64))


def as_coarse_scans(inks: Inks) -> Inks:
    """`inks` made as load_digits was made from its writers' forms: each digit normalised to a
    32x32 bitmap (its height filling it, as load_digits' digits fill all 8 rows; widened as
    theirs are), and the bitmap's 4x4 blocks counted, 0..16. For choosing settings on digits
    that look like load_digits' without measuring on load_digits."""
    out = np.zeros((len(inks.labels), 8, 8), np.float32)
    for i, image in enumerate(inks.images):
        values = np.asarray(image, np.float32)
        rows = np.flatnonzero((values > 0).any(axis=1))
        cols = np.flatnonzero((values > 0).any(axis=0))
        if len(rows) == 0:
            continue  # a blank stays blank
        crop = values[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        h, w = crop.shape
        # The widening, its bounds and the ink level below were set so that these digits' column
        # counts (6 of 8 in most, thin 1s included) and mean block count (9.7) look like
        # load_digits' (9.6): its statistics, never its accuracy, were looked at.
        width = int(np.clip(round(w * 32 / h * 1.1), 14, 24))
        bitmap = np.zeros((32, 32), np.float32)
        resized = np.asarray(
            Image.fromarray(crop).resize((width, 32), Image.Resampling.BILINEAR), np.float32
        )
        left = (32 - width) // 2
        bitmap[:, left : left + width] = resized > 0.3 * values.max()
        out[i] = bitmap.reshape(8, 4, 8, 4).sum(axis=(1, 3))
    return Inks(f"{inks.name} as 8x8 scans", out, inks.labels)


def enlarged_scan(image: np.ndarray, side: int = 112) -> bytes:
    """A load_digits 8x8 digit (0..16) as bench_wild measures it: enlarged to `side` px square
    as dark ink on white, a grey PNG."""
    grey = Image.fromarray(np.round(255 - image * (255 / 16)).astype(np.uint8), mode="L")
    buffer = io.BytesIO()
    grey.resize((side, side), Image.Resampling.BICUBIC).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class WildSample:
    """One generated image, what is written on it and where its ink is."""

    image: bytes  # the file as uploaded: JPEG for photos, PNG for scans
    digit: int
    condition: str
    size: tuple[int, int]  # (width, height) of the image
    ink_box: tuple[int, int, int, int]  # (x, y, w, h) of the digit's ink in the image
    ink_crop: np.ndarray  # (h, w) bool: the digit's ink inside ink_box

    def ink_mask(self) -> np.ndarray:
        """(height, width) bool: True where the digit's ink is, False on everything else."""
        mask = np.zeros(self.size[::-1], bool)
        x, y, w, h = self.ink_box
        mask[y : y + h, x : x + w] = self.ink_crop
        return mask


def encoded(picture: Picture) -> bytes:
    if picture.quality is not None:
        return jpeg(picture.pixels, picture.quality)
    if picture.pixels.dtype == bool:
        buffer = io.BytesIO()
        Image.fromarray(picture.pixels).save(buffer, format="PNG")  # mode "1"
        return buffer.getvalue()
    return png(picture.pixels)


def sample_of(condition: str, glyph: np.ndarray, digit: int, rng) -> WildSample:
    picture = CONDITIONS[condition](glyph, rng)
    mask = picture.coverage > MASK_COVERAGE
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    box = (int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))
    x, y, w, h = box
    size = (picture.coverage.shape[1], picture.coverage.shape[0])
    return WildSample(encoded(picture), digit, condition, size, box, mask[y : y + h, x : x + w])


def generate(
    condition: str, inks: Inks, count: int, seed: int = 0, first: int = 0
) -> Iterator[WildSample]:
    """Samples first .. first + count - 1 of `condition`, each written with an ink chosen at
    random from `inks`; sample i is the same whatever `first` and `count` are."""
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}; choose one of {', '.join(CONDITIONS)}")
    number = list(CONDITIONS).index(condition)
    for i in range(first, first + count):
        rng = np.random.default_rng([seed, number, i])
        index = int(rng.integers(len(inks.labels)))
        glyph = glyph_of(inks.images[index])
        yield sample_of(condition, glyph, int(inks.labels[index]), rng)
