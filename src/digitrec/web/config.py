"""The web app's configuration: one mapping built from environment variables at start-up.

Keys are the environment variables' own names, so `create_app({"DIGITREC_MAX_BATCH": 4})`
overrides exactly what `DIGITREC_MAX_BATCH=4` would set. Nothing else reads `os.environ`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping

from limits import parse_many

DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # 10 MB per request
DEFAULT_MAX_BATCH = 64  # images per request
# A request's whole body, after its head: a 10 MB upload at 2 Mbit/s takes 40 s.
DEFAULT_BODY_TIMEOUT_S = 60
# Recognition work one request may take: a canvas takes milliseconds, a full batch a second.
DEFAULT_REQUEST_TIMEOUT_S = 10
DEFAULT_FEEDBACK_MAX_MB = 1024
DEFAULT_FEEDBACK_RATE_LIMIT = "10 per minute"
# A shorter API token could be guessed; 32 bytes from `secrets.token_urlsafe` make 43 characters.
MIN_TOKEN_LENGTH = 16
ORIGIN = re.compile(r"^https?://[^\s/?#]+$", re.ASCII)


class ConfigError(ValueError):
    """An environment variable holds a value the server cannot use; says which and why."""


def _positive_int(name: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{name}={text!r}: expected a whole number") from None
    if value < 1:
        raise ConfigError(f"{name}={text!r}: expected a number of at least 1")
    return value


def _text(name: str, text: str) -> str | None:
    return text.strip() or None


def _token(name: str, text: str) -> str:
    token = text.strip()
    if len(token) < MIN_TOKEN_LENGTH or any(character.isspace() for character in token):
        raise ConfigError(
            f"{name} must be at least {MIN_TOKEN_LENGTH} characters without spaces; make one "
            "with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return token


def _on_off(name: str, text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "on", "true", "yes"):
        return True
    if value in ("0", "off", "false", "no"):
        return False
    raise ConfigError(f"{name}={text!r}: expected on or off")


def _rate_limit(name: str, text: str) -> str:
    try:
        parse_many(text)
    except ValueError:
        raise ConfigError(
            f"{name}={text!r}: expected a rate such as '10 per minute' or '10/minute;100/day'"
        ) from None
    return text.strip()


def _origins(name: str, text: str) -> tuple[str, ...]:
    """Comma-separated origins -> lower-case origins; "*" alone means any origin."""
    origins = tuple(origin.lower().rstrip("/") for origin in re.split(r"[,\s]+", text) if origin)
    if "*" in origins and len(origins) > 1:
        raise ConfigError(f"{name}={text!r}: '*' allows every origin, so list nothing else")
    for origin in origins:
        if origin != "*" and not ORIGIN.match(origin):
            raise ConfigError(
                f"{name}={text!r}: {origin!r} is not an origin; write scheme://host[:port], "
                "e.g. https://example.org, separated by commas"
            )
    return origins


# Set but blank, these would silently turn a protection off (`DIGITREC_API_TOKEN=$TOKEN` with
# TOKEN unset): refused, where other variables blank mean their default.
MUST_NOT_BE_BLANK = ("DIGITREC_API_TOKEN",)
# Variable -> (parser, default). The default is used when the variable is unset or empty.
SETTINGS: dict[str, tuple[Callable[[str, str], object], object]] = {
    # The ONNX model to serve (model.json beside it); None means the bundled model.
    "DIGITREC_MODEL": (_text, None),
    # Largest request body in bytes; beyond it the answer is 413.
    "DIGITREC_MAX_UPLOAD_BYTES": (_positive_int, DEFAULT_MAX_UPLOAD_BYTES),
    # Largest image in megapixels, read from its header before decoding; beyond it 413.
    # None means decode.MAX_PIXELS (32). A colour image costs 4 bytes a pixel while it is
    # decoded; everything after works on a reduced copy.
    "DIGITREC_MAX_MEGAPIXELS": (_positive_int, None),
    # Most images in one predict request; beyond it the answer is 400.
    "DIGITREC_MAX_BATCH": (_positive_int, DEFAULT_MAX_BATCH),
    # Seconds a request body may take to arrive after its head; then 408.
    "DIGITREC_BODY_TIMEOUT_S": (_positive_int, DEFAULT_BODY_TIMEOUT_S),
    # Seconds of recognition one request may take; past them it stops with 422.
    "DIGITREC_REQUEST_TIMEOUT_S": (_positive_int, DEFAULT_REQUEST_TIMEOUT_S),
    # Bearer token required by the recognition API, the no-JS form and /metrics; None: open.
    "DIGITREC_API_TOKEN": (_token, None),
    # Origins whose pages may call the API from the browser (CORS); empty: same origin only.
    "DIGITREC_CORS_ORIGINS": (_origins, ()),
    # gunicorn worker processes for `digitrec serve`; None means one per CPU core.
    "DIGITREC_WORKERS": (_positive_int, None),
    # Corrections from users (POST /api/v1/feedback, the page's "Wrong?" form, /review); off: 404.
    "DIGITREC_FEEDBACK": (_on_off, True),
    # Where corrections are stored: a SQLAlchemy URL (postgresql://...); None: SQLite in the
    # user's data directory (digitrec.feedback.database).
    "DIGITREC_DATABASE_URL": (_text, None),
    # Most megabytes of images the feedback store holds; past it new feedback is 507.
    "DIGITREC_FEEDBACK_MAX_MB": (_positive_int, DEFAULT_FEEDBACK_MAX_MB),
    # How often one client may send feedback, in `limits` notation; past it 429.
    "DIGITREC_FEEDBACK_RATE_LIMIT": (_rate_limit, DEFAULT_FEEDBACK_RATE_LIMIT),
    # Where the rate limiter counts (a `limits` storage URI such as redis://host:6379);
    # None: the feedback database, shared by every worker (digitrec.feedback.rate_limits).
    "DIGITREC_RATE_LIMIT_STORAGE_URL": (_text, None),
    # prometheus_client's own variable: where gunicorn workers share their metrics.
    "PROMETHEUS_MULTIPROC_DIR": (_text, None),
}


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """Every setting, parsed from `environ` (default: the process environment)."""
    environ = os.environ if environ is None else environ
    settings = {}
    for name, (parse, default) in SETTINGS.items():
        text = environ.get(name, "")
        if name in MUST_NOT_BE_BLANK and name in environ and not text.strip():
            raise ConfigError(
                f"{name} is set but blank, which would leave the server open: unset it to "
                "serve without one, or set a real value"
            )
        settings[name] = parse(name, text) if text.strip() else default
    return settings
