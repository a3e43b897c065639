"""JSON Schemas of the API's bodies: the components of the OpenAPI document (openapi.py).

`schemas(max_batch)` is the document's components/schemas; `ref(name)` points at one of them.
"""

from __future__ import annotations

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
        "description": "The most likely digit; null when the image holds no digit at all: "
        "no ink, or only a dot.",
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
        "description": "False when the model is unsure, the image is blank or not a digit, or "
        "the mark is too small to have a digit's shape (a dot, a tiny blob).",
    },
}
STEP_NAMES_DESCRIPTION = (
    "What the model sees, in order: the image in grey; for a photo, its light evened out and "
    "what was removed as not the digit (printed lines, the page's edge, shadows, other marks); "
    "the ink map (white on black), the ink cropped to the digit, and the 28x28 model input; "
    "each PNG at most 280 px a side."
)


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def schemas(max_batch: int) -> dict:
    return {
        "Model": {
            "type": "object",
            "required": ["name", "version"],
            "properties": {
                "name": {"type": "string"},
                "version": {"type": "string"},
                "photos_model": {
                    "type": "object",
                    "description": "The model that read the digits found in photos and 1-bit "
                    "scans, where the served model has one beside it; numbers are read by the "
                    "served model.",
                    "required": ["name", "version"],
                    "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
                },
            },
        },
        "Step": {
            "type": "object",
            "required": ["name", "width", "height", "image"],
            "properties": {
                "name": {
                    "type": "string",
                    "examples": ["grey", "light", "removed", "ink", "cropped", "mnist"],
                },
                "width": {"type": "integer", "minimum": 0},
                "height": {"type": "integer", "minimum": 0},
                "image": {"type": "string", "pattern": "^data:image/png;base64,"},
            },
        },
        "DigitResult": {
            "type": "object",
            "required": ["mode", "digit", "confidence", "probabilities", "is_digit", "read_by"],
            "properties": {
                "mode": {"const": "digit"},
                **DIGIT_READING,
                "several_digits": {
                    "type": "boolean",
                    "description": "True when a photo holds other marks like the digit read (the "
                    "most central one): probably a number, which mode=number reads whole.",
                },
                "read_by": {
                    "enum": ["model", "photos_model"],
                    "description": "Which of the answer's `model` entries read the digit: "
                    "`photos_model` for photos and 1-bit scans where the served model has "
                    "one beside it, else `model`.",
                },
                "steps": {
                    "type": "array",
                    "items": ref("Step"),
                    "description": STEP_NAMES_DESCRIPTION + " Only with `steps=1`.",
                },
                "runner_up": {
                    "type": "object",
                    "required": ["digit", "probability"],
                    "description": "The second most likely digit.",
                    "properties": {
                        "digit": {"type": "integer", "minimum": 0, "maximum": 9},
                        "probability": {"type": "number", "minimum": 0, "maximum": 1},
                    },
                },
                "saliency": {
                    "type": "array",
                    "items": {
                        "type": "array",
                        "items": {"type": "number", "minimum": 0, "maximum": 1},
                        "minItems": 28,
                        "maxItems": 28,
                    },
                    "minItems": 28,
                    "maxItems": 28,
                    "description": "Only with `explain=1`, and not for a blank image: rows of "
                    "the 28x28 input, each value the mean drop in the answer's probability "
                    "when a 4x4 patch over that pixel is blanked.",
                },
                "saliency_image": {
                    "type": "string",
                    "pattern": "^data:image/png;base64,",
                    "description": "Only with `explain=1` and `steps=1`: `saliency` as a "
                    "28x28 PNG heatmap (transparent where it is 0) to lay over the input.",
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
            "required": ["mode", "number", "is_number", "confidence", "digits"],
            "properties": {
                "mode": {"const": "number"},
                "number": {
                    "type": "string",
                    "pattern": "^[0-9?]*$",
                    "description": "The digits left to right; '?' where a piece is not a "
                    "digit; empty when there are none.",
                },
                "is_number": {
                    "type": "boolean",
                    "description": "False when any piece is not taken for a digit (a letter, "
                    "a mark), or there are none: the whole number is doubtful.",
                },
                "confidence": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "description": "Probability that every digit is read right: the product "
                    "of the digits' confidences; 0 when there are none.",
                },
                "digits": {"type": "array", "items": ref("NumberDigit")},
                "input": {
                    "type": "object",
                    "required": ["image", "width", "height"],
                    "description": "Only with `steps=1`: the image as the reader saw it, in "
                    "grey, for drawing the boxes on where a client cannot show the file "
                    "itself (a browser and a TIFF). width and height are the original's "
                    "(the boxes' pixels); the PNG is at most 560 px a side.",
                    "properties": {
                        "image": {"type": "string", "pattern": "^data:image/png;base64,"},
                        "width": {"type": "integer", "minimum": 1},
                        "height": {"type": "integer", "minimum": 1},
                    },
                },
            },
        },
        "Result": {"oneOf": [ref("DigitResult"), ref("NumberResult")]},
        "Answer": {
            "description": "One image's answer (one file, a raw body or JSON `image`).",
            "allOf": [
                ref("Result"),
                {
                    "type": "object",
                    "required": ["model", "timing_ms"],
                    "properties": {
                        "model": ref("Model"),
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
                    "items": ref("Result"),
                    "minItems": 1,
                    "maxItems": max_batch,
                },
                "model": ref("Model"),
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
                        "number_threshold": {
                            "type": "number",
                            "description": "is_digit threshold for the pieces of a number "
                            "(mode=number); lower, since beside other digits a piece is "
                            "more likely a digit",
                        },
                        "photo_threshold": {
                            "type": "number",
                            "description": "is_digit threshold for photos and 1-bit scans, "
                            "which are read at three pen widths and their probabilities "
                            "averaged; where a photos model is beside this one, photos are "
                            "judged by its card's",
                        },
                    },
                },
                "evaluation": {"type": "object"},
                "training": {"type": "object"},
                "versions": {"type": "object"},
                "photos_model": {
                    "type": "object",
                    "description": "The card of the model that reads photos and 1-bit scans, "
                    "where the served model has one beside it (more members averaged: better "
                    "on photos, too slow for a canvas read once); its calibration gives their "
                    "confidence and is_digit.",
                },
            },
        },
    }
