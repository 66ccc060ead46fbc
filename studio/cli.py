"""`ai-anchor-studio`: the GUI by default, plus headless subcommands (run, bench).

Every user-facing failure ends as one line on stderr naming the problem, and a non-zero exit.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from studio import __version__
from studio.config import SettingsError, data_dir, load_settings

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ai-anchor-studio",
        description="Live broadcasting studio with an AI co-anchor. Without a command: the studio window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--stack", choices=["auto", "embedded", "gpu"], help="model stack")
    parser.add_argument("--verbose", "-v", action="store_true", help="log details to stderr")
    parser.add_argument("--screenshot", type=Path, help="save the window to PNG once ready, exit")
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="play a recording as the host's mic; write the anchor's audio")
    run.add_argument("--input", required=True, type=Path, help="host recording (WAV/FLAC/OGG/MP3)")
    run.add_argument("--output", type=Path, help="where to write the anchor's audio (WAV)")
    run.add_argument("--voice", help="voice profile name (default: the first one)")
    run.add_argument("--stack", choices=["auto", "embedded", "gpu"], dest="sub_stack")
    run.add_argument("--fast", action="store_true", help="no real-time pacing (latency figures not live)")
    run.add_argument("--json", action="store_true", help="print one JSON object")

    bench = sub.add_parser("bench", help="measure latency, overhead, memory and start time")
    bench.add_argument("--turns", type=int, default=10, help="turns per measurement (default 10)")
    bench.add_argument("--stack", choices=["auto", "embedded", "gpu"], dest="sub_stack")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _fail(message: str, code: int) -> int:
    print(f"ai-anchor-studio: error: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, build the settings once, dispatch."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    stack = getattr(args, "sub_stack", None) or args.stack
    try:
        settings = load_settings(stack=stack)
    except SettingsError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    if args.command == "run":
        return _run(settings, args)
    if args.command == "bench":
        return _bench(settings, args)
    return _gui(settings, args)


def _run(settings, args: argparse.Namespace) -> int:
    from studio.audio.recording import RecordingError, open_host_recording
    from studio.audio.wavwriter import OutputPathError, check_writable
    from studio.backends.registry import BackendLoadError
    from studio.headless import RunRequest, ShowError, execute
    from studio.voices.catalog import VoiceCatalog
    from studio.voices.profile import VoiceProfileError

    try:
        recording = open_host_recording(args.input)
        if args.output is not None:
            check_writable(args.output)
        voice = VoiceCatalog(data_dir() / "voices").get(args.voice or settings.voice)
    except (RecordingError, OutputPathError, VoiceProfileError) as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    request = RunRequest(recording, args.output, voice, args.fast, args.json)
    try:
        return execute(settings, request)
    except (BackendLoadError, ShowError) as exc:
        return _fail(str(exc), EXIT_FAILED)
    except OSError as exc:
        return _fail(f"cannot write {args.output}: {exc.strerror or exc}", EXIT_FAILED)
    except KeyboardInterrupt:
        return _fail("stopped by the user; nothing written", 130)


def _bench(settings, args: argparse.Namespace) -> int:
    from studio.backends.registry import BackendLoadError
    from studio.bench.runner import execute_bench

    if args.turns < 1:
        return _fail("--turns must be at least 1", EXIT_BAD_INPUT)
    try:
        return execute_bench(settings, args.turns, args.json)
    except BackendLoadError as exc:
        return _fail(str(exc), EXIT_FAILED)


def _gui(settings, args: argparse.Namespace) -> int:
    try:
        from studio.ui.app import run_app
    except ImportError as exc:
        return _fail(f"the studio window needs PySide6 ({exc}); reinstall with the install script", 1)
    os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")
    return run_app(settings, screenshot=args.screenshot)


if __name__ == "__main__":
    raise SystemExit(main())
