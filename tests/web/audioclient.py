"""A small synchronous /ws/audio client for the tests: wire frames in and out, stats, closes.

Threading: the test thread; every `recv` waits on the socket with a timeout, never on the clock.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
from typing import Any

import numpy as np
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.web.conftest import CONTROL, WAIT_S, Studio

FRAME = 320
FRAME_BYTES = 4 + 2 * FRAME


def audio_url(studio: Studio, token: str = CONTROL, query: str = "") -> str:
    """The /ws/audio URL with `token` and more query parameters."""
    return studio.url.replace("http", "ws", 1) + f"/ws/audio?token={token}{query}"


def open_audio(studio: Studio, token: str = CONTROL, query: str = "", **kwargs: Any) -> ClientConnection:
    """A connection to /ws/audio; its hello is read and checked."""
    socket = connect(audio_url(studio, token, query), open_timeout=WAIT_S, **kwargs)
    hello = json.loads(socket.recv(timeout=WAIT_S))
    assert hello["type"] == "hello" and hello["frame_bytes"] == FRAME_BYTES, hello
    return socket


def wire(seq: int, samples: np.ndarray | None = None) -> bytes:
    """One wire frame: the sequence number, then 320 PCM16 samples (silence by default)."""
    block = np.zeros(FRAME, np.float32) if samples is None else samples
    pcm = np.clip(np.round(block * 32767.0), -32768, 32767).astype("<i2")
    return struct.pack("<I", seq) + pcm.tobytes()


def frames_of(audio: np.ndarray, first_seq: int = 0) -> list[bytes]:
    """`audio` (16 kHz) as consecutive wire frames, the last one padded with silence."""
    padded = np.concatenate([audio, np.zeros((-len(audio)) % FRAME, np.float32)])
    return [wire(first_seq + i, block) for i, block in enumerate(padded.reshape(-1, FRAME))]


def stats_until(socket: ClientConnection, done: Any) -> dict[str, Any]:
    """The first `stats` message for which `done(stats)` holds (program frames are read and dropped)."""
    while True:
        message = socket.recv(timeout=WAIT_S)
        if isinstance(message, str):
            payload = json.loads(message)
            if payload["type"] == "stats" and done(payload):
                return payload


def loud_program_frame(socket: ClientConnection) -> tuple[int, np.ndarray]:
    """The next program frame with sound in it: its sequence number and samples."""
    while True:
        message = socket.recv(timeout=WAIT_S)
        if isinstance(message, bytes):
            assert len(message) == FRAME_BYTES
            (seq,) = struct.unpack_from("<I", message)
            samples = np.frombuffer(message, "<i2", offset=4).astype(np.float32) / 32768.0
            if np.max(np.abs(samples)) > 0.01:
                return seq, samples


def close_of(socket: ClientConnection) -> tuple[int, str]:
    """Read until the server closes; its close code and reason."""
    try:
        while True:
            socket.recv(timeout=WAIT_S)
    except ConnectionClosed as closed:
        assert closed.rcvd is not None, "closed without a close frame"
        return closed.rcvd.code, closed.rcvd.reason


def never_reading(studio: Studio, token: str = CONTROL) -> socket.socket:
    """A raw /ws/audio connection that completes the handshake and then never reads a byte."""
    host, port = studio.server.options.host, studio.server.port
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
    raw.settimeout(WAIT_S)
    raw.connect((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(
        f"GET /ws/audio?token={token} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += raw.recv(1)  # one byte at a time: nothing past the response head is read
    assert head.startswith(b"HTTP/1.1 101"), head
    return raw
