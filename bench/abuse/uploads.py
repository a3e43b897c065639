"""Many full uploads at once: clients each sending, without pause, a JSON batch of 64 small
noisy photos (9.3 MB, within every limit). Small images never wait for the pixel budget, so
what bounds a worker's memory here is its room for request bodies."""

from __future__ import annotations

import base64
import io
import json
import threading
import time

import numpy as np
from PIL import Image

from abuse.mixed import MAX_BATCH
from abuse.number_batches import JSON
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


def noisy_photo_batch(images: int = MAX_BATCH, side: int = 190, seed: int = 0) -> bytes:
    """A JSON batch of `images` different side x side RGB noise PNGs (about 145 KB each)."""
    rng = np.random.default_rng(seed)
    encoded = []
    for _ in range(images):
        buffer = io.BytesIO()
        pixels = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(buffer, format="PNG")
        encoded.append(base64.b64encode(buffer.getvalue()).decode())
    return json.dumps({"images": encoded}).encode()


def attack_uploads(args) -> Outcome:
    body = noisy_photo_batch()
    tally = Tally()
    ends = time.monotonic() + args.upload_seconds

    def send(port: int) -> None:
        while time.monotonic() < ends:
            status, headers, answer, seconds = request(
                port, "POST", "/api/v1/predict", body, JSON, args.cap
            )
            tally.add(status, answer, seconds)
            if status == 503:  # as a well-behaved client does
                time.sleep(float(headers.get("Retry-After", 1)))

    with serving() as served, Probes(served.port) as probes:
        log(f"uploads: {args.upload_clients} clients, {len(body) / 1e6:.1f} MB each")
        run_together(
            [threading.Thread(target=send, args=(served.port,)) for _ in range(args.upload_clients)]
        )
        log(f"uploads: {dict(tally.answers)}")
        probes.stop()
        note = (
            f"{args.upload_seconds:.0f} s of {args.upload_clients} clients each sending a "
            f"{len(body) / 1e6:.1f} MB JSON batch of 64 noisy 190x190 photos"
        )
        return finish_tally("uploads", served, probes, tally, note)
