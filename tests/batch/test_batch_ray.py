"""`digitrec batch --engine ray` on a local Ray of 2 CPUs: the same rows as the local engine."""

from __future__ import annotations

import re
import subprocess
import zipfile

import pytest
from batch_images import write_digits, write_non_images
from conftest import digitrec_command

pytest.importorskip("ray", reason="Ray is not installed (pip install 'digitrec[batch]')")

# A guard against a hung Ray, not a speed target: the run takes seconds.
RUN_LIMIT_S = 180


def run_batch(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*digitrec_command(), "batch", *arguments],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT_S,
    )


def test_local_and_ray_give_identical_rows_on_the_same_300_images(tmp_path):
    images = tmp_path / "images"
    digits = write_digits(images, 300)
    write_non_images(images / "odd")
    archive = tmp_path / "forms.zip"
    with zipfile.ZipFile(archive, "w") as opened:
        opened.write(digits[7], "page/7.png")
    inputs = [str(images), str(archive), str(digits[0]), str(tmp_path / "missing.png")]

    local = run_batch(*inputs, "--out", str(tmp_path / "local.jsonl"), "--workers", "2")
    assert local.returncode == 0, local.stderr
    # One actor and one CPU for Ray's reading and writing: `ray.init(num_cpus=2)`.
    on_ray = run_batch(
        *inputs, "--out", str(tmp_path / "ray.jsonl"), "--engine", "ray", "--workers", "1"
    )
    if on_ray.returncode != 0 and "Ray could not start" in on_ray.stderr:
        pytest.skip(on_ray.stderr.strip().splitlines()[-1])
    assert on_ray.returncode == 0, on_ray.stderr

    local_rows = (tmp_path / "local.jsonl").read_text().splitlines()
    # The 300 digits, broken.png's whole twin, the archived digit and digits[0] again are read;
    # notes.txt, broken.png and missing.png fail.
    assert len(local_rows) == 306
    assert (tmp_path / "ray.jsonl").read_text().splitlines() == local_rows
    counts = [run.stdout.split(" -> ")[0] for run in (local, on_ray)]
    assert counts[0] == counts[1]
    assert re.fullmatch(r"306 images: 303 read \(\d+ unsure\), 3 failed", counts[0])
