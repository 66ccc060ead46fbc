"""Backends load in parallel threads at startup: two loaders importing one package must not deadlock.

Smart Turn borrows faster-whisper's feature extractor while Whisper's loader imports the package.
The test holds Whisper's import of the package after it took the package's lock (before the
package is in sys.modules), lets Smart Turn's loader run until it waits on that lock, then lets
Whisper go on: had Smart Turn taken the feature extractor's lock first (importing the submodule
directly), Whisper's package would wait for it while it waits for the package - Python then
aborts Whisper's import with "deadlock detected", the failure seen at startup.
Threading: the scenario runs in a fresh interpreter (imports are process-wide state).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCENARIO = textwrap.dedent(
    """
    import importlib.abc, importlib.machinery, sys, threading

    from studio.backends.smart_turn import SmartTurnDetector

    inside_package, release = threading.Event(), threading.Event()

    class HeldLoader(importlib.abc.Loader):
        # Whisper's loader thread stops here: it holds the package's lock, sys.modules lacks it

        def __init__(self, real):
            self.real = real

        def create_module(self, spec):
            inside_package.set()
            release.wait(60)
            return self.real.create_module(spec)

        def exec_module(self, module):
            self.real.exec_module(module)

    class HoldWhispersImport(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name != "faster_whisper" or threading.current_thread().name != "whisper":
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            spec.loader = HeldLoader(spec.loader)
            return spec

    sys.meta_path.insert(0, HoldWhispersImport())
    errors = []

    def attempt(load):
        try:
            load()
        except BaseException as exc:
            errors.append(repr(exc))

    whisper = threading.Thread(target=attempt, args=(lambda: __import__("faster_whisper"),), name="whisper")
    whisper.start()
    assert inside_package.wait(60)
    smart_turn = threading.Thread(target=attempt, args=(SmartTurnDetector,), name="smart-turn")
    smart_turn.start()

    def waits_on_the_package_lock():
        frame = sys._current_frames().get(smart_turn.ident)
        while frame is not None:
            owner = frame.f_locals.get("self")
            if frame.f_code.co_name == "acquire" and getattr(owner, "name", None) == "faster_whisper":
                return True
            frame = frame.f_back
        return False

    poll = threading.Event()
    for _ in range(6000):
        if (reached := waits_on_the_package_lock()) or not smart_turn.is_alive():
            break
        poll.wait(0.01)
    release.set()
    whisper.join(60)
    smart_turn.join(60)
    print("smart turn waited on the package lock:", reached, "errors:", errors)
    sys.exit(1 if errors or not reached else 0)
    """
)


def test_smart_turn_loads_while_whisper_imports_its_package() -> None:
    result = subprocess.run([sys.executable, "-c", SCENARIO], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
