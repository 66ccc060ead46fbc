"""CEA-608 end to end: the anchor's captions reach the stream real OBS Studio sends, read back from it.

Real OBS (Xvfb, obs-websocket) streams over RTMP to `ffmpeg -listen 1` on 127.0.0.1 at 256x144,
10 fps (x264, Simple output mode); a show captions the host's line and the anchor's clauses through
the bridge, which sends each as `SendStreamCaption` while OBS streams. The received stream is then
decoded by ffmpeg's `subcc` (the h264 decoder's A53 side data → cc_dec) and compared with what the
bridge put on the Text source: every caption, in order.

Why the read-back takes two ffmpeg steps: OBS 29 appends the caption SEI NAL *after* the frame's
slice (libobs/obs-output.c add_caption: "TODO: SEI should come after AUD/SPS/PPS, but before any
VCL"), and FFmpeg's h264 decoder clears the SEI it holds at the start of each packet
(decode_nal_units: ff_h264_sei_uninit), so straight from an FLV (one packet per frame) no caption
is decoded, although each is in the file (GA94 user data). The listener writes MPEG-TS; reading it,
the h264 parser re-splits access units where an SEI opens the next one, which puts each caption
before the following frame's slice (see stream_captions for the timestamps).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from studio.audio.outputs import ClockedOutput
from studio.config import Settings, load_settings
from studio.engine.events import TurnCompleted
from studio.obs import ObsBridge, attach_obs
from studio.obs.client import ObsClient
from studio.show import Show
from studio.voices.profile import VoiceProfile
from tests.obs import real_obs
from tests.show.doubles import fixed_stack
from tests.show.test_show import Events

VOICE = VoiceProfile(name="Test", anchor_name="Tess")
REPLY = "Good evening from the studio. Captions reach the stream."
QUESTION = "What is on tonight?"
HOST_CAPTION = f"Host: {QUESTION}"
ANCHOR_CAPTIONS = ("Tess: Good evening from the studio.", "Tess: Captions reach the stream.")
WAIT_S = 60.0  # OBS under Xvfb with software GL on a loaded 2-core machine
FPS = 10
FRAMES_AFTER = 2 * FPS  # the stream runs on for 2 s after OBS took the last caption
VIDEO = {"baseWidth": 256, "baseHeight": 144, "outputWidth": 256, "outputHeight": 144}
X264 = (  # Simple output mode's profile: x264, low bitrate, and no B-frames (see stream_captions)
    ("StreamEncoder", "x264"),
    ("VBitrate", "300"),
    ("UseAdvanced", "true"),
    ("Preset", "veryfast"),
    ("x264Settings", "bframes=0"),
)
TCP_LISTEN = "0A"  # /proc/net/tcp state
STARTED, STOPPED = "OBS_WEBSOCKET_OUTPUT_STARTED", "OBS_WEBSOCKET_OUTPUT_STOPPED"


def missing() -> str:
    """Why this test cannot run here ("" when it can)."""
    if why := real_obs.missing():
        return why
    if shutil.which("ffmpeg") is None:
        return "ffmpeg is not installed (scripts/install.sh --test installs it; it receives the stream)"
    return ""


def _listening(port: int) -> bool:
    """Whether something listens on 127.0.0.1:`port` (read from /proc: a probe connection would be
    the single client `ffmpeg -listen 1` accepts)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as rows:
            for row in rows.readlines()[1:]:
                fields = row.split()
                if fields[1].endswith(f":{port:04X}") and fields[3] == TCP_LISTEN:
                    return True
    return False


def start_listener(port: int, into: Path, log: Path, timeout: float = 30.0) -> subprocess.Popen[bytes]:
    """`ffmpeg -listen 1` receiving rtmp://127.0.0.1:`port`/live/test into `into` (MPEG-TS, copied)."""
    command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-listen", "1"]
    command += ["-i", f"rtmp://127.0.0.1:{port}/live/test", "-c", "copy", "-f", "mpegts", str(into)]
    with log.open("wb") as said:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=said)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ffmpeg exited with {process.returncode}: {log.read_text()}")
        if _listening(port):
            return process
        with contextlib.suppress(subprocess.TimeoutExpired):  # wakes at once if ffmpeg dies
            process.wait(0.05)
    process.kill()
    raise RuntimeError(f"ffmpeg did not listen on port {port} in {timeout:g} s")


def _ffmpeg(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ffmpeg quietly in `cwd`; its output and what it said."""
    command = ["ffmpeg", "-nostdin", "-loglevel", "error", *arguments]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def stream_captions(stream: Path) -> tuple[str, str]:
    """The CEA-608 captions of the received MPEG-TS `stream` as SRT text, and what ffmpeg said.

    First remuxed with generated timestamps: the h264 parser's split gives each captioned access
    unit (SEI from one PES, slice from the next) no timestamp, and cc_dec's cues without one are
    dropped ("Subtitle packets must have a pts"). Without B-frames (X264 above) genpts fills them
    in, and the new file has one access unit per PES, SEI first. Then lavfi movie's subcc output
    (the h264 decoder's A53 side data → cc_dec) as SRT."""
    remux = ["-fflags", "+genpts", "-i", stream.name, "-map", "0:v", "-c", "copy", "-f", "mpegts", "cc.ts"]
    _ffmpeg(*remux, cwd=stream.parent)
    decode = ["-f", "lavfi", "-i", "movie=cc.ts[out0+subcc]", "-map", "0:1", "-f", "srt", "-"]
    done = _ffmpeg(*decode, cwd=stream.parent)
    return done.stdout, done.stderr


def caption_lines(srt: str) -> list[str]:
    """The text of each SRT cue (styling tags dropped; a cue's rows joined with a space)."""
    cues = []
    for block in re.split(r"\n\s*\n", srt.strip()):
        rows = [re.sub(r"<[^>]*>|\{[^}]*\}", "", row).strip() for row in block.splitlines()[2:]]
        if text := " ".join(row for row in rows if row):
            cues.append(text)
    return cues


def _squeezed(text: str) -> str:
    """Compared without case or whitespace: CEA-608 rows wrap at 32 columns."""
    return re.sub(r"\s+", "", text).casefold()


class ObsStream:
    """Drives OBS's stream output over obs-websocket and follows StreamStateChanged."""

    def __init__(self, url: str, password: str) -> None:
        self.client = ObsClient(url, password, on_event=self._on_event)
        self.states: list[str] = []
        self._changed = asyncio.Event()

    def _on_event(self, kind: str, data: dict) -> None:
        if kind == "StreamStateChanged":
            self.states.append(str(data.get("outputState")))
            self._changed.set()

    async def request_and_wait(self, request: str, wanted: str, timeout: float = WAIT_S) -> str:
        """Send `request`; the first of `wanted` or a stop OBS reports after it."""
        seen = len(self.states)  # before the request: its events may come before its answer
        await self.client.request(request)
        async with asyncio.timeout(timeout):
            while True:
                for state in self.states[seen:]:
                    if state in (wanted, STOPPED):
                        return state
                seen = len(self.states)
                self._changed.clear()
                await self._changed.wait()

    async def frames(self) -> int:
        """Frames OBS has sent on the stream so far."""
        return int((await self.client.request("GetStreamStatus"))["outputTotalFrames"])

    async def wait_frames(self, count: int, timeout: float = WAIT_S) -> int:
        """Poll GetStreamStatus (OBS has no event per frame) until `count` frames went out."""
        deadline = time.monotonic() + timeout
        while (sent := await self.frames()) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.2)  # a bounded poll: there is no event to wait on
        return sent


async def _configure(stream: ObsStream, rtmp_port: int) -> None:
    """A tiny, slow canvas (spares the CPU), a low bitrate, and the local RTMP listener as service."""
    client = stream.client
    await client.request("SetVideoSettings", VIDEO | {"fpsNumerator": FPS, "fpsDenominator": 1})
    for name, value in X264:
        parameter = {"parameterCategory": "SimpleOutput", "parameterName": name, "parameterValue": value}
        await client.request("SetProfileParameter", parameter)
    service = {"server": f"rtmp://127.0.0.1:{rtmp_port}/live", "key": "test"}
    await client.request(
        "SetStreamServiceSettings", {"streamServiceType": "rtmp_custom", "streamServiceSettings": service}
    )


async def _caption_a_turn(settings: Settings) -> ObsBridge:
    """One typed turn through a show with the OBS bridge attached, while OBS streams; returns the
    closed bridge once OBS has taken the host's line and the anchor's clauses."""
    show = Show(settings, VOICE, stack=fixed_stack(REPLY), output=ClockedOutput(settings.SAMPLE_RATE))
    events = Events(show)
    bridge = attach_obs(show, settings)
    assert bridge is not None
    try:
        # the bridge learns that OBS streams from GetStreamStatus when it connects
        assert await asyncio.to_thread(bridge.wait_synced, WAIT_S), bridge.status
        assert bridge.outputs is not None and bridge.outputs.streaming
        async with show:
            await show.asubmit_text(QUESTION)
            await events.nth(TurnCompleted, 1, timeout=WAIT_S)
            wanted = len(ANCHOR_CAPTIONS) + 1  # the host's line, then the anchor's clauses
            assert await asyncio.to_thread(bridge.wait_for_captions, wanted, WAIT_S), bridge.captions
    finally:
        await asyncio.to_thread(bridge.close)
    return bridge


def test_the_anchors_captions_reach_the_stream_as_cea_608(tmp_path, capsys):
    if why := missing():
        pytest.skip(why)
    started = time.monotonic()
    port = real_obs._free_port()
    received, listener_log = tmp_path / "stream.ts", tmp_path / "ffmpeg-listen.log"
    listener = start_listener(port, received, listener_log)
    obs = real_obs.RealObs(tmp_path / "obs-home")
    try:
        obs.start()
        asyncio.run(real_obs.create_caption_source(obs.url, obs.password))
        settings = load_settings(
            obs_websocket_url=obs.url,
            obs_websocket_password=obs.password,
            obs_caption_clear_s=0,
            obs_chapter_markers=False,
        )

        async def scenario():
            stream = ObsStream(obs.url, obs.password)
            runner = asyncio.get_running_loop().create_task(stream.client.run())
            try:
                assert await stream.client.wait_connected(10), stream.client.message
                await _configure(stream, port)
                state = await stream.request_and_wait("StartStream", STARTED)
                assert state == STARTED, f"the stream did not start ({state}); see {obs.home}"
                bridge = await _caption_a_turn(settings)
                target = await stream.frames() + FRAMES_AFTER
                assert await stream.wait_frames(target) >= target, "OBS stopped sending frames"
                assert await stream.request_and_wait("StopStream", STOPPED) == STOPPED
                return bridge
            finally:
                await stream.client.close()
                await runner

        bridge = asyncio.run(scenario())
        listener.wait(WAIT_S)  # the listener ends when OBS hangs up
    finally:
        obs.stop()
        if listener.poll() is None:
            listener.kill()
            listener.wait()
    assert not bridge.status.last_error, bridge.status
    assert received.exists() and received.stat().st_size > 0, listener_log.read_text()
    assert bridge.captions == [HOST_CAPTION, *ANCHOR_CAPTIONS], bridge.captions  # on the Text source
    srt, said = stream_captions(received)
    read_back = caption_lines(srt)
    # each caption, once and in order, in the stream the listener received
    sent = [_squeezed(text) for text in bridge.captions]
    assert [_squeezed(cue) for cue in read_back] == sent, (read_back, said)
    with capsys.disabled():
        print(f"\nCEA-608 read back from OBS's stream: {read_back} ({time.monotonic() - started:.1f} s)")
