"""The window icon: drawn from resources/icon.svg, which the PyInstaller build bundles."""

from __future__ import annotations

import ast
from pathlib import Path

from PySide6.QtGui import QImageReader

from studio.ui.icon import app_icon

ROOT = Path(__file__).resolve().parents[2]


def test_icon_loads_from_the_svg_and_renders(qapp):
    assert b"svg" in [bytes(fmt) for fmt in QImageReader.supportedImageFormats()]
    icon = app_icon()
    assert not icon.isNull()
    pixmap = icon.pixmap(64, 64)
    assert not pixmap.isNull() and pixmap.width() == 64
    assert pixmap.toImage().pixelColor(32, 32).alpha() > 0  # drawn, not an empty square


def test_the_build_bundles_the_icon_and_the_svg_plugin():
    spec = (ROOT / "pyinstaller.spec").read_text(encoding="utf-8")
    tree = ast.parse(spec)
    assert (ROOT / "resources" / "icon.svg").is_file()
    assert '("resources", "resources")' in spec  # resources/ (icon.svg) goes into the bundle
    names = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
    assert "PySide6.QtSvg" in names  # the svg image plugin's library
