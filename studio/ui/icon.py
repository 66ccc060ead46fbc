"""The studio's icon, drawn from resources/icon.svg (the only icon file the project ships).

QIcon reads SVG through Qt's svg image plugin, which PySide6-Essentials ships (and the PyInstaller
build bundles with QtSvg), so one vector file serves every size the desktop asks for.
Threading: Qt main thread (after the QApplication exists).
"""

from __future__ import annotations

from PySide6.QtGui import QIcon

from studio.engine.supervisor_fallbacks import resources_dir

ICON_FILE = "icon.svg"


def app_icon() -> QIcon:
    """The window and application icon (a null icon if the file is missing from the install)."""
    return QIcon(str(resources_dir() / ICON_FILE))
