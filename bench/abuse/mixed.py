"""Mixed attack: the heaviest accepted requests of every kind at once, with ordinary traffic.

For --mixed-seconds, clients send without pause: lines of 31 touching digits in number-mode
batches of MAX_NUMBER_IMAGES, single 5600x5600 images, a digit batch of as many 5600x5600
images as one upload holds, and canvases (ordinary traffic). Every request is within the API's
limits, so each should be read, or cut at the request's deadline, or (big ones) told to retry
when the worker's pixel budget is full (the clients then wait as Retry-After says): never
refused, never dropped. What a worker holds at its peak and keeps afterwards is what "any mix
of accepted requests" costs.
"""

from __future__ import annotations

import threading
import time

import loadgen

from abuse.big_images import big_image
from abuse.number_batches import JSON, number_batch_body
from abuse.probing import (
    Outcome,
    Probes,
    Tally,
    finish_tally,
    log,
    request,
    run_together,
    serving,
)

# The server's defaults (DIGITREC_MAX_UPLOAD_BYTES, DIGITREC_MAX_BATCH): one upload's bytes and
# images. The digit batch of big images fills the first, within the second.
UPLOAD_BYTES = 10 * 1024 * 1024
MAX_BATCH = 64
BOUNDARY = "mixed-attack"


def multipart(images: list[bytes]) -> bytes:
    """A multipart/form-data body with each image as a `file` field."""
    parts = [
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{i}.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        + image
        + b"\r\n"
        for i, image in enumerate(images)
    ]
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def big_digit_batch(big: bytes) -> bytes:
    """As many copies of `big` as one upload holds (64 at most), as one multipart body."""
    count = min(MAX_BATCH, (UPLOAD_BYTES - 64 * 1024) // (len(big) + 200))
    return multipart([big] * count)


def attack_mixed(args) -> Outcome:
    big = big_image("png")
    batch = big_digit_batch(big)
    canvas = loadgen.render_digit_png(4)
    multipart_type = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    streams = {  # kind: (clients, path, body, headers)
        "numbers": (
            args.mixed_numbers,
            "/api/v1/predict?mode=number",
            number_batch_body(args.batch),
            JSON,
        ),
        "big image": (args.mixed_big, "/api/v1/predict", big, {"Content-Type": "image/png"}),
        "big batch": (1, "/api/v1/predict", batch, multipart_type),
        "canvas": (args.mixed_canvases, "/api/v1/predict", canvas, {"Content-Type": "image/png"}),
    }
    tally = Tally()
    ends = time.monotonic() + args.mixed_seconds

    def send(port: int, kind: str) -> None:
        _, path, body, headers = streams[kind]
        while time.monotonic() < ends:
            status, answer_headers, answer, seconds = request(
                port, "POST", path, body, headers, args.cap
            )
            tally.add(status, answer, seconds, kind)
            if status == 503:  # as a well-behaved client does: the budget is full for now
                time.sleep(float(answer_headers.get("Retry-After", 1)))

    with serving() as served, Probes(served.port) as probes:
        log(
            f"mixed: {args.mixed_seconds:.0f} s of {', '.join(f'{n} x {k}' for k, (n, *_) in streams.items())}"
        )
        run_together(
            [
                threading.Thread(target=send, args=(served.port, kind))
                for kind, (clients, *_) in streams.items()
                for _ in range(clients)
            ]
        )
        log(f"mixed: {dict(tally.answers)}")
        probes.stop()
        note = (
            f"{args.mixed_seconds:.0f} s of: {args.mixed_numbers} clients sending {args.batch} "
            f"lines of 31 touching digits, {args.mixed_big} sending one 5600x5600 PNG, 1 sending "
            f"{(len(batch) // len(big))} of them in one upload ({len(batch) / 1e6:.1f} MB), "
            f"{args.mixed_canvases} sending canvases"
        )
        return finish_tally("mixed", served, probes, tally, note)
