"""Smart Turn v3.2: Whisper-style features, and complete questions outscore lines cut mid-word.

Measured with deterministic Piper speech + 0.2 s of silence (the pause after which the engine
asks): complete questions 0.96-0.99; the same audio cut inside a loud syllable at 40/55/70 % of
its length 0.02-0.98 (mean ~0.47). Single cuts are often called complete (hence the engine's
silence timeout), so the test compares the two groups, not single pairs.
"""

from __future__ import annotations

import asyncio

import numpy as np

from studio.backends.contracts import EndOfTurnDetector
from tests.speech import piper_speech, silence

QUESTIONS = (
    "What do you think about the election results tonight?",
    "Tell me about the weather in Paris this weekend.",
    "Can you explain how the new tax rules affect small businesses?",
    "How long have you been working on this story?",
    "Could you tell us what happened at the stadium yesterday?",
    "Where were you when the news broke this morning?",
)
PAUSE = silence(0.2)


def cut_mid_word(audio: np.ndarray, fraction: float) -> np.ndarray:
    """The audio up to the loudest 20 ms near `fraction` of its length: inside a syllable."""
    hop, centre = 320, int(len(audio) * fraction)
    starts = range(centre - 1600, centre + 1600, hop)
    loudness = [float(np.sqrt(np.mean(audio[start : start + hop] ** 2))) for start in starts]
    return audio[: starts[int(np.argmax(loudness))] + hop // 2]


def probabilities(detector, clips: list[np.ndarray]) -> list[float]:
    async def judge() -> list[float]:
        return [await detector.completion_probability(clip, None) for clip in clips]

    return asyncio.run(judge())


def test_is_an_end_of_turn_detector(smart_turn) -> None:
    assert isinstance(smart_turn, EndOfTurnDetector)


def test_features_are_whisper_log_mels_of_the_last_eight_seconds(smart_turn) -> None:
    line = piper_speech(QUESTIONS[0])
    features = smart_turn.features(line)
    assert features.shape == (1, 80, 800) and features.dtype == np.float32
    top = features.max()
    assert features.min() >= top - 2.0 - 1e-6  # log10 clamped to max - 8, then scaled by 1/4
    speech_frames = len(line) // 160
    padding = features[0, :, : 800 - speech_frames - 2]
    assert np.ptp(padding, axis=1).max() < 1e-5  # padding in front: constant over time
    assert np.ptp(features[0, :, -speech_frames:]) > 1.0
    long = np.concatenate([piper_speech(QUESTIONS[1]), silence(4.0), line])  # > 8 s in all
    assert np.allclose(smart_turn.features(long), smart_turn.features(long[-8 * 16000 :]))


def test_complete_questions_outscore_the_same_lines_cut_mid_word(smart_turn) -> None:
    lines = [piper_speech(text) for text in QUESTIONS]
    complete = probabilities(smart_turn, [np.concatenate([line, PAUSE]) for line in lines])
    cut = probabilities(
        smart_turn,
        [
            np.concatenate([cut_mid_word(line, fraction), PAUSE])
            for line in lines
            for fraction in (0.4, 0.55, 0.7)
        ],
    )
    assert min(complete) > 0.9, complete
    assert np.mean(complete) - np.mean(cut) > 0.3, (complete, cut)
    assert np.mean(np.array(cut) < 0.5) >= 0.3, cut  # many cuts are recognised as unfinished


def test_too_little_audio_is_not_a_turn(smart_turn) -> None:
    assert probabilities(smart_turn, [silence(0.05)]) == [0.0]
