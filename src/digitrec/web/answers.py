"""Recognitions -> the JSON the API answers and the result page shows.

One shape for both, so the page rendered without JavaScript shows exactly what the API says.
"""

from __future__ import annotations

import base64
import contextlib
import io

import numpy as np
from PIL import Image

from digitrec.errors import RecognitionError
from digitrec.imaging.decode import decode_image
from digitrec.imaging.preprocess import grey_of, working_copy
from digitrec.numbers import choose_mode, read_number

# Input previews wider or taller than this are shrunk for display.
PREVIEW_PX = 560
MODES = ("digit", "number", "auto")


def model_summary(recogniser) -> dict:
    return {"name": recogniser.card.name, "version": recogniser.card.version}


def png_data_url(pixels: np.ndarray, max_side: int = PREVIEW_PX) -> str:
    """uint8 (h, w) -> a data: URL of a PNG no larger than max_side on its longer side."""
    image = Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8), mode="L")
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def input_preview(image_bytes: bytes, max_pixels: int, max_side: int = PREVIEW_PX) -> dict:
    """An image the recogniser already read -> {"image": PNG data URL, "width", "height"}.

    width and height are the original's (the coordinates of number boxes); the PNG may be
    smaller. Only for images that were recognised, so decoding them again is safe.
    """
    image = decode_image(image_bytes, max_pixels)
    width, height = image.size
    grey = grey_of(working_copy(image)[0])  # no full-size grey copy of a big image
    return {"image": png_data_url(np.asarray(grey), max_side), "width": width, "height": height}


def steps_as_images(steps: dict[str, np.ndarray]) -> list[dict]:
    """The ordered preprocessing steps as [{"name", "width", "height", "image"}]."""
    return [
        {
            "name": name,
            "width": int(pixels.shape[1]),
            "height": int(pixels.shape[0]),
            "image": png_data_url(pixels),
        }
        for name, pixels in steps.items()
    ]


def digit_answer(recognition, with_steps: bool) -> dict:
    answer = {
        "mode": "digit",
        **recognition.as_dict(),
        "several_digits": recognition.preprocessed.several_digits,
    }
    if with_steps:
        answer["steps"] = steps_as_images(recognition.preprocessed.steps())
    return answer


def number_answer(reading) -> dict:
    return {"mode": "number", **reading.as_dict()}


@contextlib.contextmanager
def naming_the_image(position: int, count: int):
    """In a batch, a user error says which image it is about: "image 3 of 5: ..."."""
    try:
        yield
    except RecognitionError as error:
        if count == 1:
            raise
        raise type(error)(f"image {position} of {count}: {error}") from error


def recognise_in_order(recogniser, images: list[bytes]) -> list:
    """One Recognition per image, in order, read as one batch."""
    try:
        return recogniser.recognise(images)
    except RecognitionError:
        if len(images) == 1:
            raise
    # The batch failed as a whole: find which image did, so the error can say so. Bad
    # requests are rare, so re-reading a few images costs nothing that matters.
    for position, image in enumerate(images, start=1):
        with naming_the_image(position, len(images)):
            recogniser.recognise([image])
    return recogniser.recognise(images)


def read(recogniser, images: list[bytes], mode: str, with_steps: bool) -> list[dict]:
    """Each image's answer for `mode`: digit, number, or auto (a number when the image holds
    several digits, else a digit with its steps)."""
    if mode == "digit":
        return [digit_answer(r, with_steps) for r in recognise_in_order(recogniser, images)]
    answers = []
    for position, data in enumerate(images, start=1):
        with naming_the_image(position, len(images)):
            image = decode_image(data, recogniser.max_pixels)
            if mode == "auto" and choose_mode(image) == "digit":
                answers.append(digit_answer(recogniser.recognise([image])[0], with_steps))
            else:
                answers.append(number_answer(read_number(recogniser, image)))
    return answers
