"""The window's rundown strip: START / NEXT / BACK, the clock's text, red over time, a bad file named."""

from __future__ import annotations

from PySide6.QtCore import Qt

from studio.rundown import SegmentClock, parse_rundown
from studio.ui.rundown_panel import RundownPanel, RundownPresenter, describe
from tests.rundown.helpers import THREE, FakeClock


class ClockShow:
    """The show's rundown commands over a segment clock (what the presenter calls)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock, self.rundown = clock, None

    def rundown_status(self):
        return self.rundown.status() if self.rundown else None

    def set_rundown(self, rundown: SegmentClock) -> None:
        self.rundown = SegmentClock(rundown.rundown, self.clock)

    def next_segment(self):
        return self.rundown.next()

    def back_segment(self):
        return self.rundown.back()


def test_the_strip_follows_the_clock_and_its_buttons_drive_the_show(qtbot, tmp_path):
    clock = FakeClock()
    show, panel = ClockShow(clock), RundownPanel()
    qtbot.addWidget(panel)
    presenter = RundownPresenter(panel, show)
    assert panel.title.text() == "No rundown" and not panel.next_button.isEnabled()

    bad = tmp_path / "bad.toml"
    bad.write_text('[[segment]]\ntitle = "Headlines"\nminutes = "four"\n', encoding="utf-8")
    assert 'segment 1 ("Headlines"): minutes' in presenter.open(bad)
    presenter.refresh()  # the error stays until a file loads
    assert panel.title.text() == "Rundown not loaded" and "minutes" in panel.next_label.text()

    good = tmp_path / "show.toml"
    good.write_text(THREE, encoding="utf-8")
    assert presenter.open(good) is None
    assert panel.next_button.text() == "START ▶" and panel.next_label.text() == "First: Headlines"
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    clock.now += 65
    presenter.refresh()
    assert panel.title.text() == "1/3 Headlines" and panel.clock.text() == "1 min 05 s · 2 min 55 s left"
    assert panel.next_label.text() == "Next: Weather" and panel.clock.property("over_time") is False
    clock.now += 200
    presenter.refresh()
    assert panel.clock.text() == "4 min 25 s · over by 25 s" and panel.clock.property("over_time") is True
    assert "#e5484d" in panel.clock.styleSheet()
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.back_button, Qt.MouseButton.LeftButton)
    presenter.refresh()
    assert panel.title.text() == "1/3 Headlines" and panel.clock.text() == "0 s · 4 min 00 s left"
    presenter.stop()


def test_describe_the_last_segment_and_the_end():
    clock = SegmentClock(parse_rundown(THREE), FakeClock())
    for _ in range(3):
        clock.next()
    assert describe(clock.status()).next_title == "Last segment"
    clock.next()
    view = describe(clock.status())
    assert view.title == "Rundown ended" and view.can_go_back
