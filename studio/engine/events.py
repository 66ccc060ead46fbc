"""Facts the engine reports (past tense), delivered to subscribers on the engine loop.

Threading: `EventBus.publish` runs subscribers synchronously on the engine loop; a subscriber that
lives elsewhere (the Qt adapter) must hand the event over to its own thread and return at once.
`subscribe`/`unsubscribe` may run on any thread (the subscribers are a tuple swapped under a lock).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

log = logging.getLogger(__name__)

StageState = Literal["loading", "ready", "degraded", "down"]


@dataclass(frozen=True, slots=True)
class StageStatusChanged:
    """A backend stage changed state (loading with progress, ready, degraded, down)."""

    stage: str
    backend: str
    state: StageState
    detail: str = ""
    action: str = ""  # what the host can do about it in-app, e.g. "pull" (the chat model is not pulled)


@dataclass(frozen=True, slots=True)
class HostSpeechStarted:
    """The host started talking (VAD onset or push-to-talk press)."""

    turn_id: int


@dataclass(frozen=True, slots=True)
class HostLineResumed:
    """The host went on before the anchor aired a word: the line continues, its reply is dropped."""

    turn_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class TranscriptUpdated:
    """New text for the host's current line; partials are replaced by the final."""

    turn_id: int
    text: str
    is_final: bool


@dataclass(frozen=True, slots=True)
class TurnDecided:
    """The host's turn is over and the anchor will answer `transcript`."""

    turn_id: int
    transcript: str
    reason: str


@dataclass(frozen=True, slots=True)
class TurnDiscarded:
    """A possible turn ended without anything to answer (noise, empty transcript)."""

    turn_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class ReplyClauseStarted:
    """The anchor started speaking this clause (its first sample left for the output)."""

    turn_id: int
    clause: str


@dataclass(frozen=True, slots=True)
class AnchorLineQueued:
    """A clause of the anchor's reply is about to be voiced (logged before any of it airs)."""

    turn_id: int
    clause: str
    voice: str
    backends: dict[str, str] = field(default_factory=dict)  # stage → backend (or its fallback)
    latency_ms: dict[str, float | None] = field(default_factory=dict)  # the turn's trace so far


@dataclass(frozen=True, slots=True)
class ReplyCaptioned:
    """A clause was shown as a caption instead of spoken (TTS down, or nothing speakable in it)."""

    turn_id: int
    clause: str
    reason: str


@dataclass(frozen=True, slots=True)
class AnchorHeld:
    """The anchor paused at a possible barge-in (`held`), or went on where it paused (not one)."""

    turn_id: int
    held: bool
    reason: str


@dataclass(frozen=True, slots=True)
class AnchorInterrupted:
    """Barge-in: the anchor was cut off; `heard` is what the audience actually heard."""

    turn_id: int
    heard: str
    reason: str


@dataclass(frozen=True, slots=True)
class TurnCompleted:
    """A full turn finished (or was interrupted), with its latency figures."""

    turn_id: int
    transcript: str
    reply: str
    heard: str
    interrupted: bool
    audio_seconds: float
    latency_ms: dict[str, float | None] = field(default_factory=dict)
    backends: dict[str, str] = field(default_factory=dict)


EngineEvent = (
    StageStatusChanged
    | HostSpeechStarted
    | HostLineResumed
    | TranscriptUpdated
    | TurnDecided
    | TurnDiscarded
    | ReplyClauseStarted
    | AnchorLineQueued
    | ReplyCaptioned
    | AnchorHeld
    | AnchorInterrupted
    | TurnCompleted
)
Subscriber = Callable[[EngineEvent], None]


SUBSCRIBER_FAILED = "event subscriber failed"  # the log message the test suite fails on


class EventBus:
    """Fan-out of engine events; a failing subscriber is a bug, logged loudly, that never stops the show.

    The test suite turns every such log record into a failure (tests/conftest.py).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: tuple[Subscriber, ...] = ()

    def subscribe(self, subscriber: Subscriber) -> None:
        """Call `subscriber` with every event from now on."""
        with self._lock:
            self._subscribers = (*self._subscribers, subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Stop calling `subscriber` (idempotent); a call already under way finishes."""
        with self._lock:
            self._subscribers = tuple(joined for joined in self._subscribers if joined != subscriber)

    @property
    def subscribers(self) -> int:
        """How many subscribers are joined now."""
        return len(self._subscribers)

    def publish(self, event: EngineEvent) -> None:
        """Hand `event` to every subscriber, in the order they joined."""
        for subscriber in self._subscribers:
            try:
                subscriber(event)
            except Exception:  # a UI bug must not stop the broadcast
                log.exception("%s on %s: %r", SUBSCRIBER_FAILED, type(event).__name__, subscriber)
