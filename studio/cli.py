"""`ai-anchor-studio`: the studio window by default, plus the headless subcommands.

Every user-facing failure ends as one line on stderr naming the problem, and a non-zero exit.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from studio import __version__
from studio.commands import command_modules
from studio.commands.common import EXIT_BAD_INPUT, EXIT_FAILED, STACK_CHOICES, fail
from studio.config import Settings, SettingsError, load_settings
from studio.heap import tune_allocator
from studio.logs import configure_logging


def _parser(modules: list) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ai-anchor-studio",
        description="Live broadcasting studio with an AI co-anchor. Without a command: the studio window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--stack", choices=STACK_CHOICES, help="model stack")
    parser.add_argument("--verbose", "-v", action="store_true", help="log details to stderr")
    parser.add_argument("--screenshot", type=Path, help="save the window to PNG once ready, then exit")
    sub = parser.add_subparsers(dest="command")
    for module in modules:
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, build the settings once, dispatch."""
    tune_allocator()  # before any model runtime starts its worker threads
    modules = {module.__name__.rsplit(".", 1)[-1]: module for module in command_modules()}
    args = _parser(list(modules.values())).parse_args(argv)
    configure_logging(args.verbose, getattr(args, "log_format", "text"))  # serve/run: --log-format json
    try:
        settings = load_settings(stack=getattr(args, "sub_stack", None) or args.stack)
    except SettingsError as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    if args.command in modules:
        return modules[args.command].run(settings, args)
    return _gui(settings, args)


def _gui(settings: Settings, args: argparse.Namespace) -> int:
    try:
        from studio.ui.app import run_app
    except ImportError as exc:
        return fail(
            f"the studio window needs PySide6 ({exc}); reinstall with scripts/install.sh", EXIT_FAILED
        )
    return run_app(settings, screenshot=args.screenshot)


if __name__ == "__main__":
    raise SystemExit(main())
