"""Whether the GPU stack's model servers answer, so `stack = "auto"` can choose it safely.

`auto` picks the gpu preset only when all three servers (Voxtral at VOXTRAL_URL, Ollama with the
configured model at OLLAMA_HOST, higgs at HIGGS_AUDIO_URL unless voice cloning is off) answer; on a
machine without them it stays on the embedded stack. Probes run in parallel with a short timeout.
Threading: blocking; called from the registry's loader thread (never on the engine loop).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from studio.backends.ollama_admin import OllamaAdmin
from studio.config import Settings
from studio.probe import probe_blocking

PROBE_TIMEOUT_S = 0.5


def _ollama_ready(settings: Settings) -> bool:
    return OllamaAdmin(settings.OLLAMA_HOST).serves(settings.OLLAMA_MODEL_NAME, PROBE_TIMEOUT_S)


def server_health(settings: Settings) -> dict[str, bool]:
    """stage → whether its GPU-stack server answers now."""
    checks = {
        "stt": lambda: probe_blocking(f"{settings.VOXTRAL_URL}/health", PROBE_TIMEOUT_S),
        "chat": lambda: _ollama_ready(settings),
    }
    if settings.enable_voice_cloning:  # else the gpu stack speaks with Piper and needs no higgs server
        checks["tts"] = lambda: probe_blocking(f"{settings.HIGGS_AUDIO_URL}/health", PROBE_TIMEOUT_S)
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="gpu-probe") as pool:
        futures = {stage: pool.submit(check) for stage, check in checks.items()}
        return {stage: future.result() for stage, future in futures.items()}


def gpu_servers_ready(settings: Settings) -> bool:
    """True when every GPU-stack server answers (the gpu preset would work right now)."""
    return all(server_health(settings).values())
