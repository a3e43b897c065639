"""digitrec.training.data: IDX files, their errors, and the checksum-verified download."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import struct
import threading

import numpy as np
import pytest

from digitrec.training import data


@pytest.mark.parametrize("name", ["images.idx", "images.idx.gz"])
def test_idx_round_trip_raw_and_gzip(tmp_path, name):
    images = np.random.default_rng(0).integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    data.write_idx(tmp_path / name, images)
    assert np.array_equal(data.read_idx(tmp_path / name), images)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip_every_type(tmp_path, dtype):
    array = np.arange(24, dtype=dtype).reshape(2, 3, 4)
    data.write_idx(tmp_path / "a.idx", array)
    read = data.read_idx(tmp_path / "a.idx")
    assert read.dtype == np.dtype(dtype) and np.array_equal(read, array)


def _header(type_code: int, *shape: int) -> bytes:
    return struct.pack(">HBB", 0, type_code, len(shape)) + struct.pack(f">{len(shape)}I", *shape)


MALFORMED = [
    ("empty", b"", "too short"),
    ("bad magic", b"\x12\x34\x08\x01" + b"\x00" * 8, "bad IDX magic"),
    ("unknown type", _header(0x07, 2), "bad IDX magic"),
    ("header cut short", _header(0x08, 2, 28, 28)[:10], "ends early"),
    ("too few bytes", _header(0x08, 2, 2) + b"\x00" * 3, "holds 3 bytes"),
    ("too many bytes", _header(0x08, 2) + b"\x00" * 5, "holds 5 bytes"),
]


@pytest.mark.parametrize(("case", "content", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_idx_files_fail_with_the_file_named(tmp_path, case, content, message):
    path = tmp_path / "broken.idx"
    path.write_bytes(content)
    with pytest.raises(data.DatasetError, match=message) as raised:
        data.read_idx(path)
    assert str(path) in str(raised.value)


def test_corrupt_gzip_names_the_file(tmp_path):
    path = tmp_path / "broken.idx.gz"
    path.write_bytes(gzip.compress(_header(0x08, 4) + b"\x01" * 4)[:-6])
    with pytest.raises(data.DatasetError, match="gzip") as raised:
        data.read_idx(path)
    assert str(path) in str(raised.value)


def test_missing_file(tmp_path):
    with pytest.raises(data.DatasetError, match="no such file"):
        data.read_idx(tmp_path / "absent.idx")


def test_images_and_labels_must_agree_in_count(tmp_path):
    data.write_idx(tmp_path / "i.idx", np.zeros((5, 28, 28), np.uint8))
    data.write_idx(tmp_path / "l.idx", np.zeros(4, np.uint8))
    with pytest.raises(data.DatasetError, match=r"5 images but .* 4 labels"):
        data.read_split(tmp_path / "i.idx", tmp_path / "l.idx")


def test_labels_must_be_digits(tmp_path):
    data.write_idx(tmp_path / "i.idx", np.zeros((2, 28, 28), np.uint8))
    data.write_idx(tmp_path / "l.idx", np.array([3, 12], np.uint8))
    with pytest.raises(data.DatasetError, match="label 12 is not a digit"):
        data.read_split(tmp_path / "i.idx", tmp_path / "l.idx")


def test_images_must_be_three_dimensional(tmp_path):
    data.write_idx(tmp_path / "i.idx", np.zeros((2, 784), np.uint8))
    data.write_idx(tmp_path / "l.idx", np.zeros(2, np.uint8))
    with pytest.raises(data.DatasetError, match="expected \\(n, rows, cols\\)"):
        data.read_split(tmp_path / "i.idx", tmp_path / "l.idx")


def test_load_mnist_from_a_named_directory(mnist_dir):
    train, test = data.load_mnist(mnist_dir)
    assert (len(train), len(test)) == (300, 100)
    assert train.images.shape[1:] == (28, 28) and set(np.unique(train.labels)) == set(range(10))


def test_unpacked_files_are_read_too(tmp_path, mnist_dir):
    for path in mnist_dir.iterdir():
        (tmp_path / path.name.removesuffix(".gz")).write_bytes(gzip.decompress(path.read_bytes()))
    train, _ = data.load_mnist(tmp_path)
    assert len(train) == 300


def test_data_dir_comes_from_the_environment(monkeypatch, mnist_dir):
    monkeypatch.setenv("DIGITREC_DATA", str(mnist_dir))
    assert data.resolve_data_dir() == mnist_dir
    assert data.resolve_data_dir("elsewhere").name == "elsewhere"


def test_named_directory_missing_files_says_what_to_do(tmp_path):
    with pytest.raises(data.DatasetError, match="--data-dir"):
        data.load_mnist(tmp_path)


@pytest.fixture
def mirror(tmp_path):
    """A local HTTP server on 127.0.0.1 serving tmp_path/www; yields its base URL."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_download_verifies_the_checksum_and_writes_atomically(tmp_path, mirror):
    root, url = mirror
    payload = b"some idx bytes"
    (root / "file.gz").write_bytes(payload)
    cache = tmp_path / "cache"
    path = data.download_file(
        "file.gz", cache, mirrors=(url,), sha256=hashlib.sha256(payload).hexdigest()
    )
    assert path.read_bytes() == payload
    assert [p.name for p in cache.iterdir()] == ["file.gz"]  # no temporary file left behind


def test_download_rejects_a_checksum_mismatch_and_tries_the_next_mirror(tmp_path, mirror):
    root, url = mirror
    (root / "file.gz").write_bytes(b"tampered")
    with pytest.raises(data.DatasetError, match="does not match") as raised:
        data.download_file("file.gz", tmp_path / "cache", mirrors=(url,), sha256="0" * 64)
    assert "offline" in str(raised.value)
    assert not (tmp_path / "cache" / "file.gz").exists()


def test_download_falls_back_to_a_working_mirror(tmp_path, mirror):
    root, url = mirror
    (root / "file.gz").write_bytes(b"ok")
    dead = "http://127.0.0.1:9/"  # the discard port: nothing listens
    path = data.download_file("file.gz", tmp_path / "c", mirrors=(dead, url), sha256="")
    assert path.read_bytes() == b"ok"


def test_ensure_mnist_downloads_missing_files_into_the_cache(
    tmp_path, mirror, monkeypatch, mnist_dir
):
    root, url = mirror
    for path in mnist_dir.iterdir():
        (root / path.name).write_bytes(path.read_bytes())
    checksums = {path.name: data.sha256_of(path) for path in mnist_dir.iterdir()}
    monkeypatch.setattr(data, "MNIST_SHA256", checksums)
    monkeypatch.delenv("DIGITREC_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    directory = data.ensure_mnist(mirrors=(url,))
    assert directory == tmp_path / "xdg" / "digitrec" / "mnist"
    assert sorted(p.name for p in directory.iterdir()) == sorted(checksums)


def test_official_checksums_match_the_published_values():
    assert data.MNIST_SHA256["train-images-idx3-ubyte.gz"].startswith("440fcabf")
    assert set(data.MNIST_SHA256) == set(data.MNIST_FILES.values())
