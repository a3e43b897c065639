"""The wild generator's failures, to look at while improving preprocessing: each image read
wrong is saved with the steps the page shows ("what the model sees").

    .venv/bin/python bench/wild_failures.py --data-dir ../shared/mnist --out /tmp/failures \
        [--conditions form-box,pencil] [--per-condition 300] [--seed 1]

The ink is the *held-out training* digits (never MNIST test digits, which only measure), and
the default seed is not bench_wild's: settings chosen here are then measured by bench_wild on
images they were not chosen on.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))

from wild import CONDITIONS, Inks, as_coarse_scans, generate


def held_out_inks(data_dir: str) -> Inks:
    from digitrec.training import data

    train, _ = data.load_mnist(data_dir, download=False)
    _, held = data.split_validation(train, data.VALIDATION_IMAGES)
    return Inks("MNIST held-out training", held.images, held.labels.astype(np.int64))


def save_failure(out: Path, name: str, sample, recognition) -> None:
    """The uploaded file and a strip of the steps, side by side at one height."""
    out.mkdir(parents=True, exist_ok=True)
    suffix = ".jpg" if sample.image[:2] == b"\xff\xd8" else ".png"
    (out / f"{name}{suffix}").write_bytes(sample.image)
    steps = recognition.preprocessed.steps()
    height = 140
    tiles = []
    for image in steps.values():
        tile = Image.fromarray(image)
        tile = tile.resize((max(1, round(tile.width * height / tile.height)), height))
        tiles.append(np.pad(np.asarray(tile), ((0, 0), (0, 4)), constant_values=128))
    Image.fromarray(np.concatenate(tiles, axis=1)).save(out / f"{name}-steps.png")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/mnist")
    parser.add_argument("--out", required=True, help="folder for the failures")
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    parser.add_argument("--per-condition", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", default=None)
    parser.add_argument(
        "--coarse",
        action="store_true",
        help="the held-out digits made as load_digits was made (8x8 counts of 4x4 blocks)",
    )
    args = parser.parse_args()

    from digitrec.inference import Recogniser

    recogniser = Recogniser(args.model)
    inks = held_out_inks(args.data_dir)
    if args.coarse:
        inks = as_coarse_scans(inks)
    total_right = total = 0
    for condition in args.conditions.split(","):
        right = 0
        for i, sample in enumerate(generate(condition, inks, args.per_condition, args.seed)):
            [recognition] = recogniser.recognise([sample.image])
            answer = recognition.prediction
            if answer.digit == sample.digit:
                right += 1
                continue
            name = f"{condition}-{i:04d}-wrote{sample.digit}-read{answer.digit}"
            name += "" if answer.is_digit else "-notdigit"
            save_failure(Path(args.out) / condition, name, sample, recognition)
        print(f"{condition:<16} {right / args.per_condition:7.1%}", flush=True)
        total_right += right
        total += args.per_condition
    print(f"{'overall':<16} {total_right / total:7.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
