"""The OpenAPI 3.1 document for the JSON API, served at /api/openapi.json and shown at /api.

Built from the running app's configuration (batch and size limits) so it cannot state limits
the server does not enforce; tests validate every API response against it.
"""

from __future__ import annotations

import flask

from digitrec import __version__
from digitrec.errors import (
    ACCEPTED_IMAGES,
    ImageTooLargeError,
    MalformedRequestError,
    NotAnImageError,
    ServerBusyError,
    TooMuchWorkError,
    UnusableImageError,
)
from digitrec.web import openapi_feedback
from digitrec.web.body import HEAD_DEADLINE_S
from digitrec.web.config import DEFAULT_BODY_TIMEOUT_S
from digitrec.web.problems import PROBLEM_JSON, problem_type
from digitrec.web.review import STORE_EXTENSION as FEEDBACK_EXTENSION
from digitrec.web.schemas import ref
from digitrec.web.schemas import schemas as _schemas  # tests parametrise over it
from digitrec.web.security import token_required

BEARER = "bearerToken"
BEARER_SCHEME = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "description": "The token the server was started with (DIGITREC_API_TOKEN).",
    }
}


def _problem(description: str) -> dict:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": ref("Problem")}}}


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _predict_operation(max_bytes: int, max_batch: int) -> dict:
    binary = {"type": "string", "contentMediaType": "application/octet-stream"}
    return {
        "operationId": "predict",
        "summary": "Read the digit (or number) in one image or a batch",
        "description": (
            f"Send the image as multipart field `file` (repeat the field for a batch), as "
            f"the raw body with an image/* content type, or as JSON. Formats: "
            f"{ACCEPTED_IMAGES}; colour photos welcome. At most {max_bytes:,} bytes per "
            f"request and {max_batch} images per batch. Several `file` fields or JSON "
            f"`images` are answered as `results` in the order sent."
        ),
        "parameters": [
            {
                "name": "mode",
                "in": "query",
                "description": "digit: one digit per image; number: every digit, left to "
                "right; auto: a number when the image holds several digits, else a digit.",
                "schema": {"enum": ["digit", "number", "auto"], "default": "digit"},
            },
            {
                "name": "steps",
                "in": "query",
                "description": "1 to add `steps` to digit answers (what the model sees) and "
                "`input` to number answers (the image read, to draw the boxes on), as PNG "
                "data URLs.",
                "schema": {"enum": ["0", "1", "true", "false"], "default": "0"},
            },
            {
                "name": "explain",
                "in": "query",
                "description": "1 to add `saliency` to digit answers: why this digit, as a "
                "28x28 array over the model's input, each value the drop in the answer's "
                "probability when the pixels around it are blanked (one extra model run per "
                "request); with `steps=1` also `saliency_image`, the map as a PNG heatmap.",
                "schema": {"enum": ["0", "1", "true", "false"], "default": "0"},
            },
        ],
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "array", "items": binary, "maxItems": max_batch}
                        },
                    }
                },
                "image/*": {"schema": binary},
                "application/octet-stream": {"schema": binary},
                "application/json": {"schema": ref("ImageJson")},
            },
        },
        "responses": {
            "200": _json(
                "The answer: one image's, or `results` for a batch.",
                {"oneOf": [ref("Answer"), ref("BatchAnswer")]},
            ),
            "400": _problem(MalformedRequestError.__doc__),
            "408": _problem(
                f"The request did not arrive in time: its head within {HEAD_DEADLINE_S} s, its "
                f"body within {DEFAULT_BODY_TIMEOUT_S} s after (DIGITREC_BODY_TIMEOUT_S)."
            ),
            "413": _problem(ImageTooLargeError.__doc__),
            "415": _problem(NotAnImageError.__doc__ + " Also: a content type not accepted."),
            "422": _problem(UnusableImageError.__doc__ + " Also: " + TooMuchWorkError.__doc__),
            "503": _problem(ServerBusyError.__doc__ + " Retry-After says when."),
            "default": _problem("Any other error, such as 405 or 500, as a problem."),
        },
    }


def _needing_the_token(operation: dict) -> dict:
    """The operation as it is when the server was started with DIGITREC_API_TOKEN."""
    return {
        **operation,
        "security": [{BEARER: []}],
        "responses": {
            **operation["responses"],
            "401": _problem(
                "No token, or the wrong one: send `Authorization: Bearer <token>`. The "
                "`WWW-Authenticate` header says which."
            ),
        },
    }


def document(app: flask.Flask) -> dict:
    """The OpenAPI 3.1 document for this app's configuration (limits, and the token if set)."""
    spec = _document(app)
    if token_required(app):
        for path, method in (("/api/v1/predict", "post"), ("/api/v1/model", "get")):
            spec["paths"][path][method] = _needing_the_token(spec["paths"][path][method])
        spec["paths"]["/metrics"]["get"] = _needing_the_token(spec["paths"]["/metrics"]["get"])
        spec["info"]["description"] += (
            " This server needs a token for recognition, the model card and metrics: send "
            "`Authorization: Bearer <token>`; /healthz, /readyz and this document stay open."
        )
        spec["components"]["securitySchemes"] = BEARER_SCHEME
    if FEEDBACK_EXTENSION in app.extensions:
        config = app.config
        spec["paths"].update(
            openapi_feedback.paths(
                config["DIGITREC_FEEDBACK_MAX_MB"], config["DIGITREC_FEEDBACK_RATE_LIMIT"]
            )
        )
        spec["components"]["securitySchemes"] = BEARER_SCHEME  # reviewing always needs it
        if token_required(app):
            submit = spec["paths"]["/api/v1/feedback"]
            submit["post"] = _needing_the_token(submit["post"])
    return spec


def _document(app: flask.Flask) -> dict:
    max_bytes = app.config["DIGITREC_MAX_UPLOAD_BYTES"]
    max_batch = app.config["DIGITREC_MAX_BATCH"]
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "digitrec API",
            "version": __version__,
            "summary": "Handwritten digit and number recognition.",
            "description": (
                "Send an image of a handwritten digit or number, get the digit, its "
                "confidence and all ten probabilities. Errors are application/problem+json "
                f"(RFC 9457); their `type` is a link such as {problem_type(NotAnImageError.slug)}."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "paths": {
            "/api/v1/predict": {"post": _predict_operation(max_bytes, max_batch)},
            "/api/v1/model": {
                "get": {
                    "operationId": "model",
                    "summary": "The served model's card",
                    "responses": {"200": _json("The model card.", ref("ModelCard"))},
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {"200": _json("OpenAPI 3.1.", {"type": "object"})},
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "healthz",
                    "summary": "Liveness: the process answers",
                    "responses": {
                        "200": _json(
                            "Alive.",
                            {
                                "type": "object",
                                "required": ["status"],
                                "properties": {"status": {"const": "ok"}},
                            },
                        )
                    },
                }
            },
            "/readyz": {
                "get": {
                    "operationId": "readyz",
                    "summary": "Readiness: the model loaded and read a known digit correctly",
                    "responses": {
                        "200": _json(
                            "Ready to answer.",
                            {
                                "type": "object",
                                "required": ["status", "detail", "model"],
                                "properties": {
                                    "status": {"const": "ready"},
                                    "detail": {"type": "string"},
                                    "model": ref("Model"),
                                },
                            },
                        ),
                        "503": _problem("Not ready: the self-test has not passed; says why."),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "operationId": "metrics",
                    "summary": "Prometheus metrics (text format), summed over all workers",
                    "description": "digitrec_http_requests_total{method,route,status}, "
                    "digitrec_http_request_duration_seconds{route} (histogram), "
                    "digitrec_predictions_total{digit,is_digit}, "
                    "digitrec_model_info{name,version} (the model served).",
                    "responses": {
                        "200": {
                            "description": "Prometheus text exposition format 0.0.4.",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
        },
        "components": {"schemas": _schemas(max_batch)},
    }
