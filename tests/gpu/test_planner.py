"""Memory planner: the seed's budget, what shrinks for the reserve, and the vLLM flags it implies."""

from __future__ import annotations

import pytest

from studio.gpu.planner import SeedStack, plan_memory, vllm_memory_flags, voxtral_budget


def test_seed_budget_shows_what_must_shrink_for_a_2gb_reserve():
    stack = SeedStack(chat_context=8192, stt_model_len=4096)
    asked = {m.stage: round(m.total_gb, 1) for m in stack.budgets()}
    assert asked == {"tts": 24.0, "chat": 16.0, "stt": 9.5}  # the seed's own numbers: 49.5 GB on 48

    plan = plan_memory(stack.budgets(), card_gb=48.0, reserve_gb=2.0)
    assert plan.fits and plan.free_gb == pytest.approx(2.2, abs=0.05)
    assert [(s.stage, s.change) for s in plan.shrinks] == [
        ("chat", "num_ctx 8192 -> 4096 (chat_context_tokens = 4096)"),
        ("stt", "--max-model-len 4096 -> 2048"),
        ("stt", "--enforce-eager (no CUDA graphs)"),
        ("tts", "kv_cache_lengths [1024, 4096, 8192] -> [1024, 4096]"),
        ("chat", "num_ctx 4096 -> 2048 (chat_context_tokens = 2048)"),
    ]
    assert sum(s.saved_gb for s in plan.shrinks) == pytest.approx(49.5 - 45.8, abs=0.1)
    assert plan.model("chat").cache_tokens == (2048,) and plan.model("stt").eager
    assert plan.swaps == ()
    text = "\n".join(plan.lines())
    assert "asked 24.0" in text and "fits" in text


def test_no_shrinking_when_it_fits_and_swaps_named_when_shrinking_is_not_enough():
    roomy = plan_memory(SeedStack().budgets(), card_gb=80.0)
    assert roomy.fits and roomy.shrinks == () and roomy.models == roomy.requested

    tight = plan_memory(SeedStack(chat_context=8192).budgets(), card_gb=46.0, reserve_gb=2.0)
    assert not tight.fits
    assert [s.stage for s in tight.swaps] == ["chat"]  # the smallest swap that covers the gap
    assert "DOES NOT FIT" in "\n".join(tight.lines())


def test_remote_servers_cost_this_card_nothing():
    stack = SeedStack(chat_context=8192, local={"tts": True, "chat": True, "stt": False})
    plan = plan_memory(stack.budgets(), card_gb=48.0)
    assert plan.model("stt").total_gb == 0.0 and plan.fits
    assert all(s.stage != "stt" for s in plan.shrinks)
    assert plan.as_dict()["models"][2]["local"] is False


def test_vllm_flags_hold_the_server_to_its_share():
    model = voxtral_budget(2048, eager=True)
    flags = vllm_memory_flags(model, card_gb=48.0)
    fraction = float(flags[flags.index("--gpu-memory-utilization") + 1])
    assert fraction == pytest.approx((model.total_gb + 0.05) / 48.0, abs=1e-3)
    assert int(flags[flags.index("--kv-cache-memory-bytes") + 1]) == int(model.cache_gb * 1e9)
    assert flags[flags.index("--max-model-len") + 1] == "2048" and "--enforce-eager" in flags
