"""`digitrec evaluate` says how photos are judged by the model that reads them: the photos model
beside the evaluated one where it has one (as the bundled model does), else the model itself."""

from __future__ import annotations

import json

from click.testing import CliRunner

from digitrec.cli import main
from digitrec.training import data
from digitrec.training import evaluate as evaluation


def evaluated(mnist_dir, *model: str) -> dict:
    result = CliRunner().invoke(main, ["evaluate", *model, "--data-dir", str(mnist_dir), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_rejection_as_photos_is_the_photos_models_beside_the_bundled_one(mnist_dir, recogniser):
    photos = recogniser.reader_of_photos
    assert photos is not recogniser
    result = evaluated(mnist_dir)
    assert result["photos_model"] == f"{photos.card.name} {photos.card.version}"
    _, test = data.load_mnist(str(mnist_dir))
    own = evaluation.evaluate_split(photos.model_path, test, photos.card.raw["calibration"])
    pair = evaluation.evaluate_split(
        recogniser.model_path, test, recogniser.card.raw["calibration"]
    )
    for key in ("test_digits_rejected_as_photos", "nondigits_rejected_as_photos"):
        assert result[key] == own[key]
    # The pair's own figures are read once, as canvases are: they stay the pair's.
    assert result["nondigits_rejected"] == pair["nondigits_rejected"]
    # The two models judge the non-digits differently, so the test tells them apart.
    assert own["nondigits_rejected_as_photos"] != pair["nondigits_rejected_as_photos"]


def test_a_model_without_a_photos_model_is_judged_as_photos_itself(mnist_dir, recogniser, tmp_path):
    alone = tmp_path / "alone"
    alone.mkdir()
    for name in ("model.onnx", "model.json"):
        (alone / name).write_bytes((recogniser.model_path.parent / name).read_bytes())
    result = evaluated(mnist_dir, "--model", str(alone / "model.onnx"))
    assert "photos_model" not in result
    _, test = data.load_mnist(str(mnist_dir))
    own = evaluation.evaluate_split(recogniser.model_path, test, recogniser.card.raw["calibration"])
    assert result["nondigits_rejected_as_photos"] == own["nondigits_rejected_as_photos"]
