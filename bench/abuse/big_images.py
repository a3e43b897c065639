"""Concurrent big images: 5600x5600 PNGs and 32-bit TIFFs, small on the wire, 125 MB decoded."""

from __future__ import annotations

import io
import threading

from PIL import Image, ImageDraw

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


def big_image(kind: str, side: int = 5600) -> bytes:
    """A side x side image with one digit on it, small on the wire, big once decoded."""
    image = Image.new("RGBA", (side, side), (255, 255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse(
        (side // 3, side // 4, 2 * side // 3, 3 * side // 4),
        outline=(0, 0, 0, 255),
        width=side // 25,
    )
    buffer = io.BytesIO()
    if kind == "tiff":  # 32-bit integer grey, deflated
        image.convert("L").convert("I").save(
            buffer, format="TIFF", compression="tiff_adobe_deflate"
        )
    else:
        image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def attack_big_images(args) -> Outcome:
    payloads = {kind: big_image(kind) for kind in ("png", "tiff")}
    tally = Tally()

    def send(port: int, kind: str) -> None:
        content_type = {"png": "image/png", "tiff": "image/tiff"}[kind]
        status, _, answer, seconds = request(
            port, "POST", "/api/v1/predict", payloads[kind], {"Content-Type": content_type}, 60
        )
        tally.add(status, answer, seconds, kind)

    with serving() as served, Probes(served.port) as probes:
        sizes = ", ".join(f"{kind} {len(data) / 1000:.0f} KB" for kind, data in payloads.items())
        log(f"big images: {args.concurrent} at once of 5600x5600 ({sizes})")
        for kind in payloads:
            for _ in range(args.rounds):
                run_together(
                    [
                        threading.Thread(target=send, args=(served.port, kind))
                        for _ in range(args.concurrent)
                    ]
                )
        log(f"big images: {dict(tally.answers)}")
        probes.stop()
        note = f"5600x5600: {sizes}; {args.concurrent} at once, {args.rounds} rounds each"
        return finish_tally("big images", served, probes, tally, note)
