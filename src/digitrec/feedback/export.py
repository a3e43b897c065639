"""Accepted corrections written out for training elsewhere: IDX files like MNIST's, or one PNG
per digit with a CSV of labels. Each digit is framed as the reader frames it (examples.py)."""

from __future__ import annotations

import csv
from pathlib import Path

from PIL import Image

from digitrec.feedback.examples import TrainingDigits
from digitrec.training.data import write_idx

IDX_IMAGES = "feedback-images-idx3-ubyte"
IDX_LABELS = "feedback-labels-idx1-ubyte"
IDX_IDS = "feedback-ids.txt"  # the correction each digit came from, one per line
CSV_NAME = "labels.csv"


def write_idx_files(digits: TrainingDigits, out_dir: str | Path) -> list[Path]:
    """MNIST-format images and labels (readable by digitrec.training.data.read_split)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_idx(out / IDX_IMAGES, digits.images)
    write_idx(out / IDX_LABELS, digits.labels)
    (out / IDX_IDS).write_text("".join(f"{i}\n" for i in digits.correction_ids))
    return [out / IDX_IMAGES, out / IDX_LABELS, out / IDX_IDS]


def write_pngs(digits: TrainingDigits, out_dir: str | Path) -> list[Path]:
    """One 28x28 PNG per digit and labels.csv: file, label, correction_id."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with (out / CSV_NAME).open("w", newline="") as table:
        writer = csv.writer(table)
        writer.writerow(["file", "label", "correction_id"])
        for index, (image, label, correction_id) in enumerate(
            zip(digits.images, digits.labels, digits.correction_ids, strict=True)
        ):
            name = f"{index:06d}-{correction_id[:8]}-{label}.png"
            Image.fromarray(image).save(out / name)
            writer.writerow([name, int(label), correction_id])
            written.append(out / name)
    return [out / CSV_NAME, *written]
