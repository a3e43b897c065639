"""Train a digit model on MNIST, export it to ONNX, calibrate it and write its model card.

    digitrec train --arch cnn --epochs 20 --data-dir ../shared/mnist --out runs/cnn

The `mlp` architecture trains exactly as the original spec did (Adam, 10 epochs, no
augmentation). The `cnn` default trains on augmented digits (shifts, rotations, scale, stroke
thickness) plus synthetic non-digits with a uniform target, under a warm-up + cosine learning
rate schedule, monitored on a held-out validation split. The test set is only ever measured.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digitrec import calibration, model_card
from digitrec.imaging.pen_widths import bolder_and_finer
from digitrec.training import data, evaluate, training_set
from digitrec.training.data import VALIDATION_IMAGES
from digitrec.training.model import build_model, num_classes
from digitrec.training.number_pieces import KINDS as NUMBER_PIECE_KINDS
from digitrec.training.training_set import as_model_input

QUANTIZATION_IMAGES = 2000
# Fine-tuning (`init_from`) starts here and decays to 1 % of it: a tenth of a new model's peak,
# so the trained weights move, but not far.
FINE_TUNE_LEARNING_RATE = 3e-4
FLOAT_MODEL = "model-float32.onnx"
# Corrections, repeated, make this share of the training digits when fine-tuning on feedback.
FEEDBACK_SHARE = 0.1


@dataclass
class TrainConfig:
    arch: str = "cnn"
    epochs: int | None = None  # None: the architecture's default
    batch_size: int | None = None
    seed: int = 0  # members of an ensemble use seed, seed + 1, ...
    members: int = 1  # >1: train several models and ship their average as one ONNX graph
    quantize: bool = False  # ship an int8 model.onnx (the float graph stays beside it)
    data_dir: str | None = None
    out_dir: str = "runs/latest"
    formats: tuple[str, ...] = ("keras", "onnx")
    # Observe test accuracy after each epoch, for the benchmark's "time to 99.5 %". It is only
    # recorded, never used to pick an epoch or tune anything: the last epoch's model is shipped.
    record_test_accuracy: bool = False
    limit_train: int | None = None  # a subset, for smoke tests
    # Continue training this saved Keras model (a member or a whole ensemble) instead of new
    # weights: a few epochs at a low learning rate teach a trained model new outliers. An .onnx
    # model made by digitrec (e.g. the bundled models/model.onnx, whose Keras checkpoint is not
    # kept) is rebuilt as Keras first, by digitrec.training.from_onnx.
    init_from: str | None = None
    validation_images: int = VALIDATION_IMAGES
    # cnn: pieces of composed numbers as the reader cuts them (`digitrec.training.number_pieces`), as a
    # share of the training digits; 0 leaves them out.
    number_pieces: float = 0.0
    number_piece_kinds: tuple[str, ...] = NUMBER_PIECE_KINDS
    # cnn: training digits changed as photos and scans change them (`digitrec.training.wild_digits`),
    # as a share of the training digits; 0 leaves them out.
    wild_digits: float = 0.0
    # With init_from: this share of each training digit's target is the starting model's own
    # probabilities rather than its label, so that fine-tuning on new pieces keeps how the
    # model read ambiguous digits (the bundled pieces model: 0.5, learning_rate 1e-4).
    self_distil: float = 0.0
    learning_rate: float | None = None  # fine-tuning's peak; None: FINE_TUNE_LEARNING_RATE
    # Digits from users' corrections: (images (n, 28, 28) uint8 framed as the reader frames,
    # labels (n,) uint8), mixed with the MNIST training digits. They are repeated (each time
    # augmented afresh) until they are `feedback_share` of the training digits, so a few
    # hundred corrections weigh enough to be learnt while MNIST keeps the rest in place.
    feedback_digits: tuple[np.ndarray, np.ndarray] | None = None
    feedback_share: float = FEEDBACK_SHARE
    feedback_record: dict | None = None  # for the card: which corrections, and when
    verbose: int | None = None
    extra: dict = field(default_factory=dict)

    def resolved_epochs(self) -> int:
        return self.epochs if self.epochs is not None else {"cnn": 20, "mlp": 10}[self.arch]

    def resolved_batch_size(self) -> int:
        # The seed trained with Keras's default batch of 32; the CNN prefers larger batches.
        return self.batch_size or {"cnn": 128, "mlp": 32}[self.arch]


def _augmenter(seed: int):
    import keras
    import tensorflow as tf
    from keras import layers

    geometry = keras.Sequential(
        [
            layers.RandomRotation(15 / 360, fill_mode="constant", seed=seed),
            layers.RandomZoom((-0.15, 0.15), fill_mode="constant", seed=seed + 1),
            layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=seed + 2),
        ]
    )

    def augment(images, targets):
        # Stroke thickness: people draw with thicker and thinner pens than MNIST's scans.
        thick = tf.nn.max_pool2d(images, 2, 1, "SAME")
        thin = -tf.nn.max_pool2d(-images, 2, 1, "SAME")
        choice = tf.random.uniform((tf.shape(images)[0], 1, 1, 1))
        images = tf.where(choice < 0.2, thick, tf.where(choice < 0.3, thin, images))
        images = tf.clip_by_value(geometry(images, training=True), 0.0, 1.0)
        return images, targets

    return augment


def _training_dataset(x, y, config: TrainConfig, seed: int, augment: bool):
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(config.resolved_batch_size())
    if augment:
        dataset = dataset.map(_augmenter(seed), num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def _compile(model, config: TrainConfig, steps_per_epoch: int) -> None:
    import keras

    if config.arch == "mlp":
        optimizer = keras.optimizers.Adam()
    elif config.init_from:
        schedule = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=config.learning_rate or FINE_TUNE_LEARNING_RATE,
            decay_steps=steps_per_epoch * config.resolved_epochs(),
            alpha=0.01,
        )
        optimizer = keras.optimizers.Adam(learning_rate=schedule)
    else:
        total = steps_per_epoch * config.resolved_epochs()
        warmup = min(steps_per_epoch, total // 10)
        schedule = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=1e-4,
            decay_steps=max(1, total - warmup),
            warmup_target=3e-3,
            warmup_steps=warmup,
            alpha=0.01,
        )
        optimizer = keras.optimizers.Adam(learning_rate=schedule)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])


def _epoch_recorder(test: data.Split | None):
    import keras

    class EpochRecorder(keras.callbacks.Callback):
        """Wall-clock seconds per epoch, and (observed only) test accuracy."""

        def on_train_begin(self, logs=None):
            self.seconds, self.test_accuracy = [], []

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.started)
            if test is not None:
                probabilities = self.model.predict(as_model_input(test.images), verbose=0)
                accuracy = float((probabilities.argmax(1) == test.labels).mean())
                self.test_accuracy.append(accuracy)
                print(f"epoch {epoch + 1}: test accuracy {accuracy:.4f} (observed only)")

    return EpochRecorder()


def _initial_model(config: TrainConfig):
    """The model training starts from: `config.init_from` (saved Keras, or digitrec's ONNX
    rebuilt as Keras, its batch normalisation frozen), else new weights."""
    import keras

    if not config.init_from:
        return build_model(config.arch)
    if config.init_from.lower().endswith(".onnx"):
        from digitrec.training.from_onnx import keras_model_from_onnx

        return keras_model_from_onnx(config.init_from)
    return keras.saving.load_model(config.init_from)


def _starting_probabilities(config: TrainConfig, model, x: np.ndarray) -> np.ndarray:
    """The model `config.init_from` as it is on x -> (n, 10): an ONNX model as shipped (int8,
    not its Keras rebuild `model`), a Keras one as loaded."""
    if not config.init_from:
        raise ValueError("self_distil needs init_from: the model whose reading is kept")
    if config.init_from.lower().endswith(".onnx"):
        return evaluate.onnx_probabilities(config.init_from, x).astype(np.float32)
    return model.predict(x, batch_size=1000, verbose=0).astype(np.float32)


def _fit_member(config: TrainConfig, seed: int, fit_split, val_split, test_split):
    """Train one model; returns (keras model, its training record for the card)."""
    import keras

    keras.utils.set_random_seed(seed)
    assembled = training_set.assemble(config, fit_split, seed)
    x, y = assembled.x, training_set.targets(assembled.labels)
    model = _initial_model(config)
    if config.self_distil:
        digit_count = len(fit_split.labels)
        own = _starting_probabilities(config, model, x[:digit_count])
        y[:digit_count] = (1 - config.self_distil) * y[:digit_count] + config.self_distil * own
    dataset = _training_dataset(x, y, config, seed, augment=config.arch == "cnn")
    steps = int(np.ceil(len(x) / config.resolved_batch_size()))
    _compile(model, config, steps)
    recorder = _epoch_recorder(test_split if config.record_test_accuracy else None)
    verbose = config.verbose if config.verbose is not None else (1 if sys.stdout.isatty() else 2)
    started = time.perf_counter()
    history = model.fit(
        dataset,
        epochs=config.resolved_epochs(),
        validation_data=(
            as_model_input(val_split.images),
            keras.utils.to_categorical(val_split.labels, num_classes),
        ),
        callbacks=[recorder],
        shuffle=False,  # the dataset already reshuffles every epoch
        verbose=verbose,
    )
    record = {
        "seed": seed,
        **assembled.counts,
        "init_from": config.init_from,
        "self_distil": config.self_distil,
        "learning_rate": config.learning_rate,
        "seconds": round(time.perf_counter() - started, 1),
        "seconds_per_epoch": [round(s, 1) for s in recorder.seconds],
        "history": {
            key: [round(float(v), 5) for v in values] for key, values in history.history.items()
        },
    }
    if recorder.test_accuracy:
        record["history"]["test_accuracy_observed"] = recorder.test_accuracy
    return model, record


def train(config: TrainConfig) -> Path:
    """Train (`config.members` models, averaged), export, calibrate and card; returns out_dir."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    out_dir = Path(config.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fit_split, val_split, test_split = data.fit_validation_test(
        config.data_dir, config.validation_images, config.limit_train
    )
    members = [
        _fit_member(config, config.seed + index, fit_split, val_split, test_split)
        for index in range(config.members)
    ]
    models = [model for model, _ in members]
    return finish(
        models, [record for _, record in members], config, fit_split, val_split, test_split
    )


def finish(models, records, config: TrainConfig, fit_split, val_split, test_split) -> Path:
    """Save, export (averaging several members into one graph), calibrate, evaluate, card."""
    from digitrec.training.export import export_onnx, quantize_onnx
    from digitrec.training.model import average_of

    out_dir = Path(config.out_dir)
    model = models[0] if len(models) == 1 else average_of(models)
    model.save(out_dir / "model.keras")
    if "h5" in config.formats:
        model.save(out_dir / "weights.h5")
    float_path = out_dir / FLOAT_MODEL
    export_difference = export_onnx(model, float_path)
    onnx_path = out_dir / "model.onnx"
    quantization = None
    if config.quantize:
        # Calibrated on training images only: validation and test images stay unseen.
        calibration_images = as_model_input(fit_split.images[:QUANTIZATION_IMAGES])
        quantization = quantize_onnx(float_path, onnx_path, calibration_images)
        float_probabilities = evaluate.onnx_probabilities(
            float_path, as_model_input(test_split.images)
        )
        quantization["float_test_accuracy"] = round(
            float((float_probabilities.argmax(1) == test_split.labels).mean()), 5
        )
    else:
        shutil.copyfile(float_path, onnx_path)

    val_images = as_model_input(val_split.images)
    val_probabilities = evaluate.onnx_probabilities(onnx_path, val_images)
    variant_probabilities = evaluate.onnx_probabilities(
        onnx_path, bolder_and_finer(val_images.reshape(-1, 28, 28))
    )
    calib = calibration.calibrate(val_probabilities, val_split.labels, variant_probabilities)
    report = evaluate.evaluate_split(onnx_path, test_split, calib)
    training = {
        "data_files": data.describe_files(config.data_dir),
        "train_images": len(fit_split),
        "validation_images": len(val_split),
        "epochs": config.resolved_epochs(),
        "batch_size": config.resolved_batch_size(),
        "cpu_count": os.cpu_count(),
        "seconds": round(sum(record["seconds"] for record in records), 1),
        # The first member's record stands for the run in plots and the training benchmark.
        **{
            key: records[0].get(key)
            for key in (
                "seed",
                "nondigit_images",
                "touching_pair_images",
                "number_piece_images",
                "wild_digit_images",
                "wild_digit_kinds",
                "wild_digit_hand_styles",
                "init_from",
                "self_distil",
                "learning_rate",
                "seconds_per_epoch",
            )
        },
        "history": records[0]["history"],
    }
    if len(records) > 1:
        training["members"] = records
    if config.feedback_record is not None:
        training["feedback"] = {
            **config.feedback_record,
            "share": config.feedback_share,
            "repeats": records[0]["feedback_repeats"],
        }
    base_card = Path(config.init_from).with_name("model.json") if config.init_from else None
    if base_card and base_card.is_file():
        # A fine-tuned model's card keeps how the model it started from was trained.
        training["fine_tuned_from"] = json.loads(base_card.read_text()).get("training")
    card = model_card.build(
        arch=config.arch,
        model=model,
        onnx_path=onnx_path,
        calibration=calib,
        evaluation=report,
        training=training,
    )
    card["export"] = {"float_model": FLOAT_MODEL, "max_abs_difference_vs_keras": export_difference}
    card["quantization"] = quantization
    model_card.save(card, out_dir / "model.json")
    return out_dir
