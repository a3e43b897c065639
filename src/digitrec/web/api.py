"""The JSON API under /api: predict, the model card, and the OpenAPI document describing both."""

from __future__ import annotations

import time

import flask

from digitrec.errors import MalformedRequestError
from digitrec.web import answers, metrics, openapi
from digitrec.web.uploads import images_from_request
from digitrec.web.work_limits import request_limits

blueprint = flask.Blueprint("api", __name__, url_prefix="/api")

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("", "0", "false", "no", "off")


def flag(name: str) -> bool:
    value = flask.request.args.get(name, "").strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise MalformedRequestError(f"?{name}={value} is not a yes/no value: use {name}=1 or {name}=0")


def mode_argument() -> str:
    mode = flask.request.args.get("mode", "digit").strip().lower()
    if mode not in answers.MODES:
        raise MalformedRequestError(
            f"?mode={mode} is not a mode: use mode=digit, mode=number or mode=auto"
        )
    return mode


@blueprint.post("/v1/predict")
def predict():
    """Read the digit (or number) in each image sent; see the OpenAPI document for the forms."""
    started = time.perf_counter()
    mode = mode_argument()
    with_steps = flag("steps")
    explained = flag("explain")
    upload = images_from_request(flask.request, flask.current_app.config["DIGITREC_MAX_BATCH"])
    recogniser = flask.current_app.extensions["digitrec"]
    results = answers.read(recogniser, upload.images, mode, with_steps, request_limits(), explained)
    metrics.count_answers(results)
    body = {"results": results} if upload.is_batch else results[0]
    body["model"] = answers.model_summary(recogniser)
    body["timing_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return body


@blueprint.get("/v1/model")
def model_card():
    """The served model's card: architecture, input, calibration, accuracy, versions; and the
    card of its photos model, where it has one."""
    recogniser = flask.current_app.extensions["digitrec"]
    photos = recogniser.photo_reader
    return {**recogniser.card.raw, **({"photos_model": photos.card.raw} if photos else {})}


@blueprint.get("/openapi.json")
def openapi_document():
    return openapi.document(flask.current_app)
