"""scripts/gpu_smoke.sh without a GPU says so (exit 2); its report puts stage latency and each model
server's NVML memory next to the plan. (On CPU with stand-in servers and a fake nvidia-smi the
whole script was dry-run by hand; a real run needs the studio's GPU machine.)"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def smoke():
    spec = importlib.util.spec_from_file_location("gpu_smoke", ROOT / "scripts" / "gpu_smoke.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="this machine has nvidia-smi")
def test_without_a_gpu_the_script_stops_with_exit_code_2(tmp_path):
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "gpu_smoke.sh")],
        env={**os.environ, "OUT": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "no CUDA GPU here" in result.stderr


def test_report_puts_latency_and_measured_memory_next_to_the_plan(tmp_path, capsys):
    gpu_smoke = smoke()
    turn = {"transcript": "Hi?", "reply": "Hello.", "latency_ms": dict.fromkeys(gpu_smoke.STAGES, 400.0)}
    (tmp_path / "run.json").write_text(json.dumps({"turns": [turn] * 5, "stack": {"preset": "gpu"}}))
    samples = [{"used": 40e9, "processes": {"tts": 22e9, "chat": 14e9, "stt": 9e9, "Xorg": 1e8}}]
    (tmp_path / "mem.jsonl").write_text("\n".join(json.dumps(s) for s in samples) + "\n")
    plan = {"card_gb": 48.0, "models": [{"stage": "tts", "total_gb": 21.9, "label": "higgs"}]}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    code = gpu_smoke.report(tmp_path / "run.json", tmp_path / "mem.jsonl", tmp_path / "plan.json")
    out = capsys.readouterr().out
    assert code == 0 and "5 of 5 turns answered" in out
    assert "tts         21.90        22.00  higgs" in out and "(not a studio model server)" in out
    assert "med.               400" in out and "peak card use 40.00 GB of 48.0 GB" in out
