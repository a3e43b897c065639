"""digitrec.ink: a grey picture of a digit -> white ink on black, background and specks gone."""

from __future__ import annotations

import numpy as np
from conftest import render_digit
from PIL import Image

from digitrec import ink, preprocess


def ink_levels(grey: Image.Image, long_side: int = 320) -> np.ndarray:
    found, _ = ink.ink_image(grey, long_side)
    return np.asarray(found)


def test_dark_ink_on_light_and_light_on_dark_give_the_same_ink():
    dark_on_light = ink_levels(render_digit(3))
    light_on_dark = ink_levels(render_digit(3, ink=255, paper=0))
    assert dark_on_light.max() == 255
    assert np.array_equal(dark_on_light, light_on_dark)


def test_a_faint_digit_on_a_clean_background_is_stretched_to_full_strength():
    faint = render_digit(3, ink=215, paper=240)
    assert ink.clean_background(np.asarray(faint.histogram(), np.float64)) == (240, True)
    assert ink_levels(faint).max() == 255


def test_a_page_with_no_ink_gives_an_empty_ink_image_of_its_reduced_size():
    found, factor = ink.ink_image(Image.new("L", (1000, 500), 255), 320)
    assert (found.size, factor) == ((250, 125), 4)
    assert not np.asarray(found).any()


def test_specks_much_lighter_than_the_digit_are_dropped():
    pixels = np.asarray(render_digit(3)).copy()
    pixels[10:13, 10:13] = 0  # dust far from the digit
    levels = ink_levels(Image.fromarray(pixels))
    assert not levels[5:20, 5:20].any()
    assert levels.max() == 255


def test_label_components_are_eight_connected():
    mask = np.array(
        [
            [1, 0, 0, 1],
            [0, 1, 0, 1],
            [0, 0, 0, 0],
            [1, 1, 0, 1],
        ],
        dtype=bool,
    )
    labels = ink.label_components(mask)
    assert labels[0, 0] == labels[1, 1]  # diagonal neighbours join
    assert len({labels[0, 3], labels[0, 0], labels[3, 0], labels[3, 3]}) == 4
    assert (labels == 0).sum() == (~mask).sum()


def test_label_components_is_still_importable_from_preprocess():
    assert preprocess.label_components is ink.label_components
