"""`digitrec serve`'s gunicorn worker: gevent for the connections, a few real threads for the work.

Reading a request costs nothing while its bytes are slow to arrive: every connection is a
greenlet (gunicorn's gevent worker), and a request's head and then its whole body are read
there, into memory, before the app sees them (`web/body.py`). The head must arrive within
HEAD_DEADLINE_S and the body within DIGITREC_BODY_TIMEOUT_S after it; a gevent timeout interrupts the
waiting read at the deadline, and the request is answered 408. A connection that has sent
nothing since its last answer is closed at the head deadline without a word.

Only then does a request that may recognise something (one with a method other than GET, HEAD
or OPTIONS) go to one of THREADS_PER_WORKER real threads. ONNX Runtime, Pillow and numpy release
the GIL in their heavy work, so the event loop keeps accepting and answering meanwhile:
/healthz, the pages and /metrics are answered in the greenlet and never wait for a thread.
Threads are therefore not monkey-patched; only sockets and select are.

gunicorn's own refusals of malformed HTTP (400, 414, 431, 417, 501) are answered as problem
documents with the app's security headers, like everything the app answers. On SIGTERM the
worker stops accepting, closes connections that are idle between requests, and answers every
request it has accepted (up to the graceful timeout).
"""

from __future__ import annotations

import contextlib
import json
import socket
import time

import gevent
from gevent import monkey
from gevent import socket as gevent_socket
from gevent.threadpool import ThreadPool
from gunicorn import util
from gunicorn.workers.ggevent import GeventWorker

from digitrec.memory import give_back_freed_memory
from digitrec.numbers import read_number
from digitrec.web.body import (
    HEAD_DEADLINE_S,
    late_request_detail,
    mark_timed_out,
    read_whole_body,
)
from digitrec.web.problems import PROBLEM_JSON, problem_type
from digitrec.web.samples import SAMPLES_BY_NAME
from digitrec.web.security import SECURITY_HEADERS
from digitrec.web.work_limits import RECEIVED_AT

# Real threads per worker for the work itself: requests are CPU-bound, and two workers of four
# threads keep a 2-core machine busy while one request waits for its image to decode.
THREADS_PER_WORKER = 4
# Connections one worker holds at once, slow ones included (each costs a greenlet and a socket).
CONNECTIONS_PER_WORKER = 1000
# Methods that never recognise anything: answered in the connection's greenlet.
ANSWERED_IN_GREENLET = ("GET", "HEAD", "OPTIONS")
# How often a stopping worker looks for connections idle between requests to close.
IDLE_SWEEP_S = 0.2


class HeadTimeout(Exception):
    """The request head did not arrive within HEAD_DEADLINE_S."""


def problem_bytes(status: int, reason: str, detail: str) -> bytes:
    """A complete HTTP response: a problem document with the app's security headers."""
    slug = reason.lower().replace(" ", "-")
    problem = {"type": problem_type(slug), "title": reason, "status": status, "detail": detail}
    body = json.dumps(problem).encode()
    headers = {
        "Content-Type": PROBLEM_JSON,
        "Content-Length": str(len(body)),
        "Connection": "close",
        **SECURITY_HEADERS,
    }
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode("latin-1") + b"\r\n" + body


def write_problem(sock, status_int: int, reason: str, mesg: str) -> None:
    """Stands in for gunicorn's util.write_error, which answers with an HTML page."""
    util.write_nonblock(sock, problem_bytes(status_int, reason, mesg or reason))


class Connection:
    """A client socket that knows whether anything arrived since its last answer."""

    def __init__(self, sock):
        self._sock = sock
        self.received = 0  # bytes since the last answer
        self.answering = False
        self.answered = 0  # requests answered on this connection

    def __getattr__(self, name):
        return getattr(self._sock, name)

    def recv(self, *args):
        data = self._sock.recv(*args)
        self.received += len(data)
        return data

    def recv_into(self, buffer, *args):
        count = self._sock.recv_into(buffer, *args)
        self.received += count
        return count

    def is_idle(self) -> bool:
        """Between requests, with nothing received or waiting to be read. A connection just
        accepted is not: its client has connected to send a request, which is to be answered."""
        if self.answering or self.received or not self.answered:
            return False
        timeout = self._sock.gettimeout()
        self._sock.settimeout(0.0)  # peek without waiting (gevent would wait for data)
        try:
            return not self._sock.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            return True
        except OSError:
            return False
        finally:
            self._sock.settimeout(timeout)


class ThreadedApp:
    """WSGI: the body read in the greenlet, then the app run in a real thread (or not: see
    ANSWERED_IN_GREENLET); the greenlet waits without holding the event loop."""

    def __init__(self, flask_app, threads: int):
        self.flask_app = flask_app
        self.max_bytes = flask_app.config["MAX_CONTENT_LENGTH"]
        self.body_timeout_s = flask_app.config["DIGITREC_BODY_TIMEOUT_S"]
        self.pool = ThreadPool(threads)

    def __call__(self, environ, start_response):
        try:
            with gevent.Timeout(self.body_timeout_s, TimeoutError()):
                read_whole_body(environ, self.max_bytes)
        except TimeoutError:
            mark_timed_out(environ)
        environ[RECEIVED_AT] = time.monotonic()  # its deadline runs from here, queue included
        if environ["REQUEST_METHOD"] in ANSWERED_IN_GREENLET:
            return self.flask_app(environ, start_response)
        status, headers, body = self.pool.apply(self._answer, (environ,))
        start_response(status, headers)
        return body

    def _answer(self, environ) -> tuple[str, list, list[bytes]]:
        """The app's whole answer, computed in a pool thread (the socket stays in the greenlet)."""
        started = []

        def keep(status, headers, exc_info=None):
            started[:] = [status, headers]
            return lambda data: None

        iterable = self.flask_app(environ, keep)
        try:
            body = list(iterable)
        finally:
            if hasattr(iterable, "close"):
                iterable.close()
        return started[0], started[1], body


def warm_up_number_reading(flask_app) -> None:
    """Read the bundled number once (about 0.1 s) before serving. The app's self-test has
    read a digit; the number reader's first use costs a worker a few MB of its own (code
    pages, modules imported on first use, Python's allocator arenas), which belong to its
    start-up, not to the first request that reads a number: measured after number reads,
    what a worker keeps is then what requests left behind."""
    read_number(flask_app.extensions["digitrec"], SAMPLES_BY_NAME["number-2026"].read_bytes())
    give_back_freed_memory()


class DigitrecWorker(GeventWorker):
    """gunicorn's gevent worker with the deadlines, threads and answers described above."""

    def patch(self) -> None:
        """Sockets and select only (GeventWorker patches everything): the pool's threads stay
        real threads. The listeners become gevent sockets, as GeventWorker makes them."""
        monkey.patch_socket()
        monkey.patch_select()
        self.sockets = [
            gevent_socket.socket(s.FAMILY, socket.SOCK_STREAM, fileno=s.sock.detach())
            for s in self.sockets
        ]

    def init_process(self) -> None:
        util.write_error = write_problem  # this worker process only
        self.connections: set[Connection] = set()
        super().init_process()

    def load_wsgi(self) -> None:
        super().load_wsgi()
        warm_up_number_reading(self.wsgi)
        self.wsgi = ThreadedApp(self.wsgi, THREADS_PER_WORKER)

    def timeout_ctx(self):
        return gevent.Timeout(HEAD_DEADLINE_S, HeadTimeout())

    def handle(self, listener, client, addr):
        connection = Connection(client)
        self.connections.add(connection)
        try:
            super().handle(listener, connection, addr)
        finally:
            self.connections.discard(connection)

    def handle_request(self, listener_name, req, sock, addr):
        sock.answering = True
        try:
            return super().handle_request(listener_name, req, sock, addr)
        finally:
            sock.answering = False
            sock.received = 0
            sock.answered += 1

    def handle_error(self, req, client, addr, exc):
        if not isinstance(exc, HeadTimeout):
            return super().handle_error(req, client, addr, exc)
        if client.received:  # part of a head arrived: the client is told why it is closed
            self.log.info("Request head not complete in %s s from %s", HEAD_DEADLINE_S, addr)
            with contextlib.suppress(OSError):
                detail = late_request_detail(self.wsgi.body_timeout_s)
                write_problem(client, 408, "Request Timeout", detail)
        return None

    def handle_exit(self, sig, frame):
        super().handle_exit(sig, frame)
        gevent.spawn(self._close_idle_connections)

    def _close_idle_connections(self) -> None:
        """While stopping: end connections waiting for a next request that has not begun."""
        while True:
            for connection in list(self.connections):
                if connection.is_idle():
                    with contextlib.suppress(OSError):
                        connection.shutdown(socket.SHUT_RD)
            gevent.sleep(IDLE_SWEEP_S)
