"""The FastAPI app: routes, the guard in front of them, CORS only for origins the settings list.

Threading: built on any thread before the server starts; serves on the web loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response

from studio import __version__
from studio.web import api, audio_ws, pages, safety_api, ws
from studio.web.context import WebContext
from studio.web.guard import Guard


def create_app(ctx: WebContext) -> FastAPI:
    """The web layer's app over `ctx` (its show, options and parts)."""
    app = FastAPI(
        title="AI Anchor Studio",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.include_router(api.router(ctx))
    app.include_router(safety_api.router(ctx))
    app.include_router(ws.router(ctx))
    app.include_router(audio_ws.router(ctx))
    app.include_router(pages.router())
    app.mount("/assets", pages.assets(), name="assets")

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        """Prometheus text exposition of the studio's own registry."""
        text = await asyncio.to_thread(ctx.metrics.render)  # GPU and RSS are read now, off the web loop
        return Response(text, media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        """One readable line per problem instead of pydantic's nested structure."""
        ctx.metrics.reject("invalid_body")
        return JSONResponse({"detail": "; ".join(_problem(e) for e in exc.errors())}, status_code=422)

    app.add_middleware(Guard, options=ctx.options, security=ctx.security, tokens=lambda: ctx.tokens)
    if ctx.options.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(ctx.options.allowed_origins),
            allow_methods=["GET", "PUT", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    return app


def _problem(error: dict[str, Any]) -> str:
    """`body.name: String should match pattern …` (malformed JSON says so)."""
    if error.get("type") == "json_invalid":
        return f"malformed JSON: {error.get('ctx', {}).get('error', 'cannot parse the body')}"
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"{where}: {error.get('msg', 'invalid')}"
