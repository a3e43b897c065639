"""digitrec.training.model: the seed's MLP exactly as specified, and the default CNN."""

from __future__ import annotations

import pytest

keras = pytest.importorskip("keras")

from digitrec.training.model import build_model  # noqa: E402


def test_seed_mlp_has_the_seed_layer_sizes():
    model = build_model("mlp")
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [16, 16, 10]
    assert [layer.activation.__name__ for layer in dense] == ["relu", "relu", "softmax"]
    assert isinstance(model.layers[0], keras.layers.Flatten)
    assert model.count_params() == 784 * 16 + 16 + 16 * 16 + 16 + 16 * 10 + 10


def test_cnn_is_small_enough_to_ship():
    model = build_model("cnn")
    assert model.input_shape == (None, 28, 28, 1)
    assert model.output_shape == (None, 10)
    assert model.count_params() * 4 < 5_000_000  # float32 weights under the 5 MB budget


def test_unknown_architecture_is_a_clear_error():
    with pytest.raises(ValueError, match="choose one of cnn, mlp"):
        build_model("resnet")
