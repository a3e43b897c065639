"""The gate a new model passes before it is served: `digitrec evaluate --candidate --against`.

The candidate must
- not lose MNIST test accuracy beyond MAX_MNIST_LOSS (0.05 percentage points);
- read the held-out fifth of the accepted corrections (examples.is_held_out) better than the
  current model, through the same path the server takes (the image as sent, read whole);
- keep the "not a digit" promises: it rejects non-digits and touching pairs at least as often
  as the current model, less NOT_A_DIGIT_SLACK, and rejects at most MAX_DIGITS_REJECTED of
  the test digits (the bundled model's card promises 1 %).

It also notes each model beside the current one (photos/, pieces/) that the candidate lacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from digitrec.errors import RecognitionError
from digitrec.feedback.examples import Correction
from digitrec.numbers import read_number
from digitrec.training import evaluate

MAX_MNIST_LOSS = 0.0005
NOT_A_DIGIT_SLACK = 0.01
MAX_DIGITS_REJECTED = 0.01


@dataclass(frozen=True)
class Check:
    name: str
    current: float | None
    candidate: float | None
    rule: str
    passed: bool


@dataclass(frozen=True)
class GateResult:
    checks: list[Check]
    current_version: str
    candidate_version: str
    # What the checks do not decide but whoever serves the candidate should know.
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def as_dict(self) -> dict:
        return {
            "passed": self.passed,
            "current": self.current_version,
            "candidate": self.candidate_version,
            "checks": [check.__dict__ for check in self.checks],
            "notes": self.notes,
        }


def reads_correctly(recogniser, correction: Correction) -> bool:
    """Whether the model reads this correction's image as its label, as the server would."""
    record, image = correction
    try:
        if record.mode == "number":
            return read_number(recogniser, image).number == record.label
        answer = recogniser.recognise([image])[0]
    except RecognitionError:
        return False
    return answer.prediction.is_digit and str(answer.prediction.digit) == record.label


def correction_accuracy(recogniser, corrections: Sequence[Correction]) -> float | None:
    if not corrections:
        return None
    return sum(reads_correctly(recogniser, c) for c in corrections) / len(corrections)


def run_gate(candidate, current, test_split, held_out: Sequence[Correction]) -> GateResult:
    """candidate, current: Recognisers; test_split: MNIST test; held_out: the corrections
    neither model trained on."""
    new = evaluate.evaluate_split(
        candidate.model_path, test_split, candidate.card.raw["calibration"]
    )
    old = evaluate.evaluate_split(current.model_path, test_split, current.card.raw["calibration"])
    new_reads = correction_accuracy(candidate, held_out)
    old_reads = correction_accuracy(current, held_out)
    checks = [
        Check(
            "MNIST test accuracy",
            old["accuracy"],
            new["accuracy"],
            f"at least current - {MAX_MNIST_LOSS * 100:.2f} points",
            new["accuracy"] >= old["accuracy"] - MAX_MNIST_LOSS,
        ),
        Check(
            f"held-out corrections read ({len(held_out)})",
            old_reads,
            new_reads,
            "better than current",
            new_reads is not None and new_reads > old_reads,
        ),
    ]
    for key, name in (
        ("nondigits_rejected", "non-digits rejected"),
        ("touching_pairs_rejected", "touching pairs rejected"),
    ):
        checks.append(
            Check(
                name,
                old[key],
                new[key],
                f"at least current - {NOT_A_DIGIT_SLACK * 100:.0f} points",
                new[key] >= old[key] - NOT_A_DIGIT_SLACK,
            )
        )
    checks.append(
        Check(
            "test digits rejected",
            old["test_digits_rejected"],
            new["test_digits_rejected"],
            f"at most {MAX_DIGITS_REJECTED:.0%}",
            new["test_digits_rejected"] <= MAX_DIGITS_REJECTED,
        )
    )
    return GateResult(
        checks, current.version, candidate.version, missing_beside(candidate, current)
    )


def missing_beside(candidate, current) -> list[str]:
    """The models the current one has beside it (`Recogniser.cut_judge`, `photo_reader`) that
    the candidate lacks: served, it would do their work itself, and the checks above read it
    so."""
    missing = []
    if current.photo_reader is not None and candidate.photo_reader is None:
        missing.append(
            "the candidate has no photos model beside it (photos/model.onnx): served, it reads "
            "photos itself. Join one from it and more members: digitrec train --join "
            "CANDIDATE.onnx --join MEMBER.onnx ... --out CANDIDATE_FOLDER/photos"
        )
    if current.cut_judge is not None and candidate.cut_judge is None:
        missing.append(
            "the candidate has no pieces model beside it (pieces/model.onnx): served, it "
            "judges a number's cuts itself. Copy the current one's pieces/ folder beside it"
        )
    return missing


def format_table(result: GateResult) -> str:
    """The checks side by side, one row each, and the verdict."""

    def percent(value: float | None) -> str:
        return "-" if value is None else f"{value * 100:.2f} %"

    name_width = max(len(check.name) for check in result.checks)
    lines = [
        f"{'check':<{name_width}}  {'current':>9}  {'candidate':>9}  rule",
        f"{'':<{name_width}}  {result.current_version[-9:]:>9}  {result.candidate_version[-9:]:>9}",
    ]
    for check in result.checks:
        verdict = "pass" if check.passed else "FAIL"
        lines.append(
            f"{check.name:<{name_width}}  {percent(check.current):>9}  "
            f"{percent(check.candidate):>9}  {check.rule}: {verdict}"
        )
    lines.extend(f"note: {note}" for note in result.notes)
    lines.append("gate: passed, the candidate may be served" if result.passed else "gate: FAILED")
    return "\n".join(lines)
