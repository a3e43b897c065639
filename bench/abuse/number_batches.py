"""Expensive number-mode batches: the heaviest accepted request (MAX_NUMBER_IMAGES lines of 31
touching digits, seconds of reading each) sent by several clients at once."""

from __future__ import annotations

import base64
import io
import json
import threading

import loadgen
from PIL import Image, ImageDraw, ImageFont

from abuse.probing import (
    Outcome,
    Probes,
    Tally,
    finish_tally,
    log,
    range_s,
    request,
    run_together,
    serving,
)

TOUCHING_DIGITS = "3141592653589793238462643383279"  # 31 digits
JSON = {"Content-Type": "application/json"}


def touching_digits_png(text: str = TOUCHING_DIGITS, height: int = 120) -> bytes:
    """Digits drawn so close that each touches its neighbours: one wide mark to cut apart."""
    font_path = loadgen.FONT_PATH
    font_size = int(height * 0.8)
    font = (
        ImageFont.truetype(str(font_path), font_size)
        if font_path.is_file()
        else ImageFont.load_default(size=font_size)
    )
    advance = int(font_size * 0.5)
    image = Image.new("L", (advance * len(text) + height, height), 255)
    draw = ImageDraw.Draw(image)
    for position, digit in enumerate(text):
        draw.text((height // 2 + position * advance, height * 0.05), digit, fill=0, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def number_batch_body(images: int) -> bytes:
    """A JSON batch of `images` copies of the 31-digit line, for mode=number."""
    image = base64.b64encode(touching_digits_png()).decode()
    return json.dumps({"images": [image] * images}).encode()


def attack_expensive_batches(args) -> Outcome:
    body = number_batch_body(args.batch)
    tally = Tally()

    def send(port: int) -> None:
        status, _, answer, seconds = request(
            port, "POST", "/api/v1/predict?mode=number", body, JSON, timeout=args.cap
        )
        tally.add(status, answer, seconds)

    with serving() as served, Probes(served.port) as probes:
        log(f"expensive: {args.batches} batches of {args.batch} x 31 touching digits")
        run_together(
            [threading.Thread(target=send, args=(served.port,)) for _ in range(args.batches)]
        )
        log(f"expensive: {dict(tally.answers)}, durations {[round(d, 1) for d in tally.durations]}")
        probes.stop()
        note = (
            f"{args.batch} lines of 31 touching digits each; each request "
            f"{range_s(tally.durations)}; client gives up after {args.cap:.0f} s"
        )
        return finish_tally("number-mode batches", served, probes, tally, note)
