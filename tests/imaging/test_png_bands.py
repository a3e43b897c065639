"""digitrec.imaging.png_bands: a big PNG read a band at a time is the working copy of its whole
decoding, pixel for pixel, and anything it does not vouch for is decoded whole as before."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from conftest import png_bytes, render_digit
from PIL import Image
from test_png import AVERAGE, NONE, PAETH, SUB, UP, chunk, drawing, scanlines

from digitrec.errors import UnusableImageError
from digitrec.imaging import decode as decode_module
from digitrec.imaging.decode import decode_image
from digitrec.imaging.png_bands import read_reduced_png
from digitrec.imaging.preprocess import ink_map, to_mnist_style
from digitrec.imaging.reduce import original_size, reduced_original, working_copy

SIZE = (61, 47)  # odd on both sides: the last box of each row and column is partial
# Rows of 1, 2 or 4 bits a pixel must end on a whole byte to be banded: 64 px do.
PACKED_SIZE = (64, 47)
FILTERS = [NONE, SUB, UP, AVERAGE, PAETH]


def png_of_rows(
    rows: np.ndarray,
    width: int,
    depth: int,
    colour: int,
    bpp: int,
    before_idat: bytes = b"",
    after_idat: bytes = b"",
    interlace: int = 0,
) -> bytes:
    """(h, row_bytes) unfiltered scanline bytes -> a PNG, its rows filtered None, Sub, Up,
    Average and Paeth in turn, so that every band starts under a different filter."""
    height = rows.shape[0]
    filters = [FILTERS[y % len(FILTERS)] for y in range(height)]
    stream = zlib.compress(scanlines(rows.reshape(height, -1, bpp), filters), 6)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    idat = [chunk(b"IDAT", stream[i : i + 500]) for i in range(0, len(stream), 500)]
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", ihdr),
            before_idat,
            *idat,
            after_idat,
            chunk(b"IEND", b""),
        ]
    )


def _grey(size=SIZE) -> np.ndarray:
    return drawing("L", size)[:, :, 0]


def _palette_chunks(colours: int) -> bytes:
    rng = np.random.default_rng(1)
    palette = rng.integers(0, 256, (colours, 3), dtype=np.uint8)
    alphas = rng.integers(0, 256, colours, dtype=np.uint8)
    return chunk(b"PLTE", palette.tobytes()) + chunk(b"tRNS", alphas.tobytes())


def _packed(values: np.ndarray, depth: int) -> np.ndarray:
    """(h, w) values of `depth` bits -> (h, row_bytes) PNG rows, high bits first."""
    height, width = values.shape
    per_byte = 8 // depth
    padded = np.zeros((height, -(-width // per_byte) * per_byte), np.uint8)
    padded[:, :width] = values
    groups = padded.reshape(height, -1, per_byte).astype(np.uint16)
    shifts = depth * np.arange(per_byte - 1, -1, -1)
    return (groups << shifts).sum(axis=2).astype(np.uint8)


def _case(name: str) -> bytes:
    width = SIZE[0]
    if name == "RGBA with transparency":
        pixels = drawing("RGBA", SIZE)
        pixels[:, :, 3] = 255 - _grey()  # the ink opaque, the paper see-through
        return png_of_rows(pixels.reshape(SIZE[1], -1), width, 8, 6, 4)
    if name == "LA":
        pixels = drawing("LA", SIZE)
        pixels[:, :, 1] = (255 - _grey()) // 2 + 100
        return png_of_rows(pixels.reshape(SIZE[1], -1), width, 8, 4, 2)
    if name == "RGB":
        return png_of_rows(drawing("RGB", SIZE).reshape(SIZE[1], -1), width, 8, 2, 3)
    if name == "RGB with tRNS":
        pixels = drawing("RGB", SIZE)
        transparent = chunk(b"tRNS", struct.pack(">HHH", *pixels[0, 0]))
        return png_of_rows(pixels.reshape(SIZE[1], -1), width, 8, 2, 3, transparent)
    if name == "L":
        return png_of_rows(_grey(), width, 8, 0, 1)
    if name == "L with tRNS":
        return png_of_rows(_grey(), width, 8, 0, 1, chunk(b"tRNS", struct.pack(">H", 250)))
    if name == "L 16-bit":
        rng = np.random.default_rng(2)
        values = _grey().astype(np.uint16) * 257 - rng.integers(0, 200, SIZE[::-1])
        rows = values.clip(0, 65535).astype(">u2").view(np.uint8).reshape(SIZE[1], -1)
        return png_of_rows(rows, width, 16, 0, 2)
    if name == "L 2-bit":
        return png_of_rows(_packed(_grey(PACKED_SIZE) >> 6, 2), PACKED_SIZE[0], 2, 0, 1)
    if name == "1-bit":
        return png_of_rows(_packed(_grey(PACKED_SIZE) >> 7, 1), PACKED_SIZE[0], 1, 0, 1)
    if name == "palette 8-bit with tRNS":
        return png_of_rows(_grey() // 8, width, 8, 3, 1, _palette_chunks(32))
    if name == "palette 4-bit with tRNS":
        rows = _packed(_grey(PACKED_SIZE) >> 4, 4)
        return png_of_rows(rows, PACKED_SIZE[0], 4, 3, 1, _palette_chunks(16))
    raise AssertionError(name)


CASES = [
    "RGBA with transparency",
    "LA",
    "RGB",
    "RGB with tRNS",
    "L",
    "L with tRNS",
    "L 16-bit",
    "L 2-bit",
    "1-bit",
    "palette 8-bit with tRNS",
    "palette 4-bit with tRNS",
]


def whole(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def banded(data: bytes, factor: int, band_pixels: int):
    return read_reduced_png(data, Image.open(io.BytesIO(data)), factor, band_pixels)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize(("factor", "band_pixels"), [(2, 1), (3, 200), (2, 10**6)])
def test_bands_reduce_to_the_working_copy_of_the_whole_decoding(name, factor, band_pixels):
    """One box of rows a band, a few, and the whole image in one band."""
    data = _case(name)
    expected = reduced_original(whole(data), factor)
    reduced = banded(data, factor, band_pixels)
    assert reduced is not None
    assert (reduced.mode, reduced.size) == (expected.mode, expected.size)
    assert reduced.tobytes() == expected.tobytes()
    assert reduced.info.get("transparency") == expected.info.get("transparency")


def _rgba16() -> bytes:
    pixels = (drawing("RGBA", SIZE).astype(np.uint16) * 257).astype(">u2")
    return png_of_rows(pixels.view(np.uint8).reshape(SIZE[1], -1), SIZE[0], 16, 6, 8)


def _with_chunk(kind: bytes, body: bytes) -> bytes:
    return png_of_rows(_grey(), SIZE[0], 8, 0, 1, after_idat=chunk(kind, body))


DECLINED = {
    "16-bit RGBA (decoded to 8 bits a channel)": _rgba16,
    "interlaced": lambda: png_of_rows(_grey(), SIZE[0], 8, 0, 1, interlace=1),
    "eXIf": lambda: _with_chunk(b"eXIf", b"MM\x00*\x00\x00\x00\x08\x00\x00"),
    "XMP": lambda: _with_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00<x/>"),
    "unknown critical chunk": lambda: _with_chunk(b"ABCD", b"?"),
    # Pillow reads what follows the pixels only while it loads them, and may fail on it.
    "text after the pixels": lambda: _with_chunk(b"tEXt", b"Software\x00a drawing program"),
    "1-bit rows ending inside a byte": lambda: png_of_rows(
        _packed(_grey() >> 7, 1), SIZE[0], 1, 0, 1
    ),
    "a palette image without its palette": lambda: png_of_rows(_grey() // 8, SIZE[0], 8, 3, 1),
}


@pytest.mark.parametrize("name", list(DECLINED))
def test_what_it_does_not_vouch_for_is_left_to_the_whole_decoding(name):
    assert banded(DECLINED[name](), 2, 200) is None


def test_harmless_chunks_before_the_pixels_are_read_past():
    text = chunk(b"tEXt", b"Software\x00a drawing program") + chunk(b"pHYs", bytes(9))
    data = png_of_rows(_grey(), SIZE[0], 8, 0, 1, before_idat=text)
    assert banded(data, 2, 200).tobytes() == reduced_original(whole(data), 2).tobytes()


def test_the_bits_padding_a_row_to_a_byte_are_the_files_own():
    """Up, Average and Paeth add the row above's padding bits in; any value is valid there."""
    rows = _packed(_grey() >> 7, 1)
    rows[:, -1] |= np.random.default_rng(3).integers(0, 8, rows.shape[0], dtype=np.uint8)
    data = png_of_rows(rows, SIZE[0], 1, 0, 1)
    reduced = banded(data, 2, 200)  # declined: the band above is packed back with zeros there
    assert reduced is None or reduced.tobytes() == reduced_original(whole(data), 2).tobytes()


# --- big files through decode_image -------------------------------------------------------------


def big_png(mode: str = "RGBA", size=(2500, 1700)) -> bytes:
    """A digit in the middle of a page long enough to be reduced (by 2), and too big for the
    fast reader of plain PNGs: black ink on a transparent page for RGBA, dark on light
    otherwise."""
    digit = render_digit(3, (400, 400), ink=(0, 0, 0, 255), paper=(255, 255, 255, 0), mode="RGBA")
    page = Image.new("RGBA", size, (255, 255, 255, 0))
    page.paste(digit, (size[0] // 2 - 200, size[1] // 2 - 200))
    if mode != "RGBA":
        page = Image.alpha_composite(Image.new("RGBA", size, "white"), page).convert(mode)
    return png_bytes(page, "PNG")


@pytest.mark.parametrize("mode", ["RGBA", "RGB", "L", "P"])
def test_a_big_png_decoded_for_recognition_gives_the_same_input_and_box(mode):
    data = big_png(mode)
    full = decode_image(data)
    reduced = decode_image(data, reduce_large=True)
    assert reduced.size == (1250, 850) and original_size(reduced) == full.size
    assert working_copy(reduced) == (reduced, 2)
    expected, found = to_mnist_style(full), to_mnist_style(reduced)
    assert np.array_equal(found.mnist, expected.mnist)
    assert found.box == expected.box
    assert np.array_equal(np.asarray(found.grey_image), np.asarray(expected.grey_image))


def test_a_big_png_is_never_allocated_whole(monkeypatch):
    """Pillow allocates a decoded image's pixels in core.new (ImageFile.load_prepare)."""
    allocated = []
    new = Image.core.new

    def recorded(mode, size, *args):
        allocated.append(size[0] * size[1])
        return new(mode, size, *args)

    monkeypatch.setattr(Image.core, "new", recorded)
    data = big_png()
    decode_image(data, reduce_large=True)
    assert 0 < max(allocated) <= 2500 * 1700 // 8
    allocated.clear()
    decode_image(data)
    assert max(allocated) == 2500 * 1700  # what the probe sees of a whole decoding


def test_canvases_keep_the_fast_reader_and_are_never_banded(monkeypatch):
    def refused(*args):
        raise AssertionError("a canvas went to png_bands")

    monkeypatch.setattr(decode_module, "read_reduced_png", refused)
    canvas = png_bytes(render_digit(7, ink=(0, 0, 0, 255), paper=(255,) * 4, mode="RGBA"))
    image = decode_image(canvas, reduce_large=True)
    assert image.size == (280, 280) and original_size(image) == (280, 280)


def _cut_stream(data: bytes) -> bytes:
    """The file with its IDAT stream cut to half, CRCs still right."""
    start = data.index(b"IDAT") - 4
    (length,) = struct.unpack_from(">I", data, start)
    body = data[start + 8 : start + 8 + length]
    return data[:start] + chunk(b"IDAT", body[: length // 2]) + chunk(b"IEND", b"")


def _corrupt_stream(data: bytes) -> bytes:
    start = data.index(b"IDAT") - 4
    (length,) = struct.unpack_from(">I", data, start)
    body = bytearray(data[start + 8 : start + 8 + length])
    body[2 : length // 2] = b"\xff" * (length // 2 - 2)
    return data[:start] + chunk(b"IDAT", bytes(body)) + data[start + 12 + length :]


BROKEN = {
    "stream cut short": _cut_stream,
    "corrupt stream": _corrupt_stream,
    "bad CRC": lambda data: data[:-20] + bytes([data[-20] ^ 1]) + data[-19:],
    "truncated file": lambda data: data[: len(data) // 2],
    "junk after IEND": lambda data: data + b"junk",
    "short pHYs after the pixels": lambda data: data[:-12] + chunk(b"pHYs", b"\0\1") + data[-12:],
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_big_pngs_answer_as_the_whole_decoding_does(name):
    data = BROKEN[name](png_of_rows(np.tile(_grey(), (1, 40))[:, :2100], 2100, 8, 0, 1))
    try:
        expected = decode_image(data)
    except UnusableImageError as error:
        with pytest.raises(UnusableImageError) as raised:
            decode_image(data, reduce_large=True)
        assert str(raised.value) == str(error)
    else:  # what Pillow reads past, the bands read past too, or leave to Pillow
        reduced = working_copy(decode_image(data, reduce_large=True))[0]
        assert reduced.tobytes() == working_copy(expected)[0].tobytes()


def test_a_big_palette_png_without_its_palette_is_refused_as_before():
    data = png_of_rows(np.tile(_grey(), (1, 40))[:, :2100] // 8, 2100, 8, 3, 1)
    with pytest.raises(UnusableImageError) as whole_decoding:
        decode_image(data)
    with pytest.raises(UnusableImageError) as for_recognition:
        decode_image(data, reduce_large=True)
    assert str(for_recognition.value) == str(whole_decoding.value)


def test_a_working_copy_read_as_a_number_counts_its_reduction_in_the_factor():
    data = big_png("L")
    _, whole_factor = ink_map(decode_image(data), 1024)
    _, factor = ink_map(decode_image(data, reduce_large=True), 1024)
    assert (whole_factor, factor) == (3, 4)  # 2500 / 3 is within 1024; 1250 / 2 then
