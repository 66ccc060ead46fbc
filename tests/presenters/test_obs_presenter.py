"""The OBS panel's flows without Qt: the light for each bridge status, the Test button, posting."""

from __future__ import annotations

import concurrent.futures

from studio.obs import BridgeStatus
from studio.ui.obs_presenter import OFF_HINT, ObsLight, ObsPresenter, describe

URL = "ws://127.0.0.1:4455"


class View:
    """Records what the panel was told."""

    def __init__(self) -> None:
        self.lights: list[ObsLight] = []
        self.tests: list[tuple[str, bool | None]] = []

    def show_light(self, light: ObsLight) -> None:
        self.lights.append(light)

    def show_test(self, text: str, ok: bool | None) -> None:
        self.tests.append((text, ok))


class Bridge:
    """A bridge whose status changes and test outcome the test decides."""

    def __init__(self) -> None:
        self.status = BridgeStatus("connecting", "", "", URL)
        self.listeners: list = []
        self.outcome: concurrent.futures.Future[str] = concurrent.futures.Future()

    def add_listener(self, listener) -> None:
        self.listeners.append(listener)

    def report(self, status: BridgeStatus) -> None:
        self.status = status
        for listener in self.listeners:
            listener(status)

    def test(self) -> concurrent.futures.Future[str]:
        return self.outcome


class Posts:
    """The view's thread, as a queue the test drains (a status is never shown where it arrived)."""

    def __init__(self) -> None:
        self.queue: list = []

    def post(self, call) -> None:
        self.queue.append(call)

    def watch(self, future, callback) -> None:
        future.add_done_callback(lambda done: self.queue.append(lambda: callback(done)))

    def drain(self) -> None:
        while self.queue:
            self.queue.pop(0)()


def test_each_bridge_state_has_its_light_and_the_last_error_stays():
    assert describe(None) == ObsLight("off", OFF_HINT, "", False)
    assert describe(BridgeStatus("connected", "", "", URL)) == ObsLight(
        "connected", f"connected to {URL}", "", True
    )
    retrying = describe(BridgeStatus("retrying", "OBS not reachable; retrying in 1 s", "old", URL))
    assert retrying == ObsLight("connecting", "OBS not reachable; retrying in 1 s", "old", True)
    failed = describe(BridgeStatus("failed", "OBS refused the password (4009)", "", URL))
    assert failed.light == "error" and failed.last_error == "OBS refused the password (4009)"
    assert describe(BridgeStatus("closed", "", "", URL)).light == "off"


def test_statuses_reach_the_view_only_through_post_and_test_reports_its_outcome():
    view, bridge, posts = View(), Bridge(), Posts()
    presenter = ObsPresenter(view, bridge, posts.post, posts.watch)
    assert view.lights[-1].light == "connecting" and presenter.updates == 1
    bridge.report(BridgeStatus("connected", "", "", URL))
    assert presenter.updates == 1  # not shown on the bridge's thread
    posts.drain()
    assert view.lights[-1].light == "connected" and presenter.updates == 2

    presenter.test()
    assert view.tests == [("testing…", None)]
    bridge.outcome.set_result("OBS 30.2.0, obs-websocket 5.5.0")
    posts.drain()
    assert view.tests[-1] == ("✓ OBS 30.2.0, obs-websocket 5.5.0", True) and presenter.tests == 1

    bridge.outcome = concurrent.futures.Future()
    presenter.test()
    bridge.outcome.set_exception(RuntimeError("cannot reach OBS at " + URL))
    posts.drain()
    assert view.tests[-1] == (f"✗ cannot reach OBS at {URL}", False)


def test_without_a_bridge_the_light_is_off_and_test_says_so():
    view, posts = View(), Posts()
    presenter = ObsPresenter(view, None, posts.post, posts.watch)
    assert view.lights == [describe(None)]
    presenter.test()
    assert view.tests == [("OBS is off: nothing to test", False)]
