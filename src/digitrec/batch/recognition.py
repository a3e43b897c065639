"""Sources -> result rows: what every engine's worker does with the images it is given.

Sources are read GROUP at a time: their files, and what preprocessing keeps of each image (up
to two 1024 px greys for a photo), are held only for their group. Digits are read in one
batched model call per group (about twice as fast as one at a time on MNIST PNGs); when an
image in the group cannot be read, the group is read again one image at a time so that only
that image's row carries the error. Numbers are read one image at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from digitrec.batch.inputs import Source
from digitrec.errors import RecognitionError
from digitrec.imaging.decode import read_image_file
from digitrec.inference import Recogniser, Recognition
from digitrec.numbers import read_number

GROUP = 64


def models_sha256(recogniser: Recogniser) -> str:
    """One SHA-256 of the model and of the models beside it that read too (photos/, pieces/):
    a job resumes only with all of them unchanged, since each row names the one that read it."""
    digest = hashlib.sha256()
    for model in (recogniser, recogniser.photo_reader, recogniser.cut_judge):
        digest.update(
            b"none" if model is None else hashlib.sha256(model.model_path.read_bytes()).digest()
        )
    return digest.hexdigest()


def read_sources(
    recogniser: Recogniser, sources: Sequence[tuple[int, Source]], number: bool
) -> list[dict]:
    """(index, source) pairs -> one row each (digitrec.batch.table's columns), in order."""
    return [
        row
        for start in range(0, len(sources), GROUP)
        for row in _read_group(recogniser, sources[start : start + GROUP], number)
    ]


def _read_group(
    recogniser: Recogniser, sources: Sequence[tuple[int, Source]], number: bool
) -> list[dict]:
    loaded = [(index, source, *_content_or_error(source)) for index, source in sources]
    readable = [(index, content) for index, _, content, error in loaded if error is None]
    contents = [content for _, content in readable]
    answers = _read_numbers(recogniser, contents) if number else _read_digits(recogniser, contents)
    answered = {index: answer for (index, _), answer in zip(readable, answers, strict=True)}
    return [
        {
            "index": index,
            "path": source.name,
            "model_version": recogniser.version,
            **answered.get(index, {"error": error}),
        }
        for index, source, _, error in loaded
    ]


def _content_or_error(source: Source) -> tuple[bytes | None, str | None]:
    if source.error is not None:
        return None, source.error
    if source.content is not None:
        return source.content, None
    try:
        return read_image_file(source.file), None
    except OSError as error:
        return None, error.strerror or str(error)
    except RecognitionError as error:
        return None, str(error)


def _read_digits(recogniser: Recogniser, contents: list[bytes]) -> list[dict]:
    try:
        return [
            _digit_row(recogniser, recognition) for recognition in recogniser.recognise(contents)
        ]
    except RecognitionError:
        return [_one_digit(recogniser, content) for content in contents]


def _one_digit(recogniser: Recogniser, content: bytes) -> dict:
    try:
        [recognition] = recogniser.recognise([content])
    except RecognitionError as error:
        return {"error": str(error)}
    return _digit_row(recogniser, recognition)


def _digit_row(recogniser: Recogniser, recognition: Recognition) -> dict:
    prediction = recognition.prediction
    return {
        "digit": prediction.digit,
        "confidence": prediction.confidence,
        "probabilities": list(prediction.probabilities),
        "is_digit": prediction.is_digit,
        "error": None,
        # A photo's or a 1-bit scan's digit may be read by the photos model.
        "model_version": recogniser.reader_of(recognition.preprocessed).version,
    }


def _read_numbers(recogniser: Recogniser, contents: list[bytes]) -> list[dict]:
    return [_number_row(recogniser, content) for content in contents]


def _number_row(recogniser: Recogniser, content: bytes) -> dict:
    try:
        reading = read_number(recogniser, content)
    except RecognitionError as error:
        return {"error": str(error)}
    return {
        "number": reading.number,
        # The API's number-level answer: how sure the whole number is, and whether every piece
        # is a digit (`is_number`), so a batch row and an API answer agree.
        "confidence": reading.confidence,
        "probabilities": [list(digit.probabilities) for digit in reading.digits],
        "is_digit": reading.is_number,
        "error": None,
    }
