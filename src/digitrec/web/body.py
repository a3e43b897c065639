"""The request body, read whole into memory before the app sees it, within a deadline.

Whatever its framing (Content-Length or chunked), a body is read here up to the upload limit,
so the app works on bytes in memory and a chunked body over the limit is refused with 413 like
any other (werkzeug alone would stop reading at the limit and parse what it got).

The body must arrive within DIGITREC_BODY_TIMEOUT_S (60 s) of its head, and the head within
HEAD_DEADLINE_S. Under `digitrec serve`, each piece of a body beyond its first IN_MEMORY_BYTES
also needs room in the worker's budget of bodies in memory (`web/worker.py`), or the request is
answered 503.
Under `digitrec serve` the worker reads both in the connection's greenlet (`web/worker.py`),
where a gevent timeout interrupts a read that is waiting: a slow request costs no thread and
gets its 408 at the deadline. Under any other server (flask run, the test client) the body's
deadline is checked between reads. Either way the app answers 408 problem+json.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import flask
from werkzeug.exceptions import RequestTimeout

from digitrec.errors import ServerBusyError

# The request line and headers, from the connection's start or its previous answer.
HEAD_DEADLINE_S = 10
# Bodies are read in pieces this big.
READ_CHUNK_BYTES = 64 * 1024
# environ keys: the body is already in memory; the body did not arrive in time; the worker had
# no room for it in memory.
BODY_READ = "digitrec.body_read"
BODY_TIMED_OUT = "digitrec.body_timed_out"
BODIES_FULL = "digitrec.bodies_full"


def read_whole_body(
    environ: dict,
    max_bytes: int,
    deadline: float | None = None,
    make_room: Callable[[int], None] | None = None,
) -> None:
    """Replace environ's wsgi.input by the body's bytes in memory: all of a Content-Length
    body within the limit, up to max_bytes + 1 of a chunked one (one over is enough for 413).
    A declared length over the limit is left unread: werkzeug refuses it from the header.

    Raises TimeoutError when `deadline` (time.monotonic) passes between two reads.
    `make_room(count)`, if given, is called with each piece's size once it is read, and may
    wait for room in memory or raise (ServerBusyError) before the next piece is read.
    """
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    try:
        declared = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return  # werkzeug answers a malformed length
    if not chunked and not 0 < declared <= max_bytes:
        return
    limit = max_bytes + 1 if chunked else declared
    stream, body = environ["wsgi.input"], bytearray()
    while len(body) < limit:
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError("the request body did not arrive in time")
        piece = stream.read(min(READ_CHUNK_BYTES, limit - len(body)))
        if not piece:
            break
        if make_room is not None:
            make_room(len(piece))
        body += piece
    environ["wsgi.input"] = io.BytesIO(bytes(body))
    if chunked:
        environ["CONTENT_LENGTH"] = str(len(body))
        del environ["HTTP_TRANSFER_ENCODING"]  # werkzeug ignores a length beside "chunked"
    # A Content-Length body cut short keeps its declared length: werkzeug then reports the
    # client as gone, as it would reading from the socket.
    environ[BODY_READ] = True


def release_body(environ: dict) -> None:
    """Once the images are taken out of it: free the body's bytes in memory (for a 64-image
    upload, 10 MB more that the images' own copies would otherwise sit beside while read)."""
    if environ.get(BODY_READ):
        environ["wsgi.input"].close()


def mark_timed_out(environ: dict, reason: str = BODY_TIMED_OUT) -> None:
    """The body did not arrive in time (BODY_TIMED_OUT: 408), or there was no room for it in
    memory (BODIES_FULL: 503): the app answers that without reading anything."""
    environ[reason] = True
    environ["wsgi.input"] = io.BytesIO()
    environ["CONTENT_LENGTH"] = "0"
    environ.pop("HTTP_TRANSFER_ENCODING", None)


class WholeBody:
    """WSGI middleware: read the body whole (see the module docstring) unless the server did."""

    def __init__(self, wsgi_app, max_bytes: int, seconds: float):
        self.wsgi_app = wsgi_app
        self.max_bytes = max_bytes
        self.seconds = seconds

    def __call__(self, environ, start_response):
        if not environ.get(BODY_READ) and not environ.get(BODY_TIMED_OUT):
            try:
                read_whole_body(environ, self.max_bytes, time.monotonic() + self.seconds)
            except TimeoutError:
                mark_timed_out(environ)
        return self.wsgi_app(environ, start_response)


def late_request_detail(body_timeout_s: float) -> str:
    return (
        f"the request did not arrive in time: its head must arrive within {HEAD_DEADLINE_S} s "
        f"and its body within {body_timeout_s:g} s after that; send the whole request at once"
    )


def refuse_late_body() -> None:
    """before_request: a body that did not arrive in time is answered 408; one the worker had
    no room for in memory, 503 with Retry-After."""
    environ = flask.request.environ
    if environ.get(BODY_TIMED_OUT):
        raise RequestTimeout()
    if environ.get(BODIES_FULL):
        limit = flask.current_app.config["DIGITREC_MAX_UPLOAD_BYTES"]
        raise ServerBusyError(
            f"the server is reading as many uploads as it may hold at once ({limit / 1e6:g} MB "
            "of them); try again in a few seconds"
        )


def init_app(app: flask.Flask) -> None:
    app.wsgi_app = WholeBody(
        app.wsgi_app, app.config["MAX_CONTENT_LENGTH"], app.config["DIGITREC_BODY_TIMEOUT_S"]
    )
    app.before_request(refuse_late_body)
