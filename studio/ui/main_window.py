"""The host's console: waveforms, transcript, latency, memory, stage lights and the show controls.

Threading: Qt main thread only. The show runs in `ShowThread` and reaches us by queued
signals; waveforms and meters are pulled by one 30 fps timer from lock-free scopes. Nothing
here waits on the engine, a model or a device.
"""

from __future__ import annotations

import time
from pathlib import Path

import psutil
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.config import Settings, config_dir, data_dir
from studio.engine.events import EngineEvent, HostLineResumed, ReplyCaptioned, TurnCompleted
from studio.ui import theme
from studio.ui.controls import ControlPanel
from studio.ui.device_pickers import DevicePickers
from studio.ui.hotkeys import HotkeyFilter
from studio.ui.latency_panel import LatencyPanel
from studio.ui.model_pull import PullBar
from studio.ui.resource_gauge import ResourceGauge
from studio.ui.settings_dialog import SettingsDialog
from studio.ui.show_thread import ShowThread
from studio.ui.stage_lights import StageLights, banner_text
from studio.ui.transcript_model import TranscriptLog
from studio.ui.transcript_view import TranscriptView
from studio.ui.voice_manager import VoiceManagerDialog
from studio.ui.watchdog import MainThreadWatchdog
from studio.ui.waveforms import ScopeTrace, WaveformPanel
from studio.voices.catalog import VoiceCatalog
from studio.voices.profile import VoiceProfile
from studio.voices.store import VoiceProfileStore

REFRESH_MS = 33  # ≥ 30 fps waveforms


def window_state() -> QSettings:
    """Geometry, layout, voice, mode and devices, kept beside settings.toml."""
    return QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)


class StudioWindow(QMainWindow):
    """The studio window over one show (its Qt edge); settings and devices change it in place."""

    def __init__(
        self,
        settings: Settings,
        voices: list[VoiceProfile],
        engine: ShowThread,
        device_lister=None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("AI Anchor Studio")
        self.setObjectName("studio")
        self.resize(1280, 800)
        self.settings, self._voices = settings, list(voices)
        self.engine = engine
        self.ready = False
        self._stage_details: dict[str, str] = {}
        self.shown_after_ms: float | None = None
        self.log = TranscriptLog()

        # ---- top bar: lights, voice, settings
        self.lights = StageLights()
        self.voice_box = QComboBox()
        self.voice_box.setMinimumContentsLength(12)
        self.voice_box.addItems([v.name for v in self._voices])
        self._show_languages()
        self.voice_box.setCurrentText(engine.voice.name)
        self.voice_box.currentIndexChanged.connect(self._on_voice_chosen)
        self.voice_box.setToolTip("The anchor's voice and persona; a switch applies from the next reply")
        self.voices_button = QPushButton("Voices…")
        self.voices_button.setToolTip("Make, check and pick the anchor's voices")
        self.voices_button.clicked.connect(self.open_voice_manager)
        self.voice_manager: VoiceManagerDialog | None = None
        self.voice_manager_options: dict = {}  # extra VoiceManagerDialog arguments (player, recorder_factory)
        self.settings_button = QPushButton("Settings…")
        self.settings_button.clicked.connect(self.open_settings)
        top = QHBoxLayout()
        top.addWidget(self.lights)
        top.addStretch(1)
        top.addWidget(QLabel("Voice"))
        top.addWidget(self.voice_box)
        top.addWidget(self.voices_button)
        top.addWidget(self.settings_button)
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.pull_bar = PullBar(settings.OLLAMA_HOST, settings.OLLAMA_MODEL_NAME)  # "model not pulled"
        self.pull_bar.pulled.connect(self.engine.recheck)

        # ---- left: waveforms, latency, memory, devices
        self.mic_trace = ScopeTrace("Host mic", theme.HOST, lambda: (self.engine.mic_scope, None))
        self.program_trace = ScopeTrace(
            "Program", theme.ANCHOR, lambda: (self.engine.output.scope, self.engine.output.played_samples())
        )
        self.waveforms = WaveformPanel(self.mic_trace, self.program_trace)
        self.latency = LatencyPanel(settings.max_latency_ms)
        self.gauge = ResourceGauge()
        self.devices = DevicePickers(device_lister) if device_lister else DevicePickers()
        self.devices.devices_chosen.connect(self._on_devices_chosen)
        self.devices.anchor_sink_requested.connect(self.create_anchor_sink)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        for title, widget, stretch in (
            ("Audio", self.waveforms, 3),
            ("Latency (ms from the end of the host's speech)", self.latency, 2),
            ("Memory", self.gauge, 0),
            ("Devices", self.devices, 0),
        ):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(widget)
            left_layout.addWidget(box, stretch)

        # ---- right: transcript with export
        self.transcript = TranscriptView(self.log)
        copy_button = QPushButton("Copy")
        copy_button.clicked.connect(self.copy_transcript)
        export_text = QPushButton("Export text…")
        export_text.clicked.connect(lambda: self.export_transcript("txt"))
        export_srt = QPushButton("Export SRT…")
        export_srt.clicked.connect(lambda: self.export_transcript("srt"))
        right = QGroupBox("Transcript")
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.transcript, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (copy_button, export_text, export_srt):
            buttons.addWidget(button)
        right_layout.addLayout(buttons)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        # ---- bottom: controls
        self.controls = ControlPanel(settings.turn_mode, settings.ptt_hotkey)
        self.controls.talk.connect(self._on_talk)
        self.controls.interrupt.connect(self.interrupt_anchor)
        self.controls.mute_changed.connect(lambda muted: self.engine.set_mic_muted(muted))
        self.controls.mode_changed.connect(self._on_mode_changed)
        self.controls.line_typed.connect(lambda text: self.engine.submit_text(text))
        self.controls.play_file_requested.connect(self.choose_host_file)

        root = QWidget()
        layout = QVBoxLayout(root)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.pull_bar)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.controls)
        self.setCentralWidget(root)

        # ---- debug dock: main-thread stalls, refresh rate
        self.watchdog = MainThreadWatchdog(parent=self)
        self.debug_label = QLabel()
        self.debug_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.debug_dock = QDockWidget("Debug", self)
        self.debug_dock.setObjectName("debug")
        self.debug_dock.setWidget(self.debug_label)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.debug_dock)
        self.debug_dock.hide()
        self._build_menu()

        self.hotkeys = HotkeyFilter(
            self, settings.ptt_hotkey, settings.interrupt_hotkey, self._on_hotkey_talk, self.interrupt_anchor
        )
        QGuiApplication.instance().installEventFilter(self.hotkeys)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self._refresh)
        self._debug_timer = QTimer(self)
        self._debug_timer.setInterval(500)
        self._debug_timer.timeout.connect(self._update_debug)
        self._connect_engine(engine)
        self._restore_state()

    # ----- engine wiring ----------------------------------------------------------------------
    def _connect_engine(self, engine: ShowThread) -> None:
        engine.stage_status_changed.connect(self.on_stage_status_changed)
        engine.engine_ready.connect(self.on_engine_ready)
        engine.engine_failed.connect(self.on_engine_failed)
        engine.host_speech_started.connect(self.on_host_speech_started)
        engine.transcript_updated.connect(self.on_transcript_updated)
        engine.turn_discarded.connect(self.on_turn_discarded)
        engine.reply_clause_started.connect(self.on_reply_clause_started)
        engine.anchor_interrupted.connect(self.on_anchor_interrupted)
        engine.turn_completed.connect(self.on_turn_completed)
        engine.file_feed_finished.connect(
            lambda path: self.statusBar().showMessage(f"Finished playing {path}")
        )
        engine.file_feed_failed.connect(self._on_file_failed)
        engine.session_log_failed.connect(self._on_session_log_failed)
        engine.event_emitted.connect(self.on_engine_event)
        if hasattr(self, "controls"):  # a restarted engine keeps the host's mute
            engine.set_mic_muted(self.controls.mute_button.isChecked())
        engine.audio_opened.connect(self.on_audio_opened)
        engine.audio_failed.connect(self.on_audio_failed)
        engine.device_event.connect(self.on_device_event)
        engine.settings_applied.connect(self.on_settings_applied)
        engine.reload_failed.connect(self.on_reload_failed)

    def start(self) -> None:
        """Show the window, start the timers and the engine (models load in the background)."""
        self.show()
        self._refresh_timer.start()
        self._debug_timer.start()
        self.watchdog.start()
        self.gauge.start()
        self.engine.start()
        QTimer.singleShot(0, self._mark_shown)

    def _mark_shown(self) -> None:
        self.shown_after_ms = (time.time() - psutil.Process().create_time()) * 1000

    # ----- engine events ----------------------------------------------------------------------
    def on_stage_status_changed(self, stage: str, backend: str, state: str, detail: str) -> None:
        self.lights.set_state(stage, backend, state, detail)
        self._stage_details[stage] = detail
        self._update_banner()
        if state in ("degraded", "down"):
            self.log.note(f"{stage} {state}: {detail or backend}")
            self.transcript.refresh()

    def on_engine_ready(self, backends: dict) -> None:
        self.ready = True
        # Choices made while the models loaded (or restored from last time) reach the engine now.
        self.engine.set_mode(self.controls.mode)
        voice = self._current_voice()
        if voice is not None and voice.name != self.engine.voice.name:
            self.engine.set_voice(voice)
        for stage, name in backends.items():
            if stage in self.lights.lights and self.lights.lights[stage].state in ("waiting", "loading"):
                self.lights.set_state(stage, name, "ready", "")
        names = ", ".join(f"{k}: {v}" for k, v in backends.items() if k != "preset")
        self.statusBar().showMessage(f"On air — {names}", 15_000)
        self._update_banner()

    def on_engine_failed(self, message: str) -> None:
        self.ready = False
        self.lights.set_all("down", message)
        self.banner.setText(f"The model stack stopped: {message}. Fix it in Settings…, the window stays up.")
        self.banner.setProperty("severity", "down")
        self._repolish(self.banner)
        self.banner.show()

    def on_host_speech_started(self, turn_id: int) -> None:
        self.log.host_started(turn_id)
        self.transcript.refresh()

    def on_transcript_updated(self, turn_id: int, text: str, is_final: bool) -> None:
        self.log.host_text(turn_id, text, is_final)
        self.transcript.refresh()

    def on_turn_discarded(self, turn_id: int, reason: str) -> None:
        entry = self.log.entry(turn_id, "host")
        if entry is not None and not entry.text.strip():
            self.log.drop(turn_id, "host")
            self.transcript.rebuild()
        self.statusBar().showMessage(f"No turn: {reason}", 4000)

    def on_reply_clause_started(self, turn_id: int, clause: str) -> None:
        self.log.anchor_clause(turn_id, clause)
        self.transcript.refresh()

    def on_engine_event(self, event: EngineEvent) -> None:
        """Every event is kept for export; those without a dedicated signal are shown here."""
        self.log.record(event)
        self.pull_bar.on_event(event)
        if isinstance(event, ReplyCaptioned):
            self.log.anchor_clause(event.turn_id, event.clause)
            self.transcript.refresh()
            self.statusBar().showMessage(f"Caption only: {event.reason}", 5000)
        elif isinstance(event, HostLineResumed):
            self.log.host_resumed(event.turn_id)
            self.transcript.refresh()

    def on_anchor_interrupted(self, turn_id: int, heard: str) -> None:
        self.statusBar().showMessage("Anchor interrupted", 3000)

    def on_turn_completed(self, turn: TurnCompleted) -> None:
        host = self.log.entry(turn.turn_id, "host")
        if host is not None and not host.final:
            self.log.host_text(turn.turn_id, turn.transcript, True)
        self.log.anchor_done(turn.turn_id, turn.heard, turn.reply, turn.interrupted)
        self.transcript.refresh()
        self.latency.add_turn(turn.latency_ms)

    # ----- host actions -----------------------------------------------------------------------
    def interrupt_anchor(self) -> None:
        self.engine.interrupt()

    def _on_talk(self, pressed: bool) -> None:
        if self.controls.mode != "push_to_talk":
            return
        self.engine.push_to_talk(pressed)

    def _on_hotkey_talk(self, pressed: bool) -> None:
        if self.controls.mode != "push_to_talk":
            return
        self.controls.show_held(pressed)
        self.engine.push_to_talk(pressed)

    def _on_mode_changed(self, mode: str) -> None:
        self.engine.set_mode(mode)
        window_state().setValue("mode", mode)

    def _current_voice(self) -> VoiceProfile | None:
        index = self.voice_box.currentIndex()
        return self._voices[index] if 0 <= index < len(self._voices) else None

    def _on_voice_chosen(self, _index: int) -> None:
        voice = self._current_voice()
        if voice is not None:
            self.engine.set_voice(voice)
            window_state().setValue("voice", voice.name)
            self.statusBar().showMessage(f"Voice {voice.name} from the next reply", 4000)

    def _show_languages(self) -> None:
        """Each voice says which language it answers in (the show switches to it when the host does)."""
        for index, voice in enumerate(self._voices):
            tip = f"{voice.name} answers in {voice.language}"
            self.voice_box.setItemData(index, tip, Qt.ItemDataRole.ToolTipRole)

    def set_voices(self, voices: list[VoiceProfile], select: str | None = None) -> None:
        """Reload the selector (after the voice manager changed profiles), keeping the choice."""
        keep = select or self.voice_box.currentText()
        self._voices = list(voices)
        self.voice_box.blockSignals(True)
        self.voice_box.clear()
        self.voice_box.addItems([v.name for v in self._voices])
        self._show_languages()
        self.voice_box.blockSignals(False)
        names = [v.name for v in self._voices]
        self.voice_box.setCurrentIndex(names.index(keep) if keep in names else 0)
        self._on_voice_chosen(self.voice_box.currentIndex())

    def open_voice_manager(self) -> VoiceManagerDialog:
        """Show the voice manager; its changes reach the voice selector as soon as they are saved."""
        if self.voice_manager is not None:
            self.voice_manager.raise_()
            self.voice_manager.activateWindow()
            return self.voice_manager
        dialog = VoiceManagerDialog(
            VoiceProfileStore(data_dir() / "voices"), self.engine, self, **self.voice_manager_options
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.profile_renamed.connect(self._on_voice_renamed)
        dialog.profiles_changed.connect(self.reload_voices)
        dialog.finished.connect(self._on_voice_manager_closed)
        self.voice_manager = dialog
        dialog.open()
        return dialog

    def _on_voice_manager_closed(self, _result: int) -> None:
        self.voice_manager = None

    def reload_voices(self, select: str | None = None) -> None:
        """Re-read the profiles (bundled and the host's own) into the selector, keeping the choice."""
        self.set_voices(VoiceCatalog(data_dir() / "voices").profiles(), select)

    def _on_voice_renamed(self, old: str, new: str) -> None:
        if self.voice_box.currentText() == old:
            self.reload_voices(select=new)

    def choose_host_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Play a recording as the host", "", "Audio (*.wav *.flac *.ogg *.mp3);;All files (*)"
        )
        if path:
            self.play_host_file(Path(path))

    def play_host_file(self, path: Path) -> None:
        self.statusBar().showMessage(f"Playing {path.name} as the host…")
        self.engine.play_file(path)

    def _on_file_failed(self, message: str) -> None:
        self.statusBar().showMessage(message, 10_000)
        QMessageBox.warning(self, "Cannot play that file", message)

    def _on_session_log_failed(self, message: str) -> None:
        self.log.note(message)
        self.transcript.refresh()
        self.statusBar().showMessage(message, 15_000)

    def _on_devices_chosen(self, mic: str, program: str, monitor: str) -> None:
        """Remember the devices by name and reopen the streams on them (the show goes on)."""
        state = window_state()
        state.setValue("devices/mic", mic)
        state.setValue("devices/program", program)
        state.setValue("devices/monitor", monitor)
        changes = {
            "mic_device": mic or None,
            "program_device": program or None,
            "monitor_device": monitor or None,
        }
        if all(getattr(self.settings, key) == value for key, value in changes.items()):
            return
        self.statusBar().showMessage(
            f"Opening mic {mic or 'default'}, program {program or 'default'}, monitor {monitor or 'off'}…",
            5000,
        )
        self.settings = self.settings.model_copy(update=changes)
        self.engine.set_devices(mic or None, program or None, monitor or None)

    def create_anchor_sink(self) -> None:
        """Add the AI_Anchor_Out virtual output, select it as the program output, say how OBS gets it."""
        from studio.audio.pulse import ANCHOR_SINK, PulseControl, PulseUnavailable, obs_instruction

        control = PulseControl()
        try:
            control.create_anchor_sink()
        except (PulseUnavailable, OSError, RuntimeError) as exc:
            QMessageBox.warning(self, "Cannot create AI_Anchor_Out", f"{exc}")
            return
        finally:
            control.close()
        self.devices.refresh()
        mic, _program, monitor = self.devices.chosen()
        self.devices.choose(mic, ANCHOR_SINK, monitor)
        self.log.note(obs_instruction())
        self.transcript.refresh()
        self._on_devices_chosen(mic, ANCHOR_SINK, monitor)

    def on_audio_opened(self, stats: dict) -> None:
        program = (stats.get("program") or {}).get("device", "?")
        mic = (stats.get("mic") or {}).get("device") or "no mic"
        self.statusBar().showMessage(f"Audio: program → {program}, mic ← {mic}", 8000)
        if stats.get("mic_note"):
            self.log.note(f"Host mic: {stats['mic_note']}.")
            self.transcript.refresh()
        self._update_device_status()

    def on_audio_failed(self, message: str) -> None:
        self.log.note(
            f"No audio devices ({message}). The studio works with typed lines and 'Play file as host…'; "
            "connect a device and press ↻ in Devices."
        )
        self.transcript.refresh()
        self.devices.status.setText(f"No audio: {message}")

    def on_device_event(self, role: str, device: str, kind: str, message: str) -> None:
        if kind in ("lost", "fallback", "reconnected"):
            self.log.note(message)
            self.transcript.refresh()
            self.statusBar().showMessage(message, 10_000)
        self._update_device_status()

    def _update_device_status(self) -> None:
        audio = self.engine.audio
        if audio is None:
            return
        try:
            stats = audio.stats()
        except Exception:  # closing between the check and the call
            return
        self.devices.show_audio(stats)

    # ----- transcript export ------------------------------------------------------------------
    def copy_transcript(self) -> None:
        QGuiApplication.clipboard().setText(self.log.to_text())
        self.statusBar().showMessage("Transcript copied", 3000)

    def export_transcript(self, kind: str, path: Path | None = None) -> Path | None:
        """Save the session as text or SRT (asks for a file unless `path` is given)."""
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(
                self,
                "Export transcript",
                f"show.{kind}",
                "SubRip (*.srt)" if kind == "srt" else "Text (*.txt)",
            )
            if not chosen:
                return None
            path = Path(chosen)
        from studio.audio.wavwriter import check_writable
        from studio.fileio import write_atomic

        text = self.log.to_srt() if kind == "srt" else self.log.to_text()
        try:
            check_writable(path)
            write_atomic(path, text)
        except (OSError, ValueError) as exc:
            QMessageBox.warning(self, "Export failed", f"Cannot write {path}: {exc}")
            return None
        self.statusBar().showMessage(f"Transcript saved to {path}", 5000)
        return path

    # ----- settings ---------------------------------------------------------------------------
    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.settings, self)
        dialog.accepted.connect(lambda: self.apply_settings(dialog))
        dialog.open()
        return dialog

    def apply_settings(self, dialog: SettingsDialog) -> None:
        new = dialog.saved
        if new is None:
            return
        self.hotkeys.set_keys(new.ptt_hotkey, new.interrupt_hotkey)
        self.controls.set_talk_key(new.ptt_hotkey)
        self.latency.set_alert_ms(new.max_latency_ms)
        devices = ("mic_device", "program_device", "monitor_device")  # the dialog leaves them as they are
        self.reload_settings(new.model_copy(update={key: getattr(self.settings, key) for key in devices}))
        self.statusBar().showMessage("Settings saved", 4000)

    def reload_settings(self, settings: Settings) -> None:
        """New settings for the running show: it rebuilds only what they change, the show goes on."""
        self.settings = settings
        self.engine.reload_settings(settings)

    def on_settings_applied(self, rebuilt: tuple) -> None:
        """Say what the new settings rebuilt (nothing: they apply from the next frame)."""
        if rebuilt:
            self.statusBar().showMessage(f"Settings applied (rebuilt: {', '.join(rebuilt)})", 5000)

    def on_reload_failed(self, message: str) -> None:
        """New models could not load: the show goes on with the old ones, and the host is told."""
        self.log.note(f"New settings not applied: {message}")
        self.transcript.refresh()
        self.statusBar().showMessage(message, 15_000)

    # ----- periodic work ----------------------------------------------------------------------
    def _refresh(self) -> None:
        self.waveforms.refresh()

    def _update_debug(self) -> None:
        self._update_device_status()
        if not self.debug_dock.isVisible():
            return
        stalls = self.watchdog.summary()
        shown = f"{self.shown_after_ms:.0f} ms" if self.shown_after_ms is not None else "—"
        self.debug_label.setText(
            f"main-thread stalls > 50 ms: {stalls['stalls_over_50ms']} "
            f"(worst {stalls['worst_stall_ms']} ms)\n"
            f"waveform frames: {self.mic_trace.frames_drawn}\n"
            f"window shown {shown} after start\n"
            f"session log: {self.engine.session_log_path}"
        )

    def _update_banner(self) -> None:
        troubled = self.lights.troubled()
        if not troubled:
            self.banner.hide()
            return
        self.banner.setText(banner_text(troubled, self._stage_details))
        self.banner.setProperty("severity", "down" if "down" in troubled.values() else "degraded")
        self._repolish(self.banner)
        self.banner.show()

    @staticmethod
    def _repolish(widget: QWidget) -> None:
        widget.style().unpolish(widget)
        widget.style().polish(widget)

    def _build_menu(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        for title, slot in (
            ("Play file as host…", self.choose_host_file),
            ("Copy transcript", self.copy_transcript),
            ("Export transcript as text…", lambda: self.export_transcript("txt")),
            ("Export transcript as SRT…", lambda: self.export_transcript("srt")),
        ):
            action = QAction(title, self)
            action.triggered.connect(slot)
            file_menu.addAction(action)
        file_menu.addSeparator()
        quit_action = QAction("Quit", self)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        studio_menu = menu.addMenu("&Studio")
        settings_action = QAction("Settings…", self)
        settings_action.triggered.connect(self.open_settings)
        studio_menu.addAction(settings_action)
        voices_action = QAction("Voices…", self)
        voices_action.triggered.connect(self.open_voice_manager)
        studio_menu.addAction(voices_action)
        view_menu = menu.addMenu("&View")
        view_menu.addAction(self.debug_dock.toggleViewAction())

    # ----- state ------------------------------------------------------------------------------
    def _restore_state(self) -> None:
        state = window_state()
        geometry, layout = state.value("geometry"), state.value("windowState")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if layout is not None:
            self.restoreState(layout)
        splitter = state.value("splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        mode = state.value("mode")
        if mode in ("auto", "push_to_talk") and mode != self.controls.mode:
            self.controls.set_mode(mode)  # reaches the engine once it is ready
        voice = state.value("voice")
        if voice and voice != self.voice_box.currentText() and self.voice_box.findText(voice) >= 0:
            self.voice_box.setCurrentText(voice)
        # The engine opens the devices named in the settings (the app fills in the remembered ones).
        settings = self.settings
        self.devices.choose(
            settings.mic_device or "", settings.program_device or "", settings.monitor_device or ""
        )

    def closeEvent(self, event) -> None:
        state = window_state()
        state.setValue("geometry", self.saveGeometry())
        state.setValue("windowState", self.saveState())
        state.setValue("splitter", self.splitter.saveState())
        state.sync()
        self._refresh_timer.stop()
        self.watchdog.stop()
        self.gauge.stop()
        QGuiApplication.instance().removeEventFilter(self.hotkeys)
        self.pull_bar.close_worker()
        self.engine.stop()
        self.engine.wait(10_000)
        super().closeEvent(event)
