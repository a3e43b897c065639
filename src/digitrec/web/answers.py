"""Recognitions -> the JSON the API answers and the result page shows.

One shape for both, so the page rendered without JavaScript shows exactly what the API says.
"""

from __future__ import annotations

import base64
import contextlib
import io

import numpy as np
from PIL import Image

from digitrec.errors import RecognitionError, TooMuchWorkError
from digitrec.imaging.decode import decode_image
from digitrec.imaging.preprocess import grey_of
from digitrec.imaging.reduce import working_copy
from digitrec.numbers import choose_mode, read_number
from digitrec.web import explain
from digitrec.web.work_limits import SMALL_IMAGE_PIXELS, WorkLimits, declared_pixels

# Input previews wider or taller than this are shrunk for display.
PREVIEW_PX = 560
MODES = ("digit", "number", "auto")
# Digit mode reads a batch in lots, each one model run and answered before the next is read:
# up to DIGIT_CHUNK images, or fewer when they are big. Every image of a lot keeps its working
# copies (up to 1024 px a side, a few MB for a big photo) until its lot is answered, so a batch
# of 64 big images never holds all of theirs at once.
DIGIT_CHUNK = 16
LOT_PIXELS = 4 * SMALL_IMAGE_PIXELS


def model_summary(recogniser) -> dict:
    """The served model's name and version, and its photos model's where it has one."""
    summary = {"name": recogniser.card.name, "version": recogniser.card.version}
    photos = getattr(recogniser, "photo_reader", None)
    if photos is not None:
        summary["photos_model"] = {"name": photos.card.name, "version": photos.card.version}
    return summary


def png_data_url(pixels: np.ndarray, max_side: int = PREVIEW_PX) -> str:
    """uint8 (h, w) -> a data: URL of a PNG no larger than max_side on its longer side."""
    image = Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8), mode="L")
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def input_preview(image: Image.Image, max_side: int = PREVIEW_PX) -> dict:
    """A decoded image -> {"image": PNG data URL, "width", "height"}: what the number boxes are
    drawn over, in any browser (one that cannot show a TIFF included).

    width and height are the original's (the coordinates of number boxes); the PNG may be
    smaller.
    """
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


def read_by(recogniser, recognition) -> str:
    """Which of `model_summary`'s models read `recognition`: "photos_model" or "model"."""
    photos = recogniser.reader_of(recognition.preprocessed) is not recogniser
    return "photos_model" if photos else "model"


def card_of_reader(recogniser, answer: dict):
    """The card of the model that gave `answer` (a digit's or a number's)."""
    photos = answer.get("read_by") == "photos_model"
    return (recogniser.reader_of_photos if photos else recogniser).card


def digit_answer(
    recognition, with_steps: bool, saliency: np.ndarray | None = None, reader: str = "model"
) -> dict:
    answer = {
        "mode": "digit",
        **recognition.as_dict(),
        "several_digits": recognition.preprocessed.several_digits,
        "read_by": reader,
    }
    answer["runner_up"] = explain.runner_up(recognition.prediction.probabilities)
    if with_steps:
        answer["steps"] = steps_as_images(recognition.preprocessed.steps())
    if saliency is not None:
        answer.update(explain.explanation(saliency, with_image=with_steps))
    return answer


def digit_answers(recogniser, recognitions: list, with_steps: bool, explained: bool) -> list:
    maps = explain.saliency_maps(recogniser, recognitions) if explained else None
    return [
        digit_answer(
            recognition, with_steps, maps[i] if maps else None, read_by(recogniser, recognition)
        )
        for i, recognition in enumerate(recognitions)
    ]


def number_answer(reading, image: Image.Image, with_steps: bool) -> dict:
    answer = {"mode": "number", **reading.as_dict()}
    if with_steps:
        answer["input"] = input_preview(image)
    return answer


@contextlib.contextmanager
def naming_the_image(position: int, count: int):
    """In a batch, a user error says which image it is about: "image 3 of 5: ..."."""
    try:
        yield
    except RecognitionError as error:
        if count == 1:
            raise
        raise type(error)(f"image {position} of {count}: {error}") from error


def digit_lots(sizes: list[int]) -> list[tuple[int, int]]:
    """(start, end) of each lot of a digit batch, given each image's declared pixels: at most
    DIGIT_CHUNK images, and no more images once a lot holds LOT_PIXELS."""
    lots, start, pixels = [], 0, 0
    for end, size in enumerate(sizes, start=1):
        pixels += size
        if end - start == DIGIT_CHUNK or pixels >= LOT_PIXELS or end == len(sizes):
            lots.append((start, end))
            start, pixels = end, 0
    return lots


def recognise_lot(recogniser, images: list[bytes], start: int, end: int, limits: WorkLimits):
    """One Recognition per image of images[start:end], in one model run, with the request's
    deadline checked before each image is decoded; an image that cannot be read is named by
    its place in the whole batch."""
    lot = images[start:end]
    try:
        return recogniser.recognise(lot, limits.check_time)
    except TooMuchWorkError:
        raise  # the deadline: no image was at fault
    except RecognitionError:
        if len(images) == 1:
            raise
    # The lot failed as a whole: find which image did, so the error can say so. Bad requests
    # are rare, so re-reading a few images costs nothing that matters.
    for position, image in enumerate(lot, start=start + 1):
        with naming_the_image(position, len(images)):
            recogniser.recognise([image], limits.check_time)
    return recogniser.recognise(lot, limits.check_time)


def read(
    recogniser,
    images: list[bytes],
    mode: str,
    with_steps: bool,
    limits: WorkLimits,
    explained: bool = False,
) -> list[dict]:
    """Each image's answer for `mode`: digit, number, or auto (a number when the image holds
    several digits, else a digit with its steps), within the request's `limits`. `explained`
    adds each digit answer's saliency map (`digitrec.web.explain`)."""
    if mode == "digit":
        sizes = [declared_pixels(image) for image in images]
        answers = []
        with limits.pixels.reserve(max(sizes)):
            for start, end in digit_lots(sizes):
                recognitions = recognise_lot(recogniser, images, start, end, limits)
                answers += digit_answers(recogniser, recognitions, with_steps, explained)
        return answers
    limits.check_number_images(len(images))
    answers = []
    for position, data in enumerate(images, start=1):
        # Reading a number may cost a worker as much memory as the largest image (bench_abuse's
        # line of 31 touching digits: 130 MB), so each read holds the whole pixel budget.
        with naming_the_image(position, len(images)), limits.pixels.reserve(limits.pixels.total):
            limits.check_time()  # a deadline passed between two images is named by the next
            image = decode_image(data, recogniser.max_pixels)
            if mode == "auto" and choose_mode(image) == "digit":
                recognitions = recogniser.recognise([image])
                answers += digit_answers(recogniser, recognitions, with_steps, explained)
            else:
                reading = read_number(recogniser, image, limits.check_time)
                answers.append(number_answer(reading, image, with_steps))
    return answers
