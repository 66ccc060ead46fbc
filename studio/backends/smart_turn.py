"""Embedded end of turn: Smart Turn v3.2 (onnx, shipped in the pipecat-ai wheel) on the last 8 s.

The model file is found through the wheel's metadata (in the app bundle: under sys._MEIPASS), so
pipecat itself is never imported. Its input is Whisper's log-mel of the waveform normalised to zero
mean and unit variance (as transformers' WhisperFeatureExtractor does with do_normalize=True),
computed with faster-whisper's numpy extractor. Smart Turn calls some fragments complete, so the
engine asks it only after a pause and keeps a silence timeout behind it.
Threading: features and inference run in the backend's worker thread (~1 ms + ~30 ms, 1 thread).
"""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import numpy as np

from studio.backends.contracts import INPUT_SAMPLE_RATE, BackendInfo
from studio.backends.priority import PREFILL, PREFILL_WAIT_SECONDS
from studio.backends.workers import BackendWorker, single_thread_onnx_session
from studio.config import Settings

MODEL_FILE = "pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"
WINDOW_SECONDS = 8
WINDOW_SAMPLES = WINDOW_SECONDS * INPUT_SAMPLE_RATE
HOP_SAMPLES = 160
MEL_FRAMES = WINDOW_SAMPLES // HOP_SAMPLES  # 800
NORMALISE_EPSILON = 1e-7  # WhisperFeatureExtractor's variance floor
MIN_SAMPLES = INPUT_SAMPLE_RATE // 10


def smart_turn_model_path() -> Path:
    """The Smart Turn onnx file in the installed pipecat-ai wheel or the app bundle (no pipecat import)."""
    frozen_root = getattr(sys, "_MEIPASS", None)  # PyInstaller: pyinstaller.spec copies it there
    if frozen_root:
        located: object = Path(frozen_root) / MODEL_FILE
    else:
        try:
            located = importlib.metadata.distribution("pipecat-ai").locate_file(MODEL_FILE)
        except importlib.metadata.PackageNotFoundError:
            raise RuntimeError("pipecat-ai, which ships Smart Turn, is not installed") from None
    path = Path(str(located))
    if not path.is_file():
        raise RuntimeError(f"the Smart Turn model is missing from the pipecat-ai package ({path})")
    return path


class SmartTurnDetector:
    """Probability that the host's line is complete, judged from how its audio ends."""

    def __init__(self, settings: Settings | None = None) -> None:
        # The package first, alone: importing the submodule directly takes its lock before the
        # package's, and Whisper's loader thread, importing the package at the same time, takes
        # them the other way round - Python then aborts one import ("deadlock detected").
        import faster_whisper  # noqa: F401
        from faster_whisper.feature_extractor import FeatureExtractor

        path = smart_turn_model_path()
        self._session = single_thread_onnx_session(path)
        self._mel = FeatureExtractor(
            feature_size=80,
            sampling_rate=INPUT_SAMPLE_RATE,
            hop_length=HOP_SAMPLES,
            chunk_length=WINDOW_SECONDS,
            n_fft=400,
        )
        self._worker = BackendWorker("turn-smart", yields_to=PREFILL, wait_limit=PREFILL_WAIT_SECONDS)
        self.info = BackendInfo(name="Smart Turn v3.2 (onnx)", detail=str(path))

    def features(self, audio: np.ndarray) -> np.ndarray:
        """Model input [1, 80, 800]: log-mel of the last 8 s, zero-padded in front if shorter."""
        window = np.zeros(WINDOW_SAMPLES, dtype=np.float32)
        tail = np.asarray(audio, dtype=np.float32).reshape(-1)[-WINDOW_SAMPLES:]
        window[WINDOW_SAMPLES - len(tail) :] = tail
        window = (window - window.mean()) / np.sqrt(window.var() + NORMALISE_EPSILON)
        mel = self._mel(window, padding=0)  # centred STFT: 801 frames, the extractor drops the last
        if mel.shape != (80, MEL_FRAMES):
            raise RuntimeError(f"unexpected log-mel shape {mel.shape} from faster-whisper")
        return mel[None].astype(np.float32, copy=False)

    def probability_blocking(self, audio: np.ndarray) -> float:
        """The model's probability (its output is already a sigmoid) for 16 kHz mono audio."""
        (output,) = self._session.run(None, {"input_features": self.features(audio)})
        return float(np.clip(np.asarray(output).reshape(-1)[0], 0.0, 1.0))

    async def completion_probability(self, audio: np.ndarray, transcript: str | None) -> float:
        """`transcript` is unused: Smart Turn listens to intonation and timing, not words."""
        if len(audio) < MIN_SAMPLES:
            return 0.0
        tail = np.array(audio[-WINDOW_SAMPLES:], dtype=np.float32)  # a copy: callers reuse buffers
        return await self._worker.run(self.probability_blocking, tail)

    async def aclose(self) -> None:
        await self._worker.aclose()
