"""The seed's end-of-turn text model, KoljaB/SentenceFinishedClassification: where it lives, how to get it.

`host pull` fetches it with huggingface_hub (bytes, rate and ETA shown as for Ollama's pull) into
the studio's cache; the gpu stack's turn stage then uses it without any setting. TURN_MODEL_PATH
still wins when set. Without the model, Smart Turn decides alone and its name says why.
Threading: `pull_turn_model` blocks (the CLI's thread); the rest is path arithmetic.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.config import Settings, cache_dir

TURN_MODEL_REPO = "KoljaB/SentenceFinishedClassification"
NOT_PULLED = "DistilBERT turn model not pulled: `ai-anchor-studio host pull`"
#: (status, completed bytes, total bytes) of a download, as the pull meter reads them
Progress = Callable[[str, int, int], None]


def default_turn_model_dir() -> Path:
    """Where `host pull` puts the turn model (the studio's cache dir)."""
    return cache_dir() / "models" / TURN_MODEL_REPO.replace("/", "--")


def turn_model_dir(settings: Settings) -> Path | None:
    """TURN_MODEL_PATH when set; else the pulled model if it is there; else None (Smart Turn alone)."""
    if settings.TURN_MODEL_PATH.strip():
        return Path(settings.TURN_MODEL_PATH).expanduser()
    pulled = default_turn_model_dir()
    return pulled if (pulled / "config.json").is_file() else None


def _reporting_tqdm(report: Progress, status: str) -> type:
    """A tqdm class that draws nothing and hands the byte counts of one bar to `report`.

    huggingface_hub keeps two byte bars (bytes received, bytes written); the first one made is
    reported, so the meter sees one steady count.
    """
    from tqdm import tqdm

    reported: list[object] = []

    class Reporting(tqdm):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("name", None)
            super().__init__(*args, **{**kwargs, "file": io.StringIO(), "disable": False})
            if self.unit == "B" and not reported:
                reported.append(self)

        def update(self, n: float | None = 1) -> bool | None:
            shown = super().update(n)
            if reported and reported[0] is self and self.total:
                report(status, int(self.n), int(self.total))
            return shown

    return Reporting


def pull_turn_model(
    on_progress: Progress | None = None, folder: Path | None = None, endpoint: str | None = None
) -> Path:
    """Download the turn model (resumable; files already there are kept); returns its folder."""
    from huggingface_hub import snapshot_download

    target = folder or default_turn_model_dir()
    target.mkdir(parents=True, exist_ok=True)
    status = f"downloading {TURN_MODEL_REPO}"
    tqdm_class = _reporting_tqdm(on_progress, status) if on_progress is not None else None
    snapshot_download(TURN_MODEL_REPO, local_dir=target, endpoint=endpoint, tqdm_class=tqdm_class)
    return target
