"""The command's INPUT arguments -> one ordered stream of sources, one per image to read.

An argument is a file, a folder (every file under it, recursively, in sorted order), a glob
pattern (its matches, sorted, each taken as an argument), a zip or tar archive (its files, in archive order) or `@list.txt`
(a text file naming one such argument per line, relative to the list's own folder). A name that
matches nothing is still a source: reading it fails, and that failure is its row.

The stream is a generator, so a million files never sit in memory at once; only one folder's
names are sorted at a time. Enumerating the same arguments over the same files gives the same
sources in the same order, which is what lets an interrupted job resume.
"""

from __future__ import annotations

import glob
import hashlib
import os
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from digitrec.imaging.decode import MAX_FILE_BYTES, MAX_PIXELS

ZIP_SUFFIXES = (".zip",)
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
LIST_PREFIX = "@"


class InputListError(Exception):
    """An @list file cannot be read; the message names it and why."""


@dataclass(frozen=True)
class Source:
    """One image to read: from `file`, or from `content` already read out of an archive."""

    name: str  # the results' `path`: as the user named it, archive members as ARCHIVE/MEMBER
    file: str | None = None
    content: bytes | None = None
    error: str | None = None  # why it cannot be read at all (an archive member too large)


def iter_sources(arguments: Iterable[str], read_members: bool = True) -> Iterator[Source]:
    """Every source the arguments name, in order. Without `read_members`, archive members come
    without their content (enough to count and name them)."""
    for argument in arguments:
        if argument.startswith(LIST_PREFIX):
            yield from _listed_sources(Path(argument[len(LIST_PREFIX) :]), read_members)
        else:
            yield from _sources_of(argument, read_members)


def fingerprint(arguments: Iterable[str]) -> tuple[int, str]:
    """(how many sources, SHA-256 of their names in order): the same only for the same inputs."""
    digest = hashlib.sha256()
    count = 0
    for source in iter_sources(arguments, read_members=False):
        digest.update(source.name.encode("utf-8", "surrogateescape") + b"\n")
        count += 1
    return count, digest.hexdigest()


def chunked(
    pairs: Iterable[tuple[int, Source]], size: int, max_bytes: int
) -> Iterator[list[tuple[int, Source]]]:
    """Consecutive lists of (index, source), taken as they are needed: `size` sources each, or
    fewer where the archive members they carry add up to `max_bytes` (photos out of a zip are
    megabytes each; files are read later, by whoever recognises them)."""
    chunk: list[tuple[int, Source]] = []
    carried = 0
    for pair in pairs:
        chunk.append(pair)
        carried += len(pair[1].content or b"")
        if len(chunk) >= size or carried >= max_bytes:
            yield chunk
            chunk, carried = [], 0
    if chunk:
        yield chunk


def _listed_sources(list_path: Path, read_members: bool) -> Iterator[Source]:
    try:
        lines = list_path.open(encoding="utf-8")
    except OSError as error:
        raise InputListError(f"@{list_path}: {error.strerror or error}") from error
    with lines:
        try:
            for line in lines:
                entry = line.strip()
                if entry:
                    yield from _sources_of(str(list_path.parent / entry), read_members)
        except UnicodeDecodeError as error:
            raise InputListError(
                f"@{list_path}: not a UTF-8 text file of paths (byte {error.start} is not text)"
            ) from error


def _sources_of(argument: str, read_members: bool) -> Iterator[Source]:
    if os.path.isdir(argument):
        yield from _folder_sources(argument)
    elif os.path.isfile(argument) and argument.lower().endswith(ZIP_SUFFIXES):
        yield from _zip_sources(argument, read_members)
    elif os.path.isfile(argument) and argument.lower().endswith(TAR_SUFFIXES):
        yield from _tar_sources(argument, read_members)
    elif not os.path.exists(argument) and glob.has_magic(argument):
        matches = sorted(glob.iglob(argument, recursive=True))
        for match in matches:
            yield from _sources_of(match, read_members)
        if not matches:
            yield Source(argument, argument)
    else:
        yield Source(argument, argument)


def _folder_sources(folder: str) -> Iterator[Source]:
    """Every file under `folder`, folders and files each in sorted order; archives found inside
    are files like any other (reported as not images), not opened."""
    for parent, folders, files in os.walk(folder):
        folders.sort()
        for name in sorted(files):
            path = os.path.join(parent, name)
            yield Source(path, path)


def _zip_sources(archive: str, read_members: bool) -> Iterator[Source]:
    try:
        with zipfile.ZipFile(archive) as opened:
            for member in opened.infolist():
                if member.is_dir():
                    continue
                name = f"{archive}/{member.filename}"
                if not read_members:
                    yield Source(name)
                elif member.file_size > MAX_FILE_BYTES:
                    yield Source(name, error=_too_large())
                else:
                    yield _zip_member(opened, member, name)
    except (OSError, zipfile.BadZipFile) as error:
        yield Source(archive, error=f"not a readable ZIP archive ({error})")


def _tar_sources(archive: str, read_members: bool) -> Iterator[Source]:
    try:
        # "r|*": a stream, member after member, so a compressed tar is inflated only once.
        with tarfile.open(archive, "r|*") as opened:
            for member in opened:
                if not member.isfile():
                    continue
                name = f"{archive}/{member.name}"
                if not read_members:
                    yield Source(name)
                elif member.size > MAX_FILE_BYTES:
                    yield Source(name, error=_too_large())
                else:
                    yield _member(name, opened.extractfile(member).read())
    except (OSError, tarfile.TarError, EOFError) as error:
        yield Source(archive, error=f"not a readable tar archive ({error})")


def _zip_member(opened: zipfile.ZipFile, member: zipfile.ZipInfo, name: str) -> Source:
    try:
        with opened.open(member) as content:
            return _member(name, content.read(MAX_FILE_BYTES + 1))
    # A damaged, encrypted or oddly compressed member spoils only itself.
    except (OSError, zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError) as error:
        return Source(name, error=f"cannot be read from its archive ({error})")


def _member(name: str, content: bytes) -> Source:
    return (
        Source(name, error=_too_large())
        if len(content) > MAX_FILE_BYTES
        else Source(name, content=content)
    )


def _too_large() -> str:
    return (
        f"the file is over {MAX_FILE_BYTES // (1 << 20)} MB: digitrec reads images up to "
        f"{MAX_PIXELS // 1_000_000} megapixels"
    )
