"""A Flask test client that checks every answer against the app's own OpenAPI document, and the
small helpers the API tests share."""

from __future__ import annotations

import base64

from jsonschema import Draft202012Validator

from digitrec.web import create_app, openapi


def matches_spec(spec: dict, response, path: str, method: str) -> None:
    """Fail unless the response's status, content type and body are what the spec documents."""
    operation = spec["paths"].get(path, {}).get(method.lower())
    if operation is None:  # an undocumented path or method: only ever a problem
        assert response.status_code in (404, 405), f"{method} {path} is not in the OpenAPI document"
        assert response.mimetype == "application/problem+json"
        schema = {"$ref": "#/components/schemas/Problem"}
    else:
        responses = operation["responses"]
        documented = responses.get(str(response.status_code)) or responses.get("default")
        assert documented, f"{method} {path} answered {response.status_code}, not documented"
        content = documented["content"]
        assert response.mimetype in content, (
            f"{method} {path} {response.status_code} answered {response.mimetype}, "
            f"documented {sorted(content)}"
        )
        schema = content[response.mimetype]["schema"]
    if response.mimetype.endswith("json"):
        validator = Draft202012Validator({**schema, "components": spec["components"]})
        errors = sorted(validator.iter_errors(response.get_json()), key=str)
        assert not errors, f"{method} {path}: {errors[0].message} at {list(errors[0].path)}"


class SpecCheckedClient:
    """Flask's test client, checking every answer against the OpenAPI document."""

    def __init__(self, app):
        self.client = app.test_client()
        with app.app_context():
            self.spec = openapi.document(app)

    def open(self, path, method="GET", **options):
        response = self.client.open(path, method=method, **options)
        matches_spec(self.spec, response, path.split("?")[0], method)
        return response

    def get(self, path, **options):
        return self.open(path, "GET", **options)

    def post(self, path, **options):
        return self.open(path, "POST", **options)


def limited_api(**config) -> SpecCheckedClient:
    """A checked client of an app started with `config` (limits lowered, say)."""
    return SpecCheckedClient(create_app({"TESTING": True, **config}))


def predict_raw(api, image: bytes, query: str = "", content_type: str = "image/png"):
    return api.post(f"/api/v1/predict{query}", data=image, content_type=content_type)


def data_url_bytes(url: str) -> bytes:
    return base64.b64decode(url.removeprefix("data:image/png;base64,"))


def without_timing(answer: dict) -> dict:
    return {key: value for key, value in answer.items() if key != "timing_ms"}
