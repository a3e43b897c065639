"""Keras architectures: `mlp`, the original spec's network, and `cnn`, the default.

Both take (28, 28, 1) float32 images in [0, 1], white ink on black as in MNIST, and end in a
10-way softmax, so the exported ONNX graphs are interchangeable behind the same recogniser.
"""

from __future__ import annotations

import keras
from keras import layers

num_classes = 10
input_shape = (28, 28, 1)
ARCHITECTURES = ("cnn", "mlp")


def build_mlp() -> keras.Model:
    """The seed spec's network, unchanged: two hidden layers of 16."""
    return keras.Sequential(
        [
            keras.Input(shape=input_shape, name="image"),
            layers.Flatten(),
            layers.Dense(16, activation="relu"),
            layers.Dense(16, activation="relu"),
            layers.Dense(num_classes, activation="softmax", name="probabilities"),
        ],
        name="mlp",
    )


def _conv_block(x, filters: int):
    # Convolution without bias: batch normalisation right after it supplies the offset.
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation("relu")(x)


def build_cnn() -> keras.Model:
    """A VGG-style CNN sized for a 2-core CPU: about 0.2 M parameters, under 1 MB as ONNX."""
    image = keras.Input(shape=input_shape, name="image")
    x = _conv_block(image, 32)  # (28, 28, 32)
    x = _conv_block(x, 32)
    x = layers.MaxPooling2D()(x)  # (14, 14, 32)
    x = _conv_block(x, 64)
    x = _conv_block(x, 64)
    x = layers.MaxPooling2D()(x)  # (7, 7, 64)
    x = _conv_block(x, 128)
    x = layers.GlobalAveragePooling2D()(x)  # (128,)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(128, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.Dropout(0.3)(x)
    probabilities = layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(image, probabilities, name="cnn")


def build_model(arch: str) -> keras.Model:
    if arch == "cnn":
        return build_cnn()
    if arch == "mlp":
        return build_mlp()
    raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")


def average_of(models: list[keras.Model]) -> keras.Model:
    """One model whose output is the mean of the members' probabilities (an ensemble)."""
    image = keras.Input(shape=input_shape, name="image")
    outputs = []
    for index, member in enumerate(models):
        # Members share layer names; wrapping each in its own named model keeps them apart.
        outputs.append(
            keras.Model(member.inputs[0], member.outputs[0], name=f"member_{index}")(image)
        )
    probabilities = layers.Average(name="probabilities")(outputs)
    return keras.Model(image, probabilities, name=f"{models[0].name}_ensemble")
