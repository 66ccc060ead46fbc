"""Real OBS Studio (Debian's obs-studio, obs-websocket built in) under Xvfb, for the tests that need it.

Its own HOME and config (global.ini turns the WebSocket server on with a password, skips the
wizard); SIGINT shuts it down cleanly. Threading: the test's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from studio.obs.client import ObsClient
from studio.obs.protocol import ObsRequestError

RESOURCE_ALREADY_EXISTS = 601  # obs-websocket v5 RequestStatus

GLOBAL_INI = """[General]
FirstRun=true
EnableAutoUpdates=false

[OBSWebSocket]
FirstLoad=false
ServerEnabled=true
ServerPort={port}
AuthRequired=true
ServerPassword={password}
AlertsEnabled=false
"""


def missing() -> str:
    """Why real OBS cannot run here ("" when it can)."""
    for tool in ("obs", "xvfb-run"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (scripts/install.sh --test installs obs-studio and xvfb)"
    return ""


def _free_port() -> int:
    """A port nothing listens on, for OBS's WebSocket server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RealObs:
    """One OBS process with its WebSocket server on 127.0.0.1:`port`."""

    def __init__(self, home: Path, password: str = "studio-test") -> None:
        """OBS's home (config, log) under `home`; the server's password."""
        self.home, self.password, self.port = home, password, _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where clients connect."""
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> RealObs:
        """Launch OBS and return once its WebSocket port accepts connections."""
        config = self.home / ".config" / "obs-studio"
        config.mkdir(parents=True, exist_ok=True)
        (config / "global.ini").write_text(GLOBAL_INI.format(port=self.port, password=self.password))
        env = os.environ | {"HOME": str(self.home), "XDG_CONFIG_HOME": str(self.home / ".config")}
        env |= {"LIBGL_ALWAYS_SOFTWARE": "1", "QT_QPA_PLATFORM": "xcb"}
        command = ["xvfb-run", "-a", "obs", "--minimize-to-tray", "--disable-updater"]
        command += ["--disable-missing-files-check", "--multi"]
        log = (self.home / "obs.log").open("wb")
        self.process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"OBS exited with {self.process.returncode}; see {self.home / 'obs.log'}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            with contextlib.suppress(subprocess.TimeoutExpired):  # wakes at once if OBS dies
                self.process.wait(0.2)
        raise RuntimeError(f"OBS's WebSocket server did not open port {self.port} in {timeout:g} s")

    def stop(self) -> None:
        """SIGINT to OBS's process group (xvfb-run and OBS); SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(15)

    def kill(self) -> None:
        """SIGKILL to OBS's process group: a crash, with no chance to save or say goodbye."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(15)


async def create_caption_source(url: str, password: str) -> None:
    """A Text (FreeType 2) input named like the default obs_caption_source, in the current scene
    (kept if OBS still has it)."""
    client = ObsClient(url, password)
    runner = asyncio.get_running_loop().create_task(client.run())
    try:
        assert await client.wait_connected(10), client.message
        scene = (await client.request("GetCurrentProgramScene"))["currentProgramSceneName"]
        data = {"sceneName": scene, "inputName": "AI Anchor Captions", "inputKind": "text_ft2_source_v2"}
        try:
            await client.request("CreateInput", data | {"inputSettings": {"text": ""}})
        except ObsRequestError as exc:
            if exc.code != RESOURCE_ALREADY_EXISTS:
                raise
    finally:
        await client.close()
        await runner


async def caption_text(url: str, password: str) -> str:
    """The caption source's text as OBS has it now (GetInputSettings)."""
    client = ObsClient(url, password)
    runner = asyncio.get_running_loop().create_task(client.run())
    try:
        assert await client.wait_connected(10), client.message
        reply = await client.request("GetInputSettings", {"inputName": "AI Anchor Captions"})
        return str(reply["inputSettings"].get("text", ""))
    finally:
        await client.close()
        await runner
