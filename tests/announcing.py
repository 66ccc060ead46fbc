"""Test daemons that say on a pipe when they are ready (Xvfb's display, dbus-daemon's address).

Threading: the test's thread.
"""

from __future__ import annotations

import os
import select
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def announcing(
    argv_for: Callable[[int], list[str]], what: str, ready_s: float, stop_s: float
) -> Iterator[str]:
    """Run `argv_for(fd)`, a daemon that writes one line to `fd` once ready; yield that line, then stop it."""
    read, write = os.pipe()
    process = subprocess.Popen(
        argv_for(write), pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    os.close(write)
    try:
        ready, _, _ = select.select([read], [], [], ready_s)
        said = os.read(read, 4096).decode().strip() if ready else ""
        if not said:
            pytest.fail(f"{what} did not start within {ready_s} s")
        yield said
    finally:
        os.close(read)
        process.terminate()
        process.wait(stop_s)
