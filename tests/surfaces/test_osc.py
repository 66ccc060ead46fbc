"""OSC over UDP loopback drives a running show: a real python-osc client → our server → the Show.

Talk (hold), dump, mute with its reply to the sender, NEXT/BACK of the rundown; approve and
drop_reply of the producer's approval, and the broadcast delay's DUMP (/studio/delay_dump). Nothing sleeps:
the test waits on the show's events, and on the client socket (with a cap) for the replies.
"""

from __future__ import annotations

import asyncio
import socket

from pythonosc.osc_message import OscMessage
from pythonosc.udp_client import SimpleUDPClient

from studio.audio.outputs import ClockedOutput
from studio.bench.queued_mic import QueuedMicrophone
from studio.config import load_settings
from studio.engine.approval import ReplyApprovalSettled, ReplyAwaitingApproval
from studio.engine.events import AnchorInterrupted, HostSpeechStarted, ReplyClauseStarted, TurnCompleted
from studio.rundown import SegmentChanged, SegmentClock, parse_rundown
from studio.show import Show
from studio.show.events import MicMuteChanged, ShowReady
from studio.show.safety import ProgramDumped
from studio.surfaces import OscSurface, start_surfaces
from studio.voices.profile import VoiceProfile
from tests.rundown.helpers import THREE, FakeClock
from tests.show.doubles import QUESTION, fixed_stack, tone
from tests.show.test_show import Events

VOICE = VoiceProfile(name="Test", anchor_name="Tess")
LONG_REPLY = " ".join(["The storm keeps building over the coast tonight."] * 12)


def _reply(client: SimpleUDPClient) -> tuple[str, list]:
    """The next message the server sent this client (a cap, not a wait: it is sent before we look)."""
    raw = client.receive(timeout=10)
    assert raw, "no OSC reply within 10 s"
    message = OscMessage(raw)
    return message.address, list(message.params)


def test_osc_drives_talk_dump_mute_and_the_rundown_of_a_running_show():
    settings, mic = load_settings(turn_mode="push_to_talk"), QueuedMicrophone()
    show = Show(
        settings,
        VOICE,
        stack=fixed_stack(LONG_REPLY),
        rundown=SegmentClock(parse_rundown(THREE), FakeClock()),
        voice_for_language=None,
        frame_source=mic.source,
    )
    show.voice_named = lambda name: None
    surface = OscSurface(show, "127.0.0.1", 0).start()
    client = SimpleUDPClient(*surface.address)

    async def scenario() -> tuple[list, Events]:
        events = Events(show)
        running = asyncio.create_task(show.run())
        await events.nth(ShowReady, 1)
        replies = []

        client.send_message("/studio/mute", 1)
        await events.nth(MicMuteChanged, 1)
        replies.append(await asyncio.to_thread(_reply, client))  # the direct reply
        replies.append(await asyncio.to_thread(_reply, client))  # the broadcast of the change
        assert show.mic_muted
        client.send_message("/studio/mute", None)  # no value: toggle
        await events.nth(MicMuteChanged, 2)
        replies.append(await asyncio.to_thread(_reply, client))
        replies.append(await asyncio.to_thread(_reply, client))
        assert not show.mic_muted

        client.send_message("/studio/talk", 1)
        await events.nth(HostSpeechStarted, 1)
        mic.say(tone(0.8))  # the host speaks while the talk button is held
        assert await asyncio.to_thread(mic.finished.wait, 20)
        client.send_message("/studio/talk", 0)
        await events.nth(ReplyClauseStarted, 1)  # the anchor is on air with a long reply
        client.send_message("/studio/dump", None)
        await events.nth(AnchorInterrupted, 1)
        done = await events.nth(TurnCompleted, 1)
        assert done.transcript == QUESTION and done.interrupted

        client.send_message("/studio/next", None)
        client.send_message("/studio/next", 1)
        client.send_message("/studio/back", 1.0)
        await events.nth(SegmentChanged, 3)
        client.send_message("/studio/mute/get", None)
        replies.append(await asyncio.to_thread(_reply, client))
        show.stop()
        await asyncio.wait_for(running, 30)
        return replies, events

    try:
        replies, events = asyncio.run(scenario())
    finally:
        surface.close()
        client._sock.close()
    assert replies == [("/studio/mute", [1])] * 2 + [("/studio/mute", [0])] * 3
    assert [e.muted for e in events.of(MicMuteChanged)] == [True, False]
    assert [(e.title, e.reason) for e in events.of(SegmentChanged)] == [
        ("Headlines", "start"),
        ("Weather", "next"),
        ("Headlines", "back"),
    ]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_settings_start_osc_on_loopback_and_a_taken_port_is_a_problem_not_a_crash():
    show = Show(load_settings(), VOICE, stack=fixed_stack())
    port = _free_port()
    first = start_surfaces(show, load_settings(osc_port=port))
    try:
        assert first.osc is not None and first.osc.address == ("127.0.0.1", port) and not first.problems
        second = start_surfaces(show, load_settings(osc_port=port))
        assert (
            second.osc is None and f"OSC off: cannot listen on udp://127.0.0.1:{port}" in second.problems[0]
        )
        off = start_surfaces(show, load_settings(osc_enabled=False))
        assert off.osc is None and off.midi is None and not off.problems
    finally:
        first.close()
        first.close()  # idempotent


def test_osc_approves_drops_and_dumps_the_broadcast_delay_of_a_running_show(tmp_path):
    """/studio/approve and /studio/drop_reply settle the waiting reply; /studio/delay_dump is DUMP."""
    settings = load_settings(approve_replies=True, approval_timeout_s=0, broadcast_delay_s=30)
    show = Show(settings, VOICE, stack=fixed_stack("One. Two. Three."), output=ClockedOutput(24_000))
    surface = OscSurface(show, "127.0.0.1", 0).start()
    client = SimpleUDPClient(*surface.address)

    async def scenario() -> Events:
        events = Events(show)
        async with show:
            for turn, address in enumerate(("/studio/approve", "/studio/drop_reply"), 1):
                await show.asubmit_text(f"Question {turn}?")
                await events.nth(ReplyAwaitingApproval, turn)
                client.send_message(address, None)
                await events.nth(ReplyApprovalSettled, turn)
                await events.nth(TurnCompleted, turn)  # approved: played live, still in the delay
            client.send_message("/studio/delay_dump", 1)
            await events.nth(ProgramDumped, 1)
        return events

    try:
        events = asyncio.run(scenario())
    finally:
        surface.close()
        client._sock.close()
    assert [e.outcome for e in events.of(ReplyApprovalSettled)] == ["approved", "dropped"]
    completed = events.of(TurnCompleted)
    assert completed[0].reply == "One. Two. Three." and completed[1].reply == ""
    (dumped,) = events.of(ProgramDumped)
    assert dumped.seconds > 0  # the approved reply was still in the delay line, and never aired
    assert not events.of(ReplyClauseStarted)
