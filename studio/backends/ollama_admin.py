"""Ollama housekeeping on the `ollama` library: is it up, is a model pulled, pull one, what is resident.

`show` answers whether a model is pulled (Ollama resolves the name itself: `llama3` means
`llama3:latest`), `list` names the pulled models, `ps` the resident ones, `pull` streams progress
(resumable). Only `/api/version` has no library call, so `version` asks it over plain HTTP.
Threading: the blocking calls (`pull` above all) run in the caller's worker thread — the GUI's
model manager, the supervisor, preset resolution — never the engine loop; `has_model` is the
async health probe the chat backend awaits on the engine loop.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import ollama

from studio.backends.openai_http import client_timeout
from studio.probe import HEALTH_TIMEOUT_S

PULL_READ_TIMEOUT_S = 60.0  # the longest gap between two status lines of a pull
NOT_FOUND = 404


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
    """A model Ollama holds in memory now (`ps`)."""

    name: str
    size_bytes: int
    vram_bytes: int
    expires_at: str


class OllamaAdmin:
    """Administrative calls against one Ollama server."""

    def __init__(self, host: str) -> None:
        self.host = host.rstrip("/")

    @contextlib.contextmanager
    def _asking(self, action: str) -> Iterator[None]:
        """Turns the library's and httpx's failures into one OllamaError naming the host and the fix."""
        try:
            yield
        except ollama.ResponseError as exc:
            raise OllamaError(f"Ollama at {self.host} refused to {action}: {exc.error}") from None
        except httpx.HTTPStatusError as exc:
            code = exc.response.status_code
            raise OllamaError(f"Ollama at {self.host} answered HTTP {code} when asked to {action}") from None
        except (ConnectionError, httpx.HTTPError, ValueError) as exc:
            raise OllamaError(
                f"Ollama at {self.host} is unreachable ({exc}); run `ollama serve` or set OLLAMA_HOST"
            ) from None

    def _client(self, timeout: float | httpx.Timeout) -> ollama.Client:
        return ollama.Client(host=self.host, timeout=timeout)

    def version(self, timeout_s: float = HEALTH_TIMEOUT_S) -> str:
        """The server's version (raises OllamaError when it is not reachable)."""
        with self._asking("tell its version"):
            response = httpx.get(f"{self.host}/api/version", timeout=timeout_s)
            response.raise_for_status()
            return str(response.json().get("version", "?"))

    def models(self, timeout_s: float = HEALTH_TIMEOUT_S) -> list[str]:
        """Names of the pulled models."""
        with self._asking("list its models"), self._client(timeout_s) as client:
            return [str(entry.model) for entry in client.list().models if entry.model]

    def has(self, model: str, timeout_s: float = HEALTH_TIMEOUT_S) -> bool:
        """True when `model` is pulled; raises OllamaError when Ollama cannot be asked."""
        with self._asking(f"show {model!r}"), self._client(timeout_s) as client:
            try:
                client.show(model)
            except ollama.ResponseError as exc:
                if exc.status_code != NOT_FOUND:
                    raise
                return False
        return True

    def serves(self, model: str, timeout_s: float = HEALTH_TIMEOUT_S) -> bool:
        """True when the server answers and has `model` pulled (never raises)."""
        try:
            return self.has(model, timeout_s)
        except OllamaError:
            return False

    async def has_model(self, model: str, timeout_s: float = HEALTH_TIMEOUT_S) -> bool:
        """`serves` for the engine loop: reachable and `model` pulled (never raises)."""
        try:
            return await self.pulled(model, timeout_s)
        except OllamaError:
            return False

    async def pulled(self, model: str, timeout_s: float = HEALTH_TIMEOUT_S) -> bool:
        """`has` for the engine loop: True when pulled, False when not; OllamaError when unreachable."""
        with self._asking(f"show {model!r}"):
            async with ollama.AsyncClient(host=self.host, timeout=timeout_s) as client:
                try:
                    await client.show(model)
                except ollama.ResponseError as exc:
                    if exc.status_code != NOT_FOUND:
                        raise
                    return False
        return True

    def resident(self, timeout_s: float = HEALTH_TIMEOUT_S) -> list[ResidentModel]:
        """Models loaded now, with their total and GPU-resident sizes."""
        with self._asking("list its resident models"), self._client(timeout_s) as client:
            return [
                ResidentModel(
                    str(entry.model or entry.name),
                    int(entry.size or 0),
                    int(entry.size_vram or 0),
                    entry.expires_at.isoformat() if entry.expires_at else "",
                )
                for entry in client.ps().models
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
            with (
                self._client(client_timeout(PULL_READ_TIMEOUT_S)) as client,
                contextlib.closing(client.pull(model, stream=True)) as lines,
            ):
                for line in lines:
                    if stop is not None and stop.is_set():
                        return
                    progress = PullProgress(line.status or "", line.completed or 0, line.total or 0)
                    if on_progress is not None:
                        on_progress(progress)
                    if progress.status == "success":
                        return
        except ollama.ResponseError as exc:
            raise OllamaError(f"pulling {model!r} failed: {exc.error}") from None
        except (ConnectionError, httpx.HTTPError) as exc:
            broke = f"pulling {model!r} from {self.host} broke off ({exc}); run the pull again"
            raise OllamaError(broke) from None
        raise OllamaError(f"Ollama at {self.host} ended the pull of {model!r} without 'success'")
