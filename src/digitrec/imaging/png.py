"""A fast reader for the plain PNGs that drawing pads send; everything else is left to Pillow.

A browser's canvas.toBlob("image/png") is an 8-bit, non-interlaced grey or RGB(A) PNG with
nothing but IHDR, IDAT and IEND chunks (Chromium's: RGBA, zlib level 1, the Up filter on every
row). Pillow inflates such a file with the system zlib and unfilters it a byte at a time, which
takes about as long as the model itself. Here zlib-ng inflates it
(several times faster); when every row is filtered Up, the browser's case, the rows are summed
down the columns with a few dozen whole-row numpy additions, and any other filters are undone
by Pillow's own decoder, fed stored (uncompressed) deflate blocks so that it has nothing left
to inflate.

`read_plain_png` returns None for anything it does not fully vouch for (other colour types or
depths, interlacing, any other chunk, a bad CRC, a zlib stream that is corrupt, short, long or
followed by junk, an unknown filter, too many pixels): the caller then decodes the bytes with
Pillow, so errors and every other behaviour stay Pillow's. What it does return
is pixel for pixel what Pillow would have decoded, with two exceptions, each the "L" image that
is all recognition reads of it, for a quarter of the work: an opaque RGBA canvas whose every
pixel is grey (the page's black ink on white) comes back as its grey levels, and black strokes
on a transparent canvas (a drawing pad's transparent export) as laid over white. Of any other
RGBA image it keeps the range of the alpha channel, found while the rows are at hand
(`known_alpha_range`): preprocessing asks that first, and an opaque canvas then never has its
alpha channel taken out.
"""

from __future__ import annotations

import struct

import numpy as np
from PIL import Image, ImageChops
from zlib_ng import zlib_ng

from digitrec.imaging.sizes import LARGE_LONG_SIDE

SIGNATURE = b"\x89PNG\r\n\x1a\n"
# 8-bit colour types -> Pillow mode (grey, RGB, grey + alpha, RGBA); palettes and 16-bit go to
# Pillow, which knows their quirks (tRNS, sBIT, byte order).
_MODES = {0: "L", 2: "RGB", 4: "LA", 6: "RGBA"}
_FILTER_NONE, _FILTER_UP, _LAST_FILTER = 0, 2, 4
# The inflated rows and the decoded image are held together here, twice what Pillow's streaming
# decoder holds: beyond a few megapixels (no canvas is that big) Pillow's memory bound wins.
MAX_FAST_PIXELS = 4_000_000
# Rows per band when summing Up rows: fewer bands mean fewer numpy calls down each band, more
# mean more of them for the carries; 6-8 is quickest from 280 to 600 rows.
_BAND = 8
_STORED_BLOCK = 0xFFFF  # the longest stored deflate block
_ZLIB_HEADER = b"\x78\x01"  # deflate, 32 KB window, no preset dictionary


def chunks(data: bytes | memoryview):
    """(type, body) of each chunk after the signature, in order; a chunk cut short or with a
    bad CRC, and bytes after the last whole chunk, end it with (b"", b"") (an empty type no
    chunk has). Bodies are slices of `data`: views, not copies, of a memoryview."""
    position = len(SIGNATURE)
    while position + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, position)
        end = position + 12 + length
        if end > len(data):
            break
        kind = bytes(data[position + 4 : position + 8])
        body = data[position + 8 : end - 4]
        if zlib_ng.crc32(body, zlib_ng.crc32(kind)) != struct.unpack_from(">I", data, end - 4)[0]:
            break
        yield kind, body
        position = end
    if position != len(data):
        yield b"", b""


def _plain_layout(data: bytes) -> tuple[bytes, bytes] | None:
    """(IHDR body, the IDAT bodies joined) of a file holding exactly IHDR, IDAT..., IEND."""
    if not data.startswith(SIGNATURE):
        return None
    kinds, idat, header = [], [], b""
    for kind, body in chunks(data):
        if kind == b"IDAT":
            idat.append(body)
        elif kind == b"IHDR":
            header = body
        kinds.append(kind)
    if kinds[:1] != [b"IHDR"] or kinds[-1:] != [b"IEND"] or len(kinds) != len(idat) + 2:
        return None
    return header, b"".join(idat)


def _inflated(stream: bytes, expected: int) -> bytes | None:
    """The zlib stream inflated, if it ends cleanly at exactly `expected` bytes."""
    inflater = zlib_ng.decompressobj()
    try:
        rows = inflater.decompress(stream, expected + 1)
    except zlib_ng.error:
        return None
    if len(rows) != expected or not inflater.eof or inflater.unused_data:
        return None
    return rows


def read_plain_png(data: bytes, max_pixels: int, max_side: int, min_side: int):
    """A plain 8-bit PNG -> the loaded Pillow image Pillow would decode (or its grey levels, for
    an opaque grey canvas filtered Up); None for anything else.

    Sizes outside the caller's limits are also None, so that Pillow's path refuses them in its
    own words.
    """
    layout = _plain_layout(data)
    if layout is None or len(layout[0]) != 13:
        return None
    header, stream = layout
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", header
    )
    mode = _MODES.get(colour)
    if mode is None or depth != 8 or compression or filtering or interlace:
        return None
    if not min_side <= min(width, height) <= max(width, height) <= max_side:
        return None
    if width * height > min(max_pixels, MAX_FAST_PIXELS):
        return None
    row_bytes = width * len(mode)
    rows = _inflated(stream, height * (row_bytes + 1))
    if rows is None:
        return None
    scanlines = np.frombuffer(rows, np.uint8).reshape(height, row_bytes + 1)
    filters = scanlines[:, 0]
    if int(filters.max()) > _LAST_FILTER:
        return None
    all_up = bool((filters[1:] == _FILTER_UP).all()) and filters[0] in (_FILTER_NONE, _FILTER_UP)
    drawn = _black_ink_over_white(scanlines, all_up) if mode == "RGBA" else None
    if drawn is not None:
        image = drawn
    elif all_up:
        filtered = scanlines[:, 1:]
        grey = _opaque_grey_levels(filtered) if mode == "RGBA" else None
        if grey is None:
            image = _summed_down_columns(filtered, mode)
        else:
            image = _summed_down_columns(grey, "L")
    else:
        image = _decoded_by_pillow(rows, mode, (width, height))
    image.format = "PNG"
    return image


def _black_ink_over_white(scanlines: np.ndarray, all_up: bool) -> Image.Image | None:
    """RGBA scanlines of black strokes on a transparent canvas (every colour byte 0, the drawing
    in the alpha channel alone) -> the "L" image of it laid over white paper, 255 - alpha;
    None for any other picture, and for one with no pixel even half opaque (grey_of's empty
    page), or longer than LARGE_LONG_SIDE.

    Every filter predicts a byte from bytes of the same channel (left, above, above left), so
    colour bytes that are all 0 once filtered are all 0 unfiltered too, and the alpha bytes
    behind each row's filter byte are the rows of a grey PNG: a quarter of the bytes to undo
    the filters of (Pillow's byte-wise Paeth unfiltering is the slowest step of a transparent
    canvas). Laid over white is what `preprocess.grey_of` makes of dark ink in one colour, to
    the level: its composite table for black over white is 255 - alpha.
    """
    height, row_bytes = scanlines.shape
    # The first pixel is stored as it is under every filter: a canvas whose corner is painted
    # (any paper, black included) is no transparent drawing, and need not be looked at further.
    if scanlines[0, 1:5].any() or max(height, row_bytes // 4) > LARGE_LONG_SIDE:
        return None
    alpha_rows = np.empty((height, row_bytes // 4 + 1), np.uint8)
    alpha_rows[:, 0] = scanlines[:, 0]
    alpha_rows[:, 1:] = scanlines[:, 4::4]
    if np.count_nonzero(scanlines) != np.count_nonzero(alpha_rows):
        return None  # some colour byte is not 0
    size = (row_bytes // 4, height)
    if all_up:
        alpha = _summed_down_columns(alpha_rows[:, 1:], "L")
    else:
        alpha = _decoded_by_pillow(memoryview(alpha_rows).cast("B"), "L", size)
    if int(np.asarray(alpha).max()) < 128:
        return None
    return ImageChops.invert(alpha)


def _summed_down_columns(filtered: np.ndarray, mode: str) -> Image.Image:
    """Rows all filtered Up (the first may say None: the row above it counts as zeros) -> the
    image: each byte is the running sum, modulo 256, of its column down to it.

    numpy's cumulative sum down axis 0 goes a byte at a time; this adds whole rows instead.
    The rows are cut into bands of _BAND rows and row i of every band is added into row i + 1
    at once; the bands' last rows are then summed down by doubling (log2 of the number of
    bands additions) and each band adds the sum of the bands above it. All of it in the one
    buffer that becomes the image (L and RGBA are stored as they are; RGB and LA are copied).
    """
    height, row_bytes = filtered.shape
    bands = -(-height // _BAND)
    pixels = np.empty((bands * _BAND, row_bytes), np.uint8)
    source = filtered
    if height % _BAND:  # the last band is made whole with rows of zeros
        pixels[:height] = filtered
        pixels[height:] = 0
        source = pixels
    by_band = pixels.reshape(bands, _BAND, row_bytes)
    source_by_band = source.reshape(bands, _BAND, row_bytes)
    by_band[:, 0] = source_by_band[:, 0]
    for row in range(1, _BAND):
        np.add(source_by_band[:, row], by_band[:, row - 1], out=by_band[:, row])
    above, spare = by_band[:, -1].copy(), np.empty((bands, row_bytes), np.uint8)
    step = 1
    while step < bands - 1:
        np.add(above[step:], above[:-step], out=spare[step:])
        spare[:step] = above[:step]
        above, spare = spare, above
        step *= 2
    by_band[1:] += above[:-1, None, :]
    size = (row_bytes // len(mode), height)
    if mode == "L":
        return Image.frombuffer(mode, size, pixels, "raw", mode, 0, 1)
    if mode == "RGBA":
        image = Image.frombuffer(mode, size, pixels, "raw", mode, 0, 1)
        image._digitrec_alpha_range = (image.im, _alpha_range(pixels[:height]))
        return image
    return Image.frombytes(mode, size, pixels)


def _opaque_grey_levels(filtered: np.ndarray) -> np.ndarray | None:
    """Up-filtered RGBA rows -> the filtered grey rows, when every pixel is opaque grey (a
    drawing pad's black strokes on white); None for any other picture.

    The Up filter subtracts each byte from the one above it, so a picture of (v, v, v, 255)
    pixels is filtered into (d, d, d, 255) on its first row and (d, d, d, 0) below: read as
    little-endian words, each is its red byte times 0x010101, plus 0xFF000000 on the first row.
    Such a picture's grey is its red channel (Pillow's RGBA -> L of (v, v, v) is v), so only
    that quarter of the bytes need be summed, and no RGBA copy is ever made.
    """
    words = filtered.view("<u4")  # rows start at odd offsets: numpy reads them unaligned
    expected = words & 0xFF
    expected *= 0x010101  # in place: each temporary is as big as the canvas
    expected[0] |= 0xFF000000
    # Casting to 8 bits keeps the low byte, the red one.
    return expected.astype(np.uint8) if np.array_equal(words, expected) else None


def _alpha_range(rgba_rows: np.ndarray) -> tuple[int, int]:
    """(least, most) alpha of RGBA rows. Read as little-endian 32-bit words, a pixel's alpha
    is its top byte, so the least word holds the least alpha: one vectorised pass instead of a
    strided one over every fourth byte."""
    words = rgba_rows.view(np.dtype("<u4"))
    least = int(words.min()) >> 24
    return (255, 255) if least == 255 else (least, int(words.max()) >> 24)


def known_alpha_range(image: Image.Image) -> tuple[int, int] | None:
    """(least, most) alpha of an RGBA image this module decoded, as read off its rows when they
    were summed; None for any other image. An image changed since has no range: its pixels are
    read-only, so Pillow gives it a new copy of them before any change, and the range kept is
    that of the pixels it had."""
    kept = getattr(image, "_digitrec_alpha_range", None)
    if kept is None or kept[0] is not image.im:
        return None
    return kept[1]


def _decoded_by_pillow(rows: bytes, mode: str, size: tuple[int, int]) -> Image.Image:
    """Inflated PNG scanlines -> an image, unfiltered by Pillow's own PNG decoder.

    The decoder only reads zlib streams, so it is handed the rows as stored deflate blocks.
    """
    return Image.frombytes(mode, size, stored_zlib_stream(rows), "zip", mode)


def stored_zlib_stream(rows) -> bytes:
    """`rows` (bytes-like) as a zlib stream of stored (uncompressed) deflate blocks, a few bytes
    of block header before each slice: what Pillow's PNG decoder reads without inflating. It
    stops as soon as the last row is filled, so the stream needs no checksum."""
    view = memoryview(rows)
    stream = [_ZLIB_HEADER]
    for start in range(0, len(view), _STORED_BLOCK):
        block = view[start : start + _STORED_BLOCK]
        final = start + _STORED_BLOCK >= len(view)
        stream += [struct.pack("<BHH", final, len(block), len(block) ^ 0xFFFF), block]
    return b"".join(stream)
