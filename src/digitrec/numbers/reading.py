"""An image of a number -> a `NumberReading`: its digits left to right, with boxes and confidences.

`read_number(recogniser, image)` decodes the image, makes its ink map (the same polarity and
background handling as single digits, at up to LARGE_LONG_SIDE px), splits it into digits with
`digitrec.numbers.segment.segment` and reports each piece in the original image's pixels. A piece the
model does not take for a digit is reported with `is_digit` False and shows as "?" in `number`.
Pieces are judged by the card's `number_threshold`, fitted to reject 0.1 % of held-out digits
rather than a single image's 0.5 %: beside other digits, a piece is most likely a digit too, and
every doubt costs the whole number.
`choose_mode(image)` tells one digit from a number without the model, for `mode=auto`.
Measured by bench/bench_numbers.py (MNIST test digits composed into numbers).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from digitrec.imaging import preprocess
from digitrec.imaging.decode import MAX_PIXELS, as_image
from digitrec.imaging.frame import ink_bounding_box
from digitrec.imaging.sizes import LARGE_LONG_SIDE
from digitrec.numbers.segment import segment

if TYPE_CHECKING:
    from digitrec.inference import Recogniser

# How a piece the model does not take for a digit shows in `NumberReading.number`.
NOT_A_DIGIT = "?"


@dataclass(frozen=True)
class DigitReading:
    box: tuple[int, int, int, int]  # x, y, w, h in the original image's pixels
    digit: int | None
    confidence: float
    probabilities: tuple[float, ...]
    is_digit: bool

    def as_dict(self) -> dict:
        return {
            "box": list(self.box),
            "digit": self.digit,
            "confidence": self.confidence,
            "probabilities": list(self.probabilities),
            "is_digit": self.is_digit,
        }


@dataclass(frozen=True)
class NumberReading:
    """The digits of a number, left to right; `number` is "" when the image holds no ink."""

    number: str  # one character per piece: its digit, or "?" when is_digit is False
    digits: list[DigitReading] = field(default_factory=list)

    @property
    def is_number(self) -> bool:
        """True when there are digits and every piece is one: a single doubtful piece (a
        letter, a mark) makes the whole number doubtful."""
        return bool(self.digits) and all(digit.is_digit for digit in self.digits)

    @property
    def confidence(self) -> float:
        """The probability that every digit is read right: the product of the pieces'
        confidences (0 when there are none)."""
        if not self.digits:
            return 0.0
        return round(math.prod(digit.confidence for digit in self.digits), 6)

    def as_dict(self) -> dict:
        return {
            "number": self.number,
            "is_number": self.is_number,
            "confidence": self.confidence,
            "digits": [digit.as_dict() for digit in self.digits],
        }


def read_number(
    recogniser: Recogniser,
    image: bytes | Image.Image,
    check_time: Callable[[], None] | None = None,
) -> NumberReading:
    """Read every digit in an image (bytes or a PIL image), left to right.

    A single digit answers a one-digit number. A piece the model does not take for a digit
    stays in `digits` (is_digit False, its best guess in `digit`) and shows as "?" in
    `number`. No ink -> NumberReading("", []). Boxes are in the original image's pixels.
    `check_time`, if given, is called between batches of the model's reads and may raise to
    stop (`segment`).
    """
    image = as_image(image, getattr(recogniser, "max_pixels", MAX_PIXELS))
    ink, factor = number_ink_map(image)
    digits = []
    for piece in segment(ink, recogniser, check_time):
        prediction = piece.prediction
        digits.append(
            DigitReading(
                preprocess.box_in_original(piece.box, factor, image.size),
                prediction.digit,
                prediction.confidence,
                prediction.probabilities,
                prediction.is_digit,
            )
        )
    number = "".join(
        str(d.digit) if d.is_digit and d.digit is not None else NOT_A_DIGIT for d in digits
    )
    return NumberReading(number, digits)


def choose_mode(image: bytes | Image.Image) -> str:
    """ "number" when an image (bytes or a PIL image) holds more than one digit, else "digit".

    Decided from the ink alone (no model): several separate pieces, or one piece too wide for a
    single digit, make a number. For `mode=auto`.
    """
    ink, _ = number_ink_map(as_image(image, MAX_PIXELS))
    return "number" if len(segment(ink)) > 1 else "digit"


def number_ink_map(image: Image.Image) -> tuple[np.ndarray, int]:
    """An image -> (ink map, how many original pixels an ink-map pixel spans), as
    `read_number` works on it (and training cuts it: `digitrec.training.number_pieces`).

    An image whose ink is only a dot or speck (as `to_mnist_style` judges single digits)
    gives an empty ink map: there is nothing to read.
    """
    ink, factor = preprocess.ink_map(image, LARGE_LONG_SIDE)
    if preprocess.is_nearly_blank(ink_bounding_box(ink), ink.shape[::-1]):
        return np.zeros_like(ink), factor
    return ink, factor
