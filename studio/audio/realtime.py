"""Give PortAudio's callback thread real-time scheduling where the system allows it.

On a busy 2-core machine the model threads (Whisper, the chat model, Piper) keep both cores
runnable; a callback thread at normal priority can then wait longer than the device buffer and
the program underruns. Pro audio on Linux runs its callbacks SCHED_FIFO (JACK, PipeWire via
rtkit); we ask for the same, once per callback thread, and keep the normal policy when the user's
limits forbid it (RLIMIT_RTPRIO 0: add the user to the `audio` group with an rtprio limit).
Threading: called from inside PortAudio's callback threads.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

log = logging.getLogger(__name__)

GIL_SWITCH_INTERVAL_S = 0.001
CALLBACK_PRIORITY = 20  # SCHED_FIFO 1..99: above desktop work, below the audio server's own threads
_thread_state = threading.local()  # per thread, not per ident: idents are reused by new threads


def promote_callback_thread() -> bool:
    """Make the calling thread SCHED_FIFO once; True if it now runs real time."""
    done = getattr(_thread_state, "promoted", None)
    if done is not None:
        return done
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(CALLBACK_PRIORITY))  # 0: this thread
        promoted = True
    except (AttributeError, OSError) as exc:  # not Linux, or no rtprio allowance
        log.info("audio callback thread stays at normal priority: %s", exc)
        promoted = False
    _thread_state.promoted = promoted
    return promoted


def shorten_gil_switch_interval() -> None:
    """Let a waiting thread (an audio callback, the engine loop) win the GIL within 1 ms, not 5.

    Model threads (tokenizers, generate loops) hold the GIL in Python code; with the default
    interval a PortAudio callback on a 10 ms buffer can wait long enough to underrun.
    """
    sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_INTERVAL_S))
