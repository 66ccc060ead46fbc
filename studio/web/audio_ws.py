"""`WS /ws/audio`: a remote host or guest speaks into the show and hears the anchor's program.

Wire format, both ways: binary messages of 644 bytes, a uint32 little-endian sequence number
then 320 PCM16 little-endian mono samples at 16 kHz (20 ms). The client may state its format as
`?rate=16000&frame=320`; any other (or not a number) is refused with close 1003 and the reason,
and so is a text message or a frame of another size (one past 64 KiB is closed 1009 by the
server itself).
The first client that sends (`send=1`, the default) becomes the host input until it leaves;
another one is closed with 1013; `send=0` only listens. A client sending faster than
`audio_frames_per_s` (with a burst of `audio_burst_frames`) is closed with 1008; one that stops
reading the program loses frames (counted) and is closed with 1013 after `audio_out_max_lag`.
Text messages go to the client: `hello` first, then `stats` every second. /ws/events subscribers
get `remote_audio` messages when a client joins or leaves (with why and its counts).
Threading: runs on the web loop; the show's input switch hops onto the show's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from fastapi import APIRouter, HTTPException, WebSocket
from starlette.websockets import WebSocketDisconnect

from studio.backends.contracts import INPUT_SAMPLE_RATE
from studio.web.api import run_command
from studio.web.context import WebContext
from studio.web.jitter import FRAME_SAMPLES, JitterBuffer
from studio.web.program_tap import HEADER, Listener, ProgramTap
from studio.web.race import first_to_finish
from studio.web.ratelimit import RateLimiter
from studio.web.remote_input import RemoteInput

FRAME_BYTES = HEADER.size + 2 * FRAME_SAMPLES
FORMAT = f"{FRAME_BYTES}-byte binary frames: uint32 LE sequence + {FRAME_SAMPLES} PCM16 LE samples at 16 kHz"
CLOSE_UNSUPPORTED = 1003
CLOSE_POLICY = 1008
CLOSE_TRY_LATER = 1013
STATS_EVERY_S = 1.0
CLOSE_TIMEOUT_S = 2.0


class Closing(Exception):
    """Ends a connection with a WebSocket close code and a reason for the client."""

    def __init__(self, code: int, reason: str, security: str = "") -> None:
        """`security`: the security event's reason, when this is a refusal worth logging."""
        super().__init__(reason)
        self.code, self.reason, self.security = code, reason, security


@dataclass
class AudioDesk:
    """What every /ws/audio connection shares: the program tap, the frame limiter, the talker."""

    tap: ProgramTap
    limiter: RateLimiter
    talker: object | None = None
    connections: set[_Connection] = field(default_factory=set)

    def revoke(self, reason: str) -> None:
        """Close every connection: the control token they were opened with was rotated."""
        for connection in self.connections:
            connection.revoked_reason = reason
            connection.revoked.set()


@dataclass(eq=False)  # one per socket: kept in the desk's set by identity
class _Connection:
    """One client's parts: its socket, its jitter buffer (when it talks) and its program queue."""

    websocket: WebSocket
    client: str
    listener: Listener
    buffer: JitterBuffer | None = None
    remote: RemoteInput | None = None
    revoked: asyncio.Event = field(default_factory=asyncio.Event)
    revoked_reason: str = ""


def router(ctx: WebContext) -> APIRouter:
    """The /ws/audio route over `ctx`'s show."""
    routes = APIRouter()
    o = ctx.options
    tap = ProgramTap(lambda: ctx.show.output, lambda n: ctx.metrics.audio_frames.labels("out", "lost").inc(n))
    limiter = RateLimiter({"frames": (o.audio_frames_per_s, float(o.audio_burst_frames))})
    desk = AudioDesk(tap, limiter)
    ctx.revokers.append(lambda role, reason: desk.revoke(reason) if role == "control" else None)

    @routes.websocket("/ws/audio")
    async def audio(
        websocket: WebSocket,
        rate: str = str(INPUT_SAMPLE_RATE),
        frame: str = str(FRAME_SAMPLES),
        send: str = "1",
    ) -> None:
        """Hear the client as the host (when it sends) and send it the program, until either ends."""
        await websocket.accept()
        client = _client(websocket)
        connection: _Connection | None = None
        code, reason = 1011, "internal error"
        try:
            _check_format(rate, frame)
            connection = await _open(ctx, desk, websocket, client, send != "0")
            await _send_text(websocket, _hello(ctx, connection))
            await _pump(ctx, desk, connection)
            code, reason = 1000, "stream ended"
        except Closing as closing:
            code, reason = closing.code, closing.reason
            if closing.security:
                ctx.security.event(closing.security, client, "/ws/audio", reason)
        except (WebSocketDisconnect, OSError):
            code, reason = 1000, "peer left"
        finally:
            if connection is not None:
                await _close(ctx, desk, connection, reason)
        with contextlib.suppress(Exception):  # the peer may be gone, or not reading: never wait long
            await asyncio.wait_for(websocket.close(code, reason[:120]), CLOSE_TIMEOUT_S)

    return routes


def _check_format(rate: str, frame: str) -> None:
    """Refuse a stated format the studio does not take (read as text: a bad number gets the reason too)."""
    if rate != str(INPUT_SAMPLE_RATE) or frame != str(FRAME_SAMPLES):
        rate, frame = rate[:12], frame[:12]
        raise Closing(
            CLOSE_UNSUPPORTED, f"unsupported format rate={rate} frame={frame}; {FORMAT}", "audio_format"
        )


async def _open(
    ctx: WebContext, desk: AudioDesk, websocket: WebSocket, client: str, talks: bool
) -> _Connection:
    """Join the program's listeners and, for a talking client, take the host input."""
    o = ctx.options
    if talks and desk.talker is not None:
        raise Closing(CLOSE_TRY_LATER, "another client holds the remote host input; try again later")
    connection = _Connection(websocket, client, desk.tap.listen(o.audio_out_queue, o.audio_out_max_lag))
    desk.connections.add(connection)
    if ctx.tokens.role(websocket.query_params.get("token", "")) != "control":  # rotated since it was checked
        desk.connections.discard(connection)
        desk.tap.unlisten(connection.listener)
        raise Closing(CLOSE_POLICY, "the control token was rotated")
    ctx.metrics.audio_clients.set(desk.tap.listeners)
    if talks:
        desk.talker = connection
        connection.buffer = JitterBuffer(on_count=ctx.metrics.audio_in)
        connection.remote = RemoteInput(connection.buffer, o.audio_slack_ms / 1000.0)
        try:
            await run_command(ctx.show.set_remote_input(connection.remote))
        except HTTPException as exc:
            ctx.show.drop_remote_input(connection.remote)  # a command that timed out may still run
            desk.talker = None
            desk.connections.discard(connection)
            desk.tap.unlisten(connection.listener)
            raise Closing(CLOSE_TRY_LATER, f"the show cannot take a remote host now: {exc.detail}") from None
        ctx.show.note("remote_input", connected=True, client=client, mix=ctx.show.remote_mix)
    ctx.hub.publish({"type": "remote_audio", "state": "joined", "input": talks, "client": client})
    return connection


async def _close(ctx: WebContext, desk: AudioDesk, connection: _Connection, reason: str) -> None:
    """Leave the listeners; give the host input back to the show's own mic; say so on /ws/events."""
    desk.connections.discard(connection)
    desk.tap.unlisten(connection.listener)
    ctx.metrics.audio_clients.set(desk.tap.listeners)
    talked = desk.talker is connection
    if talked:
        desk.talker = None
        if connection.remote is not None:
            with contextlib.suppress(HTTPException):
                await run_command(ctx.show.drop_remote_input(connection.remote))
        ctx.show.note("remote_input", connected=False, client=connection.client, **_stats(connection))
    left = {"type": "remote_audio", "state": "left", "input": talked, "client": connection.client}
    ctx.hub.publish({**left, "reason": reason[:120], **_stats(connection)})


def _hello(ctx: WebContext, connection: _Connection) -> dict[str, Any]:
    """The first message: the wire format and whether this client is the host input."""
    return {
        "type": "hello",
        "rate": INPUT_SAMPLE_RATE,
        "frame_samples": FRAME_SAMPLES,
        "frame_bytes": FRAME_BYTES,
        "header": "uint32le sequence",
        "input": connection.buffer is not None,
        "mixed_with_mic": ctx.show.remote_mix,
    }


async def _pump(ctx: WebContext, desk: AudioDesk, connection: _Connection) -> None:
    """Receive and send until the peer leaves (WebSocketDisconnect) or a Closing says why not."""
    tasks = [
        asyncio.create_task(_receive(ctx, desk, connection), name="audio-receive"),
        asyncio.create_task(_send(ctx, connection), name="audio-send"),
        asyncio.create_task(_lagging(connection.listener), name="audio-lag"),
        asyncio.create_task(_revoked(connection), name="audio-revoked"),
    ]
    error = (await first_to_finish(tasks)).exception()
    if error is not None:
        raise error


async def _receive(ctx: WebContext, desk: AudioDesk, connection: _Connection) -> None:
    """Take the client's frames into its jitter buffer; raise Closing on the first bad one."""
    websocket = connection.websocket
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        data = message.get("bytes")
        if data is None:
            raise Closing(CLOSE_UNSUPPORTED, f"text is not audio; send {FORMAT}", "audio_format")
        if len(data) != FRAME_BYTES:
            raise Closing(CLOSE_UNSUPPORTED, f"a frame of {len(data)} bytes; send {FORMAT}", "audio_format")
        if connection.buffer is None:
            raise Closing(
                CLOSE_POLICY, "this connection only listens (send=0); it takes no frames", "audio_policy"
            )
        if not desk.limiter.allow(connection.client, "frames"):
            limit = ctx.options.audio_frames_per_s
            raise Closing(CLOSE_POLICY, f"more than {limit:g} audio frames a second", "rate_limit")
        connection.buffer.push(*decode_frame(data))


def decode_frame(data: bytes) -> tuple[int, np.ndarray]:
    """A wire frame's sequence number and its samples as float32 in [-1, 1)."""
    (seq,) = HEADER.unpack_from(data)
    pcm = np.frombuffer(data, dtype="<i2", offset=HEADER.size)
    return int(seq), pcm.astype(np.float32) / 32768.0


async def _send(ctx: WebContext, connection: _Connection) -> None:
    """Forward program frames to the client, with a stats message every second."""
    websocket, listener = connection.websocket, connection.listener
    next_stats = time.monotonic() + STATS_EVERY_S
    sent = ctx.metrics.audio_frames.labels("out", "sent")
    while True:
        wait = max(0.0, next_stats - time.monotonic())
        try:
            frame = await asyncio.wait_for(listener.queue.get(), wait)
        except TimeoutError:
            next_stats = time.monotonic() + STATS_EVERY_S
            await _send_text(websocket, {"type": "stats", **_stats(connection)})
            continue
        await websocket.send_bytes(frame)
        listener.went_out()
        sent.inc()


async def _lagging(listener: Listener) -> None:
    """Raise Closing once the listener has lost too many program frames in a row."""
    await listener.dropped.wait()
    raise Closing(
        CLOSE_TRY_LATER,
        f"not reading the program audio: {listener.lost_since_sent} frames lost",
        "slow_audio",
    )


async def _revoked(connection: _Connection) -> None:
    """Raise Closing once the token this connection was opened with is rotated."""
    await connection.revoked.wait()
    raise Closing(CLOSE_POLICY, connection.revoked_reason)


def _stats(connection: _Connection) -> dict[str, Any]:
    """What the jitter buffer and the program queue counted for this client."""
    listener = connection.listener
    program = {"program_sent": listener.sent, "program_lost": listener.lost}
    if connection.buffer is None:
        return program
    return {**connection.buffer.snapshot(), **program}


async def _send_text(websocket: WebSocket, payload: dict[str, Any]) -> None:
    """One JSON text message."""
    await websocket.send_text(json.dumps(payload))


def _client(websocket: WebSocket) -> str:
    """The peer's address (the socket's: forwarded headers are not trusted)."""
    client = websocket.client
    return client.host if client else "unknown"
