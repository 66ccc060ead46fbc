"""The speech host's door: the token check, and voices a studio uploads (`/v1/audio/voices/...`).

- With a token, every `/v1` route needs `Authorization: Bearer <token>` (as vLLM's --api-key);
  `/health` stays open for probes. Without one the host only listens on loopback (higgs_host).
- `GET /v1/audio/voices/{voice}`: 200 when the host can speak in that voice (a key or a name).
- `POST /v1/audio/voices` (multipart: name, transcript, seed, temperature, file): the clip and
  transcript are kept by content key and usable at once; answers `{"voice": key}`. Refused
  (403) from another machine when the host has no token, 501 when the engine keeps no uploads.
Threading: aiohttp handlers on the host's loop; the engine's `add_voice` (file I/O) in a thread.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

from aiohttp import web

from studio.voices.travel import VoiceUpload

MAX_CLIP_BYTES = 25 * 1024 * 1024
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def error(status: int, message: str) -> web.Response:
    """An OpenAI/vLLM-shaped error body."""
    return web.json_response({"error": {"message": message, "code": status}}, status=status)


def token_guard(token: str) -> Any:
    """Middleware: `/v1` routes need the bearer token when the host has one."""

    @web.middleware
    async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
        if token and request.path.startswith("/v1"):
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return error(401, "missing or wrong token: set HIGGS_AUDIO_API_KEY to this host's --token")
        return await handler(request)

    return guard


class VoiceRoutes:
    """Lookup and upload of voices on one engine."""

    def __init__(self, engine: Any, token: str) -> None:
        self.engine, self._token = engine, token

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v1/audio/voices/{voice}", self._lookup),
            web.post("/v1/audio/voices", self._upload),
        ]

    async def _lookup(self, request: web.Request) -> web.Response:
        voice = request.match_info["voice"]
        if voice in self.engine.voices():
            return web.json_response({"voice": voice})
        return error(404, f"voice {voice!r} not found")

    async def _upload(self, request: web.Request) -> web.Response:
        if not self._token and request.remote not in LOOPBACK:
            return error(
                403, "this host has no token: uploads only from this machine (start it with --token)"
            )
        if not hasattr(self.engine, "add_voice"):
            return error(501, "this speech engine keeps no uploaded voices")
        try:
            upload = await _read_upload(request)
        except (KeyError, ValueError) as exc:
            return error(400, f"a voice upload needs name, transcript, seed, temperature and file ({exc})")
        key = await asyncio.to_thread(self.engine.add_voice, upload)
        return web.json_response({"voice": key, "name": upload.name})


async def _read_upload(request: web.Request) -> VoiceUpload:
    """The multipart form as a VoiceUpload (ValueError/KeyError when incomplete or too big)."""
    form = await request.post()
    clip = form["file"]
    if not isinstance(clip, web.FileField):
        raise ValueError("file is not an uploaded file")
    audio = clip.file.read(MAX_CLIP_BYTES + 1)
    if not audio or len(audio) > MAX_CLIP_BYTES:
        raise ValueError("the clip is empty or over 25 MB")
    transcript = str(form["transcript"]).strip()
    if not transcript:
        raise ValueError("the transcript is empty")
    suffix = "." + clip.filename.rsplit(".", 1)[-1].lower() if "." in clip.filename else ".wav"
    return VoiceUpload(
        str(form["name"]), transcript, int(str(form["seed"])), float(str(form["temperature"])), audio, suffix
    )
