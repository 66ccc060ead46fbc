"""Ollama housekeeping: is it up, which models are pulled, pull one with progress, what is resident.

`/api/version` (reachability), `/api/tags` (pulled models), `/api/pull` (NDJSON status lines
with total/completed bytes; resumable), `/api/ps` (loaded models with size and size_vram).
Threading: the blocking calls (`pull` above all) run in the caller's worker thread — the GUI's
model manager or the supervisor, never the engine loop; `has_model` is the async health probe.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from studio.backends.openai_http import HEALTH_TIMEOUT_S, client_timeout


def with_tag(name: str) -> str:
    """`llama3` → `llama3:latest`; names that carry a tag (`hf.co/u/r:Q4_K_M`) stay as they are."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


class OllamaError(RuntimeError):
    """Ollama is unreachable or refused; the message names the host and the fix."""


@dataclass(frozen=True, slots=True)
class PullProgress:
    """One status line of a pull: `fraction` is None while Ollama reports no byte counts."""

    status: str
    completed: int = 0
    total: int = 0

    @property
    def fraction(self) -> float | None:
        return self.completed / self.total if self.total else None


@dataclass(frozen=True, slots=True)
class ResidentModel:
    """A model Ollama holds in memory now (`/api/ps`)."""

    name: str
    size_bytes: int
    vram_bytes: int
    expires_at: str


class OllamaAdmin:
    """Administrative calls against one Ollama server."""

    def __init__(self, host: str) -> None:
        self.host = host.rstrip("/")

    def _get(self, path: str, timeout_s: float) -> dict:
        try:
            response = httpx.get(f"{self.host}{path}", timeout=timeout_s)
            response.raise_for_status()
            return response.json()
        except httpx.HTTPStatusError as exc:
            raise OllamaError(
                f"Ollama at {self.host} answered HTTP {exc.response.status_code} to {path}"
            ) from None
        except (httpx.HTTPError, ValueError) as exc:
            raise OllamaError(
                f"Ollama at {self.host} is unreachable ({exc}); run `ollama serve` or set OLLAMA_HOST"
            ) from None

    def version(self, timeout_s: float = HEALTH_TIMEOUT_S) -> str:
        """The server's version (raises OllamaError when it is not reachable)."""
        return str(self._get("/api/version", timeout_s).get("version", "?"))

    def models(self, timeout_s: float = HEALTH_TIMEOUT_S) -> list[str]:
        """Names of the pulled models."""
        listed = self._get("/api/tags", timeout_s).get("models") or []
        return [str(entry.get("name") or entry.get("model")) for entry in listed if isinstance(entry, dict)]

    def has(self, model: str, timeout_s: float = HEALTH_TIMEOUT_S) -> bool:
        """True when `model` is pulled (":latest" implied for untagged names)."""
        return with_tag(model) in {with_tag(name) for name in self.models(timeout_s)}

    def resident(self, timeout_s: float = HEALTH_TIMEOUT_S) -> list[ResidentModel]:
        """Models loaded now, with their total and GPU-resident sizes."""
        return [
            ResidentModel(
                str(entry.get("name") or entry.get("model")),
                int(entry.get("size") or 0),
                int(entry.get("size_vram") or 0),
                str(entry.get("expires_at") or ""),
            )
            for entry in self._get("/api/ps", timeout_s).get("models") or []
            if isinstance(entry, dict)
        ]

    def pull(
        self,
        model: str,
        on_progress: Callable[[PullProgress], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        """Pull `model`, reporting each status line; blocks until done, `stop` is set, or it fails.

        A stopped pull can be resumed later (Ollama keeps the downloaded layers).
        """
        try:
            with httpx.stream(
                "POST",
                f"{self.host}/api/pull",
                json={"model": model, "stream": True},
                timeout=client_timeout(60.0),
            ) as response:
                if not response.is_success:
                    response.read()
                    raise OllamaError(
                        f"Ollama at {self.host} refused to pull {model!r}: {response.text.strip()}"
                    )
                for line in response.iter_lines():
                    if stop is not None and stop.is_set():
                        return
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    if "error" in event:
                        raise OllamaError(f"pulling {model!r} failed: {event['error']}")
                    progress = PullProgress(
                        str(event.get("status", "")),
                        int(event.get("completed") or 0),
                        int(event.get("total") or 0),
                    )
                    if on_progress is not None:
                        on_progress(progress)
                    if progress.status == "success":
                        return
        except httpx.HTTPError as exc:
            raise OllamaError(
                f"pulling {model!r} from {self.host} broke off ({exc}); run the pull again"
            ) from None
        raise OllamaError(f"Ollama at {self.host} ended the pull of {model!r} without 'success'")

    async def has_model(self, model: str, timeout_s: float = HEALTH_TIMEOUT_S) -> bool:
        """Async health probe: reachable and `model` pulled (never raises)."""
        try:
            async with httpx.AsyncClient(timeout=timeout_s) as client:
                response = await client.get(f"{self.host}/api/tags")
            listed = response.json().get("models") or [] if response.is_success else []
        except (httpx.HTTPError, ValueError, AttributeError):
            return False
        wanted = with_tag(model)
        return any(
            wanted in {with_tag(str(entry.get(key))) for key in ("name", "model") if entry.get(key)}
            for entry in listed
            if isinstance(entry, dict)
        )
