"""Several trained digitrec models shipped as one: the average of all their members.

    digitrec train --join src/digitrec/models/model.onnx --join runs/more/model-float32.onnx \
        --data-dir ../shared/mnist --out runs/joined

Members trained apart (other seeds, another day, another recipe) make a larger ensemble without
training any of them again: each model's members are rebuilt as Keras from its ONNX graph
(`digitrec.training.from_onnx`), averaged into one graph, and exported, quantised, calibrated on
the held-out training digits and evaluated as `digitrec train` does. The card keeps how each
model was trained.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from digitrec.training import data
from digitrec.training.from_onnx import keras_members_from_onnx
from digitrec.training.train import TrainConfig, finish


def join(paths: list[str], config: TrainConfig) -> Path:
    """The members of the digitrec ONNX models at `paths`, averaged as one model in
    `config.out_dir` (model.onnx and its card); returns that folder."""
    Path(config.out_dir).mkdir(parents=True, exist_ok=True)
    fit_split, val_split, test_split = data.fit_validation_test(
        config.data_dir, config.validation_images, config.limit_train
    )
    members, records = [], []
    for path in paths:
        these = keras_members_from_onnx(path)
        members += these
        records.append(
            {**_training_of(path), "joined_from": str(path), "joined_members": len(these)}
        )
    joined = dataclasses.replace(config, epochs=0)  # nothing is trained here
    return finish(members, records, joined, fit_split, val_split, test_split)


def _training_of(path: str) -> dict:
    """How the model at `path` was trained, from the card beside it (model.json), with the
    keys `finish` reads; what a card lacks is None."""
    card = Path(path).with_name("model.json")
    training = json.loads(card.read_text()).get("training", {}) if card.is_file() else {}
    return {"seconds": 0.0, "history": {}, **training}
