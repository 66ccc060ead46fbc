"""What every subcommand shares: how a user-facing failure is printed, and the exit codes."""

from __future__ import annotations

import sys

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_DEGRADED = 2  # `run` without --allow-degraded: a stage could not start (same code as bad input)
EXIT_INTERRUPTED = 130
STACK_CHOICES = ("auto", "embedded", "gpu")


def fail(message: str, code: int) -> int:
    """One line on stderr naming the problem; the caller returns the code."""
    print(f"ai-anchor-studio: error: {message}", file=sys.stderr)
    return code
