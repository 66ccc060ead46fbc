"""The web layer's two secrets: the control token and the read-only overlay token.

`STUDIO_API_TOKEN` (a setting) wins; else a token generated on first start is kept in the user
config dir (`web-tokens.json`, mode 0600), so bookmarks and OBS sources survive restarts.
`rotate_token` replaces one of them (kept in the same file) for a server that then swaps it in.
Threading: loaded once at start (any thread); `Tokens.role` is pure and safe from any thread;
`rotate_token` on the caller's thread (the window's GUI thread: a small file write).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from studio.config import Settings, config_dir
from studio.fileio import write_atomic

Role = Literal["control", "overlay"]
TOKEN_FILE = "web-tokens.json"
MIN_TOKEN_CHARS = 16


class TokenError(RuntimeError):
    """The token file cannot be read or written, or a given token is too weak; message for the user."""


@dataclass(frozen=True, slots=True)
class Tokens:
    """The control token (every command) and the overlay token (the event stream only)."""

    control: str
    overlay: str

    def role(self, given: str | None) -> Role | None:
        """Which role `given` grants, compared in constant time; None for no or a wrong token."""
        if not given:
            return None
        candidate = given.encode("utf-8", "surrogateescape")
        is_control = hmac.compare_digest(candidate, self.control.encode())
        is_overlay = hmac.compare_digest(candidate, self.overlay.encode())
        return "control" if is_control else "overlay" if is_overlay else None


def token_file() -> Path:
    """Where generated tokens are kept (the user config dir)."""
    return config_dir() / TOKEN_FILE


def load_tokens(settings: Settings, path: Path | None = None) -> Tokens:
    """The tokens in force: the setting's control token, else the kept one; generated when missing."""
    path = path or token_file()
    kept = _read(path)
    fresh = {key: kept.get(key) or secrets.token_urlsafe(32) for key in ("control", "overlay")}
    if fresh != kept:
        _write(path, fresh)
    _restrict(path)
    control = settings.STUDIO_API_TOKEN.strip() or fresh["control"]
    if len(control) < MIN_TOKEN_CHARS:
        raise TokenError(f"STUDIO_API_TOKEN is too short: use at least {MIN_TOKEN_CHARS} characters")
    if hmac.compare_digest(control.encode(), fresh["overlay"].encode()):
        raise TokenError("STUDIO_API_TOKEN must differ from the overlay token")
    return Tokens(control=control, overlay=fresh["overlay"])


def rotate_token(settings: Settings, role: Role, path: Path | None = None) -> Tokens:
    """A new `role` token, kept in the token file; the other one is unchanged. TokenError: cannot."""
    if role == "control" and settings.STUDIO_API_TOKEN.strip():
        raise TokenError("the control token is set by STUDIO_API_TOKEN: change it there, then restart")
    path = path or token_file()
    load_tokens(settings, path)  # both exist in the file now
    kept = _read(path)
    kept[role] = secrets.token_urlsafe(32)
    _write(path, kept)
    return load_tokens(settings, path)


def _read(path: Path) -> dict[str, str]:
    """The kept tokens ({} when there is no file yet)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise TokenError(f"cannot read {path}: {exc}; delete it to generate new tokens") from None
    if not isinstance(data, dict):
        raise TokenError(f"{path} is not a token file; delete it to generate new tokens")
    return {key: str(value) for key, value in data.items() if key in ("control", "overlay") and value}


def _write(path: Path, tokens: dict[str, str]) -> None:
    """Keep the tokens, owner-only."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(tokens, indent=2) + "\n")  # mkstemp: created 0600
    except OSError as exc:
        raise TokenError(f"cannot keep the web tokens in {path}: {exc.strerror or exc}") from None


def _restrict(path: Path) -> None:
    """Owner-only access, also for a file someone loosened by hand."""
    with contextlib.suppress(OSError):
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
