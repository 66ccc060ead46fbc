"""NVML reader for the gauge: totals, per-server labels by process tree, and never raising."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import pytest

from studio.gpu import nvml
from studio.gpu.nvml import GpuMemory, label_for_command, label_process, read_gpu_memory


def test_server_command_lines_get_stage_labels():
    assert label_for_command(["vllm", "serve", "mistralai/Voxtral-Mini-3B-2507"]) == "stt"
    assert label_for_command(["/usr/bin/ollama", "serve"]) == "chat"
    assert label_for_command(["python", "-m", "studio.hosts.higgs_host", "--port", "8100"]) == "tts"
    assert label_for_command(["python", "train.py"]) is None


def test_a_child_process_is_labelled_by_its_server_parent():
    # a parent whose command line names Voxtral starts a child: the child's GPU memory counts as "stt"
    # (the child lives until the test is done: the parent waits for a line from us before ending it)
    code = (
        "import subprocess,sys; p=subprocess.Popen([sys.executable,'-c','input()'],stdin=subprocess.PIPE); "
        "print(p.pid, flush=True); sys.stdin.readline(); p.communicate(b'x\\n')"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", code, "voxtral"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        child_pid = int(parent.stdout.readline())
        assert label_process(child_pid) == "stt"
    finally:
        parent.communicate(b"\n", timeout=30)  # the parent lets the child finish, then ends


def _fake_pynvml(processes, fail_on: str = "") -> types.ModuleType:
    module = types.ModuleType("pynvml")

    def call(name, value):
        def fn(*_args):
            if name == fail_on:
                raise RuntimeError("NVML_ERROR_GPU_IS_LOST")
            return value

        return fn

    module.nvmlInit = call("init", None)
    module.nvmlDeviceGetCount = call("count", 1)
    module.nvmlDeviceGetHandleByIndex = call("handle", object())
    module.nvmlDeviceGetName = call("name", b"NVIDIA RTX 6000 Ada Generation")
    module.nvmlDeviceGetMemoryInfo = call("memory", types.SimpleNamespace(used=30 * 10**9, total=48 * 10**9))
    module.nvmlDeviceGetComputeRunningProcesses = call("processes", processes)
    module.nvmlSystemGetDriverVersion = call("driver", "550.54")
    return module


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(nvml, "_NVML", nvml._Nvml())


def test_reads_card_and_processes(fresh, monkeypatch):
    me = os.getpid()
    procs = [
        types.SimpleNamespace(pid=me, usedGpuMemory=2 * 10**9),
        types.SimpleNamespace(pid=me, usedGpuMemory=None),
    ]
    monkeypatch.setitem(sys.modules, "pynvml", _fake_pynvml(procs))
    reading = read_gpu_memory()
    assert reading == GpuMemory(
        "NVIDIA RTX 6000 Ada Generation", 30 * 10**9, 48 * 10**9, {label_process(me): 2 * 10**9}
    )
    assert nvml.driver_info() == {"driver": "550.54", "devices": "1"}
    assert read_gpu_memory(index=3) is None


def test_never_raises(fresh, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", _fake_pynvml([], fail_on="memory"))
    assert read_gpu_memory() is None
    monkeypatch.setattr(nvml, "_NVML", nvml._Nvml())
    monkeypatch.setitem(sys.modules, "pynvml", None)  # not installed
    assert read_gpu_memory() is None and nvml.driver_info() is None
