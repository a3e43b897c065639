"""The model that ships inside the package, and its card, agree with each other."""

from __future__ import annotations

import hashlib
import json

import numpy as np

from digitrec.inference import Recogniser, bundled_model_path
from digitrec.model_card import ModelCard


def test_card_and_onnx_graph_agree(recogniser):
    card = recogniser.card
    graph_input = recogniser.session.get_inputs()[0]
    assert graph_input.name == card.raw["input"]["name"]
    assert list(graph_input.shape[1:]) == list(card.input_shape[1:]) == [28, 28, 1]
    assert recogniser.session.get_outputs()[0].shape[1] == len(card.labels) == 10
    assert card.labels == tuple(str(d) for d in range(10))


def test_card_fingerprints_the_shipped_file():
    path = bundled_model_path()
    card = json.loads(path.with_name("model.json").read_text())
    assert card["files"]["onnx_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert card["files"]["onnx_bytes"] == path.stat().st_size <= 5_000_000


def test_shipped_model_is_the_cnn_at_the_promised_accuracy():
    card = ModelCard.load(bundled_model_path().with_name("model.json"))
    evaluation = card.raw["evaluation"]
    assert card.architecture == "cnn"
    assert evaluation["n"] == 10_000 and evaluation["accuracy"] >= 0.996
    assert evaluation["test_digits_rejected"] <= 0.01
    assert (
        card.raw["training"]["train_images"] + card.raw["training"]["validation_images"] == 60_000
    )


def test_version_is_the_packages():
    from digitrec import __version__

    assert Recogniser().version.startswith(__version__)


def test_probabilities_sum_to_one(recogniser):
    images = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)
    for prediction in recogniser.predict(images):
        assert abs(sum(prediction.probabilities) - 1) < 1e-4
