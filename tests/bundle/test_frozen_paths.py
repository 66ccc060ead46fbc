"""Inside the PyInstaller bundle the model files are found under sys._MEIPASS, not through packages."""

from __future__ import annotations

import sys

import pytest

from studio.backends.silero_vad import silero_model_path
from studio.backends.smart_turn import MODEL_FILE, smart_turn_model_path


def test_frozen_app_finds_silero_and_smart_turn_under_meipass(tmp_path, monkeypatch):
    silero = tmp_path / "silero_vad" / "data" / "silero_vad.onnx"
    smart_turn = tmp_path / MODEL_FILE
    for path in (silero, smart_turn):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"onnx")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert silero_model_path() == silero
    assert smart_turn_model_path() == smart_turn


def test_a_bundle_without_the_files_names_them(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    with pytest.raises(RuntimeError, match=r"silero_vad\.onnx"):
        silero_model_path()
    with pytest.raises(RuntimeError, match="Smart Turn"):
        smart_turn_model_path()


def test_outside_a_bundle_the_installed_packages_hold_them():
    assert silero_model_path().is_file() and smart_turn_model_path().is_file()
