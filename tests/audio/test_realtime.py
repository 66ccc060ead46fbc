"""Callback threads ask for SCHED_FIFO and get it where the limits allow; others keep running."""

from __future__ import annotations

import os
import resource
import sys
import threading

import pytest

from studio.audio.realtime import promote_callback_thread

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux scheduling")


CAP_SYS_NICE = 23


def _allowed() -> bool:
    """SCHED_FIFO at priority 20: CAP_SYS_NICE, or an RLIMIT_RTPRIO of at least 20."""
    with open("/proc/self/status") as status:
        effective = next(int(line.split()[1], 16) for line in status if line.startswith("CapEff:"))
    soft, _hard = resource.getrlimit(resource.RLIMIT_RTPRIO)
    return bool(effective >> CAP_SYS_NICE & 1) or soft == resource.RLIM_INFINITY or soft >= 20


def test_a_callback_thread_runs_real_time_only_itself() -> None:
    seen: dict[str, object] = {}

    def callback_thread() -> None:
        seen["promoted"] = promote_callback_thread()
        seen["again"] = promote_callback_thread()  # cached: no second system call
        seen["policy"] = os.sched_getscheduler(0)

    for _ in range(3):  # new threads may reuse an old one's ident: each is promoted itself
        worker = threading.Thread(target=callback_thread)
        worker.start()
        worker.join()
        assert (seen["policy"] == os.SCHED_FIFO) is _allowed()
    assert seen["promoted"] is _allowed() and seen["again"] is seen["promoted"]
    assert (seen["policy"] == os.SCHED_FIFO) is _allowed()
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the calling (main) thread is untouched
