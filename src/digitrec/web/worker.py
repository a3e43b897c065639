"""`digitrec serve`'s gunicorn worker: gevent for the connections, a few real threads for the work.

Reading a request costs nothing while its bytes are slow to arrive: every connection is a
greenlet (gunicorn's gevent worker), and a request's head and then its whole body are read
there, into memory, before the app sees them (`web/body.py`). The head must arrive within
HEAD_DEADLINE_S and the body within DIGITREC_BODY_TIMEOUT_S after it; a gevent timeout interrupts the
waiting read at the deadline, and the request is answered 408. A connection that has sent
nothing since its last answer is closed at the head deadline without a word.

Bodies in memory are bounded per worker, however many arrive at once (BodyBudget): each piece
of a body beyond its first SMALL_BODY_BYTES waits, unread in the socket, for room (up to
BODY_WAIT_S, then 503), and a body holds its room until its answer is made. Pieces are counted
as they arrive, so a slow body holds only what it has sent.

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
import gevent.event
from gevent import monkey
from gevent import socket as gevent_socket
from gevent.threadpool import ThreadPool
from gunicorn import util
from gunicorn.workers.ggevent import GeventWorker

from digitrec.errors import ServerBusyError
from digitrec.memory import give_back_freed_memory
from digitrec.numbers import read_number
from digitrec.web.body import (
    BODIES_FULL,
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


# The first bytes of every body are not counted in the BodyBudget: a canvas (5-40 KB) never
# waits behind uploads, and a thousand connections' worth of them is still only 64 MB.
SMALL_BODY_BYTES = 64 * 1024
# A body bigger than this leaves enough freed memory behind to be worth giving back.
BIG_BODY_BYTES = 1_000_000
# How long a piece of a body may wait for room in the BodyBudget before the request gets 503.
BODY_WAIT_S = 5.0


class BodyBudget:
    """Bytes of request bodies a worker holds in memory at once: `total` (the upload limit).
    Bodies that have arrived give their room back once answered, so a body waits for them. But
    when only bodies still arriving hold the room, they could wait for each other for ever: then
    the oldest of them may go past `total` (by one upload at most) and finish arriving.
    Used only by the worker's greenlets, which all run in one thread: no lock is needed."""

    def __init__(self, total: int, wait_s: float = BODY_WAIT_S):
        self.total = total
        self.wait_s = wait_s
        self.held = 0  # by every body
        self.held_arriving = 0  # by bodies still arriving
        self._arriving: list[BodyHold] = []  # oldest first
        self._freed = gevent.event.Event()

    def _has_room(self, body: BodyHold, count: int) -> bool:
        if self.held + count <= self.total:
            return True
        only_arriving_hold_room = self.held == self.held_arriving
        return only_arriving_hold_room and self._arriving[0] is body

    @contextlib.contextmanager
    def hold(self):
        """A BodyHold for one request's body, given back when the block ends (its answer made)."""
        body = BodyHold(self)
        self._arriving.append(body)
        try:
            yield body
        finally:
            body.arrived()
            self.held -= body.counted
            self._freed.set()

    def _make_room(self, body: BodyHold, count: int) -> None:
        while not self._has_room(body, count):
            if body.give_up_at is None:  # wait_s for the whole body, not for each piece
                body.give_up_at = time.monotonic() + self.wait_s
            self._freed.clear()
            if not self._freed.wait(max(0.0, body.give_up_at - time.monotonic())):
                raise ServerBusyError("no room in memory for this body")
        self.held += count
        self.held_arriving += count
        body.counted += count


class BodyHold:
    """One body's share of its worker's BodyBudget."""

    def __init__(self, budget: BodyBudget):
        self.budget = budget
        self.received = 0
        self.counted = 0
        self.give_up_at: float | None = None  # time.monotonic(), once it first waited

    def make_room(self, count: int) -> None:
        """`count` more bytes arrived: wait for room for those beyond SMALL_BODY_BYTES, or
        raise ServerBusyError after the budget's wait_s."""
        uncounted = max(0, SMALL_BODY_BYTES - self.received)
        self.received += count
        if count > uncounted:
            self.budget._make_room(self, count - uncounted)

    def arrived(self) -> None:
        """The whole body is in (or never will be): the next oldest may go past the budget."""
        budget = self.budget
        if self in budget._arriving:
            budget._arriving.remove(self)
            budget.held_arriving -= self.counted
            budget._freed.set()


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

    def __init__(self, flask_app, threads: int, body_wait_s: float = BODY_WAIT_S):
        self.flask_app = flask_app
        self.max_bytes = flask_app.config["MAX_CONTENT_LENGTH"]
        self.body_timeout_s = flask_app.config["DIGITREC_BODY_TIMEOUT_S"]
        self.bodies = BodyBudget(self.max_bytes, body_wait_s)
        self.pool = ThreadPool(threads)

    def __call__(self, environ, start_response):
        with self.bodies.hold() as body:
            try:
                with gevent.Timeout(self.body_timeout_s, TimeoutError()):
                    read_whole_body(environ, self.max_bytes, make_room=body.make_room)
            except TimeoutError:
                mark_timed_out(environ)
            except ServerBusyError:
                mark_timed_out(environ, BODIES_FULL)
            body.arrived()
            environ[RECEIVED_AT] = time.monotonic()  # its deadline runs from here, queue included
            if environ["REQUEST_METHOD"] in ANSWERED_IN_GREENLET or environ.get(BODIES_FULL):
                return self.flask_app(environ, start_response)
            status, headers, answer = self.pool.apply(self._answer, (environ,))
        if body.received > BIG_BODY_BYTES and self.bodies.held == 0:
            # The last big upload of a burst is answered: its parsed copies go back to the
            # system. Not after each one: giving back holds the allocator, which every thread,
            # the event loop's included, is then waiting for.
            self.pool.spawn(give_back_freed_memory)
        start_response(status, headers)
        return answer

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
