"""The memory plan for this installation's settings and card (shared by `doctor` and `host up`).

Threading: blocking (one NVML read); called from command threads, never the engine loop.
"""

from __future__ import annotations

from studio.config import Settings
from studio.gpu.nvml import read_gpu_memory
from studio.gpu.planner import GB, MemoryPlan, SeedStack, plan_memory
from studio.gpu.supervisor import is_local

STT_MODEL_LEN = 4096


def card_gb(settings: Settings) -> tuple[float, str]:
    """The memory to plan against and where that figure came from (NVML total, capped by the limit)."""
    gpu = read_gpu_memory()
    if gpu is None:
        return settings.GPU_MEMORY_LIMIT_GB, "GPU_MEMORY_LIMIT_GB (no GPU seen by NVML)"
    total = gpu.total_bytes / GB
    if total > settings.GPU_MEMORY_LIMIT_GB:
        return settings.GPU_MEMORY_LIMIT_GB, f"GPU_MEMORY_LIMIT_GB (card {gpu.name} has {total:.1f} GB)"
    return total, f"NVML: {gpu.name}"


def stack_plan(settings: Settings, reserve_gb: float = 2.0) -> tuple[MemoryPlan, str]:
    """Plan the three GPU models for `settings` (remote URLs cost this card nothing)."""
    local = {
        "tts": is_local(settings.HIGGS_AUDIO_URL),
        "chat": is_local(settings.OLLAMA_HOST),
        "stt": is_local(settings.VOXTRAL_URL),
    }
    stack = SeedStack(chat_context=settings.chat_context_tokens, stt_model_len=STT_MODEL_LEN, local=local)
    total, source = card_gb(settings)
    return plan_memory(stack.budgets(), total, reserve_gb), source


def planned_chat_context(settings: Settings, reserve_gb: float = 2.0) -> int:
    """The chat model's num_ctx as the plan sizes it: what `host up` gives Ollama (a remote Ollama
    costs this card nothing and keeps chat_context_tokens)."""
    plan, _ = stack_plan(settings, reserve_gb)
    chat = next((model for model in plan.models if model.stage == "chat"), None)
    return chat.cache_tokens[0] if chat is not None else settings.chat_context_tokens


def planned_settings(settings: Settings) -> Settings:
    """The settings the gpu stack runs with: chat_context_tokens as planned (one source of truth).

    The client then sends the num_ctx Ollama was started with; sending more would make Ollama
    reload the model bigger than the budget.
    """
    planned = planned_chat_context(settings)
    if planned == settings.chat_context_tokens:
        return settings
    return settings.model_copy(update={"chat_context_tokens": planned})


def free_bytes() -> int | None:
    """Free memory on GPU 0 now, or None without NVML (then the plan alone decides)."""
    gpu = read_gpu_memory()
    return None if gpu is None else gpu.total_bytes - gpu.used_bytes
