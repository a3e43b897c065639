"""Corrections from users: POST /api/v1/feedback, and the store behind it and /review.

A correction is taken only when someone sends it. The image is read again here, so what is
stored as the model's answer is what this server's model says about those exact bytes (and a
bad image is refused as predict refuses it). Nothing about the sender is kept; the rate limiter
counts a hash of the client's address, for no longer than its window.

With DIGITREC_FEEDBACK=off none of this is registered: the routes are 404 and the page shows
no button.
"""

from __future__ import annotations

import hashlib
import json

import flask
import sqlalchemy
from flask_limiter import Limiter
from sqlalchemy.engine import make_url

from digitrec.errors import MalformedRequestError
from digitrec.feedback import database, rate_limits, schema_version
from digitrec.feedback.labels import checked_label, checked_mode
from digitrec.feedback.store import FeedbackStore, NewCorrection
from digitrec.web import answers, review
from digitrec.web.uploads import images_from_request
from digitrec.web.work_limits import request_limits

blueprint = flask.Blueprint("feedback_api", __name__, url_prefix="/api")

EXTENSION = review.STORE_EXTENSION
BYTES_PER_MB = 1024 * 1024


def init_app(app: flask.Flask) -> None:
    """Open the store (checking its schema), set up the rate limit and the routes."""
    app.config.setdefault("DIGITREC_FEEDBACK", True)
    if not app.config["DIGITREC_FEEDBACK"]:
        return
    engine = open_database(app.config.get("DIGITREC_DATABASE_URL"))
    max_bytes = app.config["DIGITREC_FEEDBACK_MAX_MB"] * BYTES_PER_MB
    app.extensions[EXTENSION] = FeedbackStore(engine, max_bytes=max_bytes)
    limiter = Limiter(
        key_func=hashed_client_address,
        app=app,
        storage_uri=app.config.get("DIGITREC_RATE_LIMIT_STORAGE_URL") or f"{rate_limits.SCHEME}://",
        storage_options={}
        if app.config.get("DIGITREC_RATE_LIMIT_STORAGE_URL")
        else {"engine": engine},
        strategy="fixed-window",
        headers_enabled=True,
    )
    rate = app.config["DIGITREC_FEEDBACK_RATE_LIMIT"]
    limiter.limit(
        rate,
        error_message=f"too many corrections from this client: at most {rate}; "
        "try again after the time in Retry-After",
    )(blueprint)
    app.register_blueprint(blueprint)
    app.register_blueprint(review.blueprint)
    app.context_processor(lambda: {"feedback_on": True})


def open_database(url: str | None):
    """The feedback database's engine, its schema checked. The embedded SQLite file is made at
    the newest schema the first time; any other database, or one at an older schema, must be
    brought up to date with `digitrec db upgrade` (SchemaBehindError says so)."""
    engine = database.create_engine(url)
    if make_url(engine.url).get_backend_name() == "sqlite" and schema_version.is_empty(engine):
        if database.sqlite_file(engine.url) is None:  # in this process's memory: no child sees it
            schema_version.upgrade(engine)
        else:
            schema_version.upgrade_in_a_child_process(engine)
    schema_version.check_current(engine)
    return engine


def check_database(url: str | None) -> None:
    """Before gunicorn forks: open the database once, as open_database does, and let it go,
    so a schema that is behind stops the server with one message instead of every worker."""
    try:
        open_database(url).dispose()
    except sqlalchemy.exc.OperationalError as error:
        raise database.DatabaseURLError(
            f"cannot open the feedback database {database.describe_url(url)}: "
            f"{' '.join(str(error.orig).split())}"
        ) from None


def store() -> FeedbackStore:
    return flask.current_app.extensions[EXTENSION]


def hashed_client_address() -> str:
    """The rate limit's key: the client's address, hashed so the database never holds it."""
    address = flask.request.remote_addr or "unknown"
    return hashlib.sha256(f"digitrec-feedback:{address}".encode()).hexdigest()[:32]


def request_field(name: str) -> object:
    """A field from the query, the form, or the JSON body, in that order; None if absent."""
    request = flask.request
    if name in request.args:
        return request.args[name]
    if request.mimetype == "multipart/form-data" and name in request.form:
        return request.form[name]
    if request.mimetype == "application/json":
        try:
            body = json.loads(request.get_data(cache=True))
        except (ValueError, RecursionError):
            return None  # images_from_request says what is wrong with the body
        if isinstance(body, dict):
            return body.get(name)
    return None


@blueprint.post("/v1/feedback")
def submit():
    """Store a correction: the image as sent, the model's answer to it and the label."""
    mode = checked_mode(request_field("mode") or "digit")
    label = checked_label(request_field("label"), mode)
    upload = images_from_request(flask.request, max_batch=1)
    if upload.is_batch:
        raise MalformedRequestError("send one image with one label per correction")
    image = upload.images[0]
    recogniser = flask.current_app.extensions["digitrec"]
    answer = answers.read(recogniser, [image], mode, False, request_limits())[0]
    read = answer["number"] if mode == "number" else answer["digit"]
    # The model that gave the answer being corrected: a photo's may be the photos model.
    card = answers.card_of_reader(recogniser, answer)
    correction_id = store().add(
        NewCorrection(
            image=image,
            mode=mode,
            answer="" if read is None else str(read),
            label=label,
            model_name=card.name,
            model_version=card.version,
        )
    )
    body = {
        "id": correction_id,
        "status": "pending",
        "mode": mode,
        "answer": "" if read is None else str(read),
        "label": label,
        "model": {"name": card.name, "version": card.version},
    }
    return body, 201
