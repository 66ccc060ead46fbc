"""The host's console: waveforms, transcript, latency, memory, stage lights and the show controls.

Layout: StudioConsole (studio.ui.console) holds the panels and is the view; StudioPresenter
(studio.ui.window_presenter) decides what show events change and which show command a host action
becomes; DevicePresenter (studio.ui.device_presenter) lists devices and creates the OBS sink on a
worker thread. This window assembles them, keeps its geometry and runs the timers.
Threading: Qt main thread only. The show runs in `ShowThread` and reaches us by queued signals;
waveforms and meters are pulled by one 30 fps timer from lock-free scopes. Nothing here waits on
the engine, a model, a device or the audio server.
"""

from __future__ import annotations

import time
from pathlib import Path

import psutil
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMainWindow

from studio.config import Settings, config_dir, data_dir
from studio.show.events import MicMuteChanged
from studio.ui.console import StudioConsole
from studio.ui.debug_dock import DebugDock
from studio.ui.device_choices import make_anchor_sink, studio_devices
from studio.ui.device_presenter import DevicePresenter
from studio.ui.main_thread import BackgroundJobs, FutureRelay
from studio.ui.rundown_panel import RundownPanel, RundownPresenter
from studio.ui.safety_strip import SafetyPresenter, SafetyStrip
from studio.ui.settings_dialog import SettingsDialog
from studio.ui.show_thread import ShowThread
from studio.ui.top_bar import voice_names
from studio.ui.transcript_model import TranscriptLog
from studio.ui.voice_manager import VoiceManagerDialog
from studio.ui.watchdog import MainThreadWatchdog
from studio.ui.window_menu import MenuSlots, build_menu
from studio.ui.window_ports import DeviceLister, SinkMaker
from studio.ui.window_presenter import StudioPresenter, show_slots
from studio.voices.catalog import VoiceCatalog
from studio.voices.profile import VoiceProfile
from studio.voices.store import VoiceProfileStore

REFRESH_MS = 33  # ≥ 30 fps waveforms
DEBUG_MS = 500


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
        device_lister: DeviceLister | None = None,
        *,
        sink_maker: SinkMaker | None = None,
    ) -> None:
        """`device_lister` and `sink_maker` block on the audio server; they run on a worker thread."""
        super().__init__()
        self.setWindowTitle("AI Anchor Studio")
        self.setObjectName("studio")
        self.resize(1280, 800)
        self.engine = engine
        self.shown_after_ms: float | None = None
        self.voice_manager: VoiceManagerDialog | None = None
        self.voice_manager_options: dict = {}  # extra VoiceManagerDialog arguments (player, recorder_factory)
        self._relay = FutureRelay(self)
        self._jobs = BackgroundJobs(self._relay, "window-devices")
        log = TranscriptLog()
        self.console = StudioConsole(self, settings, engine, log, voice_names(voices, engine.voice.name))
        self.presenter = StudioPresenter(self.console, engine, window_state(), settings, voices, log)
        self.device_presenter = DevicePresenter(
            self.console.column.devices,
            self._jobs,
            engine,
            self.presenter,
            self.presenter.choose_devices,
            lister=device_lister or studio_devices,
            sink_maker=sink_maker or make_anchor_sink,
        )
        self.rundown_panel = RundownPanel()  # between the monitors and the controls
        self.console.layout().insertWidget(4, self.rundown_panel)
        self.rundown = RundownPresenter(self.rundown_panel, engine.show, self)
        self.safety_strip = SafetyStrip()  # the delay, DUMP and the reply to approve, under the rundown
        self.console.layout().insertWidget(5, self.safety_strip)
        self.safety = SafetyPresenter(self.safety_strip, engine.show, self)
        self.setCentralWidget(self.console)
        self._name_parts()
        self._add_debug_dock_and_menu()
        self._connect_parts()
        self._connect_engine(engine)
        self._make_timers()
        self._restore_state()
        self.device_presenter.refresh()

    # ----- assembly ---------------------------------------------------------------------------
    def _name_parts(self) -> None:
        """The parts by the names the window has always given them (tests, benches, scripts)."""
        console, column = self.console, self.console.column
        self.top, self.lights, self.voice_box = console.top, console.top.lights, console.top.voice_box
        self.voices_button, self.settings_button = console.top.voices_button, console.top.settings_button
        self.banner, self.pull_bar, self.controls = console.banner, console.pull_bar, console.controls
        self.transcript_panel, self.transcript = console.transcript_panel, console.transcript_panel.view
        self.splitter, self.hotkeys, self.devices = console.splitter, console.hotkeys, column.devices
        self.waveforms, self.mic_trace, self.program_trace = (
            column.waveforms,
            column.mic_trace,
            column.program_trace,
        )
        self.latency, self.gauge = column.latency, column.gauge

    def _add_debug_dock_and_menu(self) -> None:
        self.watchdog = MainThreadWatchdog(parent=self)
        self.debug_dock = DebugDock(self)
        self.debug_label = self.debug_dock.label
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.debug_dock)
        self.debug_dock.hide()
        self.debug_dock.visibilityChanged.connect(self._on_debug_shown)
        slots = MenuSlots(
            self.choose_host_file,
            self.copy_transcript,
            lambda: self.export_transcript("txt"),
            lambda: self.export_transcript("srt"),
            self.open_settings,
            self.open_voice_manager,
        )
        build_menu(self, slots, self.debug_dock.toggleViewAction())
        QGuiApplication.instance().installEventFilter(self.hotkeys)

    def _connect_parts(self) -> None:
        presenter, devices, console = self.presenter, self.device_presenter, self.console
        console.talk_key.connect(presenter.hotkey_talk)
        console.interrupt_key.connect(presenter.interrupt)
        self.top.voice_chosen.connect(presenter.choose_voice)
        self.top.voices_requested.connect(self.open_voice_manager)
        self.top.settings_requested.connect(self.open_settings)
        self.pull_bar.pulled.connect(self.engine.recheck)
        self.devices.devices_chosen.connect(devices.chosen)
        self.devices.refresh_requested.connect(devices.refresh)
        self.devices.anchor_sink_requested.connect(devices.create_anchor_sink)
        self.transcript_panel.saved.connect(lambda message: console.show_status(message, 5000))
        self.controls.talk.connect(presenter.talk)
        self.controls.interrupt.connect(presenter.interrupt)
        self.controls.mute_changed.connect(self.engine.set_mic_muted)
        self.controls.mode_changed.connect(presenter.set_mode)
        self.controls.line_typed.connect(self.engine.submit_text)
        self.controls.play_file_requested.connect(self.choose_host_file)

    def _connect_engine(self, engine: ShowThread) -> None:
        for signal, slot in show_slots(self.presenter, self.device_presenter):
            getattr(engine, signal).connect(slot)
        engine.event_emitted.connect(self.pull_bar.on_event)
        engine.event_emitted.connect(self._follow_mute)  # a control surface muted the mic
        engine.engine_ready.connect(self._on_show_ready)
        engine.set_mic_muted(self.controls.mute_button.isChecked())  # the host's mute holds for the show

    def _follow_mute(self, event: object) -> None:
        """The mute button shows the show's mute state, whoever changed it (OSC, MIDI, the button)."""
        if isinstance(event, MicMuteChanged):
            self.controls.mute_button.setChecked(event.muted)  # no echo: an unchanged mute sends nothing

    def _make_timers(self) -> None:
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self.waveforms.refresh)
        self._debug_timer = QTimer(self)
        self._debug_timer.setInterval(DEBUG_MS)
        self._debug_timer.timeout.connect(self._update_debug)

    # ----- the window's own actions -----------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self.presenter.settings

    @property
    def log(self) -> TranscriptLog:
        """The transcript as the window knows it (what Copy and Export write)."""
        return self.presenter.log

    def start(self) -> None:
        """Show the window, start the engine (models load in the background); waveforms once it is ready."""
        self.show()
        self._debug_timer.start()
        self.watchdog.start()
        self.gauge.start()
        self.engine.start()
        QTimer.singleShot(0, self._mark_shown)

    def _on_show_ready(self, _backends: dict) -> None:
        """Waveforms from now on: before, the scopes are silent and the models want every core."""
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _mark_shown(self) -> None:
        self.shown_after_ms = (time.time() - psutil.Process().create_time()) * 1000

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
        self.presenter.set_voices(VoiceCatalog(data_dir() / "voices").profiles(), select)

    def _on_voice_renamed(self, old: str, new: str) -> None:
        if self.presenter.on_voice_renamed(old, new):
            self.reload_voices(select=new)

    def choose_host_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Play a recording as the host", "", "Audio (*.wav *.flac *.ogg *.mp3);;All files (*)"
        )
        if path:
            self.play_host_file(Path(path))

    def play_host_file(self, path: Path) -> None:
        self.presenter.play_host_file(path)

    def create_anchor_sink(self) -> None:
        """Add the AI_Anchor_Out virtual output (on a worker), then select it as the program output."""
        self.device_presenter.create_anchor_sink()

    def copy_transcript(self) -> None:
        self.transcript_panel.copy()

    def export_transcript(self, kind: str, path: Path | None = None) -> Path | None:
        """Save the session as text or SRT (asks for a file unless `path` is given)."""
        return self.transcript_panel.export(kind, path)

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.settings, self)
        dialog.accepted.connect(lambda: self.apply_settings(dialog))
        dialog.open()
        return dialog

    def apply_settings(self, dialog: SettingsDialog) -> None:
        if dialog.saved is not None:
            self.presenter.apply_settings(dialog.saved)

    def reload_settings(self, settings: Settings) -> None:
        """New settings for the running show: it rebuilds only what they change, the show goes on."""
        self.presenter.reload_settings(settings)

    # ----- periodic work and state ------------------------------------------------------------
    def _update_debug(self) -> None:
        self.device_presenter.update_status()
        if self.debug_dock.isVisible():
            self.debug_dock.show_figures(
                self.watchdog, self.mic_trace.frames_drawn, self.shown_after_ms, self.engine.session_log_path
            )

    def _on_debug_shown(self, visible: bool) -> None:
        """Whoever opens the debug dock wants to know where the stalls are: sample stacks from now on."""
        if visible:
            self.watchdog.sample_stacks()

    def _restore_state(self) -> None:
        state = window_state()
        for key, restore in (
            ("geometry", self.restoreGeometry),
            ("windowState", self.restoreState),
            ("splitter", self.splitter.restoreState),
        ):
            value = state.value(key)
            if value is not None:
                restore(value)
        self.presenter.restore()
        # The show opens the devices named in the settings (the app fills in the remembered ones).
        settings = self.settings
        self.device_presenter.restore(settings.mic_device, settings.program_device, settings.monitor_device)

    def closeEvent(self, event: QCloseEvent) -> None:
        state = window_state()
        state.setValue("geometry", self.saveGeometry())
        state.setValue("windowState", self.saveState())
        state.setValue("splitter", self.splitter.saveState())
        state.sync()
        for timer in (self._refresh_timer, self._debug_timer, self.watchdog, self.gauge):
            timer.stop()
        self.rundown.stop()  # its clock poll and the rundown editor, if open
        self.safety.stop()
        self._relay.close()
        self._jobs.shutdown()
        QGuiApplication.instance().removeEventFilter(self.hotkeys)
        self.pull_bar.close_worker()
        self.engine.stop()
        self.engine.wait(10_000)
        super().closeEvent(event)
