"""Keep a long show's resident memory flat: glibc's allocator tuned at start, free heap returned per turn.

Model runtimes (PyTorch, CTranslate2, onnxruntime) allocate differently sized buffers every turn from
several threads; with glibc's default of up to 8 arenas per core each worker thread keeps its own
high-water mark of freed-but-retained pages, so resident memory creeps upward for hours without a
leak. Fewer arenas and a `malloc_trim` after each turn hand those pages back. A fixed mmap threshold
keeps tensors up to 32 MiB in the heap, reused within a turn instead of mapped and zero-filled
anew for every call (Piper without its onnxruntime arena runs as fast as with it: 161 vs 167 ms
per short clause), and the trim after the turn returns them. oneDNN, which runs PyTorch's
bfloat16 matmuls, caches a compiled kernel for every input shape it meets - one set per distinct
prompt length - up to 1024 of them; a small cache keeps the decode shapes and the last prompts.
On other C libraries (macOS, Windows, musl) the allocator calls are no-ops.
Python's cyclic garbage collector is kept off the loaded models: a loaded embedded stack is ~420k
tracked objects, and a full collection visits them all (60-230 ms, holding the GIL, so every
thread - the window's too - waits); starting the stack ran about ten of them. Loading runs with
the collector paused; then one collection, and the survivors are frozen out of its sight
(`gc.freeze`), so later collections visit only what the show creates. A show thaws them at close.
Threading: `tune_allocator` runs once in the main thread before any worker starts;
`release_free_heap` runs in a worker thread (the engine hands it to the loop's executor); the
collector calls run on any thread (process-wide, a pause is counted so overlapping loads nest).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import logging
import os
import sys
import threading
from collections.abc import Iterator

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1  # glibc mallopt parameters
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
STUDIO_ARENAS = 2  # the main thread's arena plus one shared by every worker
MMAP_THRESHOLD = 32 * 2**20  # glibc's ceiling for it on 64-bit
TRIM_THRESHOLD = 256 * 2**20  # the per-turn malloc_trim returns the rest
ONEDNN_CACHE_ENV = "ONEDNN_PRIMITIVE_CACHE_CAPACITY"
ONEDNN_CACHE_ENTRIES = 32  # ~5 decode shapes + the last few prompts' shapes; default 1024
_pauses = {"depth": 0, "was_enabled": True}
_pause_lock = threading.Lock()


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
    """Tune glibc's malloc and bound oneDNN's kernel cache (before any runtime starts); True when applied."""
    os.environ.setdefault(ONEDNN_CACHE_ENV, str(ONEDNN_CACHE_ENTRIES))  # read when oneDNN first runs
    libc = _glibc()
    if libc is None:
        return False
    wanted = {M_ARENA_MAX: STUDIO_ARENAS, M_MMAP_THRESHOLD: MMAP_THRESHOLD, M_TRIM_THRESHOLD: TRIM_THRESHOLD}
    refused = [parameter for parameter, value in wanted.items() if not libc.mallopt(parameter, value)]
    if refused:
        log.info("mallopt refused parameters %s; keeping the allocator's defaults for them", refused)
    return not refused


def release_free_heap() -> bool:
    """Return freed heap pages to the system; True when some were released."""
    libc = _glibc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside (models loading); overlapping pauses nest."""
    with _pause_lock:
        if _pauses["depth"] == 0:
            _pauses["was_enabled"] = gc.isenabled()
            gc.disable()
        _pauses["depth"] += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses["depth"] -= 1
            if _pauses["depth"] == 0 and _pauses["was_enabled"]:
                gc.enable()


def collection_paused() -> bool:
    """True inside `collector_paused` (a collector of our own waits too: studio.ui.main_thread_gc)."""
    with _pause_lock:
        return _pauses["depth"] > 0


def freeze_long_lived() -> None:
    """Collect once, then keep every survivor (the loaded models) out of later collections."""
    gc.collect()
    gc.freeze()


def thaw_long_lived() -> None:
    """Hand frozen objects back to the collector (a show closed: its models may be garbage now)."""
    gc.unfreeze()
