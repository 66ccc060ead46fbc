"""A stand-in `boson_multimodal` (the real one cannot be installed here), as far as the higgs host uses it.

It mimics the documented surface and the internals `generate_delta_stream` runs on:
HiggsAudioServeEngine with `_prepare_inputs`, `_prepare_kv_caches`, `tokenizer`, `kv_caches`, an
audio tokenizer (24 kHz, 25 frames/s, decode of [1, n, T] codes) and `model.generate(**kwargs)`
that runs a transformers-style loop in the caller's thread: the prompt to the streamer first,
then one delayed code column per step, the stopping criteria checked after every step, then
`streamer.end()`. Each step may wait for a permit (`Pacing`), so tests decide how fast the
"model" runs and can count the frames it produced after a cancel.
Threading: `generate` runs in the engine's "higgs-generate" thread; `Pacing.allow` from the test's.
"""

from __future__ import annotations

import importlib.machinery
import sys
import threading
import types
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch

from studio.hosts.delay_pattern import HIGGS_BOS, HIGGS_EOS, apply_delay_pattern

FRAMES = 40  # 1.6 s of audio per request, unless a test asks for more
PROMPT = torch.zeros((1, 4), dtype=torch.long)


@dataclass
class AudioContent:
    audio_url: str = ""


@dataclass
class Message:
    role: str
    content: Any


@dataclass
class ChatMLSample:
    messages: list = field(default_factory=list)


class _Tokenizer:
    sampling_rate = 24_000

    def decode(self, codes: torch.Tensor) -> np.ndarray:
        frames = codes[0, 0].double().numpy() / 1024.0
        return np.repeat(frames, 960)[None, None].astype(np.float32)


class Pacing:
    """Per-step permits for the stand-in model; while it waits it still honours the stop criteria."""

    def __init__(self) -> None:
        self._permits = threading.Semaphore(0)

    def allow(self, steps: int) -> None:
        self._permits.release(steps)

    def wait(self, stopping_criteria: Any) -> bool:
        """True: take the next step; False: the criteria said stop while waiting."""
        while not self._permits.acquire(timeout=0.005):  # a real model is computing meanwhile
            if bool(stopping_criteria(PROMPT, None).all()):
                return False
        return True


class _Model:
    def __init__(self, owner: ServeEngine) -> None:
        self.owner = owner
        config = types.SimpleNamespace(audio_stream_bos_id=HIGGS_BOS, audio_stream_eos_id=HIGGS_EOS)
        self.config = config

    def generate(self, *, streamer: Any, stopping_criteria: Any, max_new_tokens: int, **kwargs: Any) -> None:
        owner = self.owner
        owner.calls.append({**owner.prepared[-1], **kwargs, "max_new_tokens": max_new_tokens})
        owner.log.append(f"start {len(owner.calls)}")
        streamer.put(PROMPT)  # transformers streams the prompt first
        frames = np.tile(np.arange(1, owner.frames + 1), (8, 1))
        full = np.concatenate([np.full((8, 1), HIGGS_BOS), frames, np.full((8, 1), HIGGS_EOS)], axis=1)
        try:
            for column in apply_delay_pattern(full, pad=HIGGS_EOS).T[:max_new_tokens]:
                if owner.pacing is not None and not owner.pacing.wait(stopping_criteria):
                    break
                streamer.put(torch.from_numpy(column.copy()))
                owner.produced += 1
                if bool(stopping_criteria(PROMPT, None).all()):  # as transformers' loop asks it
                    break
            streamer.end()
        finally:
            owner.log.append(f"end {len(owner.calls)}")
            owner.ended.set()


class ServeEngine:
    """HiggsAudioServeEngine's surface and the internals the host drives."""

    calls: ClassVar[list[dict[str, Any]]] = []
    prepared: ClassVar[list[dict[str, Any]]] = []
    log: ClassVar[list[str]] = []
    frames: ClassVar[int] = FRAMES
    pacing: ClassVar[Pacing | None] = None
    produced: ClassVar[int] = 0
    ended: ClassVar[threading.Event] = threading.Event()

    def __init__(self, model, tokenizer, device="cuda", kv_cache_lengths=()):
        self.device, self.kv_cache_lengths = device, kv_cache_lengths
        self.audio_tokenizer = _Tokenizer()
        self.samples_per_token, self.audio_num_codebooks, self.audio_codebook_size = 960, 8, 1024
        self.model = _Model(self)
        self.tokenizer = object()
        self.kv_caches = {length: object() for length in kv_cache_lengths}

    def _prepare_inputs(self, sample, force_audio_gen=False):
        self.prepared.append({"sample": sample, "force_audio_gen": force_audio_gen})
        return {"input_ids": torch.zeros((1, 4), dtype=torch.long)}

    def _prepare_kv_caches(self):
        return None

    @classmethod
    def reset(cls) -> None:
        cls.calls, cls.prepared, cls.log = [], [], []
        cls.frames, cls.pacing, cls.produced, cls.ended = FRAMES, None, 0, threading.Event()


def install(monkeypatch: Any) -> type[ServeEngine]:
    """Put the stand-in where `import boson_multimodal...` finds it; returns the engine class."""
    package = types.ModuleType("boson_multimodal")
    package.__spec__ = importlib.machinery.ModuleSpec("boson_multimodal", None)  # find_spec sees it
    data_types = types.ModuleType("boson_multimodal.data_types")
    data_types.AudioContent, data_types.Message, data_types.ChatMLSample = AudioContent, Message, ChatMLSample
    serve = types.ModuleType("boson_multimodal.serve")
    serve_engine = types.ModuleType("boson_multimodal.serve.serve_engine")
    serve_engine.HiggsAudioServeEngine = ServeEngine
    for name, module in {
        "boson_multimodal": package,
        "boson_multimodal.data_types": data_types,
        "boson_multimodal.serve": serve,
        "boson_multimodal.serve.serve_engine": serve_engine,
    }.items():
        monkeypatch.setitem(sys.modules, name, module)
    ServeEngine.reset()
    return ServeEngine
