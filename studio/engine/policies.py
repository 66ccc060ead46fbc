"""Turn-taking policies: when does the host's line start, and when is their turn over?

Auto-turn: VAD onset starts a line; after a short pause the end-of-turn model is asked, and a
long pause ends the turn regardless (Smart Turn calls some fragments complete, so it never acts
before `turn_min_silence_ms`, and the silence timeout catches what it misses).
Push-to-talk: the line is exactly what the host holds the key for.
Threading: engine loop only; the end-of-turn model runs in its backend's worker.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from studio.backends.contracts import INPUT_SAMPLE_RATE
from studio.config import Settings

ONSET_FRAMES = 2  # consecutive voiced frames that make a line start (~64 ms)
PREROLL_FRAMES = 10  # audio kept from before the onset (~320 ms) so first syllables survive
# The end-of-turn model is asked this many frames before it may act: its answer is in when the
# pause reaches `turn_min_silence_ms`, not a model's time after. It hears the same audio either
# way (the line takes no frame after its first quiet one).
TURN_MODEL_LEAD_FRAMES = 2
#: The settings a policy is built from: a change mid-show rebuilds the policy.
POLICY_SETTINGS = ("turn_min_silence_ms", "turn_max_silence_ms", "stt_speculate_ms", "barge_in_ms")


@dataclass(slots=True)
class FrameVerdict:
    """What the policy concluded from one frame."""

    start_line: bool = False
    append: bool = False
    speculate: bool = False  # transcribe now: the line may be over (final text ready sooner)
    evaluate: bool = False  # ask the end-of-turn model now
    end_turn: str = ""  # non-empty: the turn is over, for this reason
    barge_in: bool = False


class AutoTurnPolicy:
    """Voice activity + end-of-turn model + silence timeout."""

    def __init__(self, settings: Settings, frame_samples: int) -> None:
        frame_ms = 1000.0 * frame_samples / INPUT_SAMPLE_RATE
        self.min_silence_frames = max(1, round(settings.turn_min_silence_ms / frame_ms))
        self.speculate_frames = max(
            1, min(self.min_silence_frames, round(settings.stt_speculate_ms / frame_ms))
        )
        self.evaluate_frames = max(self.speculate_frames, self.min_silence_frames - TURN_MODEL_LEAD_FRAMES)
        self.max_silence_frames = max(
            self.min_silence_frames + 1, round(settings.turn_max_silence_ms / frame_ms)
        )
        self.barge_in_frames = max(ONSET_FRAMES, round(settings.barge_in_ms / frame_ms))
        self.preroll: deque[np.ndarray] = deque(maxlen=PREROLL_FRAMES)
        self._voiced_run = 0
        self._silence_run = 0
        self.in_line = False

    def reset(self) -> None:
        self.preroll.clear()
        self._voiced_run = self._silence_run = 0
        self.in_line = False

    def on_frame(self, frame: np.ndarray, voiced: bool, anchor_speaking: bool) -> FrameVerdict:
        """Advance the state machine by one frame."""
        verdict = FrameVerdict()
        self._voiced_run = self._voiced_run + 1 if voiced else 0
        if not self.in_line:
            self.preroll.append(frame)
            needed = self.barge_in_frames if anchor_speaking else ONSET_FRAMES
            if self._voiced_run >= needed:
                self.in_line = True
                self._silence_run = 0
                verdict.start_line = True
                verdict.barge_in = anchor_speaking
            return verdict
        if voiced:
            self._silence_run = 0
            verdict.append = True
            return verdict
        self._silence_run += 1
        verdict.append = self._silence_run <= self.speculate_frames
        verdict.speculate = self._silence_run == self.speculate_frames
        if self._silence_run == self.evaluate_frames:
            verdict.evaluate = True
        if self._silence_run >= self.max_silence_frames:
            verdict.end_turn = "silence timeout"
        return verdict

    @property
    def silence_continues(self) -> bool:
        """Still in the pause that triggered the last evaluation."""
        return self.in_line and self._silence_run >= self.min_silence_frames

    def line_ended(self) -> None:
        self.in_line = False
        self._silence_run = 0
        self.preroll.clear()
