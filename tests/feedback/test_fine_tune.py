"""Fine-tuning on accepted corrections, and the gate a new model must pass before it is served."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import png_bytes, render_digit

from digitrec.cli import main
from digitrec.feedback import database, examples, gate, schema_version
from digitrec.feedback.fine_tune import feedback_for_training
from digitrec.feedback.store import FeedbackStore, NewCorrection
from digitrec.inference import bundled_model_path
from digitrec.training.training_set import feedback_repeats_for

CORRECTIONS = 20


def filled_store(url: str) -> tuple[FeedbackStore, list[str]]:
    """CORRECTIONS accepted digit corrections, a rejected and a pending one."""
    engine = database.create_engine(url)
    schema_version.upgrade(engine)
    store = FeedbackStore(engine)
    accepted = []
    for index in range(CORRECTIONS):
        digit = index % 10
        image = png_bytes(render_digit(digit, offset=(index, -index)))
        accepted.append(store.add(NewCorrection(image, "digit", "", str(digit), "m", "v")))
    store.review(accepted, "accepted")
    rejected = store.add(NewCorrection(png_bytes(render_digit(1)), "digit", "", "7", "m", "v"))
    store.review([rejected], "rejected")
    store.add(NewCorrection(png_bytes(render_digit(2)), "digit", "", "2", "m", "v"))
    return store, accepted


def test_only_accepted_corrections_outside_the_held_out_fifth_are_learnt(database_url, recogniser):
    store, accepted = filled_store(database_url)
    feedback = feedback_for_training(store, recogniser)
    held_out = [i for i in accepted if examples.is_held_out(i)]
    assert 0 < len(held_out) < len(accepted)
    assert feedback.record["ids"] == [i for i in accepted if i not in held_out]
    assert feedback.record["corrections"] == len(feedback.digits) == len(accepted) - len(held_out)
    assert feedback.record["held_out_for_the_gate"] == len(held_out)
    first, last = feedback.record["date_range"]
    assert first <= last
    assert sorted(set(feedback.digits.labels.tolist())) == sorted(
        {int(store.get(i).label) for i in feedback.record["ids"]}
    )


@pytest.mark.parametrize(
    ("mnist", "corrections", "share", "repeats"),
    [(55_000, 500, 0.1, 12), (55_000, 10_000, 0.1, 1), (300, 16, 0.1, 2)],
)
def test_corrections_are_repeated_until_they_make_their_share(mnist, corrections, share, repeats):
    assert feedback_repeats_for(mnist, corrections, share) == repeats


@pytest.mark.slow
def test_train_init_from_feedback_writes_a_model_whose_card_records_the_feedback(
    mnist_dir, tmp_path
):
    url = f"sqlite:///{tmp_path}/feedback.sqlite3"
    _, accepted = filled_store(url)
    out = tmp_path / "tuned"
    result = CliRunner().invoke(
        main,
        [
            "train",
            "--init-from",
            str(bundled_model_path()),
            "--feedback",
            url,
            "--epochs",
            "1",
            "--limit",
            "300",
            "--data-dir",
            str(mnist_dir),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    feedback = json.loads((out / "model.json").read_text())["training"]["feedback"]
    learnt = [i for i in accepted if not examples.is_held_out(i)]
    assert feedback["ids"] == learnt and feedback["corrections"] == len(learnt)
    assert feedback["repeats"] >= 1 and feedback["share"] == 0.1
    assert len(feedback["date_range"]) == 2

    gate_run = CliRunner().invoke(
        main,
        [
            "evaluate",
            "--candidate",
            str(out / "model.onnx"),
            "--against",
            str(bundled_model_path()),
            "--feedback",
            url,
            "--data-dir",
            str(mnist_dir),
        ],
    )
    assert (
        "MNIST test accuracy" in gate_run.output and "held-out corrections read" in gate_run.output
    )
    assert gate_run.exit_code == (0 if "gate: passed" in gate_run.output else 1)
    # Trained alone, the candidate has neither of the models the bundled one has beside it.
    assert "note: the candidate has no photos model" in gate_run.output
    assert "note: the candidate has no pieces model" in gate_run.output


def test_train_with_feedback_needs_a_model_to_start_from(tmp_path):
    result = CliRunner().invoke(main, ["train", "--feedback", f"sqlite:///{tmp_path}/f.db"])
    assert result.exit_code == 2 and "--init-from" in result.output


def test_the_gate_refuses_a_candidate_that_reads_the_held_out_corrections_no_better(
    database_url, mnist_dir
):
    filled_store(database_url)
    model = str(bundled_model_path())
    result = CliRunner().invoke(
        main,
        [
            "evaluate",
            "--candidate",
            model,
            "--against",
            model,
            "--feedback",
            database_url,
            "--data-dir",
            str(mnist_dir),
            "--json",
        ],
    )
    assert result.exit_code == 1, result.output
    verdict = json.loads(result.output)
    reads = next(c for c in verdict["checks"] if c["name"].startswith("held-out corrections"))
    assert reads["current"] == reads["candidate"] and not reads["passed"]
    mnist = next(c for c in verdict["checks"] if c["name"] == "MNIST test accuracy")
    assert mnist["current"] == mnist["candidate"] and mnist["passed"]
    assert not verdict["passed"]


def fake_measures(monkeypatch, old: dict, new: dict, reads: tuple[float | None, float | None]):
    results = {"old": old, "new": new}
    monkeypatch.setattr(
        gate.evaluate, "evaluate_split", lambda path, split, calibration: results[path]
    )
    monkeypatch.setattr(
        gate,
        "correction_accuracy",
        lambda model, held: reads[0] if model.model_path == "old" else reads[1],
    )


class FakeModel:
    def __init__(self, path, photo_reader=None, cut_judge=None):
        self.model_path = path
        self.version = f"1.0.0+{path}"
        self.card = type("Card", (), {"raw": {"calibration": {}}})()
        self.photo_reader, self.cut_judge = photo_reader, cut_judge


MEASURES = {
    "accuracy": 0.9960,
    "nondigits_rejected": 0.95,
    "touching_pairs_rejected": 0.80,
    "test_digits_rejected": 0.005,
}


@pytest.mark.parametrize(
    ("change", "reads", "failing"),
    [
        ({}, (0.50, 0.90), []),
        ({"accuracy": 0.9955}, (0.50, 0.90), []),  # 0.05 points lost: still allowed
        ({"accuracy": 0.9954}, (0.50, 0.90), ["MNIST test accuracy"]),
        ({}, (0.50, 0.50), ["held-out corrections read (3)"]),
        ({}, (None, None), ["held-out corrections read (3)"]),
        ({"nondigits_rejected": 0.93}, (0.5, 0.9), ["non-digits rejected"]),
        ({"touching_pairs_rejected": 0.78}, (0.5, 0.9), ["touching pairs rejected"]),
        ({"test_digits_rejected": 0.02}, (0.5, 0.9), ["test digits rejected"]),
    ],
)
def test_the_gates_rules(monkeypatch, change, reads, failing):
    fake_measures(monkeypatch, MEASURES, {**MEASURES, **change}, reads)
    result = gate.run_gate(FakeModel("new"), FakeModel("old"), None, [None] * 3)
    assert [check.name for check in result.checks if not check.passed] == failing
    assert result.passed == (not failing)
    table = gate.format_table(result)
    assert table.count("\n") == len(result.checks) + 2
    assert ("gate: passed" in table) == (not failing)


def test_the_gate_notes_the_models_beside_the_current_one_that_the_candidate_lacks(monkeypatch):
    fake_measures(monkeypatch, MEASURES, MEASURES, (0.5, 0.9))
    current = FakeModel("old", photo_reader=FakeModel("photos"), cut_judge=FakeModel("pieces"))
    lacking = gate.run_gate(FakeModel("new"), current, None, [None] * 3)
    assert lacking.passed and len(lacking.notes) == 2
    assert [note.split(" (")[0] for note in lacking.notes] == [
        "the candidate has no photos model beside it",
        "the candidate has no pieces model beside it",
    ]
    assert gate.format_table(lacking).count("\nnote: ") == 2
    assert lacking.as_dict()["notes"] == lacking.notes
    whole = FakeModel("new", photo_reader=FakeModel("p2"), cut_judge=FakeModel("c2"))
    assert gate.run_gate(whole, current, None, [None] * 3).notes == []
