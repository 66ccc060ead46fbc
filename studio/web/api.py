"""The REST commands: `/api/status`, voices, mode, talk, mute, interrupt, say, settings.

Bodies are pydantic models (unknown fields and wrong types refused); commands go through the
show's thread-safe API and are awaited with a timeout, so a stuck show answers 504, not a hang.
Threading: handlers run on the web loop; the show's commands hop onto the show's loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from studio.voices.profile import VoiceProfile
from studio.web.context import WebContext

COMMAND_TIMEOUT_S = 10.0
VOICE_NAME = r"^[^/\\\x00-\x1f.][^/\\\x00-\x1f]{0,63}$"  # a name, never a path (and no "..")
SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD")


class Body(BaseModel):
    """Every body: unknown fields are refused rather than ignored."""

    model_config = ConfigDict(extra="forbid")


class VoiceBody(Body):
    """Which voice to switch to, by name."""

    name: str = Field(pattern=VOICE_NAME, description="a voice profile's name, as /api/voices lists it")

    @field_validator("name")
    @classmethod
    def _not_a_path(cls, value: str) -> str:
        """Refuse `..` anywhere: a name must never walk out of the voices folder."""
        if ".." in value:
            raise ValueError("a voice name, not a path")
        return value


class ModeBody(Body):
    """The turn-taking mode to switch to."""

    mode: Literal["auto", "push_to_talk"]


class PressedBody(Body):
    """The talk key's new state."""

    pressed: StrictBool


class MutedBody(Body):
    """The host mic's new state."""

    muted: StrictBool


class RemoteInputBody(Body):
    """How a voice on /ws/audio is heard."""

    mix: StrictBool = Field(
        description="true: mixed with the mic (a guest); false: in its place (a remote host)"
    )


class SayBody(Body):
    """A typed host line."""

    text: str = Field(min_length=1, max_length=2000)


async def run_command(future: concurrent.futures.Future[Any]) -> Any:
    """Await a show command from the web loop; 503 when the show cannot take it, 504 when stuck."""
    try:
        return await asyncio.wait_for(asyncio.wrap_future(future), COMMAND_TIMEOUT_S)
    except TimeoutError:
        raise HTTPException(504, "the show did not answer in time") from None
    except RuntimeError as exc:
        raise HTTPException(503, str(exc)) from None


def redacted(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings with every secret (keys, tokens) shown only as set or not."""
    return {
        name: ("***" if value else "") if any(w in name.upper() for w in SECRET_WORDS) else value
        for name, value in settings.items()
    }


def describe_voice(voice: VoiceProfile) -> dict[str, Any]:
    """What a client needs to offer a voice: its name, the anchor's name, the language."""
    return {"name": voice.name, "anchor_name": voice.anchor_name, "language": voice.language}


def router(ctx: WebContext) -> APIRouter:
    """The /api routes over `ctx`'s show."""
    api = APIRouter(prefix="/api")
    _add_reads(api, ctx)
    _add_commands(api, ctx)
    return api


def _add_reads(api: APIRouter, ctx: WebContext) -> None:
    """What the show is doing: status, voices, settings (read routes)."""
    show = ctx.show

    @api.get("/status")
    async def status() -> dict[str, Any]:
        """Stages, voice, mode, mute, on-air and the last turn's latencies."""
        return ctx.status.snapshot(show)

    @api.get("/voices")
    async def voices() -> dict[str, Any]:
        """Every voice the anchor can take, and the current one."""
        profiles = await asyncio.to_thread(ctx.catalog().profiles)
        return {"current": show.voice.name, "voices": [describe_voice(v) for v in profiles]}

    @api.get("/settings")
    async def settings() -> dict[str, Any]:
        """The settings in force, secrets redacted."""
        return redacted(show.settings.model_dump(mode="json"))


def _add_commands(api: APIRouter, ctx: WebContext) -> None:
    """What changes the show: voice, mode, talk key, mute, interrupt, a typed line."""
    show = ctx.show

    @api.put("/voice")
    async def set_voice(body: VoiceBody) -> dict[str, Any]:
        """The anchor's voice from the next reply."""
        catalog = ctx.catalog()
        voice = await asyncio.to_thread(catalog.find, body.name)
        if voice is None:
            raise HTTPException(404, f"unknown voice {body.name!r}; GET /api/voices lists them")
        await run_command(show.set_voice(voice))
        return {"voice": voice.name}

    @api.put("/mode")
    async def set_mode(body: ModeBody) -> dict[str, Any]:
        """Turn-taking by voice activity (auto) or by the talk key (push_to_talk)."""
        await run_command(show.set_mode(body.mode))
        return {"mode": body.mode}

    @api.post("/ptt")
    async def push_to_talk(body: PressedBody) -> dict[str, Any]:
        """The talk key pressed or released (push_to_talk mode)."""
        await run_command(show.push_to_talk(body.pressed))
        return {"pressed": body.pressed}

    @api.post("/mute")
    async def mute(body: MutedBody) -> dict[str, Any]:
        """Mute the host mic: the anchor hears silence."""
        show.set_mic_muted(body.muted)
        return {"muted": show.mic_muted}

    @api.post("/interrupt")
    async def interrupt() -> dict[str, Any]:
        """Silence the anchor now (DUMP)."""
        return {"interrupted": bool(await run_command(show.interrupt()))}

    @api.put("/remote-input")
    async def remote_input(body: RemoteInputBody) -> dict[str, Any]:
        """A voice on /ws/audio mixed with the mic (a guest) or in its place (a remote host)."""
        await run_command(show.set_remote_mix(body.mix))
        return {"mix": show.remote_mix}

    @api.post("/say")
    async def say(body: SayBody) -> dict[str, Any]:
        """A typed host line, answered like a spoken one."""
        await run_command(show.submit_text(body.text))
        return {"said": body.text}
