"""The OpenAPI document: valid JSON Schema, and exactly the routes the app serves."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator

from digitrec.web import create_app, openapi

# Paths for people or files, not part of the JSON API.
NOT_API = {"/", "/api", "/review", "/static/<path:filename>"}


@pytest.fixture
def spec(app):
    with app.app_context():
        return openapi.document(app)


def routed(app) -> set[tuple[str, str]]:
    return {
        (re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule not in NOT_API
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def documented(spec) -> set[tuple[str, str]]:
    return {(path, method) for path, operations in spec["paths"].items() for method in operations}


def test_the_document_is_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1.")
    assert spec["info"]["title"] and spec["info"]["version"]


def test_every_route_is_documented_and_every_documented_route_exists(app, spec):
    assert routed(app) == documented(spec)


@pytest.mark.parametrize("name", openapi._schemas(64))
def test_every_schema_is_valid_json_schema_2020_12(spec, name):
    Draft202012Validator.check_schema(spec["components"]["schemas"][name])


def references(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def test_every_reference_resolves(spec):
    for reference in references(spec):
        assert reference.startswith("#/components/schemas/")
        assert reference.rsplit("/", 1)[1] in spec["components"]["schemas"]


def test_the_document_states_the_configured_limits():
    app = create_app({"TESTING": True, "DIGITREC_MAX_BATCH": 5, "DIGITREC_MAX_UPLOAD_BYTES": 1234})
    with app.app_context():
        spec = openapi.document(app)
    batch = spec["components"]["schemas"]["BatchAnswer"]["properties"]["results"]
    assert batch["maxItems"] == 5
    assert "1,234 bytes" in spec["paths"]["/api/v1/predict"]["post"]["description"]


def test_the_served_document_is_the_document(client, spec):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == spec


def test_the_api_page_shows_every_path_and_problem(client, spec):
    page = client.get("/api").get_data(as_text=True)
    for path in spec["paths"]:
        assert f"<code>{path}</code>" in page
    for slug in ("malformed-request", "image-too-large", "not-an-image", "unusable-image"):
        assert f'id="problem-{slug}"' in page
