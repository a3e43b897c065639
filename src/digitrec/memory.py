"""Keep freed memory in the process, so that each request does not fault its buffers in anew.

One canvas makes buffers of a few hundred KB (inflated rows, pixels, grey copies). glibc's
allocator gives blocks that big their own fresh pages, or hands the top of its heap back to
the system once a few of them are freed; either way the next request's buffers are new pages,
and on a virtual machine each first touch of a page costs microseconds, hundreds of them a
request: about as long as the model itself, depending only on the order in which buffers happen to
be freed. Fixed thresholds keep blocks under MMAP_THRESHOLD in the heap and up to
TRIM_THRESHOLD of free heap in the process, so steady traffic reuses pages it already touched.
Blocks bigger than MMAP_THRESHOLD (a large photo's pixels) still go back as soon as they are
freed, so a worker keeps at most about TRIM_THRESHOLD more than it needs per heap; after a
big image, `give_back_freed_memory` returns all of it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

MMAP_THRESHOLD = 8 << 20
TRIM_THRESHOLD = 32 << 20
# mallopt's parameter numbers, from glibc's malloc.h.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
# One heap for every thread: each thread's own arena would keep its share of a big image's
# freed buffers (measured: about 12 MB each, with four threads), beyond malloc_trim's reach.
ARENA_MAX = 1


@functools.cache
def _glibc():
    """glibc, or None where the C library is another (its allocator manages its own pages)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 (glibc's, absent from other C libraries)
    except (OSError, AttributeError):
        return None
    return libc


@functools.cache  # once per process: the settings are the allocator's, not an object's
def keep_freed_memory() -> bool:
    """Set glibc's allocator thresholds as above; False where there is no glibc (nothing
    changes: other allocators manage their own pages)."""
    libc = _glibc()
    if libc is None:
        return False
    mallopt = libc.mallopt
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
        and mallopt(_M_ARENA_MAX, ARENA_MAX)
    )


def give_back_freed_memory() -> bool:
    """Return every free page of every thread's heap to the system (glibc's malloc_trim), as
    after a big image: without it each thread keeps up to TRIM_THRESHOLD, and fragments of a
    big image's buffers keep whole pages. False where there is no glibc."""
    libc = _glibc()
    return bool(libc is not None and libc.malloc_trim(0))
