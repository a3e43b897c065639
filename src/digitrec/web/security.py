"""What every response carries and who may ask: security headers, CORS and the API token.

- Headers: a Content-Security-Policy without inline scripts or styles, nosniff, no referrer and
  no framing, on every response (pages, API answers, problems and static files alike).
- CORS is off unless DIGITREC_CORS_ORIGINS lists origins; then their pages may call the JSON
  API and health endpoints (preflight answered here). Credentials are never allowed: the token
  travels in the Authorization header, which CORS permits without cookies.
- With DIGITREC_API_TOKEN set, recognition needs `Authorization: Bearer <token>`: the JSON API
  under /api/v1/, the no-JavaScript form (which may send the token as its `token` field instead)
  and /metrics. The pages, the OpenAPI document, static files, /healthz and /readyz stay open,
  so people can read how to authenticate and orchestrators can probe without a secret.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

import flask

from digitrec.web.problems import API_PATHS, problem_response

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # data: for the preprocessing steps, blob: for the preview of an uploaded file.
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
}

# Endpoints that need the token when one is set.
PROTECTED_ENDPOINTS = frozenset(
    {
        "api.predict",
        "api.model_card",
        "pages.index_result",
        "metrics.metrics_text",
        "feedback_api.submit",
    }
)
# The form field the page without JavaScript sends the token in.
TOKEN_FIELD = "token"
CORS_METHODS = "GET, POST"
CORS_HEADERS = "Authorization, Content-Type"
CORS_MAX_AGE_S = 600


def init_app(app: flask.Flask) -> None:
    # Preflights are answered before the token is asked for: browsers never send it with them.
    app.before_request(answer_preflight)
    app.before_request(require_token)
    app.after_request(add_headers)
    app.after_request(relative_redirect)


def token_required(app: flask.Flask) -> bool:
    return bool(app.config.get("DIGITREC_API_TOKEN"))


def _presented_token(request: flask.Request) -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    if request.endpoint == "pages.index_result":
        return request.form.get(TOKEN_FIELD, "").strip() or None
    return None


def is_expected_token(presented: str, expected: str) -> bool:
    """Constant-time comparison: the time taken says nothing about how much matched."""
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


def require_token():
    """before_request: a 401 problem unless the request carries the configured token."""
    request = flask.request
    expected = flask.current_app.config.get("DIGITREC_API_TOKEN")
    if not expected or request.method == "OPTIONS" or request.endpoint not in PROTECTED_ENDPOINTS:
        return None
    presented = _presented_token(request)
    if presented is not None and is_expected_token(presented, expected):
        return None
    challenge = 'Bearer realm="digitrec"'
    if presented is None:
        detail = "this server needs an API token: send the header `Authorization: Bearer <token>`"
        if request.endpoint == "pages.index_result":
            detail = "this server needs an access token: enter it in the form's token field"
    else:
        challenge += ', error="invalid_token"'
        detail = "the API token is wrong: send the token this server was started with"
    return problem_response(
        401, "unauthorized", "Unauthorized", detail, {"WWW-Authenticate": challenge}
    )


def _allowed_origin() -> str | None:
    """The value for Access-Control-Allow-Origin, or None when this request gets no CORS."""
    origins = flask.current_app.config.get("DIGITREC_CORS_ORIGINS") or ()
    origin = flask.request.headers.get("Origin")
    if not origins or not origin or not flask.request.path.startswith(API_PATHS):
        return None
    if "*" in origins:
        return "*"
    return origin if origin.lower() in origins else None


def answer_preflight():
    """before_request: answer a CORS preflight for the API (allowed or not, with no body)."""
    request = flask.request
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
        return None
    if not flask.current_app.config.get("DIGITREC_CORS_ORIGINS"):
        return None  # CORS off: Flask's own OPTIONS answer, which allows no other origin
    response = flask.current_app.response_class(status=204)
    if _allowed_origin() is not None:
        response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
        response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        response.headers["Access-Control-Max-Age"] = str(CORS_MAX_AGE_S)
    return response


def add_headers(response: flask.Response) -> flask.Response:
    """after_request: security headers always; CORS headers for allowed origins."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if flask.current_app.config.get("DIGITREC_CORS_ORIGINS") and flask.request.path.startswith(
        API_PATHS
    ):
        # The answer depends on the Origin header, so caches must keep one per origin.
        response.vary.add("Origin")
        allowed = _allowed_origin()
        if allowed is not None:
            response.headers["Access-Control-Allow-Origin"] = allowed
            response.headers["Access-Control-Expose-Headers"] = "WWW-Authenticate"
    return response


def relative_redirect(response: flask.Response) -> flask.Response:
    """after_request: a redirect names only the path, never a host taken from the request's
    Host header (werkzeug builds `//` -> `/` redirects as absolute URLs from it)."""
    location = response.headers.get("Location")
    if 300 <= response.status_code < 400 and location:
        parts = urlsplit(location)
        path = "/" + parts.path.lstrip("/")  # never "//host": that would be another site
        response.headers["Location"] = path + (f"?{parts.query}" if parts.query else "")
    return response
