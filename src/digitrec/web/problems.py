"""Every error the app answers, in one place: application/problem+json (RFC 9457).

User errors (`digitrec.errors`) and Flask's own (404, 405, 413...) become problem documents
that say what went wrong and what is accepted; a browser asking for a page gets the same
problem as an HTML page instead.
"""

from __future__ import annotations

import flask
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
    RequestTimeout,
)

from digitrec.errors import ACCEPTED_IMAGES, RecognitionError
from digitrec.imaging.decode import MAX_SIDE, MIN_SIDE
from digitrec.web.body import late_request_detail

PROBLEM_JSON = "application/problem+json"
# How an image may reach POST /api/v1/predict.
ACCEPTED_CONTENT_TYPES = (
    "multipart/form-data (field `file`, repeated for a batch)",
    "image/* or application/octet-stream (the image as the raw body)",
    'application/json ({"image": base64 or data: URL} or {"images": [...]})',
)
# Paths whose clients are programs: they always get JSON, whatever their Accept header says.
API_PATHS = ("/api/", "/healthz", "/readyz", "/metrics")


def problem_type(slug: str) -> str:
    """The problem's type: a URI reference to its explanation on the API page."""
    return f"/api#problem-{slug}"


def what_is_accepted() -> dict:
    config = flask.current_app.config
    return {
        "formats": ACCEPTED_IMAGES,
        "content_types": list(ACCEPTED_CONTENT_TYPES),
        "max_bytes": config["DIGITREC_MAX_UPLOAD_BYTES"],
        "max_batch": config["DIGITREC_MAX_BATCH"],
        "max_pixels": flask.current_app.extensions["digitrec"].max_pixels,
        "min_side": MIN_SIDE,
        "max_side": MAX_SIDE,
    }


def problem_response(
    status: int, slug: str, title: str, detail: str, headers: dict | None = None
) -> flask.Response:
    problem = {
        "type": problem_type(slug),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": flask.request.path,
    }
    if status in (400, 413, 415, 422):
        problem["accepted"] = what_is_accepted()
    if _wants_html():
        response = flask.make_response(flask.render_template("problem.html", problem=problem))
        response.status_code = status
    else:
        response = flask.current_app.json.response(problem)
        response.status_code = status
        response.mimetype = PROBLEM_JSON
    response.headers.update(headers or {})
    return response


def _wants_html() -> bool:
    request = flask.request
    if request.path.startswith(API_PATHS):
        return False
    if request.blueprint == "pages":
        return True
    best = request.accept_mimetypes.best_match(["application/json", PROBLEM_JSON, "text/html"])
    return best == "text/html"


def on_recognition_error(error: RecognitionError) -> flask.Response:
    retry_after = getattr(error, "retry_after_s", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return problem_response(error.status, error.slug, error.title, str(error), headers)


def on_http_error(error: HTTPException) -> flask.Response:
    status = error.code or 500
    if isinstance(error, RequestTimeout):
        detail = late_request_detail(flask.current_app.config["DIGITREC_BODY_TIMEOUT_S"])
        return problem_response(
            408, "request-timeout", "Request Timeout", detail, {"Connection": "close"}
        )
    if isinstance(error, RequestEntityTooLarge):
        return problem_response(413, "image-too-large", "Image too large", _too_large_detail())
    # Allow: for 405, so clients learn which methods the path takes.
    headers = {name: value for name, value in error.get_headers() if name == "Allow"}
    slug = error.name.lower().replace(" ", "-")
    return problem_response(status, slug, error.name, error.description or error.name, headers)


def _too_large_detail() -> str:
    request = flask.request
    limit = flask.current_app.config["DIGITREC_MAX_UPLOAD_BYTES"]
    if request.content_length is not None and request.content_length <= limit:
        # Werkzeug's own form limits: the body fits, its parts do not.
        return (
            f"the form has more than {request.max_form_parts:,} parts or a text field over "
            f"{request.max_form_memory_size:,} bytes; send the image as the `file` field"
        )
    return f"the request body is larger than the limit of {limit:,} bytes"


def on_unexpected_error(error: Exception) -> flask.Response:
    if isinstance(error, HTTPException):
        return on_http_error(error)
    flask.current_app.logger.exception("unexpected error answering %s", flask.request.path)
    return on_http_error(InternalServerError())


def init_app(app: flask.Flask) -> None:
    app.register_error_handler(RecognitionError, on_recognition_error)
    app.register_error_handler(HTTPException, on_http_error)
    app.register_error_handler(Exception, on_unexpected_error)
