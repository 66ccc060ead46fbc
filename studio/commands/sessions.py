"""`ai-anchor-studio sessions list|show|export`: read back the session logs of past shows."""

from __future__ import annotations

import argparse
from pathlib import Path

from studio.commands.common import EXIT_BAD_INPUT, EXIT_FAILED, fail
from studio.config import Settings
from studio.fileio import write_atomic


def add_parser(sub: argparse._SubParsersAction) -> None:
    sessions = sub.add_parser("sessions", help="list, show or export the session logs of past shows")
    actions = sessions.add_subparsers(dest="sessions_action", required=True)
    actions.add_parser("list", help="every session log, oldest first")
    show = actions.add_parser("show", help="a session as a readable transcript")
    show.add_argument(
        "session", help="log file, or its name in the sessions folder (default: latest)", nargs="?"
    )
    export = actions.add_parser("export", help="a session as text or SubRip subtitles")
    export.add_argument(
        "session", help="log file, or its name in the sessions folder (default: latest)", nargs="?"
    )
    export.add_argument("--srt", action="store_true", help="SubRip subtitles instead of plain text")
    export.add_argument("--output", type=Path, help="write here instead of standard output")


def _resolve(name: str | None) -> Path:
    from studio.session.log import sessions_dir

    if name is None:
        logs = sorted(sessions_dir().glob("*.jsonl"))
        if not logs:
            raise FileNotFoundError(f"no session logs in {sessions_dir()}")
        return logs[-1]
    path = Path(name)
    if path.exists():
        return path
    for candidate in (sessions_dir() / name, sessions_dir() / f"{name}.jsonl"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{name}: no such session log (see `ai-anchor-studio sessions list`)")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from studio.session.export import SessionReadError, list_sessions, read_session, session_srt, session_text
    from studio.session.log import sessions_dir

    if args.sessions_action == "list":
        summaries = list_sessions(sessions_dir())
        if not summaries:
            print(f"no session logs in {sessions_dir()}")
        for s in summaries:
            state = "" if s.ended else "  (did not end cleanly)"
            print(
                f"{s.path.name}  {s.started_at[:19]}  {s.seconds / 60:6.1f} min  voice {s.voice or '?'}  "
                f"host {s.host_lines}  anchor {s.anchor_lines}  degraded {s.degradations}{state}"
            )
        return 0
    try:
        path = _resolve(args.session)
        records = read_session(path)
    except (FileNotFoundError, SessionReadError) as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    text = session_srt(records) if getattr(args, "srt", False) else session_text(records)
    output = getattr(args, "output", None)
    if output is None:
        print(text, end="")
        return 0
    try:
        write_atomic(output, text)
    except OSError as exc:
        return fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_FAILED)
    print(f"wrote {output}")
    return 0
