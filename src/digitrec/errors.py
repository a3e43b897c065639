"""The kinds of user error digitrec reports, each with the HTTP status it maps to.

Raised by decoding, preprocessing and the API alike; `digitrec.web` turns them into
application/problem+json responses in one place, and the CLI prints their message.
"""

from __future__ import annotations

ACCEPTED_IMAGES = "PNG, JPEG, HEIC, GIF, BMP, WebP or TIFF"


class ModelLoadError(Exception):
    """The model file or its card is missing or unusable; the message names the file and why.
    (Here, not in digitrec.inference, so that a command can catch it without loading ONNX
    Runtime; digitrec.inference raises it and still offers it under its own name.)"""


class RecognitionError(Exception):
    """Base of user-facing errors: `str(error)` says what was wrong and what is accepted."""

    status = 400
    title = "Bad request"
    slug = "bad-request"


class MalformedRequestError(RecognitionError):
    """The request itself is malformed: bad JSON, bad base64, missing field, batch too big."""

    status = 400
    title = "Malformed request"
    slug = "malformed-request"


class ImageTooLargeError(RecognitionError):
    """Too many bytes or too many pixels (decompression bombs)."""

    status = 413
    title = "Image too large"
    slug = "image-too-large"


class NotAnImageError(RecognitionError):
    """The bytes are not an image in a format digitrec reads."""

    status = 415
    title = "Not a supported image"
    slug = "not-an-image"


class UnusableImageError(RecognitionError):
    """A readable image that cannot be read for digits: truncated data, zero size, or (as a
    number) more separate marks than a number has."""

    status = 422
    title = "Unusable image"
    slug = "unusable-image"


class TooMuchWorkError(RecognitionError):
    """A request asks for more reading than one request may do: too many images in number
    mode, or more recognition than the server's time limit per request."""

    status = 422
    title = "Too much to read in one request"
    slug = "too-much-work"


class ServerBusyError(RecognitionError):
    """The server is reading as many pixels, or uploads, as it may at once: try again shortly."""

    status = 503
    title = "Server busy"
    slug = "server-busy"
    retry_after_s = 2
