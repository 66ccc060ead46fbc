"""Demo chat model: SmolLM2-135M-Instruct from the GGUF in studio/models/smollm2/, run by transformers.

transformers de-quantises the Q4 GGUF on every load (~16 s), so the first start saves the result
as bfloat16 safetensors in the user cache dir (built in a temp dir, then renamed into place, so a
crash never leaves half a cache) and later starts load that in ~0.2 s. Toy quality: "demo model".
Threading: loading runs in the registry's loader thread; each reply runs in the backend's worker
thread, which reads a streamer (studio.backends.punctuation_streamer) fed by a `generate` thread of
its own. A stop flag checked before every token ends `generate` as soon as the reply is closed; the
worker joins it.
Between tokens `generate` steps aside while the engine voices a reply's first clause
(studio.backends.priority), and runs on one thread while another model works beside it
(studio.backends.thread_share); while it reads the prompt it holds PREFILL, which the end-of-turn
models wait out (studio.backends.priority). Each request starts from the KV cache the last one
left, cut to the prefix the two prompts share (studio.backends.prefix_cache), as Ollama's runner
does.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

from studio.backends.contracts import BackendInfo, ChatMessage, ChatOptions
from studio.backends.prefix_cache import PromptPrefixCache, cache_keyword
from studio.backends.priority import FOREGROUND, PREFILL
from studio.backends.punctuation_streamer import punctuation_streamer
from studio.backends.thread_share import ThreadShare
from studio.backends.workers import BackendWorker
from studio.config import Settings, cache_dir

log = logging.getLogger(__name__)

GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_GGUF = Path(__file__).resolve().parent.parent / "models" / "smollm2" / GGUF_FILE
CACHE_NAME = "smollm2-135m-instruct"
MARKER_FILE = "studio-cache.json"  # written last: a folder without it is not a finished cache
STALE_BUILD_SECONDS = 3600  # leftovers of a crashed build older than this are removed


def gguf_path() -> Path:
    """The GGUF shipped inside this package (see studio/models/smollm2/README.md for its origin)."""
    path = BUNDLED_GGUF
    if not path.is_file():  # a source tree or build that left the package data out
        raise RuntimeError(
            f"the SmolLM2 demo model is missing: {path} is not there; reinstall with "
            "`pip install -e .` from a complete checkout (or run an Ollama server that has "
            "OLLAMA_MODEL_NAME pulled)"
        )
    return path


#: bfloat16 halves resident memory (~270 MB instead of ~540 MB) and, measured on our 2-core
#: machines, generates faster than float32 (40 vs 24 tokens/s) with the same greedy output.
WEIGHTS_DTYPE = "bfloat16"


def _source_stamp(gguf: Path) -> dict[str, Any]:
    return {"gguf": gguf.name, "size": gguf.stat().st_size, "dtype": WEIGHTS_DTYPE}


def _load_folder(folder: Path) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(
        folder, dtype=getattr(torch, WEIGHTS_DTYPE), local_files_only=True
    )
    return model, tokenizer


def _remove_stale_builds(root: Path) -> None:
    for leftover in root.glob(f".{CACHE_NAME}-*"):
        if time.time() - leftover.stat().st_mtime > STALE_BUILD_SECONDS:
            shutil.rmtree(leftover, ignore_errors=True)


def _build_cache(gguf: Path, target: Path) -> tuple[Any, Any]:
    """De-quantise the GGUF, save it under `target` atomically, return the loaded model."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    model.hf_quantizer = None  # the weights are plain float32 now; this lets them be saved
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model = model.to(getattr(torch, WEIGHTS_DTYPE))
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(target.parent)
    staging = Path(tempfile.mkdtemp(prefix=f".{CACHE_NAME}-", dir=target.parent))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / MARKER_FILE).write_text(json.dumps(_source_stamp(gguf)), encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    except OSError as exc:  # disk full, read-only cache, a racing build: run uncached
        log.warning("could not cache SmolLM2 in %s: %s", target, exc)
        shutil.rmtree(staging, ignore_errors=True)
    return model, tokenizer


def load_model(cache_root: Path) -> tuple[Any, Any, bool]:
    """(model, tokenizer, came_from_cache); a missing, stale or broken cache is rebuilt."""
    gguf = gguf_path()
    target = cache_root / CACHE_NAME
    try:
        stamp = json.loads((target / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamp = None
    if stamp == _source_stamp(gguf):
        try:
            return (*_load_folder(target), True)
        except Exception as exc:  # any damage at all means: rebuild
            log.warning("SmolLM2 cache in %s is damaged (%s); rebuilding it", target, exc)
    return (*_build_cache(gguf, target), False)


class SmolLMChat:
    """SmolLM2-135M-Instruct on the CPU: ~0.1 s to the first token, ~40 tokens/s on 2 cores."""

    def __init__(self, settings: Settings) -> None:
        import torch

        torch.set_num_threads(settings.stt_threads)
        started = time.perf_counter()
        self._model, self._tokenizer, cached = load_model(cache_dir())
        self._model.eval()
        self.load_seconds = time.perf_counter() - started
        self.loaded_from_cache = cached
        self._worker = BackendWorker("chat-smollm2")
        self.thread_share = ThreadShare(settings.stt_threads, self._worker.name)
        self.prompt_cache = PromptPrefixCache()
        self.info = BackendInfo(
            name="SmolLM2-135M-Instruct (demo model)",
            detail="toy quality; run Ollama for real replies",
            demo_quality=True,
        )

    def _generate_blocking(
        self, messages: Sequence[ChatMessage], options: ChatOptions, stop: threading.Event
    ) -> Iterator[str]:
        import torch
        from transformers import DynamicCache, StoppingCriteria, StoppingCriteriaList

        share = self.thread_share
        prefilling = threading.Event()  # set while PREFILL is held for this reply

        def prefill_done() -> None:
            if prefilling.is_set():
                prefilling.clear()
                PREFILL.release()

        class StopWhenAsked(StoppingCriteria):
            def __call__(self, input_ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
                prefill_done()  # the first token is out: the end-of-turn models may run now
                FOREGROUND.step_aside(stop)  # the reply's first clause is being voiced: wait for it
                share.choose()  # one thread while another model works beside this one
                return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool)

        inputs = self._tokenizer.apply_chat_template(
            [{"role": m.role, "content": m.content} for m in messages],
            add_generation_prompt=True,
            return_tensors="pt",
            return_dict=True,
        )
        streamer = punctuation_streamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        sampling: dict[str, Any] = {"do_sample": False}
        if options.temperature > 0:
            sampling = {"do_sample": True, "temperature": options.temperature, "top_p": 0.9}
        failures: list[BaseException] = []
        # The previous request's KV cache, cropped to the prefix this prompt shares with it.
        cache = self.prompt_cache.take(inputs["input_ids"])
        if cache is None:
            cache = DynamicCache()

        def generate() -> None:
            try:
                share.choose()
                prefilling.set()
                PREFILL.hold()  # one step on all threads: Smart Turn waits it out (priority.py)
                if options.seed is not None:
                    torch.manual_seed(options.seed)
                with torch.inference_mode():
                    sequence = self._model.generate(
                        **inputs,
                        **sampling,
                        **{cache_keyword(): cache},
                        streamer=streamer,
                        max_new_tokens=options.max_tokens,
                        repetition_penalty=1.1,
                        stopping_criteria=StoppingCriteriaList([StopWhenAsked()]),
                        pad_token_id=self._tokenizer.eos_token_id,
                    )
                self.prompt_cache.keep(sequence, cache)
            except BaseException as exc:  # handed to the reader below
                self.prompt_cache.drop()
                failures.append(exc)
                streamer.end()  # wake the reader, which would otherwise wait forever
            finally:
                prefill_done()

        thread = threading.Thread(target=generate, name="chat-smollm2-generate", daemon=True)
        thread.start()
        try:
            for text in streamer:
                if text:
                    yield text
            if failures:
                raise failures[0]
        finally:
            stop.set()
            thread.join()

    async def stream_reply(self, messages: Sequence[ChatMessage], options: ChatOptions) -> AsyncIterator[str]:
        stream = self._worker.stream(lambda stop: self._generate_blocking(messages, options, stop))
        try:
            async for piece in stream:
                yield piece
        finally:
            await stream.aclose()

    async def aclose(self) -> None:
        await self._worker.aclose()
