"""Numbers benchmark: whole-number and per-digit accuracy of `read_number`, by length.

    .venv/bin/python bench/bench_numbers.py --data-dir ../shared/mnist [--per-length 1000]

Numbers of 2 to 8 digits are composed from MNIST test digits (never seen in training) with
random gaps and overlaps of a few pixels, scale and baseline jitter, drawn dark on a canvas-like
white background (PNG) or on a photo-like one (uneven paper, blur, noise, JPEG). Seeded, so two
runs compose the same numbers. Per-digit accuracy is 1 - edit distance / length, so a missed or
extra digit costs one digit rather than the whole rest of the number. "Segmented" is the
share of numbers cut into exactly one piece per digit, each centred over its digit, whatever
the model then read: it separates segmentation errors from the classifier's. "With ?" is the
share of numbers with a piece the model did not take for a digit (shown as "?", counted wrong):
the number threshold rejects about 0.1 % of genuine test digits by design, one in 250 4-digit
numbers. "Alone" is the share of numbers whose every digit the model reads right as the plain
MNIST image, without composing or drawing: roughly the reader's ceiling with this model (drawn in
a number, a digit misread alone is now and then read right), so that the gap between it and
"whole number" is about what cutting, context and drawing cost. "Overlapping" is the whole-number
accuracy of the numbers in which two neighbouring digits' boxes overlap (by the composition's 1 to 3
px, so their strokes often touch or cross), and in brackets their share of all numbers: most of
what context costs is there. A second table sorts the wrong numbers by kind. 1,000 numbers per
length make a whole-number figure good to about +-0.6 points (one standard error at 96 %); the
table gives each its 95 % (Wilson) interval, and 300 were not enough to tell 96 % from 97 %.

    --per-length 100 --lengths 2-4           a quicker run while iterating
    --digits validation --seed 1             numbers of held-out training digits, for tuning
"""

from __future__ import annotations

import argparse
import io
import itertools
import statistics
import sys
import time
from typing import NamedTuple

import numpy as np
from PIL import Image

from digitrec.numbers.reading import NOT_A_DIGIT
from digitrec.training.composed_numbers import STYLES, compose_ink, digit_crops, render

LENGTHS = range(2, 9)


class Outcome(NamedTuple):
    """How one composed number was read."""

    answer: str
    truth: str
    digit_accuracy: float
    seconds: float
    segmented: bool
    right_alone: bool  # the model reads every one of its digits right as the plain MNIST image
    overlapping: bool  # two neighbouring digits' boxes overlap

    @property
    def right(self) -> bool:
        return self.answer == self.truth

    @property
    def unsure(self) -> bool:
        """Holds a piece the model did not take for a digit."""
        return NOT_A_DIGIT in self.answer

    @property
    def kind(self) -> str:
        """Why a wrong number is wrong, in the first of these that applies (see ERROR_KINDS)."""
        if self.right:
            return "right"
        if not self.right_alone:
            return "misread alone"
        if len(self.answer) != len(self.truth):
            return "too few" if len(self.answer) < len(self.truth) else "too many"
        return "with ?" if self.unsure else "misread in the number"


# Every digit read right alone but the number wrong: what cutting, context and drawing cost.
CONTEXT_KINDS = ("too few", "too many", "with ?", "misread in the number")
ERROR_KINDS = ("misread alone", *CONTEXT_KINDS)


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, left in enumerate(a, start=1):
        current = [i]
        for j, right in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left != right))
            )
        previous = current
    return previous[-1]


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """95 % interval of a proportion; unlike +-2 standard errors it stays inside [0, 1] near
    100 %, where these accuracies are."""
    share, shrink = successes / trials, 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / shrink
    half = z * np.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / shrink
    return max(0.0, float(centre - half)), min(1.0, float(centre + half))


def segmented(reading, spans) -> bool:
    """One piece per digit, each piece's box centred over its digit's columns."""
    if len(reading.digits) != len(spans):
        return False
    centres = [digit.box[0] + digit.box[2] / 2 for digit in reading.digits]
    return all(x0 <= c < x1 for c, (x0, x1) in zip(centres, spans, strict=True))


def overlapping(spans) -> bool:
    """Whether two neighbouring digits' column spans overlap."""
    return any(right[0] < left[1] for left, right in itertools.pairwise(spans))


def digits_of(data_dir: str, source: str):
    """The MNIST test split, or the 5,000 training images held out from training ("validation").

    Segmentation's priors are tuned on numbers made of held-out validation digits, so that
    the test-digit figures stay a measurement rather than a fit.
    """
    from digitrec.training import data

    train, test = data.load_mnist(data_dir, download=False)
    if source == "test":
        return test
    return data.split_validation(train, data.VALIDATION_IMAGES)[1]


def run(
    data_dir: str,
    per_length: int,
    seed: int,
    lengths=LENGTHS,
    show_failures: int = 0,
    source: str = "test",
    model: str | None = None,
) -> str:
    from digitrec.inference import Recogniser
    from digitrec.numbers import read_number

    test = digits_of(data_dir, source)
    crops = digit_crops(test.images)
    recogniser = Recogniser(model) if model else Recogniser()
    alone = recogniser.predict(test.images.astype(np.float32) / 255.0)
    right_alone = np.array([p.digit for p in alone]) == test.labels
    results: dict[tuple[int, str], list[Outcome]] = {}
    failures = []
    for length in lengths:
        # One stream per length, so a run over some lengths composes the same numbers as a
        # run over all of them.
        rng = np.random.default_rng([seed, length])
        for index in range(per_length):
            style = STYLES[index % len(STYLES)]
            chosen = rng.integers(0, len(crops), length)
            truth = "".join(str(test.labels[i]) for i in chosen)
            composed = compose_ink([crops[i] for i in chosen], rng)
            spans = composed.spans
            content = render(composed.ink, style, rng)
            started = time.perf_counter()
            reading = read_number(recogniser, content)
            seconds = time.perf_counter() - started
            answer = reading.number
            digit_accuracy = max(0.0, 1 - edit_distance(answer, truth) / length)
            results.setdefault((length, style), []).append(
                Outcome(
                    answer,
                    truth,
                    digit_accuracy,
                    seconds,
                    segmented(reading, spans),
                    bool(right_alone[chosen].all()),
                    overlapping(spans),
                )
            )
            if answer != truth and len(failures) < show_failures:
                failures.append((truth, answer, style, content))
    for number, (truth, answer, style, content) in enumerate(failures):
        path = f"/tmp/number_failure_{number}_{truth}_{answer}_{style}.png"
        Image.open(io.BytesIO(content)).save(path)
        print(f"failure: {truth} read as {answer} ({style}) -> {path}", file=sys.stderr)
    return format_markdown(results, recogniser, per_length, seed, lengths, source)


def format_markdown(
    results: dict, recogniser, per_length: int, seed: int, lengths, source: str = "test"
) -> str:
    digits = "MNIST test digits" if source == "test" else "held-out validation digits"
    judge = getattr(recogniser, "cut_judge", None)
    judged = f", cuts chosen by {judge.name} {judge.version}" if judge else ""
    lines = [
        "## Numbers (`read_number`)",
        "",
        f"Model: {recogniser.name} {recogniser.version}{judged}. {per_length} numbers per length "
        f"(half canvas-like PNG, half photo-like JPEG), composed from {digits}, "
        f"seed {seed}.",
        "",
        "| digits | whole number (95 % interval) | canvas | photo | per digit | segmented "
        "| with ? | alone | overlapping | median ms / number |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for length in LENGTHS:
        rows = outcomes_of(results, length)
        if not rows:
            continue

        def whole(rows):
            return sum(r.right for r in rows) / len(rows) if rows else float("nan")

        low, high = wilson_interval(sum(r.right for r in rows), len(rows))
        overlaps = [r for r in rows if r.overlapping]
        lines.append(
            f"| {length} | {whole(rows):.1%} ({low:.1%}-{high:.1%}) "
            f"| {whole(results[(length, 'canvas')]):.1%} "
            f"| {whole(results[(length, 'photo')]):.1%} "
            f"| {statistics.fmean(r.digit_accuracy for r in rows):.2%} "
            f"| {statistics.fmean(r.segmented for r in rows):.1%} "
            f"| {statistics.fmean(r.unsure for r in rows):.1%} "
            f"| {statistics.fmean(r.right_alone for r in rows):.1%} "
            f"| {whole(overlaps):.1%} ({len(overlaps) / len(rows):.0%}) "
            f"| {statistics.median(r.seconds for r in rows) * 1000:.1f} |"
        )
    lines += ["", *error_table(results)]
    lines += [
        "",
        "Target: 4-digit whole-number accuracy >= 97 %. Reproduce with:",
        "",
        "    .venv/bin/python bench/bench_numbers.py --data-dir ../shared/mnist "
        f"--per-length {per_length} --seed {seed} --lengths {lengths.start}-{lengths.stop - 1}"
        + ("" if source == "test" else f" --digits {source}"),
    ]
    return "\n".join(lines)


def outcomes_of(results: dict, length: int) -> list[Outcome]:
    """Every style's outcomes for numbers of one length."""
    return [r for style in STYLES for r in results.get((length, style), [])]


def error_table(results: dict) -> list[str]:
    """Markdown lines: the wrong numbers of each length by kind, and how many of those whose
    every digit reads right alone (context errors) have overlapping neighbours."""
    lines = [
        "Wrong numbers by kind: a digit the model misreads alone too; else (every digit right "
        "alone) a digit too few, too many, a piece shown as ?, or a digit misread in the number. "
        "The last column: how many of those context errors have two neighbouring digits whose "
        "boxes overlap.",
        "",
        "| digits | wrong | " + " | ".join(ERROR_KINDS) + " | context errors overlapping |",
        "|---:|---:|" + "---:|" * (len(ERROR_KINDS) + 1),
    ]
    for length in LENGTHS:
        rows = outcomes_of(results, length)
        if not rows:
            continue
        kinds = [r.kind for r in rows]
        context = [r for r, kind in zip(rows, kinds, strict=True) if kind in CONTEXT_KINDS]
        lines.append(
            f"| {length} | {sum(not r.right for r in rows)} | "
            + " | ".join(str(kinds.count(kind)) for kind in ERROR_KINDS)
            + f" | {sum(r.overlapping for r in context)} of {len(context)} |"
        )
    return lines


def parse_lengths(text: str) -> range:
    """ "2-4" -> range(2, 5); "4" -> range(4, 5)."""
    low, _, high = text.partition("-")
    lengths = range(int(low), int(high or low) + 1)
    if not lengths or lengths.start < 1:
        raise argparse.ArgumentTypeError(f"lengths must look like 2-4 or 4, got {text!r}")
    return lengths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/mnist", help="MNIST IDX directory")
    parser.add_argument("--per-length", type=int, default=1000, help="numbers per length")
    parser.add_argument("--seed", type=int, default=0, help="seeds the composed numbers")
    parser.add_argument(
        "--lengths", type=parse_lengths, default=LENGTHS, help="digit counts to run, e.g. 2-4"
    )
    parser.add_argument(
        "--show-failures", type=int, default=0, help="save this many misread numbers to /tmp"
    )
    parser.add_argument(
        "--digits",
        choices=("test", "validation"),
        default="test",
        help="compose from MNIST test digits (the measurement) or from the 5,000 training "
        "images held out of training (for tuning segmentation)",
    )
    parser.add_argument("--model", help="an ONNX model other than the bundled one")
    args = parser.parse_args()
    print(
        run(
            args.data_dir,
            args.per_length,
            args.seed,
            args.lengths,
            args.show_failures,
            args.digits,
            args.model,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
