"""Under a broadcast delay the host's line, its chapter and a new segment reach OBS on the delayed
timeline, in order, like the anchor's clauses; without a delay they go at once."""

from __future__ import annotations

import asyncio
import time

from studio.engine.events import ReplyClauseStarted, TurnDecided
from studio.obs import attach_obs
from studio.obs.air_timeline import Aired, AirTimeline
from studio.rundown.events import SegmentChanged
from tests.obs.test_bridge import FAST, _settings, _show, _turn
from tests.show.test_show import Events

DELAY_S = 0.6


def _released(delays: list[float], events: list[object]) -> list[Aired]:
    """Hold `events[i]` under `delays[i]` in turn; the Aired items as the timeline released them."""

    async def run() -> list[Aired]:
        out: list[Aired] = []
        done = asyncio.Event()
        current = iter(delays)
        delay = [0.0]

        def post(item: tuple[float, object]) -> None:
            out.append(item[1])  # type: ignore[arg-type]
            if len(out) == sum(isinstance(e, (TurnDecided, SegmentChanged)) for e in events):
                done.set()

        timeline = AirTimeline(lambda: delay[0], post)
        held = []
        for event in events:
            delay[0] = next(current)
            held.append(timeline.hold(event))
        await asyncio.wait_for(done.wait(), 10)
        assert held == [isinstance(e, (TurnDecided, SegmentChanged)) for e in events]
        return out

    return asyncio.run(run())


def test_a_shorter_delay_after_a_dump_never_lets_a_later_line_overtake_an_earlier_one():
    first, second = TurnDecided(1, "Before the dump.", "silence"), TurnDecided(2, "After it.", "silence")
    segment = SegmentChanged(1, 3, "Weather", 5.0, "manual")
    released = _released([0.4, 0.0, 0.0], [first, second, segment])
    assert [item.event for item in released] == [first, second, segment]
    assert released[1].held_s > 0, "the later line waited for the earlier one"


def test_without_a_delay_nothing_is_held():
    timeline = AirTimeline(lambda: 0.0, lambda item: None)
    assert not timeline.hold(TurnDecided(1, "Live.", "silence"))
    assert not timeline.hold(ReplyClauseStarted(1, "A clause."))  # the engine times clauses itself


def test_the_host_caption_reaches_obs_after_the_broadcast_delay_and_before_the_anchors(obs, tmp_path):
    settings = _settings(obs, broadcast_delay_s=DELAY_S)
    decided_at: list[float] = []

    async def scenario():
        show = _show(settings, tmp_path)
        events = Events(show)
        stamp = time.perf_counter
        show.subscribe(lambda e: decided_at.append(stamp()) if isinstance(e, TurnDecided) else None)
        bridge = attach_obs(show, settings, backoff=FAST)
        assert bridge is not None
        async with show:
            await _turn(show, events, "Roll the tape.", 1)
            await asyncio.to_thread(obs.wait_for, lambda: "Host: Roll the tape." in obs.texts())
        bridge.close()

    asyncio.run(scenario())
    texts = obs.texts()
    host_at = next(
        at
        for kind, data, at in obs.requests
        if kind == "SetInputSettings" and data["inputSettings"].get("text") == "Host: Roll the tape."
    )
    assert host_at - decided_at[0] >= DELAY_S * 0.9, "the host's caption waited for the delayed air"
    anchor = [i for i, text in enumerate(texts) if text.startswith("Tess:")]
    assert anchor and texts.index("Host: Roll the tape.") < anchor[0]
