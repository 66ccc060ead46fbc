"""`bench --gpu-sim`: the GPU stack's voice-to-voice on fixed delays set to published figures."""

from __future__ import annotations

import json

from studio.bench.gpu_sim import GPU_PREFILL, GPU_PUBLISHED, GPU_SOURCES, summarize_from_speech_end
from studio.bench.peer_bench import SideTurn
from studio.cli import main


def test_gpu_sim_replays_spoken_questions_and_reports_against_the_goal(capsys):
    assert main(["bench", "--gpu-sim", "--turns", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    latency = result["latency_ms"]
    assert latency["turns"] == 2 and result["goal_ms"] == 700.0
    first_tokens = result["llm_prefill"]["first_token_ms"]
    assert first_tokens and min(first_tokens) >= (GPU_PREFILL.overhead_s + GPU_PREFILL.decode_s) * 1000
    on_the_path = (GPU_PUBLISHED.stt + GPU_PUBLISHED.tts_first_chunk) * 1000 + min(first_tokens)
    assert result["voice_to_voice_median_ms"] >= on_the_path  # no stage was skipped
    assert result["meets_goal"] == (result["voice_to_voice_median_ms"] <= 700.0)
    assert set(GPU_SOURCES) == {"stt", "turn", "llm_first_token", "llm_token", "tts_first_chunk"}


def test_stages_are_timed_from_the_question_s_last_spoken_sample():
    """Not from the engine's own mark (Silero's last speech frame, later): a reply begun at the
    fade would otherwise look faster than it is."""
    turns = [
        SideTurn(10.0, [10.6], "q", "a", {"turn_decided": 10.3, "stt_final": 10.35}),
        SideTurn(20.0, [20.5], "q", "a", {"turn_decided": 20.2, "stt_final": 20.25}),
        SideTurn(30.0, [29.9], "q", "a", {"turn_decided": 29.95}),  # aired before the host finished
    ]
    latency = summarize_from_speech_end(turns)
    assert latency["turns"] == 2  # the premature answer is not a voice-to-voice figure
    assert latency["voice_to_voice"]["median"] == 550.0
    assert latency["turn_decided"]["median"] == 250.0  # 300 and 200 ms: the premature one is left out
    assert latency["llm_first_token"] is None
