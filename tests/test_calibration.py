"""digitrec.calibration: the reliability of confidences and their expected calibration error,
and the thresholds a card's calibration holds."""

from __future__ import annotations

import numpy as np
import pytest

from digitrec.calibration import (
    TARGET_REJECTED,
    apply_temperature,
    calibrate,
    confidences_at_pen_widths,
    expected_calibration_error,
    photo_threshold_of,
    reliability,
)


def test_answers_right_as_often_as_they_are_sure_have_no_calibration_error():
    confidences = np.array([0.95] * 20 + [0.75] * 4)
    correct = np.array([True] * 19 + [False] + [True] * 3 + [False])
    rows = reliability(confidences, correct)
    assert [(row["low"], row["count"]) for row in rows] == [(0.7, 4), (0.9, 20)]
    assert expected_calibration_error(rows) == pytest.approx(0.0)


def test_an_overconfident_model_has_the_gap_as_its_error():
    confidences = np.ones(10)  # always "100 % sure"
    correct = np.array([True] * 8 + [False] * 2)
    rows = reliability(confidences, correct)
    assert rows == [{"low": 0.9, "high": 1.0, "count": 10, "confidence": 1.0, "accuracy": 0.8}]
    assert expected_calibration_error(rows) == pytest.approx(0.2)


def test_the_error_weights_each_bin_by_its_digits():
    confidences = np.array([0.55, 0.55, 0.99, 0.99, 0.99, 0.99])
    correct = np.array([True, True, True, True, True, True])
    # 0.45 off on 2 digits, 0.01 off on 4: (2 x 0.45 + 4 x 0.01) / 6
    assert expected_calibration_error(reliability(confidences, correct)) == pytest.approx(
        (2 * 0.45 + 4 * 0.01) / 6
    )


def test_no_answers_no_error():
    assert expected_calibration_error(reliability(np.array([]), np.array([]))) == 0


def _softmax(logits: np.ndarray) -> np.ndarray:
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def _held_out(n: int, seed: int = 0):
    """n digits' raw probabilities, from very sure to unsure, 3 % of them misread; and the same
    digits read a pixel bolder and finer, where the model agrees less with itself."""
    rng = np.random.default_rng(seed)
    read = rng.integers(0, 10, n)
    logits = rng.normal(0, 1, (n, 10))
    logits[np.arange(n), read] += rng.uniform(2, 12, n)
    labels = np.where(rng.random(n) < 0.03, rng.integers(0, 10, n), read)
    variants = np.tile(logits, (2, 1)) + rng.normal(0, 3, (2 * n, 10))
    return _softmax(logits), labels, _softmax(variants)


def test_photos_get_a_threshold_fitted_on_digits_read_at_three_pen_widths():
    as_framed, labels, variants = _held_out(4000)
    calibration = calibrate(as_framed, labels, variants)
    temperature = calibration["temperature"]
    as_photos = confidences_at_pen_widths(as_framed, variants, temperature)
    once = apply_temperature(as_framed, temperature).max(axis=1)
    # Three readings that disagree a little are less sure than one: the single-image threshold
    # would reject more of these digits read as photos than it promises...
    assert (as_photos < calibration["threshold"]).mean() > TARGET_REJECTED
    # ...so photos have their own, which keeps the promise on them.
    assert (as_photos < calibration["photo_threshold"]).mean() <= TARGET_REJECTED
    assert calibration["photo_threshold"] < calibration["threshold"]
    assert calibration["validation_rejected_as_photos"] <= TARGET_REJECTED
    assert (once < calibration["threshold"]).mean() <= TARGET_REJECTED


def test_three_equal_readings_are_one_reading():
    as_framed, _, _ = _held_out(500)
    same = np.tile(as_framed, (2, 1))
    assert np.allclose(
        confidences_at_pen_widths(as_framed, same, 2.0),
        apply_temperature(as_framed, 2.0).max(axis=1),
    )


def test_a_card_without_a_photo_threshold_judges_photos_by_its_threshold():
    assert photo_threshold_of({"temperature": 1.0, "threshold": 0.4}) == 0.4
    assert photo_threshold_of({"threshold": 0.4, "photo_threshold": 0.3}) == 0.3
