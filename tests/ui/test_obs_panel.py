"""The window's OBS panel against the test suite's obs-websocket v5 server (tests/obs/fake_obs.py).

The light follows the bridge (connecting → connected → connecting when OBS goes away → connected
when it is back; a wrong password is an error with the reason), Test flashes a caption in OBS,
the last error (a missing caption source) stays on the panel, and every update is painted on the
GUI thread although the bridge reports on its own. Nothing sleeps: each step waits on a condition.
"""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from studio.obs import ObsBridge
from studio.obs.bridge import TEST_CAPTION
from studio.obs.client import Backoff
from studio.ui.obs_panel import attach_obs_panel
from studio.ui.obs_presenter import OFF_HINT, describe
from tests.obs.fake_obs import FakeObs
from tests.show.doubles import CountingStackFactory

FAST = Backoff(first=0.05, longest=0.2)
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def obs():
    server = FakeObs(password="s3cret").start()
    yield server
    server.stop()


@pytest.fixture
def bridges():
    """Bridges made by the test, closed at its end (before the fake OBS stops)."""
    made: list[ObsBridge] = []

    def make(url: str, password: str = "s3cret", source: str = "Captions") -> ObsBridge:
        bridge = ObsBridge(url, password, source, clear_after_s=0, backoff=FAST).start()
        made.append(bridge)
        return bridge

    yield make
    for bridge in made:
        bridge.close()


def _record_threads(panel) -> list[threading.Thread]:
    """The threads the panel's light is painted on, from now on."""
    threads: list[threading.Thread] = []
    paint = panel.show_light

    def recording(light) -> None:
        threads.append(threading.current_thread())
        paint(light)

    panel.show_light = recording
    return threads


def test_light_test_button_and_reconnect_follow_obs(qtbot, studio, obs, bridges):
    window, _mic = studio(stack_factory=CountingStackFactory())
    bridge = bridges(obs.url)
    presenter = attach_obs_panel(window, bridge)
    panel = presenter.view
    threads = _record_threads(panel)
    qtbot.waitUntil(lambda: panel.state == "connected", timeout=20_000)
    assert panel.words.text() == f"connected to {obs.url}" and panel.test_button.isEnabled()
    assert panel.isVisibleTo(window)

    qtbot.mouseClick(panel.test_button, LEFT)
    qtbot.waitUntil(lambda: presenter.tests == 1, timeout=20_000)
    assert panel.outcome.text().startswith("✓ OBS ") and "'Captions' took a test line" in panel.outcome.text()
    assert TEST_CAPTION in obs.texts()

    updates = presenter.updates
    obs.stop()  # OBS closed mid-show: the light says it is trying again
    qtbot.waitUntil(lambda: panel.state == "connecting", timeout=20_000)
    obs.start()
    qtbot.waitUntil(lambda: panel.state == "connected", timeout=20_000)
    assert presenter.updates > updates
    assert threads and all(thread is threading.main_thread() for thread in threads)


def test_wrong_password_and_missing_source_are_shown_as_the_last_error(qtbot, studio, obs, bridges):
    window, _mic = studio(stack_factory=CountingStackFactory())
    refused = attach_obs_panel(window, bridges(obs.url, password="wrong")).view
    qtbot.waitUntil(lambda: refused.state == "error", timeout=20_000)
    assert "password" in refused.error.text()
    # A bridge that failed before the panel was attached paints "error" at once, while Qt shows
    # the section just added to the shown window only from its event loop (seen once in a full run).
    qtbot.waitUntil(lambda: refused.error.isVisibleTo(window), timeout=5_000)

    missing = attach_obs_panel(window, bridges(obs.url, source="Nope"))
    qtbot.waitUntil(lambda: missing.view.state == "connected", timeout=20_000)
    qtbot.mouseClick(missing.view.test_button, LEFT)
    qtbot.waitUntil(lambda: missing.tests == 1, timeout=20_000)
    assert missing.view.outcome.text().startswith("✗ ") and "'Nope'" in missing.view.outcome.text()
    qtbot.waitUntil(lambda: "no source named 'Nope'" in missing.view.error.text(), timeout=20_000)


def test_a_bridge_that_failed_before_the_panel_came_shows_its_error_at_once(qtbot, studio, obs, bridges):
    window, _mic = studio(stack_factory=CountingStackFactory())
    bridge = bridges(obs.url, password="wrong")
    qtbot.waitUntil(lambda: describe(bridge.status).light == "error", timeout=20_000)
    panel = attach_obs_panel(window, bridge).view
    assert panel.state == "error" and "password" in panel.error.text(), "painted as it is attached"
    qtbot.waitUntil(lambda: panel.error.isVisibleTo(window), timeout=5_000)


def test_without_obs_the_panel_is_off_and_says_how_to_turn_it_on(qtbot, studio):
    window, _mic = studio(stack_factory=CountingStackFactory())
    panel = attach_obs_panel(window, None).view
    assert panel.state == "off" and panel.words.text() == OFF_HINT and not panel.test_button.isEnabled()
