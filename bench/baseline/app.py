"""The original spec's stack, kept as a benchmark baseline: Flask + Keras `model.predict`.

    BASELINE_KERAS_MODEL=runs/cnn/model.keras \
        .venv/bin/flask --app bench/baseline/app.py run --port 5001

Deliberately written the way the original spec's app would be (and the way digitrec's own
app is not): the Keras model is loaded at import, and every request decodes the upload with
PIL, converts it to grey, resizes it to 28x28, divides by 255 and calls `model.predict` on a
batch of one. Don't use it for anything but comparison.

BASELINE_KERAS_MODEL: a .keras (or full-model .h5) file. Without it, BASELINE_ARCH (cnn or
mlp) is built with untrained weights: the same arithmetic per request, but wrong answers.
"""

from __future__ import annotations

import io
import os

import numpy as np
from flask import Flask, jsonify, request
from PIL import Image

from digitrec.training.model import build_model

KERAS_MODEL_PATH = os.environ.get("BASELINE_KERAS_MODEL", "")
if KERAS_MODEL_PATH:
    import keras

    model = keras.models.load_model(KERAS_MODEL_PATH, compile=False)
    MODEL_NAME = f"{model.name} ({KERAS_MODEL_PATH})"
else:
    model = build_model(os.environ.get("BASELINE_ARCH", "cnn"))
    MODEL_NAME = f"{model.name} (untrained weights)"

app = Flask(__name__)


@app.post("/predict")
def predict():
    upload = request.files.get("file")
    data = upload.read() if upload else request.get_data()
    image = Image.open(io.BytesIO(data)).convert("L").resize((28, 28))
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    probabilities = model.predict(pixels.reshape(1, 28, 28, 1), verbose=0)[0]
    digit = int(np.argmax(probabilities))
    return jsonify(
        digit=digit,
        confidence=float(probabilities[digit]),
        probabilities=[float(p) for p in probabilities],
        model=MODEL_NAME,
    )
