"""`ai-anchor-studio bench`: voice-to-voice latency, per-stage figures, engine overhead, memory, start.

Host questions are synthesized with the stack's own TTS, then replayed in real time as the mic,
one polite question after another. A second pass swaps every model but the VAD for backends of
fixed, known delay, so the engine's own overhead is measured apart from model speed. Both passes
run the show as every face does (studio.show), over one stack loaded once.
Threading: one asyncio loop in the main thread; backends use their own workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import statistics
import time
from dataclasses import asdict, dataclass

import numpy as np
import psutil
import soxr

from studio.audio.outputs import InstantOutput
from studio.audio.sources import paced_frames, silence
from studio.backends.contracts import INPUT_SAMPLE_RATE
from studio.backends.registry import BackendStack, build_stack
from studio.bench.fixed_delay import (
    Delays,
    FixedDelayChat,
    FixedDelaySpeechToText,
    FixedDelaySynthesizer,
    FixedDelayTurnDetector,
)
from studio.config import Settings
from studio.engine.clauses import ClauseSplitter
from studio.engine.events import TurnCompleted
from studio.show import Show
from studio.voices.catalog import VoiceCatalog
from studio.voices.profile import VoiceProfile

QUESTIONS = (  # about three seconds each when spoken, like a host's question on air
    "What do you think is the biggest story of the day for our listeners?",
    "How is the weather looking for the weekend here in the city?",
    "Can you tell our audience something surprising about the moon?",
    "What should people cook tonight if they only have twenty minutes?",
    "Who do you think will win the big game on Sunday afternoon?",
    "Why do you think cats like to sit in cardboard boxes so much?",
    "What kind of music would you play to start a rainy morning?",
    "How long does it take to fly from London to Paris these days?",
    "Do you think it will rain tomorrow during the big street parade?",
    "What is a good book for our listeners to read this winter?",
    "How do bees turn the nectar from flowers into sweet honey?",
    "What time does the farmers market open on Saturday morning?",
)
FIXED_REPLY = "Thanks for asking, that is a great question. Here is what we know so far tonight."
STAGES = ("turn_decided", "stt_final", "llm_first_token", "first_clause", "tts_first_chunk", "voice_to_voice")


@dataclass(frozen=True, slots=True)
class Percentiles:
    median: float
    p95: float
    p99: float

    @classmethod
    def of(cls, values: list[float]) -> Percentiles | None:
        if not values:
            return None
        arr = np.asarray(values, dtype=np.float64)
        return cls(*(round(float(np.percentile(arr, q)), 2) for q in (50, 95, 99)))


async def synthesize_questions(stack: BackendStack, voice: VoiceProfile, count: int) -> list[np.ndarray]:
    """Host questions as 16 kHz audio, spoken by the stack's synthesizer."""
    clips = []
    for index in range(count):
        parts = [chunk async for chunk in stack.tts.synthesize(QUESTIONS[index % len(QUESTIONS)], voice)]
        audio = np.concatenate([c.samples for c in parts])
        clips.append(soxr.resample(audio, parts[0].sample_rate, INPUT_SAMPLE_RATE).astype(np.float32))
    return clips


async def replay_questions(
    settings: Settings, stack: BackendStack, voice: VoiceProfile, clips: list[np.ndarray]
) -> list[TurnCompleted]:
    """Play each question in real time, wait for the anchor, go on; return the finished turns."""
    settings = settings.model_copy(update={"turn_mode": "auto"})
    show = Show(settings, voice, stack=stack, output=InstantOutput(settings.SAMPLE_RATE))
    completed: list[TurnCompleted] = []
    show.subscribe(lambda event: completed.append(event) if isinstance(event, TurnCompleted) else None)
    trailing = (settings.turn_max_silence_ms + 400) / 1000.0
    async with show:
        for clip in clips:
            await show.wait_anchor_idle()
            async for frame in paced_frames(
                [*silence(0.3), clip, *silence(trailing)], stack.vad.frame_samples
            ):
                show.hear(frame)
        await show.wait_anchor_idle()
    return [turn for turn in completed if not turn.interrupted]


def summarize(turns: list[TurnCompleted]) -> dict[str, object]:
    """Median/p95/p99 of each stage and of the engine's overhead."""
    out: dict[str, object] = {"turns": len(turns)}
    for stage in (*STAGES, "engine_overhead"):
        values = [t.latency_ms[stage] for t in turns if t.latency_ms.get(stage) is not None]
        out[stage] = asdict(Percentiles.of(values)) if values else None  # type: ignore[arg-type]
    return out


def fixed_delay_stack(real: BackendStack, delays: Delays) -> BackendStack:
    """The real VAD with every model replaced by a backend of known delay.

    Its STT keeps a final over unchanged audio, as the embedded Whisper session does (and Voxtral's),
    and its text changes with the speech it heard, as theirs does.
    """
    return BackendStack(
        preset="fixed-delay",
        stt=FixedDelaySpeechToText(delay=delays.stt, keeps_final=True, counts_speech=True),
        vad=real.vad,
        turn=FixedDelayTurnDetector(delay=delays.turn),
        chat=FixedDelayChat(FIXED_REPLY, first=delays.llm_first_token, per_token=delays.llm_token),
        tts=FixedDelaySynthesizer(first=delays.tts_first_chunk, chunk_seconds=delays.tts_chunk_seconds),
    )


def residual_overhead_ms(turns: list[TurnCompleted], delays: Delays) -> Percentiles | None:
    """Speech-out minus STT-final minus the known chat+TTS delays: what the engine itself added."""
    splitter = ClauseSplitter()
    words = FIXED_REPLY.split(" ")
    tokens_to_first_clause = next(
        (i + 1 for i, word in enumerate(words) if splitter.feed((" " if i else "") + word)),
        len(words),
    )
    known = delays.llm_first_token + (tokens_to_first_clause - 1) * delays.llm_token + delays.tts_first_chunk
    values = []
    for turn in turns:
        v2v, stt = turn.latency_ms.get("voice_to_voice"), turn.latency_ms.get("stt_final")
        if v2v is not None and stt is not None:
            values.append(max(0.0, v2v - stt - known * 1000.0))
    return Percentiles.of(values)


async def run_bench(settings: Settings, turns: int) -> dict[str, object]:
    """Everything `bench` reports, as one JSON-able dict."""
    started = psutil.Process().create_time()
    load_begin = time.perf_counter()
    stack = await build_stack(settings)
    load_seconds = time.perf_counter() - load_begin
    ready_after_start = time.time() - started
    voice = VoiceCatalog(None).get(settings.voice)
    try:
        clips = await synthesize_questions(stack, voice, turns)
        real_turns = await replay_questions(settings, stack, voice, clips)
        rss_mb = psutil.Process().memory_info().rss / 2**20
        delays = Delays()
        fixed_turns = await replay_questions(settings, fixed_delay_stack(stack, delays), voice, clips)
    finally:
        await stack.aclose()
    return {
        "stack": stack.describe(),
        "question_seconds": round(float(statistics.median(len(c) / INPUT_SAMPLE_RATE for c in clips)), 2),
        "ready_seconds": {
            "process_start_to_ready": round(ready_after_start, 2),
            "stack_load": round(load_seconds, 2),
        },
        "memory_mb": {
            "rss_after_turns": round(rss_mb, 1),
            "peak_rss": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        },
        "latency_ms": summarize(real_turns),
        "sample_turns": [{"transcript": t.transcript, "reply": t.reply} for t in real_turns[:3]],
        "fixed_delay": {
            "delays_ms": {k: round(v * 1000, 1) for k, v in asdict(delays).items()},
            "latency_ms": summarize(fixed_turns),
            "residual_overhead_ms": (asdict(r) if (r := residual_overhead_ms(fixed_turns, delays)) else None),
        },
    }


def _format(result: dict[str, object]) -> str:
    lines = [f"stack: {result['stack']}", f"questions: median {result['question_seconds']} s"]
    lines.append(f"ready: {result['ready_seconds']}  memory: {result['memory_mb']}")
    for title, block in (
        ("models", result["latency_ms"]),
        ("fixed-delay", result["fixed_delay"]["latency_ms"]),
    ):
        lines.append(f"-- {title}: {block['turns']} turns, ms from host speech end (median / p95 / p99)")
        for stage in (*STAGES, "engine_overhead"):
            figures = block.get(stage)
            if figures:
                lines.append(
                    f"   {stage:<16} {figures['median']:>8.1f} {figures['p95']:>8.1f} {figures['p99']:>8.1f}"
                )
    lines.append(f"-- fixed-delay residual overhead: {result['fixed_delay']['residual_overhead_ms']}")
    return "\n".join(lines)


def execute_bench(settings: Settings, turns: int, as_json: bool) -> int:
    """CLI entry for `bench`."""
    with contextlib.suppress(KeyboardInterrupt):
        result = asyncio.run(run_bench(settings, turns))
        print(json.dumps(result) if as_json else _format(result))
        return 0
    return 130
