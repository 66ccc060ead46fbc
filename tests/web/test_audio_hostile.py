"""Hostile /ws/audio clients, each closed with a code and a reason while the show goes on unchanged.

Bad sizes, text, garbage, oversized frames, a format the studio does not take, a flood, frames on
a listen-only connection, a second talker, a client that never reads the program, and the
guard's refusals (no token, the overlay token, a foreign origin) before the socket opens.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from studio.engine.events import TurnCompleted
from tests.show.doubles import QUESTION, CountingStackFactory
from tests.web.audioclient import audio_url, close_of, never_reading, open_audio, stats_until, wire
from tests.web.conftest import CONTROL, OVERLAY, WAIT_S, Studio, start_studio
from tests.web.wsclient import next_of, open_events

FORMAT_HINT = "644-byte binary frames"


def still_fine(studio: Studio) -> None:
    """The show answers a line spoken into the host's own mic (heard once the remote let go)."""
    studio.speak()
    assert studio.seen.wait(TurnCompleted).transcript == QUESTION
    assert studio.show._remote_input is None  # type: ignore[attr-defined]


def rejected(studio: Studio, reason: str) -> float:
    """How many refusals of `reason` /metrics counted."""
    with studio.client() as client:
        text = client.get("/metrics").text
    for line in text.splitlines():
        if line.startswith(f'studio_web_rejected_requests_total{{reason="{reason}"}}'):
            return float(line.split()[-1])
    return 0.0


@pytest.mark.parametrize(
    "message",
    [b"", b"\x00\x00\x00\x00", wire(1)[:-1], wire(1) + b"\x00", os.urandom(1000), os.urandom(60_000)],
    ids=["empty", "header-only", "one-byte-short", "one-byte-long", "garbage-1000", "garbage-60k"],
)
def test_a_frame_of_the_wrong_size_is_refused_with_the_format(studio: Studio, message: bytes) -> None:
    with open_audio(studio) as remote:
        remote.send(wire(0))
        remote.send(message)
        code, reason = close_of(remote)
    assert code == 1003 and FORMAT_HINT in reason
    assert studio.show._remote_input is None  # type: ignore[attr-defined]
    assert rejected(studio, "audio_format") >= 1


def test_a_frame_past_64_kib_is_closed_by_the_server_itself(studio: Studio) -> None:
    with open_audio(studio) as remote:
        remote.send(os.urandom(100_000))
        code, _ = close_of(remote)
    assert code == 1009
    still_fine(studio)


def test_text_is_not_audio(studio: Studio) -> None:
    with open_audio(studio) as remote:
        remote.send('{"type": "hello"}')
        code, reason = close_of(remote)
    assert code == 1003 and "text is not audio" in reason


@pytest.mark.parametrize("query", ["&rate=48000", "&frame=480", "&rate=16000&frame=160", "&rate=fast"])
def test_a_format_the_studio_does_not_take_is_refused_before_any_audio(studio: Studio, query: str) -> None:
    with connect(audio_url(studio, query=query), open_timeout=WAIT_S) as remote:
        code, reason = close_of(remote)
    assert code == 1003 and "unsupported format" in reason
    assert studio.show._remote_input is None  # type: ignore[attr-defined]


def test_a_flood_of_frames_is_closed_and_the_show_goes_on(studio: Studio) -> None:
    with open_audio(studio) as remote:
        for seq in range(400):  # 8 s of audio at once; the limit is a 1 s burst, then real time
            try:
                remote.send(wire(seq))
            except Exception:
                break
        code, reason = close_of(remote)
    assert code == 1008 and "audio frames a second" in reason
    assert rejected(studio, "rate_limit") >= 1
    still_fine(studio)


def test_out_of_order_duplicate_late_and_far_ahead_frames_change_nothing_but_the_counts(
    studio: Studio,
) -> None:
    sequence = [10, 12, 12, 2**32 - 1, 11, 10, 5, 13]
    outcomes = ("received", "late", "duplicate", "out_of_window")
    with open_audio(studio) as remote:
        for seq in sequence:
            remote.send(wire(seq, np.full(320, 0.5, np.float32)))
        stats = stats_until(remote, lambda s: sum(s[k] for k in outcomes) == len(sequence))
    assert [stats[k] for k in outcomes] == [4, 1, 2, 1]
    still_fine(studio)


def test_a_listen_only_client_hears_but_may_not_send(studio: Studio) -> None:
    with open_audio(studio, query="&send=0") as listener:
        assert studio.show._remote_input is None  # type: ignore[attr-defined]
        listener.send(wire(0))
        code, reason = close_of(listener)
    assert code == 1008 and "only listens" in reason


def test_a_second_talker_is_turned_away_while_the_first_holds_the_input(studio: Studio) -> None:
    with open_audio(studio) as first:
        first.send(wire(0))
        stats_until(first, lambda s: s["received"] == 1)
        with connect(audio_url(studio), open_timeout=WAIT_S) as second:
            code, reason = close_of(second)
        assert code == 1013 and "another client" in reason
        with open_audio(studio, query="&send=0"):
            pass  # a listener is still welcome
        first.send(wire(1))
        assert stats_until(first, lambda s: s["received"] == 2)["received"] == 2
    still_fine(studio)


@pytest.mark.parametrize(
    ("token", "origin", "status"),
    [
        (None, None, 401),
        ("wrong-" + "x" * 40, None, 401),
        (OVERLAY, None, 403),
        (None, "https://evil.example", 403),
    ],
    ids=["no-token", "wrong-token", "overlay-token", "foreign-origin"],
)
def test_the_audio_socket_is_refused_before_it_opens(studio: Studio, token, origin, status) -> None:
    url = studio.url.replace("http", "ws", 1) + "/ws/audio" + (f"?token={token}" if token else "")
    if origin is not None:
        url += f"?token={CONTROL}"
    headers = {"Origin": origin} if origin else None
    with pytest.raises(InvalidStatus) as refused:
        connect(url, open_timeout=WAIT_S, additional_headers=headers)
    assert refused.value.response.status_code == status


@pytest.fixture
def chatty(tmp_path: Path) -> Iterator[Studio]:
    """A show whose anchor talks for seven seconds, with small program queues for its listeners."""
    long_reply = " ".join(["That is the news from the studio tonight."] * 3)
    yield from start_studio(
        tmp_path,
        stack_factory=CountingStackFactory(long_reply),
        audio_out_queue=2,
        audio_out_max_lag=25,
        send_buffer_bytes=8192,
    )


def test_a_client_that_never_reads_the_program_is_dropped_and_the_anchor_goes_on(chatty: Studio) -> None:
    with open_events(chatty, query="&levels=0") as events, never_reading(chatty):
        assert next_of(events, "remote_audio")["state"] == "joined"
        chatty.show.submit_text("Tell me everything.").result(WAIT_S)
        left = next_of(events, "remote_audio")
        turn = chatty.seen.wait(TurnCompleted)  # the anchor finished its reply after the drop
    assert left["state"] == "left" and "not reading the program audio" in left["reason"]
    assert left["program_lost"] >= 25 and not turn.interrupted and turn.audio_seconds > 6
    assert rejected(chatty, "slow_audio") == 1
