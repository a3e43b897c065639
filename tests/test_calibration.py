"""digitrec.calibration: the reliability of confidences and their expected calibration error."""

from __future__ import annotations

import numpy as np
import pytest

from digitrec.calibration import expected_calibration_error, reliability


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
