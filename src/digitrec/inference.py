"""The recogniser: an ONNX model loaded once, answering batches of images.

    recogniser = Recogniser()                       # the bundled model and its card
    [result] = recogniser.recognise([png_bytes])    # decode, preprocess, one batched model call
    result.as_dict()  # {"digit": 7, "confidence": 0.99, "probabilities": [...], "is_digit": True}

Imports numpy, Pillow, onnxruntime and zlib-ng only (never TensorFlow), so a server using it
starts in about a second. ONNX Runtime sessions are safe to call from several threads at once,
and preprocessing keeps no state, so one Recogniser serves every thread of a worker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from digitrec.calibration import apply_temperature, mean_over_widths
from digitrec.errors import ModelLoadError
from digitrec.imaging.decode import MAX_PIXELS, as_image
from digitrec.imaging.fill import BLOB_FILL, DOT_FILL, ink_fill
from digitrec.imaging.frame import MNIST_SIZE
from digitrec.imaging.pen_widths import bolder_and_finer
from digitrec.imaging.preprocess import Preprocessed, to_mnist_style
from digitrec.memory import keep_freed_memory
from digitrec.model_card import (
    CARD_FILENAME,
    PHOTOS_FOLDER,
    PIECES_FOLDER,
    ModelCard,
    replaced_model_problem,
)

# An all-but-empty 28x28 input (less ink than a couple of full pixels) has no digit to read.
BLANK_INK = 2.0


def _occlusion_masks(patch: int, stride: int) -> np.ndarray:
    """(k, 28, 28) bool: each patch x patch square, its corners `stride` px apart."""
    starts = range(0, 28 - patch + 1, stride)
    masks = np.zeros((len(starts) ** 2, 28, 28), dtype=bool)
    for index, (y, x) in enumerate((y, x) for y in starts for x in starts):
        masks[index, y : y + patch, x : x + patch] = True
    return masks


# Occlusion saliency blanks a 4x4 patch at a time, overlapping by half: about a stroke's width,
# fine enough to follow a stroke, and at most 169 copies of an image for the model to read.
OCCLUSION_MASKS = _occlusion_masks(patch=4, stride=2)
OCCLUSION_COVERAGE = OCCLUSION_MASKS.sum(axis=0)  # patches over each pixel, at least 1
PIECES_MODEL = Path(PIECES_FOLDER) / "model.onnx"  # beside a model: its judge of number cuts
PHOTOS_MODEL = Path(PHOTOS_FOLDER) / "model.onnx"  # beside a model: its reader of photos
# The model reads at most this many images per run, so that a number of many digits, which
# offers thousands of pieces, never needs one run's memory for all of them at once.
MODEL_BATCH = 256
# (first, second) readings where the second is what the first digit is without a part written
# apart, or narrowed: a 2 without its base is a 7, a 7 without its bar a 1, and so is a 4
# without its bar (and the arm it held), or a 7 or a 4 squeezed. The model is at least as sure
# of the 7 as of the 2 with its base, so its being surer of the second says nothing of whose the
# part was.
PART_LEFT_OFF = frozenset({(2, 7), (7, 1), (4, 1)})


def bundled_model_path() -> Path:
    return Path(str(resources.files("digitrec") / "models" / "model.onnx"))


def load_session(model_path: str | Path, threads: int = 1) -> ort.InferenceSession:
    options = ort.SessionOptions()
    # One image is a few MFLOPs: a thread pool costs more than it saves, and gunicorn workers
    # already use the other cores.
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # ONNX Runtime's memory arena would keep the memory of the session's largest run (a
    # number's hundreds of pieces) for its whole life; without it a worker gives that memory
    # back after the run, and single images cost no more (bench/results.md, "Number reads give
    # their memory back").
    options.enable_cpu_mem_arena = False
    try:
        return ort.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as error:  # ONNX Runtime raises its own untyped errors for bad files
        raise ModelLoadError(f"{model_path}: not a loadable ONNX model ({error})") from error


def probabilities_of(session: ort.InferenceSession, images: np.ndarray) -> np.ndarray:
    """images: (n, 28, 28) or (n, 28, 28, 1) float32 in [0, 1] -> (n, 10) float32."""
    batch = np.asarray(images, dtype=np.float32).reshape(-1, 28, 28, 1)
    return session.run(None, {session.get_inputs()[0].name: batch})[0]


@dataclass(frozen=True)
class Prediction:
    digit: int | None  # None when the image holds no ink at all
    confidence: float  # calibrated probability of `digit`, 0 when there is none
    probabilities: tuple[float, ...]  # ten calibrated probabilities, digits 0..9
    is_digit: bool  # False for blank, unsure or out-of-distribution inputs

    def as_dict(self) -> dict:
        return {
            "digit": self.digit,
            "confidence": self.confidence,
            "probabilities": list(self.probabilities),
            "is_digit": self.is_digit,
        }


@dataclass(frozen=True)
class Recognition:
    """One image's answer and how the image was made MNIST-style on the way."""

    prediction: Prediction
    preprocessed: Preprocessed

    def as_dict(self) -> dict:
        return self.prediction.as_dict()


class Recogniser:
    """An ONNX digit model and its card, loaded once and shared by every request."""

    def __init__(
        self,
        model_path: str | Path | None = None,
        threads: int = 1,
        max_pixels: int = MAX_PIXELS,
    ):
        self.model_path = Path(model_path) if model_path else bundled_model_path()
        if not self.model_path.is_file():
            raise ModelLoadError(f"{self.model_path}: model file not found")
        try:
            self.card = ModelCard.load(self.model_path.with_name(CARD_FILENAME))
            problem = replaced_model_problem(
                self.model_path, self.model_path.read_bytes(), self.card
            )
        except Exception as error:
            raise ModelLoadError(str(error)) from error
        if problem:
            raise ModelLoadError(problem)
        self.digits = _digits_read_by(self.card, self.model_path)
        self.session = load_session(self.model_path, threads)
        # A recogniser serves request after request: their buffers should reuse the same pages.
        keep_freed_memory()
        self.max_pixels = max_pixels  # bigger images are refused before their pixels are decoded
        self._input_name = self.session.get_inputs()[0].name
        # A model may come with a pieces model beside it (pieces/model.onnx, as the bundled one
        # does): fine-tuned on the candidate pieces of numbers, it judges the number reader's
        # cuts better than it reads digits, so it only chooses cuts (`digitrec.numbers.segment`).
        self.cut_judge = self._beside(PIECES_MODEL, threads)
        # ...and a photos model (photos/model.onnx): more members averaged, which read the
        # digit of a photo or a 1-bit scan better but cost a canvas, read once, more than its
        # budget. Photos are read at three pen widths anyway, and finding their ink costs far
        # more than the model. The pieces of a number are read by the model served, photo or not.
        self.photo_reader = self._beside(PHOTOS_MODEL, threads)

    def _beside(self, companion: Path, threads: int) -> Recogniser | None:
        """The recogniser of the model at `companion` beside this one, None where it has none."""
        path = self.model_path.parent / companion
        return Recogniser(path, threads, self.max_pixels) if path.is_file() else None

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def version(self) -> str:
        return self.card.version

    @property
    def number_threshold(self) -> float:
        """`is_digit` threshold for the pieces of a written number (lower than one image's)."""
        return self.card.number_threshold

    def predict(self, images: np.ndarray, threshold: float | None = None) -> list[Prediction]:
        """images: (n, 28, 28) float32 in [0, 1], MNIST-style -> one Prediction per image.

        `is_digit` needs a calibrated confidence of at least `threshold`: by default the card's
        threshold for a single image (the number reader passes its own).
        """
        images = np.asarray(images, dtype=np.float32).reshape(-1, 28, 28)
        if len(images) == 0:
            return []
        return self._predictions(images, self._calibrated(images), threshold)

    def _predictions(
        self, images: np.ndarray, calibrated: np.ndarray, threshold: float | None = None
    ) -> list[Prediction]:
        """images (n, 28, 28) and their calibrated probabilities (n, 10) -> Predictions."""
        threshold = self.card.threshold if threshold is None else threshold
        ink = images.reshape(len(images), -1).sum(axis=1)
        predictions = []
        for row, total_ink in zip(calibrated, ink, strict=True):
            probabilities = tuple([round(p, 6) for p in row.tolist()])  # Python floats
            if total_ink < BLANK_INK:
                predictions.append(Prediction(None, 0.0, probabilities, False))
                continue
            digit = self.digits[int(row.argmax())]
            confidence = float(row[digit])
            predictions.append(
                Prediction(digit, round(confidence, 6), probabilities, confidence >= threshold)
            )
        return predictions

    def saliency(self, images: np.ndarray, digits: Sequence[int]) -> np.ndarray:
        """Why each answer: images (n, 28, 28) float32 in [0, 1] and the digit answered for
        each -> (n, 28, 28) float32, each pixel the mean drop in that digit's calibrated
        probability when a patch over it is blanked (occlusion: the model has no gradients at
        inference). Blanking a patch without ink changes nothing, so only inked patches are
        run: those of all n images, with the images themselves, in one batched model run.
        """
        images = np.asarray(images, dtype=np.float32).reshape(-1, 28, 28)
        digits = np.asarray(digits, dtype=np.int64)
        flat_masks = OCCLUSION_MASKS.reshape(len(OCCLUSION_MASKS), -1)
        inked = images.reshape(len(images), -1) @ flat_masks.T > 0  # (n, patches)
        owners, patches = np.nonzero(inked)
        occluded = images[owners] * ~OCCLUSION_MASKS[patches]
        probabilities = self._calibrated(np.concatenate([images, occluded]))
        answered = probabilities[np.arange(len(images)), digits]
        after = probabilities[len(images) + np.arange(len(owners)), digits[owners]]
        drops = np.maximum(answered[owners] - after, 0).astype(np.float32)
        maps = np.zeros_like(images)
        np.add.at(maps, owners, drops[:, None, None] * OCCLUSION_MASKS[patches])
        return maps / OCCLUSION_COVERAGE

    def _at_pen_widths(self, images: np.ndarray, calibrated: np.ndarray) -> np.ndarray:
        """Photos' and 1-bit scans' 28x28 inputs (n, 28, 28) and their calibrated probabilities
        -> the mean over three pen widths (`digitrec.imaging.pen_widths`). Canvases and other
        scans are read once."""
        return mean_over_widths(calibrated, self._calibrated(bolder_and_finer(images)))

    def _calibrated(self, images: np.ndarray) -> np.ndarray:
        """images: (n, 28, 28) float32 -> (n, 10) calibrated probabilities, in bounded runs."""
        raw = np.concatenate(
            [
                self.session.run(None, {self._input_name: chunk.reshape(-1, 28, 28, 1)})[0]
                for chunk in np.split(images, range(MODEL_BATCH, len(images), MODEL_BATCH))
            ]
        )
        return apply_temperature(raw, self.card.temperature)

    def recognise(
        self,
        images: Sequence[bytes | Image.Image],
        check_time: Callable[[], None] | None = None,
    ) -> list[Recognition]:
        """Image files (bytes) or Pillow images -> one Recognition each, in order.

        Bytes are decoded with `decode_image` (its errors propagate: NotAnImageError,
        ImageTooLargeError, UnusableImageError); every image is made MNIST-style, then all of
        them go through the model in one batch. A blank or nearly blank image answers digit None.
        `check_time`, if given, is called before each image is decoded and may raise to stop
        (a request's deadline: one big photo takes a good part of a second).
        """
        preprocessed = []
        for image in images:
            if check_time is not None:
                check_time()
            # Only the working copy of a big image is read here: it may be all that is decoded.
            image = as_image(image, self.max_pixels, reduce_large=True)
            preprocessed.append(to_mnist_style(image))
        if not preprocessed:
            return []
        # A digit may come with a second reading: a photo's without marks that may be its own,
        # a scanner's block of ink narrowed.
        readings = list(enumerate(preprocessed))
        readings += [(i, item.second) for i, item in enumerate(preprocessed) if item.second]
        inputs = np.stack([item.mnist for _, item in readings]).astype(np.float32)
        predictions: list[Prediction | None] = [None] * len(readings)
        for unsure in (False, True):
            chosen = [n for n, (_, item) in enumerate(readings) if item.pen_width_unsure == unsure]
            if not chosen:
                continue
            reader = self.reader_of_photos if unsure else self
            calibrated = reader._calibrated(inputs[chosen])
            if unsure:
                calibrated = reader._at_pen_widths(inputs[chosen], calibrated)
            threshold = reader.card.photo_threshold if unsure else None
            for n, prediction in zip(
                chosen, reader._predictions(inputs[chosen], calibrated, threshold), strict=True
            ):
                predictions[n] = prediction
        best: dict[int, tuple[Prediction, Preprocessed]] = {}
        for (index, item), prediction in zip(readings, predictions, strict=True):
            if index not in best or _surer(prediction, item, *best[index]):
                best[index] = (prediction, item)
        return [
            Recognition(_judged_by_shape(*best[index]), best[index][1])
            for index in range(len(preprocessed))
        ]

    @property
    def reader_of_photos(self) -> Recogniser:
        """The recogniser that reads photos and 1-bit scans: the photos model, or this one."""
        return self.photo_reader or self

    def reader_of(self, preprocessed: Preprocessed) -> Recogniser:
        """The recogniser whose model read `preprocessed` in `recognise`."""
        return self.reader_of_photos if preprocessed.pen_width_unsure else self


def _digits_read_by(card: ModelCard, model_path: Path) -> tuple[int, ...]:
    """The digit each of the model's outputs stands for, from its card's labels; the card's input
    must be the MNIST-style 28x28x1 that preprocessing makes."""
    if tuple(card.input_shape[1:]) != (MNIST_SIZE, MNIST_SIZE, 1):
        raise ModelLoadError(
            f"{model_path}: its card says it reads {card.input_shape[1:]} inputs; digitrec makes "
            f"{MNIST_SIZE}x{MNIST_SIZE}x1 MNIST-style images"
        )
    if sorted(card.labels) != [str(digit) for digit in range(10)]:
        raise ModelLoadError(
            f"{model_path}: its card's labels {card.labels} are not the digits 0-9"
        )
    return tuple(int(label) for label in card.labels)


def _surer(
    second: Prediction, read: Preprocessed, first: Prediction, first_read: Preprocessed
) -> bool:
    """Whether a second reading (a photo's without marks that may be the writer's or the
    digit's own, a block of ink narrowed) is to be kept: it is surer than the first (which wins
    a tie), and it is not what the first digit is without a part written apart or squeezed
    (PART_LEFT_OFF), which says nothing of which reading is right. A block narrowed is only a
    guess, weighed where the block as it is reads as a digit but no sure one: any bold shape cut
    to its box, a letter or a filled polygon, narrowed looks like a 1 to the model, and a solid
    blot (no digit) stays none."""
    if read.narrowed:
        as_it_is = _judged_by_shape(first, first_read)
        if as_it_is.is_digit or as_it_is.digit is None:
            return False
    if (first.digit, second.digit) in PART_LEFT_OFF:
        return False
    return second.confidence > first.confidence


def _judged_by_shape(prediction: Prediction, item: Preprocessed) -> Prediction:
    """No digit for a blank image or a dot; not sure of a blob too small to have a shape, nor
    of a block of ink narrowed (a guess at what a scanner stretched)."""
    if item.is_blank:
        return _blank(prediction)
    fill = ink_fill(item.mnist)
    if fill > DOT_FILL:
        return _blank(prediction)
    if fill > BLOB_FILL or item.narrowed:
        return replace(prediction, is_digit=False)
    return prediction


def _blank(prediction: Prediction) -> Prediction:
    """A blank image has no digit, whatever the model makes of an empty frame."""
    return Prediction(None, 0.0, prediction.probabilities, False)
