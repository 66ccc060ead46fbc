"""At interpreter exit PortAudio is terminated only when none of its calls is stuck on a thread;
a stuck one would make it abort the process (SIGABRT after a green test run)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import atexit, sys, threading, types
    from studio.audio import portaudio_exit

    def exit_handler():  # stands for sounddevice's: Pa_Terminate
        print("terminated", flush=True)

    class Stream:
        closed = False
        def abort(self):
            print("aborted a free stream", flush=True)

    fake = types.SimpleNamespace(_exit_handler=exit_handler)
    atexit.register(exit_handler)  # sounddevice registers it at import
    portaudio_exit.install(fake)
    portaudio_exit.install(fake)  # once only
    free, hung = portaudio_exit.track(Stream()), portaudio_exit.track(Stream())
    if sys.argv[1] == "stuck":
        entered = threading.Event()
        def stuck_start():
            with portaudio_exit.calling(hung):
                entered.set()
                threading.Event().wait()  # a driver call that never returns
        threading.Thread(target=stuck_start, daemon=True).start()
        entered.wait()
    """
)


def _run(mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=120, check=False
    )


def test_nothing_stuck_portaudio_is_terminated_once():
    done = _run("clean")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["terminated"]


def test_a_stuck_call_skips_the_termination_and_stops_only_the_free_streams():
    done = _run("stuck")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["aborted a free stream"]
    assert "1 audio driver call(s) never returned" in done.stderr


def test_a_stream_dropped_unclosed_stays_alive_until_it_is_closed():
    import gc
    import weakref

    from studio.audio import portaudio_exit

    class Stream:
        closed = False

    stream = portaudio_exit.track(Stream())
    alive = weakref.ref(stream)
    del stream
    gc.collect()
    assert alive() is not None, "PortAudio could still be calling it: it must not be freed"
    assert alive() in portaudio_exit.open_streams()
    alive().closed = True
    portaudio_exit.untrack(alive())
    gc.collect()
    assert alive() is None
