"""INPUT arguments -> sources: files, folders, globs, archives and @lists, in a stable order."""

from __future__ import annotations

import io
import tarfile
import zipfile

import pytest

from digitrec.batch.inputs import InputListError, Source, chunked, fingerprint, iter_sources


def names(*arguments: str) -> list[str]:
    return [source.name for source in iter_sources(arguments)]


def test_a_folder_gives_every_file_under_it_folders_and_files_sorted(tmp_path):
    for relative in ("b.png", "a/z.png", "a/y.png", "c/d/x.png", "0.txt"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes(b"x")
    root = str(tmp_path)
    assert names(root) == [
        f"{root}/0.txt",
        f"{root}/b.png",
        f"{root}/a/y.png",
        f"{root}/a/z.png",
        f"{root}/c/d/x.png",
    ]


def test_a_glob_gives_its_matches_sorted_and_arguments_keep_their_order(tmp_path):
    for name in ("3.png", "1.png", "2.jpg", "2.png"):
        (tmp_path / name).write_bytes(b"x")
    assert names(str(tmp_path / "3.png"), str(tmp_path / "*.png")) == [
        str(tmp_path / name) for name in ("3.png", "1.png", "2.png", "3.png")
    ]


def test_a_name_that_matches_nothing_is_still_a_source(tmp_path):
    missing = str(tmp_path / "missing.png")
    no_match = str(tmp_path / "*.gif")
    sources = list(iter_sources([missing, no_match]))
    assert [(source.name, source.file) for source in sources] == [
        (missing, missing),
        (no_match, no_match),
    ]


def test_zip_members_are_named_inside_their_archive_in_archive_order(tmp_path):
    archive = tmp_path / "forms.zip"
    with zipfile.ZipFile(archive, "w") as opened:
        opened.writestr("page/2.png", b"two")
        opened.writestr("page/", b"")
        opened.writestr("1.png", b"one")
    sources = list(iter_sources([str(archive)]))
    assert [(source.name, source.content) for source in sources] == [
        (f"{archive}/page/2.png", b"two"),
        (f"{archive}/1.png", b"one"),
    ]


def test_compressed_tar_members_are_read_in_one_pass(tmp_path):
    archive = tmp_path / "scans.tar.gz"
    with tarfile.open(archive, "w:gz") as opened:
        for name, content in (("b.png", b"bee"), ("a.png", b"ay")):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            opened.addfile(info, io.BytesIO(content))
    sources = list(iter_sources([str(archive)]))
    assert [(source.name, source.content) for source in sources] == [
        (f"{archive}/b.png", b"bee"),
        (f"{archive}/a.png", b"ay"),
    ]


def test_an_archive_that_is_not_one_is_a_source_with_an_error(tmp_path):
    archive = tmp_path / "broken.zip"
    archive.write_bytes(b"PK\x03\x04 not really")
    [source] = iter_sources([str(archive)])
    assert source.name == str(archive)
    assert "not a readable ZIP archive" in source.error


def test_an_at_list_names_inputs_relative_to_its_own_folder(tmp_path):
    (tmp_path / "scans").mkdir()
    (tmp_path / "scans" / "1.png").write_bytes(b"x")
    (tmp_path / "lone.png").write_bytes(b"x")
    listing = tmp_path / "list.txt"
    listing.write_text("lone.png\n\n  scans  \n")
    assert names(f"@{listing}") == [str(tmp_path / "lone.png"), str(tmp_path / "scans" / "1.png")]


def test_a_missing_at_list_is_an_error_naming_it(tmp_path):
    with pytest.raises(InputListError, match=r"missing\.txt"):
        names(f"@{tmp_path / 'missing.txt'}")


def test_the_fingerprint_changes_when_the_inputs_do(tmp_path):
    (tmp_path / "1.png").write_bytes(b"x")
    before = fingerprint([str(tmp_path)])
    assert fingerprint([str(tmp_path)]) == before
    (tmp_path / "2.png").write_bytes(b"x")
    count, _ = after = fingerprint([str(tmp_path)])
    assert count == 2 and after != before


def test_chunks_end_early_when_the_archive_members_they_carry_are_large():
    pairs = [
        (0, Source("a")),
        (1, Source("b", content=b"x" * 60)),
        (2, Source("c", content=b"x" * 50)),
    ]
    pairs += [(index, Source(name)) for index, name in enumerate("defgh", start=3)]
    sizes = [len(chunk) for chunk in chunked(pairs, size=4, max_bytes=100)]
    assert sizes == [3, 4, 1]


def test_an_at_list_that_is_not_text_is_an_error_naming_it(tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_bytes(b"a.png\n\xff\xfe\x00binary")
    with pytest.raises(InputListError, match=r"list\.txt: not a UTF-8 text file"):
        names(f"@{listing}")


def test_archives_a_glob_matches_are_opened(tmp_path):
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as opened:
        opened.writestr("1.png", b"one")
    assert names(str(tmp_path / "*.zip")) == [f"{tmp_path / 'a.zip'}/1.png"]
