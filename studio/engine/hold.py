"""Barge-in hold: the anchor pauses at the first sign of the host's voice, before a barge-in is sure.

A barge-in needs `barge_in_ms` of voiced frames in a row (a cough must not cut the anchor off);
waiting that long with the anchor still talking is most of the time a host on headphones waits
to be heard. So at the first frame whose speech probability reaches `barge_in_hold_threshold`
(and that the echo gate lets through) while the anchor is on air, the output holds: it fades
out within a few ms and keeps everything queued. If the barge-in comes, it flushes as before; if
the voice stops (HOLD_RELEASE_FRAMES frames under the threshold; the echo gate no longer counts,
see `on_frame`) or no barge-in follows within `barge_in_ms` + HOLD_GRACE_MS of the hold or of
the last frame the gate called echo (which restarts the barge-in's run; twice that at most), the
anchor goes on where it paused. The cost of a false alarm is a short pause in the anchor's
speech, never lost words.
Threading: engine loop only (called once per mic frame by the engine).
"""

from __future__ import annotations

from studio.backends.contracts import INPUT_SAMPLE_RATE
from studio.config import Settings

HOLD_RELEASE_FRAMES = 2  # quiet frames in a row (~64 ms) that end a hold without a barge-in
HOLD_GRACE_MS = 300  # how long past `barge_in_ms` a hold may last without turning into a barge-in
#: The settings a hold is built from: a change mid-show rebuilds it.
HOLD_SETTINGS = ("barge_in_hold", "barge_in_hold_threshold", "barge_in_ms", "vad_threshold")


class BargeInHold:
    """Decides, frame by frame, when the anchor pauses for a possible barge-in and when it goes on."""

    def __init__(self, settings: Settings, frame_samples: int) -> None:
        frame_ms = 1000.0 * frame_samples / INPUT_SAMPLE_RATE
        self.enabled = settings.barge_in_hold
        self.threshold = min(settings.barge_in_hold_threshold, settings.vad_threshold)
        self.max_frames = max(1, round((settings.barge_in_ms + HOLD_GRACE_MS) / frame_ms))
        self.holding = False
        self.reason = ""  # why the last change happened
        self._frames = 0  # frames the barge-in has had to form (since the hold or its last echo frame)
        self._held = 0  # frames since the hold began (at most twice max_frames)
        self._quiet = 0  # quiet frames in a row
        self._armed = True  # False after a hold ran out: no new one until the host has paused

    def on_frame(self, probability: float, echo: bool, anchor_on_air: bool) -> bool | None:
        """True: hold now; False: go on now; None: no change.

        `anchor_on_air`: the anchor's answer is audible and no host line has started."""
        if not self.enabled:
            return None
        if not anchor_on_air:
            return self.release("the anchor is no longer on air")
        voiced = probability >= self.threshold
        # Held, the anchor is fading out: the echo gate's verdict then mostly meets the echo of what
        # aired before the pause over a quiet gap between two of the host's words (seen: -55 dB
        # frames Silero still heard as speech), and the anchor came back for a word. While it
        # holds, only Silero's own verdict ends it.
        maybe_voice = voiced if self.holding else voiced and not echo
        self._quiet = 0 if maybe_voice else self._quiet + 1
        if not self.holding:
            self._armed = self._armed or self._quiet >= HOLD_RELEASE_FRAMES
            if maybe_voice and self._armed:
                self.holding, self._frames, self._held = True, 0, 0
                self.reason = "the host may be cutting in"
                return True
            return None
        self._frames += 1
        self._held += 1
        if voiced and echo:  # the barge-in's run of voiced frames starts again after this one:
            self._frames = 0  # so does its time (echo flags stop once the pause's echo is over)
        if self._quiet >= HOLD_RELEASE_FRAMES:
            return self.release("not a barge-in: the host's voice stopped")
        if self._frames >= self.max_frames or self._held >= 2 * self.max_frames:
            self._armed = False
            return self.release("not a barge-in: no line started in time")
        return None

    def release(self, reason: str) -> bool | None:
        """End the hold (False), or None if there was none."""
        if not self.holding:
            return None
        self.holding, self.reason = False, reason
        return False
