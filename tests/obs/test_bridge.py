"""The OBS bridge on a real show against a real WebSocket server speaking obs-websocket v5.

Captions follow what airs (in aired order, speaker-labelled, cleared when idle or at once on a
barge-in), chapters go to OBS or beside the session log, and OBS failing in any way — gone,
restarted, wrong password, missing source — never disturbs the show and is said once.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from studio.audio.outputs import ClockedOutput
from studio.config import load_settings
from studio.engine.events import AnchorInterrupted, ReplyClauseStarted, TurnCompleted
from studio.obs import ObsBridge, attach_obs
from studio.obs.client import Backoff
from studio.session.chapters import chapter_paths
from studio.show import Show
from studio.voices.profile import VoiceProfile
from tests.obs.fake_obs import FakeObs
from tests.show.doubles import REPLY, fixed_stack
from tests.show.test_show import Events

VOICE = VoiceProfile(name="Test", anchor_name="Tess")
FAST = Backoff(first=0.05, longest=0.2)
LONG_REPLY = " ".join(f"Clause number {n} goes on for a while." for n in range(1, 5))


def _settings(obs: FakeObs, **extra):
    values = {
        "obs_websocket_url": obs.url,
        "obs_websocket_password": "s3cret",
        "obs_caption_source": "Captions",
        "obs_caption_clear_s": 0,
    }
    return load_settings(**(values | extra))


def _show(settings, tmp_path, reply: str = REPLY) -> Show:
    """A real-time show (clauses air when the clock plays them) with a session log."""
    output = ClockedOutput(settings.SAMPLE_RATE)
    log = tmp_path / "session.jsonl"
    return Show(settings, VOICE, stack=fixed_stack(reply), output=output, session_log=log)


async def _turn(show: Show, events: Events, text: str, count: int) -> TurnCompleted:
    await show.asubmit_text(text)
    return await events.nth(TurnCompleted, count)


def test_captions_follow_the_aired_clauses_in_order_and_chapters_go_beside_the_log(obs, tmp_path):
    settings = _settings(obs)

    async def scenario():
        show = _show(settings, tmp_path)
        events = Events(show)
        bridge = attach_obs(show, settings)
        assert bridge is not None
        async with show:
            await asyncio.to_thread(obs.wait_for, lambda: "GetVersion" in obs.kinds())
            await _turn(show, events, "What is on tonight?", 1)
            aired = [f"Tess: {e.clause}" for e in events.of(ReplyClauseStarted)]
            await asyncio.to_thread(obs.wait_for, lambda: len(obs.texts()) >= 1 + len(aired))
        bridge.close()
        return aired, bridge

    aired, bridge = asyncio.run(scenario())
    assert len(aired) >= 2
    assert obs.texts()[: 1 + len(aired)] == ["Host: What is on tonight?", *aired]
    assert obs.texts()[-1] == ""  # taken down when the show ended
    assert "SendStreamCaption" not in obs.kinds()  # not streaming
    assert "CreateRecordChapter" not in obs.kinds()  # this OBS does not offer it
    listing, ffmeta = chapter_paths(tmp_path / "session.jsonl")
    assert listing.read_text().endswith(" Turn 1: What is on tonight?\n")
    text = ffmeta.read_text()
    assert text.startswith(";FFMETADATA1\n") and "[CHAPTER]\nTIMEBASE=1/1000\nSTART=" in text
    assert "title=Turn 1: What is on tonight?" in text
    assert len(bridge.latencies_ms) == len(aired)


def test_stream_captions_and_obs_chapters_when_obs_streams_and_records(tmp_path):
    obs = FakeObs(password="s3cret", chapters=True).start()
    obs.streaming = obs.recording = True
    settings = _settings(obs)
    try:

        async def scenario():
            show = _show(settings, tmp_path)
            events = Events(show)
            bridge = attach_obs(show, settings)
            assert bridge is not None
            async with show:
                assert await asyncio.to_thread(bridge.wait_synced, 20)  # it knows OBS records
                await _turn(show, events, "Roll the tape.", 1)
                count = len(events.of(ReplyClauseStarted))
                await asyncio.to_thread(obs.wait_for, lambda: obs.kinds().count("SendStreamCaption") > count)
            bridge.close()

        asyncio.run(scenario())
    finally:
        obs.stop()
    chapters = [data for kind, data, _ in obs.requests if kind == "CreateRecordChapter"]
    assert chapters == [{"chapterName": "Turn 1: Roll the tape."}]
    captions = [data["captionText"] for kind, data, _ in obs.requests if kind == "SendStreamCaption"]
    assert captions[0] == "Host: Roll the tape." and all(text for text in captions)
    assert not chapter_paths(tmp_path / "session.jsonl")[0].exists()


def test_obs_restarted_mid_show_the_show_goes_on_and_captions_resume(obs, tmp_path):
    settings = _settings(obs)

    async def scenario():
        show = _show(settings, tmp_path)
        events = Events(show)
        bridge = attach_obs(show, settings, backoff=FAST)
        assert bridge is not None
        async with show:
            await _turn(show, events, "First question.", 1)
            await asyncio.to_thread(obs.wait_for, lambda: "Host: First question." in obs.texts())
            await asyncio.to_thread(obs.stop)  # OBS closed mid-show
            second = await _turn(show, events, "Second question.", 2)
            await asyncio.to_thread(obs.start)  # and back, on the same port
            await asyncio.to_thread(obs.wait_for, lambda: obs.connections >= 2)
            await asyncio.to_thread(obs.wait_for, lambda: obs.kinds().count("GetRecordStatus") >= 2)
            await _turn(show, events, "Third question.", 3)
            await asyncio.to_thread(obs.wait_for, lambda: "Host: Third question." in obs.texts())
        bridge.close()
        return second, bridge

    second, bridge = asyncio.run(scenario())
    assert second.reply == REPLY and not second.interrupted  # the show never noticed
    assert "Host: Second question." not in obs.texts()  # nothing stale replayed after the restart
    assert bridge.status.state in ("connected", "closed")


def test_a_wrong_password_is_one_clear_message_and_no_retry_storm(obs, tmp_path, caplog):
    settings = _settings(obs, obs_websocket_password="wrong")
    caplog.set_level(logging.INFO, logger="studio.obs")

    async def scenario():
        show = _show(settings, tmp_path)
        events = Events(show)
        bridge = attach_obs(show, settings, backoff=FAST)
        assert bridge is not None
        async with show:
            await asyncio.to_thread(obs.wait_for, lambda: obs.closes == [4009])
            done = await _turn(show, events, "Anyone there?", 1)
            await _turn(show, events, "Still there?", 2)
        bridge.close()
        return done, bridge

    done, bridge = asyncio.run(scenario())
    assert done.reply == REPLY
    assert obs.connections == 1 and obs.closes == [4009]  # refused once, never retried on its own
    problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(problems) == 1 and "password" in problems[0] and "4009" in problems[0]
    assert "password" in bridge.status.last_error


def test_a_missing_caption_source_is_one_message(obs, tmp_path, caplog):
    settings = _settings(obs, obs_caption_source="Nope")
    caplog.set_level(logging.INFO, logger="studio.obs")

    async def scenario():
        show = _show(settings, tmp_path)
        events = Events(show)
        bridge = attach_obs(show, settings)
        assert bridge is not None
        async with show:
            await asyncio.to_thread(obs.wait_for, lambda: "GetVersion" in obs.kinds())
            await _turn(show, events, "One.", 1)
            await _turn(show, events, "Two.", 2)
            await asyncio.to_thread(obs.wait_for, lambda: len(obs.texts("Nope")) >= 4)
        bridge.close()
        return bridge

    bridge = asyncio.run(scenario())
    problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(problems) == 1 and "no source named 'Nope'" in problems[0]
    assert bridge.status.last_error == problems[0].removeprefix("OBS: ")


def test_a_barge_in_takes_the_caption_down_at_once_and_idle_clears_it(obs, tmp_path):
    settings = _settings(obs, obs_caption_clear_s=0.3)

    async def scenario():
        show = _show(settings, tmp_path, reply=LONG_REPLY)
        events = Events(show)
        bridge = attach_obs(show, settings)
        assert bridge is not None
        async with show:
            await show.asubmit_text("Tell me a long story.")
            await events.nth(ReplyClauseStarted, 1)
            await asyncio.to_thread(obs.wait_for, lambda: any(t.startswith("Tess: ") for t in obs.texts()))
            await show.ainterrupt()
            await events.nth(AnchorInterrupted, 1)
            await asyncio.to_thread(obs.wait_for, lambda: obs.texts()[-1] == "")
            cleared_at = len(obs.texts())
            await _turn(show, events, "Short one.", 2)
            await asyncio.to_thread(
                obs.wait_for, lambda: len(obs.texts()) > cleared_at and obs.texts()[-1] == ""
            )
        bridge.close()
        return events

    events = asyncio.run(scenario())
    texts = obs.texts()
    cut = texts.index("")
    assert all(t.startswith(("Host: ", "Tess: ")) for t in texts[:cut])
    assert len([e for e in events.of(ReplyClauseStarted) if e.turn_id == 1]) < LONG_REPLY.count(".")


def test_no_url_no_bridge(tmp_path):
    settings = load_settings()
    show = _show(settings, tmp_path)
    assert attach_obs(show, settings) is None


def test_a_closed_bridge_ignores_events_and_its_test_says_why():
    bridge = ObsBridge("ws://127.0.0.1:9")
    bridge.on_event(object())
    with pytest.raises(RuntimeError, match="not running"):
        bridge.test().result(5)
