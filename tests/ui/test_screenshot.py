"""`ai-anchor-studio --screenshot` in a real X server (Xvfb): the stack loads and the PNG is not blank."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

pytestmark = pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run not installed (apt xvfb)")


def test_screenshot_under_xvfb_shows_the_ready_studio(tmp_path):
    shot = tmp_path / "studio.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    command = [sys.executable, "-m", "studio.cli", "--screenshot", str(shot)]
    result = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1400x900x24", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr[-2000:]
    image = QImage(str(shot))
    assert not image.isNull() and image.width() >= 800 and image.height() >= 500
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 30, "the screenshot is (nearly) blank"
    green = sum(1 for c in colours if (c >> 8 & 0xFF) > 150 and (c >> 16 & 0xFF) < 100 and (c & 0xFF) < 120)
    assert green > 0, "no green (ready) stage light in the screenshot"
