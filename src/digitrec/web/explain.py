"""Why this digit: the recogniser's occlusion saliency and the runner-up, as the API shows them.

`explain=1` adds to each digit answer `saliency`, a 28x28 array over the model's input (each
value the drop in the answer's probability when the pixels around it are blanked), and with
`steps=1` also `saliency_image`, the same map as a PNG heatmap to lay over the 28x28 step.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

# The heatmap's colour, the same in both themes: it lies over the 28x28 input, which is white
# ink on black whatever the page's theme. Its alpha carries the saliency.
HEAT_RGB = (255, 92, 32)


def saliency_maps(recogniser, recognitions) -> list[np.ndarray | None]:
    """One (28, 28) map per recognition (None where there is no digit), by the model that read
    it (photos may have their own: `Recogniser.reader_of`), in one run of each model."""
    maps: list[np.ndarray | None] = [None] * len(recognitions)
    readers = {}
    for index, recognition in enumerate(recognitions):
        if recognition.prediction.digit is not None:
            reader = recogniser.reader_of(recognition.preprocessed)
            readers.setdefault(id(reader), (reader, []))[1].append(index)
    for reader, explained in readers.values():
        images = np.stack([recognitions[i].preprocessed.mnist for i in explained])
        digits = [recognitions[i].prediction.digit for i in explained]
        for index, saliency in zip(explained, reader.saliency(images, digits), strict=True):
            maps[index] = saliency
    return maps


def runner_up(probabilities) -> dict:
    """The second most likely digit and its probability."""
    second = int(np.argsort(probabilities)[-2])
    return {"digit": second, "probability": probabilities[second]}


def heatmap_data_url(saliency: np.ndarray) -> str:
    """A 28x28 saliency map -> a PNG data URL: HEAT_RGB, opaque where the map is highest and
    transparent where it is 0."""
    peak = float(saliency.max())
    # A square root, so that the pixels a little behind the strongest still show.
    alpha = np.sqrt(saliency / peak) if peak > 0 else np.zeros_like(saliency)
    pixels = np.empty((*saliency.shape, 4), np.uint8)
    pixels[..., :3] = HEAT_RGB
    pixels[..., 3] = np.round(alpha * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="RGBA").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def explanation(saliency: np.ndarray, with_image: bool) -> dict:
    """The answer's fields for a saliency map: the array, and the PNG when steps are shown."""
    fields = {"saliency": np.round(saliency, 4).tolist()}
    if with_image:
        fields["saliency_image"] = heatmap_data_url(saliency)
    return fields
