"""Test session setup: private config/data dirs, so a developer's own settings never leak in."""

from __future__ import annotations

import gc
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from studio.audio.pulse import PulseControl
from studio.bench.private_pulse import PrivatePulseError, private_pulse_server
from studio.engine.events import SUBSCRIBER_FAILED

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists
# The per-test dirs below replace these session-wide values rather than adding and removing the
# variables: adding one can make glibc move `environ` under another thread's getenv (a crash).
_SESSION_DIRS = tempfile.mkdtemp(prefix="anchor-tests-")
os.environ["AI_ANCHOR_CONFIG_DIR"] = os.path.join(_SESSION_DIRS, "config")
os.environ["AI_ANCHOR_DATA_DIR"] = os.path.join(_SESSION_DIRS, "data")


@pytest.fixture(autouse=True)
def private_studio_dirs(tmp_path, monkeypatch):
    """Each test gets its own config and data dir; the model cache stays shared (it is slow to build)."""
    monkeypatch.setenv("AI_ANCHOR_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("AI_ANCHOR_DATA_DIR", str(tmp_path / "data"))
    for name in ("STACK", "SAMPLE_RATE", "OLLAMA_HOST", "VOICE", "TURN_MODE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def qt_leftovers_are_freed_on_the_main_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """A GUI test runs without automatic garbage collection; its windows are deleted, and its
    garbage collected, here on the main thread when it ends.

    Left to a worker thread's collection (the engine loading models allocates a lot), a window is
    handed back to the main thread and deleted inside the window's application-wide key filter,
    which PySide 6.11 re-entered for ever (the suite hung there, twice, waiting for engine_ready).
    The app itself collects on the GUI thread only (studio/ui/main_thread_gc.py).
    """
    if "qtbot" not in request.fixturenames:
        yield
        return
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        from PySide6.QtCore import QCoreApplication, QEvent

        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        gc.collect()
        if was_enabled:
            gc.enable()


class _SubscriberFailures(logging.Handler):
    """Collects the event bus's 'subscriber failed' records, from any thread."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.failures: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(SUBSCRIBER_FAILED):
            self.failures.append(self.format(record))


@pytest.fixture(autouse=True)
def event_consumers_never_raise(request: pytest.FixtureRequest) -> Iterator[None]:
    """An event consumer that raises is a bug (DESIGN.md): the bus keeps the show going, the test fails."""
    handler = _SubscriberFailures()
    logger = logging.getLogger("studio.engine.events")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    if request.node.get_closest_marker("subscriber_failure_expected") is None:
        assert not handler.failures, "an event subscriber raised:\n" + "\n".join(handler.failures)


# A private PulseAudio server with the AI_Anchor_Out null sink (audio device and window tests).
@pytest.fixture(scope="session")
def pulse_server() -> Iterator[PulseControl]:
    """Start `pulseaudio -n` with only what the tests need; stopped at the end of the session."""
    try:
        with private_pulse_server("studio-tests") as control:
            yield control
    except PrivatePulseError as exc:
        if shutil.which("pulseaudio") is None:
            pytest.skip(f"{exc} (scripts/install.sh --test installs it)")
        pytest.fail(str(exc))


@pytest.fixture
def anchor_sink(pulse_server: PulseControl) -> PulseControl:
    """The server with the AI_Anchor_Out sink present (a test that unloads it gets it back)."""
    pulse_server.create_anchor_sink()
    return pulse_server


# Slow tests (e.g. tests/bundle: a PyInstaller build) run only when asked: the default CI run skips them.
def pytest_addoption(parser: pytest.Parser) -> None:
    """`--run-slow` (or STUDIO_RUN_SLOW=1) runs the tests marked slow."""
    parser.addoption("--run-slow", action="store_true", help="also run the tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the tests marked slow unless `--run-slow` or STUDIO_RUN_SLOW=1 asks for them."""
    if config.getoption("--run-slow") or os.environ.get("STUDIO_RUN_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow or STUDIO_RUN_SLOW=1")
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)
