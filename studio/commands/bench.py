"""`ai-anchor-studio bench`: latency per stage, engine overhead, memory and start time."""

from __future__ import annotations

import argparse

from studio.commands.common import EXIT_BAD_INPUT, EXIT_FAILED, STACK_CHOICES, fail
from studio.config import Settings


def add_parser(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="measure latency, overhead, memory and start time")
    bench.add_argument("--turns", type=int, default=10, help="turns per measurement (default 10)")
    bench.add_argument("--stack", choices=STACK_CHOICES, dest="sub_stack", help="model stack")
    bench.add_argument("--json", action="store_true", help="print one JSON object")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from studio.backends.registry import BackendLoadError
    from studio.bench.runner import execute_bench

    if args.turns < 1:
        return fail("--turns must be at least 1", EXIT_BAD_INPUT)
    try:
        return execute_bench(settings, args.turns, args.json)
    except BackendLoadError as exc:
        return fail(str(exc), EXIT_FAILED)
