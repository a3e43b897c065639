"""bench/wild.py: photos and scans of real handwriting, seeded, with the truth of where the ink is."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import wild
import wild_conditions

from digitrec.imaging.decode import decode_image

PHOTOS = [c for c in wild.CONDITIONS if c not in ("cropped-to-fill", "one-bit", "small-in-12mp")]


@pytest.fixture(scope="module")
def inks() -> wild.Inks:
    return wild.load_digits_inks()


def _one(condition: str, inks: wild.Inks, index: int = 0, seed: int = 0) -> wild.WildSample:
    [sample] = wild.generate(condition, inks, count=1, seed=seed, first=index)
    return sample


def _grey(sample: wild.WildSample) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(sample.image)).convert("L"), np.float32)


def test_a_seed_makes_the_same_images_and_sample_i_does_not_depend_on_where_a_run_starts(inks):
    first_run = list(wild.generate("ruled", inks, count=2, seed=5))
    second_run = list(wild.generate("ruled", inks, count=2, seed=5))
    started_later = _one("ruled", inks, index=1, seed=5)
    assert [s.image for s in first_run] == [s.image for s in second_run]
    assert started_later.image == first_run[1].image
    assert _one("ruled", inks, seed=6).image != first_run[0].image


def test_an_unknown_condition_is_refused_with_the_known_ones_named(inks):
    with pytest.raises(ValueError, match="ruled"):
        next(wild.generate("no-such-paper", inks, count=1))


@pytest.mark.parametrize("condition", PHOTOS)
def test_photos_are_jpegs_the_product_decodes_with_the_digit_inside_a_margin(condition, inks):
    sample = _one(condition, inks)
    image = decode_image(sample.image)
    assert image.format == "JPEG"
    assert image.size == sample.size
    if condition == "thumbnail":
        assert max(image.size) <= wild_conditions.THUMBNAIL_LONG_SIDE
    else:
        x, y, w, h = sample.ink_box
        assert min(x, y, image.width - x - w, image.height - y - h) > 0.03 * min(image.size)


def test_a_small_digit_is_8_to_15_percent_of_a_12_megapixel_photo(inks):
    sample = _one("small-in-12mp", inks)
    assert sorted(decode_image(sample.image).size) == [3000, 4000]
    assert 0.08 * 0.8 <= sample.ink_box[3] / min(sample.size) <= 0.15 * 1.05


def test_a_cropped_scan_is_a_png_its_ink_fills_edge_to_edge(inks):
    sample = _one("cropped-to-fill", inks)
    image = decode_image(sample.image)
    assert image.format == "PNG"
    x, y, w, h = sample.ink_box
    assert max(x, y, image.width - x - w, image.height - y - h) <= 1


def test_a_one_bit_scan_is_a_bilevel_png_black_where_the_ink_is(inks):
    sample = _one("one-bit", inks)
    image = decode_image(sample.image)
    assert (image.format, image.mode) == ("PNG", "1")
    black = ~np.asarray(image)
    mask = sample.ink_mask()
    assert black[mask].mean() > 0.8
    assert black[~mask].mean() < 0.01


@pytest.mark.parametrize("condition", [*PHOTOS, "cropped-to-fill"])
def test_the_mask_lies_on_the_digits_ink_which_stands_out_of_the_paper_around_it(condition, inks):
    """Darker than the paper, but for chalk, lighter than its board."""
    sample = _one(condition, inks, index=3)
    grey, mask = _grey(sample), sample.ink_mask()
    x, y, w, h = sample.ink_box
    pad = max(w, h) // 4
    window = (slice(max(0, y - pad), y + h + pad), slice(max(0, x - pad), x + w + pad))
    ink, around = grey[window][mask[window]], grey[window][~mask[window]]
    assert mask.sum() > 0.02 * w * h
    darker = -1 if condition == "chalkboard" else 1
    assert darker * (np.median(around) - np.median(ink)) > 15
