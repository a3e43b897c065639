"""Keep freed memory in the process, so that each request does not fault its buffers in anew.

One canvas makes buffers of a few hundred KB (inflated rows, pixels, grey copies). glibc's
allocator gives blocks that big their own fresh pages, or hands the top of its heap back to
the system once a few of them are freed; either way the next request's buffers are new pages,
and on a virtual machine each first touch of a page costs microseconds, hundreds of them a
request: about as long as the model itself, depending only on the order in which buffers happen to
be freed. Fixed thresholds keep blocks under MMAP_THRESHOLD in the heap and up to
TRIM_THRESHOLD of free heap in the process, so steady traffic reuses pages it already touched.
Blocks bigger than MMAP_THRESHOLD (a large photo's pixels) still go back as soon as they are
freed, so a worker keeps at most about TRIM_THRESHOLD more than it needs.
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


@functools.cache  # once per process: the settings are the allocator's, not an object's
def keep_freed_memory() -> bool:
    """Set glibc's allocator thresholds as above; False where there is no glibc (nothing
    changes: other allocators manage their own pages)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
