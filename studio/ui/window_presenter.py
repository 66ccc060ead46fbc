"""The studio window's decisions without Qt: what each show event changes on screen, and which show
command each host action becomes.

A passive view (StudioWindow, or a fake in tests) shows what the presenter hands it. The presenter
keeps the transcript, the stage board, the settings, the voices and the mode; it never waits on
the show (its commands return at once) nor on a device (DevicePresenter lists them on a worker).
Threading: every method runs on the view's thread (the Qt main thread in the studio).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.config import Settings
from studio.engine.events import EngineEvent, HostLineResumed, ReplyCaptioned, TurnCompleted
from studio.show.alerts import AlertCleared, AlertRaised
from studio.ui.device_presenter import DevicePresenter
from studio.ui.stage_board import Banner, StageBoard
from studio.ui.transcript_model import TranscriptLog
from studio.ui.window_ports import Memory, ShowFace, StudioView
from studio.voices.profile import VoiceProfile

TROUBLE = ("degraded", "down")
DEVICE_KEYS = ("mic_device", "program_device", "monitor_device")
SHOW_SIGNALS = (
    "stage_status_changed", "engine_ready", "engine_failed", "host_speech_started", "transcript_updated",
    "turn_discarded", "reply_clause_started", "anchor_interrupted", "turn_completed", "file_feed_finished",
    "file_feed_failed", "session_log_failed", "event_emitted", "settings_applied", "reload_failed",
)  # fmt: skip
DEVICE_SIGNALS = ("audio_opened", "audio_failed", "device_event")  # DevicePresenter's


class StudioPresenter:
    """Turns show events into what the window shows and host actions into show commands."""

    def __init__(
        self,
        view: StudioView,
        show: ShowFace,
        memory: Memory,
        settings: Settings,
        voices: list[VoiceProfile],
        log: TranscriptLog | None = None,
    ) -> None:
        self.view, self.show, self.memory = view, show, memory
        self.settings, self.voices = settings, list(voices)
        self.log = log or TranscriptLog()
        self.board = StageBoard()
        self.ready = False
        self.mode = settings.turn_mode
        self.voice_index = self._index_of(show.voice.name)

    # ----- Notes: how the host is told things -------------------------------------------------
    def note(self, text: str) -> None:
        """A line in the transcript (not exported: notes are the studio's, not the show's)."""
        self.log.note(text)
        self.view.refresh_transcript()

    def status(self, text: str, ms: int = 0) -> None:
        self.view.show_status(text, ms)

    def warn(self, title: str, text: str) -> None:
        self.view.warn(title, text)

    # ----- the stages -------------------------------------------------------------------------
    def on_stage_status_changed(self, stage: str, backend: str, state: str, detail: str) -> None:
        self.board.set(stage, state, detail)
        self.view.set_light(stage, backend, state, detail)
        self.view.show_banner(self.board.banner())
        if state in TROUBLE:
            self.note(f"{stage} {state}: {detail or backend}")

    def on_engine_ready(self, backends: dict) -> None:
        """Choices made while the models loaded (or restored from last time) reach the show now."""
        self.ready = True
        self.show.set_mode(self.mode)
        voice = self.current_voice()
        if voice is not None and voice.name != self.show.voice.name:
            self.show.set_voice(voice)
        for stage in self.board.still_loading():
            if stage in backends:
                self.board.set(stage, "ready", "")
                self.view.set_light(stage, backends[stage], "ready", "")
        names = ", ".join(f"{k}: {v}" for k, v in backends.items() if k != "preset")
        self.status(f"On air — {names}", 15_000)
        self.view.show_banner(self.board.banner())

    def on_engine_failed(self, message: str) -> None:
        self.ready = False
        for stage in self.board.states:
            self.board.states[stage] = "down"
            self.view.set_light(stage, "", "down", message)
        text = f"The model stack stopped: {message}. Fix it in Settings…, the window stays up."
        self.view.show_banner(Banner(text, "down"))

    # ----- the transcript ---------------------------------------------------------------------
    def on_host_speech_started(self, turn_id: int) -> None:
        self.log.host_started(turn_id)
        self.view.refresh_transcript()

    def on_transcript_updated(self, turn_id: int, text: str, is_final: bool) -> None:
        self.log.host_text(turn_id, text, is_final)
        self.view.refresh_transcript()

    def on_turn_discarded(self, turn_id: int, reason: str) -> None:
        entry = self.log.entry(turn_id, "host")
        if entry is not None and not entry.text.strip():
            self.log.drop(turn_id, "host")
            self.view.rebuild_transcript()
        self.status(f"No turn: {reason}", 4000)

    def on_reply_clause_started(self, turn_id: int, clause: str) -> None:
        self.log.anchor_clause(turn_id, clause)
        self.view.refresh_transcript()

    def on_event_emitted(self, event: EngineEvent) -> None:
        """Every event is kept for export; those without a dedicated signal are shown here."""
        self.log.record(event)
        if isinstance(event, ReplyCaptioned):
            self.log.anchor_clause(event.turn_id, event.clause)
            self.view.refresh_transcript()
            self.status(f"Caption only: {event.reason}", 5000)
        elif isinstance(event, HostLineResumed):
            self.log.host_resumed(event.turn_id)
            self.view.refresh_transcript()
        elif isinstance(event, AlertRaised | AlertCleared):
            self.on_alert(event)

    def on_alert(self, event: AlertRaised | AlertCleared) -> None:
        """A slow turn or full GPU joins the banner until cleared (a stage down has its own line)."""
        if event.kind == "stage_down":
            return
        if isinstance(event, AlertRaised):
            self.board.alerts[event.kind] = event.message
        else:
            self.board.alerts.pop(event.kind, None)
        self.view.show_banner(self.board.banner())

    def on_anchor_interrupted(self, turn_id: int, heard: str) -> None:
        self.status("Anchor interrupted", 3000)

    def on_turn_completed(self, turn: TurnCompleted) -> None:
        host = self.log.entry(turn.turn_id, "host")
        if host is not None and not host.final:
            self.log.host_text(turn.turn_id, turn.transcript, True)
        self.log.anchor_done(turn.turn_id, turn.heard, turn.reply, turn.interrupted)
        self.view.refresh_transcript()
        self.view.add_latency_turn(turn.latency_ms)

    def on_file_feed_finished(self, path: str) -> None:
        self.status(f"Finished playing {path}")

    def on_file_feed_failed(self, message: str) -> None:
        self.status(message, 10_000)
        self.warn("Cannot play that file", message)

    def on_session_log_failed(self, message: str) -> None:
        self.note(message)
        self.status(message, 15_000)

    # ----- host actions -----------------------------------------------------------------------
    def interrupt(self) -> None:
        self.show.interrupt()

    def talk(self, pressed: bool) -> None:
        """The talk button: only push-to-talk listens to it."""
        if self.mode == "push_to_talk":
            self.show.push_to_talk(pressed)

    def hotkey_talk(self, pressed: bool) -> None:
        """The talk key: like the button, and the button lights while the key holds it."""
        if self.mode == "push_to_talk":
            self.view.show_talk_held(pressed)
            self.show.push_to_talk(pressed)

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.show.set_mode(mode)
        self.memory.setValue("mode", mode)

    def play_host_file(self, path: Path) -> None:
        self.status(f"Playing {path.name} as the host…")
        self.show.play_file(path)

    # ----- voices -----------------------------------------------------------------------------
    def _index_of(self, name: str) -> int:
        names = [voice.name for voice in self.voices]
        return names.index(name) if name in names else (0 if names else -1)

    def current_voice(self) -> VoiceProfile | None:
        index = self.voice_index
        return self.voices[index] if 0 <= index < len(self.voices) else None

    def choose_voice(self, index: int) -> None:
        """The host picked a voice: it speaks from the next reply, and is remembered."""
        self.voice_index = index
        voice = self.current_voice()
        if voice is not None:
            self.show.set_voice(voice)
            self.memory.setValue("voice", voice.name)
            self.status(f"Voice {voice.name} from the next reply", 4000)

    def set_voices(self, voices: list[VoiceProfile], select: str | None = None) -> None:
        """New profiles (the voice manager changed them): keep the choice, or `select`."""
        current = self.current_voice()
        keep = select or (current.name if current is not None else "")
        self.voices = list(voices)
        names = [voice.name for voice in self.voices]
        index = names.index(keep) if keep in names else 0
        self.view.show_voices(names, index, [voice.language for voice in self.voices])
        self.choose_voice(index)

    def on_voice_renamed(self, old: str, new: str) -> bool:
        """True when the renamed voice is the one on show (the caller reloads, selecting `new`)."""
        current = self.current_voice()
        return current is not None and current.name == old

    # ----- devices and settings ---------------------------------------------------------------
    def choose_devices(self, mic: str, program: str, monitor: str) -> None:
        """Remember the devices by name and reopen the streams on them (the show goes on)."""
        for role, name in (("mic", mic), ("program", program), ("monitor", monitor)):
            self.memory.setValue(f"devices/{role}", name)
        changes = dict(zip(DEVICE_KEYS, (mic or None, program or None, monitor or None), strict=True))
        if all(getattr(self.settings, key) == value for key, value in changes.items()):
            return
        self.status(
            f"Opening mic {mic or 'default'}, program {program or 'default'}, monitor {monitor or 'off'}…",
            5000,
        )
        self.settings = self.settings.model_copy(update=changes)
        self.show.set_devices(mic or None, program or None, monitor or None)

    def apply_settings(self, new: Settings) -> None:
        """Saved in the settings dialog: keys and alert at once; the rest through the show."""
        self.view.apply_keys(new.ptt_hotkey, new.interrupt_hotkey)
        self.view.set_latency_alert(new.max_latency_ms)
        kept = {key: getattr(self.settings, key) for key in DEVICE_KEYS}  # the dialog leaves them be
        self.reload_settings(new.model_copy(update=kept))
        self.status("Settings saved", 4000)

    def reload_settings(self, settings: Settings) -> None:
        """New settings for the running show: it rebuilds only what they change, the show goes on."""
        self.settings = settings
        self.show.reload_settings(settings)

    def on_settings_applied(self, rebuilt: tuple) -> None:
        """Say what the new settings rebuilt (nothing: they apply from the next frame)."""
        if rebuilt:
            self.status(f"Settings applied (rebuilt: {', '.join(rebuilt)})", 5000)

    def on_reload_failed(self, message: str) -> None:
        """New models could not load: the show goes on with the old ones, and the host is told."""
        self.note(f"New settings not applied: {message}")
        self.status(message, 15_000)

    # ----- remembered from last time ----------------------------------------------------------
    def restore(self) -> None:
        """The mode and voice the host used last time (they reach the show once it is ready)."""
        mode = self.memory.value("mode")
        if mode in ("auto", "push_to_talk") and mode != self.mode:
            self.view.show_mode(mode)  # the controls report it back through set_mode
        voice = self.memory.value("voice")
        names = [v.name for v in self.voices]
        current = self.current_voice()
        if voice and voice in names and (current is None or voice != current.name):
            self.view.show_voices(names, names.index(voice), [v.language for v in self.voices])
            self.choose_voice(names.index(voice))


def show_slots(presenter: StudioPresenter, devices: DevicePresenter) -> list[tuple[str, Callable[..., Any]]]:
    """Each ShowThread signal (by name) and the presenter method `on_<signal>` that handles it."""
    return [(name, getattr(presenter, f"on_{name}")) for name in SHOW_SIGNALS] + [
        (name, getattr(devices, f"on_{name}")) for name in DEVICE_SIGNALS
    ]
