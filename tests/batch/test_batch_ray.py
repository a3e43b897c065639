"""`digitrec batch --engine ray` on a local Ray of 2 CPUs: the same rows as the local engine."""

from __future__ import annotations

import json
import os
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


def test_with_ray_address_set_the_job_joins_that_cluster(tmp_path):
    """A Ray started by this test stands for the cluster; the job finds it through RAY_ADDRESS
    and runs its actors there (one, leaving the cluster's other CPU to reading and writing)."""
    import ray

    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    except Exception as error:  # Ray raises what its daemons report, untyped
        pytest.skip(f"Ray could not start here: {error}")
    try:
        address = ray.get_runtime_context().gcs_address
        digits = write_digits(tmp_path / "images", 20)
        out = tmp_path / "joined.jsonl"
        joined = subprocess.run(
            [
                *digitrec_command(),
                "batch",
                str(tmp_path / "images"),
                "--engine",
                "ray",
                "--out",
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=RUN_LIMIT_S,
            env={**os.environ, "RAY_ADDRESS": address},
        )
        assert joined.returncode == 0, joined.stderr
        # The cluster's own record of the drivers that joined it (no public API without the
        # dashboard): the job's is among them.
        drivers = [job["Entrypoint"] for job in ray._private.state.jobs()]
        assert any(str(out) in entrypoint for entrypoint in drivers), drivers
        assert "20 images: 20 read" in joined.stdout
        rows = out.read_text().splitlines()
        assert [json.loads(row)["path"] for row in rows] == [str(path) for path in digits]
    finally:
        ray.shutdown()
