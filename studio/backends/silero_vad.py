"""Embedded voice activity: Silero VAD's onnx model (from the silero-vad wheel) on onnxruntime.

Threading: `speech_probability` runs inline on the engine loop (~0.1 ms per 32 ms frame, one
onnxruntime thread); the recurrent state belongs to one stream, so one instance serves one mic.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

from studio.backends.contracts import INPUT_SAMPLE_RATE, BackendInfo
from studio.backends.workers import single_thread_onnx_session
from studio.config import Settings

FRAME_SAMPLES = 512  # 32 ms at 16 kHz: the only frame size Silero v5+ accepts at this rate
CONTEXT_SAMPLES = 64  # Silero v5+ reads the previous frame's last 64 samples before each frame
STATE_SHAPE = (2, 1, 128)


def silero_model_path() -> Path:
    """The onnx file inside the installed silero-vad package or the app bundle (torch is not imported)."""
    frozen_root = getattr(sys, "_MEIPASS", None)  # PyInstaller: pyinstaller.spec copies it there
    if frozen_root:
        path = Path(frozen_root) / "silero_vad" / "data" / "silero_vad.onnx"
    else:
        spec = importlib.util.find_spec("silero_vad")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("the silero-vad package is not installed")
        path = Path(next(iter(spec.submodule_search_locations))) / "data" / "silero_vad.onnx"
    if not path.is_file():
        raise RuntimeError(f"silero_vad.onnx is missing from the silero-vad package ({path})")
    return path


class SileroVoiceActivity:
    """Speech probability per 512-sample frame at 16 kHz, for one continuous stream."""

    frame_samples = FRAME_SAMPLES

    def __init__(self, settings: Settings | None = None) -> None:
        path = silero_model_path()
        self._session = single_thread_onnx_session(path)
        self._rate = np.array(INPUT_SAMPLE_RATE, dtype=np.int64)
        self._window = np.zeros((1, CONTEXT_SAMPLES + FRAME_SAMPLES), dtype=np.float32)
        self.info = BackendInfo(name="Silero VAD v6 (onnx)", detail=str(path))
        self.reset()

    def reset(self) -> None:
        self._state = np.zeros(STATE_SHAPE, dtype=np.float32)
        self._window[:] = 0.0

    def speech_probability(self, frame: np.ndarray) -> float:
        frame = np.asarray(frame, dtype=np.float32).reshape(-1)
        if len(frame) != FRAME_SAMPLES:
            raise ValueError(f"Silero VAD needs {FRAME_SAMPLES}-sample frames, got {len(frame)}")
        window = self._window
        window[0, :CONTEXT_SAMPLES] = window[0, -CONTEXT_SAMPLES:]  # last frame's tail
        window[0, CONTEXT_SAMPLES:] = frame
        output, self._state = self._session.run(
            None, {"input": window, "state": self._state, "sr": self._rate}
        )
        return float(output[0, 0])
