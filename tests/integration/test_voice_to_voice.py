"""The embedded stack end to end: real synthesized speech in, real anchor speech out."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
import soxr

from studio.audio.outputs import ClockedOutput
from studio.audio.sources import paced_frames, silence
from studio.backends.registry import build_stack
from studio.config import load_settings
from studio.engine.engine import StudioEngine
from studio.engine.events import AnchorInterrupted, ReplyClauseStarted
from studio.voices.catalog import VoiceCatalog
from tests.speech import piper_speech, word_error_rate

QUESTIONS = ("What is the weather like in Paris today?", "Tell me a fun fact about the ocean.")


@pytest.fixture(scope="module")
def embedded_stack():
    settings = load_settings(stack="embedded", chat_backend="smollm2")
    loop = asyncio.new_event_loop()
    stack = loop.run_until_complete(build_stack(settings))
    yield settings, stack, loop
    loop.run_until_complete(stack.aclose())
    loop.close()


def test_run_json_answers_each_question_and_writes_audio(tmp_path):
    host = np.concatenate(
        [silence(0.5)[0], piper_speech(QUESTIONS[0]), silence(2.0)[0], piper_speech(QUESTIONS[1])]
    )
    host_path, out_path = tmp_path / "host.wav", tmp_path / "anchor.wav"
    sf.write(host_path, host, 16_000)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "studio",
            "run",
            "--input",
            str(host_path),
            "--output",
            str(out_path),
            "--stack",
            "embedded",
            "--fast",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**__import__("os").environ, "CHAT_BACKEND": "smollm2"},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["turns"]) == 2
    for turn, question in zip(report["turns"], QUESTIONS, strict=True):
        assert word_error_rate(question, turn["transcript"]) <= 0.15
        assert turn["reply"].strip() and turn["audio_seconds"] > 0.3
        latency = turn["latency_ms"]
        assert set(latency) >= {
            "turn_decided",
            "stt_final",
            "llm_first_token",
            "tts_first_chunk",
            "voice_to_voice",
        }
        assert all(latency[k] is not None for k in ("turn_decided", "stt_final", "voice_to_voice"))
    assert "demo model" in report["stack"]["chat"]
    audio, rate = sf.read(out_path, dtype="float32")
    assert rate == load_settings().SAMPLE_RATE
    total = sum(t["audio_seconds"] for t in report["turns"])
    assert len(audio) / rate == pytest.approx(total, abs=0.1)
    assert float(np.sqrt(np.mean(audio**2))) > 0.02


def test_anchor_audio_round_trips_through_whisper(embedded_stack):
    settings, stack, loop = embedded_stack
    voice = VoiceCatalog(None).get("Ava")
    output = ClockedOutput(settings.SAMPLE_RATE, keep_recording=True)

    async def scenario():
        engine = StudioEngine(settings, stack, output, voice)
        engine.submit_text("Say hello to our listeners.")
        await engine.wait_anchor_idle()
        return engine.completed[0]

    turn = loop.run_until_complete(scenario())
    audio16 = soxr.resample(output.recording(), settings.SAMPLE_RATE, 16_000).astype(np.float32)
    heard = loop.run_until_complete(stack.stt.transcribe(audio16)).text
    assert word_error_rate(turn.reply, heard) <= 0.35, (turn.reply, heard)


def test_barge_in_with_real_speech_cuts_the_anchor(embedded_stack):
    settings, stack, loop = embedded_stack
    voice = VoiceCatalog(None).get("Ava")
    output = ClockedOutput(settings.SAMPLE_RATE, keep_recording=True)

    async def scenario():
        engine = StudioEngine(settings, stack, output, voice)
        events: list = []
        engine.bus.subscribe(events.append)
        on_air = asyncio.Event()
        engine.bus.subscribe(lambda e: on_air.set() if isinstance(e, ReplyClauseStarted) else None)
        engine.submit_text("Tell me a long story about the history of radio, in detail.")
        await asyncio.wait_for(on_air.wait(), timeout=60)
        interjection = piper_speech("Sorry to interrupt, we have breaking news.")
        async for frame in paced_frames([interjection, *silence(1.5)], stack.vad.frame_samples):
            engine.process_frame(frame)
            if any(isinstance(e, AnchorInterrupted) for e in events):
                cut_at = output.played_samples()
                break
        else:
            pytest.fail("the host's speech did not interrupt the anchor")
        await engine.wait_anchor_idle()
        await engine.aclose()
        remaining = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
        return engine, cut_at, remaining

    engine, cut_at, remaining = loop.run_until_complete(scenario())
    cut_turn = next(t for t in engine.completed if t.interrupted)
    assert output.played_samples() == cut_at, "no anchor audio may play after the cut"
    assert len(cut_turn.heard) < len(cut_turn.reply)
    assistant = [m.content for m in engine.conversation.lines if m.role == "assistant"]
    assert assistant[0] == (cut_turn.heard + " —").strip()
    assert not remaining, remaining
