"""ink_fill tells a digit's lines from a solid blob."""

from __future__ import annotations

import numpy as np
from conftest import render_digit
from PIL import Image, ImageDraw

from digitrec.imaging.fill import ink_fill
from digitrec.imaging.preprocess import to_mnist_style


def framed(image: Image.Image) -> np.ndarray:
    return to_mnist_style(image).mnist


def test_a_dot_fills_its_frame_like_a_disc():
    image = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(image).ellipse((130, 130, 160, 160), fill=0)
    assert 0.7 < ink_fill(framed(image)) < 0.85  # a disc fills pi / 4 of its square


def test_digits_even_in_bold_print_are_lines_that_fill_at_most_about_half():
    for digit in range(10):
        assert ink_fill(framed(render_digit(digit))) < 0.55, digit


def test_an_empty_frame_fills_nothing():
    assert ink_fill(np.zeros((28, 28), np.float32)) == 0
