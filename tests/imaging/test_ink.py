"""digitrec.imaging.ink: a grey picture of a digit -> white ink on black, background and specks gone."""

from __future__ import annotations

import numpy as np
from conftest import render_digit
from PIL import Image, ImageDraw

from digitrec.imaging import ink
from digitrec.imaging.masks import grown, label_components


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
    histogram = np.asarray(faint.histogram(), np.float64)
    assert ink.clean_background(histogram, np.asarray(faint), max(faint.size)) == (240, True)
    assert ink_levels(faint).max() == 255


def _blown_out(picture: Image.Image, corners: float) -> np.ndarray:
    """A white picture whose light falls off towards its corners to `corners` of the middle's,
    brightened until most of it is pure white, as a phone exposes a white page in the sun."""
    h, w = picture.height, picture.width
    ys, xs = np.ogrid[0:h, 0:w]
    falloff = 1 - (1 - corners) * (((xs - w / 2) / w) ** 2 + ((ys - h / 2) / h) ** 2) / 0.5
    return np.clip(np.asarray(picture, np.float32) * falloff * 1.6, 0, 255).astype(np.uint8)


def test_a_photo_of_paper_blown_out_to_white_is_not_taken_for_a_clean_background():
    page = _blown_out(render_digit(3, size=(800, 600), scale=0.4), corners=0.45)
    histogram = np.asarray(Image.fromarray(page).histogram(), np.float64)
    assert histogram[255] > 0.5 * histogram.sum()  # one exact level over half of it...
    assert ink.clean_background(histogram, page, 800) is None  # ...but dark corners round it
    # A picture as small as a scan is a scan, whatever its border: a digit cropped to fill it.
    assert ink.clean_background(histogram, page, ink.PHOTO_LONG_SIDE - 1) == (255, True)


def test_the_ink_of_a_photo_of_paper_blown_out_to_white_is_the_digit_alone():
    page = _blown_out(render_digit(3, size=(800, 600), scale=0.4), corners=0.45)
    found = np.asarray(ink.ink_image(Image.fromarray(page), 320)[0])
    ys, xs = np.nonzero(found > 64)
    # The digit's box, in the middle; none of the dark corners.
    assert 90 < xs.min() < xs.max() < 180  # the 3 lies at x 111-154, y 69-129 of 267x200
    assert 50 < ys.min() < ys.max() < 150


def test_strokes_running_along_the_border_of_a_large_drawing_are_kept():
    # "171" drawn on the 560x280 number pad with the thick brush, the 7's bar along the top
    # edge: the border is not all paper, but a stroke is no page's light, and the 7 stays.
    pad = Image.new("L", (560, 280), 255)
    draw = ImageDraw.Draw(pad)
    for x in (100, 460):
        draw.line([(x, 60), (x, 230)], fill=0, width=28)
    draw.line([(230, 0), (330, 0), (270, 250)], fill=0, width=28, joint="curve")
    found = np.asarray(ink.ink_image(pad, 320)[0])
    assert label_components(found > 64)[1] == 3


def test_a_light_drawing_on_black_running_off_its_border_is_read():
    board = render_digit(7, size=(1000, 1000), ink=255, paper=0, scale=1.25, offset=(0, -180))
    found = np.asarray(ink.ink_image(board, 320)[0])
    assert (found > 64).mean() > 0.05


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


def test_one_piece_agrees_with_labelling_the_grown_mask_on_random_masks():
    rng = np.random.default_rng(0)
    gave_up = 0
    for _ in range(3000):
        shape = tuple(rng.integers(1, 34, 2))
        mask = rng.random(shape) < rng.uniform(0.0, 0.3)
        pieces = label_components(grown(mask))[1]
        if ink._grown_is_one_piece(mask):
            assert pieces <= 1
        else:
            gave_up += pieces <= 1  # a flood that stopped short says no; labelling decides
    assert gave_up < 30


def test_one_piece_joins_pixels_two_apart_but_not_across_row_ends():
    two_apart = np.array([[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]], dtype=bool)
    assert ink._grown_is_one_piece(two_apart)
    # The last pixel of one row and the first of the next are not neighbours.
    wrapped = np.array([[0, 0, 0, 0, 1], [0, 0, 0, 0, 0], [1, 0, 0, 0, 0]], dtype=bool)
    assert not ink._grown_is_one_piece(wrapped)
    assert ink._grown_is_one_piece(np.zeros((4, 4), bool))


def test_the_flood_gives_up_on_a_long_winding_stroke():
    spiral = np.zeros((17, 17), bool)  # a square spiral, its turns two pixels apart
    spiral[0, :] = spiral[:, 16] = spiral[16, :] = spiral[4:, 0] = True
    spiral[4, :13] = spiral[4:13, 12] = spiral[12, 4:13] = spiral[8:13, 4] = True
    spiral[8, 4:9] = True
    assert label_components(grown(spiral))[1] == 1
    assert not ink._grown_is_one_piece(spiral)  # more than h + w steps from end to end


def _spread(histogram: np.ndarray, centre: int) -> float:
    """The robust standard deviation around `centre`, as ink.py used to compute it."""
    distances = np.abs(np.arange(256) - centre)
    by_distance = np.bincount(distances, weights=histogram, minlength=256)
    cumulative = np.cumsum(by_distance)
    return 1.4826 * int(np.searchsorted(cumulative, 0.5 * cumulative[-1], side="left"))


def test_one_level_is_a_robust_spread_under_one():
    rng = np.random.default_rng(0)
    for _ in range(3000):
        histogram = np.zeros(256)
        levels = rng.integers(0, 256, rng.integers(1, 6))
        histogram[levels] = rng.integers(0, 5000, len(levels))
        histogram[rng.choice(levels)] += rng.integers(1, 3)  # ties at exactly half, and beside
        paper = int(rng.choice(levels)) if rng.random() < 0.8 else int(rng.integers(0, 256))
        assert ink._is_one_level(histogram, paper) == (_spread(histogram, paper) < 1.0)
    tie = np.zeros(256)
    tie[[10, 200]] = 50  # exactly half the pixels on the paper's level
    assert ink._is_one_level(tie, 200) and _spread(tie, 200) == 0.0
