"""`bench --gpu-sim`: the GPU stack's voice-to-voice latency simulated on any machine.

Every model stage is a fixed-delay backend set to a published figure for its model on a
4090 / RTX 6000-class card (the sources, and what is derived from them, are in GPU_SOURCES and
the README's "Simulated GPU voice-to-voice"); the VAD is the real Silero model and the host's
questions are real speech (Piper), replayed in real time through the show like every bench.
The chat server's prompt cache is modelled (studio.bench.prompt_cache): the first request prefills
the whole persona, later ones only what the cache does not hold, as Ollama's runner does.
What comes out is the studio's own latency on top of those model costs; the goal is a median
voice-to-voice of at most 700 ms.
Threading: one asyncio loop in the main thread (the show's); the VAD runs inline on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import asdict

import numpy as np

from studio.backends.registry import BackendStack, create_backend
from studio.bench.fixed_delay import (
    Delays,
    FixedDelaySpeechToText,
    FixedDelaySynthesizer,
    FixedDelayTurnDetector,
)
from studio.bench.peer_bench import SideTurn, StudioSide
from studio.bench.prompt_cache import PrefillModel, PromptCachedChat
from studio.bench.runner import FIXED_REPLY, STAGES, Percentiles, synthesize_questions
from studio.config import Settings
from studio.voices.catalog import VoiceCatalog
from studio.voices.profile import VoiceProfile

GOAL_MS = 700.0
#: Per-model figures (seconds); see GPU_SOURCES for where each comes from.
GPU_PUBLISHED = Delays(
    stt=0.25,  # Voxtral-Mini-3B on vLLM, whole ~3 s utterance, bf16
    turn=0.01,  # DistilBERT (66M) sentence-completion, one 128-token pass on the GPU
    llm_first_token=0.25,  # Mistral-Small-24B Q4_K_M on Ollama: a cold ~700-token prompt + first step
    llm_token=1 / 85,  # ... then 85 tokens/s decode
    tts_first_chunk=0.15,  # higgs-audio v2: prompt prefill + 15 steps (8 frames + 7 delay) + first decode
    tts_chunk_seconds=1.0,  # the host decodes 25 frames (1 s of audio) per later chunk
)
#: Mistral-Small-24B Q4_K_M on a 4090: what a request costs before its first token (GPU_SOURCES).
GPU_PREFILL = PrefillModel(prefill_tokens_per_s=3300.0, decode_s=1 / 85, overhead_s=0.02)
GPU_SOURCES = {
    "stt": "Voxtral-Mini-3B-2507 (mistralai model card: Whisper-large-v3 encoder + Ministral-3B decoder, "
    "~9.5 GB bf16); decoding ~15 tokens for 3 s of speech at the memory-bandwidth bound of a 960 GB/s "
    "RTX 6000 Ada (~100 tokens/s) ≈ 150 ms, plus encoder and 375-token audio prefill ≈ 100 ms (derived)",
    "turn": "DistilBERT-base 66M parameters (KoljaB/SentenceFinishedClassification): one forward pass "
    "of ≤128 tokens takes a few ms on any CUDA card (derived)",
    "llm_first_token": "llama.cpp PR #7676 (ggml-org/llama.cpp): RTX 4090 prompt processing ~10,000 t/s "
    "for an 8B Q4 model, ~3,300 t/s scaled to 24B; a ~700-token prompt (persona + 8 turns) ≈ 210 ms, "
    "+ one decode step (derived from the published figure). Later turns: Ollama's runner reuses the KV "
    "cache of the longest common token prefix (ollama runner/ollamarunner/cache.go, LoadCacheSlot → "
    "countCommonPrefix), so only the tokens after it are prefilled at that rate; 20 ms for HTTP, "
    "templating and scheduling (assumed)",
    "llm_token": "gigagpu.com 'RTX 4090 24GB for Mistral Small 3 (24B)': 85 t/s decode (INT4); "
    "Mistral's own announcement (mistral.ai/news/mistral-small-3) states 150 tokens/s on its hardware",
    "tts_first_chunk": "boson-ai/higgs-audio README: ~600 audio tokens/s (one 25 Hz frame per token) "
    "on an RTX 4090, so the first 8 frames + 7 delay steps take 25 ms; reference prompt prefill "
    "≈ 100 ms and the first codec decode ≈ 25 ms (derived); users report RTF 0.27 on an RTX 4080S",
}


def gpu_sim_stack(vad: object, delays: Delays = GPU_PUBLISHED) -> BackendStack:
    """The real VAD, every model stage a fixed-delay backend at `delays`."""
    return BackendStack(
        preset="gpu-sim",
        # Keeps its final and reads the speech it heard, as the Voxtral client does.
        stt=FixedDelaySpeechToText(delay=delays.stt, keeps_final=True, counts_speech=True),
        vad=vad,  # type: ignore[arg-type]
        turn=FixedDelayTurnDetector(delay=delays.turn),
        chat=PromptCachedChat(FIXED_REPLY, GPU_PREFILL, per_token=delays.llm_token),
        tts=FixedDelaySynthesizer(first=delays.tts_first_chunk, chunk_seconds=delays.tts_chunk_seconds),
    )


async def run_gpu_sim(settings: Settings, turns: int) -> dict[str, object]:
    """Replay `turns` spoken questions through the simulated GPU stack; the JSON-able result."""
    vad = await asyncio.to_thread(create_backend, "vad", "silero", settings)
    piper = await asyncio.to_thread(create_backend, "tts", "piper", settings)
    voice = VoiceCatalog(None).get(settings.voice)
    speaker = gpu_sim_stack(vad)
    speaker.tts = piper  # the host's questions are real speech
    try:
        clips = await synthesize_questions(speaker, voice, turns)
        stack = gpu_sim_stack(vad)
        asked = await ask_each(settings, stack, voice, clips)
    finally:
        await piper.aclose()
    latency = summarize_from_speech_end(asked)
    v2v = latency.get("voice_to_voice")
    median = v2v["median"] if isinstance(v2v, dict) else None
    return {
        "delays_ms": {
            k: round(v * 1000, 1) for k, v in asdict(GPU_PUBLISHED).items() if k != "llm_first_token"
        },
        "llm_prefill": _prefill_report(stack.chat),  # type: ignore[arg-type]
        "sources": GPU_SOURCES,
        "latency_ms": latency,
        "voice_to_voice_median_ms": median,
        "goal_ms": GOAL_MS,
        "meets_goal": median is not None and median <= GOAL_MS,
    }


async def ask_each(
    settings: Settings, stack: BackendStack, voice: VoiceProfile, clips: list[np.ndarray]
) -> list[SideTurn]:
    """Each question through the show, timed from its last spoken sample on the mic's schedule.

    Not from the engine's own mark (the last frame Silero calls speech, ~100 ms later): a reply
    begun where the voice fades starts before that mark, and would look faster than it is.
    """
    side = StudioSide("gpu-sim", settings, voice, stack)
    await side.start()
    try:
        return [await side.ask(clip) for clip in clips]
    finally:
        await side.aclose()


def summarize_from_speech_end(turns: list[SideTurn]) -> dict[str, object]:
    """Median/p95/p99 of each stage, ms from the question's last spoken sample, over the turns
    answered after the host finished (one that aired sooner has no voice-to-voice to report)."""
    answered = [t for t in turns if t.voice_to_voice_ms is not None]
    out: dict[str, object] = {"turns": len(answered)}
    for stage in STAGES:
        timed = (
            t.voice_to_voice_ms if stage == "voice_to_voice" else t.since_speech_end_ms(stage)
            for t in answered
        )
        figures = Percentiles.of([v for v in timed if v is not None])
        out[stage] = asdict(figures) if figures is not None else None
    return out


def _prefill_report(chat: PromptCachedChat) -> dict[str, object]:
    """The prompt-cache model and what each chat request prefilled and waited for its first token."""
    return {
        **asdict(GPU_PREFILL),
        "prefilled_tokens": chat.prefilled_tokens,
        "first_token_ms": [round(seconds * 1000, 1) for seconds in chat.first_token_s],
    }


def _format(result: dict[str, object]) -> str:
    latency = result["latency_ms"]
    assert isinstance(latency, dict)
    prefill = result["llm_prefill"]
    assert isinstance(prefill, dict)
    lines = [f"simulated GPU stack, model delays (ms): {result['delays_ms']}"]
    lines.append(f"chat first token per request (ms, prompt cache): {prefill['first_token_ms']}")
    lines.append(f"{latency['turns']} turns, ms from each question's last spoken sample (median / p95 / p99)")
    for stage, figures in latency.items():
        if isinstance(figures, dict):
            lines.append(
                f"   {stage:<16} {figures['median']:>8.1f} {figures['p95']:>8.1f} {figures['p99']:>8.1f}"
            )
    verdict = "meets" if result["meets_goal"] else "misses"
    lines.append(
        f"voice-to-voice median {result['voice_to_voice_median_ms']} ms: {verdict} the {GOAL_MS:.0f} ms goal"
    )
    return "\n".join(lines)


def execute_gpu_sim(settings: Settings, turns: int, as_json: bool) -> int:
    """CLI entry for `bench --gpu-sim`."""
    with contextlib.suppress(KeyboardInterrupt):
        result = asyncio.run(run_gpu_sim(settings, turns))
        print(json.dumps(result) if as_json else _format(result))
        return 0
    return 130
