"""The real `digitrec serve` holds under slow clients and heavy uploads (issue #23).

Slow heads and bodies get 408 at their deadline while health and predictions keep answering,
gunicorn's own refusals carry the security headers, uploads beyond a worker's room for bodies
wait and get 503, big images in parallel stay within a worker's memory, and SIGTERM under load
fails no request already sent. Through Flask's test client: tests/web/test_abuse.py.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import png_bytes, render_digit, serving, touching_digits
from PIL import Image, ImageDraw

from digitrec.errors import ServerBusyError
from digitrec.web.security import SECURITY_HEADERS
from digitrec.web.work_limits import MAX_NUMBER_IMAGES

SEVEN = png_bytes(render_digit(7))


def port_of(server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def open_slow(port: int, kind: str) -> socket.socket:
    head = b"POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
    first = {
        "head": b"POST /api/v1/predict HTTP/1.1\r\nHost: x\r\n",
        "body": head + b"Content-Length: 100000\r\n\r\n\x89PNG",
        "chunked": head + b"Transfer-Encoding: chunked\r\n\r\n186a0\r\n\x89PNG",  # mid-chunk
    }[kind]
    connection = socket.create_connection(("127.0.0.1", port), timeout=60)
    connection.sendall(first)
    return connection


def get_status(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status


def post_canvas(url: str) -> int:
    request = urllib.request.Request(
        f"{url}/api/v1/predict", data=SEVEN, headers={"Content-Type": "image/png"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["digit"]


def test_slow_clients_get_408_at_the_deadline_while_the_server_keeps_answering():
    from digitrec.web.body import HEAD_DEADLINE_S
    from digitrec.web.worker import THREADS_PER_WORKER

    body_timeout_s = 3
    with serving(workers=1, env={"DIGITREC_BODY_TIMEOUT_S": str(body_timeout_s)}) as server:
        kinds = ("head", "body", "chunked")
        slow = [
            (kind, open_slow(port_of(server), kind))
            for kind in kinds
            for _ in range(4 * THREADS_PER_WORKER)  # many more than the worker has threads
        ]
        opened = time.monotonic()
        for _ in range(5):  # while every slow client holds its connection
            assert get_status(f"{server.url}/healthz") == 200
            assert post_canvas(server.url) == 7
        for kind, connection in slow:
            with connection:
                response = http.client.HTTPResponse(connection)
                response.begin()
                assert response.status == 408, kind
                assert response.getheader("Content-Type") == "application/problem+json"
                assert response.getheader("X-Content-Type-Options") == "nosniff"
                assert "did not arrive in time" in json.loads(response.read())["detail"]
        # The last answer came at the longer deadline, give or take a loaded machine.
        assert time.monotonic() - opened < 3 * max(HEAD_DEADLINE_S, body_timeout_s)
        assert "Traceback" not in server.output()


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n", 431),
        (b"GARBAGE\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 0\r\n\r\n", 417),
    ],
)
def test_gunicorns_own_refusals_are_problems_with_the_security_headers(live_server, raw, status):
    with socket.create_connection(("127.0.0.1", port_of(live_server)), timeout=10) as connection:
        connection.sendall(raw)
        response = http.client.HTTPResponse(connection)
        response.begin()
        assert response.status == status
        assert response.getheader("Content-Type") == "application/problem+json"
        for name, value in SECURITY_HEADERS.items():
            assert response.getheader(name) == value
        assert json.loads(response.read())["status"] == status


def rss_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} for {pid}")


def big_rgba_png(side: int = 5600) -> bytes:
    image = Image.new("RGBA", (side, side), (255, 255, 255, 255))
    ImageDraw.Draw(image).ellipse((side // 3, side // 4, 2 * side // 3, 3 * side // 4), outline=(0, 0, 0, 255), width=side // 25)  # fmt: skip
    return png_bytes(image, optimize=True)


KB = 1024


def test_a_body_waits_for_room_in_the_worker_then_is_busy():
    import gevent

    from digitrec.web.worker import SMALL_BODY_BYTES, BodyBudget

    budget = BodyBudget(100 * KB, wait_s=0.2)
    with budget.hold() as first:
        first.make_room(SMALL_BODY_BYTES + 100 * KB)  # the first 64 KB are not counted
        first.arrived()
        assert budget.held == 100 * KB
        with budget.hold() as second:
            second.make_room(SMALL_BODY_BYTES)  # a canvas's worth: never waits
            started = time.monotonic()
            with pytest.raises(ServerBusyError):
                second.make_room(KB)
            assert time.monotonic() - started >= 0.2
        with budget.hold() as third:  # room given back while it waits: it goes on
            third.make_room(SMALL_BODY_BYTES)
            waiting = gevent.spawn(third.make_room, 50 * KB)
            gevent.sleep(0.05)
            assert not waiting.ready()
            budget.held -= 60 * KB  # as if an answered body gave its room back
            budget._freed.set()
            waiting.join(timeout=1)
            assert waiting.successful()
            budget.held += 60 * KB
    assert budget.held == 0


def test_bodies_still_arriving_cannot_wait_for_each_other_the_oldest_goes_on():
    from digitrec.web.worker import SMALL_BODY_BYTES, BodyBudget

    budget = BodyBudget(100 * KB, wait_s=0.1)
    with budget.hold() as oldest, budget.hold() as newer:
        oldest.make_room(SMALL_BODY_BYTES + 60 * KB)
        newer.make_room(SMALL_BODY_BYTES + 40 * KB)
        oldest.make_room(50 * KB)  # over the budget, but only halves of bodies hold it
        assert budget.held == 150 * KB
        with pytest.raises(ServerBusyError):
            newer.make_room(KB)
        oldest.arrived()
        with pytest.raises(ServerBusyError):  # a whole body holds room now: it will give it back
            newer.make_room(KB)


def send_partly(port: int, declared: int, sent: int) -> socket.socket:
    head = (
        b"POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
        b"Content-Length: %d\r\n\r\n" % declared
    )
    connection = socket.create_connection(("127.0.0.1", port), timeout=60)
    connection.sendall(head + bytes(sent))
    return connection


def test_uploads_beyond_a_workers_room_for_bodies_get_503_and_canvases_still_answer():
    from digitrec.web.worker import BODY_WAIT_S

    limit = 300 * KB
    with serving(workers=1, env={"DIGITREC_MAX_UPLOAD_BYTES": str(limit)}) as server:
        port = port_of(server)
        # Two uploads that stop halfway hold 2 x 136 KB of the worker's 300 KB for bodies.
        stalled = [send_partly(port, 250 * KB, 200 * KB) for _ in range(2)]
        time.sleep(0.5)
        started = time.monotonic()
        with send_partly(port, 250 * KB, 250 * KB) as third:
            assert post_canvas(server.url) == 7  # a canvas's body is never counted
            response = http.client.HTTPResponse(third)
            response.begin()
            assert response.status == 503
            assert response.getheader("Retry-After")
            assert response.getheader("Content-Type") == "application/problem+json"
            assert "as many uploads as it may hold" in json.loads(response.read())["detail"]
        assert time.monotonic() - started >= BODY_WAIT_S - 0.5
        for connection in stalled:
            connection.close()
        assert post_canvas(server.url) == 7
        assert "Traceback" not in server.output()


def test_big_images_at_once_stay_within_a_workers_memory_and_it_is_given_back():
    big = big_rgba_png()
    with serving(workers=1) as server:
        (worker,) = (int(p) for p in Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split())  # fmt: skip
        started_mb = rss_mb(worker, "VmRSS")
        statuses = []

        def send() -> None:
            request = urllib.request.Request(
                f"{server.url}/api/v1/predict", data=big, headers={"Content-Type": "image/png"}
            )
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    statuses.append(response.status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
                assert error.code != 503 or error.headers["Retry-After"]

        senders = [threading.Thread(target=send) for _ in range(8)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        assert sorted(set(statuses)) in ([200], [200, 503])
        assert rss_mb(worker, "VmHWM") <= 300
        assert rss_mb(worker, "VmRSS") <= started_mb + 20


def test_sigterm_under_load_answers_every_request_sent_before_it():
    import signal

    sent: list[tuple[float, object]] = []
    lock, signalled = threading.Lock(), threading.Event()

    def client(url: str) -> None:
        while not signalled.is_set():
            started = time.monotonic()
            try:
                outcome: object = post_canvas(url)
            except OSError as error:  # URLError, connection refused or reset
                outcome = error
            with lock:
                sent.append((started, outcome))

    with serving(workers=2) as server:
        clients = [threading.Thread(target=client, args=(server.url,)) for _ in range(16)]
        for thread in clients:
            thread.start()
        time.sleep(1.0)
        signalled_at = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        signalled.set()
        for thread in clients:
            thread.join(timeout=30)
        assert server.process.wait(timeout=30) == 0
    before = [outcome for started, outcome in sent if started < signalled_at]
    assert len(before) > 16
    assert [outcome for outcome in before if outcome != 7] == []


def test_health_answers_while_the_heaviest_accepted_request_runs():
    images = [base64.b64encode(touching_digits()).decode()] * MAX_NUMBER_IMAGES
    body = json.dumps({"images": images}).encode()
    with serving(workers=1) as server:
        answered = []

        def heavy() -> None:
            request = urllib.request.Request(
                f"{server.url}/api/v1/predict?mode=number",
                data=body,
                headers={"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    answered.append(response.status)
            except urllib.error.HTTPError as error:
                answered.append(error.code)

        worker = threading.Thread(target=heavy)
        worker.start()
        health = 0
        while worker.is_alive():
            assert get_status(f"{server.url}/healthz") == 200
            health += 1
            time.sleep(0.2)
        worker.join()
        assert answered in ([200], [422])  # read in time, or stopped at the request's limit
        assert health >= 1
