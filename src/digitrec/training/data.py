"""MNIST as IDX files: read, write, verify, and download into a cache.

Where the data comes from, in order: an explicit directory (``--data-dir``), the ``DIGITREC_DATA``
environment variable, then the cache (``$XDG_CACHE_HOME/digitrec/mnist``), filled from public
mirrors with SHA-256 verification when the files are missing.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# The official files; the same bytes are published on every mirror below.
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)

# IDX type codes (third byte of the magic number) and the numpy dtypes they hold, big-endian.
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_DOWNLOAD_TIMEOUT_S = 30
# Training images held out of training, for monitoring, calibration and tuning the number
# reader; the same images for every training seed and every user of the split.
VALIDATION_IMAGES = 5000
VALIDATION_SEED = 0


class DatasetError(Exception):
    """A dataset file is missing, malformed, or does not match what was expected."""


@dataclass(frozen=True)
class Split:
    """One half of MNIST. images: (n, 28, 28) uint8, white ink on black; labels: (n,) uint8."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def _open_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise DatasetError(f"{path}: not a valid gzip file ({error})") from error
    return raw


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzip or raw) into an array of its declared type and dimensions."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    content = _open_bytes(path)
    if len(content) < 4:
        raise DatasetError(f"{path}: too short to be an IDX file ({len(content)} bytes)")
    zero, type_code, ndim = struct.unpack(">HBB", content[:4])
    if zero != 0 or type_code not in _IDX_DTYPES or ndim == 0:
        raise DatasetError(
            f"{path}: bad IDX magic number 0x{content[:4].hex()} "
            "(expected 0x0000 then a type code 08-0E and a dimension count)"
        )
    header_len = 4 + 4 * ndim
    if len(content) < header_len:
        raise DatasetError(f"{path}: header declares {ndim} dimensions but the file ends early")
    shape = struct.unpack(f">{ndim}I", content[4:header_len])
    dtype = _IDX_DTYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(content) - header_len
    if actual != expected:
        raise DatasetError(
            f"{path}: header declares shape {shape} ({expected} bytes of data) "
            f"but the file holds {actual} bytes"
        )
    array = np.frombuffer(content, dtype=dtype, offset=header_len).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write an array as IDX; a path ending in .gz is gzip-compressed."""
    path = Path(path)
    array = np.asarray(array)
    matches = [
        (code, dtype)
        for code, dtype in _IDX_DTYPES.items()
        if dtype.kind == array.dtype.kind and dtype.itemsize == array.dtype.itemsize
    ]
    if not matches:
        raise ValueError(f"IDX cannot hold dtype {array.dtype}")
    type_code, dtype = matches[0]
    header = struct.pack(">HBB", 0, type_code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    content = header + array.astype(dtype).tobytes()
    if path.suffix == ".gz":
        content = gzip.compress(content, mtime=0)
    path.write_bytes(content)


def read_split(images_path: Path, labels_path: Path) -> Split:
    """Read an images file and its labels file, checking that they describe the same digits."""
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DatasetError(
            f"{images_path}: expected (n, rows, cols) unsigned bytes, "
            f"found shape {images.shape} of {images.dtype}"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise DatasetError(
            f"{labels_path}: expected (n,) unsigned bytes, found shape {labels.shape}"
        )
    if len(images) != len(labels):
        raise DatasetError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    if labels.size and labels.max() > 9:
        raise DatasetError(f"{labels_path}: label {labels.max()} is not a digit 0-9")
    return Split(images=images, labels=labels)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "digitrec" / "mnist"


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The directory to read MNIST from: the argument, else DIGITREC_DATA, else the cache."""
    if data_dir:
        return Path(data_dir)
    if os.environ.get("DIGITREC_DATA"):
        return Path(os.environ["DIGITREC_DATA"])
    return default_cache_dir()


def _find(directory: Path, filename: str) -> Path | None:
    """A file by its official name, gzip or already unpacked."""
    for candidate in (directory / filename, directory / filename.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def download_file(
    filename: str, directory: Path, mirrors: tuple[str, ...] = MNIST_MIRRORS, sha256: str = ""
) -> Path:
    """Fetch one file from the first mirror that serves it with the right checksum.

    The file is written to a temporary name and renamed only once verified, so an interrupted
    download never leaves a half-written file behind under the real name.
    """
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / filename
    failures = []
    for mirror in mirrors:
        url = mirror + filename
        try:
            with urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT_S) as response:
                payload = response.read()
        except (urllib.error.URLError, OSError, ValueError) as error:
            failures.append(f"{url}: {getattr(error, 'reason', error)}")
            continue
        actual = hashlib.sha256(payload).hexdigest()
        if sha256 and actual != sha256:
            failures.append(f"{url}: SHA-256 {actual} does not match the expected {sha256}")
            continue
        with tempfile.NamedTemporaryFile(dir=directory, prefix=f".{filename}.", delete=False) as f:
            f.write(payload)
        os.replace(f.name, target)
        return target
    raise DatasetError(
        f"could not download {filename} into {directory}:\n  "
        + "\n  ".join(failures)
        + "\nIf this machine is offline, copy the four MNIST IDX files into a directory and pass "
        "it with --data-dir or the DIGITREC_DATA environment variable."
    )


def ensure_mnist(
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    mirrors: tuple[str, ...] = MNIST_MIRRORS,
) -> Path:
    """The directory holding all four MNIST files, downloading missing ones into the cache.

    A directory the user named explicitly is only read, never written to.
    """
    directory = resolve_data_dir(data_dir)
    explicit = bool(data_dir or os.environ.get("DIGITREC_DATA"))
    missing = [name for name in MNIST_FILES.values() if _find(directory, name) is None]
    if missing and (explicit or not download):
        raise DatasetError(
            f"{directory} lacks {', '.join(missing)}. Put the MNIST IDX files there "
            "(gzip or unpacked), or leave out --data-dir/DIGITREC_DATA to download them."
        )
    for name in missing:
        download_file(name, directory, mirrors, MNIST_SHA256[name])
    return directory


def load_mnist(data_dir: str | os.PathLike | None = None, download: bool = True):
    """Return (train, test) Splits of MNIST from wherever `resolve_data_dir` points."""
    directory = ensure_mnist(data_dir, download=download)

    def split(images_key: str, labels_key: str) -> Split:
        return read_split(
            _find(directory, MNIST_FILES[images_key]), _find(directory, MNIST_FILES[labels_key])
        )

    return split("train_images", "train_labels"), split("test_images", "test_labels")


def describe_files(data_dir: str | os.PathLike | None = None) -> dict[str, str]:
    """SHA-256 of each MNIST file found, for the model card's record of its training data."""
    directory = resolve_data_dir(data_dir)
    found = {name: _find(directory, name) for name in MNIST_FILES.values()}
    return {path.name: sha256_of(path) for path in found.values() if path is not None}


def split_validation(train: Split, count: int):
    """Hold out `count` training images for monitoring and calibration.

    The split is the same for every training seed, so that members of an ensemble never saw
    each other's validation images.
    """
    order = np.random.default_rng(VALIDATION_SEED).permutation(len(train))
    count = min(count, len(train) // 5) if len(train) < 5 * count else count
    fit, held = order[count:], order[:count]
    return (
        Split(train.images[fit], train.labels[fit]),
        Split(train.images[held], train.labels[held]),
    )


def fit_validation_test(data_dir: str | None, validation_images: int, limit: int | None = None):
    """(fit, validation, test) Splits: MNIST's training digits (only the first `limit` of them,
    if given) less the `validation_images` held out by `split_validation`, those, and the test
    digits."""
    train, test = load_mnist(data_dir)
    if limit:
        train = Split(train.images[:limit], train.labels[:limit])
    fit, held = split_validation(train, validation_images)
    return fit, held, test
