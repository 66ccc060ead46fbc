"""`bench --peer pipecat`: the run, its JSON report and its text form.

Imported only by the bench command (it imports pipecat, which is heavy and logs a lot).
Threading: `execute_peer_bench` runs one asyncio loop in the main thread (studio.bench.peer_bench).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from dataclasses import asdict
from typing import Any

import numpy as np

from studio.backends.contracts import ChatOptions
from studio.backends.registry import BackendStack, backend_names, build_stack, create_backend
from studio.bench.fixed_delay import Delays, FixedDelayChat, FixedDelaySpeechToText, FixedDelayTurnDetector
from studio.bench.peer_bench import (
    PipecatSide,
    Side,
    StudioSide,
    question_seconds,
    ratio,
    side_summary,
    take_turns,
)
from studio.bench.runner import FIXED_REPLY, fixed_delay_stack, synthesize_questions
from studio.config import Settings
from studio.voices.catalog import VoiceCatalog
from studio.voices.profile import VoiceProfile

WARMUP_QUESTIONS = 1  # each side answers one question unmeasured first (first-call costs)


def quiet_pipecat_logs() -> None:
    """Pipecat logs every frame decision at DEBUG through loguru; warnings only (less work for it)."""
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="WARNING")


def chat_request(settings: Settings, voice: VoiceProfile) -> Any:
    """The persona, history bounds and options our engine sends with every reply."""
    from studio.bench.peer_pipecat import ChatRequest

    extra = settings.persona_prompt.strip()
    persona = f"{voice.system_prompt()}\n\n{extra}" if extra else voice.system_prompt()
    options = ChatOptions(
        max_tokens=settings.max_reply_tokens,
        temperature=voice.synthesis.temperature,
        seed=voice.synthesis.seed,
        language=voice.language,
    )
    return ChatRequest(persona, (settings.history_turns, settings.history_max_chars), options)


async def run_sides(sides: list[Side], clips: list[np.ndarray], warmup: int) -> dict[str, Any]:
    """Start every side, let them take turns on `clips`, close them; a summary per side."""
    started: list[Side] = []
    try:
        for side in sides:
            await side.start()
            started.append(side)
        results = await take_turns(sides, clips, warmup)
    finally:
        for side in reversed(started):
            await side.aclose()
    return {name: side_summary(turns) for name, turns in results.items()}


#: Our show as it was before the critical-path work (`--before`): no speculative reply, a first
#: clause of up to six words, the chat model not stepping aside for the first clause.
BEFORE = {"speculative_reply": False, "first_clause_max_words": 6, "first_clause_priority": False}


def studio_sides(settings: Settings, voice: VoiceProfile, stacks: dict[str, BackendStack]) -> list[Side]:
    """Our show on each stack: "studio" as configured, "studio_before" with BEFORE applied."""
    return [
        StudioSide(
            name, settings.model_copy(update=BEFORE) if name == "studio_before" else settings, voice, stack
        )
        for name, stack in stacks.items()
    ]


async def real_pass(
    settings: Settings, voice: VoiceProfile, stacks: dict[str, BackendStack], clips: list[np.ndarray]
) -> dict:
    """Our show(s) and the pipecat pipeline on the real models (one warm-up question each)."""
    from studio.bench.peer_pipecat import PipecatPeer, real_parts

    # Its own instance of the same chat model: a reply one side leaves running never delays the other.
    chat = await asyncio.to_thread(
        create_backend, "chat", backend_names(settings, "embedded")["chat"], settings
    )
    try:
        peer = PipecatPeer(real_parts(chat, chat_request(settings, voice)))
        sides = [*studio_sides(settings, voice, stacks), PipecatSide("pipecat", peer)]
        return await run_sides(sides, clips[:WARMUP_QUESTIONS] + clips, WARMUP_QUESTIONS)
    finally:
        await chat.aclose()


async def fixed_pass(
    settings: Settings,
    voice: VoiceProfile,
    stacks: dict[str, BackendStack],
    clips: list[np.ndarray],
    delays: Delays,
) -> dict:
    """All on the fixed-delay backends (each its own instances; Silero VAD stays real on every side)."""
    from studio.bench.peer_pipecat import PipecatPeer, fixed_parts

    fixed = {name: fixed_delay_stack(stack, delays) for name, stack in stacks.items()}
    peer = PipecatPeer(
        fixed_parts(fixed_delay_stack(stacks["studio"], delays), voice, chat_request(settings, voice))
    )
    return await run_sides([*studio_sides(settings, voice, fixed), PipecatSide("pipecat", peer)], clips, 0)


async def question_stack(settings: Settings) -> BackendStack:
    """Silero VAD and Piper (which speaks the questions), everything else fixed-delay: loads in a second."""
    vad, tts = await asyncio.gather(
        asyncio.to_thread(create_backend, "vad", "silero", settings),
        asyncio.to_thread(create_backend, "tts", "piper", settings),
    )
    chat = FixedDelayChat(FIXED_REPLY)
    return BackendStack("fixed-delay", FixedDelaySpeechToText(), vad, FixedDelayTurnDetector(), chat, tts)


def pass_report(block: dict[str, Any]) -> dict[str, Any]:
    """One pass's sides and ratios (studio/pipecat; studio/studio_before when that side ran)."""
    report = {name: block[name] for name in block}
    report["ratio"] = ratio(block["studio"], block["pipecat"])
    if "studio_before" in block:
        report["before_ratio"] = ratio(block["studio"], block["studio_before"])
    return report


async def run_peer_bench(
    settings: Settings, turns: int, fixed_delay_only: bool = False, before: bool = False
) -> dict[str, Any]:
    """Everything `bench --peer pipecat` reports, as one JSON-able dict.

    `fixed_delay_only`: skip the models; the top-level figures are then the fixed-delay ones.
    `before`: also our show with BEFORE applied, on a stack of its own ("studio_before").
    """
    quiet_pipecat_logs()
    settings = settings.model_copy(update={"stack": "embedded"})  # the stack pipecat's services mirror
    load = question_stack if fixed_delay_only else build_stack
    stacks = {"studio": await load(settings)}
    voice = VoiceCatalog(None).get(settings.voice)
    delays = Delays()
    try:
        if before:
            stacks["studio_before"] = await load(settings)
        clips = await synthesize_questions(stacks["studio"], voice, turns)
        real = None if fixed_delay_only else pass_report(await real_pass(settings, voice, stacks, clips))
        fixed = pass_report(await fixed_pass(settings, voice, stacks, clips, delays))
    finally:
        for stack in stacks.values():
            await stack.aclose()
    top = real or fixed
    return {
        "models": "fixed-delay" if fixed_delay_only else "embedded",
        "stack": stacks["studio"].describe(),
        "question_seconds": question_seconds(clips),
        **top,
        "overhead_ratio": fixed["ratio"]["median"] if fixed["ratio"] else None,
        "fixed_delay": {"delays_ms": {k: round(v * 1000, 1) for k, v in asdict(delays).items()}, **fixed},
    }


def format_report(result: dict[str, Any]) -> str:
    """The report as a few lines of text."""
    lines = [f"stack: {result['stack']}", f"questions: median {result['question_seconds']} s of speech"]
    blocks = [("fixed-delay", result["fixed_delay"])]
    if result["models"] != "fixed-delay":
        blocks.insert(0, ("models", result))
    for title, block in blocks:
        lines.append(f"-- {title}: voice-to-voice ms (median / p95), answered / premature of questions")
        for name in [n for n in ("studio", "studio_before", "pipecat") if n in block]:
            side = block[name]
            v2v = side["voice_to_voice"] or {"median": float("nan"), "p95": float("nan")}
            lines.append(
                f"   {name:<8} {v2v['median']:>8.1f} {v2v['p95']:>8.1f}   "
                f"{side['answered']}/{side['questions']} answered, {side['premature']} premature"
            )
            for stage, figures in side["stages_ms"].items():
                if figures:
                    lines.append(f"      {stage:<16} {figures['median']:>8.1f} {figures['p95']:>8.1f}")
        lines.append(f"   ratio studio/pipecat: {block['ratio']}")
        if "before_ratio" in block:
            lines.append(f"   ratio studio/studio_before: {block['before_ratio']}")
    lines.append(f"-- overhead ratio (fixed-delay median): {result['overhead_ratio']}")
    return "\n".join(lines)


def execute_peer_bench(
    settings: Settings, turns: int, as_json: bool, fixed_delay_only: bool = False, before: bool = False
) -> int:
    """CLI entry for `bench --peer pipecat`."""
    with contextlib.suppress(KeyboardInterrupt):
        result = asyncio.run(run_peer_bench(settings, turns, fixed_delay_only, before))
        print(json.dumps(result) if as_json else format_report(result))
        return 0
    return 130
