"""bench/bench_numbers.py: the interval, the "alone" and "overlapping" columns, and the wrong
numbers by kind."""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import bench_numbers


@pytest.mark.parametrize(
    ("successes", "trials", "expected"),
    [
        (0, 10, (0.0, 0.2775)),  # the textbook case: never below 0
        (10, 10, (0.7225, 1.0)),  # and never above 1
        (966, 1000, (0.9529, 0.9756)),  # worked by hand from Wilson's formula
    ],
)
def test_wilson_interval(successes, trials, expected):
    low, high = bench_numbers.wilson_interval(successes, trials)
    assert (low, high) == pytest.approx(expected, abs=1e-4)


def _rows(text: str) -> list[list[str]]:
    """The cells of the first markdown table's rows in `text`, one row per length."""
    table = next(block for block in text.split("\n\n") if block.startswith("|"))
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in table.splitlines()
        if re.match(r"\| \d+ \|", line)
    ]


def _record_numbers(monkeypatch) -> list[tuple[list[int], list[tuple[int, int]]]]:
    """Make bench_numbers.run record each number it composes: (indices of its digits, spans)."""
    crops, numbers = [], []
    digit_crops, compose_ink = bench_numbers.digit_crops, bench_numbers.compose_ink

    def recorded_crops(images):
        crops[:] = digit_crops(images)
        return crops

    def recorded_compose(chosen, rng):
        composed = compose_ink(chosen, rng)
        indices = [next(i for i, c in enumerate(crops) if c is crop) for crop in chosen]
        numbers.append((indices, composed.spans))
        return composed

    monkeypatch.setattr(bench_numbers, "digit_crops", recorded_crops)
    monkeypatch.setattr(bench_numbers, "compose_ink", recorded_compose)
    return numbers


def test_alone_is_the_share_of_numbers_whose_digits_the_model_reads_alone(
    mnist_dir, recogniser, monkeypatch
):
    # The first batch run() reads is every test digit alone; here the model "misreads" each
    # 0 in it, so a number holding a 0 cannot count as read alone and every other one does.
    test = bench_numbers.digits_of(str(mnist_dir), "test")
    original, calls = recogniser.predict, []

    def predict(images, threshold=None):
        predictions = original(images, threshold)
        calls.append(len(images))
        if len(calls) == 1:
            predictions = [
                replace(p, digit=None) if label == 0 else p
                for p, label in zip(predictions, test.labels, strict=True)
            ]
        return predictions

    monkeypatch.setattr(recogniser, "predict", predict)
    monkeypatch.setattr("digitrec.inference.Recogniser", lambda *args: recogniser)
    numbers = _record_numbers(monkeypatch)
    table = bench_numbers.run(str(mnist_dir), 20, seed=3, lengths=range(2, 3))

    assert calls[0] == len(test.images)
    [row] = _rows(table)
    whole, low, high = (float(x) for x in re.findall(r"[\d.]+", row[1]))
    assert low <= whole <= high
    without_zero = sum(bool((test.labels[chosen] != 0).all()) for chosen, _ in numbers)
    assert len(numbers) == 20 and 0 < without_zero < 20
    assert row[7] == f"{without_zero / 20:.1%}"


def test_overlapping_is_the_accuracy_and_share_of_numbers_whose_neighbours_overlap(
    mnist_dir, recogniser, monkeypatch
):
    # A stand-in reader gets every other number right; the column must count, among the
    # numbers whose composed neighbours overlap, how many of those it got right.
    from digitrec.numbers.reading import NumberReading

    test = bench_numbers.digits_of(str(mnist_dir), "test")

    def read_number(_recogniser, _content):
        chosen, _ = numbers[-1]  # the number just composed
        truth = "".join(str(test.labels[i]) for i in chosen)
        return NumberReading(truth if len(numbers) % 2 else "?")

    monkeypatch.setattr("digitrec.inference.Recogniser", lambda *args: recogniser)
    monkeypatch.setattr("digitrec.numbers.read_number", read_number)
    numbers = _record_numbers(monkeypatch)
    table = bench_numbers.run(str(mnist_dir), 40, seed=5, lengths=range(4, 5))

    spans = [number_spans for _, number_spans in numbers]
    overlapping = [i for i, s in enumerate(spans) if bench_numbers.overlapping(s)]
    assert len(spans) == 40 and 0 < len(overlapping) < 40
    right = sum(i % 2 == 0 for i in overlapping)  # the reader got numbers 0, 2, 4, ... right
    [row] = _rows(table)
    assert row[8] == f"{right / len(overlapping):.1%} ({len(overlapping) / 40:.0%})"


def test_overlapping_spans():
    assert bench_numbers.overlapping([(0, 10), (9, 20)])
    assert not bench_numbers.overlapping([(0, 10), (10, 20), (25, 30)])


def _outcome(answer, truth="1234", right_alone=True, overlapping=False):
    return bench_numbers.Outcome(answer, truth, 0.0, 0.0, True, right_alone, overlapping)


@pytest.mark.parametrize(
    ("answer", "right_alone", "kind"),
    [
        ("1234", True, "right"),
        ("1234", False, "right"),  # read right in the number although a digit is not alone
        ("1235", False, "misread alone"),  # comes first: the model's error, not the reader's
        ("123", False, "misread alone"),
        ("123", True, "too few"),
        ("12345", True, "too many"),
        ("12?4", True, "with ?"),
        ("1274", True, "misread in the number"),
    ],
)
def test_kind_of_a_wrong_number(answer, right_alone, kind):
    assert _outcome(answer, right_alone=right_alone).kind == kind


def test_error_table_counts_kinds_and_overlapping_context_errors():
    results = {
        (4, "canvas"): [
            _outcome("1234"),
            _outcome("1235", right_alone=False, overlapping=True),  # not a context error
            _outcome("123", overlapping=True),
            _outcome("12?4"),
        ],
        (4, "photo"): [_outcome("1274", overlapping=True), _outcome("12345")],
    }
    table = "\n".join(bench_numbers.error_table(results))
    assert "| digits | wrong | misread alone | too few | too many | with ? |" in table
    [row] = _rows(table)
    assert row == ["4", "5", "1", "1", "1", "1", "1", "2 of 4"]
