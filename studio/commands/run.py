"""`ai-anchor-studio run`: a host recording as the live mic → the anchor's audio and transcript."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from studio.commands.common import (
    EXIT_BAD_INPUT,
    EXIT_DEGRADED,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    STACK_CHOICES,
    fail,
)
from studio.config import Settings, data_dir
from studio.logs import add_log_format_argument

if TYPE_CHECKING:
    from studio.rundown import Rundown


def add_parser(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="play a recording as the host's mic; write the anchor's audio")
    run.add_argument("--input", required=True, type=Path, help="host recording (WAV/FLAC/OGG/MP3)")
    run.add_argument("--output", type=Path, help="where to write the anchor's audio (WAV)")
    run.add_argument("--voice", help="voice profile name (default: the first one)")
    run.add_argument("--stack", choices=STACK_CHOICES, dest="sub_stack", help="model stack")
    run.add_argument("--fast", action="store_true", help="no real-time pacing (latency figures not live)")
    run.add_argument("--json", action="store_true", help="print one JSON object")
    run.add_argument(
        "--session-log", type=Path, help="session log file (default: a new one in the data dir's sessions/)"
    )
    run.add_argument("--record", type=Path, help="also record the program audio here as it plays (WAV)")
    run.add_argument(
        "--output-device",
        metavar="NAME",
        help="play the anchor live to this output device, e.g. AI_Anchor_Out for OBS (see `devices`)",
    )
    run.add_argument(
        "--monitor-device", metavar="NAME", help="with --output-device: also play to these headphones"
    )
    run.add_argument(
        "--allow-degraded",
        action="store_true",
        help="run even when a stage cannot start (its fallback stands in); default: stop with exit code 2",
    )
    run.add_argument(
        "--rundown", type=Path, metavar="FILE", help="rundown TOML: the anchor knows its segment, time left"
    )
    add_log_format_argument(run)


def load_checked_rundown(path: Path) -> Rundown:
    """The rundown in `path`, its voices checked against the installed ones (RundownError otherwise)."""
    from studio.rundown import RundownError, load_rundown
    from studio.voices.catalog import VoiceCatalog

    rundown = load_rundown(path)
    catalog = VoiceCatalog(data_dir() / "voices")
    for number, segment in enumerate(rundown.segments, 1):
        if segment.voice and catalog.find(segment.voice) is None:
            known = ", ".join(p.name for p in catalog.profiles())
            raise RundownError(
                f'{path}: segment {number} ("{segment.title}"): voice {segment.voice!r} is not installed '
                f"(installed: {known}); fix the name or remove the field"
            )
    return rundown


def run(settings: Settings, args: argparse.Namespace) -> int:
    from studio.audio.devices import AudioDeviceError
    from studio.audio.recording import RecordingError, open_host_recording
    from studio.audio.wavwriter import OutputPathError, check_writable
    from studio.backends.registry import BackendLoadError, StackNotReady
    from studio.headless import RunRequest, ShowError, execute
    from studio.obs import attach_obs
    from studio.rundown import RundownError
    from studio.session.log import SessionLogError
    from studio.voices.catalog import VoiceCatalog
    from studio.voices.profile import VoiceProfileError

    if args.output_device and args.fast:
        message = "--fast cannot play to a live device (it runs faster than real time); drop one of them"
        return fail(message, EXIT_BAD_INPUT)
    if args.monitor_device and not args.output_device:
        return fail("--monitor-device needs --output-device (the program device)", EXIT_BAD_INPUT)
    try:
        recording = open_host_recording(args.input)
        for path in (args.output, args.record):
            if path is not None:
                check_writable(path)
        voice = VoiceCatalog(data_dir() / "voices").get(args.voice or settings.voice)
        rundown = load_checked_rundown(args.rundown) if args.rundown else None
    except (RecordingError, OutputPathError, VoiceProfileError, RundownError) as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    request = RunRequest(
        recording,
        args.output,
        voice,
        args.fast,
        args.json,
        session_log=args.session_log,
        record=args.record,
        output_device=args.output_device,
        monitor_device=args.monitor_device,
        allow_degraded=args.allow_degraded,
        rundown=rundown,
    )
    try:
        return execute(settings, request, attach=(attach_obs,))
    except AudioDeviceError as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    except StackNotReady as exc:
        return fail(str(exc), EXIT_DEGRADED)
    except (BackendLoadError, ShowError, SessionLogError) as exc:
        return fail(str(exc), EXIT_FAILED)
    except OSError as exc:
        return fail(f"cannot write {args.output}: {exc.strerror or exc}", EXIT_FAILED)
    except KeyboardInterrupt:
        return fail("stopped by the user; nothing written", EXIT_INTERRUPTED)
