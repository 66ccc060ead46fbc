"""The device pickers' flows without Qt: listing and the OBS sink run as jobs off the view's thread."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any

import pytest

from studio.ui.device_choices import DeviceChoice, device_lists, picker_items
from studio.ui.device_presenter import NO_DEVICES, DevicePresenter
from tests.presenters.fakes import FakePickers, FakeShow, Worker

DEVICES = (
    DeviceChoice("alsa_input.usb", True, False, description="USB mic"),
    DeviceChoice("headphones", False, True),
    DeviceChoice("ai_anchor_out", False, True, is_virtual=True, description="AI_Anchor_Out"),
)
OBS = "In OBS: capture the monitor of AI_Anchor_Out"


class Notes:
    """The host is told: transcript notes, status lines, warnings."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.statuses: list[str] = []
        self.warnings: list[tuple[str, str]] = []

    def note(self, text: str) -> None:
        self.notes.append(text)

    def status(self, text: str, ms: int = 0) -> None:
        self.statuses.append(text)

    def warn(self, title: str, text: str) -> None:
        self.warnings.append((title, text))


class Audio:
    def __init__(self, stats: dict) -> None:
        self._stats = stats

    def stats(self) -> dict:
        return self._stats


@pytest.fixture
def make():
    def make(
        lister: Callable[[], Any] = lambda: DEVICES, sink_maker=lambda: ("ai_anchor_out", OBS), jobs=None
    ):
        view, notes, chosen = FakePickers(), Notes(), []
        presenter = DevicePresenter(
            view,
            jobs or Worker(),
            FakeShow(voice=None),  # type: ignore[arg-type]
            notes,
            lambda *picks: chosen.append(picks),
            lister=lister,
            sink_maker=sink_maker,
        )
        return presenter, view, notes, chosen

    return make


def test_entries_put_the_default_first_and_keep_a_device_that_is_gone():
    lists = device_lists(DEVICES)
    assert lists.mic == (("System default", ""), ("USB mic", "alsa_input.usb"))
    assert lists.program == (
        ("System default", ""),
        ("headphones", "headphones"),
        ("AI_Anchor_Out (virtual)", "ai_anchor_out"),
    )
    assert lists.monitor[0] == ("Off", "")
    kept = picker_items(lists.program, "hdmi")
    assert kept.entries[-1] == ("hdmi (not connected)", "hdmi") and kept.current == 3
    again = picker_items(kept.entries, "headphones")  # picked something else: the stale entry goes
    assert again.entries == lists.program and again.current == 1
    assert picker_items(lists.mic, "").current == 0


def test_the_listing_is_a_job_and_the_pickers_keep_the_host_picks(make):
    presenter, view, _notes, _chosen = make()
    worker: Worker = presenter._jobs  # type: ignore[assignment]
    presenter.restore(None, "ai_anchor_out", None)
    presenter.refresh()
    assert view.lists is None and len(worker.pending) == 1  # nothing asked the server on this thread
    worker.pump()
    assert view.lists == device_lists(DEVICES) and view.error == "" and presenter.listings == 1
    assert view.picks == ("", "ai_anchor_out", "")


@pytest.mark.parametrize(("lister", "error"), [(lambda: [], NO_DEVICES), (lambda: 1 / 0, "division by zero")])
def test_no_server_or_no_devices_is_said_and_the_pickers_offer_the_defaults(make, lister, error):
    presenter, view, _notes, _chosen = make(lister=lister)
    presenter.refresh()
    presenter._jobs.pump()  # type: ignore[attr-defined]
    assert view.error == error and view.lists == device_lists(())


def test_the_obs_sink_is_made_as_a_job_then_picked_as_the_program_output(make):
    made: list[str] = []

    def sink_maker() -> tuple[str, str]:
        made.append("sink")
        return "ai_anchor_out", OBS

    presenter, view, notes, chosen = make(sink_maker=sink_maker)
    view.picks = ("alsa_input.usb", "", "headphones")
    presenter.create_anchor_sink()
    assert made == [] and chosen == []
    presenter._jobs.pump()  # type: ignore[attr-defined]
    assert made == ["sink"] and view.lists == device_lists(DEVICES)
    assert view.picks == ("alsa_input.usb", "ai_anchor_out", "headphones")
    assert chosen == [("alsa_input.usb", "ai_anchor_out", "headphones")] and notes.notes == [OBS]


def test_a_sink_the_server_refuses_is_a_warning_and_nothing_changes(make):
    def refused() -> tuple[str, str]:
        raise RuntimeError("no PulseAudio server")

    presenter, view, notes, chosen = make(sink_maker=refused)
    presenter.create_anchor_sink()
    presenter._jobs.pump()  # type: ignore[attr-defined]
    assert notes.warnings == [("Cannot create AI_Anchor_Out", "no PulseAudio server")]
    assert chosen == [] and view.lists is None


def test_audio_news_is_told_and_the_status_line_follows_the_devices(make):
    presenter, view, notes, _chosen = make()
    stats = {"program": {"device": "headphones"}, "mic": None, "mic_note": "it would answer itself"}
    presenter._show.audio = Audio(stats)
    presenter.on_audio_opened(stats)
    assert notes.statuses == ["Audio: program → headphones, mic ← no mic"]
    assert notes.notes == ["Host mic: it would answer itself."] and view.audio == stats
    presenter.on_device_event("program", "headphones", "lost", "program output lost")
    presenter.on_device_event("program", "headphones", "underrun", "an underrun")
    assert notes.notes[-1] == "program output lost" and len(notes.notes) == 2
    presenter.on_audio_failed("no server")
    assert view.audio_status == "No audio: no server" and "press ↻" in notes.notes[-1]


class ThreadJobs:
    """Jobs on a real worker thread; callbacks queue up for the test's thread, like Qt's relay."""

    def __init__(self) -> None:
        self.pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="devices")
        self.done: list[tuple[Callable, concurrent.futures.Future]] = []
        self.arrived = threading.Semaphore(0)

    def run(self, job: Callable[[], Any], callback: Callable) -> concurrent.futures.Future[Any]:
        future = self.pool.submit(job)
        future.add_done_callback(
            lambda finished: (self.done.append((callback, finished)), self.arrived.release())
        )
        return future

    def deliver_one(self) -> None:
        assert self.arrived.acquire(timeout=10)
        callback, future = self.done.pop(0)
        callback(future)


def test_listing_and_the_sink_block_on_a_worker_never_on_the_views_thread(make):
    calls: list[tuple[str, int]] = []

    def lister() -> tuple[DeviceChoice, ...]:
        calls.append(("list", threading.get_ident()))
        return DEVICES

    def sink_maker() -> tuple[str, str]:
        calls.append(("sink", threading.get_ident()))
        return "ai_anchor_out", OBS

    jobs = ThreadJobs()
    presenter, view, _notes, chosen = make(lister=lister, sink_maker=sink_maker, jobs=jobs)
    presenter.refresh()
    jobs.deliver_one()
    presenter.create_anchor_sink()
    jobs.deliver_one()
    jobs.pool.shutdown()
    assert [call for call, _thread in calls] == ["list", "sink", "list"]
    assert all(thread != threading.get_ident() for _call, thread in calls)
    assert view.picks[1] == "ai_anchor_out" and chosen == [("", "ai_anchor_out", "")]
