"""Fault injection for tests and demos: make a chosen stage fail, hang, or answer garbage at a rate.

Spec (the `faults` setting; AI_ANCHOR_FAULTS in the environment): comma-separated
`stage:kind:rate`, e.g. "chat:fail:0.3,tts:hang:0.1,stt:garbage:0.2". Stages: stt, vad, turn,
chat, tts; kinds: fail, hang, garbage (vad runs inline on every frame and cannot hang). The show
wraps its stack with the plan (studio.show.stack). A plan can be changed while the show runs
(`set_spec`, `clear`), which is how tests make a fault stop and watch the recovery.
Threading: wrappers run on the engine loop, like the backends they wrap.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from studio.backends.contracts import AudioChunk, BackendInfo, ChatMessage, ChatOptions, Transcript
from studio.backends.registry import STAGES, BackendStack
from studio.voices.profile import VoiceProfile

FaultKind = Literal["fail", "hang", "garbage"]
KINDS: tuple[FaultKind, ...] = ("fail", "hang", "garbage")


class FaultSpecError(ValueError):
    """The fault spec cannot be parsed; the message names the bad part and what is allowed."""


class InjectedFault(RuntimeError):
    """The error an injected `fail` raises."""


@dataclass(frozen=True, slots=True)
class FaultRule:
    stage: str
    kind: FaultKind
    rate: float


def parse_faults(spec: str) -> list[FaultRule]:
    """Rules from a spec string; raise FaultSpecError naming the first bad entry."""
    rules: list[FaultRule] = []
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        parts = entry.split(":")
        if len(parts) != 3:
            raise FaultSpecError(f"fault {entry!r}: expected stage:kind:rate, e.g. chat:fail:0.3")
        stage, kind, rate_text = (p.strip().lower() for p in parts)
        if stage not in STAGES:
            raise FaultSpecError(f"fault {entry!r}: unknown stage (allowed: {', '.join(STAGES)})")
        if kind not in KINDS:
            raise FaultSpecError(f"fault {entry!r}: unknown kind (allowed: {', '.join(KINDS)})")
        if stage == "vad" and kind == "hang":
            raise FaultSpecError(f"fault {entry!r}: the VAD runs inline and cannot hang; use fail or garbage")
        try:
            rate = float(rate_text)
        except ValueError:
            raise FaultSpecError(f"fault {entry!r}: rate must be a number from 0 to 1") from None
        if not 0.0 <= rate <= 1.0:
            raise FaultSpecError(f"fault {entry!r}: rate must be from 0 to 1")
        rules.append(FaultRule(stage, kind, rate))  # type: ignore[arg-type]
    return rules


class FaultPlan:
    """Which faults to inject, drawn per call from a seeded generator; counts what it injected."""

    def __init__(self, spec: str = "", seed: int = 7) -> None:
        self._rng = random.Random(seed)
        self.rules: list[FaultRule] = []
        self.injected: Counter[tuple[str, str]] = Counter()
        self.set_spec(spec)

    def set_spec(self, spec: str) -> None:
        self.rules = parse_faults(spec)

    def clear(self) -> None:
        self.rules = []

    @property
    def total(self) -> int:
        return sum(self.injected.values())

    def draw(self, stage: str) -> FaultKind | None:
        """The fault for this call of `stage`, or None (most calls)."""
        for rule in self.rules:
            if rule.stage == stage and self._rng.random() < rule.rate:
                self.injected[(stage, rule.kind)] += 1
                return rule.kind
        return None

    def after_items(self) -> int:
        """How many good items a stream yields before its fault strikes (0-2: also mid-stream)."""
        return self._rng.randint(0, 2)

    def pick(self, options: Sequence[Any]) -> Any:
        return options[self._rng.randrange(len(options))]


async def hang_forever() -> None:
    """An injected hang: waits until cancelled."""
    await asyncio.Event().wait()


class _Faulty:
    def __init__(self, inner: Any, plan: FaultPlan, stage: str) -> None:
        self.inner, self.plan, self.stage = inner, plan, stage
        if hasattr(inner, "health"):
            self.health = self._health

    @property
    def info(self) -> BackendInfo:
        return self.inner.info

    async def _health(self) -> bool:
        kind = self.plan.draw(self.stage)
        if kind == "hang":
            await hang_forever()
        return kind is None and bool(await self.inner.health())

    async def _strike(self, kind: FaultKind) -> None:
        if kind == "fail":
            raise InjectedFault(f"injected {self.stage} failure")
        await hang_forever()

    async def aclose(self) -> None:
        closer = getattr(self.inner, "aclose", None)
        if closer is not None:
            await closer()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class FaultyChat(_Faulty):
    async def stream_reply(self, messages: Sequence[ChatMessage], options: ChatOptions) -> AsyncIterator[Any]:
        kind = self.plan.draw("chat")
        strike_after = self.plan.after_items() if kind else 0
        if kind == "garbage":
            yield self.plan.pick((b"\xff\xfe\x00", None, 3.14, ["not", "text"]))
            return
        sent = 0
        async with contextlib.aclosing(self.inner.stream_reply(messages, options)) as stream:
            async for piece in stream:
                if kind and sent >= strike_after:
                    await self._strike(kind)
                yield piece
                sent += 1
        if kind:
            await self._strike(kind)


class FaultySynthesizer(_Faulty):
    def _garbage(self) -> Any:
        n = 2400
        return self.plan.pick(
            (
                AudioChunk(np.full(n, np.nan, np.float32), 24_000),
                AudioChunk(np.full(n, np.inf, np.float32), 24_000),
                AudioChunk(np.zeros(n, np.float32), 0),
                AudioChunk(np.zeros(n, np.float32), -44_100),
                "not audio",
            )
        )

    async def synthesize(self, text: str, voice: VoiceProfile) -> AsyncIterator[Any]:
        kind = self.plan.draw("tts")
        strike_after = self.plan.after_items() if kind else 0
        sent = 0
        async with contextlib.aclosing(self.inner.synthesize(text, voice)) as stream:
            async for chunk in stream:
                if kind and sent >= strike_after:
                    if kind == "garbage":
                        yield self._garbage()
                        return
                    await self._strike(kind)
                yield chunk
                sent += 1
        if kind == "garbage":
            yield self._garbage()
        elif kind:
            await self._strike(kind)


class _FaultySession:
    def __init__(self, inner: Any, owner: FaultySpeechToText) -> None:
        self._inner, self._owner = inner, owner

    def append(self, audio: np.ndarray) -> None:
        self._inner.append(audio)

    async def _answer(self, call: Any, is_final: bool) -> Any:
        kind = self._owner.plan.draw("stt")
        if kind == "garbage":
            return self._owner.plan.pick((Transcript(b"\xff\xfe", is_final), Transcript(None, is_final), 42))  # type: ignore[arg-type]
        if kind:
            await self._owner._strike(kind)
        return await call()

    async def partial(self) -> Transcript:
        return await self._answer(self._inner.partial, False)

    async def finalize(self) -> Transcript:
        return await self._answer(self._inner.finalize, True)

    async def aclose(self) -> None:
        await self._inner.aclose()


class FaultySpeechToText(_Faulty):
    def start_session(self, language: str | None = None) -> _FaultySession:
        return _FaultySession(self.inner.start_session(language), self)

    async def transcribe(self, audio: np.ndarray, language: str | None = None) -> Any:
        kind = self.plan.draw("stt")
        if kind == "garbage":
            return Transcript(None, True)  # type: ignore[arg-type]
        if kind:
            await self._strike(kind)
        return await self.inner.transcribe(audio, language)


class FaultyTurnDetector(_Faulty):
    async def completion_probability(self, audio: np.ndarray, transcript: str | None) -> Any:
        kind = self.plan.draw("turn")
        if kind == "garbage":
            return self.plan.pick((float("nan"), float("inf"), "yes"))
        if kind:
            await self._strike(kind)
        return await self.inner.completion_probability(audio, transcript)


class FaultyVoiceActivity(_Faulty):
    def __init__(self, inner: Any, plan: FaultPlan, stage: str) -> None:
        super().__init__(inner, plan, stage)
        self.frame_samples = inner.frame_samples

    def speech_probability(self, frame: np.ndarray) -> Any:
        kind = self.plan.draw("vad")
        if kind == "fail":
            raise InjectedFault("injected vad failure")
        if kind == "garbage":
            return float("nan")
        return self.inner.speech_probability(frame)

    def reset(self) -> None:
        self.inner.reset()


def inject_faults(stack: BackendStack, plan: FaultPlan) -> BackendStack:
    """`stack` with every backend wrapped so that `plan` decides when it misbehaves."""
    return BackendStack(
        preset=stack.preset,
        stt=FaultySpeechToText(stack.stt, plan, "stt"),
        vad=FaultyVoiceActivity(stack.vad, plan, "vad"),
        turn=FaultyTurnDetector(stack.turn, plan, "turn"),
        chat=FaultyChat(stack.chat, plan, "chat"),
        tts=FaultySynthesizer(stack.tts, plan, "tts"),
        problems=stack.problems,
    )
