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
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import soxr

from studio.audio.aec import EchoCanceller
from studio.audio.echo import EchoGate
from studio.audio.io import RESIDUAL_COUPLING_DB
from studio.audio.loudness import ProgramLoudness
from studio.backends.contracts import INPUT_SAMPLE_RATE, VoiceActivityDetector
from studio.config import Settings
from studio.engine.hold import BargeInHold
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


async def _speech(texts: tuple[str, ...], settings: Settings, seed: int | None = None) -> list[np.ndarray]:
    """Piper renditions of `texts` at 16 kHz. Piper's graph draws noise: `seed` fixes the draw
    (one ONNX Runtime seed for the session made here), so each seed is one repeatable rendition."""
    if seed is not None:
        import onnxruntime

        onnxruntime.set_seed(seed)
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


_RENDITIONS: dict[int, tuple[list[np.ndarray], list[np.ndarray]]] = {}


def _renditions(
    settings: Settings, count: int, first_seed: int = 1
) -> list[tuple[list[np.ndarray], list[np.ndarray]]]:
    """`count` different (anchor lines, host lines) renditions, the same ones in every process
    (kept for the process: a seed always gives the same audio, so scenarios can share them)."""
    for seed in range(first_seed, first_seed + count):
        if seed not in _RENDITIONS:
            _RENDITIONS[seed] = (
                asyncio.run(_speech(ANCHOR_LINES, settings, seed)),
                asyncio.run(_speech(HOST_LINES, settings, seed + 10_000)),
            )
    return [_RENDITIONS[seed] for seed in range(first_seed, first_seed + count)]


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


def speech_probabilities(vad: VoiceActivityDetector, mic: np.ndarray) -> np.ndarray:
    """Silero's probability per frame (it sees every frame whatever the gate says, as in the engine)."""
    vad.reset()
    size = vad.frame_samples
    return np.array([vad.speech_probability(mic[i * size : (i + 1) * size]) for i in range(len(mic) // size)])


def barge_ins(
    settings: Settings,
    probabilities: np.ndarray,
    gate: EchoGate | None,
    mic: np.ndarray,
    program: np.ndarray,
    frame_samples: int,
    holds: list[int] | None = None,
    floors: Sequence[float | None] | None = None,
    leaks: Sequence[bool] | None = None,
) -> list[int]:
    """Frame indices at which the engine's path (echo gate, auto-turn policy) decides a barge-in.

    `holds` gets the frames where the anchor would pause for a possible barge-in (studio.engine.
    hold). `floors`: per frame, the canceller's leak level the gate guards at (`cancelled`);
    `leaks`: per frame, whether the canceller's output was the echo just then (a frame the gate
    lets through is echo then, as in studio.show.audio). Open loop: here the anchor goes on
    talking, where a real hold would stop its echo."""
    policy = AutoTurnPolicy(settings, frame_samples)
    hold = BargeInHold(settings, frame_samples)
    refractory = int(REFRACTORY_S * INPUT_SAMPLE_RATE / frame_samples)  # one barge-in per episode
    hits: list[int] = []
    for index, probability in enumerate(probabilities):
        span = slice(index * frame_samples, (index + 1) * frame_samples)
        echo = False
        if gate is not None:
            gate.push_reference(program[span])
            if floors is not None:
                gate.coupling_floor_db = floors[min(index, len(floors) - 1)]
            echo = gate.is_echo(mic[span])
            if not echo and leaks is not None:
                echo = leaks[min(index, len(leaks) - 1)]
        if hold.on_frame(float(probability), echo, not policy.in_line) and holds is not None:
            holds.append(index)
        verdict = policy.on_frame(mic[span], bool(probability >= settings.vad_threshold) and not echo, True)
        if verdict.start_line:
            policy.line_ended()  # the engine would interrupt; keep measuring
            if not hits or index - hits[-1] > refractory:
                hits.append(index)
    return hits


def cancelled(
    program: np.ndarray, mic: np.ndarray, frame_samples: int = 512
) -> tuple[np.ndarray, list[float | None], list[bool]]:
    """The mic after WebRTC AEC3 with the program as reference (paired sample for sample, as live);
    per frame, the level at which the canceller lets the program through (None: it holds it), and
    whether its output was the program's echo just then (`EchoCanceller.leaking`)."""
    canceller = EchoCanceller()
    out, floors, leaks = [], [], []
    for start in range(0, len(mic), frame_samples):
        canceller.push_reference(program[start : start + frame_samples])
        out.append(canceller.process(mic[start : start + frame_samples]))
        floors.append(canceller.residual.coupling_db)
        leaks.append(canceller.leaking())
    return np.concatenate(out), floors, leaks


def _gate_behind_canceller() -> EchoGate:
    return EchoGate(default_coupling_db=RESIDUAL_COUPLING_DB)


def _detections(hits: np.ndarray, onsets: np.ndarray) -> list[float]:
    """Per host line caught within 1.5 s, seconds from its onset to the barge-in."""
    delays = []
    for onset in onsets:
        after = hits[(hits >= onset) & (hits < onset + 1.5)]
        if len(after):
            delays.append(float(after[0] - onset))
    return delays


def measure_rendition(
    settings: Settings,
    vad: VoiceActivityDetector,
    anchor: list[np.ndarray],
    host: list[np.ndarray],
    minutes: float,
    scenario: EchoScenario,
    seed: int = 1,
) -> dict:
    """One rendition: false barge-ins (with and without the gate) and the host's true ones."""
    program = program_track(anchor, minutes * 60, settings.program_loudness_lufs, seed=seed)
    mic = leak(program, scenario, seed=seed + 1)
    size = vad.frame_samples
    frame_s = size / INPUT_SAMPLE_RATE
    voiced = speech_probabilities(vad, mic)
    false_holds: list[int] = []
    gated = barge_ins(settings, voiced, EchoGate(), mic, program, size, false_holds)
    ungated = barge_ins(settings, voiced, None, mic, program, size)
    # True barge-ins: the host talks over the anchor every ~15 s.
    rng = np.random.default_rng(seed + 2)
    onsets = np.arange(10.0, minutes * 60 - 5, 15.0)
    with_host = mic.copy()
    for onset in onsets:
        clip = _at_level(host[int(rng.integers(len(host)))], scenario.host_dbfs)
        start = int(onset * INPUT_SAMPLE_RATE)
        with_host[start : start + len(clip)] += clip[: len(with_host) - start]
    voiced = speech_probabilities(vad, with_host)
    gated_hits = barge_ins(settings, voiced, EchoGate(), with_host, program, size)
    hits = np.asarray(gated_hits, dtype=float) * frame_s
    delays = _detections(hits, onsets)
    ungated_hits = (
        np.asarray(barge_ins(settings, voiced, None, with_host, program, size), dtype=float) * frame_s
    )
    stray = sum(1 for h in hits if not any(0 <= h - o < 3.0 for o in onsets))
    # The default input path: the canceller first, the gate (starting at the residual's level) after.
    quiet_mic, quiet_floors, quiet_leaks = cancelled(program, mic, size)
    aec_holds: list[int] = []
    aec_false = barge_ins(
        settings,
        speech_probabilities(vad, quiet_mic),
        _gate_behind_canceller(),
        quiet_mic,
        program,
        size,
        aec_holds,
        quiet_floors,
        quiet_leaks,
    )
    host_mic, host_floors, host_leaks = cancelled(program, with_host, size)
    aec_hits = barge_ins(
        settings,
        speech_probabilities(vad, host_mic),
        _gate_behind_canceller(),
        host_mic,
        program,
        size,
        floors=host_floors,
        leaks=host_leaks,
    )
    return {
        "false_barge_ins_with_canceller": len(aec_false),
        "false_holds_with_canceller": len(aec_holds),
        "detected_with_canceller": len(_detections(np.asarray(aec_hits, dtype=float) * frame_s, onsets)),
        "minutes": minutes,
        "false_barge_ins": len(gated),
        "false_holds": len(false_holds),
        "false_barge_ins_without_gate": len(ungated),
        "true_barge_ins": len(onsets),
        "detected": len(delays),
        "delays_s": delays,
        "detected_without_gate": len(_detections(ungated_hits, onsets)),
        "false_barge_ins_between_host_lines": stray,
    }


def measure(
    settings: Settings,
    minutes: float = 10.0,
    scenario: EchoScenario | None = None,
    renditions: int = 4,
    first_seed: int = 1,
) -> dict:
    """False barge-ins per 10 min (with and without the gate) and true barge-in recall.

    Piper draws noise, so one rendition of the anchor's lines can be lucky: `minutes` of program
    are split over `renditions` seeded renditions (the same audio in every process), and the worst
    rendition is reported next to the totals.
    """
    from studio.backends.silero_vad import SileroVoiceActivity

    scenario = scenario or EchoScenario()
    started = time.perf_counter()
    count = max(1, renditions)
    voices = _renditions(settings, count, first_seed)
    vad = SileroVoiceActivity(settings)
    each = minutes / count
    runs = [
        measure_rendition(settings, vad, anchor, host, each, scenario, seed=first_seed + i)
        for i, (anchor, host) in enumerate(voices)
    ]
    delays = [d for run in runs for d in run["delays_s"]]
    onsets = sum(run["true_barge_ins"] for run in runs)
    per_10 = 10.0 / minutes
    return {
        "program_minutes": minutes,
        "renditions": count,
        "leakage_db": scenario.leakage_db,
        "delay_ms": scenario.delay_ms,
        "host_dbfs": scenario.host_dbfs,
        "false_barge_ins_per_10min": round(sum(r["false_barge_ins"] for r in runs) * per_10, 2),
        "false_holds_per_10min": round(sum(r["false_holds"] for r in runs) * per_10, 2),
        "with_canceller": {
            "false_barge_ins_per_10min": round(
                sum(r["false_barge_ins_with_canceller"] for r in runs) * per_10, 2
            ),
            "false_holds_per_10min": round(sum(r["false_holds_with_canceller"] for r in runs) * per_10, 2),
            "true_barge_in_recall": round(
                sum(r["detected_with_canceller"] for r in runs) / max(1, onsets), 3
            ),
        },
        "false_barge_ins_per_10min_without_gate": round(
            sum(r["false_barge_ins_without_gate"] for r in runs) * per_10, 2
        ),
        "worst_rendition_false_barge_ins_per_10min": round(
            max(r["false_barge_ins"] for r in runs) * 10.0 / each, 2
        ),
        "true_barge_ins": onsets,
        "true_barge_in_recall": round(len(delays) / max(1, onsets), 3),
        "true_barge_in_recall_without_gate": round(
            sum(r["detected_without_gate"] for r in runs) / max(1, onsets), 3
        ),
        "worst_rendition_recall": round(min(r["detected"] / max(1, r["true_barge_ins"]) for r in runs), 3),
        "barge_in_delay_ms_median": round(1000 * float(np.median(delays)), 1) if delays else None,
        "false_barge_ins_between_host_lines": sum(r["false_barge_ins_between_host_lines"] for r in runs),
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
