"""GPU memory for the gauge and the supervisor: card total/used and per-model-server usage via NVML.

`read_gpu_memory()` is cheap enough for 1-2 calls a second: NVML is initialised once, a failed
init is remembered (retried after a minute), and the pid -> label attribution of GPU processes is
cached per pid. Each GPU process is labelled by the studio model server whose process tree holds it
("stt", "chat", "tts" — vLLM V1 runs its engine core in a child process), else by its process name.
Threading: any thread; one lock serialises NVML calls. It never raises.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import psutil

log = logging.getLogger(__name__)

RETRY_INIT_S = 60.0
_SERVER_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tts", ("higgs_host", "higgs-audio", "higgs_audio", "host higgs")),
    ("stt", ("voxtral",)),
    ("chat", ("ollama", "llama-server", "llama_cpp")),
)


@dataclass(frozen=True, slots=True)
class GpuMemory:
    """One card's memory now: total, used, and bytes per studio model server (or process name)."""

    name: str
    used_bytes: int
    total_bytes: int
    processes: dict[str, int] = field(default_factory=dict)


def label_for_command(cmdline: list[str]) -> str | None:
    """ "stt"/"chat"/"tts" when a command line is one of the studio's model servers, else None."""
    text = " ".join(cmdline).lower()
    for label, markers in _SERVER_MARKERS:
        if any(marker in text for marker in markers):
            return label
    return None


def label_process(pid: int) -> str:
    """The model-server label of `pid` or of its nearest labelled ancestor; else its process name."""
    try:
        process = psutil.Process(pid)
        name = process.name()
        chain = [process, *process.parents()]
    except (psutil.Error, OSError):
        return f"pid {pid}"
    for member in chain:
        try:
            label = label_for_command(member.cmdline())
        except (psutil.Error, OSError):
            continue
        if label is not None:
            return label
    return name or f"pid {pid}"


class _Nvml:
    """NVML handle, initialised on first use; remembers a failure instead of retrying each call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._module: Any = None
        self._failed_at: float | None = None
        self._labels: dict[int, str] = {}

    def _ensure(self) -> Any:
        if self._module is not None:
            return self._module
        if self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_INIT_S:
            return None
        try:
            import pynvml

            pynvml.nvmlInit()
        except Exception as exc:  # ImportError, NVMLError_LibraryNotFound, driver errors
            log.debug("NVML unavailable: %s", exc)
            self._failed_at = time.monotonic()
            return None
        self._module = pynvml
        return pynvml

    def _label(self, pid: int) -> str:
        label = self._labels.get(pid)
        if label is None:
            if len(self._labels) > 512:
                self._labels.clear()
            label = self._labels[pid] = label_process(pid)
        return label

    def read(self, index: int) -> GpuMemory | None:
        with self._lock:
            nvml = self._ensure()
            if nvml is None:
                return None
            try:
                if index >= nvml.nvmlDeviceGetCount():
                    return None
                handle = nvml.nvmlDeviceGetHandleByIndex(index)
                name = nvml.nvmlDeviceGetName(handle)
                info = nvml.nvmlDeviceGetMemoryInfo(handle)
                try:
                    running = nvml.nvmlDeviceGetComputeRunningProcesses(handle)
                except Exception:  # not supported on some drivers: totals are still worth showing
                    running = []
                per_label: dict[str, int] = {}
                for proc in running:
                    used = proc.usedGpuMemory  # None under Windows WDDM and WSL2
                    if used is None:
                        continue
                    label = self._label(int(proc.pid))
                    per_label[label] = per_label.get(label, 0) + int(used)
            except Exception as exc:
                log.debug("NVML read failed: %s", exc)
                return None
        if isinstance(name, bytes):
            name = name.decode(errors="replace")
        return GpuMemory(str(name), int(info.used), int(info.total), per_label)

    def driver(self) -> dict[str, str] | None:
        with self._lock:
            nvml = self._ensure()
            if nvml is None:
                return None
            try:
                version = nvml.nvmlSystemGetDriverVersion()
                count = nvml.nvmlDeviceGetCount()
            except Exception:
                return None
        if isinstance(version, bytes):
            version = version.decode()
        return {"driver": str(version), "devices": str(count)}


_NVML = _Nvml()


def read_gpu_memory(index: int = 0) -> GpuMemory | None:
    """Memory of GPU `index` now; None when there is no GPU, no NVML or the driver fails."""
    try:
        return _NVML.read(index)
    except Exception:  # the gauge calls this on a timer: it must never raise
        return None


def driver_info() -> dict[str, str] | None:
    """NVIDIA driver version and device count, or None without NVML (for `doctor`)."""
    try:
        return _NVML.driver()
    except Exception:
        return None
