"""The feedback routes' part of the OpenAPI document (web/feedback.py, web/review.py)."""

from __future__ import annotations

from digitrec.feedback.labels import MAX_NUMBER_DIGITS

BEARER = "bearerToken"
CORRECTION = {
    "type": "object",
    "required": ["id", "created_at", "mode", "answer", "label", "model", "status"],
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
        "created_at": {"type": "string", "format": "date-time"},
        "mode": {"enum": ["digit", "number"]},
        "answer": {"type": "string", "description": "What the model read; empty for nothing."},
        "label": {"type": "string", "description": "What the sender says was written."},
        "model": {
            "type": "object",
            "required": ["name", "version"],
            "description": "The model whose answer is corrected: for a photo or a 1-bit scan "
            "read in digit mode, the photos model where the served model has one.",
            "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
        },
        "image_bytes": {"type": "integer"},
        "status": {"enum": ["pending", "accepted", "rejected"]},
        "reviewed_at": {"type": ["string", "null"], "format": "date-time"},
    },
}


def _problem(description: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ADMIN_RESPONSES = {
    "401": _problem("No token, or the wrong one: send `Authorization: Bearer <token>`."),
    "403": _problem("The server was started without DIGITREC_API_TOKEN: nobody may review."),
}


def paths(max_mb: int, rate: str) -> dict:
    """The feedback paths, stating the configured size cap and rate limit."""
    admin = {"security": [{BEARER: []}]}
    return {
        "/api/v1/feedback": {
            "post": {
                "operationId": "feedback",
                "summary": "Send a correction: the image, and what was written",
                "description": (
                    "The image in any form predict takes (one image), and `label`: a digit "
                    f"0-9, or with `mode=number` 1-{MAX_NUMBER_DIGITS} digits; `label` and "
                    "`mode` go in the query, the form or the JSON body. Stored: the image as "
                    "sent, the model's answer to it, the label, the mode, the model version "
                    "and the time; no address or cookie. Pending until an administrator "
                    f"reviews it. At most {rate} per client; at most {max_mb} MB of images "
                    "in all."
                ),
                "parameters": [
                    {"name": "label", "in": "query", "schema": {"type": "string"}},
                    {"name": "mode", "in": "query", "schema": {"enum": ["digit", "number"]}},
                ],
                "responses": {
                    "201": _json(
                        "Stored, pending review.",
                        {
                            "type": "object",
                            "required": ["id", "status", "mode", "answer", "label", "model"],
                            "properties": {
                                "id": {"type": "string"},
                                "status": {"const": "pending"},
                                "model": CORRECTION["properties"]["model"],
                            },
                        },
                    ),
                    "400": _problem("No label, a label the mode does not read, or a batch."),
                    "413": _problem("Too large, as for predict."),
                    "415": _problem("Not a supported image, as for predict."),
                    "422": _problem("An image that cannot be read, as for predict."),
                    "429": _problem("Too many corrections from this client; see Retry-After."),
                    "507": _problem("The feedback store is full; nothing was stored."),
                },
            },
            "get": {
                **admin,
                "operationId": "corrections",
                "summary": "Corrections to review, oldest first (administrators)",
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"enum": ["pending", "accepted", "rejected", "all"]},
                    },
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 500}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {
                    "200": _json(
                        "A page of corrections and how many there are.",
                        {
                            "type": "object",
                            "properties": {
                                "total": {"type": "integer"},
                                "corrections": {"type": "array", "items": CORRECTION},
                            },
                        },
                    ),
                    **ADMIN_RESPONSES,
                },
            },
        },
        "/api/v1/feedback/{correction_id}/image": {
            "get": {
                **admin,
                "operationId": "correctionImage",
                "summary": "A correction's image, exactly as it was sent (administrators)",
                "parameters": [
                    {
                        "name": "correction_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": {"description": "The image bytes.", "content": {"image/*": {}}},
                    "404": _problem("No correction has this id."),
                    **ADMIN_RESPONSES,
                },
            }
        },
        "/api/v1/feedback/review": {
            "post": {
                **admin,
                "operationId": "review",
                "summary": "Accept or reject corrections, in bulk (administrators)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "minProperties": 1,
                                "additionalProperties": False,
                                "properties": {
                                    name: {"type": "array", "items": {"type": "string"}}
                                    for name in ("accept", "reject", "pending")
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(
                        "How many changed, and the ids that name no correction.",
                        {
                            "type": "object",
                            "properties": {
                                "changed": {"type": "object"},
                                "unknown": {"type": "array", "items": {"type": "string"}},
                            },
                        },
                    ),
                    "400": _problem("Not an object of id lists."),
                    **ADMIN_RESPONSES,
                },
            }
        },
    }
