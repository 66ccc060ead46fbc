"""The backends a show runs on: built by a factory (or handed in), with fault injection applied.

Fault injection comes from the `faults` setting (`AI_ANCHOR_FAULTS` in the environment), so
every face that starts a show gets the same misbehaving stack when one is asked for.
Threading: `load_stack` runs on the show's loop; factories load models in worker threads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from studio.backends.registry import BackendLoadError, BackendStack, ProgressCallback
from studio.config import Settings
from studio.faults import FaultPlan, FaultSpecError, inject_faults

StackFactory = Callable[[Settings, ProgressCallback], Awaitable[BackendStack]]


def fault_plan(settings: Settings, seed: int = 7) -> FaultPlan | None:
    """The fault plan the settings ask for (None: no faults); a bad spec stops the start, named."""
    spec = settings.faults.strip()
    if not spec:
        return None
    try:
        return FaultPlan(spec, seed=seed)
    except FaultSpecError as exc:
        raise BackendLoadError(f"fault injection: {exc}") from None


async def load_stack(
    settings: Settings,
    factory: StackFactory,
    progress: ProgressCallback,
    given: BackendStack | None = None,
    plan: FaultPlan | None = None,
) -> BackendStack:
    """`given`, or a stack the factory builds, wrapped by `plan` when faults are asked for."""
    stack = given if given is not None else await factory(settings, progress)
    return stack if plan is None else inject_faults(stack, plan)
