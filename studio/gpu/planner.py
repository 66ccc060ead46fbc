"""Plans each GPU model's memory (weights + runtime + cache) against the card before anything loads.

Pure arithmetic, no I/O: the supervisor and `doctor` feed it the settings and the card's total
(NVML, or GPU_MEMORY_LIMIT_GB) and show the result. When the models do not leave the reserve, the
planner shrinks caches in order of least harm (each step named, with what it saves) and, if that is
not enough, names the model swaps that would make it fit. The per-model figures are estimates
calibrated to the seed's budget (higgs 24 GB, Mistral-24B Q4_K_M 14-16 GB, Voxtral 9.5 GB);
replace them with measured ones as cards are profiled.
Threading: none (plain functions; called from any thread).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

GB = 1_000_000_000
DEFAULT_RESERVE_GB = 2.0
START_ORDER: tuple[str, ...] = ("tts", "chat", "stt")  # the seed's order: largest, least elastic first


@dataclass(frozen=True, slots=True)
class ModelBudget:
    """One model server's GPU memory: fixed part plus a KV cache that scales with its token window."""

    stage: str  # "tts" | "chat" | "stt"
    label: str
    weights_gb: float
    runtime_gb: float  # CUDA graphs, activations, allocator slack (what eager mode partly saves)
    cache_mb_per_token: float
    cache_tokens: tuple[int, ...]  # one entry per cache (higgs keeps one per KV length)
    local: bool = True  # False: served from another machine, costs this card nothing
    eager: bool = False  # vLLM enforce_eager: no CUDA graphs

    @property
    def cache_gb(self) -> float:
        return sum(self.cache_tokens) * self.cache_mb_per_token / 1000.0

    @property
    def total_gb(self) -> float:
        return self.weights_gb + self.runtime_gb + self.cache_gb if self.local else 0.0


@dataclass(frozen=True, slots=True)
class Shrink:
    """One applied reduction: which model, what changed, how much it saved."""

    stage: str
    change: str
    saved_gb: float


@dataclass(frozen=True, slots=True)
class Swap:
    """A model replacement the planner cannot make by itself (another model must be pulled)."""

    stage: str
    change: str
    saved_gb: float


@dataclass(frozen=True, slots=True)
class MemoryPlan:
    """The budget as planned: models after shrinking, the steps taken, and whether it fits."""

    card_gb: float
    reserve_gb: float
    requested: tuple[ModelBudget, ...]
    models: tuple[ModelBudget, ...]
    shrinks: tuple[Shrink, ...] = ()
    swaps: tuple[Swap, ...] = ()

    @property
    def used_gb(self) -> float:
        return sum(model.total_gb for model in self.models)

    @property
    def free_gb(self) -> float:
        return self.card_gb - self.used_gb

    @property
    def fits(self) -> bool:
        return self.free_gb >= self.reserve_gb - 1e-9

    def model(self, stage: str) -> ModelBudget:
        return next(model for model in self.models if model.stage == stage)

    def as_dict(self) -> dict[str, object]:
        """JSON form for `doctor --json`."""
        return {
            "card_gb": round(self.card_gb, 2),
            "reserve_gb": self.reserve_gb,
            "used_gb": round(self.used_gb, 2),
            "free_gb": round(self.free_gb, 2),
            "fits": self.fits,
            "models": [
                {
                    "stage": m.stage,
                    "label": m.label,
                    "local": m.local,
                    "weights_gb": round(m.weights_gb, 2),
                    "runtime_gb": round(m.runtime_gb, 2),
                    "cache_gb": round(m.cache_gb, 2),
                    "cache_tokens": list(m.cache_tokens),
                    "total_gb": round(m.total_gb, 2),
                }
                for m in self.models
            ],
            "shrinks": [vars_of(s) for s in self.shrinks],
            "swaps": [vars_of(s) for s in self.swaps],
        }

    def lines(self) -> list[str]:
        """Human-readable plan, as printed by `doctor` and before `host up` starts anything."""
        out = [f"GPU memory plan: {self.card_gb:.1f} GB card, reserve {self.reserve_gb:.1f} GB"]
        for before, after in zip(self.requested, self.models, strict=True):
            where = "" if after.local else " (remote: 0 GB here)"
            changed = f" (asked {before.total_gb:.1f})" if after.total_gb + 0.005 < before.total_gb else ""
            out.append(
                f"  {after.stage:4} {after.label}: {after.total_gb:5.1f} GB = weights {after.weights_gb:.1f}"
                f" + runtime {after.runtime_gb:.1f} + cache {after.cache_gb:.2f}{changed}{where}"
            )
        for step in self.shrinks:
            out.append(f"  shrink {step.stage}: {step.change} (-{step.saved_gb:.2f} GB)")
        verdict = "fits" if self.fits else "DOES NOT FIT"
        out.append(f"  total {self.used_gb:.1f} GB, free {self.free_gb:.1f} GB: {verdict}")
        for swap in self.swaps:
            out.append(f"  to fit, swap {swap.stage}: {swap.change} (-{swap.saved_gb:.1f} GB)")
        return out


def vars_of(step: Shrink | Swap) -> dict[str, object]:
    return {"stage": step.stage, "change": step.change, "saved_gb": round(step.saved_gb, 2)}


# -- the seed's models ---------------------------------------------------------------------------

HIGGS_KV_LENGTHS = (1024, 4096, 8192)


def higgs_budget(kv_lengths: Iterable[int] = HIGGS_KV_LENGTHS, local: bool = True) -> ModelBudget:
    """higgs-audio v2 (3.6B LLM + 2.2B adapter, bf16) with one static KV cache per CUDA-graph length."""
    return ModelBudget(
        "tts", "higgs-audio v2 (bf16)", 12.0, 10.5, 0.1147, tuple(sorted(kv_lengths)), local=local
    )


def ollama_budget(num_ctx: int, local: bool = True, weights_gb: float = 14.3) -> ModelBudget:
    """Mistral-Small-24B Q4_K_M on Ollama: 40 layers x 8 KV heads x 128 dims, f16 cache."""
    return ModelBudget(
        "chat", "Mistral-Small-24B Q4_K_M (Ollama)", weights_gb, 0.36, 0.1638, (num_ctx,), local
    )


def voxtral_budget(max_model_len: int = 4096, local: bool = True, eager: bool = False) -> ModelBudget:
    """Voxtral-Mini-3B on vLLM (bf16); CUDA graphs cost ~0.4 GB unless enforce_eager."""
    return ModelBudget(
        "stt", "Voxtral-Mini-3B (vLLM)", 8.6, 0.0 if eager else 0.4, 0.1229, (max_model_len,), local, eager
    )


# -- shrinking -----------------------------------------------------------------------------------

CHAT_MIN_CONTEXT = 2048  # persona + 8 turns of history still fit
STT_MIN_MODEL_LEN = 2048  # a 30 s clip is ~375 audio tokens: plenty
TTS_MIN_KV = (1024, 4096)  # a reference clip + a long clause still fits 4096


def _shrink_steps(model: ModelBudget) -> list[tuple[str, ModelBudget]]:
    """The next reduction of this model, least harmful first (empty when none is left)."""
    if not model.local:
        return []
    if model.stage == "chat" and model.cache_tokens[0] > CHAT_MIN_CONTEXT:
        new = max(CHAT_MIN_CONTEXT, model.cache_tokens[0] // 2)
        change = f"num_ctx {model.cache_tokens[0]} -> {new} (chat_context_tokens = {new})"
        return [(change, replace(model, cache_tokens=(new,)))]
    if model.stage == "stt" and model.cache_tokens[0] > STT_MIN_MODEL_LEN:
        new = max(STT_MIN_MODEL_LEN, model.cache_tokens[0] // 2)
        return [(f"--max-model-len {model.cache_tokens[0]} -> {new}", replace(model, cache_tokens=(new,)))]
    if model.stage == "stt" and not model.eager:
        return [("--enforce-eager (no CUDA graphs)", replace(model, eager=True, runtime_gb=0.0))]
    if model.stage == "tts" and len(model.cache_tokens) > len(TTS_MIN_KV):
        kept = tuple(model.cache_tokens[: len(TTS_MIN_KV)])
        # each dropped KV length also drops its CUDA graphs: ~1/3 of the runtime share per length
        runtime = model.runtime_gb * (
            1 - 0.33 * (len(model.cache_tokens) - len(kept)) / len(model.cache_tokens)
        )
        change = f"kv_cache_lengths {list(model.cache_tokens)} -> {list(kept)}"
        return [(change, replace(model, cache_tokens=kept, runtime_gb=round(runtime, 3)))]
    return []


def shrink_model(model: ModelBudget) -> tuple[str, ModelBudget] | None:
    """The next reduction of one model (the OOM fallback), or None when it cannot shrink further."""
    steps = _shrink_steps(model)
    return steps[0] if steps else None


#: Shrink order: which stage gives up memory next (cheapest loss of quality first).
SHRINK_ORDER: tuple[str, ...] = ("chat", "stt", "stt", "tts", "chat", "stt")

SWAPS: tuple[Swap, ...] = (
    Swap("chat", "Mistral-Small-24B Q4_K_M -> Q3_K_M (~11.5 GB weights)", 2.8),
    Swap("stt", "serve Voxtral on another machine (VOXTRAL_URL)", 9.0),
    Swap("tts", "higgs-audio on another machine (HIGGS_AUDIO_URL)", 22.0),
)


def plan_memory(
    models: Iterable[ModelBudget], card_gb: float, reserve_gb: float = DEFAULT_RESERVE_GB
) -> MemoryPlan:
    """Fit `models` on a card of `card_gb`, shrinking caches in SHRINK_ORDER until the reserve is free."""
    requested = tuple(sorted(models, key=lambda m: START_ORDER.index(m.stage)))
    current = {model.stage: model for model in requested}
    shrinks: list[Shrink] = []

    def free() -> float:
        return card_gb - sum(model.total_gb for model in current.values())

    progress = True
    while free() < reserve_gb and progress:
        progress = False
        for stage in SHRINK_ORDER:
            if free() >= reserve_gb:
                break
            if stage not in current:
                continue
            for change, smaller in _shrink_steps(current[stage]):
                shrinks.append(Shrink(stage, change, current[stage].total_gb - smaller.total_gb))
                current[stage] = smaller
                progress = True
    swaps: tuple[Swap, ...] = ()
    missing = reserve_gb - free()
    if missing > 0:
        useful = [s for s in SWAPS if s.stage in current and current[s.stage].local]
        enough = [s for s in useful if s.saved_gb >= missing]
        swaps = tuple(enough[:1] or useful)
    ordered = tuple(current[model.stage] for model in requested)
    return MemoryPlan(card_gb, reserve_gb, requested, ordered, tuple(shrinks), swaps)


def vllm_memory_flags(model: ModelBudget, card_gb: float) -> list[str]:
    """vLLM flags that hold the server to its planned share of the card.

    gpu_memory_utilization is a fraction of the card's TOTAL memory and vLLM refuses to start when
    less than that is free, so it is exactly this model's share; the KV cache is fixed in bytes.
    """
    fraction = min(0.99, (model.total_gb + 0.05) / card_gb)
    flags = [
        "--gpu-memory-utilization",
        f"{fraction:.3f}",
        "--kv-cache-memory-bytes",
        str(int(model.cache_gb * GB)),
        "--max-model-len",
        str(max(model.cache_tokens)),
    ]
    if model.eager:
        flags.append("--enforce-eager")
    return flags


@dataclass(frozen=True, slots=True)
class SeedStack:
    """The settings that size the seed's three models (so tests and doctor build the same plan)."""

    chat_context: int = 4096
    stt_model_len: int = 4096
    tts_kv_lengths: tuple[int, ...] = HIGGS_KV_LENGTHS
    local: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(START_ORDER, True))

    def budgets(self) -> list[ModelBudget]:
        return [
            higgs_budget(self.tts_kv_lengths, self.local.get("tts", True)),
            ollama_budget(self.chat_context, self.local.get("chat", True)),
            voxtral_budget(self.stt_model_len, self.local.get("stt", True)),
        ]
