"""Big PNGs decoded a band of rows at a time, each band box-reduced as soon as it is decoded.

Decoded whole, a 5600x5600 RGBA PNG is 125 MB at Pillow's 4 bytes a pixel, yet preprocessing
reads only a copy of it box-reduced to 1024-2047 px (`reduce.working_copy`). Here the IDAT
stream is inflated a band of rows at a time (about BAND_PIXELS pixels, a whole number of boxes
tall), each band is decoded by Pillow itself as a PNG of its own and reduced at once
(`reduce.reduced_bands`): the result is that working copy pixel for pixel, and what is held
at once is a band (a few MB) besides the copy and the file.

A band's PNG holds the file's PLTE and tRNS chunks, so Pillow reads it in the same mode with the
same palette and transparency, and the band's own rows as filtered in the file behind one row
of the band above, unfiltered (filter None): rows filtered Up, Average or Paeth find the row
above them there. That row is packed back from the band above as Pillow decoded it, which works
only where Pillow's mode keeps every bit of the file's pixels: not for 16-bit colour, which it
decodes to 8 bits a channel.

`read_reduced_png` returns None for anything it does not vouch for (interlacing, 16-bit colour,
rows of 1, 2 or 4 bits a pixel that end inside a byte, a palette image without its palette, a
chunk that may change the pixels or their orientation such as eXIf or XMP, any chunk but IEND
after the pixels, an animation, a bad CRC, bytes after IEND, a stream that is corrupt or short,
anything Pillow fails on): the caller then decodes the file whole, so every error is still
Pillow's, in the same words.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator

from PIL import Image
from zlib_ng import zlib_ng

from digitrec.imaging.png import SIGNATURE, chunks, stored_zlib_stream
from digitrec.imaging.reduce import reduced_bands

# Pixels per band: a band costs a few copies of itself at up to 4 bytes a pixel while it is
# decoded and reduced, and a Pillow open besides. A quarter megapixel keeps a band's copies in
# the CPU's caches: a 5600x5600 RGBA PNG decodes faster so than in bands four times bigger.
BAND_PIXELS = 1 << 18
# Compressed bytes handed to the inflater at once: zlib keeps what it did not use as a copy.
_INPUT_PIECE = 1 << 18
# Pillow's rawmodes (from the file's depth and colour type) whose decoded pixels keep every
# bit of the file's, so that a row can be packed back into the bytes it was decoded from.
_LOSSLESS = frozenset(
    {"1", "L;2", "L;4", "L", "I;16B", "P;1", "P;2", "P;4", "P", "LA", "RGB", "RGBA"}
)
_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # per pixel, by colour type
_PALETTE = 3  # the colour type of palette images
_COPIED = (b"PLTE", b"tRNS")  # chunks before IDAT that change what Pillow makes of the pixels
# Chunks Pillow reads into `info` at most: they leave the pixels as they are.
_HARMLESS = frozenset(
    {b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"pHYs", b"sBIT", b"bKGD", b"tIME", b"hIST", b"sPLT"}
)
_TEXT = (b"tEXt", b"zTXt", b"iTXt")
# Text that Pillow's getexif reads an orientation from (exif_transpose would then turn the image).
_ORIENTING_TEXT = (b"XML:com.adobe.xmp\0", b"Raw profile type exif\0")


class _Declined(Exception):
    """Something that the whole decoding must judge."""


def _chunk(kind: bytes, body) -> bytes:
    return b"".join(
        [
            struct.pack(">I", len(body)),
            kind,
            body,
            struct.pack(">I", zlib_ng.crc32(body, zlib_ng.crc32(kind))),
        ]
    )


def _harmless(kind: bytes, body: memoryview) -> bool:
    if kind in _TEXT:
        return not bytes(body[:32]).startswith(_ORIENTING_TEXT)
    return kind in _HARMLESS or kind == b"IEND"


def _layout(data: bytes) -> tuple[bytes, list[tuple[bytes, bytes]], list[memoryview]]:
    """(IHDR body, the PLTE and tRNS chunks, the IDAT bodies) of a PNG with nothing else in it
    that changes its pixels or their orientation, its IDAT chunks one after another."""
    if not data.startswith(SIGNATURE):
        raise _Declined
    header, copied, idat, ended = b"", [], [], False
    for kind, body in chunks(memoryview(data)):
        if kind == b"IHDR" and not header and not copied and not idat:
            header = bytes(body)
        elif not header:
            raise _Declined
        elif kind == b"IDAT" and not ended:
            idat.append(body)
        elif idat:  # Pillow reads what follows IDAT only while it loads, and may fail on it
            if kind != b"IEND" or ended:
                raise _Declined
            ended = True
        elif kind in _COPIED:
            copied.append((kind, bytes(body)))
        elif not _harmless(kind, body):
            raise _Declined
    if len(header) != 13 or not idat or not ended:  # IEND must end the file
        raise _Declined
    if header[9] == _PALETTE and not any(kind == b"PLTE" for kind, _ in copied):
        raise _Declined  # Pillow would make one up; the whole decoding refuses the file
    return header, copied, idat


def _filtered_rows(idat: list[memoryview], row_bytes: int, height: int, band_rows: int):
    """The inflated scanlines (each its filter byte and row_bytes), band_rows rows at a time."""
    inflater = zlib_ng.decompressobj()
    pieces = (
        body[start : start + _INPUT_PIECE]
        for body in idat
        for start in range(0, len(body), _INPUT_PIECE)
    )
    pending = b""
    for top in range(0, height, band_rows):
        wanted = min(band_rows, height - top) * (row_bytes + 1)
        parts, got = [], 0
        while got < wanted:
            if not pending:
                pending = next(pieces, None)
                if pending is None:  # the stream ends before the last row
                    raise _Declined
            part = inflater.decompress(pending, wanted - got)
            pending = inflater.unconsumed_tail
            parts.append(part)
            got += len(part)
        yield b"".join(parts)


def _band_image(header: bytes, copied, rows: bytes, height: int) -> Image.Image:
    """Scanlines -> the image Pillow decodes of a PNG with the file's header (but `height`
    rows), its PLTE and tRNS, and these rows."""
    ihdr = header[:4] + struct.pack(">I", height) + header[8:]
    file = b"".join(
        [
            SIGNATURE,
            _chunk(b"IHDR", ihdr),
            *(_chunk(kind, body) for kind, body in copied),
            _chunk(b"IDAT", stored_zlib_stream(rows)),
            _chunk(b"IEND", b""),
        ]
    )
    band = Image.open(io.BytesIO(file), formats=["PNG"])
    band.load()
    return band


def _bands(data: bytes, rawmode: str, factor: int, band_pixels: int) -> Iterator[Image.Image]:
    header, copied, idat = _layout(data)
    width, height, depth, colour = struct.unpack_from(">IIBB", header)
    row_bits = width * depth * _SAMPLES.get(colour, 0)
    if row_bits % 8:
        # The bits that pad a row to a whole byte are the file's own, and the filters of the
        # row below add them in; the band above, packed back by Pillow, pads with zeros.
        raise _Declined
    row_bytes = row_bits // 8
    band_rows = factor * max(1, band_pixels // (width * factor))
    above = b""  # the row above the band, unfiltered
    for rows in _filtered_rows(idat, row_bytes, height, band_rows):
        count = len(rows) // (row_bytes + 1)
        if above:
            band = _band_image(header, copied, b"".join([b"\0", above, rows]), count + 1)
            band = band.crop((0, 1, width, count + 1))
        else:
            band = _band_image(header, copied, rows, count)
        above = band.crop((0, count - 1, width, count)).tobytes("raw", rawmode)
        if len(above) != row_bytes:
            raise _Declined
        yield band


def read_reduced_png(
    data: bytes, image: Image.Image, factor: int, band_pixels: int = BAND_PIXELS
) -> Image.Image | None:
    """A PNG file's bytes, and the image Pillow opened of them (not yet loaded) -> what
    `reduce.reduced_original` makes of its decoded pixels reduced by `factor`, decoded a band
    at a time; None for anything not vouched for (the module's docstring), to be decoded whole.
    """
    if image.format != "PNG" or image.info.get("interlace") or len(image.tile) != 1:
        return None
    codec, *_, rawmode = image.tile[0]
    if codec != "zip" or rawmode not in _LOSSLESS or factor < 2:
        return None
    try:
        reduced = reduced_bands(_bands(data, rawmode, factor, band_pixels), factor, image.size)
    except Exception:  # _Declined, zlib's errors, Pillow's many kinds on corrupt rows
        return None
    reduced.format = "PNG"
    return reduced
