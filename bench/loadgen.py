"""A bounded HTTP load generator: N clients POST real digit PNGs for D seconds (or M requests).

    .venv/bin/python bench/loadgen.py --url http://127.0.0.1:5000/api/v1/predict \
        --clients 8 --duration 60

Each client is a thread with its own keep-alive connection (reopened whenever the server
closes it, as gunicorn's sync workers do after every answer). Only 127.0.0.1 / localhost
URLs are accepted, and every run stops by itself at its deadline or request cap.
Reports requests/s, p50/p99 latency, errors and a histogram of statuses; `run_load` returns
the same as a `LoadResult` for other scripts (bench/bench_server.py) and tests.
"""

from __future__ import annotations

import argparse
import http.client
import io
import itertools
import json
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image, ImageDraw, ImageFont

FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
CANVAS_PX = 280  # the web page's drawing canvas is 280x280
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Payload:
    """One request body and the digit a correct answer names (None: don't check)."""

    body: bytes
    digit: int | None = None
    content_type: str = "image/png"


@dataclass(frozen=True)
class LoadResult:
    url: str
    clients: int
    requests: int  # answered or failed, all counted
    errors: int  # transport failures plus any status outside 2xx
    wrong_answers: int  # 2xx answers whose "digit" differs from the payload's digit
    duration_s: float
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int] = field(default_factory=dict)  # "200": n, "ConnectionError": n

    def summary(self) -> str:
        statuses = ", ".join(
            f"{status}: {count}" for status, count in sorted(self.statuses.items())
        )
        return (
            f"{self.requests} requests in {self.duration_s:.1f} s from {self.clients} clients: "
            f"{self.requests_per_s:.1f} req/s, p50 {self.p50_ms:.2f} ms, p99 {self.p99_ms:.2f} ms, "
            f"max {self.max_ms:.2f} ms; errors {self.errors}, wrong answers "
            f"{self.wrong_answers}; statuses {{{statuses}}}"
        )


def render_digit_png(digit: int, size: int = CANVAS_PX, offset: tuple[int, int] = (0, 0)) -> bytes:
    """A digit as the canvas draws it (white ink on black, like MNIST) in DejaVu Sans Bold."""
    image = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(image)
    font_size = int(size * 0.7)
    if FONT_PATH.is_file():
        font = ImageFont.truetype(str(FONT_PATH), font_size)
    else:
        font = ImageFont.load_default(size=font_size)
    left, top, right, bottom = draw.textbbox((0, 0), str(digit), font=font)
    x = (size - (right - left)) / 2 - left + offset[0]
    y = (size - (bottom - top)) / 2 - top + offset[1]
    draw.text((x, y), str(digit), fill=255, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def digit_payloads(variants: int = 3) -> list[Payload]:
    """Ten digits, each drawn at `variants` small offsets: 280x280 PNGs of about 3 KB."""
    offsets = [(0, 0), (-12, 8), (10, -6), (6, 12), (-8, -10)]
    return [
        Payload(render_digit_png(digit, offset=offsets[i % len(offsets)]), digit)
        for i in range(variants)
        for digit in range(10)
    ]


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def _check_local(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOCAL_HOSTS:
        raise ValueError(f"{url}: only http://127.0.0.1 (or localhost) URLs may be loaded")
    return parts.hostname, parts.port or 80, parts.path or "/"


def _answered_digit(body: bytes) -> int | None:
    try:
        return json.loads(body).get("digit")
    except (ValueError, AttributeError):
        return None


def run_load(
    url: str,
    payloads: list[Payload],
    clients: int = 8,
    duration_s: float = 10.0,
    max_requests: int | None = None,
    timeout_s: float = 10.0,
) -> LoadResult:
    """POST `payloads` round-robin from `clients` threads until `duration_s` or `max_requests`.

    Every request is counted: a status outside 2xx or a transport failure is an error.
    """
    if clients < 1:
        raise ValueError(f"clients={clients}: expected at least 1")
    if duration_s <= 0:
        raise ValueError(f"duration_s={duration_s}: expected a positive number of seconds")
    if not payloads:
        raise ValueError("no payloads to send")
    host, port, path = _check_local(url)
    tickets = itertools.count()  # next() is atomic under the GIL: a shared request counter
    start = time.perf_counter()
    deadline = start + duration_s
    latencies: list[list[float]] = [[] for _ in range(clients)]
    statuses: list[Counter] = [Counter() for _ in range(clients)]
    wrong = [0] * clients

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=timeout_s)
        try:
            while time.perf_counter() < deadline:
                ticket = next(tickets)
                if max_requests is not None and ticket >= max_requests:
                    return
                payload = payloads[ticket % len(payloads)]
                headers = {"Content-Type": payload.content_type}
                sent = time.perf_counter()
                try:
                    connection.request("POST", path, body=payload.body, headers=headers)
                    response = connection.getresponse()
                    body = response.read()
                except (OSError, http.client.HTTPException) as error:
                    latencies[index].append(time.perf_counter() - sent)
                    statuses[index][type(error).__name__] += 1
                    connection.close()  # the next request opens a fresh connection
                    continue
                latencies[index].append(time.perf_counter() - sent)
                statuses[index][str(response.status)] += 1
                if (
                    200 <= response.status < 300
                    and payload.digit is not None
                    and _answered_digit(body) != payload.digit
                ):
                    wrong[index] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        # Every thread stops at the deadline; the timeout covers one request in flight.
        thread.join(timeout=duration_s + timeout_s + 5)
    elapsed = time.perf_counter() - start
    all_latencies = sorted(latency for per_client in latencies for latency in per_client)
    histogram = sum(statuses, Counter())
    errors = sum(count for status, count in histogram.items() if not status.startswith("2"))
    return LoadResult(
        url=url,
        clients=clients,
        requests=len(all_latencies),
        errors=errors,
        wrong_answers=sum(wrong),
        duration_s=round(elapsed, 3),
        requests_per_s=round(len(all_latencies) / elapsed, 2),
        p50_ms=round(_percentile(all_latencies, 0.50) * 1000, 3),
        p99_ms=round(_percentile(all_latencies, 0.99) * 1000, 3),
        max_ms=round((all_latencies[-1] if all_latencies else 0.0) * 1000, 3),
        statuses=dict(sorted(histogram.items())),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="POST endpoint on 127.0.0.1, e.g. .../predict")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (threads)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds to run, at most")
    parser.add_argument("--requests", type=int, default=None, help="stop after this many")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument(
        "--no-check", action="store_true", help="don't count answers naming another digit"
    )
    args = parser.parse_args(argv)
    payloads = digit_payloads()
    if args.no_check:
        payloads = [Payload(payload.body) for payload in payloads]
    result = run_load(args.url, payloads, args.clients, args.duration, args.requests)
    print(json.dumps(asdict(result)) if args.json else result.summary())
    return 0 if result.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
