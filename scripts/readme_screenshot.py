"""Renders docs/studio-window.png for the README: the real window after two typed host lines.

Run under a display, e.g.
`xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python scripts/readme_screenshot.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from studio.config import load_settings
from studio.ui.main_window import StudioWindow
from studio.ui.show_thread import ShowThread
from studio.ui.theme import apply_theme
from studio.voices.catalog import VoiceCatalog

LINES = ("Good evening! What is the top story tonight?", "And how is the weather looking for the weekend?")


def main(target: Path) -> int:
    app = QApplication(sys.argv[:1])
    apply_theme(app)
    settings = load_settings()
    voices = VoiceCatalog(None).profiles()
    window = StudioWindow(settings, voices, ShowThread(settings, voices[0]))
    window.resize(1400, 860)
    pending = list(LINES)

    def next_line(*_args) -> None:
        if pending:
            window.engine.submit_text(pending.pop(0))
        else:
            QTimer.singleShot(800, shoot)

    def shoot() -> None:
        window.grab().save(str(target))
        window.close()
        app.quit()

    window.engine.engine_ready.connect(lambda _b: QTimer.singleShot(500, next_line))
    window.engine.turn_completed.connect(lambda _t: QTimer.singleShot(300, next_line))
    window.start()
    app.exec()
    return 0 if target.exists() else 1


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/studio-window.png")))
