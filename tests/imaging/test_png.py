"""digitrec.imaging.png: the fast reader of plain PNGs gives Pillow's pixels, and declines the rest."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from conftest import png_bytes, render_digit
from PIL import Image

from digitrec.errors import ImageTooLargeError, UnusableImageError
from digitrec.imaging.decode import MAX_PIXELS, MAX_SIDE, MIN_SIDE, decode_image
from digitrec.imaging.png import known_alpha_range, read_plain_png
from digitrec.imaging.preprocess import grey_of
from digitrec.imaging.sizes import LARGE_LONG_SIDE

NONE, SUB, UP, AVERAGE, PAETH = range(5)
CHANNELS = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}
COLOUR_TYPES = {"L": 0, "RGB": 2, "LA": 4, "RGBA": 6}


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _paeth(left, above, corner):
    estimate = left + above - corner
    to_left, to_above = np.abs(estimate - left), np.abs(estimate - above)
    to_corner = np.abs(estimate - corner)
    return np.where(
        (to_left <= to_above) & (to_left <= to_corner),
        left,
        np.where(to_above <= to_corner, above, corner),
    )


def scanlines(pixels: np.ndarray, filters: list[int]) -> bytes:
    """(h, w, c) uint8 pixels -> PNG scanlines, row y filtered with filters[y]."""
    height, width, channels = pixels.shape
    rows = pixels.reshape(height, width * channels).astype(np.int16)
    lines = []
    for y, kind in enumerate(filters):
        row = rows[y]
        above = rows[y - 1] if y else np.zeros_like(row)
        left = np.concatenate([np.zeros(channels, np.int16), row[:-channels]])
        corner = np.concatenate([np.zeros(channels, np.int16), above[:-channels]])
        predicted = [0, left, above, (left + above) // 2, _paeth(left, above, corner)][kind]
        lines.append(bytes([kind]) + ((row - predicted) % 256).astype(np.uint8).tobytes())
    return b"".join(lines)


def png_file(
    pixels: np.ndarray,
    mode: str,
    filters: list[int] | int = UP,
    level: int = 1,
    idat_size: int = 4096,
    before_idat: bytes = b"",
    stream: bytes | None = None,
    header: dict | None = None,
) -> bytes:
    """A PNG written byte by byte, as a browser writes it: by default every row filtered Up,
    zlib level 1, IDAT chunks of 4 KB (what Chromium's canvas.toBlob makes)."""
    pixels = pixels.reshape(pixels.shape[0], pixels.shape[1], -1)
    height, width = pixels.shape[:2]
    if isinstance(filters, int):
        filters = [filters] * height
    if stream is None:
        stream = zlib.compress(scanlines(pixels, filters), level)
    fields = {"depth": 8, "colour": COLOUR_TYPES[mode], "interlace": 0, **(header or {})}
    ihdr = struct.pack(
        ">IIBBBBB", width, height, fields["depth"], fields["colour"], 0, 0, fields["interlace"]
    )
    idat = [chunk(b"IDAT", stream[i : i + idat_size]) for i in range(0, len(stream), idat_size)]
    body = chunk(b"IHDR", ihdr) + before_idat + b"".join(idat) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def drawing(mode: str, size: tuple[int, int] = (90, 70), seed: int = 0) -> np.ndarray:
    """A digit on paper with some noise, so that every filter has something to predict."""
    image = render_digit(
        4, size=size, ink=(20, 40, 200, 255), paper=(250, 240, 230, 255), mode="RGBA"
    )
    pixels = np.asarray(image.convert("RGBA").convert(mode)).reshape(size[1], size[0], -1)
    noise = np.random.default_rng(seed).integers(0, 6, pixels.shape)
    return np.clip(pixels.astype(int) - noise, 0, 255).astype(np.uint8)


def pillow_decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def read(data: bytes, max_pixels: int = MAX_PIXELS, max_side: int = MAX_SIDE):
    return read_plain_png(data, max_pixels, max_side, MIN_SIDE)


def assert_same_as_pillow(image: Image.Image, data: bytes):
    expected = pillow_decoded(data)
    assert (image.mode, image.size, image.format) == (expected.mode, expected.size, "PNG")
    assert image.tobytes() == expected.tobytes()
    assert image.info == expected.info


FILTER_CASES = {
    "none": NONE,
    "sub": SUB,
    "up": UP,
    "average": AVERAGE,
    "paeth": PAETH,
    "each in turn": [y % 5 for y in range(70)],
    "up under a first row left unfiltered": [NONE] + [UP] * 69,
    "up with an unfiltered row midway": [UP] * 35 + [NONE] + [UP] * 34,
}


@pytest.mark.parametrize("mode", CHANNELS)
@pytest.mark.parametrize("filters", FILTER_CASES.values(), ids=FILTER_CASES.keys())
def test_each_colour_type_and_filter_reads_as_pillow_reads_it(mode, filters):
    data = png_file(drawing(mode), mode, filters)
    image = read(data)
    assert image is not None
    assert_same_as_pillow(image, data)
    assert_same_as_pillow(decode_image(data), data)


@pytest.mark.parametrize("height", [8, 9, 15, 16, 17, 63, 280, 281])
def test_any_number_of_rows_filtered_up_reads_as_pillow_reads_it(height):
    pixels = np.random.default_rng(height).integers(0, 256, (height, 11, 4), dtype=np.uint8)
    data = png_file(pixels, "RGBA", UP)
    assert_same_as_pillow(read(data), data)


@pytest.mark.parametrize("level", [0, 1, 6, 9])
@pytest.mark.parametrize("idat_size", [1, 100, 1 << 20])
def test_any_compression_level_and_any_split_into_chunks_reads_the_same(level, idat_size):
    data = png_file(drawing("RGBA"), "RGBA", PAETH, level=level, idat_size=idat_size)
    assert_same_as_pillow(read(data), data)


def test_pillows_own_pngs_of_a_canvas_read_the_same():
    for mode in CHANNELS:
        data = png_bytes(render_digit(7).convert(mode))
        assert_same_as_pillow(read(data), data)


def test_rows_longer_than_one_stored_deflate_block_read_the_same():
    pixels = drawing("RGBA", size=(300, 200))  # 240 KB of rows: four stored blocks
    data = png_file(pixels, "RGBA", [y % 5 for y in range(200)])
    assert_same_as_pillow(read(data), data)


def test_a_decoded_canvas_can_be_drawn_on_like_any_other_image():
    image = decode_image(png_file(drawing("RGBA"), "RGBA", UP))
    image.putpixel((0, 0), (1, 2, 3, 4))
    assert image.getpixel((0, 0)) == (1, 2, 3, 4)


def grey_canvas(size: tuple[int, int] = (90, 70)) -> np.ndarray:
    """Opaque RGBA, every pixel grey: what the web page's drawing pad exports."""
    grey = np.asarray(render_digit(5, size=size), np.uint8)
    return np.dstack([grey, grey, grey, np.full_like(grey, 255)])


@pytest.mark.parametrize("first_row", [UP, NONE])
def test_an_opaque_grey_canvas_comes_back_as_its_grey_levels(first_row):
    data = png_file(grey_canvas(), "RGBA", [first_row] + [UP] * 69)
    image = decode_image(data)
    assert (image.mode, image.size, image.format) == ("L", (90, 70), "PNG")
    assert image.tobytes() == pillow_decoded(data).convert("L").tobytes()


@pytest.mark.parametrize("row", [0, 35, 69])
@pytest.mark.parametrize(
    "pixel",
    [(10, 10, 11, 255), (10, 11, 10, 255), (11, 10, 10, 255), (10, 10, 10, 254), (0, 0, 0, 0)],
    ids=["blue", "green", "red", "translucent", "transparent"],
)
def test_one_pixel_that_is_not_opaque_grey_keeps_the_whole_canvas_rgba(row, pixel):
    pixels = grey_canvas()
    pixels[row, 45] = pixel
    data = png_file(pixels, "RGBA", UP)
    assert_same_as_pillow(decode_image(data), data)


@pytest.mark.parametrize("alpha", [(255, 255), (0, 255), (3, 200), (128, 128)])
def test_the_alpha_range_of_a_canvas_is_kept_as_it_is_read(alpha):
    pixels = drawing("RGBA", size=(90, 70))
    levels = np.random.default_rng(1).integers(alpha[0], alpha[1] + 1, pixels.shape[:2])
    levels.flat[:2] = alpha  # both ends present
    pixels[..., 3] = levels
    image = decode_image(png_file(pixels, "RGBA", UP))
    assert known_alpha_range(image) == alpha
    assert grey_of(image).tobytes() == grey_of(image.copy()).tobytes()  # the copy has none


def test_no_alpha_range_is_known_for_images_it_did_not_sum_or_that_changed_since():
    opaque = png_file(drawing("RGBA"), "RGBA", UP)
    assert known_alpha_range(decode_image(png_file(drawing("RGBA"), "RGBA", PAETH))) is None
    assert known_alpha_range(pillow_decoded(opaque)) is None
    image = decode_image(opaque)
    assert known_alpha_range(image.copy()) is None
    image.putalpha(0)  # now fully transparent: its grey is an empty page
    assert known_alpha_range(image) is None
    assert grey_of(image).getextrema() == (255, 255)


def _with_bad_crc(data: bytes, kind: bytes) -> bytes:
    position = data.index(kind) + 4 + struct.unpack(">I", data[data.index(kind) - 4 :][:4])[0]
    return data[:position] + bytes([data[position] ^ 1]) + data[position + 1 :]


def _stream(filters_byte: int = UP, extra: bytes = b"", cut: int = 0) -> bytes:
    rows = bytearray(scanlines(drawing("L"), [UP] * 70))
    rows[0] = filters_byte
    rows = bytes(rows) + extra
    return zlib.compress(rows[: len(rows) - cut])


PLAIN = png_file(drawing("L"), "L")
DECLINED = {
    "palette": png_bytes(render_digit(3).convert("P")),
    "16-bit grey": png_bytes(Image.fromarray(np.asarray(render_digit(3), np.uint16) * 257)),
    "1-bit": png_bytes(render_digit(3).convert("1")),
    "interlaced": png_file(drawing("L"), "L", header={"interlace": 1}),
    "transparent colour (tRNS)": png_bytes(render_digit(3).convert("RGB"), transparency=(0, 0, 0)),
    "text": png_file(drawing("L"), "L", before_idat=chunk(b"tEXt", b"Comment\0hi")),
    "EXIF": png_file(drawing("L"), "L", before_idat=chunk(b"eXIf", b"MM\0*\0\0\0\x08\0\0\0\0\0\0")),
    "gamma": png_file(drawing("L"), "L", before_idat=chunk(b"gAMA", b"\0\0\xb1\x8f")),
    "bad IHDR CRC": _with_bad_crc(PLAIN, b"IHDR"),
    "bad IDAT CRC": _with_bad_crc(PLAIN, b"IDAT"),
    "no IEND": PLAIN[:-12],
    "bytes after IEND": PLAIN + b"junk",
    "truncated": PLAIN[: len(PLAIN) // 2],
    "rows cut short": png_file(drawing("L"), "L", stream=_stream(cut=10)),
    "more rows than the header says": png_file(drawing("L"), "L", stream=_stream(extra=b"\0" * 91)),
    "junk after the zlib stream": png_file(drawing("L"), "L", stream=_stream() + b"junk"),
    "no zlib checksum": png_file(drawing("L"), "L", stream=_stream()[:-4]),
    "unknown filter type": png_file(drawing("L"), "L", stream=_stream(filters_byte=5)),
}


@pytest.mark.parametrize("data", DECLINED.values(), ids=DECLINED.keys())
def test_anything_but_a_plain_well_formed_png_is_left_to_pillow(data):
    assert read(data) is None


@pytest.mark.parametrize("data", DECLINED.values(), ids=DECLINED.keys())
def test_what_is_left_to_pillow_decodes_or_fails_exactly_as_pillow_says(data):
    try:
        expected = pillow_decoded(data)
    except Exception:
        with pytest.raises(UnusableImageError):
            decode_image(data)
        return
    image = decode_image(data)
    assert (image.mode, image.size) == (expected.mode, expected.size)
    assert image.tobytes() == expected.tobytes()


def test_sizes_beyond_the_limits_are_left_to_pillow_which_refuses_them_in_its_own_words():
    data = png_file(drawing("L", size=(90, 70)), "L")
    assert read(data, max_pixels=90 * 70 - 1) is None
    assert read(data, max_side=89) is None
    with pytest.raises(ImageTooLargeError, match="90x70"):
        decode_image(data, max_pixels=90 * 70 - 1)
    tiny = png_file(np.zeros((7, 40), np.uint8), "L")
    assert read(tiny) is None
    with pytest.raises(UnusableImageError, match="at least 8x8"):
        decode_image(tiny)


def test_images_too_big_to_hold_twice_are_left_to_pillows_streaming_decoder():
    data = png_file(np.zeros((2001, 2000), np.uint8), "L", NONE)
    assert read(data) is None
    assert decode_image(data).size == (2000, 2001)


def black_on_transparent(size: tuple[int, int] = (90, 70)) -> np.ndarray:
    """A drawing pad's transparent export: black strokes, drawn in the alpha channel alone."""
    alpha = 255 - np.asarray(render_digit(4, size=size), np.uint8)
    return np.dstack([np.zeros_like(alpha)] * 3 + [alpha])


@pytest.mark.parametrize("filters", FILTER_CASES.values(), ids=FILTER_CASES.keys())
@pytest.mark.parametrize("level", [1, 9])
def test_black_strokes_on_a_transparent_canvas_come_back_laid_over_white(filters, level):
    data = png_file(black_on_transparent(), "RGBA", filters, level=level)
    image = decode_image(data)
    assert (image.mode, image.size, image.format) == ("L", (90, 70), "PNG")
    assert image.tobytes() == grey_of(pillow_decoded(data)).tobytes()


def test_a_transparent_canvas_of_pillows_own_reads_as_its_grey():
    data = png_bytes(Image.fromarray(black_on_transparent(), "RGBA"))
    assert decode_image(data).tobytes() == grey_of(pillow_decoded(data)).tobytes()


def _coloured(pixels):
    pixels[..., 2] = np.where(pixels[..., 3] > 0, 200, 0)
    return pixels


def _one_colour_byte(pixels):
    pixels[60, 80, 0] = 1
    return pixels


def _faint(pixels):
    pixels[..., 3] //= 3  # no pixel half opaque: grey_of's empty page
    return pixels


@pytest.mark.parametrize("change", [_coloured, _one_colour_byte, _faint])
@pytest.mark.parametrize("filters", [UP, PAETH])
def test_other_transparent_canvases_stay_rgba(change, filters):
    data = png_file(change(black_on_transparent()), "RGBA", filters)
    image = decode_image(data)
    assert_same_as_pillow(image, data)
    assert grey_of(image).tobytes() == grey_of(pillow_decoded(data)).tobytes()


def test_transparent_canvases_that_preprocessing_reduces_first_stay_rgba():
    data = png_file(black_on_transparent((LARGE_LONG_SIDE + 1, 20)), "RGBA", PAETH)
    assert_same_as_pillow(decode_image(data), data)


def test_an_opaque_canvas_of_black_paper_is_not_taken_for_a_transparent_drawing():
    white_on_black = np.dstack([255 - np.asarray(render_digit(4, size=(90, 70)), np.uint8)] * 3)
    pixels = np.dstack([white_on_black, np.full((70, 90), 255, np.uint8)])
    data = png_file(pixels, "RGBA", PAETH)
    assert_same_as_pillow(decode_image(data), data)
