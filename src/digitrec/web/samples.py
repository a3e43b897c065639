"""The sample images on the page (one click to try) and the known digit behind /readyz.

They are real handwriting: MNIST test digits, which the model never trained on, drawn dark on
paper at 5x size like a scan. Regenerate them with

    python -m digitrec.web.samples --data-dir ../shared/mnist
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

SAMPLES_DIR = "static/samples"


@dataclass(frozen=True)
class Sample:
    name: str  # the form value and the file's stem, e.g. "digit-7"
    label: str  # what it shows: "7" or "2026"
    mode: str  # "digit" or "number"

    @property
    def filename(self) -> str:
        return f"samples/{self.name}.png"

    def read_bytes(self) -> bytes:
        return (resources.files("digitrec.web") / "static" / self.filename).read_bytes()


SAMPLES = (
    *(Sample(f"digit-{digit}", str(digit), "digit") for digit in range(10)),
    Sample("number-2026", "2026", "number"),
)
SAMPLES_BY_NAME = {sample.name: sample for sample in SAMPLES}
# /readyz asks the model to read this one before the server says it is ready.
SELF_TEST = SAMPLES_BY_NAME["digit-7"]


def _as_scan(ink, scale: int = 5):
    """(h, w) float ink in [0, 1] -> a PIL image of dark ink on off-white paper, `scale`x."""
    import numpy as np
    from PIL import Image

    grey = Image.fromarray(np.round(ink * 255).astype(np.uint8), mode="L")
    grey = grey.resize((grey.width * scale, grey.height * scale), Image.Resampling.BICUBIC)
    ink_big = np.asarray(grey, dtype=np.float32) / 255.0
    paper, pen = 250.0, 24.0
    return Image.fromarray(np.round(paper - ink_big * (paper - pen)).astype(np.uint8), mode="L")


def _most_confident(images, labels, digit: int, recogniser, skip: int = 0):
    import numpy as np

    indices = np.flatnonzero(labels == digit)
    candidates = images[indices].astype(np.float32) / 255.0
    predictions = recogniser.predict(candidates)
    confidence = np.array(
        [p.confidence if p.digit == digit else 0.0 for p in predictions], dtype=np.float32
    )
    return candidates[np.argsort(-confidence)[skip]]


def _compose_number(digits, gap: int = 3):
    """Digits' ink cropped to their boxes and set side by side on one baseline, 4 px margin."""
    import numpy as np

    crops = []
    for ink in digits:
        cols = np.flatnonzero(ink.max(axis=0) > 0.05)
        crops.append(ink[:, cols[0] : cols[-1] + 1])
    width = sum(crop.shape[1] for crop in crops) + gap * (len(crops) - 1) + 8
    canvas = np.zeros((28, width), np.float32)
    x = 4
    for crop in crops:
        canvas[:, x : x + crop.shape[1]] = np.maximum(canvas[:, x : x + crop.shape[1]], crop)
        x += crop.shape[1] + gap
    return canvas


def generate(data_dir: str | None, out_dir: Path) -> list[Path]:
    """Write every sample PNG into `out_dir` from the MNIST test set; returns the paths."""
    from digitrec.inference import Recogniser
    from digitrec.training import data

    _, test = data.load_mnist(data_dir)
    recogniser = Recogniser()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for sample in SAMPLES:
        if sample.mode == "digit":
            ink = _most_confident(test.images, test.labels, int(sample.label), recogniser)
        else:
            # A second-best 2 so that the number's two 2s are not the same drawing.
            ink = _compose_number(
                [
                    _most_confident(test.images, test.labels, int(character), recogniser, skip)
                    for skip, character in enumerate(sample.label)
                ]
            )
        path = out_dir / f"{sample.name}.png"
        _as_scan(ink).save(path, optimize=True)
        written.append(path)
    return written


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="MNIST IDX files (default: the cache)")
    arguments = parser.parse_args()
    out_dir = Path(__file__).parent / SAMPLES_DIR
    for path in generate(arguments.data_dir, out_dir):
        print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
