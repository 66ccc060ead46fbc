"""The product starts without its bench-only parts (instrumented backends, mic stand-in, private server)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What the window, `run`, `serve`-style faces and every subcommand's parser import at start.
PRODUCT_START = (
    "studio.cli",
    "studio.commands.run",
    "studio.commands.bench",
    "studio.headless",
    "studio.show",
    "studio.ui.app",
    "studio.ui.main_window",
)


def test_starting_the_product_imports_nothing_from_the_bench_package():
    probe = (
        "import importlib, sys\n"
        f"for name in {PRODUCT_START!r}: importlib.import_module(name)\n"
        "print('\\n'.join(sorted(m for m in sys.modules if m.startswith('studio.bench'))))\n"
    )
    command = [sys.executable, "-c", probe]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == [], f"imported at start: {result.stdout.split()}"


def test_no_test_double_lives_outside_the_bench_package():
    found = subprocess.run(
        ["grep", "-rlE", r"class (FixedDelay|QueuedMicrophone|EnergyVoiceActivity)", "studio"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    ).stdout.split()
    assert found and all(path.startswith("studio/bench/") for path in found), found
