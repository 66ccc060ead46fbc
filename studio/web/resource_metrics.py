"""Metrics read at scrape time: the studio's RSS, program-device underruns, GPU memory per model.

A prometheus-client custom collector on the studio's registry: nothing polls between scrapes.
Without an open program device the underrun series is absent; without a GPU (or NVML) every GPU
series is absent (never a made-up 0). GPU memory per model is NVML's per-process figure labelled
by the studio's model server ("stt", "chat", "tts") or the process name (studio.gpu.nvml).
Threading: `collect` runs where the registry is rendered (a worker thread of the web loop:
NVML and psutil calls may take milliseconds).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psutil
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from studio.gpu.nvml import GpuMemory, read_gpu_memory


class ResourceCollector(Collector):
    """RSS, program underruns and GPU memory, read fresh at each scrape."""

    def __init__(
        self,
        audio: Callable[[], Any],
        read_gpu: Callable[[], GpuMemory | None] | None = None,
    ) -> None:
        """`audio`: the show's open AudioIO or None (read per scrape: devices reopen mid-show);
        `read_gpu`: studio.gpu.nvml's reading unless given."""
        self._audio, self._read_gpu = audio, read_gpu
        self._process = psutil.Process()

    def describe(self) -> list[Metric]:
        """Nothing up front: registering must not read NVML (prometheus-client would call collect)."""
        return []

    def collect(self) -> Iterator[Metric]:
        """Every series this collector has now."""
        yield GaugeMetricFamily(
            "studio_process_resident_memory_bytes",
            "Resident memory of the studio process (models in-process included)",
            value=self._process.memory_info().rss,
        )
        yield from self._underruns()
        yield from self._gpu()

    def _underruns(self) -> Iterator[Metric]:
        """Times the program device ran dry (absent without an open device)."""
        audio = self._audio()
        program = audio.stats().get("program") if audio is not None else None
        if program is None:
            return
        yield CounterMetricFamily(
            "studio_program_underruns",
            "Times the program output device ran dry (its callback came too late), this device",
            value=int(program.get("underruns", 0)),
        )

    def _gpu(self) -> Iterator[Metric]:
        """Card total/used and bytes per model server (absent without a GPU or NVML)."""
        memory = (self._read_gpu or read_gpu_memory)()
        if memory is None:
            return
        card = GaugeMetricFamily("studio_gpu_memory_bytes", "GPU memory of the card", labels=["gpu", "kind"])
        card.add_metric([memory.name, "used"], memory.used_bytes)
        card.add_metric([memory.name, "total"], memory.total_bytes)
        yield card
        per_model = GaugeMetricFamily(
            "studio_gpu_model_memory_bytes", "GPU memory used per model server or process", labels=["model"]
        )
        for label, used in sorted(memory.processes.items()):
            per_model.add_metric([label], used)
        yield per_model
