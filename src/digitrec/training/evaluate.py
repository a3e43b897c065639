"""Metrics of an ONNX digit model on MNIST's test set, its calibration on held-out training
digits, and the report's plots.

digitrec evaluate --data-dir ../shared/mnist --json --report report/
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digitrec.calibration import (
    apply_temperature,
    confidences_at_pen_widths,
    expected_calibration_error,
    number_threshold_of,
    photo_threshold_of,
    reliability,
)
from digitrec.imaging.pen_widths import bolder_and_finer
from digitrec.inference import load_session, probabilities_of
from digitrec.training import data, digit_pairs, nondigits

# Non-digits for the rejection rate: a seed never used in training.
NONDIGIT_EVAL_SEED = 424242
NONDIGIT_EVAL_COUNT = 2000
# Touching pairs for their rejection rate, made from the evaluated (test) digits themselves.
PAIR_EVAL_SEED = 434343
PAIR_EVAL_COUNT = 2000


def onnx_probabilities(onnx_path: str | Path, images: np.ndarray, batch: int = 1000) -> np.ndarray:
    """images: (n, 28, 28[, 1]) float32 in [0, 1] -> (n, 10) raw model probabilities."""
    session = load_session(onnx_path, threads=0)  # 0: all cores, for a whole test set
    return np.concatenate(
        [probabilities_of(session, images[i : i + batch]) for i in range(0, len(images), batch)]
    )


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """(10, 10): row = true digit, column = predicted digit."""
    matrix = np.zeros((10, 10), np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    return matrix


def evaluate_split(
    onnx_path: str | Path,
    split: data.Split,
    calibration: dict,
    photos: tuple[str | Path, dict] | None = None,
) -> dict:
    """Accuracy, per-class accuracy, confusion matrix and rejection rates of one model.

    photos: (ONNX path, calibration) of the model that reads photos in its place (the photos
    model beside it); the rejection "as photos" is then that model's, as it is served."""
    test_images = split.images.astype(np.float32) / 255.0
    probabilities = onnx_probabilities(onnx_path, test_images)
    predicted = probabilities.argmax(axis=1)
    labels = split.labels.astype(np.int64)
    matrix = confusion_matrix(labels, predicted)
    per_class = {
        str(digit): round(float(matrix[digit, digit] / max(1, matrix[digit].sum())), 5)
        for digit in range(10)
    }
    temperature, threshold = calibration["temperature"], calibration["threshold"]
    number_threshold = number_threshold_of(calibration)
    confidences = apply_temperature(probabilities, temperature).max(axis=1)

    outliers, _ = nondigits.make_nondigits(NONDIGIT_EVAL_COUNT, seed=NONDIGIT_EVAL_SEED)
    outlier_probabilities = onnx_probabilities(onnx_path, outliers)
    outlier_confidences = apply_temperature(outlier_probabilities, temperature).max(axis=1)

    photo_path, photo_calibration = photos or (onnx_path, calibration)

    def confidences_as_photos(images: np.ndarray, raw: np.ndarray) -> np.ndarray:
        variants = onnx_probabilities(photo_path, bolder_and_finer(images.reshape(-1, 28, 28)))
        return confidences_at_pen_widths(raw, variants, photo_calibration["temperature"])

    if photos is None:  # this model reads photos itself: its own readings serve
        photo_raw = probabilities, outlier_probabilities
    else:
        photo_raw = (
            onnx_probabilities(photo_path, test_images),
            onnx_probabilities(photo_path, outliers),
        )
    photo_threshold = photo_threshold_of(photo_calibration)
    photo_confidences = confidences_as_photos(test_images, photo_raw[0])
    outlier_photo_confidences = confidences_as_photos(outliers, photo_raw[1])
    pairs = digit_pairs.make_pairs(split.images, PAIR_EVAL_COUNT, seed=PAIR_EVAL_SEED)
    pair_confidences = apply_temperature(onnx_probabilities(onnx_path, pairs), temperature).max(
        axis=1
    )
    return {
        "accuracy": round(float((predicted == labels).mean()), 5),
        "n": len(labels),
        "errors": int((predicted != labels).sum()),
        "per_class": per_class,
        "confusion": matrix.tolist(),
        "test_digits_rejected": round(float((confidences < threshold).mean()), 5),
        "nondigits_rejected": round(float((outlier_confidences < threshold).mean()), 5),
        "nondigits_evaluated": NONDIGIT_EVAL_COUNT,
        # The same at the threshold for pieces of a written number (digitrec.numbers.reading).
        "test_digits_rejected_in_numbers": round(float((confidences < number_threshold).mean()), 5),
        "nondigits_rejected_in_numbers": round(
            float((outlier_confidences < number_threshold).mean()), 5
        ),
        # ...and read as photos are, at three pen widths, at the threshold for photos.
        "test_digits_rejected_as_photos": round(
            float((photo_confidences < photo_threshold).mean()), 5
        ),
        "nondigits_rejected_as_photos": round(
            float((outlier_photo_confidences < photo_threshold).mean()), 5
        ),
        "touching_pairs_rejected": round(float((pair_confidences < threshold).mean()), 5),
        "touching_pairs_evaluated": PAIR_EVAL_COUNT,
    }


def calibration_on_held_out(onnx_path: str | Path, train: data.Split, temperature: float) -> dict:
    """Does confidence mean what it says? The reliability of the answers' confidences on the
    training digits held out from fitting (`data.split_validation`), never the test set:
    calibrated with the card's temperature, and before it (T = 1) for comparison.

    The temperature itself was fitted on these digits: one number, so the figure is all but
    unbiased; the model's weights never saw them.
    """
    _, held_out = data.split_validation(train, data.VALIDATION_IMAGES)
    raw = onnx_probabilities(onnx_path, held_out.images.astype(np.float32) / 255.0)
    correct = raw.argmax(axis=1) == held_out.labels
    calibrated = reliability(apply_temperature(raw, temperature).max(axis=1), correct)
    uncalibrated = reliability(raw.max(axis=1), correct)
    return {
        "held_out": len(held_out.labels),
        "temperature": temperature,
        "ece": round(expected_calibration_error(calibrated), 6),
        "ece_before_temperature": round(expected_calibration_error(uncalibrated), 6),
        "reliability": calibrated,
    }


def format_text(result: dict, card) -> str:
    """The human-readable evaluation: accuracy, per-class accuracy, confusion matrix."""
    lines = [
        f"model      {card.name} {card.version}",
        f"accuracy   {result['accuracy']:.2%} on {result['n']} test images "
        f"({result['errors']} errors)",
        f"rejected   {result['test_digits_rejected']:.2%} of test digits, "
        f"{result['nondigits_rejected']:.2%} of {result['nondigits_evaluated']} synthetic non-digits",
        *_later_rejection_lines(result),
        *_calibration_lines(result),
        "",
        "per class  " + "  ".join(f"{d}:{acc:.2%}" for d, acc in result["per_class"].items()),
        "",
        "confusion (rows: true digit, columns: predicted)",
        "       " + "".join(f"{d:>6}" for d in range(10)),
    ]
    for digit, row in enumerate(result["confusion"]):
        lines.append(f"{digit:>6} " + "".join(f"{count:>6}" for count in row))
    lines.extend(f"report     {path}" for path in result.get("report", []))
    return "\n".join(lines)


def _calibration_lines(result: dict) -> list[str]:
    calibration = result.get("calibration")
    if not calibration:
        return []
    lines = [
        f"calibration  expected calibration error {calibration['ece']:.3%} on "
        f"{calibration['held_out']} held-out training digits (T = {calibration['temperature']}; "
        f"{calibration['ece_before_temperature']:.3%} before it)",
        "             confidence  accuracy  digits",
    ]
    for row in calibration["reliability"]:
        lines.append(
            f"  {row['low']:.1f}-{row['high']:.1f}   {row['confidence']:>9.4%} "
            f"{row['accuracy']:>9.4%}  {row['count']:>6}"
        )
    return lines


def _later_rejection_lines(result: dict) -> list[str]:
    """Rejection of touching pairs, at the number threshold and as photos: cards written before
    these were measured lack them, and show none."""
    lines = []
    if "touching_pairs_rejected" in result:
        lines.append(
            f"           {result['touching_pairs_rejected']:.2%} of "
            f"{result['touching_pairs_evaluated']} pairs of touching test digits"
        )
    if "test_digits_rejected_as_photos" in result:
        read_by = f", read by {result['photos_model']}" if "photos_model" in result else ""
        lines.append(
            f"as photos  {result['test_digits_rejected_as_photos']:.2%} of test digits, "
            f"{result['nondigits_rejected_as_photos']:.2%} of the non-digits (three pen widths"
            f"{read_by})"
        )
    if "test_digits_rejected_in_numbers" in result:
        lines.append(
            f"in numbers {result['test_digits_rejected_in_numbers']:.2%} of test digits, "
            f"{result['nondigits_rejected_in_numbers']:.2%} of the non-digits"
        )
    return lines


def write_report(
    onnx_path: str | Path,
    split: data.Split,
    card,
    out_dir: str | Path,
    calibration: dict | None = None,
) -> list[Path]:
    """PNG plots: confusion matrix, misclassified digits, the reliability diagram of
    `calibration` (from `calibration_on_held_out`), and training curves if the card has them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    probabilities = onnx_probabilities(onnx_path, split.images.astype(np.float32) / 255.0)
    predicted = probabilities.argmax(axis=1)
    labels = split.labels.astype(np.int64)
    written = []

    matrix = confusion_matrix(labels, predicted)
    figure, axes = plt.subplots(figsize=(6.5, 5.5))
    # Log colour scale: the diagonal holds ~1000 per cell, the errors a handful.
    shown = axes.imshow(np.log1p(matrix), cmap="Blues")
    for (row, column), count in np.ndenumerate(matrix):
        if count:
            colour = "white" if row == column else "black"
            axes.text(column, row, count, ha="center", va="center", fontsize=7, color=colour)
    axes.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true digit")
    axes.set_title(f"{card.name}: {(predicted == labels).mean():.2%} on {len(labels)} test images")
    figure.colorbar(shown, label="log(1 + count)")
    written.append(_save(figure, out_dir / "confusion_matrix.png"))

    wrong = np.flatnonzero(predicted != labels)[:100]
    columns = 10
    rows = max(1, int(np.ceil(len(wrong) / columns)))
    figure, grid = plt.subplots(rows, columns, figsize=(columns * 1.1, rows * 1.3), squeeze=False)
    for axes in grid.flat:
        axes.axis("off")
    for axes, index in zip(grid.flat, wrong, strict=False):
        axes.imshow(split.images[index], cmap="gray")
        axes.set_title(f"{labels[index]}→{predicted[index]}", fontsize=9)
    figure.suptitle(f"misclassified: true→predicted ({len(wrong)} shown)")
    written.append(_save(figure, out_dir / "misclassified.png"))

    if calibration:
        written.append(_reliability_diagram(calibration, card, out_dir / "reliability.png"))

    history = card.raw.get("training", {}).get("history", {})
    if history.get("loss"):
        figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 4))
        epochs = range(1, len(history["loss"]) + 1)
        for key in ("loss", "val_loss"):
            if key in history:
                loss_axes.plot(epochs, history[key], label=key)
        for key in ("val_accuracy", "test_accuracy_observed"):
            if key in history:
                accuracy_axes.plot(epochs, history[key], label=key)
        loss_axes.set(xlabel="epoch", title="loss")
        accuracy_axes.set(xlabel="epoch", title="accuracy", ylim=(0.97, 1.0))
        loss_axes.legend()
        accuracy_axes.legend()
        written.append(_save(figure, out_dir / "training_curves.png"))
    return written


def _reliability_diagram(calibration: dict, card, path: Path) -> Path:
    """Accuracy against confidence per bin, beside the diagonal a calibrated model follows."""
    import matplotlib.pyplot as plt

    rows = calibration["reliability"]
    figure, (diagram, counts) = plt.subplots(
        2, 1, figsize=(5.5, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    diagram.plot([0, 1], [0, 1], color="grey", linestyle="--", label="calibrated")
    diagram.bar(
        [row["low"] for row in rows],
        [row["accuracy"] for row in rows],
        width=[row["high"] - row["low"] for row in rows],
        align="edge",
        edgecolor="black",
        alpha=0.75,
        label="accuracy",
    )
    diagram.plot(
        [row["confidence"] for row in rows],
        [row["accuracy"] for row in rows],
        "o",
        color="black",
        label="mean confidence",
    )
    diagram.set(ylabel="accuracy", xlim=(0, 1), ylim=(0, 1.02))
    diagram.set_title(
        f"{card.name}: ECE {calibration['ece']:.3%} on {calibration['held_out']} held-out "
        f"training digits (T = {calibration['temperature']})",
        fontsize=9,
    )
    diagram.legend(loc="lower right")
    counts.bar(
        [row["low"] for row in rows],
        [row["count"] for row in rows],
        width=[row["high"] - row["low"] for row in rows],
        align="edge",
        edgecolor="black",
    )
    counts.set(xlabel="confidence", ylabel="digits", yscale="log")
    return _save(figure, path)


def _save(figure, path: Path) -> Path:
    import matplotlib.pyplot as plt

    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
