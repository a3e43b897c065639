"""The pages: `/` to draw, upload or paste a digit, and `/api` describing the JSON API.

`/` works without JavaScript: its form posts back to `/` and the answer is rendered on the
server into the same result markup the scripts fill in.
"""

from __future__ import annotations

import re
import time

import flask
import markupsafe

from digitrec import errors
from digitrec.web import answers, metrics, openapi, security
from digitrec.web.samples import SAMPLES, SAMPLES_BY_NAME
from digitrec.web.uploads import images_from_request

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
    """The form without JavaScript: one uploaded file or one sample, answered as a page."""
    started = time.perf_counter()
    form = flask.request.form
    mode = _mode_from(form)
    sample = SAMPLES_BY_NAME.get(form.get("sample", ""))
    if sample is not None:
        image = sample.read_bytes()
        mode = sample.mode
    else:
        image = images_from_request(flask.request, max_batch=1).images[0]
    recogniser = flask.current_app.extensions["digitrec"]
    result = answers.read(recogniser, [image], mode, with_steps=True)[0]
    metrics.count_answers([result])
    if result["mode"] == "number":
        result["input"] = answers.input_preview(image, recogniser.max_pixels)
    result["timing_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return flask.render_template("index.html", **page_context(mode), result=result)


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
