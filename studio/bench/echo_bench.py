"""`bench --echo`: false barge-ins from the anchor's own voice leaking into the mic, and true ones.

The anchor speaks continuously (Piper, brought to the program loudness); the mic hears it at a
given speaker-to-mic leakage after a room-ish delay with early reflections, plus a quiet room.
Every frame goes through the engine's own decision path (Silero VAD, the echo gate, the
auto-turn policy with the anchor speaking). A second pass adds host interjections over the
anchor to measure how many real barge-ins still get through, and how fast.
Threading: runs in the calling thread (CPU-bound, not real time).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import numpy as np
import soxr

from studio.audio.echo import EchoGate
from studio.audio.loudness import ProgramLoudness
from studio.backends.contracts import INPUT_SAMPLE_RATE, VoiceActivityDetector
from studio.config import Settings
from studio.engine.policies import AutoTurnPolicy
from studio.voices.profile import VoiceProfile

ANCHOR_LINES = (
    "Good evening and welcome back to the late show, where the news never sleeps.",
    "Tonight the city council voted to extend the night buses until two in the morning.",
    "Our weather team says the rain will clear by Saturday, just in time for the parade.",
    "In sports, the home team won in overtime after a remarkable comeback.",
    "Scientists have found a new species of frog in the cloud forests of Ecuador.",
    "The museum opens its new wing next week, with free entry on the first Sunday.",
    "Traffic on the ring road is moving again after this afternoon's long delays.",
    "Markets closed slightly higher today, led by technology and energy shares.",
)
HOST_LINES = (
    "Wait, sorry, can I jump in here?",
    "Hold on, what did you just say?",
    "Let me stop you right there.",
    "Actually, I have a question about that.",
)
REFRACTORY_S = 1.0
REFLECTIONS = ((0.0, 1.0), (0.007, 0.5), (0.015, 0.3), (0.023, 0.18), (0.041, 0.1))


@dataclass(frozen=True, slots=True)
class EchoScenario:
    leakage_db: float = -20.0
    delay_ms: float = 60.0
    host_dbfs: float = -26.0  # host's speech level at the mic (RMS while speaking)
    room_noise_dbfs: float = -65.0


async def _speech(texts: tuple[str, ...], settings: Settings) -> list[np.ndarray]:
    from studio.backends.piper_tts import PiperSynthesizer

    tts = PiperSynthesizer(settings)
    voice = VoiceProfile(name="Bench", anchor_name="Bench")
    clips = []
    try:
        for text in texts:
            chunks = [c async for c in tts.synthesize(text, voice)]
            audio = np.concatenate([c.samples for c in chunks])
            clips.append(soxr.resample(audio, chunks[0].sample_rate, INPUT_SAMPLE_RATE).astype(np.float32))
    finally:
        await tts.aclose()
    return clips


def program_track(clips: list[np.ndarray], seconds: float, target_lufs: float, seed: int = 1) -> np.ndarray:
    """The anchor talking for `seconds`: lines in random order, 0.2–0.8 s pauses, at the target."""
    rng = np.random.default_rng(seed)
    parts, total = [], 0
    while total < seconds * INPUT_SAMPLE_RATE:
        clip = clips[int(rng.integers(len(clips)))]
        pause = np.zeros(int(rng.uniform(0.2, 0.8) * INPUT_SAMPLE_RATE), np.float32)
        parts += [clip, pause]
        total += len(clip) + len(pause)
    track = np.concatenate(parts)[: int(seconds * INPUT_SAMPLE_RATE)]
    loudness = ProgramLoudness(INPUT_SAMPLE_RATE, target_lufs)
    block = INPUT_SAMPLE_RATE  # like TTS chunks of one second
    return np.concatenate([loudness.process(track[i : i + block]) for i in range(0, len(track), block)])


def leak(program: np.ndarray, scenario: EchoScenario, seed: int = 2) -> np.ndarray:
    """What the mic hears of the program: delayed, attenuated, a few reflections, room noise."""
    gain = 10 ** (scenario.leakage_db / 20)
    mic = np.zeros(len(program), np.float64)
    for extra, level in REFLECTIONS:
        shift = int((scenario.delay_ms / 1000 + extra) * INPUT_SAMPLE_RATE)
        mic[shift:] += gain * level * program[: len(program) - shift]
    rng = np.random.default_rng(seed)
    mic += rng.standard_normal(len(mic)) * 10 ** (scenario.room_noise_dbfs / 20)
    return mic.astype(np.float32)


def _at_level(clip: np.ndarray, dbfs: float) -> np.ndarray:
    voiced = clip[np.abs(clip) > 0.01 * np.abs(clip).max()]
    rms = float(np.sqrt(np.mean(voiced**2))) if len(voiced) else 1.0
    return clip * (10 ** (dbfs / 20) / rms)


class _Decider:
    """The engine's per-frame path for a line started while the anchor speaks."""

    def __init__(self, settings: Settings, vad: VoiceActivityDetector, gate: EchoGate | None) -> None:
        self._settings, self._vad, self._gate = settings, vad, gate
        self._policy = AutoTurnPolicy(settings, vad.frame_samples)

    def barge_in(self, mic_frame: np.ndarray, reference: np.ndarray) -> bool:
        echo = False
        if self._gate is not None:
            self._gate.push_reference(reference)
            echo = self._gate.is_echo(mic_frame)
        voiced = self._vad.speech_probability(mic_frame) >= self._settings.vad_threshold and not echo
        verdict = self._policy.on_frame(mic_frame, voiced, True)
        if verdict.start_line:
            self._policy.line_ended()  # the engine would interrupt; keep measuring
            return True
        return False


def _run(
    settings: Settings,
    vad: VoiceActivityDetector,
    gate: EchoGate | None,
    mic: np.ndarray,
    program: np.ndarray,
) -> list[int]:
    """Frame indices at which a barge-in was decided."""
    vad.reset()
    decider = _Decider(settings, vad, gate)
    size = vad.frame_samples
    refractory = int(REFRACTORY_S * INPUT_SAMPLE_RATE / size)  # one barge-in per episode
    hits: list[int] = []
    for index in range(len(mic) // size):
        span = slice(index * size, (index + 1) * size)
        if decider.barge_in(mic[span], program[span]) and (not hits or index - hits[-1] > refractory):
            hits.append(index)
    return hits


def measure(settings: Settings, minutes: float = 10.0, scenario: EchoScenario | None = None) -> dict:
    """False barge-ins per 10 min (with and without the gate) and true barge-in recall."""
    from studio.backends.silero_vad import SileroVoiceActivity

    scenario = scenario or EchoScenario()
    started = time.perf_counter()
    anchor = asyncio.run(_speech(ANCHOR_LINES, settings))
    host = asyncio.run(_speech(HOST_LINES, settings))
    program = program_track(anchor, minutes * 60, settings.program_loudness_lufs)
    mic = leak(program, scenario)
    vad = SileroVoiceActivity(settings)
    frame_s = vad.frame_samples / INPUT_SAMPLE_RATE
    per_10 = 10.0 / minutes
    gated = _run(settings, vad, EchoGate(), mic, program)
    ungated = _run(settings, vad, None, mic, program)
    # True barge-ins: the host talks over the anchor every ~15 s.
    rng = np.random.default_rng(3)
    onsets = np.arange(10.0, minutes * 60 - 5, 15.0)
    with_host = mic.copy()
    for onset in onsets:
        clip = _at_level(host[int(rng.integers(len(host)))], scenario.host_dbfs)
        start = int(onset * INPUT_SAMPLE_RATE)
        with_host[start : start + len(clip)] += clip[: len(with_host) - start]
    hits = np.asarray(_run(settings, vad, EchoGate(), with_host, program), dtype=float) * frame_s
    delays = []
    for onset in onsets:
        after = hits[(hits >= onset) & (hits < onset + 1.5)]
        if len(after):
            delays.append(float(after[0] - onset))
    stray = sum(1 for h in hits if not any(0 <= h - o < 3.0 for o in onsets))
    return {
        "program_minutes": minutes,
        "leakage_db": scenario.leakage_db,
        "delay_ms": scenario.delay_ms,
        "host_dbfs": scenario.host_dbfs,
        "false_barge_ins_per_10min": round(len(gated) * per_10, 2),
        "false_barge_ins_per_10min_without_gate": round(len(ungated) * per_10, 2),
        "true_barge_ins": len(onsets),
        "true_barge_in_recall": round(len(delays) / max(1, len(onsets)), 3),
        "barge_in_delay_ms_median": round(1000 * float(np.median(delays)), 1) if delays else None,
        "false_barge_ins_between_host_lines": stray,
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
