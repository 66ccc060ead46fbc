"""Slow and greedy HTTP clients: a request dribbled in (slow-loris), a body that never ends, a
client that opens connection after connection. Each is cut off cleanly, logged as a security
event, and the show and everyone else are served meanwhile.

Every case here counts towards issue 15's hostile-input goal (the report counts the test ids).
The dribbling client is paced by its own reads (it sends the next line when the server has said
nothing for a moment), so the test waits on the server, never on the clock.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.engine.events import TurnCompleted
from studio.session.export import read_session
from tests.web.conftest import CONTROL, WAIT_S, Studio, start_studio
from tests.web.wsclient import next_of, open_events

DEADLINE_S = 0.5
CAP = 4


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[Studio]:
    """A running show whose web layer gives a request 0.5 s and a client 4 connections."""
    yield from start_studio(tmp_path, request_timeout_s=DEADLINE_S, max_connections_per_client=CAP)


def connect(studio: Studio) -> socket.socket:
    """A raw TCP connection to the studio's web port."""
    return socket.create_connection(("127.0.0.1", studio.server.port), timeout=WAIT_S)


def dribble_until_answered(sock: socket.socket, lines: Iterator[bytes]) -> bytes:
    """Send one line whenever the server stays quiet for 0.1 s; return all it said until it closed."""
    sock.settimeout(0.1)
    answer = b""
    for line in lines:
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            sock.sendall(line)
            continue
        except ConnectionResetError:  # closed with our last bytes unread: a reset, not a FIN
            return answer
        if not chunk:
            return answer
        answer += chunk
    raise AssertionError("the server kept listening to a request dribbled in for ever")


def header_lines() -> Iterator[bytes]:
    """A request line, then one made-up header after another (never the blank line that ends them)."""
    yield b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    for n in range(int(WAIT_S / 0.1)):
        yield f"X-Slow-{n}: {'a' * 8}\r\n".encode()


def security_reasons(studio: Studio) -> list[str]:
    """The security events' reasons in the session log, once the show has stopped."""
    return [r["reason"] for r in read_session(studio.ended()) if r["kind"] == "security"]


def assert_served(studio: Studio) -> None:
    """An ordinary client is answered, and the show said nothing it was not asked to."""
    with studio.client() as client:
        assert client.get("/api/status").status_code == 200
    assert not studio.seen.of(TurnCompleted)


def test_headers_dribbled_in_are_cut_off_with_408_while_others_are_served(studio: Studio) -> None:
    with connect(studio) as slow, studio.client() as client:
        lines = header_lines()
        slow.sendall(next(lines))
        assert client.get("/api/status").status_code == 200  # served while the slow one dribbles
        answer = dribble_until_answered(slow, lines)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert_served(studio)
    assert security_reasons(studio) == ["slow_request"]


def test_a_connection_that_never_sends_a_request_is_closed(studio: Studio) -> None:
    with connect(studio) as idle:
        idle.settimeout(WAIT_S)
        answer = idle.recv(4096)
        assert idle.recv(4096) == b""  # closed after the answer
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert_served(studio)


def test_a_body_that_never_ends_is_cut_off_and_nothing_is_said(studio: Studio) -> None:
    head = (
        "POST /api/say HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {CONTROL}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"
    )
    body = iter([b'{"text": "slow', *([b" "] * int(WAIT_S / 0.1))])
    with connect(studio) as slow:
        slow.sendall(head.encode())
        answer = dribble_until_answered(slow, body)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert_served(studio)
    assert "slow_request" in security_reasons(studio)


def test_a_client_holds_at_most_its_share_of_connections(studio: Studio) -> None:
    held = [connect(studio) for _ in range(CAP)]
    try:
        for sock in held:  # the server has taken each (a request answered on every one)
            sock.sendall(b"GET /overlay/captions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 200 ")
        with connect(studio) as one_too_many:
            assert one_too_many.recv(4096).startswith(b"HTTP/1.1 503 ")
            assert one_too_many.recv(4096) == b""
    finally:
        for sock in held:
            sock.close()
    assert "too_many_connections" in security_reasons(studio)


def read_response(sock: socket.socket) -> bytes:
    """One whole response on a keep-alive connection: its head, then Content-Length bytes of body."""
    sock.settimeout(WAIT_S)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += sock.recv(4096)
    return head


def test_a_keep_alive_connection_is_not_cut_off_between_its_requests(studio: Studio) -> None:
    request = f"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {CONTROL}\r\n\r\n"
    with connect(studio) as kept, connect(studio) as idle:
        kept.sendall(request.encode())
        assert read_response(kept).startswith(b"HTTP/1.1 200 ")
        idle.settimeout(WAIT_S)
        assert idle.recv(4096).startswith(b"HTTP/1.1 408 ")  # the server's clock: a deadline has passed
        kept.sendall(request.encode())  # the same connection, idle for longer than a deadline
        assert read_response(kept).startswith(b"HTTP/1.1 200 ")
    assert security_reasons(studio) == ["slow_request"]  # the idle one only


def test_a_websocket_outlives_the_request_deadline(studio: Studio) -> None:
    with open_events(studio) as stream:  # the upgrade leaves HTTP's deadline behind
        levels = [next_of(stream, "levels") for _ in range(15)]  # 10 a second: three deadlines' worth
        assert len(levels) == 15 and next_of(stream, "levels")
    assert security_reasons(studio) == []
