"""Training benchmark: CNN seconds per epoch, time to 99.5 % test accuracy, the seed MLP's accuracy.

    .venv/bin/python bench/bench_training.py --data-dir ../shared/mnist [--full]

Seconds per epoch and the MLP's accuracy are measured live. The time to reach 99.5 % comes from
the bundled model's own training log (per-epoch seconds and observed test accuracy in its card);
--full retrains the CNN from scratch to measure it live instead (about 25 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

TARGET = 0.995


def time_to_target(training: dict, target: float = TARGET) -> tuple[float, int] | None:
    """(seconds, epochs) until observed test accuracy first reached `target`, from a card."""
    observed = training.get("history", {}).get("test_accuracy_observed", [])
    elapsed = 0.0
    for epoch, (seconds, accuracy) in enumerate(
        zip(training["seconds_per_epoch"], observed, strict=False), start=1
    ):
        elapsed += seconds
        if accuracy >= target:
            return elapsed, epoch
    return None


def train_once(arch: str, data_dir: str, epochs: int, out: Path, record: bool) -> dict:
    from digitrec.training.train import TrainConfig, train

    config = TrainConfig(
        arch=arch,
        epochs=epochs,
        data_dir=data_dir,
        out_dir=str(out),
        record_test_accuracy=record,
        verbose=0,
    )
    return json.loads((train(config) / "model.json").read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/mnist", help="MNIST IDX directory")
    parser.add_argument("--full", action="store_true", help="retrain the CNN to 20 epochs live")
    args = parser.parse_args()

    from digitrec.inference import bundled_model_path

    bundled = json.loads(bundled_model_path().with_name("model.json").read_text())
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        cnn = train_once(
            "cnn", args.data_dir, 20 if args.full else 1, Path(scratch, "cnn"), args.full
        )
        cnn_wall = time.perf_counter() - started
        mlp = train_once("mlp", args.data_dir, 10, Path(scratch, "mlp"), False)

    per_epoch = cnn["training"]["seconds_per_epoch"]
    members = len(bundled["training"].get("members", [None]))
    source = cnn["training"] if args.full else bundled["training"]
    reached = time_to_target(source)
    where = "this run" if args.full else f"the bundled model's training log ({bundled['version']})"
    print("## Training (2-core CPU)\n")
    print("| measure | value | source |")
    print("|---|---|---|")
    print(
        f"| CNN seconds per epoch (55,000 digits + 5,500 non-digits, augmented) | "
        f"{sorted(per_epoch)[len(per_epoch) // 2]:.0f} s | measured now ({len(per_epoch)} epoch(s), "
        f"{cnn_wall:.0f} s with export and evaluation) |"
    )
    if reached:
        print(
            f"| CNN time to {TARGET:.1%} test accuracy | {reached[0] / 60:.1f} min "
            f"(epoch {reached[1]}) | {where} |"
        )
    else:
        print(f"| CNN time to {TARGET:.1%} test accuracy | not reached | {where} |")
    print(
        f"| CNN bundled ({members} member(s)): test accuracy after "
        f"{bundled['training']['epochs']} epochs each | "
        f"{bundled['evaluation']['accuracy']:.2%} in {bundled['training']['seconds'] / 60:.0f} min "
        f"of training in all | bundled model card |"
    )
    print(
        f"| MLP (seed 16-16, 10 epochs) test accuracy | {mlp['evaluation']['accuracy']:.2%} "
        f"in {mlp['training']['seconds']:.0f} s | measured now |"
    )
    print(
        f"\nCommand: `{Path(sys.executable).name} bench/bench_training.py --data-dir {args.data_dir}`"
        + (" --full" if args.full else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
