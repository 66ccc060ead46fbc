"""The Settings dialog's web layer (on/off, port) applies to the running window at once.

The dialog writes web_enabled / web_port to settings.toml; saved on a running window, a new port
restarts the real server there (the old port refuses connections, the kept control token works on
the new one, /api/status still knows the show is ready), turning it off stops it and the Remote
dialog says so, and a taken port is a status-bar message while the show runs on.
Nothing sleeps: each step waits on a signal or a condition.
"""

from __future__ import annotations

import socket
import tomllib
from collections.abc import Iterator

import httpx
import pytest

pytest.importorskip("pytestqt")

from studio.bench.queued_mic import QueuedMicrophone
from studio.config import load_settings, settings_file
from studio.ui.main_window import StudioWindow
from studio.ui.remote_panel import attach_remote_panel
from studio.ui.settings_dialog import SettingsDialog
from studio.ui.show_thread import ShowThread
from studio.voices.catalog import VoiceCatalog
from studio.web.launch import start_web
from tests.show.doubles import CountingStackFactory

WAIT_S = 30.0
WAIT_MS = 30_000


@pytest.fixture
def window(qtbot) -> Iterator[StudioWindow]:
    """A window on air with its web server on a free port, wired as studio.ui.app wires it."""
    settings = load_settings(web_port=0)
    voices = VoiceCatalog(None).profiles()
    show = ShowThread(
        settings, voices[0], stack_factory=CountingStackFactory(), source_factory=QueuedMicrophone().source
    )
    studio = StudioWindow(settings, voices, show, lambda: [])
    qtbot.addWidget(studio)
    attach_remote_panel(studio, start_web(studio.engine.show, settings))
    with qtbot.waitSignal(studio.engine.engine_ready, timeout=60_000):
        studio.start()
    yield studio
    studio.close()
    studio.remote_web.close()


def _free_port() -> int:
    """A port nobody listens on now (the OS's pick, released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _save(qtbot, window: StudioWindow, *, enabled: bool, port: int | None = None) -> None:
    """Settings… → Web layer / port → Save, as the host does; waits until the show applied them."""
    dialog = window.open_settings()
    dialog.web_enabled.setChecked(enabled)
    if port is not None:
        dialog.web_port.setValue(port)
    with qtbot.waitSignal(window.engine.settings_applied, timeout=WAIT_MS):
        dialog.save()
    assert dialog.saved is not None and dialog.error.text() == ""


def _get_status(url: str, token: str) -> httpx.Response:
    with httpx.Client(timeout=WAIT_S) as client:
        return client.get(f"{url}/api/status", headers={"Authorization": f"Bearer {token}"})


def test_the_dialog_saves_the_web_layer_and_its_port(qtbot) -> None:
    dialog = SettingsDialog(load_settings())
    qtbot.addWidget(dialog)
    assert dialog.web_enabled.isChecked() and dialog.web_port.value() == 8765
    assert "0" in dialog.web_port.toolTip() and dialog.web_port.isEnabled()
    dialog.web_port.setValue(9100)
    dialog.web_enabled.setChecked(False)
    assert not dialog.web_port.isEnabled()  # no port to choose while the web layer is off
    dialog.save()
    assert dialog.saved is not None and not dialog.saved.web_enabled and dialog.saved.web_port == 9100
    assert tomllib.loads(settings_file().read_text()) == {"web_enabled": False, "web_port": 9100}
    again = SettingsDialog(load_settings())  # read back from settings.toml
    qtbot.addWidget(again)
    assert not again.web_enabled.isChecked() and again.web_port.value() == 9100
    again.web_port.setValue(0)  # any free port
    assert again.web_port.text() == "any free port"
    again.web_enabled.setChecked(True)
    again.save()
    assert tomllib.loads(settings_file().read_text()) == {"web_enabled": True, "web_port": 0}


def test_a_new_port_restarts_the_server_there_and_the_old_one_refuses(qtbot, window) -> None:
    old = window.remote_web.server
    assert old is not None
    old_url, token = old.url, old.tokens.control
    assert _get_status(old_url, token).status_code == 200
    bus = window.engine.show.bus
    subscribers = bus.subscribers
    port = _free_port()
    _save(qtbot, window, enabled=True, port=port)
    qtbot.waitUntil(lambda: window.remote_web.server is not old, timeout=WAIT_MS)
    new = window.remote_web.server
    assert new is not None and new.url == f"http://127.0.0.1:{port}"
    assert new.tokens.control == token  # the kept token: the phone only needs the new address
    answer = _get_status(new.url, token)
    assert answer.status_code == 200 and answer.json()["ready"] is True  # it knows the show is on
    with pytest.raises(httpx.ConnectError):
        _get_status(old_url, token)
    dialog = window.remote_dialog
    assert dialog.control_url.text() == f"{new.url}/control?token={token}"
    assert new.url in dialog.state.text() and dialog.rotate_control_button.isEnabled()
    assert f"Remote control now at {new.url}" in window.statusBar().currentMessage()
    assert tomllib.loads(settings_file().read_text())["web_port"] == port
    assert bus.subscribers == subscribers  # the old server's hub left the show's events
    assert window.engine.isRunning()


def test_turning_the_web_layer_off_stops_it_and_on_again_serves(qtbot, window) -> None:
    old = window.remote_web.server
    assert old is not None
    url, token = old.url, old.tokens.control
    bus = window.engine.show.bus
    subscribers = bus.subscribers
    _save(qtbot, window, enabled=False)
    qtbot.waitUntil(lambda: window.remote_web.server is None, timeout=WAIT_MS)
    assert bus.subscribers == subscribers - 1
    with pytest.raises(httpx.ConnectError):
        _get_status(url, token)
    dialog = window.remote_dialog
    assert "off" in dialog.state.text() and dialog.control_url.text() == ""
    assert not dialog.copy_button.isEnabled() and not dialog.rotate_control_button.isEnabled()
    assert "Remote control is off" in window.statusBar().currentMessage()
    port = _free_port()
    _save(qtbot, window, enabled=True, port=port)
    qtbot.waitUntil(lambda: window.remote_web.server is not None, timeout=WAIT_MS)
    assert _get_status(f"http://127.0.0.1:{port}", token).status_code == 200
    assert str(port) in dialog.control_url.text() and dialog.copy_button.isEnabled()
    assert bus.subscribers == subscribers


def test_a_taken_port_in_the_settings_is_a_status_bar_message_and_the_show_runs_on(qtbot, window) -> None:
    old = window.remote_web.server
    assert old is not None
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        _save(qtbot, window, enabled=True, port=port)
        qtbot.waitUntil(lambda: window.remote_web.server is None, timeout=WAIT_MS)
    message = window.statusBar().currentMessage()
    assert f"cannot listen on 127.0.0.1:{port}" in message and "web_port" in message
    assert window.remote_dialog.state.text() == window.remote_web.launch.problem
    assert not window.remote_dialog.rotate_control_button.isEnabled()
    with pytest.raises(httpx.ConnectError):
        _get_status(old.url, old.tokens.control)
    assert window.engine.isRunning()
    with qtbot.waitSignal(window.engine.turn_completed, timeout=WAIT_MS):
        window.engine.submit_text("Still on air?")  # the show takes lines as before
