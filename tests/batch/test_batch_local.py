"""The local engine's parts: every pending source once, in order, in parts that shrink at the
end so that the processes finish together."""

from __future__ import annotations

from digitrec.batch import local
from digitrec.batch.inputs import Source


def pending(count: int) -> list[tuple[int, Source]]:
    return [(index, Source(f"{index}.png", f"{index}.png")) for index in range(count)]


def test_parts_hold_every_source_once_in_order_and_shrink_at_the_end():
    sources = pending(5_000)
    parts = list(local._tapering(iter(sources), len(sources), part_size=500, workers=2))
    assert [pair for part in parts for pair in part] == sources
    # Once under 2,000 are left, each part is a quarter of what is left (2 shares for each of 2
    # workers: 1,500 // 4 = 375, 1,125 // 4 = 281, ...), never below one model call's worth
    # (64) but for the very last.
    tail = [375, 281, 211, 158, 118, 89, 67, 64, 64, 64, 9]
    assert [len(part) for part in parts] == [500] * 7 + tail


def test_a_part_size_below_the_smallest_tail_part_is_kept_throughout():
    parts = list(local._tapering(iter(pending(50)), 50, part_size=5, workers=2))
    assert [len(part) for part in parts] == [5] * 10


def test_parts_still_end_early_on_large_archive_members(monkeypatch):
    monkeypatch.setattr(local, "PART_BYTES", 10)
    members = [(index, Source(f"a.zip/{index}.png", content=b"12345")) for index in range(6)]
    parts = list(local._tapering(iter(members), len(members), part_size=500, workers=1))
    assert [len(part) for part in parts] == [2, 2, 2]
