"""Image file bytes -> a Pillow image, refusing anything that is not one or is too big to read.

`decode_image` reads PNG, JPEG, HEIC (a phone's photos, through pillow-heif), GIF (first frame),
BMP, WebP and TIFF, applies the orientation the camera recorded,
and checks the pixel count and the longer side from the header before any pixel is decoded.
Everything it refuses is a `digitrec.errors.RecognitionError` that says what was wrong and what
is accepted; whatever the bytes, it raises nothing else.
"""

from __future__ import annotations

import contextlib
import functools
import io
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from digitrec.errors import (
    ACCEPTED_IMAGES,
    ImageTooLargeError,
    NotAnImageError,
    UnusableImageError,
)
from digitrec.imaging.png import read_plain_png
from digitrec.imaging.png_bands import read_reduced_png
from digitrec.imaging.reduce import mark_working_copy, working_factor
from digitrec.imaging.sizes import LARGE_LONG_SIDE

# A 4000x3000 photo is 12 megapixels; 32 leaves room for 24 MP cameras, panoramas and A4 scans
# up to 550 dpi but stops bombs. It also bounds a request's memory: Pillow holds a decoded colour
# image at 4 bytes a pixel, and everything after decoding works on a reduced copy, so the worst
# accepted image (32 MP RGB or RGBA) costs about 128 MB plus a few.
MAX_PIXELS = 32_000_000
# An image file bigger than this is refused before it is read through: an uncompressed RGBA image
# at the pixel limit, with room for its headers (the CLI may be pointed at /dev/zero).
MAX_FILE_BYTES = 4 * MAX_PIXELS + (1 << 20)
# Decoding and every later pass cost something per row as well as per pixel: a 1x31,999,999
# strip is within MAX_PIXELS yet takes seconds. No photo, scan (A4 at 1200 dpi is 14,032 px
# long) or canvas has a side this long, and with it the rows of any image are bounded too.
MAX_SIDE = 20_000
# A digit needs some pixels to be drawn in: smaller than this on either side there is nothing to
# read (and the photo path's statistics would have no neighbouring pixels to work from).
MIN_SIDE = 8
# Pillow's own decompression-bomb guard is process-wide, warns below its limit and raises its own
# types above it. decode_image enforces a per-call limit from the header instead, before any pixel
# is allocated, so Pillow's guard is switched off here on purpose rather than left half-working.
Image.MAX_IMAGE_PIXELS = None
# Pillow format names digitrec reads (phones' multi-picture JPEGs come through "JPEG" as MPO).
# HEIF is what iPhones and many Android phones save their photos as; Pillow reads it once
# pillow-heif has registered its opener (`formats_for`), which reads a file's size from its
# header, as Pillow's own do, and applies the rotation the camera recorded while decoding.
# AVIF is not read: its decoder decodes the whole coded frame, however large, and scales it to
# the size the header declares, so that size bounds nothing.
DECODERS = ("PNG", "JPEG", "HEIF", "GIF", "BMP", "WEBP", "TIFF")
# The brands of an ISO media file ("ftyp" at byte 4, then its major brand, a version and its
# compatible brands) that name a HEIF image (or a sequence of them), and those that name AVIF.
_HEIF_BRANDS = {
    *(b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"),
    *(b"hevc", b"hevx", b"hevm", b"hevs"),
}
_AVIF_BRANDS = {b"avif", b"avis"}
_SIGNATURES = {
    b"\x89PNG": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF8": "GIF",
    b"BM": "BMP",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
}
_NOT_IMAGES = {
    b"%PDF": "a PDF document",
    b"<svg": "an SVG drawing (vector images are not supported)",
    b"<?xml": "an XML document (SVG is not supported)",
    b"<!doctype html": "an HTML page",
    b"<html": "an HTML page",
    b"PK\x03\x04": "a ZIP archive",
}


def _reject_unknown(data: bytes) -> NotAnImageError:
    head = bytes(data[:512]).lstrip().lower()
    for signature, kind in _NOT_IMAGES.items():
        if head.startswith(signature.lower()) or (signature == b"<svg" and b"<svg" in head):
            return NotAnImageError(f"this is {kind}, not an image; send a {ACCEPTED_IMAGES} image")
    return NotAnImageError(
        f"not an image in a format digitrec reads; send a {ACCEPTED_IMAGES} image"
    )


def _sniff(data: bytes) -> str | None:
    """The accepted format these bytes claim to be, from their first bytes; None if none."""
    for signature, name in _SIGNATURES.items():
        if data.startswith(signature):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIC"
    return None


def formats_for(data: bytes) -> list[str]:
    """The Pillow formats to try on `data` (of DECODERS, HEIF only for a HEIC)."""
    return _formats_for_claim(_sniff(data))


def _formats_for_claim(claimed: str | None) -> list[str]:
    """`formats_for` a file whose first bytes claim `claimed` (`_sniff`): pillow-heif's opener
    is registered the first time a HEIC comes, so that a worker that never reads one never
    loads libheif (5 MB)."""
    if claimed == "HEIC":
        _register_heif_opener()
        return list(DECODERS)
    return [name for name in DECODERS if name != "HEIF"]


@functools.cache
def _register_heif_opener() -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()


def _media_brands(data: bytes) -> set[bytes]:
    """The major and compatible brands of an ISO media file's "ftyp" box; empty if none."""
    if data[4:8] != b"ftyp":
        return set()
    size = int.from_bytes(data[:4], "big")
    box = data[8 : min(max(size, 16), 256)]
    return {box[0:4]} | {box[i : i + 4] for i in range(8, len(box) - 3, 4)}


def _media_cut_short(data: bytes) -> bool:
    """Whether an ISO media file's top-level boxes run past its end: a HEIC cut short. libheif
    refuses a single picture whose data is missing, but fills a missing tile of a grid (every
    iPhone photo is a grid of 512x512 tiles) with a flat colour and answers as if complete."""
    offset = 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        if size == 1:  # a 64-bit size follows the type
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        elif size == 0:  # the last box, to the end of the file
            return False
        if size < 8:  # not a box: what follows is libheif's to judge
            return False
        offset += size
    return offset > len(data)


def decode_image(
    data: bytes,
    max_pixels: int = MAX_PIXELS,
    max_side: int = MAX_SIDE,
    reduce_large: bool = False,
) -> Image.Image:
    """Bytes of a PNG, JPEG, HEIC, GIF (first frame), BMP, WebP or TIFF -> a loaded Pillow image.

    The orientation the camera recorded is applied. A colour JPEG longer than 1024 px comes
    back grey ("L", its luma), and so do a drawing pad's opaque grey RGBA PNG and its black
    strokes on transparent (laid over white): grey is all that recognition reads of them. Raises NotAnImageError for
    anything else (SVG, PDF, HTML, text), ImageTooLargeError when the header declares more than
    `max_pixels` pixels or a side longer than `max_side` (both checked before any pixel is
    decoded) and UnusableImageError for truncated or corrupt pixel data or a side shorter than
    `MIN_SIDE` (8) pixels. Never anything else, whatever the bytes.

    With `reduce_large`, a PNG at least twice LARGE_LONG_SIDE long may come back as the working
    copy preprocessing would reduce it to, decoded a band at a time (`png_bands`) so that its
    whole decoding is never held, and marked as such (`reduce.mark_working_copy`):
    `to_mnist_style` reads it as it would the whole image. For callers that only recognise it.
    """
    data = bytes(data)
    if not data:
        raise NotAnImageError(f"the file is empty; send a {ACCEPTED_IMAGES} image")
    # A drawing pad's PNG, the commonest upload, has a faster reader; it declines everything
    # else (and everything out of bounds), which then takes Pillow's path below as always.
    plain = read_plain_png(data, max_pixels, max_side, MIN_SIDE)
    if plain is not None:
        return plain
    claimed = _sniff(data)
    if _media_brands(data) & _AVIF_BRANDS:
        raise NotAnImageError(
            f"this is an AVIF image, which digitrec does not read; send a {ACCEPTED_IMAGES} image"
        )
    try:
        image = Image.open(io.BytesIO(data), formats=_formats_for_claim(claimed))
    except UnidentifiedImageError:
        if claimed:
            raise UnusableImageError(
                f"the {claimed} header is corrupt or cut short; send a complete "
                f"{ACCEPTED_IMAGES} image"
            ) from None
        raise _reject_unknown(data) from None
    except Exception as error:  # Pillow's parsers raise many untyped errors on hostile headers
        if "too large" in str(error).lower():  # Pillow's caps on text chunks and ICC profiles
            raise ImageTooLargeError(
                "the image's metadata (text or colour profile) is too large to read; send the "
                f"{ACCEPTED_IMAGES} image without it"
            ) from None
        raise UnusableImageError(
            f"the image header is corrupt; send a complete {ACCEPTED_IMAGES} image"
        ) from None
    width, height = image.size
    if max(width, height) >= 1 << 31:  # a negative size read as unsigned (BMP allows a sign)
        raise UnusableImageError(
            f"the image header declares an impossible size; send a complete {ACCEPTED_IMAGES} image"
        )
    # A TIFF may declare decoding tiles bigger than the image itself; those get allocated too.
    tile_width, tile_height = getattr(image, "_tile_size", None) or image.size
    pixels = max(width * height, tile_width * tile_height)
    if pixels > max_pixels:
        raise ImageTooLargeError(
            f"image is {width}x{height} pixels ({pixels / 1e6:.1f} megapixels); the limit is "
            f"{max_pixels / 1e6:g} megapixels. Send a smaller {ACCEPTED_IMAGES} image"
        )
    if max(width, height, tile_width, tile_height) > max_side:
        raise ImageTooLargeError(
            f"image is {width}x{height} pixels; no side may be longer than {max_side:,} pixels "
            f"(and {max_pixels / 1e6:g} megapixels in all). Send a smaller {ACCEPTED_IMAGES} "
            "image"
        )
    if width < MIN_SIDE or height < MIN_SIDE:
        raise UnusableImageError(
            f"image is {width}x{height} pixels; digitrec needs at least {MIN_SIDE}x{MIN_SIDE} "
            f"pixels to read a digit. Send a bigger {ACCEPTED_IMAGES} image"
        )
    if image.format in ("JPEG", "MPO") and _is_cut_short(data, width, height):
        # libjpeg fills whatever the scan lacks with grey, so Pillow would decode every pixel a
        # few hundred bytes claim (30 megapixels from 380 bytes) and answer as if nothing lacked.
        raise UnusableImageError(
            f"the JPEG pixel data is truncated: {len(data):,} bytes cannot hold {width}x{height} "
            f"pixels; send a complete {ACCEPTED_IMAGES} image"
        )
    if image.format == "HEIF" and _media_cut_short(data):
        raise UnusableImageError(
            f"the HEIC is cut short: its boxes run past its {len(data):,} bytes; send a complete "
            f"{ACCEPTED_IMAGES} image"
        )
    factor = working_factor(image.size)
    if reduce_large and factor > 1 and image.format == "PNG":
        reduced = read_reduced_png(data, image, factor)
        if reduced is not None:
            return mark_working_copy(reduced, factor, image.size)
    if image.format in ("JPEG", "MPO") and max(width, height) > LARGE_LONG_SIDE:
        with contextlib.suppress(Exception):  # only YCbCr JPEGs have a luma-only decoding
            image.draft("L", image.size)
    try:
        image.load()
    except Exception as error:  # truncated data: OSError, SyntaxError, ValueError, EOFError...
        raise UnusableImageError(
            f"the {image.format or 'image'} pixel data is truncated or corrupt "
            f"({str(error).strip()}); send a "
            f"complete {ACCEPTED_IMAGES} image"
        ) from None
    if image.mode in ("P", "PA") and image.palette is None:
        # Colour indices with no colours to look them up in (a PNG of colour type 3 without its
        # PLTE chunk): Pillow reads the indices, then fails on any later use of the image.
        raise UnusableImageError(
            f"the {image.format or 'image'} is a palette image without its palette; send a "
            f"complete {ACCEPTED_IMAGES} image"
        )
    # A corrupt EXIF block leaves the pixels fine: they are then used as they were sent. In
    # place, because otherwise an image without an orientation comes back as a full-size copy.
    with contextlib.suppress(Exception):
        ImageOps.exif_transpose(image, in_place=True)
    return image


def as_image(
    image: bytes | Image.Image, max_pixels: int = MAX_PIXELS, reduce_large: bool = False
) -> Image.Image:
    """Image file bytes (decoded by `decode_image`) or a Pillow image (as it is) -> an image."""
    if isinstance(image, Image.Image):
        return image
    if isinstance(image, bytes | bytearray | memoryview):
        return decode_image(image, max_pixels, reduce_large=reduce_large)
    raise TypeError(f"expected image bytes or a PIL image, not {type(image).__name__}")


def _is_cut_short(data: bytes, width: int, height: int) -> bool:
    """Whether a JPEG lacks its end marker (FFD9 after the last scan, FFDA) or has fewer bits
    than its 8x8 blocks of luma: a Huffman-coded scan spends at least one bit on each block's
    DC coefficient, whatever the tables."""
    ends = data.rfind(b"\xff\xd9") > data.rfind(b"\xff\xda") >= 0
    return not ends or len(data) * 8 < (width // 8) * (height // 8)


def read_image_file(path: str | Path) -> bytes:
    """A file's bytes, read no further than MAX_FILE_BYTES (ImageTooLargeError beyond);
    OSError for a missing file, a directory or no permission."""
    with open(path, "rb") as file:
        content = file.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise ImageTooLargeError(
            f"the file is over {MAX_FILE_BYTES // (1 << 20)} MB: digitrec reads images up to "
            f"{MAX_PIXELS // 1_000_000} megapixels"
        )
    return content
