"""How photos and 1-bit scans are read: by the photos model beside the bundled one (or by the
model itself, when it has none), at three pen widths, where a canvas is read once by the pair."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import cv2
import numpy as np
from conftest import photo_of_digit, png_bytes, render_digit

from digitrec.imaging.pen_widths import PEN_STEP
from digitrec.inference import Recogniser

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))
from bench_explain import CountingSession  # noqa: E402  (the bench's own counter)


def test_a_photo_is_read_at_three_pen_widths_by_the_photos_model_and_a_canvas_once(
    recogniser, monkeypatch
):
    photos = recogniser.reader_of_photos
    assert photos is recogniser.photo_reader and photos is not recogniser
    main_runs, photo_runs = CountingSession(recogniser.session), CountingSession(photos.session)
    monkeypatch.setattr(recogniser, "session", main_runs)
    monkeypatch.setattr(photos, "session", photo_runs)
    [canvas] = recogniser.recognise([png_bytes(render_digit(4))])
    assert not canvas.preprocessed.from_photo
    assert (main_runs.images, photo_runs.images) == (1, 0)
    [photo] = recogniser.recognise([photo_of_digit(4)])
    assert photo.preprocessed.from_photo and recogniser.reader_of(photo.preprocessed) is photos
    assert (main_runs.images, photo_runs.images) == (1, 3)
    image = photo.preprocessed.mnist.astype(np.float32)
    thicker, thinner = cv2.dilate(image, PEN_STEP), cv2.erode(image, PEN_STEP)
    reads = [photos.predict(np.stack([one]))[0].probabilities for one in (image, thicker, thinner)]
    assert np.allclose(photo.prediction.probabilities, np.mean(reads, axis=0), atol=2e-6)
    assert photo.prediction.is_digit == (photo.prediction.confidence >= photos.card.photo_threshold)


def test_a_canvas_and_a_photo_in_one_batch_are_each_read_by_their_own_model(
    recogniser, monkeypatch
):
    canvas_png, photo_png = png_bytes(render_digit(7)), photo_of_digit(3)
    photos = recogniser.reader_of_photos
    main_runs, photo_runs = CountingSession(recogniser.session), CountingSession(photos.session)
    monkeypatch.setattr(recogniser, "session", main_runs)
    monkeypatch.setattr(photos, "session", photo_runs)
    together = recogniser.recognise([photo_png, canvas_png, photo_png])
    assert (main_runs.images, photo_runs.images) == (1, 6)
    photo, canvas = (recogniser.recognise([one])[0].prediction for one in (photo_png, canvas_png))
    assert [r.prediction for r in together] == [photo, canvas, photo]


def test_a_model_without_a_photos_model_reads_photos_itself(recogniser, tmp_path):
    for name in ("model.onnx", "model.json"):
        (tmp_path / name).write_bytes((recogniser.model_path.parent / name).read_bytes())
    alone = Recogniser(tmp_path / "model.onnx")
    assert alone.photo_reader is None and alone.reader_of_photos is alone
    [photo] = alone.recognise([photo_of_digit(4)])
    assert photo.preprocessed.from_photo and alone.reader_of(photo.preprocessed) is alone
    assert photo.prediction.digit == 4


def test_a_1_bit_scan_is_read_at_three_pen_widths_and_the_same_digit_in_grey_once(
    recogniser, monkeypatch
):
    photos = recogniser.reader_of_photos
    main_runs, photo_runs = CountingSession(recogniser.session), CountingSession(photos.session)
    monkeypatch.setattr(recogniser, "session", main_runs)
    monkeypatch.setattr(photos, "session", photo_runs)
    thresholded = render_digit(5).point(lambda level: 255 * (level > 128))
    [scan] = recogniser.recognise([png_bytes(thresholded)])
    assert not scan.preprocessed.one_bit and (main_runs.images, photo_runs.images) == (1, 0)
    [one_bit] = recogniser.recognise([png_bytes(thresholded.convert("1"))])
    assert one_bit.preprocessed.one_bit and (main_runs.images, photo_runs.images) == (1, 3)
    assert one_bit.prediction.digit == 5


def test_a_photo_s_saliency_comes_from_the_model_that_read_it(recogniser):
    from digitrec.web.explain import saliency_maps

    photo, canvas = recogniser.recognise([photo_of_digit(4), png_bytes(render_digit(7))])
    maps = saliency_maps(recogniser, [photo, canvas])
    photos = recogniser.reader_of_photos
    expected = [
        reader.saliency(np.stack([one.preprocessed.mnist]), [one.prediction.digit])[0]
        for reader, one in ((photos, photo), (recogniser, canvas))
    ]
    assert np.allclose(maps[0], expected[0]) and np.allclose(maps[1], expected[1])
    assert not np.allclose(
        maps[0], recogniser.saliency(np.stack([photo.preprocessed.mnist]), [4])[0]
    )


def test_a_photo_is_judged_by_the_photos_model_s_photo_threshold_and_a_canvas_by_the_pair_s(
    recogniser, monkeypatch
):
    photos = recogniser.reader_of_photos
    [photo] = recogniser.recognise([photo_of_digit(4)])
    [canvas] = recogniser.recognise([png_bytes(render_digit(4))])
    assert photo.prediction.is_digit and canvas.prediction.is_digit
    # A photo threshold just above this photo's confidence, and every other threshold far
    # below it: only the photo becomes "not a digit".
    above = photo.prediction.confidence + 1e-3
    monkeypatch.setattr(
        photos, "card", dataclasses.replace(photos.card, threshold=0.0, photo_threshold=above)
    )
    monkeypatch.setattr(recogniser, "card", dataclasses.replace(recogniser.card, threshold=0.0))
    [photo_again] = recogniser.recognise([photo_of_digit(4)])
    assert photo_again.prediction.digit == 4 and not photo_again.prediction.is_digit
    [canvas_again] = recogniser.recognise([png_bytes(render_digit(4))])
    assert canvas_again.prediction.is_digit
    monkeypatch.setattr(recogniser, "card", dataclasses.replace(recogniser.card, photo_threshold=1))
    assert recogniser.recognise([png_bytes(render_digit(4))])[0].prediction.is_digit
