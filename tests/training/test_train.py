"""Training end to end on a few hundred synthetic digits: Keras -> ONNX -> card -> CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("keras")

from digitrec.cli import main
from digitrec.inference import Recogniser, load_session, probabilities_of
from digitrec.training import train as train_module
from digitrec.training.export import load_keras_model
from digitrec.training.train import TrainConfig, train


@pytest.fixture(scope="module")
def trained_cnn(mnist_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("cnn")
    config = TrainConfig(
        arch="cnn",
        epochs=1,
        data_dir=str(mnist_dir),
        out_dir=str(out),
        validation_images=50,
        formats=("keras", "onnx", "h5"),
        quantize=True,
        verbose=0,
    )
    return train(config)


def test_one_epoch_writes_keras_onnx_h5_and_card(trained_cnn):
    assert {p.name for p in trained_cnn.iterdir()} >= {
        "model-float32.onnx",
        "model.keras",
        "model.onnx",
        "model.json",
        "weights.h5",
    }


def test_onnx_matches_keras_within_1e_5(trained_cnn):
    keras_model = load_keras_model(trained_cnn / "model.keras")
    images = np.random.default_rng(1).random((16, 28, 28, 1), dtype=np.float32)
    session = load_session(trained_cnn / "model-float32.onnx")
    onnx_out = probabilities_of(session, images)
    assert np.abs(onnx_out - keras_model.predict(images, verbose=0)).max() <= 1e-5


def test_card_records_training_and_evaluation(trained_cnn):
    card = json.loads((trained_cnn / "model.json").read_text())
    assert card["architecture"] == "cnn" and card["input"]["shape"] == [None, 28, 28, 1]
    assert card["training"]["train_images"] + card["training"]["validation_images"] == 300
    assert card["training"]["epochs"] == 1 and len(card["training"]["seconds_per_epoch"]) == 1
    assert set(card["training"]["data_files"]) == {
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    }
    evaluation = card["evaluation"]
    assert evaluation["n"] == 100 and 0 <= evaluation["accuracy"] <= 1
    assert sum(map(sum, evaluation["confusion"])) == 100
    assert card["calibration"]["temperature"] > 0


def test_seed_style_h5_exports_through_the_cli(trained_cnn, tmp_path):
    result = CliRunner().invoke(
        main,
        ["export", "--model", str(trained_cnn / "weights.h5"), "--out", str(tmp_path / "m.onnx")],
    )
    assert result.exit_code == 0, result.output
    assert "max |ONNX - Keras|" in result.output and (tmp_path / "m.onnx").is_file()


def test_training_is_reproducible_with_a_seed(mnist_dir, tmp_path):
    def train_mlp(out):
        config = TrainConfig(
            arch="mlp",
            epochs=1,
            data_dir=str(mnist_dir),
            out_dir=str(out),
            validation_images=50,
            seed=7,
            verbose=0,
        )
        return Recogniser(train(config) / "model.onnx")

    images = np.random.default_rng(2).random((4, 28, 28, 1), dtype=np.float32)
    first, second = train_mlp(tmp_path / "a"), train_mlp(tmp_path / "b")
    assert np.allclose(
        probabilities_of(first.session, images), probabilities_of(second.session, images), atol=1e-6
    )


def test_cli_train_then_evaluate_json_and_report(mnist_dir, tmp_path):
    runner = CliRunner()
    out = tmp_path / "mlp"
    trained = runner.invoke(
        main,
        [
            "train",
            "--arch",
            "mlp",
            "--epochs",
            "1",
            "--data-dir",
            str(mnist_dir),
            "--out",
            str(out),
        ],
    )
    assert trained.exit_code == 0, trained.output
    assert "test accuracy" in trained.output
    report = tmp_path / "report"
    evaluated = runner.invoke(
        main,
        [
            "evaluate",
            "--model",
            str(out / "model.onnx"),
            "--data-dir",
            str(mnist_dir),
            "--json",
            "--report",
            str(report),
        ],
    )
    assert evaluated.exit_code == 0, evaluated.output
    result = json.loads(evaluated.output)
    assert result["n"] == 100 and 0 <= result["accuracy"] <= 1
    # Calibration is measured on the held-out training digits, never on the test set.
    calibration = result["calibration"]
    assert calibration["held_out"] == 60  # a fifth of the 300 synthetic training digits
    assert sum(row["count"] for row in calibration["reliability"]) == 60
    assert 0 <= calibration["ece"] <= 1
    assert (report / "reliability.png").is_file()
    assert set(result["per_class"]) == {str(d) for d in range(10)}
    assert len(result["confusion"]) == 10
    assert {p.name for p in report.iterdir()} == {
        "confusion_matrix.png",
        "misclassified.png",
        "reliability.png",
        "training_curves.png",
    }


def test_cli_train_without_data_says_what_to_do(tmp_path):
    result = CliRunner().invoke(main, ["train", "--data-dir", str(tmp_path), "--epochs", "1"])
    assert result.exit_code != 0
    assert "lacks" in result.output and "--data-dir" in result.output


def test_two_members_export_as_one_averaged_graph(mnist_dir, tmp_path):
    config = TrainConfig(
        arch="mlp",
        epochs=1,
        members=2,
        data_dir=str(mnist_dir),
        out_dir=str(tmp_path),
        validation_images=50,
        verbose=0,
    )
    card = json.loads((train(config) / "model.json").read_text())
    assert [member["seed"] for member in card["training"]["members"]] == [0, 1]
    keras_model = load_keras_model(tmp_path / "model.keras")
    members = [layer for layer in keras_model.layers if layer.name.startswith("member_")]
    images = np.random.default_rng(3).random((8, 28, 28, 1), dtype=np.float32)
    mean = np.mean([m.predict(images, verbose=0) for m in members], axis=0)
    onnx_out = probabilities_of(Recogniser(tmp_path / "model.onnx").session, images)
    assert len(members) == 2 and np.abs(onnx_out - mean).max() <= 1e-5


def test_int8_model_is_smaller_and_agrees_with_the_float_graph(trained_cnn, mnist_dir):
    card = json.loads((trained_cnn / "model.json").read_text())
    assert card["quantization"]["calibration_images"] > 0
    assert card["export"]["max_abs_difference_vs_keras"] <= 1e-5
    int8 = (trained_cnn / "model.onnx").stat().st_size
    assert int8 < 0.5 * (trained_cnn / "model-float32.onnx").stat().st_size
    images = np.random.default_rng(4).random((32, 28, 28, 1), dtype=np.float32)
    float_out = probabilities_of(load_session(trained_cnn / "model-float32.onnx"), images)
    int8_out = probabilities_of(load_session(trained_cnn / "model.onnx"), images)
    assert np.abs(float_out - int8_out).max() < 0.05


def test_fine_tuning_continues_a_saved_model_with_touching_pair_outliers(
    trained_cnn, mnist_dir, tmp_path
):
    """--init-from starts from the saved weights (not new ones) and records what it did."""
    result = CliRunner().invoke(
        main,
        [
            "train",
            "--init-from",
            str(trained_cnn / "model.keras"),
            "--epochs",
            "1",
            "--number-pieces",
            "0.2",
            "--data-dir",
            str(mnist_dir),
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "model.json").read_text())
    assert card["training"]["init_from"] == str(trained_cnn / "model.keras")
    assert card["training"]["touching_pair_images"] > 0
    assert card["training"]["number_piece_images"] > 0
    base = json.loads((trained_cnn / "model.json").read_text())
    assert base["training"]["number_piece_images"] == 0  # off unless asked for
    assert card["training"]["fine_tuned_from"] == base["training"]  # the lineage is kept
    assert card["version"] != base["version"]  # same day, other weights: another version
    before = load_keras_model(trained_cnn / "model.keras").get_weights()
    after = load_keras_model(tmp_path / "model.keras").get_weights()
    # Same architecture, weights moved but still the old ones: continued, not started afresh
    # (fresh weights would be uncorrelated with the saved ones).
    assert [w.shape for w in before] == [w.shape for w in after]
    assert any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    kernel_before, kernel_after = before[0].ravel(), after[0].ravel()
    assert np.corrcoef(kernel_before, kernel_after)[0, 1] > 0.9


def test_self_distilled_fine_tuning_keeps_the_starting_models_reading(
    trained_cnn, mnist_dir, tmp_path
):
    """--self-distil mixes the starting model's own probabilities into the digits' targets
    (as the bundled pieces model was made), read from its int8 ONNX graph as shipped."""
    arguments = ["train", "--init-from", str(trained_cnn / "model.onnx"), "--epochs", "1"]
    arguments += ["--self-distil", "1.0", "--learning-rate", "1e-6", "--data-dir", str(mnist_dir)]
    result = CliRunner().invoke(main, [*arguments, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    training = json.loads((tmp_path / "model.json").read_text())["training"]
    assert (training["self_distil"], training["learning_rate"]) == (1.0, 1e-6)


def test_self_distil_mixes_the_starting_models_probabilities_into_digit_targets(
    trained_cnn, mnist_dir, tmp_path, monkeypatch
):
    seen = {}

    class Stop(Exception):
        """Raised once the targets are made: nothing else to learn from a fit."""

    def stop_before_fitting(x, y, config, seed, augment):
        seen.update(x=x, y=y)
        raise Stop

    monkeypatch.setattr(train_module, "_training_dataset", stop_before_fitting)
    config = TrainConfig(
        init_from=str(trained_cnn / "model.onnx"),
        self_distil=0.25,
        data_dir=str(mnist_dir),
        out_dir=str(tmp_path),
        validation_images=50,
    )
    with pytest.raises(Stop):
        train(config)
    x, y = seen["x"], seen["y"]
    digits = int(np.isclose(y.max(axis=1), 1 / 10).argmax())  # the outliers follow the digits
    own = probabilities_of(load_session(config.init_from), x[:digits])
    labels = y[:digits].argmax(axis=1)
    expected = 0.25 * own
    expected[np.arange(digits), labels] += 0.75
    assert np.allclose(y[:digits], expected, atol=1e-6)
    assert np.allclose(y[digits:][:5], 0.1), "outliers keep their uniform targets"


def test_self_distil_needs_a_model_to_start_from(tmp_path):
    result = CliRunner().invoke(main, ["train", "--self-distil", "0.5", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--init-from" in result.output


def test_init_from_refuses_several_members(trained_cnn, tmp_path):
    result = CliRunner().invoke(
        main,
        ["train", "--init-from", str(trained_cnn / "model.keras"), "--members", "2"],
    )
    assert result.exit_code == 2 and "--members 1" in result.output


def test_join_ships_the_members_of_several_models_as_one_graph(trained_cnn, mnist_dir, tmp_path):
    source = trained_cnn / "model-float32.onnx"
    joining = ["--join", str(source), "--join", str(source), "--no-quantize"]
    result = CliRunner().invoke(
        main, ["train", *joining, "--data-dir", str(mnist_dir), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "model.json").read_text())
    assert [member["joined_from"] for member in card["training"]["members"]] == [str(source)] * 2
    assert (
        card["training"]["epochs"] == 0
        and card["parameters"]
        == 2 * json.loads((trained_cnn / "model.json").read_text())["parameters"]
    )
    images = np.random.default_rng(5).random((8, 28, 28, 1), dtype=np.float32)
    joined = probabilities_of(load_session(tmp_path / "model.onnx"), images)
    alone = probabilities_of(load_session(source), images)
    assert np.abs(joined - alone).max() <= 1e-5


def test_join_trains_nothing_so_refuses_what_training_needs(trained_cnn, tmp_path):
    source = str(trained_cnn / "model.onnx")
    result = CliRunner().invoke(main, ["train", "--join", source, "--init-from", source])
    assert result.exit_code == 2 and "--join trains nothing" in result.output
