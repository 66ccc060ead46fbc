"""The window's Remote dialog over the real web server the window starts (studio.ui.app's wiring).

URLs shown, Copy puts the token on the clipboard, the QR code decodes to the control page URL
(zxing-cpp where installed; always checked module by module against segno's own encoding),
rotating the control token makes the old one 401 at once and closes event streams opened with it,
the overlay token rotates on its own, a taken port is a status-bar message and the window runs on.
Nothing sleeps: each step waits on a signal, a socket or a condition.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from studio.bench.queued_mic import QueuedMicrophone
from studio.config import load_settings
from studio.ui.main_window import StudioWindow
from studio.ui.remote_panel import QR_PIXELS_PER_MODULE, attach_remote_panel
from studio.ui.remote_presenter import qr_matrix
from studio.ui.show_thread import ShowThread
from studio.voices.catalog import VoiceCatalog
from studio.web.launch import WebLaunch, start_web
from studio.web.tokens import token_file
from tests.show.doubles import CountingStackFactory

LEFT = Qt.MouseButton.LeftButton
WAIT_S = 30.0


@pytest.fixture
def remote_window(qtbot) -> Iterator:
    """Open a window the way studio.ui.app does: server attached before the show starts."""
    opened: list[tuple[StudioWindow, WebLaunch]] = []

    def open_window(**settings_fields):
        settings = load_settings(**{"web_port": 0, **settings_fields})
        voices = VoiceCatalog(None).profiles()
        show = ShowThread(
            settings,
            voices[0],
            stack_factory=CountingStackFactory(),
            source_factory=QueuedMicrophone().source,
        )
        window = StudioWindow(settings, voices, show, lambda: [])
        qtbot.addWidget(window)
        web = start_web(window.engine.show, settings)
        presenter = attach_remote_panel(window, web)
        opened.append((window, web))
        with qtbot.waitSignal(window.engine.engine_ready, timeout=60_000):
            window.start()
        return window, web, presenter

    yield open_window
    for window, web in opened:
        window.close()
        window.remote_web.close()  # the server in force (the one started here, unless settings restarted it)
        web.close()


def _status(url: str, token: str) -> int:
    """GET /api/status with `token`: the status code."""
    with httpx.Client(timeout=WAIT_S) as client:
        return client.get(f"{url}/api/status", headers={"Authorization": f"Bearer {token}"}).status_code


def _grey(image: QImage) -> np.ndarray:
    """A QImage as an (h, w) uint8 array."""
    grey = image.convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(grey.constBits(), np.uint8).reshape(grey.height(), grey.bytesPerLine())
    return rows[:, : grey.width()].copy()


def test_the_dialog_shows_the_urls_copies_the_token_and_its_qr_opens_the_control_page(
    qtbot, remote_window
) -> None:
    window, web, _ = remote_window()
    dialog = window.remote_dialog
    window.remote_action.trigger()
    qtbot.waitUntil(dialog.isVisible)
    tokens, url = web.server.tokens, web.server.url
    assert url.startswith("http://127.0.0.1:")
    assert dialog.control_url.text() == f"{url}/control?token={tokens.control}"
    assert dialog.overlay_url.text() == f"{url}/overlay/captions?token={tokens.overlay}"
    with httpx.Client(timeout=WAIT_S) as client:
        assert client.get(dialog.control_url.text()).status_code == 200  # the page the QR opens
    qtbot.mouseClick(dialog.copy_button, LEFT)
    assert QGuiApplication.clipboard().text() == tokens.control
    qtbot.mouseClick(dialog.copy_overlay_button, LEFT)
    assert QGuiApplication.clipboard().text() == dialog.overlay_url.text()

    pixels = _grey(dialog.qr.pixmap().toImage())
    modules = pixels[::QR_PIXELS_PER_MODULE, ::QR_PIXELS_PER_MODULE] < 128
    assert modules.tolist() == [list(row) for row in qr_matrix(dialog.control_url.text())]
    zxingcpp = pytest.importorskip("zxingcpp")  # Apache-2.0 decoder, test-only
    decoded = zxingcpp.read_barcode(pixels)
    assert decoded is not None and decoded.text == dialog.control_url.text()


def test_rotating_the_control_token_refuses_the_old_one_at_once(qtbot, remote_window) -> None:
    window, web, _ = remote_window()
    dialog, server = window.remote_dialog, web.server
    old, overlay = server.tokens.control, server.tokens.overlay
    assert _status(server.url, old) == 200
    ws_url = server.url.replace("http", "ws", 1) + "/ws/events?levels=0&token="
    with connect(ws_url + old, open_timeout=WAIT_S) as stream:
        assert json.loads(stream.recv(timeout=WAIT_S))["type"] == "hello"
        qtbot.mouseClick(dialog.rotate_control_button, LEFT)
        new = server.tokens.control
        assert new != old and dialog.token.text() == new and new in dialog.control_url.text()
        assert _status(server.url, old) == 401
        assert _status(server.url, new) == 200
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                stream.recv(timeout=WAIT_S)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert "rotated" in closed.value.rcvd.reason
    assert server.tokens.overlay == overlay  # the OBS source keeps working
    assert json.loads(token_file().read_text())["control"] == new  # kept for the next start
    assert "new control token" in dialog.problem.text()


def test_rotating_the_overlay_token_leaves_the_control_token(qtbot, remote_window) -> None:
    window, web, _ = remote_window()
    server = web.server
    control, old = server.tokens.control, server.tokens.overlay
    qtbot.mouseClick(window.remote_dialog.rotate_overlay_button, LEFT)
    ws_url = server.url.replace("http", "ws", 1) + "/ws/events?token="
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url + old, open_timeout=WAIT_S)
    assert refused.value.response.status_code == 401
    with connect(ws_url + server.tokens.overlay, open_timeout=WAIT_S) as stream:
        assert json.loads(stream.recv(timeout=WAIT_S))["role"] == "overlay"
    assert server.tokens.control == control and _status(server.url, control) == 200
    assert server.tokens.overlay in window.remote_dialog.overlay_url.text()


def test_a_taken_port_is_a_status_bar_message_and_the_window_runs_on(qtbot, remote_window) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        window, web, _ = remote_window(web_port=port)
    assert web.server is None
    message = window.statusBar().currentMessage()
    assert f"cannot listen on 127.0.0.1:{port}" in message and "web_port" in message
    assert window.remote_dialog.state.text() == web.problem
    assert not window.remote_dialog.rotate_control_button.isEnabled()
    assert window.engine.isRunning()


def test_turned_off_in_the_settings_there_is_no_server_and_no_complaint(qtbot, remote_window) -> None:
    window, web, _ = remote_window(web_enabled=False)
    assert web.server is None and "web_enabled" in window.remote_dialog.state.text()
    assert "remote" not in window.statusBar().currentMessage()
