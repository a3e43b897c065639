"""digitrec.inference: the recogniser answers batches of image files, safely from many threads."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from conftest import png_bytes, render_digit
from PIL import Image

from digitrec.errors import ImageTooLargeError, NotAnImageError
from digitrec.imaging.decode import MAX_PIXELS
from digitrec.imaging.preprocess import Preprocessed
from digitrec.inference import (
    PIECES_MODEL,
    ModelLoadError,
    Recogniser,
    Recognition,
    bundled_model_path,
)

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))
from bench_explain import CountingSession  # noqa: E402  (the bench's own counter)

# Large, clear digits that any model worth bundling reads, the placeholder MLP included.
CLEAR_DIGITS = (0, 2, 3, 7)


@pytest.mark.parametrize("digit", CLEAR_DIGITS)
def test_a_clear_digit_on_a_canvas_is_read(recogniser, digit):
    [result] = recogniser.recognise([png_bytes(render_digit(digit))])
    assert isinstance(result, Recognition)
    assert isinstance(result.preprocessed, Preprocessed)
    assert result.prediction.digit == digit
    assert result.prediction.is_digit


def test_answer_has_the_documented_fields(recogniser):
    [result] = recogniser.recognise([png_bytes(render_digit(7))])
    answer = result.as_dict()
    assert set(answer) == {"digit", "confidence", "probabilities", "is_digit"}
    assert len(answer["probabilities"]) == 10
    assert sum(answer["probabilities"]) == pytest.approx(1.0, abs=1e-4)
    assert answer["confidence"] == max(answer["probabilities"])


def same_digit_variants(digit: int) -> dict[str, Image.Image]:
    """The same drawing sent the ways people send it."""
    alpha = render_digit(digit, ink=255, paper=0)
    alpha_only = Image.new("RGBA", alpha.size, (0, 0, 0, 0))
    alpha_only.putalpha(alpha)
    stored_sideways = render_digit(digit).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    return {
        "plain": png_bytes(render_digit(digit)),
        "light on dark": png_bytes(render_digit(digit, ink=240, paper=20)),
        "colour": png_bytes(
            render_digit(digit, ink=(200, 30, 30), paper=(240, 240, 180), mode="RGB")
        ),
        "transparent canvas": png_bytes(
            render_digit(digit, ink=(0, 0, 0, 255), paper=(255, 255, 255, 0), mode="RGBA")
        ),
        "alpha-only strokes": png_bytes(alpha_only),
        "EXIF rotated JPEG": png_bytes(stored_sideways, "JPEG", exif=exif.tobytes()),
        "big photo size": png_bytes(render_digit(digit, size=(2000, 1500)), "JPEG"),
    }


@pytest.mark.parametrize("digit", CLEAR_DIGITS)
def test_polarity_transparency_exif_and_colour_give_the_same_digit(recogniser, digit):
    variants = same_digit_variants(digit)
    results = recogniser.recognise(list(variants.values()))
    digits = {name: result.prediction.digit for name, result in zip(variants, results, strict=True)}
    assert set(digits.values()) == {digit}, digits


def test_blank_images_answer_no_digit(recogniser):
    blanks = [
        png_bytes(Image.new("L", (280, 280), 255)),
        png_bytes(Image.new("RGBA", (280, 280), (0, 0, 0, 0))),
        png_bytes(render_digit(".", scale=0.05)),  # a tap on an empty canvas
    ]
    for result in recogniser.recognise(blanks):
        assert result.preprocessed.is_blank
        assert result.as_dict()["digit"] is None
        assert result.as_dict()["is_digit"] is False
        assert result.prediction.confidence == 0.0


def test_pil_images_and_bytes_are_both_accepted(recogniser):
    image = render_digit(3)
    from_bytes, from_image = recogniser.recognise([png_bytes(image), image])
    assert from_bytes.as_dict() == from_image.as_dict()


def test_a_batch_answers_as_its_images_would_one_by_one(recogniser):
    files = [png_bytes(render_digit(digit, offset=(digit * 3, -digit))) for digit in range(10)]
    batch = [result.as_dict() for result in recogniser.recognise(files)]
    alone = [recogniser.recognise([file])[0].as_dict() for file in files]
    for together, single in zip(batch, alone, strict=True):
        assert together["digit"] == single["digit"]
        assert together["probabilities"] == pytest.approx(single["probabilities"], abs=1e-5)
    assert recogniser.recognise([]) == []


def test_many_threads_get_the_same_answers(recogniser):
    files = [png_bytes(render_digit(digit)) for digit in range(10)]
    expected = [result.as_dict() for result in recogniser.recognise(files)]

    def one(index: int) -> dict:
        return recogniser.recognise([files[index % 10]])[0].as_dict()

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(one, range(200)))
    for index, answer in enumerate(answers):
        assert answer["digit"] == expected[index % 10]["digit"]
        assert answer["probabilities"] == pytest.approx(expected[index % 10]["probabilities"])


def test_files_that_are_not_images_raise_a_clear_error(recogniser):
    with pytest.raises(NotAnImageError, match="PNG, JPEG"):
        recogniser.recognise([b"GIF? no: just text"])
    with pytest.raises(TypeError):
        recogniser.recognise(["digit.png"])


def test_the_pixel_limit_is_configurable():
    small_limit = Recogniser(max_pixels=100 * 100)
    with pytest.raises(ImageTooLargeError):
        small_limit.recognise([png_bytes(render_digit(3))])
    assert small_limit.recognise([png_bytes(render_digit(3, size=(100, 100)))])


def test_a_pieces_model_beside_the_model_becomes_its_cut_judge(recogniser, tmp_path):
    judge = recogniser.cut_judge
    assert judge is not None and judge.model_path == recogniser.model_path.parent / PIECES_MODEL
    assert judge.card.name != recogniser.card.name and judge.cut_judge is None
    for name in ("model.onnx", "model.json"):  # the same model without its pieces model
        (tmp_path / name).write_bytes((recogniser.model_path.parent / name).read_bytes())
    assert Recogniser(tmp_path / "model.onnx").cut_judge is None


def test_predict_takes_mnist_style_arrays(recogniser):
    frames = np.stack(
        [recogniser.recognise([render_digit(d)])[0].preprocessed.mnist for d in (0, 7)]
    )
    assert [prediction.digit for prediction in recogniser.predict(frames)] == [0, 7]
    assert recogniser.predict(np.zeros((0, 28, 28), np.float32)) == []


def test_a_large_batch_goes_through_the_model_in_bounded_runs(recogniser, monkeypatch):
    from digitrec import inference

    rng = np.random.default_rng(0)
    images = rng.random((2 * inference.MODEL_BATCH + 3, 28, 28)).astype(np.float32)
    one_run = recogniser.predict(images)
    sizes = []
    run = recogniser.session.run

    def counting_run(outputs, feeds):
        sizes.append(len(next(iter(feeds.values()))))
        return run(outputs, feeds)

    monkeypatch.setattr(recogniser, "session", type("Spy", (), {"run": staticmethod(counting_run)}))
    assert recogniser.predict(images) == one_run
    assert sizes == [inference.MODEL_BATCH, inference.MODEL_BATCH, 3]
    assert recogniser.predict(images[:0]) == []


def test_the_threshold_decides_is_digit_and_numbers_have_a_lower_one(recogniser):
    from digitrec.training.nondigits import make_nondigits

    images, _ = make_nondigits(50, seed=9)
    confidences = [p.confidence for p in recogniser.predict(images)]
    middle = float(np.median(confidences))
    assert [p.is_digit for p in recogniser.predict(images, threshold=middle)] == [
        c >= middle for c in confidences
    ]
    card = recogniser.card
    assert 0 < recogniser.number_threshold == card.number_threshold < card.threshold


# A worker has 150 MB in all for its threads; the worst image it accepts may not take it all.
LARGEST_IMAGE_MB = 150
# Peak memory of one request in a fresh interpreter, after a small image has warmed it up.
_PEAK_OF_ONE_REQUEST = """
import io, json, resource, sys
from PIL import Image
from digitrec.inference import Recogniser
from digitrec.numbers import read_number
def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes
data = open(sys.argv[1], "rb").read()
recogniser = Recogniser()
warm_up = io.BytesIO()
Image.new("L", (280, 280), 255).save(warm_up, "PNG")
recogniser.recognise([warm_up.getvalue()])[0].preprocessed.steps()
before = peak_mb()
[result] = recogniser.recognise([data])
result.preprocessed.steps()
number = read_number(recogniser, data).number
grown_mb = peak_mb() - before
print(json.dumps({"grown_mb": grown_mb, "digit": result.prediction.digit, "number": number}))
"""


def colour_png_of_a_seven(side: int) -> bytes:
    """A side x side RGB PNG (4 bytes a pixel once decoded) of a black 7 on white, written a
    row at a time so that making it costs the test no more than a row."""
    white, black = b"\xff\xff\xff", b"\x00\x00\x00"
    stroke = side // 20
    left, right, top, bottom = side // 3, 2 * side // 3, side // 4, 3 * side // 4
    compressor = zlib.compressobj(1)
    chunks = []
    for y in range(side):
        row = bytearray(white * side)
        if top <= y < top + stroke:
            row[3 * left : 3 * right] = black * (right - left)
        elif top <= y < bottom:  # the diagonal, from the bar's right end down to the left
            x = right - (right - left) * (y - top) // (bottom - top)
            row[3 * (x - stroke) : 3 * x] = black * stroke
        chunks.append(compressor.compress(b"\x00" + bytes(row)))
    chunks.append(compressor.flush())

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", header),
            chunk(b"IDAT", b"".join(chunks)),
            chunk(b"IEND", b""),
        ]
    )


def probe(script: str, *args: str) -> dict:
    """Run `script` in a fresh interpreter (its memory is its own) -> the JSON it printed last."""
    measured = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(measured.stdout.strip().splitlines()[-1])


def test_the_largest_accepted_colour_image_fits_a_workers_memory(tmp_path):
    """Decoded, a colour image is 4 bytes a pixel; everything after (the digit, its steps and
    the number reading) works on a reduced copy."""
    side = int(MAX_PIXELS**0.5)
    path = tmp_path / "largest.png"
    path.write_bytes(colour_png_of_a_seven(side))
    answer = probe(_PEAK_OF_ONE_REQUEST, str(path))
    assert answer["digit"] == 7
    assert answer["number"] == "7"
    assert answer["grown_mb"] < LARGEST_IMAGE_MB, f"{side}x{side} RGB grew {answer}"


def bundled_model_with_card(tmp_path, change) -> Path:
    """A copy of the bundled model whose card is changed by `change(card_dict)`."""
    bundled = bundled_model_path()
    (tmp_path / "model.onnx").write_bytes(bundled.read_bytes())
    card = json.loads(bundled.with_name("model.json").read_text())
    change(card)
    (tmp_path / "model.json").write_text(json.dumps(card))
    return tmp_path / "model.onnx"


def test_the_digits_reported_are_the_cards_labels(tmp_path):
    def reversed_labels(card):
        card["labels"] = card["labels"][::-1]

    three = png_bytes(render_digit(3))
    relabelled = Recogniser(bundled_model_with_card(tmp_path, reversed_labels))
    assert relabelled.recognise([three])[0].prediction.digit == 9 - 3


@pytest.mark.parametrize(
    "change",
    [
        lambda card: card["input"].update(shape=[None, 32, 32, 1]),
        lambda card: card.update(labels=["a", "b"]),
    ],
    ids=["input shape", "labels"],
)
def test_a_card_whose_input_or_labels_digitrec_cannot_serve_is_refused(tmp_path, change):
    with pytest.raises(ModelLoadError, match="card"):
        Recogniser(bundled_model_with_card(tmp_path, change))


def test_saliency_is_one_model_run_over_the_inked_patches_only(monkeypatch):
    from digitrec.inference import OCCLUSION_MASKS, Recogniser

    recogniser = Recogniser()
    [seven] = recogniser.recognise([render_digit(7)])
    counting = CountingSession(recogniser.session)
    monkeypatch.setattr(recogniser, "session", counting)
    [saliency] = recogniser.saliency(seven.preprocessed.mnist[None], [7])
    assert counting.runs == 1
    assert 1 < counting.images < 1 + len(OCCLUSION_MASKS)  # blank patches are never run
    assert saliency.shape == (28, 28) and saliency.min() >= 0


def test_blanking_the_most_salient_patch_lowers_the_answer_most(recogniser):
    from digitrec.inference import OCCLUSION_MASKS

    [seven] = recogniser.recognise([render_digit(7)])
    image = seven.preprocessed.mnist
    [saliency] = recogniser.saliency(image[None], [7])
    scores = [saliency[mask].sum() for mask in OCCLUSION_MASKS]
    inked = [i for i, mask in enumerate(OCCLUSION_MASKS) if image[mask].any()]
    most, least = max(inked, key=scores.__getitem__), min(inked, key=scores.__getitem__)
    [after_most, after_least] = recogniser.predict(
        np.stack([image * ~OCCLUSION_MASKS[most], image * ~OCCLUSION_MASKS[least]])
    )
    assert after_most.probabilities[7] < after_least.probabilities[7]


_RSS_AFTER_NUMBER_READS = """
import io, json, sys
sys.path.insert(0, sys.argv[1])
from abuse.number_batches import touching_digits_png
from PIL import Image
from digitrec.inference import Recogniser
from digitrec.memory import give_back_freed_memory
from digitrec.numbers import read_number
def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
recogniser = Recogniser()
blank = io.BytesIO()
Image.new("L", (280, 280), 255).save(blank, "PNG")
recogniser.recognise([blank.getvalue()])
line = touching_digits_png()
before = rss_mb()
for _ in range(3):
    read_number(recogniser, line)
give_back_freed_memory()
print(json.dumps({"kept_mb": rss_mb() - before}))
"""


def test_a_worker_gives_back_the_memory_of_a_long_number_once_read():
    """A line of 31 touching digits is hundreds of pieces for the model: ONNX Runtime must not
    keep that run's memory for the session's life (it kept about 70 MB with its arena)."""
    kept = probe(_RSS_AFTER_NUMBER_READS, str(BENCH))["kept_mb"]
    assert kept < 40, f"{kept:.0f} MB kept after three reads"
