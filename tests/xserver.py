"""A private Xvfb display and xdotool for the global-hotkey tests: real X key events, another window focused.

Xvfb picks a free display itself (-displayfd) and says which once it accepts clients; xdotool
types through XTEST, so keys reach the X server as a keyboard's would (and passive grabs fire).
Nothing sleeps: each step waits on the process that does it (xdotool --sync polls the server).
Threading: the test's thread.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.announcing import announcing

READY_S = 20.0  # a cap on Xvfb's start, not a wait: it says its display number when it is ready


def need_x_tools() -> None:
    """Skip (naming what to install) where Xvfb, xdotool or xmessage are missing."""
    missing = [tool for tool in ("Xvfb", "xdotool", "xmessage") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"global hotkeys need {', '.join(missing)} (scripts/install.sh --test installs them)")


@contextmanager
def xvfb() -> Iterator[str]:
    """A fresh X server on a free display; yields its name (':N')."""
    need_x_tools()
    argv = ["Xvfb", "-nolisten", "tcp", "-screen", "0", "800x600x24"]
    with announcing(lambda fd: [*argv, "-displayfd", str(fd)], "Xvfb", READY_S, 10) as number:
        yield f":{number}"


class XDesktop:
    """xdotool and another program's window on one X display."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.env = {**os.environ, "DISPLAY": display}
        self._others: list[subprocess.Popen] = []

    def xdotool(self, *arguments: str) -> str:
        """Run xdotool on this display; its output."""
        done = subprocess.run(
            ["xdotool", *arguments], env=self.env, capture_output=True, text=True, timeout=30, check=True
        )
        return done.stdout.strip()

    def other_window(self, title: str = "other-app") -> str:
        """Open another program's window (xmessage), focus it, and return its id."""
        self._others.append(
            subprocess.Popen(
                ["xmessage", "-name", title, "-title", title, "another program has the focus"],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        window = self.xdotool("search", "--sync", "--name", f"^{title}$").splitlines()[0]
        self.xdotool("windowfocus", "--sync", window)
        return window

    def focused(self) -> str:
        """The window that has the keyboard focus now."""
        return self.xdotool("getwindowfocus")

    def close(self) -> None:
        """End the other programs."""
        for other in self._others:
            other.terminate()
            other.wait(10)
