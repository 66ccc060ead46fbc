"""OBS follows the rundown and the anchor's airtime, against a real WebSocket server speaking v5.

A chapter per segment (in OBS when it records and offers CreateRecordChapter, else beside the
session log), the segment's scene; the anchor's sources and scene while its audio airs, off when
the turn ends or at once on DUMP; a missing scene or source is one message. Nothing sleeps: the
tests wait on the show's events and on what the server has recorded.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from studio.audio.outputs import ClockedOutput
from studio.config import load_settings
from studio.engine.events import ReplyCaptioned, ReplyClauseStarted, TurnCompleted
from studio.obs import ObsBridge, attach_obs
from studio.obs.cues import CueSettings
from studio.rundown import SegmentChanged, SegmentClock, parse_rundown
from studio.session.chapters import chapter_paths
from studio.show import Show
from studio.show.safety import ProgramDumped
from studio.voices.profile import VoiceProfile
from tests.obs.fake_obs import FakeObs
from tests.rundown.helpers import THREE, FakeClock
from tests.show.doubles import fixed_stack
from tests.show.test_show import Events

VOICE = VoiceProfile(name="Test", anchor_name="Tess")
LONG_REPLY = " ".join(f"Clause number {n} goes on for a while." for n in range(1, 7))
CUES = {"obs_anchor_source": "Avatar", "obs_disclosure_source": "AI voice"}
SCENES = {"Host cam": ("Avatar", "AI voice"), "Anchor cam": ("Avatar", "AI voice"), "Weather map": ()}


def _settings(obs: FakeObs, **extra):
    values = {"obs_websocket_url": obs.url, "obs_caption_source": "Captions", "obs_caption_clear_s": 0}
    return load_settings(**(values | extra))


def _show(settings, tmp_path, reply: str = LONG_REPLY, rundown: bool = False) -> Show:
    """A real-time show with a session log (and the three-segment rundown when asked)."""
    clock = SegmentClock(parse_rundown(THREE), FakeClock()) if rundown else None
    show = Show(
        settings,
        VOICE,
        stack=fixed_stack(reply),
        output=ClockedOutput(settings.SAMPLE_RATE),
        session_log=tmp_path / "session.jsonl",
        rundown=clock,
    )
    show.voice_named = lambda name: None
    return show


def _wait(obs: FakeObs, condition) -> asyncio.Future:
    return asyncio.to_thread(obs.wait_for, condition)


def _of(obs: FakeObs, kind: str) -> list[dict]:
    return [data for k, data, _ in list(obs.requests) if k == kind]


def _obs(record: logging.LogRecord) -> bool:
    return record.name.startswith("studio.obs")


def _play_rundown(obs: FakeObs, settings, tmp_path) -> Events:
    """Start, NEXT, NEXT, NEXT (past the last: the rundown ends) on a running show with OBS attached."""

    async def scenario() -> Events:
        show = _show(settings, tmp_path, rundown=True)
        events = Events(show)
        bridge = attach_obs(show, settings)
        assert bridge is not None
        async with show:
            assert await asyncio.to_thread(bridge.wait_synced, 20)  # it knows OBS records
            for count in range(1, 5):
                await show.anext_segment()
                await events.nth(SegmentChanged, count)
        bridge.close()
        return events

    return asyncio.run(scenario())


def test_each_segment_is_an_obs_chapter_and_its_scene_goes_on_program(tmp_path):
    obs = FakeObs(chapters=True, scenes=SCENES).start()
    obs.recording = True
    try:
        events = _play_rundown(obs, _settings(obs), tmp_path)
    finally:
        obs.stop()
    assert [e.reason for e in events.of(SegmentChanged)] == ["start", "next", "next", "end"]
    assert [d["chapterName"] for d in _of(obs, "CreateRecordChapter")] == [
        "Segment 1/3: Headlines",
        "Segment 2/3: Weather",
        "Segment 3/3: Sports",
        "Rundown ended",
    ]
    assert _of(obs, "SetCurrentProgramScene") == [{"sceneName": "Weather map"}]
    assert obs.program_scene == "Weather map"
    assert not chapter_paths(tmp_path / "session.jsonl")[0].exists()


def test_without_obs_chapters_segments_go_to_the_file_and_a_missing_scene_is_one_message(tmp_path, caplog):
    obs = FakeObs(scenes={"Studio": ()}).start()
    caplog.set_level(logging.INFO, logger="studio.obs")
    try:
        _play_rundown(obs, _settings(obs), tmp_path)
    finally:
        obs.stop()
    assert "CreateRecordChapter" not in obs.kinds()
    listing = chapter_paths(tmp_path / "session.jsonl")[0].read_text()
    titles = [line.split(" ", 1)[1] for line in listing.splitlines()]
    assert titles == [
        "Segment 1/3: Headlines",
        "Segment 2/3: Weather",
        "Segment 3/3: Sports",
        "Rundown ended",
    ]
    problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and _obs(r)]
    assert problems == [
        "OBS: OBS has no scene named 'Weather map' (rundown segment 'Weather' asks for it): "
        "add the scene in OBS or fix the name"
    ]
    assert obs.program_scene == "Studio"


def test_the_anchors_sources_and_scene_follow_its_aired_audio(tmp_path):
    obs = FakeObs(scenes=SCENES).start()
    settings = _settings(obs, obs_host_scene="Host cam", obs_anchor_scene="Anchor cam", **CUES)

    async def scenario() -> None:
        show = _show(settings, tmp_path, reply="Short and sweet. That is all.")
        events = Events(show)
        bridge = attach_obs(show, settings)
        assert bridge is not None
        async with show:
            await show.asubmit_text("What is on?")
            await events.nth(ReplyClauseStarted, 1)
            await _wait(obs, lambda: obs.enabled("Anchor cam") == {"Avatar", "AI voice"})
            assert obs.program_scene == "Anchor cam" and obs.enabled("Host cam") == set()
            await events.nth(TurnCompleted, 1)
            await _wait(obs, lambda: obs.program_scene == "Host cam")
            assert obs.enabled("Anchor cam") == set()
        bridge.close()

    try:
        asyncio.run(scenario())
    finally:
        obs.stop()
    kinds = obs.kinds()
    aired = next(
        i for i, (k, d, _) in enumerate(obs.requests) if k == "SetInputSettings" and "Tess:" in str(d)
    )
    assert kinds.index("SetCurrentProgramScene") > aired  # on air when the first sample aired, not before
    switched = [d["sceneName"] for d in _of(obs, "SetCurrentProgramScene")]
    assert switched == ["Anchor cam", "Host cam"]


def test_dump_takes_the_cues_off_at_once_and_a_missing_source_is_one_message(tmp_path, caplog):
    obs = FakeObs(scenes={"Studio": ("Avatar",)}).start()
    settings = _settings(obs, **CUES)
    caplog.set_level(logging.INFO, logger="studio.obs")

    async def scenario() -> None:
        show = _show(settings, tmp_path)
        events = Events(show)
        bridge = attach_obs(show, settings)
        assert bridge is not None
        async with show:
            for turn in (1, 2):
                await show.asubmit_text(f"Question {turn}?")
                await events.nth(ReplyClauseStarted, len(events.of(ReplyClauseStarted)) + 1)
                await _wait(obs, lambda: obs.enabled("Studio") == {"Avatar"})
                await show.adump()
                await events.nth(ProgramDumped, turn)
                await _wait(obs, lambda: obs.enabled("Studio") == set())
                await events.nth(TurnCompleted, turn)
        bridge.close()

    try:
        asyncio.run(scenario())
    finally:
        obs.stop()
    problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and _obs(r)]
    assert len(problems) == 1 and "no source 'AI voice' in the scene 'Studio'" in problems[0]


def test_with_a_broadcast_delay_the_cues_stay_until_the_delayed_audio_aired_or_was_dumped():
    obs = FakeObs(scenes={"Studio": ("Avatar", "AI voice")}).start()
    cues = CueSettings(anchor_source="Avatar", disclosure_source="AI voice")
    bridge = ObsBridge(obs.url, "", "Captions", clear_after_s=0, cues=cues, air_delay_s=lambda: 3600.0)
    bridge.start(5.0)
    try:
        bridge.on_event(ReplyClauseStarted(1, "On air."))
        obs.wait_for(lambda: obs.enabled("Studio") == {"Avatar", "AI voice"})
        bridge.on_event(TurnCompleted(1, "Q", "On air.", "On air.", False, 1.0))
        bridge.on_event(ReplyCaptioned(1, "marker", "test"))  # handled after the completion
        obs.wait_for(lambda: "Anchor: marker" in obs.texts())
        assert obs.enabled("Studio") == {"Avatar", "AI voice"}  # the delay still airs the reply
        bridge.on_event(ProgramDumped(3.0))
        obs.wait_for(lambda: obs.enabled("Studio") == set())
    finally:
        bridge.close()
        obs.stop()


@pytest.mark.parametrize("value", ["", "  "])
def test_no_cue_settings_no_cues(value):
    settings = load_settings(obs_anchor_source=value, obs_host_scene=value)
    cues = CueSettings.from_settings(settings)
    assert cues.sources == () and not cues.host_scene
