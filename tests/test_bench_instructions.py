"""bench/bench_instructions.py: one request's instructions are a difference of two counts.

valgrind itself is not needed: the counted process and the arithmetic around it are checked
with callgrind's report faked.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import bench_instructions

ROOT = Path(__file__).resolve().parents[1]


def test_the_counted_process_makes_its_requests(monkeypatch):
    calls = []
    monkeypatch.setattr(sys, "path", list(sys.path))  # requests() puts the source first
    from digitrec.inference import Recogniser

    original = Recogniser.recognise
    monkeypatch.setattr(
        Recogniser,
        "recognise",
        lambda self, files: calls.append(len(files)) or original(self, files),
    )
    bench_instructions.requests(ROOT, "browser", 3)
    assert calls == [1] * (10 * len(bench_instructions.KINDS) + 3)  # ten of each kind, then 3


def test_one_request_is_the_difference_per_call(monkeypatch):
    collected = {"-": 1_000_000, "L": 3_000_000, "RGBA": 5_000_000, "browser": 2_000_000}

    def fake_run(command, **_):
        kind = command[command.index("--child") + 2]
        report = f"==1== Collected : {collected[kind]}\n"
        return subprocess.CompletedProcess(command, 0, "", report)

    monkeypatch.setattr(bench_instructions.subprocess, "run", fake_run)
    counts = bench_instructions.per_request(ROOT, calls=100)
    assert counts == pytest.approx({"L": 0.02, "RGBA": 0.04, "browser": 0.01})


def test_without_valgrind_the_section_says_so(monkeypatch, capsys):
    monkeypatch.setattr(bench_instructions.shutil, "which", lambda _: None)
    monkeypatch.setattr(sys, "argv", ["bench_instructions.py"])
    assert bench_instructions.main() == 0
    assert "Not measured: valgrind is not installed" in capsys.readouterr().out
