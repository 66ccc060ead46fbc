"""The REST commands broadcast safety and the rundown added: DUMP, approve / edit / drop, NEXT / BACK.

Same rules as studio.web.api: pydantic bodies (unknown fields refused), the show's thread-safe
commands awaited with a timeout; nothing waiting to approve is 409, no rundown is 503.
Threading: handlers run on the web loop; the show's commands hop onto the show's loop.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import Field

from studio.rundown import SegmentChanged
from studio.web.api import Body, run_command
from studio.web.context import WebContext

NOTHING_WAITING = "no reply is waiting for approval"


class ApproveBody(Body):
    """Approve the waiting reply; with `text`, air that instead (an edit, still word-filtered)."""

    text: str | None = Field(None, min_length=1, max_length=2000)


class SegmentBody(Body):
    """Which way to move in the rundown."""

    step: Literal["next", "back"]


def describe_segment(change: SegmentChanged | None) -> dict[str, Any]:
    """Where the rundown is after a step (`changed` false: the step did nothing)."""
    if change is None:
        return {"changed": False}
    return {"changed": True, "index": change.index, "count": change.count, "title": change.title}


def router(ctx: WebContext) -> APIRouter:
    """The /api routes for DUMP, the producer's approval and the rundown over `ctx`'s show."""
    api = APIRouter(prefix="/api")
    show = ctx.show

    @api.post("/dump")
    async def dump() -> dict[str, Any]:
        """DUMP: silence the anchor and drop the delayed program not aired yet."""
        seconds = await run_command(show.dump())
        return {"dumped_s": round(float(seconds), 3)}

    @api.post("/approve")
    async def approve(body: ApproveBody | None = None) -> dict[str, Any]:
        """Air the waiting reply as written, or `text` in its place."""
        text = body.text if body is not None else None
        future = show.approve_reply() if text is None else show.edit_reply(text)
        if not await run_command(future):
            raise HTTPException(409, NOTHING_WAITING)
        return {"approved": True, "edited": text is not None}

    @api.post("/drop_reply")
    async def drop_reply() -> dict[str, Any]:
        """Drop the waiting reply: nothing of it airs."""
        if not await run_command(show.drop_reply()):
            raise HTTPException(409, NOTHING_WAITING)
        return {"dropped": True}

    @api.post("/segment")
    async def segment(body: SegmentBody) -> dict[str, Any]:
        """NEXT (starts the rundown) or BACK."""
        future = show.next_segment() if body.step == "next" else show.back_segment()
        return describe_segment(await run_command(future))

    return api
