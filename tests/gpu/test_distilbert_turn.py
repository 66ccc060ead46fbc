"""DistilBERT end-of-turn detector with a tiny random model built and saved locally."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from studio.backends.distilbert_turn import (
    DistilBertTurnDetector,
    create_turn_detector,
    dynamic_pause,
    pause_covered,
    punctuation_pause,
)
from studio.config import load_settings
from tests.gpu.tiny_distilbert import save_tiny_distilbert


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return save_tiny_distilbert(tmp_path_factory.mktemp("distilbert"))


def test_pause_arithmetic_follows_punctuation_and_completion():
    assert punctuation_pause("we went there...") == 2.3
    assert punctuation_pause('He said "stop."') == 0.39
    assert punctuation_pause("and then") == 1.25
    assert dynamic_pause("That's all.", 1.0) == pytest.approx(0.65 * 0.39)
    assert dynamic_pause("and then", 0.0) == pytest.approx(0.65 * 1.25 + 0.35 * 1.0)
    assert dynamic_pause("and then", 0.0, speed=2.0) == pytest.approx(2 * (0.65 * 1.25 + 0.35))
    assert pause_covered(0.2, 0.4) == 0.5 and pause_covered(1.0, 0.4) == 1.0


def test_tiny_model_scores_text_and_maps_it_to_a_pause(tiny_model):
    settings = load_settings(TURN_MODEL_PATH=str(tiny_model), turn_min_silence_ms=200)

    class Audio:
        async def completion_probability(self, audio, transcript):
            return 0.42

    detector = DistilBertTurnDetector(settings, audio_fallback=Audio())

    async def go():
        try:
            done = await detector.completion_probability(np.zeros(1600, np.float32), "that's all.")
            open_ended = await detector.completion_probability(np.zeros(1600, np.float32), "and then we")
            no_text = await detector.completion_probability(np.zeros(1600, np.float32), None)
            return done, open_ended, no_text
        finally:
            await detector.aclose()

    p_done = detector.complete_probability_blocking("that's all.")
    p_open = detector.complete_probability_blocking("and then we")
    done, open_ended, no_text = asyncio.run(go())
    assert 0.0 < p_done < 1.0 and 0.0 < p_open < 1.0
    assert done == pytest.approx(pause_covered(0.2, dynamic_pause("that's all.", p_done)))
    assert open_ended == pytest.approx(pause_covered(0.2, dynamic_pause("and then we", p_open)))
    assert done > open_ended  # a sentence end allows a shorter pause than a dangling clause
    assert no_text == 0.42  # nothing to read yet: the audio model answers


def test_factory_falls_back_to_smart_turn_and_names_a_bad_path(tmp_path):
    detector = create_turn_detector(load_settings())
    assert detector.info.name.startswith("Smart Turn")
    with pytest.raises(OSError, match=r"TURN_MODEL_PATH .* holds no model"):
        create_turn_detector(load_settings(TURN_MODEL_PATH=str(tmp_path)))
