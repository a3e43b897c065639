"""A request body must arrive in time, so that clients that stop sending cannot hold the server.

A gunicorn worker has a few threads; a client that sends its headers and then trickles or
withholds the body would keep one of them for as long as it likes, and a handful of such clients
would stall the whole server, health checks included. Two limits bound that:
- `digitrec serve`'s workers give every connection a socket timeout (server.py): a read that
  waits BODY_STALL_S without a byte fails;
- this middleware gives the whole body BODY_DEADLINE_S from the start of the request: a body
  still arriving then fails at its next read, however steadily it trickles.
Either failure reaches werkzeug as a failed read, which it reports as ClientDisconnected; the
app answers 408 and closes the connection (`problems.py`). In front of a buffering proxy
(nginx) neither limit is ever met.
"""

from __future__ import annotations

import time

# No byte of the body for this long: the client has stopped sending.
BODY_STALL_S = 10
# The whole body, from the request's start: a 10 MB upload at 2 Mbit/s takes 40 s.
BODY_DEADLINE_S = 60


class _DeadlineStream:
    """wsgi.input that refuses to read past a deadline (only read/readline: werkzeug uses
    read when a stream has no readinto)."""

    def __init__(self, stream, deadline: float):
        self._stream = stream
        self._deadline = deadline

    def _check(self) -> None:
        if time.monotonic() > self._deadline:
            raise TimeoutError(f"the request body took over {BODY_DEADLINE_S} s to arrive")

    def read(self, *size):
        self._check()
        return self._stream.read(*size)

    def readline(self, *size):
        self._check()
        return self._stream.readline(*size)

    def __iter__(self):
        while line := self.readline():
            yield line


class BodyDeadline:
    """WSGI middleware: the request body must have arrived BODY_DEADLINE_S after the request."""

    def __init__(self, wsgi_app, seconds: float = BODY_DEADLINE_S):
        self.wsgi_app = wsgi_app
        self.seconds = seconds

    def __call__(self, environ, start_response):
        environ["wsgi.input"] = _DeadlineStream(
            environ["wsgi.input"], time.monotonic() + self.seconds
        )
        return self.wsgi_app(environ, start_response)


def is_timeout(error: BaseException) -> bool:
    """Whether a failed body read was a timeout (a stall or the deadline), not a hang-up."""
    cause = error.__cause__ or error.__context__
    return isinstance(cause, TimeoutError | BlockingIOError)
