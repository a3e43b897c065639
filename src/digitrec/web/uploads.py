"""A request -> the image bytes it carries, in order, whichever way they were sent.

Accepted: multipart field `file` (repeated for a batch), an image/* (or octet-stream) body, or
JSON {"image": ...} / {"images": [...]} holding base64 or data: URLs. Nothing is decoded as an
image here: that, and its errors, belong to the recogniser.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

import flask

from digitrec.errors import MalformedRequestError, NotAnImageError
from digitrec.web.body import release_body

RAW_IMAGE_TYPES = ("application/octet-stream",)
# Scheme, media type and parameters are all case-insensitive (RFC 2397, RFC 2045).
DATA_URL = re.compile(
    r"^data:(?P<type>[\w.+/-]*)(?P<params>(;[\w.+-]+(=[\w.+-]*)?)*),", re.ASCII | re.IGNORECASE
)


@dataclass(frozen=True)
class Upload:
    images: list[bytes]
    is_batch: bool  # answer with {"results": [...]} even for one image


def images_from_request(request: flask.Request, max_batch: int) -> Upload:
    """The request's images; raises MalformedRequestError or NotAnImageError (wrong type)."""
    mimetype = request.mimetype
    if mimetype == "multipart/form-data":
        upload = _from_multipart(request, max_batch)
    elif mimetype == "application/json":
        upload = _from_json(request, max_batch)
    elif mimetype.startswith("image/") or mimetype in RAW_IMAGE_TYPES:
        body = request.get_data(cache=False)
        if not body:
            raise MalformedRequestError("the request body is empty: send the image's bytes")
        upload = Upload([body], is_batch=False)
    elif not mimetype:
        raise MalformedRequestError(
            "no Content-Type: send multipart/form-data with a `file` field, an image/* body, "
            "or JSON with an `image` field"
        )
    else:
        raise NotAnImageError(
            f"Content-Type {mimetype} is not accepted: send multipart/form-data with a `file` "
            "field, an image/* body, or JSON with an `image` field"
        )
    release_body(request.environ)
    return upload


def _check_batch(count: int, max_batch: int) -> None:
    """Counted before anything is decoded, so a huge batch costs nothing to refuse."""
    if count > max_batch:
        raise MalformedRequestError(
            f"{count} images in one request; the limit is {max_batch} per request"
        )


def _from_multipart(request: flask.Request, max_batch: int) -> Upload:
    files = [file for file in request.files.getlist("file") if file.filename or file.content_length]
    if not files:
        raise MalformedRequestError("no image in the form: attach it as the multipart field `file`")
    _check_batch(len(files), max_batch)
    images = []
    for file in files:
        images.append(file.read())
        file.close()  # its in-memory copy is not needed beside the bytes read from it
    for position, image in enumerate(images, start=1):
        if not image:
            where = f"file {position} of {len(images)}" if len(images) > 1 else "the file"
            raise MalformedRequestError(f"{where} in the form is empty: attach the image's bytes")
    return Upload(images, is_batch=len(images) > 1)


def _from_json(request: flask.Request, max_batch: int) -> Upload:
    try:
        body = json.loads(request.get_data(cache=False))
    except RecursionError:  # nested deeper than Python's parser goes: not an image request
        body = None
    except ValueError:  # not JSON, or not UTF-8
        raise MalformedRequestError(
            'the body is not valid JSON: send {"image": "<base64>"} or {"images": [...]}'
        ) from None
    if not isinstance(body, dict):
        raise MalformedRequestError(
            'the body is not a JSON object: send {"image": "<base64>"} or {"images": [...]}'
        )
    if "image" in body and "images" in body:
        raise MalformedRequestError(
            'send either "image" (one image) or "images" (a batch), not both'
        )
    if "image" in body:
        return Upload([decode_base64(body["image"], "image")], is_batch=False)
    if "images" in body:
        images = body["images"]
        if not isinstance(images, list) or not images:
            raise MalformedRequestError('"images" must be a non-empty list of base64 strings')
        _check_batch(len(images), max_batch)
        return Upload(
            [decode_base64(image, f"images[{i}]") for i, image in enumerate(images)],
            is_batch=True,
        )
    raise MalformedRequestError('the JSON object has neither "image" nor "images"')


def decode_base64(text: object, field: str) -> bytes:
    """Standard or URL-safe base64, bare or as a data: URL; whitespace is ignored."""
    if not isinstance(text, str):
        raise MalformedRequestError(f'"{field}" must be a string of base64 or a data: URL')
    text = text.strip()
    match = DATA_URL.match(text)
    if match:
        if ";base64" not in match["params"].lower():
            raise MalformedRequestError(f'"{field}" is a data: URL without ;base64')
        text = text[match.end() :]
    text = "".join(text.split())
    text += "=" * (-len(text) % 4)
    try:
        image = base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedRequestError(f'"{field}" is not valid base64') from None
    if not image:
        raise MalformedRequestError(f'"{field}" is empty')
    return image
