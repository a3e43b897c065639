"""The smaller checks: gunicorn's own error pages, redirects, data: URLs, a JPEG claiming 30
megapixels, the no-JS form's token."""

from __future__ import annotations

import base64
import io
import json
from collections import Counter

import loadgen
from PIL import Image

from abuse.probing import (
    Outcome,
    Probes,
    finish,
    log,
    raw_exchange,
    request,
    serving,
)

TOKEN = "abuse-bench-token-0123456789"


def truncated_jpeg_claiming(width: int, height: int) -> bytes:
    image = Image.new("L", (64, 64), 255)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=50)
    jpeg = buffer.getvalue()
    sof = jpeg.index(b"\xff\xc0")
    patched = jpeg[: sof + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return patched + jpeg[sof + 9 : 380]


def attack_small_things(args) -> Outcome:
    checks: list[tuple[str, str]] = []
    canvas = loadgen.render_digit_png(5)
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    with (
        serving(env={"DIGITREC_API_TOKEN": TOKEN}) as served,
        Probes(served.port, bearer) as probes,
    ):
        port = served.port

        def gunicorn_error(name: str, raw: bytes) -> None:
            reply = raw_exchange(port, raw)
            head = reply.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
            status = head.split(" ", 2)[1] if head.startswith("HTTP/") else "no answer"
            csp = "with" if "content-security-policy:" in head.lower() else "WITHOUT"
            kind = next(
                (
                    line.split(":", 1)[1].strip()
                    for line in head.splitlines()
                    if line.lower().startswith("content-type:")
                ),
                "?",
            )
            checks.append((name, f"{status}, {kind}, {csp} security headers"))

        gunicorn_error(
            "URI of 9,000 bytes", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        gunicorn_error(
            "101 header fields",
            b"GET / HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-%d: 1\r\n" % i for i in range(101))
            + b"\r\n",
        )
        gunicorn_error("garbage request line", b"GARBAGE\r\n\r\n")
        gunicorn_error(
            "Transfer-Encoding: gzip",
            b"POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
        )
        gunicorn_error(
            "Expect: 200-ok",
            b"POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 0\r\n\r\n",
        )
        status, headers, _, _ = request(
            port, "GET", "/api//v1/model", headers={"Host": "evil.example"}
        )
        checks.append(
            ("redirect with Host: evil.example", f"{status}, Location {headers.get('Location')}")
        )

        upper = "DATA:image/png;BASE64," + base64.b64encode(canvas).decode()
        status, _, _, _ = request(
            port,
            "POST",
            "/api/v1/predict",
            json.dumps({"image": upper}).encode(),
            {"Content-Type": "application/json", **bearer},
        )
        checks.append(("DATA:image/png;BASE64,...", str(status)))

        jpeg = truncated_jpeg_claiming(5000, 6000)
        status, _, _, seconds = request(
            port, "POST", "/api/v1/predict", jpeg, {"Content-Type": "image/jpeg", **bearer}
        )
        checks.append(
            (f"{len(jpeg)}-byte JPEG claiming 5000x6000", f"{status} in {seconds * 1000:.0f} ms")
        )

        boundary = "abuse"
        multipart = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="token"\r\n\r\n  {TOKEN} \r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="5.png"\r\n'
                "Content-Type: image/png\r\n\r\n"
            ).encode()
            + canvas
            + f"\r\n--{boundary}--\r\n".encode()
        )
        status, _, _, _ = request(
            port,
            "POST",
            "/",
            multipart,
            {"Content-Type": f"multipart/form-data; boundary={boundary}", "Accept": "text/html"},
        )
        checks.append(("no-JS form, token with spaces around it", str(status)))
        for name, result in checks:
            log(f"small: {name}: {result}")
        answers = Counter(status.split(",")[0].split(" ")[0] for _, status in checks)
        probes.stop()
        outcome = finish("smaller things (below)", served, probes, answers, 0.0)
    outcome.details = [f"- {name}: {result}" for name, result in checks]
    return outcome
