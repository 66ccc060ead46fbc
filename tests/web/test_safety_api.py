"""DUMP, approve / edit / drop and NEXT / BACK over REST, and their events on /ws/events.

A real uvicorn server and a real show (fixed-delay stack); the tests wait on the show's events and
on the socket, never on the clock. The hostile cases count towards issue 15's goal.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.engine.approval import ReplyApprovalSettled, ReplyAwaitingApproval
from studio.engine.events import TurnCompleted
from studio.rundown import SegmentChanged, SegmentClock, parse_rundown
from studio.show.safety import ProgramDumped
from tests.rundown.helpers import THREE, FakeClock
from tests.show.doubles import CountingStackFactory
from tests.web.conftest import OVERLAY, Studio, start_studio
from tests.web.test_hostile import send
from tests.web.wsclient import next_of, open_events

BLOCKED_REPLY = "Sure thing, darn it. More after the break."
NEW_ROUTES = [
    ("POST", "/api/dump", None),
    ("POST", "/api/approve", {"text": "pwned"}),
    ("POST", "/api/drop_reply", None),
    ("POST", "/api/segment", {"step": "next"}),
]


@pytest.fixture
def producer(tmp_path: Path) -> Iterator[Studio]:
    """A show whose replies wait for the producer, with a word filter that bleeps."""
    settings = {
        "approve_replies": True,
        "approval_timeout_s": 0,
        "blocked_words": ["darn"],
        "blocked_word_action": "bleep",
    }
    yield from start_studio(tmp_path, settings, CountingStackFactory(BLOCKED_REPLY))


def test_approve_with_an_edit_airs_the_edit_and_the_stream_says_so(producer: Studio) -> None:
    with producer.client() as client, open_events(producer) as events:
        client.post("/api/say", json={"text": "How is the weather?"})
        blocked = next_of(events, "clause_blocked")
        waiting = next_of(events, "reply_awaiting_approval")
        answer = client.post("/api/approve", json={"text": "Dry and calm tonight."})
        settled = next_of(events, "reply_approval_settled")
    assert blocked["outcome"] == "bleeped" and "darn" not in str(blocked)
    assert waiting["text"] == "Sure thing, [bleep] it. More after the break."
    assert answer.status_code == 200 and answer.json() == {"approved": True, "edited": True}
    assert (settled["outcome"], settled["text"]) == ("edited", "Dry and calm tonight.")
    assert producer.seen.wait(TurnCompleted).heard == "Dry and calm tonight."


def test_approve_without_a_body_airs_the_reply_as_written(producer: Studio) -> None:
    with producer.client() as client:
        client.post("/api/say", json={"text": "How is the weather?"})
        producer.seen.wait(ReplyAwaitingApproval)
        assert client.post("/api/approve").json() == {"approved": True, "edited": False}
    assert producer.seen.wait(ReplyApprovalSettled).outcome == "approved"


def test_drop_reply_drops_it_and_nothing_waiting_is_409(producer: Studio) -> None:
    with producer.client() as client:
        nothing = client.post("/api/drop_reply")
        client.post("/api/say", json={"text": "How is the weather?"})
        producer.seen.wait(ReplyAwaitingApproval)
        dropped = client.post("/api/drop_reply")
        again = client.post("/api/approve")
    assert nothing.status_code == 409 and "no reply is waiting" in nothing.json()["detail"]
    assert dropped.json() == {"dropped": True}
    assert producer.seen.wait(ReplyApprovalSettled).outcome == "dropped"
    assert producer.seen.wait(TurnCompleted).heard == ""
    assert again.status_code == 409


def test_dump_is_a_program_dumped_event_on_the_stream(studio: Studio) -> None:
    with studio.client() as client, open_events(studio) as events:
        answer = client.post("/api/dump")
        dumped = next_of(events, "program_dumped")
    assert answer.json() == {"dumped_s": 0.0}  # no broadcast delay: nothing was held back
    assert (dumped["seconds"], dumped["reason"]) == (0.0, "dump")
    assert studio.seen.wait(ProgramDumped).seconds == 0.0


def test_segment_next_and_back_move_the_rundown_and_the_stream_says_so(studio: Studio) -> None:
    with studio.client() as client, open_events(studio) as events:
        without = client.post("/api/segment", json={"step": "next"})
        studio.show.voice_named = lambda name: None  # type: ignore[method-assign]
        studio.show.set_rundown(SegmentClock(parse_rundown(THREE), FakeClock()))
        first = client.post("/api/segment", json={"step": "next"}).json()
        second = client.post("/api/segment", json={"step": "next"}).json()
        back = client.post("/api/segment", json={"step": "back"}).json()
        changes = [next_of(events, "segment_changed") for _ in range(3)]
    assert without.status_code == 503 and "no rundown" in without.json()["detail"]
    assert first == {"changed": True, "index": 0, "count": 3, "title": "Headlines"}
    assert (second["title"], back["title"]) == ("Weather", "Headlines")
    assert [(c["title"], c["reason"]) for c in changes] == [
        ("Headlines", "start"),
        ("Weather", "next"),
        ("Headlines", "back"),
    ]
    assert len(studio.seen.of(SegmentChanged)) == 3


def test_mute_is_a_mic_mute_changed_event_on_the_stream(studio: Studio) -> None:
    with studio.client() as client, open_events(studio) as events:
        client.post("/api/mute", json={"muted": True})
        assert next_of(events, "mic_mute_changed")["muted"] is True
        client.post("/api/mute", json={"muted": False})
        assert next_of(events, "mic_mute_changed")["muted"] is False


# ----- hostile ----------------------------------------------------------------------------------
def _nothing_happened(studio: Studio) -> None:
    """No dump, no decision, no segment change, and the show still answers."""
    assert not studio.seen.of(ProgramDumped) and not studio.seen.of(ReplyApprovalSettled)
    assert not studio.seen.of(SegmentChanged)
    with studio.client() as client:
        assert client.get("/api/status").json()["ready"] is True


@pytest.mark.parametrize(("method", "path", "body"), NEW_ROUTES)
def test_new_routes_refuse_no_token(studio: Studio, method: str, path: str, body: object) -> None:
    with studio.client(token=None) as client:
        assert send(client, method, path, body).status_code == 401
    _nothing_happened(studio)


@pytest.mark.parametrize(("method", "path", "body"), NEW_ROUTES)
def test_new_routes_refuse_the_overlay_token(studio: Studio, method: str, path: str, body: object) -> None:
    with studio.client(token=OVERLAY) as client:
        answer = send(client, method, path, body)
    assert answer.status_code == 403 and "read-only" in answer.json()["detail"]
    _nothing_happened(studio)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/approve", {"text": ""}),
        ("/api/approve", {"text": 5}),
        ("/api/approve", {"text": "x" * 2001}),
        ("/api/approve", {"text": "ok", "force": True}),
        ("/api/segment", {"step": "sideways"}),
        ("/api/segment", {}),
        ("/api/segment", {"step": "next", "index": 7}),
        ("/api/segment", "[not json"),
    ],
)
def test_new_routes_refuse_bad_bodies(studio: Studio, path: str, body: object) -> None:
    with studio.client() as client:
        if isinstance(body, str):
            answer = client.post(path, content=body, headers={"content-type": "application/json"})
        else:
            answer = client.post(path, json=body)
    assert answer.status_code == 422, answer.text
    _nothing_happened(studio)
