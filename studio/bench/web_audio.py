"""What a remote host over /ws/audio waits beyond the show's own voice-to-voice (reported, not asserted).

`python -m studio.bench.web_audio [--turns 15]`: a real show (fixed-delay stack) behind a real
server on 127.0.0.1; a client on this thread speaks into /ws/audio in real time (a tone, then
silence, as 20 ms frames) and listens to the program coming back. Per turn, the round trip is
from sending the frame with the line's last sound to receiving the first program frame with the
anchor's sound; the show's own voice-to-voice (TurnCompleted) is taken off it. What remains is
what the web path adds: the jitter buffer and re-chunking in, the tap, 20 ms framing and the
loopback both ways. Prints median and p95 of the added milliseconds.
Threading: the show in a "bench-show" thread, the server in its "web" thread, the client on this
thread's asyncio loop.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import struct
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from websockets.asyncio.client import ClientConnection, connect

from studio.audio.outputs import ClockedOutput
from studio.bench.queued_mic import QueuedMicrophone
from studio.bench.web_fanout import TOKEN, web_bench_stack
from studio.config import load_settings
from studio.engine.events import TurnCompleted
from studio.show import Show
from studio.show.events import ShowReady
from studio.voices.profile import VoiceProfile
from studio.web import Tokens, WebOptions, WebServer

RATE, FRAME = 16_000, 320
LINE_S, PAUSE_S = 0.6, 2.0  # the host's line, then silence while the anchor answers
LOUD = 0.01


@dataclass
class Marks:
    """What the client and the show noted (perf_counter seconds, milliseconds)."""

    last_sound_sent: list[float] = field(default_factory=list)
    loud_received: list[float] = field(default_factory=list)
    voice_to_voice_ms: list[float] = field(default_factory=list)


def _script(turns: int) -> tuple[list[bytes], set[int]]:
    """Every frame the client sends, and the indices of the frames that end a line."""
    t = np.arange(int(LINE_S * RATE), dtype=np.float32) / RATE
    line = (0.2 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    turn = np.concatenate([line, np.zeros(int(PAUSE_S * RATE), np.float32)])
    audio = np.tile(turn, turns)
    audio = np.concatenate([audio, np.zeros((-len(audio)) % FRAME, np.float32)])
    pcm = np.round(audio * 32767).astype("<i2").reshape(-1, FRAME)
    frames = [struct.pack("<I", i) + block.tobytes() for i, block in enumerate(pcm)]
    per_turn = len(turn) / FRAME
    ends = {int((k * len(turn) + len(line) - 1) // FRAME) for k in range(turns)}
    assert len(ends) == turns and per_turn > 0
    return frames, ends


async def _send(socket: ClientConnection, frames: list[bytes], ends: set[int], marks: Marks) -> None:
    """Send the script in real time, one frame every 20 ms; note when each line's end went out."""
    loop = asyncio.get_running_loop()
    due = loop.time()
    for index, frame in enumerate(frames):
        due += FRAME / RATE
        await asyncio.sleep(max(0.0, due - loop.time()))
        await socket.send(frame)
        if index in ends:
            marks.last_sound_sent.append(time.perf_counter())


async def _receive(socket: ClientConnection, marks: Marks) -> None:
    """Note when each program frame with sound arrives (until cancelled)."""
    async for message in socket:
        if isinstance(message, bytes):
            samples = np.frombuffer(message, "<i2", offset=4)
            if np.max(np.abs(samples)) > LOUD * 32768:
                marks.loud_received.append(time.perf_counter())


async def _measure(server: WebServer, turns: int, marks: Marks) -> None:
    """Run the script over one /ws/audio connection while listening to the program."""
    url = server.url.replace("http", "ws", 1) + f"/ws/audio?token={TOKEN}"
    frames, ends = _script(turns)
    async with connect(url) as socket:
        await socket.recv()  # hello
        receiving = asyncio.create_task(_receive(socket, marks))
        await _send(socket, frames, ends, marks)
        receiving.cancel()


def added_ms(marks: Marks) -> list[float]:
    """Per turn: the client's round trip minus the show's own voice-to-voice."""
    added = []
    for sent, v2v in zip(marks.last_sound_sent, marks.voice_to_voice_ms, strict=False):
        first = next((t for t in marks.loud_received if t > sent), None)
        if first is not None:
            added.append((first - sent) * 1000.0 - v2v)
    return added


def _on_event(marks: Marks, ready: threading.Event):  # type: ignore[no-untyped-def]
    """The show's subscriber: readiness and each turn's voice-to-voice."""

    def on_event(event: object) -> None:
        """Note ShowReady and TurnCompleted (show loop)."""
        if isinstance(event, ShowReady):
            ready.set()
        elif isinstance(event, TurnCompleted) and event.latency_ms.get("voice_to_voice") is not None:
            marks.voice_to_voice_ms.append(float(event.latency_ms["voice_to_voice"] or 0.0))

    return on_event


def main(argv: list[str] | None = None) -> int:
    """Run the bench and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=15)
    args = parser.parse_args(argv)
    settings = load_settings()
    show = Show(
        settings,
        VoiceProfile(name="Bench"),
        stack=web_bench_stack("Fine, thanks."),
        output=ClockedOutput(settings.SAMPLE_RATE),
        frame_source=QueuedMicrophone().source,
        voice_for_language=None,
    )
    marks, ready = Marks(), threading.Event()
    show.subscribe(_on_event(marks, ready))
    server = WebServer(show, WebOptions(tokens=Tokens(TOKEN, TOKEN[::-1]), port=0))
    server.start()
    thread = threading.Thread(target=lambda: asyncio.run(show.run()), name="bench-show", daemon=True)
    thread.start()
    try:
        ready.wait(60)
        asyncio.run(_measure(server, args.turns, marks))
    finally:
        show.stop()
        thread.join(30)
        server.stop()
    _report(args.turns, marks)
    return 0


def _report(turns: int, marks: Marks) -> None:
    """Median and p95 of the added ms, and the show's own voice-to-voice for scale."""
    added = sorted(added_ms(marks))
    if not added:
        print(f"no turn measured ({len(marks.voice_to_voice_ms)} answered of {turns})")
        return
    p95 = added[min(len(added) - 1, int(len(added) * 0.95))]
    v2v = statistics.median(marks.voice_to_voice_ms)
    print(
        f"/ws/audio round trip beyond the show's voice-to-voice, {len(added)} of {turns} turns: "
        f"median {statistics.median(added):.1f} ms, p95 {p95:.1f} ms, min {added[0]:.1f} ms, "
        f"max {added[-1]:.1f} ms (the show's own voice-to-voice: median {v2v:.0f} ms)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
