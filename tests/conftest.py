"""Test session setup: private config/data dirs, so a developer's own settings never leak in."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.audio.pulse import ANCHOR_SINK, ANCHOR_SINK_DESCRIPTION, PulseControl

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists


@pytest.fixture(autouse=True)
def private_studio_dirs(tmp_path, monkeypatch):
    """Each test gets its own config and data dir; the model cache stays shared (it is slow to build)."""
    monkeypatch.setenv("AI_ANCHOR_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("AI_ANCHOR_DATA_DIR", str(tmp_path / "data"))
    for name in ("STACK", "SAMPLE_RATE", "OLLAMA_HOST", "VOICE", "TURN_MODE"):
        monkeypatch.delenv(name, raising=False)


# A private PulseAudio server with the AI_Anchor_Out null sink (audio device and window tests).
@pytest.fixture(scope="session")
def pulse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseControl]:
    """Start `pulseaudio -n` with only what the tests need; stopped at the end of the session."""
    if shutil.which("pulseaudio") is None:
        pytest.skip("the pulseaudio binary is not installed (scripts/install.sh --test installs it)")
    runtime = tmp_path_factory.mktemp("pulse")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PULSE_RUNTIME_PATH", str(runtime))
        patch.setenv("PULSE_SERVER", f"unix:{runtime}/native")
        patch.setenv("PULSE_STATE_PATH", str(runtime / "state"))
        patch.delenv("PULSE_SINK", raising=False)
        patch.delenv("PULSE_SOURCE", raising=False)
        command = [
            "pulseaudio",
            "--daemonize=yes",
            "--exit-idle-time=-1",
            "-n",
            "--use-pid-file=yes",
            f"--log-target=file:{runtime}/pa.log",
            "--load=module-native-protocol-unix auth-anonymous=1",
            f"--load=module-null-sink sink_name={ANCHOR_SINK} "
            f"sink_properties=device.description={ANCHOR_SINK_DESCRIPTION}",
        ]
        subprocess.run(command, check=True, timeout=30, env=os.environ.copy())
        control = PulseControl("studio-tests")
        deadline = time.monotonic() + 10
        while not control.available():  # the daemon forks before its socket is up
            if time.monotonic() > deadline:
                log = (Path(runtime) / "pa.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"private PulseAudio did not come up: {log}")
            time.sleep(0.05)
        try:
            yield control
        finally:
            control.close()
            subprocess.run(["pulseaudio", "--kill"], check=False, timeout=30, env=os.environ.copy())


@pytest.fixture
def anchor_sink(pulse_server: PulseControl) -> PulseControl:
    """The server with the AI_Anchor_Out sink present (a test that unloads it gets it back)."""
    pulse_server.create_anchor_sink()
    return pulse_server
