"""Voices travel to the speech host: the studio uploads a profile's reference clip and transcript.

Before a profile speaks on a host that takes uploads (ours: it lists `/v1/audio/voices`), the
client asks whether the host already has the profile's content key (studio.voices.travel) and
uploads the clip only when it does not; the host keeps it by that key, so a profile created or
edited in the studio speaks on a host on another machine without restarting it. A host that takes
no uploads (Boson's image, voices from its presets) is asked for the profile's name, as before.
A 401/403 says to set HIGGS_AUDIO_API_KEY to the host's token. `ensure` is the TTS stage's
readiness check of the current voice: it uploads like `voice_id`, but a profile with a reference
clip that cannot be read or sent raises `VoiceUnavailable` instead of falling back to the name.
Threading: coroutines on the engine loop (httpx async); the clip is read in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx

from studio.backends.openai_http import ServerError, raise_for_answer
from studio.voices.profile import VoiceProfile
from studio.voices.travel import VoiceUpload

log = logging.getLogger(__name__)
REFUSED = (401, 403)
NOT_IMPLEMENTED = 501


class VoiceUnavailable(ServerError):
    """A profile meant to be cloned whose reference clip the host does not have and cannot be given."""


def reference_problem(profile: VoiceProfile) -> str | None:
    """Why the profile's reference clip cannot be sent; None for a clonable or a stock voice (no clip)."""
    clip = profile.reference_audio
    if clip is None:
        return None
    if not Path(clip).is_file():
        return f"its reference clip {clip} is missing"
    if not profile.reference_transcript.strip():
        return "its reference clip has no transcript"
    return None


def unavailable_reason(profile: VoiceProfile, where: str, cause: str) -> str:
    """The stage's reason when a voice cannot be made available: the voice, the host, why, the fix."""
    return (
        f"voice {profile.name!r} is not on {where} and could not be uploaded: {cause}; "
        "record a reference in the voice manager or check the host"
    )


def _fingerprint(profile: VoiceProfile) -> tuple | None:
    """What decides the content key, without reading the clip (its path, size and mtime)."""
    clip = profile.reference_audio
    if clip is None or not profile.reference_transcript.strip():
        return None
    try:
        stat = Path(clip).stat()
    except OSError:
        return None
    synthesis = profile.synthesis
    return (
        str(clip),
        stat.st_size,
        stat.st_mtime_ns,
        profile.reference_transcript,
        synthesis.seed,
        synthesis.temperature,
    )


class HostVoices:
    """Which voice id to send for a profile, uploading it to the host first when needed."""

    def __init__(self, client: httpx.AsyncClient, where: str) -> None:
        self._client, self._where = client, where
        self._takes_uploads: bool | None = None  # None: not asked yet
        self._keys: dict[tuple, str] = {}  # fingerprint → content key (the clip is read once)
        self._on_host: set[str] = set()  # keys the host is known to have

    async def voice_id(self, profile: VoiceProfile) -> str:
        """The content key the host speaks this profile under (uploaded if new), else its name."""
        fingerprint = _fingerprint(profile)
        if fingerprint is None or not await self._uploads_possible():
            return profile.name
        key = self._keys.get(fingerprint)
        if key in self._on_host:
            return key
        upload = await asyncio.to_thread(VoiceUpload.from_profile, profile)
        if upload is None:
            return profile.name
        key = self._keys[fingerprint] = upload.key
        if not await self._host_has(key) and not await self._upload(upload):
            self._takes_uploads = False  # the host lists voices but keeps no uploads: names only
            return profile.name
        self._on_host.add(key)
        return key

    async def ensure(self, profile: VoiceProfile) -> str:
        """`voice_id`, but a clip that cannot be read or sent raises VoiceUnavailable (stock voices pass)."""
        problem = reference_problem(profile)
        if problem is not None:
            raise VoiceUnavailable(problem)
        return await self.voice_id(profile)

    def forget(self, voice_id: str) -> None:
        """The host said it does not know this voice (its cache was wiped): upload again next time."""
        self._on_host.discard(voice_id)

    async def _uploads_possible(self) -> bool:
        if self._takes_uploads is None:
            response = await self._client.get("/v1/audio/voices")
            if response.status_code in REFUSED:
                await raise_for_answer(self._where, response)
            self._takes_uploads = response.is_success and isinstance(response.json().get("voices"), list)
        return self._takes_uploads

    async def _host_has(self, key: str) -> bool:
        response = await self._client.get(f"/v1/audio/voices/{key}")
        if response.status_code == 404:
            return False
        await raise_for_answer(self._where, response)
        return True

    async def _upload(self, upload: VoiceUpload) -> bool:
        """True once the host keeps the voice; False when its engine keeps no uploads (501)."""
        form = {
            "name": upload.name,
            "transcript": upload.transcript,
            "seed": str(upload.seed),
            "temperature": str(upload.temperature),
        }
        files = {"file": (f"reference{upload.suffix}", upload.audio, "application/octet-stream")}
        response = await self._client.post("/v1/audio/voices", data=form, files=files)
        if response.status_code in REFUSED:
            raise ServerError(
                f"{self._where} refused the upload of voice {upload.name!r} (HTTP {response.status_code}); "
                "set HIGGS_AUDIO_API_KEY in Settings to the host's token"
            )
        if response.status_code == NOT_IMPLEMENTED:
            log.info("%s keeps no uploaded voices; asking it for voices by name", self._where)
            return False
        await raise_for_answer(self._where, response)
        log.info("voice %r uploaded to %s as %s", upload.name, self._where, upload.key)
        return True
