"""A plot axis for turn numbers: turns are whole numbers, so ticks are too (never 0.1 … 0.9).

pyqtgraph's default axis ticks at fractions when only a turn or two are shown, and its automatic
SI prefix turned a one-turn range into "turn (×0.001)" from −400 to 400.
Threading: Qt main thread (a QGraphicsItem).
"""

from __future__ import annotations

import math

import pyqtgraph as pg

MAX_TICKS = 8  # more would crowd a narrow panel
MIN_TURNS_SHOWN = 5  # the range an empty or young show starts with: turns 1 … 5


class TurnAxis(pg.AxisItem):
    """Bottom axis with integer ticks only, and no SI prefix."""

    def __init__(self) -> None:
        super().__init__("bottom")
        self.enableAutoSIPrefix(False)

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, list[float]]]:
        """One level of whole-number ticks, spaced so that at most MAX_TICKS show."""
        low, high = sorted((minVal, maxVal))
        first, last = math.ceil(low), math.floor(high)
        if last < first:
            return [(1.0, [])]
        step = max(1, math.ceil((last - first + 1) / MAX_TICKS))
        return [(float(step), [float(value) for value in range(first, last + 1, step)])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [str(round(value)) for value in values]


def turn_range(first: int, last: int) -> tuple[float, float]:
    """The x range that shows turns `first` … `last` (at least MIN_TURNS_SHOWN of them) whole."""
    last = max(last, first + MIN_TURNS_SHOWN - 1)
    return first - 0.5, last + 0.5
