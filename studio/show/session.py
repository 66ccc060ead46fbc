"""The show's session log: opened once per show, kept across settings and device changes.

Threading: opened on the show's loop; the log writes on its own thread (see studio.session.log).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from studio.session.log import SessionLog, SessionLogError
from studio.session.recorder import SessionRecorder
from studio.show.events import SessionLogFailed, ShowEvent


def unused_path(path: Path) -> Path:
    """`path`, or `name-2.jsonl`, `name-3.jsonl`… when a studio restart in the same second took it."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


def open_session(
    path: Path | None, strict: bool, publish: Callable[[ShowEvent], None]
) -> SessionRecorder | None:
    """A recorder on `path` (None: the show is not logged); a log that cannot open is reported.

    `strict` (a batch run): the SessionLogError propagates instead, before anything airs.
    """
    if path is None:
        return None
    try:
        return SessionRecorder(SessionLog(path))
    except (SessionLogError, OSError) as exc:
        if strict:
            raise
        publish(SessionLogFailed(f"session log cannot be written ({exc}); the show goes on unlogged"))
        return None
