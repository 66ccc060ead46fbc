"""The pages: `/control` (phone-sized remote), `/guest` (a remote guest's mic and ears) and
`/overlay/captions` (OBS Browser Source).

Their scripts and styles are files under `/assets/` (no inline code, so the CSP forbids any);
the pages read their token from their own URL and open `/ws/events` (or `/ws/audio`) with it.
Threading: runs on the web loop.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"


def router() -> APIRouter:
    """The page routes (the guard has checked the control page's token already)."""
    pages = APIRouter()

    @pages.get("/control", include_in_schema=False)
    async def control() -> FileResponse:
        """The control page: talk, dump, mute, voice, mode, live transcript."""
        return FileResponse(STATIC / "control.html", media_type="text/html")

    @pages.get("/guest", include_in_schema=False)
    async def guest() -> FileResponse:
        """The guest page: mic permission, level meter, streams the mic, plays the anchor (/ws/audio)."""
        return FileResponse(STATIC / "guest.html", media_type="text/html")

    @pages.get("/overlay/captions", include_in_schema=False)
    async def captions() -> FileResponse:
        """The caption overlay: transparent, lower third; public (it holds no data, only code)."""
        return FileResponse(STATIC / "overlay.html", media_type="text/html")

    return pages


def assets() -> StaticFiles:
    """The pages' scripts and styles (no directory listing; paths cannot leave the folder)."""
    return StaticFiles(directory=STATIC, html=False)
