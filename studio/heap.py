"""Keep a long show's resident memory flat: glibc's allocator tuned at start, free heap returned per turn.

Model runtimes (PyTorch, CTranslate2, onnxruntime) allocate differently sized buffers every turn from
several threads; with glibc's default of up to 8 arenas per core each worker thread keeps its own
high-water mark of freed-but-retained pages, so resident memory creeps upward for hours without a
leak. Fewer arenas and a `malloc_trim` after each turn hand those pages back. On other C libraries
(macOS, Windows, musl) both calls are no-ops.
Threading: `tune_allocator` runs once in the main thread before any worker starts;
`release_free_heap` runs in a worker thread (the engine hands it to the loop's executor).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import sys

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc mallopt parameter
STUDIO_ARENAS = 2  # the main thread's arena plus one shared by every worker


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
    return libc


def tune_allocator() -> bool:
    """Cap glibc's malloc arenas (before worker threads exist); True when applied."""
    libc = _glibc()
    if libc is None:
        return False
    applied = bool(libc.mallopt(M_ARENA_MAX, STUDIO_ARENAS))
    if not applied:
        log.info("mallopt(M_ARENA_MAX) refused; keeping the allocator's defaults")
    return applied


def release_free_heap() -> bool:
    """Return freed heap pages to the system; True when some were released."""
    libc = _glibc()
    return bool(libc.malloc_trim(0)) if libc is not None else False
