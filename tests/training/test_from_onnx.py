"""digitrec.training.from_onnx: the shipped int8 ONNX model rebuilt as Keras, ready to fine-tune."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
onnx = pytest.importorskip("onnx")

from click.testing import CliRunner  # noqa: E402
from conftest import synthetic_split  # noqa: E402

from digitrec.cli import main  # noqa: E402
from digitrec.inference import bundled_model_path, load_session, probabilities_of  # noqa: E402
from digitrec.training.export import export_onnx  # noqa: E402
from digitrec.training.from_onnx import UnknownGraphError, keras_model_from_onnx  # noqa: E402
from digitrec.training.model import build_cnn, build_mlp  # noqa: E402
from digitrec.training.train import TrainConfig, _initial_model  # noqa: E402
from digitrec.training.training_set import as_model_input  # noqa: E402


@pytest.fixture(scope="module")
def bundled():
    return keras_model_from_onnx(bundled_model_path())


def batch_norms(model) -> list:
    return [
        layer
        for layer in model._flatten_layers()
        if isinstance(layer, keras.layers.BatchNormalization)
    ]


def test_bundled_model_becomes_an_ensemble_of_two_cnns(bundled):
    members = [layer for layer in bundled.layers if isinstance(layer, keras.Model)]
    assert [member.name for member in members] == ["member_0", "member_1"]
    assert bundled.count_params() == 2 * build_cnn().count_params()


def test_bundled_model_answers_as_onnx_runtime_does(bundled):
    """Close, not equal: the int8 graph also rounds its activations."""
    digits = as_model_input(synthetic_split(200, seed=7).images)
    expected = probabilities_of(load_session(bundled_model_path()), digits)
    actual = bundled.predict(digits, verbose=0)
    assert (actual.argmax(1) == expected.argmax(1)).mean() >= 0.98
    assert np.abs(actual - expected).mean() < 0.005 and np.abs(actual - expected).max() < 0.2
    # Blobs of noise: near-uniform answers, whose argmax is a coin toss, so compare values.
    noise = np.random.default_rng(0).random((50, 28, 28, 1), dtype=np.float32)
    expected = probabilities_of(load_session(bundled_model_path()), noise)
    assert np.abs(bundled.predict(noise, verbose=0) - expected).max() < 0.05


def test_batch_normalisation_is_frozen_and_stays_frozen_when_saved(bundled, tmp_path):
    norms = batch_norms(bundled)
    assert len(norms) == 12 and not any(layer.trainable for layer in norms)
    # Frozen, Keras 3 normalises with the folded statistics even in training mode.
    features = np.random.default_rng(1).normal(size=(8, norms[0].gamma.shape[0]))
    features = features.astype(np.float32)
    training = np.asarray(norms[0](features, training=True))
    assert np.allclose(training, np.asarray(norms[0](features, training=False)), atol=1e-5)

    bundled.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert not any(layer.trainable for layer in batch_norms(loaded))
    images = np.random.default_rng(2).random((16, 28, 28, 1), dtype=np.float32)
    assert np.array_equal(loaded.predict(images, verbose=0), bundled.predict(images, verbose=0))


def test_float_export_round_trips_exactly(tmp_path):
    """A float graph has no rounding: weights must come back where they were."""
    rng = np.random.default_rng(3)
    model = build_cnn()
    for layer in model.layers:  # statistics that are not the identity, so folding shows
        if isinstance(layer, keras.layers.BatchNormalization):
            width = layer.gamma.shape[0]
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, width),
                    rng.normal(0, 0.1, width),
                    rng.normal(0, 0.1, width),
                    rng.uniform(0.5, 2.0, width),
                ]
            )
    output = model.get_layer("probabilities")
    output.set_weights([output.get_weights()[0], rng.normal(0, 0.3, 10)])
    export_onnx(model, tmp_path / "float.onnx")
    rebuilt = keras_model_from_onnx(tmp_path / "float.onnx")
    images = rng.random((16, 28, 28, 1), dtype=np.float32)
    difference = np.abs(rebuilt.predict(images, verbose=0) - model.predict(images, verbose=0))
    assert difference.max() < 1e-5


def test_the_mlp_is_refused_clearly(tmp_path):
    export_onnx(build_mlp(), tmp_path / "mlp.onnx")
    with pytest.raises(UnknownGraphError, match="not a digitrec CNN graph"):
        keras_model_from_onnx(tmp_path / "mlp.onnx")


def test_foreign_graphs_and_other_files_are_refused_clearly(tmp_path):
    from onnx import TensorProto, helper

    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, [None, 10])
    output = helper.make_tensor_value_info("out", TensorProto.FLOAT, [None, 10])
    graph = helper.make_graph(
        [helper.make_node("Softmax", ["image"], ["out"])], "g", [image], [output]
    )
    onnx.save(helper.make_model(graph), tmp_path / "softmax.onnx")
    with pytest.raises(UnknownGraphError, match=r"not a digitrec CNN graph.*found a graph input"):
        keras_model_from_onnx(tmp_path / "softmax.onnx")

    (tmp_path / "junk.onnx").write_bytes(b"\x00\xff not a protobuf")
    with pytest.raises(UnknownGraphError, match="not a readable ONNX model"):
        keras_model_from_onnx(tmp_path / "junk.onnx")


def test_training_starts_from_an_onnx_model_when_given_one():
    model = _initial_model(TrainConfig(init_from=str(bundled_model_path())))
    assert model.name == "cnn_ensemble"
    assert not any(layer.trainable for layer in batch_norms(model))
    assert bundled_model_path().with_name("model.json").is_file()  # the card's lineage source


def test_the_cli_says_clearly_when_init_from_is_not_a_digitrec_model(mnist_dir, tmp_path):
    (tmp_path / "junk.onnx").write_bytes(b"\x00\xff not a protobuf")
    arguments = ["train", "--init-from", str(tmp_path / "junk.onnx"), "--epochs", "1"]
    arguments += ["--data-dir", str(mnist_dir), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 1
    assert "not a readable ONNX model" in result.output
    assert "Traceback" not in result.output
