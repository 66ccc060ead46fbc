"""Writes the user's settings.toml: merged with what is there, validated first, replaced atomically.

Threading: Qt main thread (a tiny file); no Qt here so it is testable on its own.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from studio.config import Settings, SettingsError, load_settings, settings_file
from studio.fileio import write_atomic


def read_settings_file(path: Path | None = None) -> dict[str, Any]:
    """The TOML file as a dict ({} when absent); a broken file raises SettingsError."""
    path = path or settings_file()
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise SettingsError(f"cannot read {path}: {exc}") from None


def save_settings(changes: dict[str, Any], path: Path | None = None) -> Settings:
    """Merge `changes` into the file, check the result builds valid Settings, then write it.

    Raises SettingsError (file untouched) when a value is invalid or the file cannot be written.
    """
    path = path or settings_file()
    merged = {**read_settings_file(path), **{k: v for k, v in changes.items() if v is not None}}
    settings = load_settings(**merged)  # validates every value, names the bad one
    text = tomli_w.dumps(merged)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    except OSError as exc:
        raise SettingsError(f"cannot write {path}: {exc.strerror or exc}") from None
    return settings
