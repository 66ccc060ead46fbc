"""The show: THE composition root. Audio, stack, engine, session log and faults are assembled
here once; every face (window, `run`, benches, web, OBS) uses its one command API and one event
stream. Plain Python, no Qt. Threading: one asyncio loop runs the show (see studio.show.show).
"""

from studio.show.show import Show

__all__ = ["Show"]
