"""Starts the studio window: the window appears at once, the models load behind it.

Threading: Qt main thread. `--screenshot PATH` waits for the stack, saves the window and exits.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from studio.config import Settings, data_dir
from studio.obs import attach_obs
from studio.surfaces import start_surfaces
from studio.ui.global_keys import attach_global_keys
from studio.ui.icon import app_icon
from studio.ui.main_thread_gc import MainThreadCollector
from studio.ui.main_window import StudioWindow, window_state
from studio.ui.obs_panel import attach_obs_panel
from studio.ui.remote_panel import attach_remote_panel
from studio.ui.show_thread import ShowThread
from studio.ui.surfaces_dialog import attach_surfaces_dialog
from studio.ui.theme import apply_theme
from studio.voices.catalog import VoiceCatalog
from studio.web.launch import start_web

log = logging.getLogger(__name__)
SCREENSHOT_SETTLE_MS = 1500  # let the waveforms and gauge draw a few frames first


def open_devices(settings: Settings):
    """The real audio devices the settings name (the show reopens them when they change)."""
    from studio.audio.io import AudioIO

    return AudioIO(settings)


def make_engine(settings: Settings, voice) -> ShowThread:
    """The show's Qt edge on the real audio devices (silence if there are none)."""
    return ShowThread(settings, voice, audio_factory=open_devices)


def _with_remembered_devices(settings: Settings) -> Settings:
    """Devices the host picked last time, unless the settings name some explicitly."""
    state = window_state()
    remembered = {
        key: str(state.value(f"devices/{role}", "") or "") or None
        for key, role in (("mic_device", "mic"), ("program_device", "program"), ("monitor_device", "monitor"))
    }
    updates = {key: value for key, value in remembered.items() if value and getattr(settings, key) is None}
    return settings.model_copy(update=updates) if updates else settings


def run_app(settings: Settings, screenshot: Path | None = None) -> int:
    """Open the window at once, load models in the background; with `screenshot`, save and exit."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("AI Anchor Studio")
    app.setWindowIcon(app_icon())  # every window shows it too
    collector = MainThreadCollector(app)  # widgets are never freed on a worker thread
    collector.start()
    apply_theme(app)
    catalog = VoiceCatalog(data_dir() / "voices")
    voices = catalog.profiles()
    if not voices:
        print(
            "ai-anchor-studio: error: no voice profiles found; reinstall to restore voices/", file=sys.stderr
        )
        return 1
    settings = _with_remembered_devices(settings)
    remembered = settings.voice or str(window_state().value("voice", "") or "") or catalog.default_name()
    chosen = next((v for v in voices if v.name == remembered), voices[0])
    window = StudioWindow(settings, voices, make_engine(settings, chosen))
    obs = attach_obs(window.engine.show, settings)  # captions and chapters in OBS (README "OBS")
    attach_obs_panel(window, obs)  # its light, Test button and last error (off without a bridge)
    web = start_web(window.engine.show, settings)  # `serve`'s server on loopback (README "Web layer")
    remote = attach_remote_panel(window, web)  # Studio → Remote control…: URLs, token, QR code, rotate
    window.start()
    surfaces = start_surfaces(window.engine.show, settings)  # OSC / MIDI (README "Control surfaces")
    for problem in surfaces.problems:
        window.console.show_status(problem, 15_000)
    keys = attach_global_keys(window, settings)  # talk/dump/mute from OBS or a game (README "Global hotkeys")
    attach_surfaces_dialog(window, surfaces, keys)  # Studio → Control surfaces…: hotkeys, MIDI learn, OSC
    try:
        return _run(app, window, screenshot)
    finally:
        collector.stop()
        keys.close()
        surfaces.close()
        remote.close()  # the server now (settings may have restarted it), after the show
        if obs is not None:
            obs.close()


def _run(app: QApplication, window: StudioWindow, screenshot: Path | None) -> int:
    """The event loop until the window closes (with `screenshot`: until it is saved)."""
    if screenshot is not None:
        outcome = {"code": 0}

        def shoot() -> None:
            if not window.grab().save(str(screenshot)):
                print(f"ai-anchor-studio: error: cannot write {screenshot}", file=sys.stderr)
                outcome["code"] = 1
            window.close()
            app.quit()

        def failed(message: str) -> None:
            print(f"ai-anchor-studio: error: the model stack failed: {message}", file=sys.stderr)
            outcome["code"] = 1
            QTimer.singleShot(SCREENSHOT_SETTLE_MS, shoot)

        window.engine.engine_ready.connect(lambda _b: QTimer.singleShot(SCREENSHOT_SETTLE_MS, shoot))
        window.engine.engine_failed.connect(failed)
        app.exec()
        return outcome["code"]
    code = app.exec()
    if window.engine.isRunning():
        window.engine.stop()
        window.engine.wait(10_000)
    return code
