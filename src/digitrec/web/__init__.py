"""digitrec's web app: the drawing page and the JSON API, made by `create_app`.

    flask --app digitrec.web run          # development server on http://127.0.0.1:5000
    digitrec serve                        # gunicorn, one model per worker (see server.py)

A request flows: security.py (token, CORS) -> pages.py or api.py -> uploads.py (request -> image
bytes) -> the recogniser in `app.extensions["digitrec"]` -> answers.py (results -> JSON) ->
problems.py for any error.
"""

from __future__ import annotations

import io

import flask

from digitrec.web.body_deadline import BodyDeadline

# Static files are named by content-free paths, so they may be cached for a while but must be
# revalidated eventually; an hour keeps a deploy visible the same day.
STATIC_MAX_AGE_S = 3600
# Streamed (chunked) request bodies are read in pieces this big.
READ_CHUNK_BYTES = 64 * 1024


class InMemoryRequest(flask.Request):
    """Uploads stay in memory (the body is capped by MAX_CONTENT_LENGTH); never on disk."""

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):  # fmt: skip
        return io.BytesIO()


class StreamedBodyLimit:
    """WSGI middleware: a chunked body (no Content-Length) is read here, up to the upload
    limit, and passed on with its length, so one over the limit is refused with 413 like any
    other. Werkzeug alone stops reading such a body at the limit and parses what it got."""

    def __init__(self, wsgi_app, max_bytes: int):
        self.wsgi_app = wsgi_app
        self.max_bytes = max_bytes

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and environ.get("wsgi.input_terminated"):
            body = self._read_at_most(environ["wsgi.input"], self.max_bytes + 1)
            # One byte over the limit is enough for werkzeug to answer 413.
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            del environ["HTTP_TRANSFER_ENCODING"]  # werkzeug ignores a length beside "chunked"
        return self.wsgi_app(environ, start_response)

    @staticmethod
    def _read_at_most(stream, limit: int) -> bytes:
        body = bytearray()
        while len(body) < limit:
            piece = stream.read(min(READ_CHUNK_BYTES, limit - len(body)))
            if not piece:
                break
            body += piece
        return bytes(body)


def create_app(config: dict | None = None) -> flask.Flask:
    """The app, configured from the environment and then from `config` (same key names)."""
    from digitrec.web import api, feedback, health, metrics, model_info, pages, problems, security
    from digitrec.web import config as settings

    app = flask.Flask(__name__)
    app.request_class = InMemoryRequest
    app.config.from_mapping(settings.from_environment())
    app.config.update(config or {})
    app.config["MAX_CONTENT_LENGTH"] = app.config["DIGITREC_MAX_UPLOAD_BYTES"]
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = STATIC_MAX_AGE_S
    app.wsgi_app = StreamedBodyLimit(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"])
    app.wsgi_app = BodyDeadline(app.wsgi_app)  # outermost: chunked bodies are read inside
    app.json.sort_keys = False

    init_recogniser(app)
    metrics.init_app(app)
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

    megapixels = app.config["DIGITREC_MAX_MEGAPIXELS"]
    max_pixels = megapixels * 1_000_000 if megapixels else MAX_PIXELS
    recogniser = Recogniser(app.config["DIGITREC_MODEL"], max_pixels=max_pixels)
    app.extensions["digitrec"] = recogniser
    health.run_self_test(app)
