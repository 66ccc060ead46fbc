"""What an OpenAI-compatible server serves, and under which id: `GET /v1/models` plus one matching rule.

Real servers name their models their own way: Boson's higgs-audio image serves
`higgs-audio-v2-generation-3B-base` (its `--served-model-name`) for the HF path
`bosonai/higgs-audio-v2-generation-3B-base`; vLLM lists the path it loaded as `root`. The rule:
the configured id if served; else the served id (or root) that matches it without its organisation
prefix; else the only served model; otherwise a clear error that lists what the server serves.
Base URLs are accepted as their docs write them, with or without `/v1` and a trailing slash.
Threading: `ModelResolver` coroutines run on the engine loop (httpx async); the rest is pure.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from studio.backends.openai_http import ServerError, raise_for_answer, unreachable

log = logging.getLogger(__name__)
_warned: set[tuple[str, str, str]] = set()  # (server, configured, used): said once, not at every health check


class ModelNotServed(ServerError):
    """The server answers but does not serve the configured model; the message lists what it does."""


def api_root(url: str) -> str:
    """`http://h:8000/v1/` → `http://h:8000`: clients add `/v1/...` themselves, health is at the root."""
    root = url.strip().rstrip("/")
    while root.endswith("/v1"):
        root = root[: -len("/v1")].rstrip("/")
    return root


def _basename(model_id: str) -> str:
    """The id without its organisation (or directory) prefix, case-folded."""
    return model_id.rstrip("/").rsplit("/", 1)[-1].casefold()


@dataclass(frozen=True, slots=True)
class ServedModel:
    """One entry of `/v1/models`: the id requests must name, and (vLLM) the path it was loaded from."""

    id: str
    root: str = ""


def parse_models(body: Any) -> list[ServedModel]:
    """The `data` list of a `/v1/models` answer (entries without an id are skipped)."""
    entries = body.get("data") if isinstance(body, dict) else None
    served = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("id"):
            served.append(ServedModel(str(entry["id"]), str(entry.get("root") or "")))
    return served


def choose_model(configured: str, served: Sequence[ServedModel], where: str, setting: str) -> str:
    """The id to send for `configured`, by the rule above; ModelNotServed names what is served."""
    configured = configured.strip()
    if configured:
        for model in served:
            if configured in (model.id, model.root):
                return model.id
        wanted = _basename(configured)
        for model in served:
            if wanted in (_basename(model.id), _basename(model.root) if model.root else ""):
                return model.id
    if len(served) == 1:
        if configured and (where, configured, served[0].id) not in _warned:
            _warned.add((where, configured, served[0].id))
            log.warning("%s does not serve %r; using its only model %r", where, configured, served[0].id)
        return served[0].id
    listed = ", ".join(model.id for model in served) or "nothing"
    asked = f"{configured!r}" if configured else "a model (none configured)"
    raise ModelNotServed(f"{where} does not serve {asked}; it serves: {listed}. Set {setting} to one of them")


class ModelResolver:
    """Discovers the served id once and remembers it; `forget` after a 404, `refresh` re-reads it."""

    def __init__(
        self, client: httpx.AsyncClient, what: str, url: str, configured: str, setting: str, fix: str
    ) -> None:
        self._client, self._what, self._url = client, what, url
        self.configured, self._setting, self._fix = configured, setting, fix
        self.served_id: str | None = None

    @property
    def where(self) -> str:
        return f"{self._what} at {self._url}"

    async def served(self) -> list[ServedModel]:
        """The server's model list now (unreachable → ConnectionError, refused → ServerError)."""
        try:
            response = await self._client.get("/v1/models")
        except httpx.TransportError as exc:
            raise unreachable(self._what, self._url, exc, self._fix) from exc
        await raise_for_answer(self.where, response)
        try:
            return parse_models(response.json())
        except ValueError:
            raise ServerError(f"{self.where} answered /v1/models with something that is not JSON") from None

    async def model(self) -> str:
        """The id to put in requests (discovered on first use)."""
        if self.served_id is None:
            await self.refresh()
        assert self.served_id is not None
        return self.served_id

    async def refresh(self) -> str:
        """Ask the server again (it may have restarted with other models); raises when not served."""
        self.served_id = choose_model(self.configured, await self.served(), self.where, self._setting)
        return self.served_id

    def forget(self) -> None:
        """The server said the model does not exist: discover again before the next request."""
        self.served_id = None
