"""`bench --peer pipecat`: our show and a pipecat pipeline answer the same spoken questions, turn by turn.

Both hear the same Piper-spoken questions through a live-paced mic and keep hearing silence until
they have answered, like a host waiting at the desk. Voice-to-voice is measured the same way on
both: from the end of the host's speech (the clip's last sample above SPEECH_FLOOR, on the mic's
schedule) to the first audible sample written to the program output. The sides take turns
question by question (their order alternating), so a noisy machine weighs on both alike. A second
pass runs both on the fixed-delay backends (studio.bench.fixed_delay): what is left is overhead.
Threading: one asyncio loop in the main thread runs the show, the pipecat runner and the mic;
models work in their own threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from studio.audio.outputs import InstantOutput
from studio.backends.contracts import INPUT_SAMPLE_RATE
from studio.backends.registry import BackendStack
from studio.bench.fixed_delay import SPEECH_FLOOR  # where a question ends: its last sample above it
from studio.config import Settings
from studio.engine.events import TurnCompleted
from studio.show import Show
from studio.voices.profile import VoiceProfile

LEAD_SECONDS = 0.3  # silence before each question
ANSWER_WAIT_SECONDS = 60.0  # silence heard after a question before giving up on an answer
REPLY_WAIT_SECONDS = 180.0  # the longest an answer that has begun may take to finish


def speech_end_seconds(clip: np.ndarray) -> float:
    """Where the spoken words of `clip` end (its trailing silence excluded)."""
    loud = np.flatnonzero(np.abs(clip) > SPEECH_FLOOR)
    return (int(loud[-1]) + 1) / INPUT_SAMPLE_RATE if len(loud) else len(clip) / INPUT_SAMPLE_RATE


async def speak(
    clip: np.ndarray,
    frame_samples: int,
    deliver: Callable[[np.ndarray], Awaitable[None] | None],
    answered: Callable[[], bool],
    answering: Callable[[], bool],
) -> float:
    """Play lead silence, `clip`, then silence until `answered()`, paced like a device; the speech end.

    A listener that is not `answering()` within ANSWER_WAIT_SECONDS (nothing aired) is given up on;
    one that is gets up to REPLY_WAIT_SECONDS to finish. The schedule is absolute: frame k is
    delivered at t0 + (k+1) frames, and the returned speech end is on the same clock
    (perf_counter), so a late loop counts against the listener.
    """
    lead = int(LEAD_SECONDS * INPUT_SAMPLE_RATE)
    audio = np.concatenate([np.zeros(lead, np.float32), clip.astype(np.float32)])
    wait = int(ANSWER_WAIT_SECONDS * INPUT_SAMPLE_RATE)
    reply_wait = int(REPLY_WAIT_SECONDS * INPUT_SAMPLE_RATE)
    silence = np.zeros(frame_samples, np.float32)
    period = frame_samples / INPUT_SAMPLE_RATE
    t0, k = time.perf_counter(), 0

    def listening() -> bool:
        heard = k * frame_samples
        if heard < len(audio):
            return True
        return not answered() and heard < len(audio) + (reply_wait if answering() else wait)

    while listening():
        frame = audio[k * frame_samples : (k + 1) * frame_samples]
        if len(frame) < frame_samples:
            frame = np.concatenate([frame, silence[: frame_samples - len(frame)]])
        delay = t0 + (k + 1) * period - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        result = deliver(frame)
        if inspect.isawaitable(result):
            await result
        k += 1
    return t0 + LEAD_SECONDS + speech_end_seconds(clip)


@dataclass
class SideTurn:
    """One question as one side handled it (perf_counter times)."""

    speech_end: float
    writes: list[float]  # every audible program-output write after the question began
    transcript: str = ""
    reply: str = ""
    stages: dict[str, float] = field(default_factory=dict)  # absolute times of inner stages

    @property
    def premature(self) -> bool:
        """It started answering before the host had finished the question."""
        return any(t < self.speech_end for t in self.writes)

    def since_speech_end_ms(self, stage: str) -> float | None:
        """When `stage` came, ms after the host's last spoken sample (None: it never came)."""
        at = self.stages.get(stage)
        return None if at is None else (at - self.speech_end) * 1000.0

    @property
    def voice_to_voice_ms(self) -> float | None:
        after = [t for t in self.writes if t >= self.speech_end]
        if not after or self.premature or not self.reply:
            return None
        return (after[0] - self.speech_end) * 1000.0


class Side(Protocol):
    """A conversation system under test."""

    name: str

    async def start(self) -> None: ...
    async def ask(self, clip: np.ndarray) -> SideTurn: ...
    async def aclose(self) -> None: ...


class StampedOutput(InstantOutput):
    """InstantOutput that keeps the time of every audible write (the anchor's first sample out)."""

    def __init__(self, sample_rate: int) -> None:
        super().__init__(sample_rate)
        self.writes: list[float] = []

    def write(self, samples: np.ndarray) -> float:
        at = super().write(samples)
        if len(samples) and float(np.max(np.abs(samples))) > 0.0:
            self.writes.append(time.perf_counter())
        return at


class StudioSide:
    """Our show (studio.show.Show) over a given stack, heard through `Show.hear`."""

    def __init__(self, name: str, settings: Settings, voice: VoiceProfile, stack: BackendStack) -> None:
        self.name = name
        self.output = StampedOutput(settings.SAMPLE_RATE)
        settings = settings.model_copy(update={"turn_mode": "auto"})
        self.show = Show(settings, voice, stack=stack, output=self.output, session_log=None)
        self._completed: list[TurnCompleted] = []
        self.show.subscribe(self._on_event)

    def _on_event(self, event: Any) -> None:
        if isinstance(event, TurnCompleted):
            self._completed.append(event)

    async def start(self) -> None:
        await self.show.start()

    async def ask(self, clip: np.ndarray) -> SideTurn:
        self.output.writes = []
        before = len(self._completed)

        def answered() -> bool:
            return any(not t.interrupted for t in self._completed[before:]) and not self._busy()

        frame = self.show.stack.vad.frame_samples  # type: ignore[union-attr]
        speech_end = await speak(clip, frame, self.show.hear, answered, self._busy)
        await self.show.wait_anchor_idle()
        turns = self._completed[before:]
        answer = next((t for t in reversed(turns) if not t.interrupted), None)
        turn = SideTurn(speech_end, list(self.output.writes))
        if answer is not None:
            turn.transcript, turn.reply = answer.transcript, answer.reply
            turn.stages = _absolute_stages(answer, turn)
        return turn

    def _busy(self) -> bool:
        engine = self.show.engine
        return engine is not None and engine.anchor_busy

    async def aclose(self) -> None:
        await self.show.aclose()


def _absolute_stages(answer: TurnCompleted, turn: SideTurn) -> dict[str, float]:
    """The engine's stage marks on the bench clock (anchored at the first sample it wrote)."""
    v2v = answer.latency_ms.get("voice_to_voice")
    after = [t for t in turn.writes if t >= turn.speech_end]
    if v2v is None or not after:
        return {}
    vad_end = after[0] - v2v / 1000.0
    return {
        stage: vad_end + ms / 1000.0
        for stage, ms in answer.latency_ms.items()
        if ms is not None and stage not in ("voice_to_voice", "engine_overhead")
    }


class PipecatSide:
    """The pipecat peer (studio.bench.peer_pipecat), heard through its bench transport."""

    def __init__(self, name: str, peer: Any) -> None:
        self.name, self.peer = name, peer

    async def start(self) -> None:
        await self.peer.start()

    async def ask(self, clip: np.ndarray) -> SideTurn:
        from studio.bench.peer_pipecat import MIC_FRAME_SAMPLES

        record = self.peer.new_turn()
        speech_end = await speak(
            clip, MIC_FRAME_SAMPLES, self.peer.hear, record.done.is_set, lambda: bool(record.writes)
        )
        if record.turn_stopped_at is not None:  # its chat model idle before the next question
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(record.llm_finished.wait(), REPLY_WAIT_SECONDS)
        turn = SideTurn(speech_end, list(record.writes), record.transcript, record.reply)
        marks = {"turn_decided": record.turn_stopped_at, "llm_first_token": record.llm_first_token_at}
        turn.stages = {k: v for k, v in marks.items() if v is not None}
        return turn

    async def aclose(self) -> None:
        await self.peer.aclose()


async def take_turns(sides: list[Side], clips: list[np.ndarray], warmup: int) -> dict[str, list[SideTurn]]:
    """Every side answers every clip; the order rotates each question; the first `warmup` are dropped."""
    results: dict[str, list[SideTurn]] = {side.name: [] for side in sides}
    for index, clip in enumerate(clips):
        shift = index % len(sides)
        for side in sides[shift:] + sides[:shift]:
            turn = await side.ask(clip)
            if index >= warmup:
                results[side.name].append(turn)
    return results


def percentiles(values: list[float]) -> dict[str, float] | None:
    """Median and p95 (ms, rounded), or None without values."""
    if not values:
        return None
    arr = np.asarray(values, dtype=np.float64)
    return {"median": round(float(np.percentile(arr, 50)), 1), "p95": round(float(np.percentile(arr, 95)), 1)}


def side_summary(turns: list[SideTurn]) -> dict[str, Any]:
    """Voice-to-voice, how many questions were answered (and answered too early), stage medians."""
    v2v = [v for t in turns if (v := t.voice_to_voice_ms) is not None]
    stages: dict[str, Any] = {}
    for stage in sorted({s for t in turns for s in t.stages}):
        stages[stage] = percentiles([v for t in turns if (v := t.since_speech_end_ms(stage)) is not None])
    return {
        "voice_to_voice": percentiles(v2v),
        "questions": len(turns),
        "answered": sum(1 for t in turns if t.reply and t.writes),
        "premature": sum(1 for t in turns if t.premature),
        "stages_ms": stages,
        "per_question_ms": [None if (v := t.voice_to_voice_ms) is None else round(v) for t in turns],
        "sample": [{"heard": t.transcript, "reply": t.reply} for t in turns[:2]],
    }


def ratio(ours: dict[str, Any], peer: dict[str, Any]) -> dict[str, float] | None:
    """Ours over the peer's, for median and p95 (below 1: we are faster)."""
    a, b = ours.get("voice_to_voice"), peer.get("voice_to_voice")
    if not a or not b or not b["median"] or not b["p95"]:
        return None
    return {k: round(a[k] / b[k], 3) for k in ("median", "p95")}


def question_seconds(clips: list[np.ndarray]) -> float:
    return round(float(statistics.median(speech_end_seconds(c) for c in clips)), 2)
