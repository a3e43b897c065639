"""digitrec.memory: the allocator keeps freed pages for the next request."""

from __future__ import annotations

import platform
import resource

import numpy as np
import pytest

from digitrec.memory import keep_freed_memory

glibc_only = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="the thresholds are glibc's"
)


@glibc_only
def test_the_thresholds_are_set_once_per_process():
    assert keep_freed_memory() is True
    assert keep_freed_memory() is True
    assert keep_freed_memory.cache_info().currsize == 1


@glibc_only
def test_buffers_of_a_canvas_request_reuse_pages_already_touched():
    keep_freed_memory()

    def request():  # the shape of a canvas's work: a few 300 KB buffers made and freed
        rows = np.ones(313_600, np.uint8)
        pixels = rows.copy()
        grey = pixels[::4].copy()
        return int(grey.sum())

    for _ in range(20):
        request()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(200):
        request()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert faults < 200  # without the thresholds: about 150 page faults per request
