"""Headless subcommands of `ai-anchor-studio`, one module each (add_parser + run).

To add a command: write `studio/commands/NAME.py` with `add_parser(subparsers)` and
`run(settings, args) -> int`, and list the module in COMMANDS.
"""

from __future__ import annotations

import importlib
from types import ModuleType

COMMANDS: tuple[str, ...] = ("run", "serve", "bench", "voices", "sessions", "devices", "doctor", "host")


def command_modules() -> list[ModuleType]:
    """The command modules, imported lazily by the CLI (they import nothing heavy at top level)."""
    return [importlib.import_module(f"studio.commands.{name}") for name in COMMANDS]
