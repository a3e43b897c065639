"""digitrec's web app: the drawing page and the JSON API, made by `create_app`.

    flask --app digitrec.web run          # development server on http://127.0.0.1:5000
    digitrec serve                        # gunicorn, one model per worker (see server.py)

A request flows: body.py (the body, read whole) -> security.py (token, CORS) -> pages.py or api.py -> uploads.py (request -> image
bytes) -> the recogniser in `app.extensions["digitrec"]` -> answers.py (results -> JSON) ->
problems.py for any error.
"""

from __future__ import annotations

import io

import flask

# Static files are named by content-free paths, so they may be cached for a while but must be
# revalidated eventually; an hour keeps a deploy visible the same day.
STATIC_MAX_AGE_S = 3600


class InMemoryRequest(flask.Request):
    """Uploads stay in memory (the body is capped by MAX_CONTENT_LENGTH); never on disk."""

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):  # fmt: skip
        return io.BytesIO()


def create_app(config: dict | None = None) -> flask.Flask:
    """The app, configured from the environment and then from `config` (same key names)."""
    from digitrec.web import (
        api,
        body,
        feedback,
        health,
        metrics,
        model_info,
        pages,
        problems,
        security,
    )
    from digitrec.web import config as settings

    app = flask.Flask(__name__)
    app.request_class = InMemoryRequest
    app.config.from_mapping(settings.from_environment())
    app.config.update(config or {})
    app.config["MAX_CONTENT_LENGTH"] = app.config["DIGITREC_MAX_UPLOAD_BYTES"]
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = STATIC_MAX_AGE_S
    app.json.sort_keys = False

    init_recogniser(app)
    metrics.init_app(app)
    body.init_app(app)
    model_info.init_app(app)
    problems.init_app(app)
    security.init_app(app)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(health.blueprint)
    feedback.init_app(app)
    return app


def init_recogniser(app: flask.Flask) -> None:
    """Load the model once for this app (one per gunicorn worker) and run its self-test."""
    from digitrec.imaging.decode import MAX_PIXELS
    from digitrec.inference import Recogniser
    from digitrec.web import health
    from digitrec.web.work_limits import PixelBudget

    megapixels = app.config["DIGITREC_MAX_MEGAPIXELS"]
    max_pixels = megapixels * 1_000_000 if megapixels else MAX_PIXELS
    recogniser = Recogniser(app.config["DIGITREC_MODEL"], max_pixels=max_pixels)
    app.extensions["digitrec"] = recogniser
    budget = app.extensions["digitrec_pixels"] = PixelBudget(max_pixels)
    app.teardown_request(lambda _error: budget.give_back_if_idle())
    health.run_self_test(app)
