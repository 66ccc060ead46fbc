"""How long the web layer takes to carry an event from the show's loop to N WebSocket subscribers.

`python -m studio.bench.web_fanout [--subscribers 10] [--events 500]`: a real show (fixed-delay
stack, silent mic) behind a real server on 127.0.0.1; pings are published on the show's loop with
their perf_counter time and each subscriber notes when it received them. Prints p50/p99/max.
Threading: the show in a "bench-show" thread, the server in its "web" thread, the subscribers on
this thread's asyncio loop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import threading
import time
from dataclasses import dataclass

from websockets.asyncio.client import connect

from studio.audio.outputs import ClockedOutput
from studio.backends.registry import BackendStack
from studio.bench.fixed_delay import (
    EnergyVoiceActivity,
    FixedDelayChat,
    FixedDelaySpeechToText,
    FixedDelaySynthesizer,
    FixedDelayTurnDetector,
)
from studio.bench.queued_mic import QueuedMicrophone
from studio.config import load_settings
from studio.show import Show
from studio.show.events import ShowReady
from studio.voices.profile import VoiceProfile
from studio.web import Tokens, WebOptions, WebServer

TOKEN = "bench-control-token-0123456789"


@dataclass(frozen=True, slots=True)
class Ping:
    """A bench event: when the show's loop published it (perf_counter seconds)."""

    n: int
    sent: float


def web_bench_stack(reply: str = "Fine.") -> BackendStack:
    """Fast fixed-delay backends with a short reply: the show runs, but nothing it does competes
    with what the web benches measure (each turn also ends well within a pause)."""
    return BackendStack(
        preset="instrumented",
        stt=FixedDelaySpeechToText("bench", delay=0.02),
        vad=EnergyVoiceActivity(),
        turn=FixedDelayTurnDetector(delay=0.01),
        chat=FixedDelayChat(reply, first=0.02, per_token=0.005),
        tts=FixedDelaySynthesizer(first=0.01, chunk_seconds=0.1),
    )


async def _subscriber(url: str, count: int, ready: asyncio.Event, delays: list[float]) -> None:
    """Receive `count` pings; note each one's delay in ms."""
    async with connect(url) as socket:
        json.loads(await socket.recv())  # hello
        ready.set()
        seen = 0
        while seen < count:
            message = json.loads(await socket.recv())
            if message["type"] == "ping":
                delays.append((time.perf_counter() - message["sent"]) * 1000.0)
                seen += 1


async def _measure(show: Show, server: WebServer, subscribers: int, events: int) -> list[float]:
    """Open the subscribers, publish `events` pings on the show's loop ~200/s, gather the delays."""
    url = server.url.replace("http", "ws", 1) + f"/ws/events?levels=0&token={TOKEN}"
    delays: list[float] = []
    readies = [asyncio.Event() for _ in range(subscribers)]
    tasks = [asyncio.create_task(_subscriber(url, events, r, delays)) for r in readies]
    await asyncio.gather(*(r.wait() for r in readies))

    async def publish(n: int) -> None:
        show.bus.publish(Ping(n, time.perf_counter()))  # type: ignore[arg-type]

    for n in range(events):
        show.submit(lambda _stack, n=n: publish(n))
        await asyncio.sleep(0.005)
    await asyncio.gather(*tasks)
    return delays


def main(argv: list[str] | None = None) -> int:
    """Run the bench and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=10)
    parser.add_argument("--events", type=int, default=500)
    args = parser.parse_args(argv)
    settings = load_settings()
    show = Show(
        settings,
        VoiceProfile(name="Bench"),
        stack=web_bench_stack(),
        output=ClockedOutput(settings.SAMPLE_RATE),
        frame_source=QueuedMicrophone().source,
        voice_for_language=None,
    )
    ready = threading.Event()
    show.subscribe(lambda event: ready.set() if isinstance(event, ShowReady) else None)
    server = WebServer(show, WebOptions(tokens=Tokens(TOKEN, TOKEN[::-1]), port=0, connects_per_s=1000))
    server.start()
    thread = threading.Thread(target=lambda: asyncio.run(show.run()), name="bench-show", daemon=True)
    thread.start()
    try:
        ready.wait(60)
        delays = sorted(asyncio.run(_measure(show, server, args.subscribers, args.events)))
    finally:
        show.stop()
        thread.join(30)
        server.stop()
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(
        f"fan-out to {args.subscribers} subscribers, {len(delays)} deliveries: "
        f"p50 {statistics.median(delays):.2f} ms, p99 {p99:.2f} ms, max {delays[-1]:.2f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
