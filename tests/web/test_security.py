"""Security: headers on every response, CORS by origin, the optional API token, and nothing a
user sends reflected unescaped. Through Flask's test client; every API answer with a token set
is validated against the OpenAPI document, which then declares the token."""

from __future__ import annotations

import io

import pytest
from conftest import png_bytes, render_digit

from digitrec.web import config, create_app, security

from .api_client import SpecCheckedClient

SEVEN = png_bytes(render_digit(7))
TOKEN = "correct-horse-battery-staple-42"
ORIGIN = "https://digits.example"


def app_with(**settings):
    return create_app({"TESTING": True, **settings})


# Headers -----------------------------------------------------------------------------------

EVERY_KIND_OF_RESPONSE = [
    ("GET", "/", {}),
    ("GET", "/api", {}),
    ("GET", "/static/style.css", {}),
    ("GET", "/static/samples/digit-7.png", {}),
    ("GET", "/static/nothing.js", {}),
    ("GET", "/api/v1/model", {}),
    ("GET", "/api/openapi.json", {}),
    ("GET", "/healthz", {}),
    ("GET", "/readyz", {}),
    ("GET", "/metrics", {}),
    ("POST", "/api/v1/predict", {"data": SEVEN, "content_type": "image/png"}),
    ("POST", "/api/v1/predict", {"data": b"%PDF-1.4", "content_type": "image/png"}),
    ("GET", "/api/v1/predict", {}),
    ("GET", "/no/such/page", {"headers": {"Accept": "text/html"}}),
    ("OPTIONS", "/api/v1/predict", {}),
    ("POST", "/", {"data": {"file": (io.BytesIO(b"text"), "notes.txt")}}),
]


@pytest.mark.parametrize(
    ("method", "path", "options"),
    EVERY_KIND_OF_RESPONSE,
    ids=[f"{method} {path} {i}" for i, (method, path, _) in enumerate(EVERY_KIND_OF_RESPONSE)],
)
def test_every_response_carries_the_security_headers(client, method, path, options):
    response = client.open(path, method=method, **options)
    headers = response.headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Access-Control-Allow-Origin" not in headers


def test_every_response_when_the_token_is_missing_carries_them_too():
    response = app_with(DIGITREC_API_TOKEN=TOKEN).test_client().get("/metrics")
    assert response.status_code == 401
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


# CORS --------------------------------------------------------------------------------------


def preflight(client, path="/api/v1/predict", origin=ORIGIN):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_cors_is_off_by_default(client):
    response = client.post(
        "/api/v1/predict", data=SEVEN, content_type="image/png", headers={"Origin": ORIGIN}
    )
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    allowed = preflight(client)
    assert not [name for name, _ in allowed.headers if name.startswith("Access-Control")]


@pytest.fixture
def cors_client():
    return app_with(DIGITREC_CORS_ORIGINS=(ORIGIN, "http://localhost:8080")).test_client()


def test_a_listed_origin_may_call_the_api(cors_client):
    response = cors_client.post(
        "/api/v1/predict", data=SEVEN, content_type="image/png", headers={"Origin": ORIGIN}
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_a_listed_origin_gets_its_preflight_answered(cors_client):
    response = preflight(cors_client)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed_headers = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_an_unlisted_origin_is_not_allowed(cors_client):
    response = cors_client.get("/api/v1/model", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200  # the browser, not the server, withholds the answer
    assert "Access-Control-Allow-Origin" not in response.headers
    refused = preflight(cors_client, origin="https://evil.example")
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert "Access-Control-Allow-Methods" not in refused.headers


def test_cors_covers_the_api_not_the_pages(cors_client):
    page = cors_client.get("/", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in page.headers
    health = cors_client.get("/healthz", headers={"Origin": ORIGIN})
    assert health.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_a_wildcard_allows_any_origin_and_never_credentials():
    client = app_with(DIGITREC_CORS_ORIGINS=("*",)).test_client()
    response = client.get("/api/v1/model", headers={"Origin": "https://anywhere.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_cors_and_token_work_together_preflight_without_the_token():
    client = app_with(DIGITREC_CORS_ORIGINS=(ORIGIN,), DIGITREC_API_TOKEN=TOKEN).test_client()
    assert preflight(client).status_code == 204
    refused = client.get("/api/v1/model", headers={"Origin": ORIGIN})
    assert refused.status_code == 401
    # The calling page may read the 401 and its challenge.
    assert refused.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "WWW-Authenticate" in refused.headers["Access-Control-Expose-Headers"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "https://A.example/, http://localhost:8080",
            ("https://a.example", "http://localhost:8080"),
        ),
        ("*", ("*",)),
        ("", ()),
    ],
)
def test_cors_origins_from_the_environment(value, expected):
    assert config.from_environment({"DIGITREC_CORS_ORIGINS": value})["DIGITREC_CORS_ORIGINS"] == (
        expected
    )


@pytest.mark.parametrize("value", ["*, https://a.example", "https://a.example/app", "a.example"])
def test_bad_cors_origins_are_refused_naming_the_variable(value):
    with pytest.raises(config.ConfigError, match="DIGITREC_CORS_ORIGINS"):
        config.from_environment({"DIGITREC_CORS_ORIGINS": value})


# The API token -----------------------------------------------------------------------------


@pytest.fixture
def locked():
    """The app with a token, checking every answer against its own OpenAPI document."""
    return SpecCheckedClient(app_with(DIGITREC_API_TOKEN=TOKEN))


def bearer(token: str = TOKEN, scheme: str = "Bearer") -> dict:
    return {"Authorization": f"{scheme} {token}"}


def test_without_a_token_set_the_api_is_open(client):
    response = client.post("/api/v1/predict", data=SEVEN, content_type="image/png")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/v1/predict"), ("GET", "/api/v1/model"), ("GET", "/metrics")],
)
def test_with_a_token_set_recognition_model_and_metrics_need_it(locked, method, path):
    options = {"data": SEVEN, "content_type": "image/png"} if method == "POST" else {}
    missing = locked.open(path, method, **options)
    assert missing.status_code == 401
    assert missing.mimetype == "application/problem+json"
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="digitrec"'
    assert "Authorization: Bearer" in missing.get_json()["detail"]

    options = {"data": SEVEN, "content_type": "image/png"} if method == "POST" else {}
    wrong = locked.open(path, method, headers=bearer("x" * len(TOKEN)), **options)
    assert wrong.status_code == 401
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]
    assert TOKEN not in wrong.get_data(as_text=True)

    options = {"data": SEVEN, "content_type": "image/png"} if method == "POST" else {}
    assert locked.open(path, method, headers=bearer(), **options).status_code == 200


@pytest.mark.parametrize("path", ["/", "/api", "/api/openapi.json", "/healthz", "/readyz"])
def test_with_a_token_set_pages_docs_and_probes_stay_open(locked, path):
    assert locked.client.get(path).status_code == 200


def test_the_scheme_is_case_insensitive_and_other_schemes_are_refused(locked):
    post = {"data": SEVEN, "content_type": "image/png"}
    ok = locked.post("/api/v1/predict", headers=bearer(scheme="bearer"), **post)
    assert ok.status_code == 200
    post = {"data": SEVEN, "content_type": "image/png"}
    basic = locked.post("/api/v1/predict", headers=bearer(scheme="Basic"), **post)
    assert basic.status_code == 401


def test_the_token_is_compared_in_constant_time(locked, monkeypatch):
    compared = []
    real = security.hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(security.hmac, "compare_digest", spy)
    locked.get("/api/v1/model", headers=bearer("guess-guess-guess-guess"))
    assert compared == [(b"guess-guess-guess-guess", TOKEN.encode())]


def test_the_openapi_document_declares_the_token_only_when_set(locked, client):
    spec = locked.spec
    assert spec["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    predict = spec["paths"]["/api/v1/predict"]["post"]
    assert predict["security"] == [{"bearerToken": []}]
    assert "401" in predict["responses"]
    assert "security" not in spec["paths"]["/healthz"]["get"]
    open_spec = client.get("/api/openapi.json").get_json()
    assert "security" not in open_spec["paths"]["/api/v1/predict"]["post"]
    assert "401" not in open_spec["paths"]["/api/v1/predict"]["post"]["responses"]
    # Reviewing feedback needs the token whether or not recognition does.
    assert open_spec["paths"]["/api/v1/feedback"]["get"]["security"] == [{"bearerToken": []}]
    assert "security" not in open_spec["paths"]["/api/v1/feedback"]["post"]
    assert spec["paths"]["/api/v1/feedback"]["post"]["security"] == [{"bearerToken": []}]


def test_the_api_page_says_when_a_token_is_needed(locked, client):
    assert "Authorization: Bearer" in locked.client.get("/api").get_data(as_text=True)
    open_page = client.get("/api").get_data(as_text=True)
    assert "This server needs a token" not in open_page
    # Only the three routes that review feedback need one on an open server.
    assert open_page.count('class="needs-token"') == 3


def test_the_page_has_a_token_field_only_when_a_token_is_set(locked, client):
    html = locked.client.get("/").get_data(as_text=True)
    assert 'type="password" id="token" name="token"' in html
    assert 'id="token"' not in client.get("/").get_data(as_text=True)


def test_the_form_without_javascript_sends_the_token_as_a_field(locked):
    form = locked.client
    refused = form.post("/", data={"file": (io.BytesIO(SEVEN), "seven.png")})
    assert refused.status_code == 401
    assert refused.mimetype == "text/html"
    assert "token field" in refused.get_data(as_text=True)
    wrong = form.post("/", data={"file": (io.BytesIO(SEVEN), "7.png"), "token": "nope" * 5})
    assert wrong.status_code == 401
    read = form.post("/", data={"file": (io.BytesIO(SEVEN), "seven.png"), "token": TOKEN})
    assert read.status_code == 200
    assert 'id="big-digit">7</output>' in read.get_data(as_text=True)


@pytest.mark.parametrize(
    "value", ["short", "has a space in it somewhere", "          s3cr3t-Q"], ids=str
)
def test_a_weak_token_is_refused_at_start_up_without_echoing_it(value):
    with pytest.raises(config.ConfigError, match="DIGITREC_API_TOKEN") as refused:
        config.from_environment({"DIGITREC_API_TOKEN": value})
    assert value.strip() not in str(refused.value)


@pytest.mark.parametrize("value", ["", "                    ", "\t"], ids=repr)
def test_a_token_set_but_blank_is_refused_rather_than_leaving_the_server_open(value):
    with pytest.raises(config.ConfigError, match="DIGITREC_API_TOKEN is set but blank"):
        config.from_environment({"DIGITREC_API_TOKEN": value})
    assert config.from_environment({})["DIGITREC_API_TOKEN"] is None, "unset: open, as documented"


# Nothing reflected unescaped ---------------------------------------------------------------

HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def assert_not_reflected(text: str) -> None:
    assert "<script>alert" not in text
    assert "<img src=x" not in text


@pytest.mark.parametrize("image", [b"not an image", SEVEN], ids=["text", "seven"])
def test_a_hostile_filename_is_never_reflected(client, image):
    page = client.post("/", data={"file": (io.BytesIO(image), f"{HOSTILE}.png")})
    assert_not_reflected(page.get_data(as_text=True))
    api = client.post(
        "/api/v1/predict",
        data={"file": (io.BytesIO(image), f"{HOSTILE}.png")},
        headers={"Accept": "text/html"},
    )
    assert api.mimetype in ("application/json", "application/problem+json")
    assert_not_reflected(api.get_data(as_text=True))


def test_hostile_paths_queries_and_fields_are_escaped_in_pages(client):
    not_found = client.get(f"/{HOSTILE}", headers={"Accept": "text/html"})
    assert not_found.mimetype == "text/html"
    assert_not_reflected(not_found.get_data(as_text=True))
    page = client.get("/", query_string={"mode": HOSTILE})
    assert_not_reflected(page.get_data(as_text=True))
    form = client.post("/", data={"mode": HOSTILE, "sample": HOSTILE})
    assert_not_reflected(form.get_data(as_text=True))
    api_page = client.get("/api", headers={"Host": f"x{HOSTILE}"})
    assert_not_reflected(api_page.get_data(as_text=True))


def test_a_hostile_query_is_only_ever_echoed_as_json(client):
    response = client.post(
        "/api/v1/predict",
        query_string={"mode": HOSTILE},
        data=SEVEN,
        content_type="image/png",
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
