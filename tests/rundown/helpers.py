"""What the rundown tests share: the issue's example, a three-segment rundown, a hand-moved clock."""

from __future__ import annotations

ISSUE_EXAMPLE = '[[segment]]\ntitle = "Headlines"\nminutes = 4\nnotes = "Open with the storm warning."\n'
THREE = (
    ISSUE_EXAMPLE
    + '\n[[segment]]\ntitle = "Weather"\nminutes = 3\nnotes = "The storm reaches the coast at nine."\n'
    + 'persona = "Calm and precise."\nvoice = "Max"\nscene = "Weather map"\n'
    + '\n[[segment]]\ntitle = "Sports"\nminutes = 2\n'
)


class FakeClock:
    """Seconds that move only when the test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
