"""Plain stand-ins for the window's presenters: a view that remembers what it was shown, a show that
remembers the commands it got, a memory dict, and a worker that runs nothing until pumped."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.config import Settings
from studio.ui.device_choices import DeviceLists
from studio.ui.stage_board import Banner
from studio.voices.profile import VoiceProfile


class Worker:
    """Jobs: nothing runs until `pump()`, as if the worker thread were busy; callbacks run in the pump."""

    def __init__(self) -> None:
        self.pending: list[tuple[Callable[[], Any], concurrent.futures.Future[Any], Callable]] = []

    def run(self, job: Callable[[], Any], callback: Callable) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self.pending.append((job, future, callback))
        return future

    def pump(self) -> None:
        while self.pending:
            job, future, callback = self.pending.pop(0)
            try:
                future.set_result(job())
            except Exception as exc:
                future.set_exception(exc)
            callback(future)


class Memory(dict):
    """QSettings' two calls over a dict."""

    def value(self, key: str, defaultValue: Any = None) -> Any:
        return self.get(key, defaultValue)

    def setValue(self, key: str, value: Any) -> None:
        self[key] = value


@dataclass
class FakeShow:
    """The show's commands, noted in order; `voice` is what it speaks with now."""

    voice: VoiceProfile
    audio: Any = None
    session_log_path: Path = Path("session.jsonl")
    commands: list[tuple] = field(default_factory=list)

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name.startswith("_"):
            raise AttributeError(name)

        def command(*args: Any) -> None:
            self.commands.append((name, *args))
            if name == "set_voice":
                self.voice = args[0]

        return command

    def named(self, name: str) -> list[tuple]:
        return [command[1:] for command in self.commands if command[0] == name]


@dataclass
class FakeView:
    """Remembers the last thing of each kind it was shown."""

    lights: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    banner: Banner | None = None
    statuses: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    refreshed: int = 0
    rebuilt: int = 0
    latencies: list[dict] = field(default_factory=list)
    held: list[bool] = field(default_factory=list)
    mode: str | None = None
    voices: tuple[list[str], int] | None = None
    keys: tuple[str, str] | None = None
    alert_ms: int | None = None

    def show_status(self, text: str, ms: int = 0) -> None:
        self.statuses.append(text)

    def warn(self, title: str, text: str) -> None:
        self.warnings.append((title, text))

    def set_light(self, stage: str, backend: str, state: str, detail: str) -> None:
        self.lights[stage] = (backend, state, detail)

    def show_banner(self, banner: Banner | None) -> None:
        self.banner = banner

    def refresh_transcript(self) -> None:
        self.refreshed += 1

    def rebuild_transcript(self) -> None:
        self.rebuilt += 1

    def add_latency_turn(self, latency_ms: dict) -> None:
        self.latencies.append(latency_ms)

    def show_talk_held(self, held: bool) -> None:
        self.held.append(held)

    def show_mode(self, mode: str) -> None:
        self.mode = mode

    def show_voices(self, names: list[str], current: int, languages: list[str] | None = None) -> None:
        self.voices = (names, current)
        self.languages = languages

    def apply_keys(self, talk_key: str, interrupt_key: str) -> None:
        self.keys = (talk_key, interrupt_key)

    def set_latency_alert(self, max_latency_ms: int) -> None:
        self.alert_ms = max_latency_ms


@dataclass
class FakePickers:
    """The device pickers: what they offer, and the host's picks by name."""

    lists: DeviceLists | None = None
    error: str = ""
    picks: tuple[str, str, str] = ("", "", "")
    audio: dict | None = None
    audio_status: str = ""
    shown: int = 0

    def show_devices(self, lists: DeviceLists, error: str) -> None:
        self.lists, self.error, self.shown = lists, error, self.shown + 1

    def chosen(self) -> tuple[str, str, str]:
        return self.picks

    def choose(self, mic: str, program: str, monitor: str) -> None:
        self.picks = (mic, program, monitor)

    def show_audio(self, stats: dict) -> None:
        self.audio = stats

    def show_audio_status(self, text: str) -> None:
        self.audio_status = text


def settings(**changes: Any) -> Settings:
    from studio.config import load_settings

    return load_settings(**changes)
