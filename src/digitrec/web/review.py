"""/review: an administrator accepts or rejects corrections before any is used for training.

The page itself holds no data and is open; it asks for the token and fetches everything through
the admin API below, which always needs DIGITREC_API_TOKEN as a Bearer header. A server started
without a token has no administrator, so the admin API answers 403 and says how to get one.

    GET  /api/v1/feedback?status=pending&limit=50&offset=0   corrections, oldest first
    GET  /api/v1/feedback/<id>/image                         the image exactly as received
    POST /api/v1/feedback/review   {"accept": [ids], "reject": [ids], "pending": [ids]}
"""

from __future__ import annotations

import io

import flask
from PIL import Image, UnidentifiedImageError

from digitrec.errors import MalformedRequestError
from digitrec.feedback.schema import ACCEPTED, PENDING, REJECTED, STATUSES
from digitrec.feedback.store import FeedbackStore, UnknownCorrectionError
from digitrec.web import security
from digitrec.web.problems import problem_response

blueprint = flask.Blueprint("review", __name__)

DEFAULT_PAGE = 50
MAX_PAGE = 500
DECISIONS = {"accept": ACCEPTED, "reject": REJECTED, "pending": PENDING}
# Where web/feedback.py keeps the app's FeedbackStore.
STORE_EXTENSION = "digitrec_feedback"


def store() -> FeedbackStore:
    return flask.current_app.extensions[STORE_EXTENSION]


@blueprint.before_request
def require_admin():
    """Every admin route needs the server's token; the page is only its shell."""
    if flask.request.endpoint == "review.page" or flask.request.method == "OPTIONS":
        return None
    expected = flask.current_app.config.get("DIGITREC_API_TOKEN")
    if not expected:
        return problem_response(
            403,
            "review-needs-token",
            "Review needs a token",
            "this server was started without DIGITREC_API_TOKEN, so nobody may review "
            "feedback through it: restart it with a token, or use `digitrec feedback`",
        )
    scheme, _, presented = flask.request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and security.is_expected_token(presented.strip(), expected):
        return None
    return problem_response(
        401,
        "unauthorized",
        "Unauthorized",
        "reviewing feedback needs the server's token: send `Authorization: Bearer <token>`",
        {"WWW-Authenticate": 'Bearer realm="digitrec"'},
    )


@blueprint.get("/review")
def page():
    return flask.render_template("review.html")


def _whole_number(name: str, default: int, most: int) -> int:
    text = flask.request.args.get(name, str(default))
    if not text.isdigit() or int(text) > most:
        raise MalformedRequestError(f"?{name}={text[:20]} must be a whole number 0-{most}")
    return int(text)


@blueprint.get("/api/v1/feedback")
def corrections():
    status = flask.request.args.get("status", PENDING)
    if status not in (*STATUSES, "all"):
        raise MalformedRequestError(
            f"?status={status[:20]} is not one of {', '.join(STATUSES)}, all"
        )
    limit = _whole_number("limit", DEFAULT_PAGE, MAX_PAGE)
    offset = _whole_number("offset", 0, 2**31)
    chosen = None if status == "all" else status
    records = store().list(chosen, limit=limit, offset=offset)
    return {
        "status": status,
        "total": store().count(chosen),
        "offset": offset,
        "corrections": [record.as_dict() for record in records],
    }


@blueprint.get("/api/v1/feedback/<correction_id>/image")
def image(correction_id: str):
    try:
        content = store().image(correction_id)
    except UnknownCorrectionError as error:
        return problem_response(404, "not-found", "Not Found", str(error))
    return flask.Response(content, mimetype=_image_type(content))


def _image_type(content: bytes) -> str:
    """The stored bytes' image type from their header, for the browser to show them."""
    try:
        with Image.open(io.BytesIO(content)) as opened:
            return Image.MIME.get(opened.format or "", "application/octet-stream")
    except (UnidentifiedImageError, OSError, ValueError):
        return "application/octet-stream"


@blueprint.post("/api/v1/feedback/review")
def decide():
    """Mark corrections accepted, rejected or pending again; says which ids were unknown."""
    body = flask.request.get_json(silent=True)
    if not isinstance(body, dict) or not set(body) <= set(DECISIONS) or not body:
        raise MalformedRequestError(
            'send a JSON object such as {"accept": [ids], "reject": [ids], "pending": [ids]}'
        )
    for decision, ids in body.items():
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise MalformedRequestError(f'"{decision}" must be a list of correction ids')
    unknown = []
    changed = {}
    for decision, ids in body.items():
        missing = store().review(ids, DECISIONS[decision])
        unknown += missing
        changed[DECISIONS[decision]] = len(set(ids)) - len(missing)
    return {"changed": changed, "unknown": unknown}
