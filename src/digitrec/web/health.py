"""Liveness and readiness: /healthz says the process answers, /readyz that the model does.

Ready means the model loaded and read a bundled handwritten 7 as a 7, through the same
decode -> preprocess -> model path every request takes.
"""

from __future__ import annotations

from dataclasses import dataclass

import flask

from digitrec.web.problems import problem_response
from digitrec.web.samples import SELF_TEST

blueprint = flask.Blueprint("health", __name__)


@dataclass(frozen=True)
class SelfTest:
    passed: bool
    detail: str


def run_self_test(app: flask.Flask) -> SelfTest:
    """Ask the model to read the known sample; remember and return the outcome."""
    recogniser = app.extensions["digitrec"]
    expected = int(SELF_TEST.label)
    try:
        recognition = recogniser.recognise([SELF_TEST.read_bytes()])[0]
    except Exception as error:  # any failure here means "not ready", reported, never raised
        outcome = SelfTest(False, f"self-test failed: {type(error).__name__}: {error}")
    else:
        answer = recognition.as_dict()
        if answer["digit"] == expected and answer["is_digit"]:
            outcome = SelfTest(True, f"read the bundled {expected} as {expected}")
        else:
            outcome = SelfTest(
                False,
                f"self-test failed: the bundled {expected} was read as {answer['digit']} "
                f"(confidence {answer['confidence']:.2f}, is_digit {answer['is_digit']})",
            )
    app.extensions["digitrec_self_test"] = outcome
    return outcome


@blueprint.get("/healthz")
def healthz():
    return {"status": "ok"}


@blueprint.get("/readyz")
def readyz():
    outcome = flask.current_app.extensions.get("digitrec_self_test")
    if outcome is None or not outcome.passed:
        outcome = run_self_test(flask.current_app)
    if not outcome.passed:
        return problem_response(503, "not-ready", "Not ready", outcome.detail)
    card = flask.current_app.extensions["digitrec"].card
    return {
        "status": "ready",
        "detail": outcome.detail,
        "model": {"name": card.name, "version": card.version},
    }
