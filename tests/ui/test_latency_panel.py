"""The latency panel: whole-number turn ticks, and turns over `max_latency_ms` marked red."""

from __future__ import annotations

import itertools

import pytest

from studio.ui import theme
from studio.ui.latency_panel import LatencyPanel


def _ticks(panel: LatencyPanel) -> list[str]:
    """The bottom axis' tick labels as pyqtgraph would draw them now."""
    axis = panel.plot.getPlotItem().getAxis("bottom")
    low, high = axis.range
    strings = []
    for spacing, values in axis.tickValues(low, high, axis.width()):
        strings += axis.tickStrings(values, axis.autoSIPrefixScale, spacing)
    return strings


@pytest.fixture
def panel(qtbot):
    widget = LatencyPanel(max_latency_ms=1500)
    qtbot.addWidget(widget)
    widget.resize(400, 200)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _turn(voice_to_voice: float) -> dict[str, float | None]:
    return {"turn_decided": 300.0, "llm_first_token": 500.0, "voice_to_voice": voice_to_voice}


def test_turn_axis_reads_whole_turns_with_no_turn_one_turn_and_many(panel):
    assert _ticks(panel) == ["1", "2", "3", "4", "5"]  # not 0.1 … 0.9
    panel.add_turn(_turn(900.0))
    assert _ticks(panel) == ["1", "2", "3", "4", "5"]  # not −400 … 400 "(×0.001)"
    assert "×" not in panel.plot.getPlotItem().getAxis("bottom").labelString()
    low, high = panel.plot.getPlotItem().getAxis("bottom").range
    assert low < 1 < high and high - low < 6
    for _ in range(39):
        panel.add_turn(_turn(900.0))
    ticks = [int(tick) for tick in _ticks(panel)]
    assert len(ticks) <= 8 and ticks[0] >= 11 and ticks[-1] <= 40  # the last 30 turns, integers only
    assert len({b - a for a, b in itertools.pairwise(ticks)}) == 1  # evenly spaced


def test_a_turn_over_max_latency_ms_is_red_with_a_tooltip(panel):
    label = panel.values["voice_to_voice"]
    panel.add_turn(_turn(1400.0))
    assert theme.BAD not in label.styleSheet() and label.toolTip() == ""
    panel.add_turn(_turn(1600.0))  # over this panel's 1500 ms, under the 2000 ms default
    assert theme.BAD in label.styleSheet() and "1500 ms" in label.toolTip()
    brushes = panel.curves["voice_to_voice"].opts["symbolBrush"]
    assert [b.color().name() for b in brushes] == [theme.ANCHOR.lower(), theme.BAD.lower()]
    panel.set_alert_ms(2000)  # the host raised the threshold in the settings
    assert theme.BAD not in label.styleSheet() and label.toolTip() == ""


def test_the_window_alerts_at_the_threshold_of_its_settings(qtbot, studio, monkeypatch):
    monkeypatch.setenv("MAX_LATENCY_MS", "600")
    window, _mic = studio()
    window.latency.add_turn(_turn(700.0))  # under the 2000 ms default, over the setting
    assert "600 ms" in window.latency.values["voice_to_voice"].toolTip()
