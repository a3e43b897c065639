"""Slow clients: heads, bodies and chunked bodies sent a byte every TRICKLE_EVERY_S, 201 at once."""

from __future__ import annotations

import contextlib
import socket
import time
from collections import Counter
from dataclasses import dataclass

from abuse.probing import (
    Outcome,
    Probes,
    finish,
    log,
    range_s,
    serving,
)

TRICKLE_EVERY_S = 5.0


@dataclass
class SlowClient:
    kind: str
    sock: socket.socket
    opened: float
    trickle: bytes
    reply: bytes = b""
    outcome: str | None = None
    answered_after_s: float | None = None


def open_slow_client(port: int, kind: str) -> SlowClient:
    path = b"POST /api/v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if kind == "headers":
        first, trickle = (
            b"POST /api/v1/predict HTTP/1.1\r\n",
            b"Host: 127.0.0.1\r\nX-Slow: " + bytes(1000).replace(b"\x00", b"a"),
        )
    elif kind == "body":
        first = path + b"Content-Type: image/png\r\nContent-Length: 100000\r\n\r\n\x89PNG"
        trickle = bytes(100000)
    else:  # chunked, stalling inside a chunk of 100,000 bytes
        first = path + b"Content-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n186a0\r\n"
        trickle = bytes(100000)
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(first)
    sock.setblocking(False)
    return SlowClient(kind, sock, time.monotonic(), trickle)


def poll_slow_client(client: SlowClient) -> None:
    """Read what the server said; mark the client finished once it answered or hung up."""
    try:
        while chunk := client.sock.recv(65536):
            client.reply += chunk
        ended = True  # recv returned b"": the server closed the connection
    except BlockingIOError:
        ended = False
    except OSError:
        ended = True
    if client.reply.startswith(b"HTTP/") and (ended or b"\r\n\r\n" in client.reply):
        client.outcome = client.reply.split(b" ", 2)[1].decode()
    elif ended:
        client.outcome = "closed"
    if client.outcome:
        client.answered_after_s = time.monotonic() - client.opened
        client.sock.close()


def attack_slow_clients(args) -> Outcome:
    kinds = ("headers", "body", "chunked")
    with serving() as served, Probes(served.port) as probes:
        clients = [
            open_slow_client(served.port, kinds[i % len(kinds)]) for i in range(args.slow_clients)
        ]
        log(f"slow clients: {len(clients)} open, trickling for up to {args.slow_seconds:.0f} s")
        ends = time.monotonic() + args.slow_seconds
        next_byte = time.monotonic() + TRICKLE_EVERY_S
        while time.monotonic() < ends and any(c.outcome is None for c in clients):
            for client in clients:
                if client.outcome is None:
                    poll_slow_client(client)
            if time.monotonic() >= next_byte:
                next_byte += TRICKLE_EVERY_S
                for client in clients:
                    if client.outcome is None and client.trickle:
                        with contextlib.suppress(OSError):  # read on the next poll
                            client.sock.send(client.trickle[:1])
                        client.trickle = client.trickle[1:]
            time.sleep(0.05)
        answers = Counter()
        for client in clients:
            if client.outcome is None:
                client.sock.close()
            answers[f"{client.kind}: {client.outcome or 'no answer'}"] += 1
        answered = [c.answered_after_s for c in clients if c.answered_after_s is not None]
        still_open = args.slow_seconds if any(c.outcome is None for c in clients) else 0.0
        by_kind = "; ".join(
            f"{kind} answered after {range_s([c.answered_after_s for c in clients if c.kind == kind])}"
            for kind in kinds
        )
        log(f"slow clients: {dict(answers)}")
        probes.stop()
        return finish(
            "slow clients", served, probes, answers, max([*answered, still_open]), by_kind
        )
