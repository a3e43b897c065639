"""The pages: `/` to draw, upload or paste a digit, and `/api` describing the JSON API.

`/` works without JavaScript: its form posts back to `/` and the answer is rendered on the
server into the same result markup the scripts fill in.
"""

from __future__ import annotations

import re
import time

import flask
import markupsafe
from werkzeug.exceptions import RequestEntityTooLarge

from digitrec import errors
from digitrec.web import answers, metrics, openapi, security
from digitrec.web.samples import SAMPLES, SAMPLES_BY_NAME
from digitrec.web.uploads import images_from_request
from digitrec.web.work_limits import request_limits

blueprint = flask.Blueprint("pages", __name__)

STEP_LABELS = {
    "grey": "Greyscale",
    "light": "Light evened out",
    "removed": "Lines and edges removed",
    "ink": "Ink",
    "cropped": "Cropped",
    "mnist": "28\u00d728 input",
}


def readable_size(size_bytes: int) -> str:
    """10485760 -> "10 MB" (binary megabytes, as the default limit is set)."""
    for unit, factor in (("MB", 2**20), ("kB", 2**10)):
        if size_bytes >= factor:
            return f"{size_bytes / factor:.3g} {unit}"
    return f"{size_bytes} bytes"


def page_context(mode: str) -> dict:
    recogniser = flask.current_app.extensions["digitrec"]
    return {
        "mode": mode,
        "samples": SAMPLES,
        "step_labels": STEP_LABELS,
        "model": answers.model_summary(recogniser),
        "accepted_images": errors.ACCEPTED_IMAGES,
        "max_size": readable_size(flask.current_app.config["DIGITREC_MAX_UPLOAD_BYTES"]),
        "max_bytes": flask.current_app.config["DIGITREC_MAX_UPLOAD_BYTES"],
        "token_required": security.token_required(flask.current_app),
    }


def _mode_from(values) -> str:
    mode = values.get("mode", "digit")
    return mode if mode in ("digit", "number") else "digit"


@blueprint.get("/")
def index():
    return flask.render_template("index.html", **page_context(_mode_from(flask.request.args)))


@blueprint.post("/")
def index_result():
    """The form without JavaScript: one uploaded file or one sample, answered as a page.

    A file that cannot be read is said in plain words inside the same form, which stays there
    to try again, with the error's own status.
    """
    started = time.perf_counter()
    mode = "digit"
    try:
        form = flask.request.form
        mode = _mode_from(form)
        sample = SAMPLES_BY_NAME.get(form.get("sample", ""))
        if sample is not None:
            image = sample.read_bytes()
            mode = sample.mode
        else:
            image = images_from_request(flask.request, max_batch=1).images[0]
        recogniser = flask.current_app.extensions["digitrec"]
        limits = request_limits()
        result = answers.read(recogniser, [image], mode, True, limits, explained=True)[0]
    except (errors.RecognitionError, RequestEntityTooLarge) as error:
        page = flask.render_template(
            "index.html", **page_context(mode), form_error=form_error_words(error)
        )
        return page, getattr(error, "status", None) or error.code
    metrics.count_answers([result])
    result["timing_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return flask.render_template("index.html", **page_context(mode), result=result)


def form_error_words(error: Exception) -> str:
    """A user error as the person at the form reads it: what happened and what to do."""
    if isinstance(error, errors.MalformedRequestError):
        return "Choose an image first: one file, not empty. Or try a sample."
    if isinstance(error, errors.NotAnImageError):
        return (
            "That file is not a picture digitrec can read. "
            f"Choose a {errors.ACCEPTED_IMAGES} image."
        )
    if isinstance(error, errors.ImageTooLargeError | RequestEntityTooLarge):
        limit = readable_size(flask.current_app.config["DIGITREC_MAX_UPLOAD_BYTES"])
        return f"That image is too large to read here (up to {limit}). Choose a smaller one."
    reason = str(error).rstrip(".")
    return f"digitrec could not read that image: {reason}. Try another picture."


# Problems the app answers besides the four user errors, for the API page's list.
OTHER_PROBLEMS = (
    (
        401,
        "unauthorized",
        "Unauthorized",
        "Only when the server has a token: send `Authorization: Bearer <token>`.",
    ),
    (404, "not-found", "Not Found", "No such path."),
    (
        405,
        "method-not-allowed",
        "Method Not Allowed",
        "The path exists; the Allow header lists its methods.",
    ),
    (503, "not-ready", "Not ready", "/readyz only: the model has not passed its self-test."),
    (
        500,
        "internal-server-error",
        "Internal Server Error",
        "A bug: nothing about the request is at fault.",
    ),
)


def _problems() -> list[dict]:
    user_errors = (
        errors.MalformedRequestError,
        errors.ImageTooLargeError,
        errors.NotAnImageError,
        errors.UnusableImageError,
    )
    problems = [
        {"status": e.status, "slug": e.slug, "title": e.title, "description": e.__doc__}
        for e in user_errors
    ]
    problems += [
        {"status": status, "slug": slug, "title": title, "description": description}
        for status, slug, title, description in OTHER_PROBLEMS
    ]
    return problems


@blueprint.app_template_filter("code_spans")
def code_spans(text: str) -> markupsafe.Markup:
    """Escape text, then show `backticked` words as code, as the OpenAPI descriptions do."""
    escaped = str(markupsafe.escape(text))
    return markupsafe.Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))


@blueprint.get("/api")
def api_page():
    """The API described for people, from the same OpenAPI document programs read."""
    spec = openapi.document(flask.current_app)
    return flask.render_template("api.html", spec=spec, problems=_problems())
