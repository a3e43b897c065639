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
    UnusableImageError,
)
from digitrec.web.problems import PROBLEM_JSON, problem_type
from digitrec.web.security import token_required

BEARER = "bearerToken"

PROBABILITIES = {
    "type": "array",
    "items": {"type": "number", "minimum": 0, "maximum": 1},
    "minItems": 10,
    "maxItems": 10,
    "description": "Calibrated probability of each digit, 0 to 9 in order.",
}
DIGIT_READING = {
    "digit": {
        "type": ["integer", "null"],
        "minimum": 0,
        "maximum": 9,
        "description": "The most likely digit; null when the image holds no ink at all.",
    },
    "confidence": {
        "type": "number",
        "minimum": 0,
        "maximum": 1,
        "description": "Calibrated probability of `digit` (0 when there is none).",
    },
    "probabilities": PROBABILITIES,
    "is_digit": {
        "type": "boolean",
        "description": "False when the model is unsure or the image is blank or not a digit.",
    },
}
STEP_NAMES_DESCRIPTION = (
    "What the model sees, in order: the image in grey, the ink map (white on black), the "
    "ink cropped to the digit, and the 28x28 model input; each PNG at most 280 px a side."
)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _schemas(max_batch: int) -> dict:
    return {
        "Model": {
            "type": "object",
            "required": ["name", "version"],
            "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
        },
        "Step": {
            "type": "object",
            "required": ["name", "width", "height", "image"],
            "properties": {
                "name": {"type": "string", "examples": ["grey", "ink", "cropped", "mnist"]},
                "width": {"type": "integer", "minimum": 0},
                "height": {"type": "integer", "minimum": 0},
                "image": {"type": "string", "pattern": "^data:image/png;base64,"},
            },
        },
        "DigitResult": {
            "type": "object",
            "required": ["mode", "digit", "confidence", "probabilities", "is_digit"],
            "properties": {
                "mode": {"const": "digit"},
                **DIGIT_READING,
                "steps": {
                    "type": "array",
                    "items": _ref("Step"),
                    "description": STEP_NAMES_DESCRIPTION + " Only with `steps=1`.",
                },
            },
        },
        "NumberDigit": {
            "type": "object",
            "required": ["box", "digit", "confidence", "probabilities", "is_digit"],
            "properties": {
                "box": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 0},
                    "minItems": 4,
                    "maxItems": 4,
                    "description": "[x, y, width, height] in the original image's pixels.",
                },
                **DIGIT_READING,
            },
        },
        "NumberResult": {
            "type": "object",
            "required": ["mode", "number", "digits"],
            "properties": {
                "mode": {"const": "number"},
                "number": {
                    "type": "string",
                    "pattern": "^[0-9?]*$",
                    "description": "The digits left to right; '?' where a piece is not a "
                    "digit; empty when there are none.",
                },
                "digits": {"type": "array", "items": _ref("NumberDigit")},
            },
        },
        "Result": {"oneOf": [_ref("DigitResult"), _ref("NumberResult")]},
        "Answer": {
            "description": "One image's answer (one file, a raw body or JSON `image`).",
            "allOf": [
                _ref("Result"),
                {
                    "type": "object",
                    "required": ["model", "timing_ms"],
                    "properties": {
                        "model": _ref("Model"),
                        "timing_ms": {"type": "number", "minimum": 0},
                    },
                },
            ],
        },
        "BatchAnswer": {
            "description": "Several `file` fields or JSON `images`: the answers in order.",
            "type": "object",
            "required": ["results", "model", "timing_ms"],
            "additionalProperties": False,
            "properties": {
                "results": {
                    "type": "array",
                    "items": _ref("Result"),
                    "minItems": 1,
                    "maxItems": max_batch,
                },
                "model": _ref("Model"),
                "timing_ms": {"type": "number", "minimum": 0},
            },
        },
        "ImageJson": {
            "type": "object",
            "properties": {
                "image": {
                    "type": "string",
                    "description": "The image as base64 (standard or URL-safe) or a data: URL.",
                },
                "images": {
                    "type": "array",
                    "items": {"type": "string"},
                    "minItems": 1,
                    "maxItems": max_batch,
                    "description": "A batch: base64 strings or data: URLs, answered in order.",
                },
            },
            "oneOf": [{"required": ["image"]}, {"required": ["images"]}],
        },
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem details.",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string", "format": "uri-reference"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "instance": {"type": "string", "format": "uri-reference"},
                "accepted": {
                    "type": "object",
                    "description": "What the server accepts, on 400, 413, 415 and 422.",
                    "required": ["formats", "content_types", "max_bytes", "max_batch"],
                    "properties": {
                        "formats": {"type": "string"},
                        "content_types": {"type": "array", "items": {"type": "string"}},
                        "max_bytes": {"type": "integer"},
                        "max_batch": {"type": "integer"},
                        "max_pixels": {
                            "type": "integer",
                            "description": "Largest image, width times height.",
                        },
                        "min_side": {
                            "type": "integer",
                            "description": "Shortest side read, in pixels (smaller: 422).",
                        },
                        "max_side": {
                            "type": "integer",
                            "description": "Longest side read, in pixels (longer: 413).",
                        },
                    },
                },
            },
        },
        "ModelCard": {
            "type": "object",
            "description": "The model card (model.json) of the served model.",
            "required": ["name", "version", "architecture", "input", "labels", "calibration"],
            "properties": {
                "name": {"type": "string"},
                "version": {"type": "string"},
                "architecture": {"type": "string"},
                "parameters": {"type": "integer"},
                "input": {"type": "object"},
                "output": {"type": "object"},
                "labels": {"type": "array", "items": {"type": "string"}},
                "calibration": {
                    "type": "object",
                    "required": ["temperature", "threshold"],
                    "properties": {
                        "temperature": {"type": "number"},
                        "threshold": {"type": "number"},
                    },
                },
                "evaluation": {"type": "object"},
                "training": {"type": "object"},
                "versions": {"type": "object"},
            },
        },
    }


def _problem(description: str) -> dict:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": _ref("Problem")}}}


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
                "description": "1 to add `steps` to digit answers: what the model sees, "
                "as PNG data URLs.",
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
                "application/json": {"schema": _ref("ImageJson")},
            },
        },
        "responses": {
            "200": _json(
                "The answer: one image's, or `results` for a batch.",
                {"oneOf": [_ref("Answer"), _ref("BatchAnswer")]},
            ),
            "400": _problem(MalformedRequestError.__doc__),
            "413": _problem(ImageTooLargeError.__doc__),
            "415": _problem(NotAnImageError.__doc__ + " Also: a content type not accepted."),
            "422": _problem(UnusableImageError.__doc__),
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
        spec["components"]["securitySchemes"] = {
            BEARER: {
                "type": "http",
                "scheme": "bearer",
                "description": "The token the server was started with (DIGITREC_API_TOKEN).",
            }
        }
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
                    "responses": {"200": _json("The model card.", _ref("ModelCard"))},
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
                                    "model": _ref("Model"),
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
                    "digitrec_predictions_total{digit,is_digit}.",
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
