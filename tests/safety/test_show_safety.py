"""Broadcast safety through a running show: filter actions, approval commands from another thread, DUMP.

Fixed-delay stages (the real-audio checks are in test_on_air.py); every wait is on an event.
Threading: the show runs on the test's loop; commands are sent from a worker thread like a face's.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from studio.audio.delay import DelayedOutput
from studio.audio.outputs import ClockedOutput, InstantOutput
from studio.config import load_settings
from studio.engine.approval import ReplyApprovalSettled, ReplyAwaitingApproval
from studio.engine.events import AnchorLineQueued, ReplyClauseStarted, TurnCompleted
from studio.engine.safety import ClauseBlocked
from studio.show import Show
from studio.show.safety import ProgramDumped
from studio.voices.profile import VoiceProfile
from tests.show.doubles import fixed_stack
from tests.show.test_show import Events

VOICE = VoiceProfile(name="Test", anchor_name="Tess")
REPLY = "Good evening. That darn storm is back tonight. Stay safe out there."


def _show(tmp_path, output=None, reply: str = REPLY, **settings) -> Show:
    return Show(
        load_settings(blocked_words=["darn"], **settings),
        VOICE,
        stack=fixed_stack(reply),
        output=output or InstantOutput(24_000),
        session_log=tmp_path / "session.jsonl",
    )


def _log(tmp_path) -> str:
    return (tmp_path / "session.jsonl").read_text(encoding="utf-8")


def _records(tmp_path, kind: str) -> list[dict]:
    return [r for r in map(json.loads, _log(tmp_path).splitlines()) if r["kind"] == kind]


@pytest.mark.parametrize(
    ("action", "aired", "outcome"),
    [
        ("drop", ["Good evening.", "Stay safe out there."], "dropped"),
        (
            "bleep",
            ["Good evening.", "That [bleep] storm is back tonight.", "Stay safe out there."],
            "bleeped",
        ),
    ],
)
def test_a_blocked_word_reaches_neither_captions_nor_log(tmp_path, action, aired, outcome) -> None:
    async def scenario():
        show = _show(tmp_path, blocked_word_action=action)
        events = Events(show)
        async with show:
            await show.asubmit_text("How is the weather?")
            done = await events.nth(TurnCompleted, 1)
        return done, events

    done, events = asyncio.run(scenario())
    assert [e.clause for e in events.of(ReplyClauseStarted)] == aired
    assert [e.clause for e in events.of(AnchorLineQueued)] == aired
    assert done.reply == " ".join(aired) and done.heard == " ".join(aired)
    (hit,) = events.of(ClauseBlocked)
    assert (hit.pattern, hit.matched, hit.action, hit.outcome) == ("d***", "d***", action, outcome)
    assert "darn" not in _log(tmp_path).lower()
    (record,) = _records(tmp_path, "blocked_word")
    assert record["reason"] == "blocked word" and record["rule"] == 1 and record["outcome"] == outcome


def _decide_from_another_thread(show: Show, command: str, *args):
    return asyncio.to_thread(lambda: getattr(show, command)(*args).result(10))


@pytest.mark.parametrize(
    ("command", "args", "aired", "outcome"),
    [
        ("approve_reply", (), REPLY.replace("darn", "[bleep]"), "approved"),
        (
            "edit_reply",
            ("Good evening. Stay dry, and darn the rain.",),
            "Good evening. Stay dry, and [bleep] the rain.",
            "edited",
        ),
        ("drop_reply", (), "", "dropped"),
    ],
)
def test_the_producer_approves_edits_or_drops_the_reply(tmp_path, command, args, aired, outcome) -> None:
    async def scenario():
        show = _show(tmp_path, blocked_word_action="bleep", approve_replies=True, approval_timeout_s=0)
        events = Events(show)
        async with show:
            await show.asubmit_text("How is the weather?")
            waiting = await events.nth(ReplyAwaitingApproval, 1)
            assert show.pending_reply() == (waiting.turn_id, waiting.text)
            assert not events.of(ReplyClauseStarted)  # nothing airs before the decision
            assert await _decide_from_another_thread(show, command, *args) is True
            done = await events.nth(TurnCompleted, 1)
            again = await _decide_from_another_thread(show, command, *args)
        return waiting, done, events, again

    waiting, done, events, again = asyncio.run(scenario())
    assert waiting.text == REPLY.replace("darn", "[bleep]")  # screened before the producer sees it
    (settled,) = events.of(ReplyApprovalSettled)
    assert (settled.outcome, settled.text) == (outcome, aired)
    assert " ".join(e.clause for e in events.of(ReplyClauseStarted)) == aired == done.heard
    assert again is False  # nothing waits any more
    assert [r["outcome"] for r in _records(tmp_path, "approval")] == [outcome]
    assert "darn" not in _log(tmp_path).lower()  # an edit that types it is censored in the log too


@pytest.mark.parametrize(("on_timeout", "aired"), [("drop", ""), ("air", REPLY.replace("darn", "[bleep]"))])
def test_nobody_decides_the_timeout_action_does(tmp_path, on_timeout, aired) -> None:
    async def scenario():
        show = _show(
            tmp_path,
            blocked_word_action="bleep",
            approve_replies=True,
            approval_timeout_s=0.2,
            approval_timeout_action=on_timeout,
        )
        events = Events(show)
        async with show:
            await show.asubmit_text("How is the weather?")
            done = await events.nth(TurnCompleted, 1)
        return done, events

    done, events = asyncio.run(scenario())
    (settled,) = events.of(ReplyApprovalSettled)
    assert settled.outcome == f"timed out, {'aired' if on_timeout == 'air' else 'dropped'}"
    assert done.heard == aired and done.reply == aired


def test_a_barge_in_while_waiting_clears_the_approval(tmp_path) -> None:
    async def scenario():
        show = _show(tmp_path, approve_replies=True, approval_timeout_s=0)
        events = Events(show)
        async with show:
            await show.asubmit_text("How is the weather?")
            await events.nth(ReplyAwaitingApproval, 1)
            assert await show.ainterrupt() is True
            await events.nth(TurnCompleted, 1)
            return events, show.pending_reply()

    events, pending = asyncio.run(scenario())
    assert pending is None
    assert [e.outcome for e in events.of(ReplyApprovalSettled)] == ["cancelled"]


def test_dump_drops_the_delayed_reply_and_its_captions(tmp_path) -> None:
    async def scenario():
        show = _show(tmp_path, output=ClockedOutput(24_000), reply="One. Two. Three.", broadcast_delay_s=5)
        events = Events(show)
        async with show:
            assert isinstance(show.output, DelayedOutput)
            await show.asubmit_text("Count for me.")
            await events.nth(TurnCompleted, 1)  # played live; on air only in 5 s
            status_before = show.delay_status()
            dumped = await asyncio.to_thread(lambda: show.dump().result(10))
            status_after = show.delay_status()
            await show.asubmit_text("Once more.")
            await events.nth(TurnCompleted, 2)
            await events.nth(ReplyClauseStarted, 3)  # the second reply airs (the delay rebuilding)
        return events, dumped, status_before, status_after

    events, dumped, before, after = asyncio.run(scenario())
    assert before is not None and before.delay_s == 5.0 and after is not None and after.delay_s == 0.0
    assert dumped > 0 and events.of(ProgramDumped)[0].seconds == pytest.approx(dumped, abs=0.01)
    turns = [e.turn_id for e in events.of(ReplyClauseStarted)]
    assert turns == [2, 2, 2]  # the first reply was dumped before any of it aired: never captioned
    assert [r["seconds"] for r in _records(tmp_path, "dump")] == [pytest.approx(dumped, abs=0.01)]
