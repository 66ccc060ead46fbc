"""The OBS panel's flows without Qt: what the light says for each bridge status, and the Test button.

The bridge reports its status on its own "obs" thread; `post` brings each report to the view's
thread before anything is shown, and `watch` does the same for the test's future, so the view is
only ever touched on its thread and nothing here waits on OBS.
Threading: `_on_status` runs on the "obs" thread and only posts; everything else runs on the
view's thread (the Qt main thread) and returns at once.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from studio.obs import BridgeStatus

Light = Literal["connected", "connecting", "off", "error"]
OFF_HINT = 'OBS off: set OBS_WEBSOCKET_URL (e.g. ws://127.0.0.1:4455; README "OBS")'
Post = Callable[[Callable[[], None]], None]  # run a callable on the view's thread
Watch = Callable[[concurrent.futures.Future[Any], Callable[[concurrent.futures.Future[Any]], None]], None]


@dataclass(frozen=True, slots=True)
class ObsLight:
    """What the panel shows: the light, its words, the last error, and whether Test can run."""

    light: Light
    words: str
    last_error: str
    can_test: bool


class ObsBridgeFace(Protocol):
    """The part of the OBS bridge the panel uses (studio.obs.ObsBridge)."""

    @property
    def status(self) -> BridgeStatus:
        """The bridge's state now."""

    def add_listener(self, listener: Callable[[BridgeStatus], None]) -> None:
        """`listener(status)` on every change (on the bridge's thread)."""

    def test(self) -> concurrent.futures.Future[str]:
        """Connect, ask OBS its version and flash a test caption."""


class ObsView(Protocol):
    """The panel (studio.ui.obs_panel.ObsPanel; a fake in tests)."""

    def show_light(self, light: ObsLight) -> None:
        """Paint the light, its words and the last error."""

    def show_test(self, text: str, ok: bool | None) -> None:
        """The Test button's outcome (ok None: running)."""


def describe(status: BridgeStatus | None) -> ObsLight:
    """The panel's light for a bridge status (None: no bridge, OBS_WEBSOCKET_URL is empty)."""
    if status is None:
        return ObsLight("off", OFF_HINT, "", False)
    state, message = str(status.state), status.message
    if state == "connected":
        return ObsLight("connected", f"connected to {status.url}", status.last_error, True)
    if state in ("connecting", "retrying"):
        return ObsLight("connecting", message or f"connecting to {status.url}", status.last_error, True)
    if state == "failed":
        return ObsLight("error", message or "OBS refused the connection", status.last_error or message, True)
    return ObsLight("off", message or "the OBS bridge is closed", status.last_error, False)


class ObsPresenter:
    """Keeps the OBS panel in step with the bridge and runs its Test button."""

    def __init__(self, view: ObsView, bridge: ObsBridgeFace | None, post: Post, watch: Watch) -> None:
        """`bridge` None: OBS is off; `post`/`watch`: bring work back to the view's thread."""
        self.view, self.bridge, self._post, self._watch = view, bridge, post, watch
        self.updates = 0  # statuses shown so far (tests wait on it)
        self.tests = 0  # test outcomes shown so far
        self.light = describe(None)
        if bridge is not None:
            bridge.add_listener(self._on_status)
        self._show(bridge.status if bridge is not None else None)

    def _on_status(self, status: BridgeStatus) -> None:
        """On the "obs" thread: hand the new status to the view's thread; never waits."""
        self._post(lambda: self._show(status))

    def _show(self, status: BridgeStatus | None) -> None:
        """Paint the light for `status` (view thread)."""
        self.light = describe(status)
        self.view.show_light(self.light)
        self.updates += 1

    def test(self) -> None:
        """The Test button: a test caption in OBS; the outcome comes back on the view's thread."""
        if self.bridge is None:
            self._tested_with("OBS is off: nothing to test", False)
            return
        self.view.show_test("testing…", None)
        self._watch(self.bridge.test(), self._tested)

    def _tested(self, future: concurrent.futures.Future[str]) -> None:
        """The test finished: its summary, or why it failed (view thread)."""
        error = future.exception()
        if error is None:
            self._tested_with(f"✓ {future.result()}", True)
        else:
            self._tested_with(f"✗ {error}", False)

    def _tested_with(self, text: str, ok: bool) -> None:
        """Show a test outcome and count it."""
        self.view.show_test(text, ok)
        self.tests += 1
