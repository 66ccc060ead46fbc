"""Facts the show reports besides the engine's own: readiness, audio devices, file feeds, reloads.

They travel on the same bus as the engine's events, in one order, so every face and subscriber
(window, `run`, benches, session log) sees one stream.
Threading: published on the show's asyncio loop (before the loop runs, from the caller's thread).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.engine.events import EngineEvent
from studio.rundown.events import SegmentChanged


@dataclass(frozen=True, slots=True)
class ShowReady:
    """The stack is loaded and the engine runs; the host can talk."""

    backends: dict[str, str] = field(default_factory=dict)  # stage → backend name (+ preset)


@dataclass(frozen=True, slots=True)
class AudioOpened:
    """The devices are open; `stats` is AudioIO.stats() (names, states, counters)."""

    stats: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AudioFailed:
    """No devices: the show runs on with typed lines and file input."""

    message: str


@dataclass(frozen=True, slots=True)
class DeviceChanged:
    """A device was lost, fell back or came back (AudioIO's device watch)."""

    role: str
    device: str
    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class FileFeedFinished:
    """A file played as the host has been heard to its end; the mic is heard again."""

    path: str


@dataclass(frozen=True, slots=True)
class FileFeedFailed:
    """A file could not be played as the host; the message is for the user."""

    message: str


@dataclass(frozen=True, slots=True)
class SessionLogFailed:
    """The session log cannot be written; the show goes on unlogged."""

    message: str


@dataclass(frozen=True, slots=True)
class SettingsApplied:
    """New settings are in force; `rebuilt` names what had to be rebuilt (stack, audio, policy…)."""

    rebuilt: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReloadFailed:
    """New settings needed a part that could not be built; the show keeps the previous one."""

    message: str


@dataclass(frozen=True, slots=True)
class MicMuteChanged:
    """The host mic was muted or unmuted (by the window, a control surface or a hotkey)."""

    muted: bool


ShowEvent = (
    EngineEvent
    | ShowReady
    | AudioOpened
    | AudioFailed
    | DeviceChanged
    | FileFeedFinished
    | FileFeedFailed
    | SessionLogFailed
    | SettingsApplied
    | ReloadFailed
    | MicMuteChanged
    | SegmentChanged
)
