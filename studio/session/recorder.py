"""Turns the engine's events into session-log records, and holds each anchor line until it is logged.

The show (studio.show) subscribes `on_event` to its event stream and hands `air_gate` to the
engine it creates, so no clause plays before its `anchor_line` record is on disk.
Threading: event handlers run on the engine loop (they only queue records; the disk is the log's).
"""

from __future__ import annotations

from typing import Any

from studio.engine.approval import ReplyApprovalSettled, ReplyAwaitingApproval
from studio.engine.events import (
    AnchorHeld,
    AnchorInterrupted,
    AnchorLineQueued,
    EngineEvent,
    HostLineResumed,
    HostSpeechStarted,
    ReplyCaptioned,
    ReplyClauseStarted,
    StageStatusChanged,
    TranscriptUpdated,
    TurnCompleted,
    TurnDecided,
    TurnDiscarded,
)
from studio.engine.safety import ClauseBlocked
from studio.rundown.events import SegmentChanged
from studio.session.log import FORMAT_VERSION, SessionLog


def record_of(event: EngineEvent | SegmentChanged | Any) -> tuple[str, dict[str, Any]] | None:
    """The (kind, fields) the session log keeps for `event`; None for what it does not keep."""
    match event:
        case HostSpeechStarted(turn_id):
            return "host_speech_started", {"turn": turn_id}
        case HostLineResumed(turn_id, reason):
            return "host_line_resumed", {"turn": turn_id, "reason": reason}
        case TranscriptUpdated(turn_id, text, True) if text:
            return "host_line", {"turn": turn_id, "text": text}
        case TurnDecided(turn_id, _, reason):
            return "turn_decided", {"turn": turn_id, "reason": reason}
        case TurnDiscarded(turn_id, reason):
            return "turn_discarded", {"turn": turn_id, "reason": reason}
        case AnchorLineQueued(turn_id, clause, voice, backends, latency_ms):
            fields = {"turn": turn_id, "text": clause, "voice": voice}
            return "anchor_line", {**fields, "backends": backends, "latency_ms": latency_ms}
        case ReplyClauseStarted(turn_id, clause):
            return "anchor_line_aired", {"turn": turn_id, "text": clause}
        case ReplyCaptioned(turn_id, clause, reason):
            return "anchor_caption", {"turn": turn_id, "text": clause, "reason": reason}
        case AnchorHeld(turn_id, held, reason):  # a pause for a possible barge-in, and its end
            return "anchor_held" if held else "anchor_hold_ended", {"turn": turn_id, "reason": reason}
        case AnchorInterrupted(turn_id, heard, reason):
            return "interrupted", {"turn": turn_id, "heard": heard, "reason": reason}
        case StageStatusChanged(stage, backend, state, detail) if state != "loading":
            return "stage_status", {"stage": stage, "backend": backend, "state": state, "detail": detail}
        case SegmentChanged() as change:
            return "segment", change.record()
        case ClauseBlocked() as hit:  # the rule and the word masked (studio.engine.safety)
            fields = {"turn": hit.turn_id, "reason": "blocked word", "rule": hit.rule, "pattern": hit.pattern}
            return "blocked_word", {
                **fields,
                "matched": hit.matched,
                "action": hit.action,
                "outcome": hit.outcome,
            }
        case ReplyAwaitingApproval(turn_id, text, timeout_s, on_timeout):
            fields = {"turn": turn_id, "text": text, "timeout_s": timeout_s, "on_timeout": on_timeout}
            return "approval_requested", fields
        case ReplyApprovalSettled(turn_id, outcome, text):
            return "approval", {"turn": turn_id, "outcome": outcome, "text": text}
        case TurnCompleted() as done:
            return "turn_completed", {
                "turn": done.turn_id,
                "transcript": done.transcript,
                "reply": done.reply,
                "heard": done.heard,
                "interrupted": done.interrupted,
                "audio_seconds": done.audio_seconds,
                "latency_ms": done.latency_ms,
                "backends": done.backends,
            }
    return None


class SessionRecorder:
    """Writes one engine's session to a SessionLog."""

    def __init__(self, log: SessionLog) -> None:
        self.log = log

    def start(self, voice: str, backends: dict[str, str], **details: Any) -> None:
        """The first record: what the show runs on."""
        self.log.append("session_started", version=FORMAT_VERSION, voice=voice, backends=backends, **details)

    async def air_gate(self) -> None:
        """The engine's air gate: a clause airs only once everything logged before it is on disk."""
        await self.log.wait_durable()

    def on_event(self, event: EngineEvent | SegmentChanged) -> None:
        """Log what the session keeps of `event` (any other event of the stream is ignored)."""
        record = record_of(event)
        if record is not None:
            kind, fields = record
            self.log.append(kind, **fields)

    def finish(self, reason: str = "ended") -> None:
        """The last record; then the file is closed."""
        self.log.append("session_ended", reason=reason)
        self.log.close()
