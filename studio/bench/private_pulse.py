"""A private PulseAudio server with the AI_Anchor_Out null sink, for benchmarks and tests.

`pulseaudio -n` in its own runtime dir, so the user's own sound setup is never touched; this
process's PULSE_* environment points at it while the context is open and is restored afterwards.
Threading: the caller's thread (start and stop are blocking).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from studio.audio import pulse_env
from studio.audio.pulse import ANCHOR_SINK, ANCHOR_SINK_DESCRIPTION, PulseControl

_ENV = ("PULSE_RUNTIME_PATH", "PULSE_SERVER", "PULSE_STATE_PATH", "PULSE_SINK", "PULSE_SOURCE")


class PrivatePulseError(RuntimeError):
    """The private server cannot run here (no binary, did not start); message for the user."""


@contextlib.contextmanager
def private_pulse_server(
    client_name: str = "studio-private", timeout_s: float = 10.0
) -> Iterator[PulseControl]:
    """Start the server with the AI_Anchor_Out sink; yield a control connected to it; stop it."""
    if shutil.which("pulseaudio") is None:
        raise PrivatePulseError("the pulseaudio binary is not installed (Debian: apt-get install pulseaudio)")
    runtime = Path(tempfile.mkdtemp(prefix="anchor-pulse-"))
    saved = {name: os.environ.get(name) for name in _ENV}
    os.environ.update(
        PULSE_RUNTIME_PATH=str(runtime), PULSE_SERVER=f"unix:{runtime}/native", PULSE_STATE_PATH=str(runtime)
    )
    os.environ.update(pulse_env.DEFAULT_NAMES)  # its default sink and source (present, never popped)
    control = PulseControl(client_name)
    try:
        command = [
            "pulseaudio",
            "--daemonize=yes",
            "--exit-idle-time=-1",
            "-n",
            "--use-pid-file=yes",
            f"--log-target=file:{runtime}/pa.log",
            "--load=module-native-protocol-unix auth-anonymous=1",
            f"--load=module-null-sink sink_name={ANCHOR_SINK} sink_properties=device.description="
            f"{ANCHOR_SINK_DESCRIPTION}",
        ]
        started = subprocess.run(command, capture_output=True, text=True, timeout=30)
        if started.returncode != 0:
            raise PrivatePulseError(f"private pulseaudio did not start: {started.stderr.strip()[-300:]}")
        deadline = time.monotonic() + timeout_s
        while not control.available():  # the daemon forks before its socket is up
            if time.monotonic() > deadline:
                log = (runtime / "pa.log").read_text(errors="replace")[-1000:]
                raise PrivatePulseError(f"private pulseaudio did not answer within {timeout_s:.0f} s: {log}")
            time.sleep(0.05)
        yield control
    finally:
        control.close()
        subprocess.run(["pulseaudio", "--kill"], capture_output=True, timeout=30)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(runtime, ignore_errors=True)
