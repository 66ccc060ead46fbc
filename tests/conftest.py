"""Test session setup: private config/data dirs, so a developer's own settings never leak in."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists


@pytest.fixture(autouse=True)
def private_studio_dirs(tmp_path, monkeypatch):
    """Each test gets its own config and data dir; the model cache stays shared (it is slow to build)."""
    monkeypatch.setenv("AI_ANCHOR_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("AI_ANCHOR_DATA_DIR", str(tmp_path / "data"))
    for name in ("STACK", "SAMPLE_RATE", "OLLAMA_HOST", "VOICE", "TURN_MODE"):
        monkeypatch.delenv(name, raising=False)
