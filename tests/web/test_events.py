"""/ws/events over a real server: a spoken turn's events in order, levels, overlay access, fan-out."""

from __future__ import annotations

import json
import secrets
import socket
import threading
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from studio.engine.events import TurnCompleted
from studio.session.export import read_session
from tests.show.doubles import QUESTION, REPLY
from tests.web.conftest import OVERLAY, WAIT_S, Studio, start_studio
from tests.web.wsclient import messages_until, next_of, open_events


def test_a_spoken_turn_streams_host_lines_aired_clauses_and_its_latency(studio: Studio) -> None:
    with open_events(studio) as events:
        hello = next_of(events, "hello")
        studio.speak()
        stream = messages_until(events, "turn_completed")
    kinds = [m["type"] for m in stream]
    assert hello["role"] == "control" and hello["status"]["ready"] is True
    assert (
        kinds.index("host_speech_started") < kinds.index("turn_decided") < kinds.index("reply_clause_started")
    )
    finals = [m for m in stream if m["type"] == "transcript_updated" and m["is_final"]]
    assert finals[-1]["text"] == QUESTION
    aired = [m for m in stream if m["type"] == "reply_clause_started"]
    assert " ".join(m["clause"] for m in aired) == REPLY
    assert all(isinstance(m["audio_s"], float) and m["audio_s"] >= 0 for m in aired)
    assert stream[-1]["latency_ms"]["voice_to_voice"] > 0
    seqs = [m["seq"] for m in stream]
    assert seqs == sorted(seqs)


def test_levels_arrive_for_those_who_want_them(studio: Studio) -> None:
    with open_events(studio) as events:
        level = next_of(events, "levels")
    assert set(level) >= {"mic_db", "program_db"} and -90.0 <= level["mic_db"] <= 0.0


def test_the_overlay_token_reads_the_stream_without_levels(studio: Studio) -> None:
    with open_events(studio, OVERLAY, "&levels=0") as overlay:
        assert next_of(overlay, "hello")["role"] == "overlay"
        studio.show.submit_text("Caption this")
        stream = messages_until(overlay, "turn_completed")
    assert "levels" not in {m["type"] for m in stream}
    assert any(m["type"] == "reply_clause_started" for m in stream)


def test_ten_subscribers_see_the_same_events_in_the_same_order(studio: Studio) -> None:
    sockets = [open_events(studio, query="&levels=0") for _ in range(10)]
    try:
        for socket in sockets:
            next_of(socket, "hello")
        studio.show.submit_text("Everyone listening?")
        streams = [messages_until(socket, "turn_completed") for socket in sockets]
    finally:
        for socket in sockets:
            socket.close()
    assert all(stream == streams[0] for stream in streams)


def test_a_subscriber_that_falls_behind_is_dropped_with_a_reason_and_the_show_goes_on(tmp_path: Path) -> None:
    for studio in start_studio(tmp_path, event_queue=8):
        with open_events(studio, query="&levels=0") as slow, open_events(studio, query="&levels=0") as fine:
            next_of(slow, "hello")
            next_of(fine, "hello")
            hub = studio.server.ctx.hub
            studio.server.call(lambda hub=hub: _burst(hub, 0, 50)).result(WAIT_S)
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    slow.recv(timeout=WAIT_S)
            studio.show.submit_text("Still there?")
            assert studio.seen.wait(TurnCompleted).transcript == "Still there?"
        log = studio.session_log
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
    assert "too slow" in closed.value.rcvd.reason
    security = [r for r in read_session(log) if r["kind"] == "security"]
    assert [r["reason"] for r in security] == ["slow_subscriber"]


def test_a_client_that_talks_to_the_stream_is_closed_by_policy(studio: Studio) -> None:
    with open_events(studio, query="&levels=0") as chatty:
        next_of(chatty, "hello")
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(100):
                chatty.send(json.dumps({"type": "command", "do": "interrupt"}))
            while True:
                chatty.recv(timeout=WAIT_S)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    with studio.client() as client:
        assert client.get("/api/status").status_code == 200


def test_a_client_that_stops_reading_is_dropped_while_a_reading_one_gets_everything(tmp_path: Path) -> None:
    for studio in start_studio(tmp_path, event_queue=64):
        hub = studio.server.ctx.hub
        stalled = socket.create_connection(("127.0.0.1", studio.server.port))
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # it never reads: its buffers fill
        with (
            open_events(studio, query="&levels=0", sock=stalled, compression=None) as slow,
            open_events(studio, query="&levels=0") as fast,
        ):
            next_of(slow, "hello")
            next_of(fast, "hello")
            received: list[int] = []
            reader = threading.Thread(target=_read_bursts, args=(fast, received), daemon=True)
            reader.start()
            sent = 0
            while studio.server.call(lambda hub=hub: hub.subscribers).result(WAIT_S) == 2 and sent < 20_000:
                studio.server.call(lambda hub=hub, start=sent: _burst(hub, start, 4)).result(WAIT_S)
                sent += 4
            studio.server.call(lambda hub=hub: hub.publish({"type": "burst", "n": -1})).result(WAIT_S)
            reader.join(WAIT_S)
    assert sent < 20_000, "the stalled client was never dropped"
    assert received == list(range(sent)), "the reading client missed events"


PAD = secrets.token_urlsafe(12_000)  # 16 kB that no compression shrinks


def _burst(hub, start: int, count: int) -> None:
    """Publish `count` incompressible events on the web loop at once."""
    for n in range(start, start + count):
        hub.publish({"type": "burst", "n": n, "pad": PAD})


def _read_bursts(events, received: list[int]) -> None:
    """Collect burst numbers until the end marker (-1)."""
    while (n := next_of(events, "burst")["n"]) >= 0:
        received.append(n)
