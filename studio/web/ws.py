"""`WS /ws/events`: the show's events as JSON text messages, as they happen.

The first message is `hello` (the role and the status now); then every event, and `levels` at
≤ 10 Hz unless `?levels=0`. A subscriber that falls `event_queue` events behind is closed with
code 1013 and the reason; one that sends more than a few messages is closed with 1008, and so is
one whose token was rotated.
Threading: runs on the web loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from studio.web.context import WebContext
from studio.web.hub import Subscription
from studio.web.race import first_to_finish

CLOSE_TOO_SLOW = 1013
CLOSE_POLICY = 1008
MAX_CLIENT_MESSAGES = 16  # the stream is one-way; a client talking to it is misbehaving
NO_MESSAGES = "this stream takes no messages"


def router(ctx: WebContext) -> APIRouter:
    """The /ws/events route over `ctx`'s hub."""
    routes = APIRouter()

    def dropped(subscription: Subscription) -> None:
        """A subscriber dropped for falling behind is a security event (a slow-loris looks like this)."""
        ctx.security.event("slow_subscriber", "websocket", "/ws/events", subscription.reason)

    ctx.hub.on_drop = dropped

    @routes.websocket("/ws/events")
    async def events(websocket: WebSocket, levels: int = 1) -> None:
        """Stream events to one subscriber until it leaves, misbehaves or falls behind."""
        await websocket.accept()
        subscription = ctx.hub.subscribe(levels=bool(levels))
        subscription.role = websocket.scope.get("studio_role")
        ctx.metrics.subscribers.set(ctx.hub.subscribers)
        try:
            hello = {
                "type": "hello",
                "role": websocket.scope.get("studio_role"),
                "status": ctx.status.snapshot(ctx.show),
            }
            await websocket.send_text(json.dumps(hello, default=str))
            code, reason = await _pump(websocket, subscription)
            with contextlib.suppress(Exception):  # the peer may be gone already
                await websocket.close(code, reason)
        finally:
            ctx.hub.unsubscribe(subscription)
            ctx.metrics.subscribers.set(ctx.hub.subscribers)

    return routes


async def _pump(websocket: WebSocket, subscription: Subscription) -> tuple[int, str]:
    """Send until the peer leaves (1000), falls behind (1013) or talks too much (1008)."""
    tasks = {
        asyncio.create_task(_send(websocket, subscription), name="ws-send"): (1000, "stream ended"),
        asyncio.create_task(_listen(websocket), name="ws-listen"): (CLOSE_POLICY, NO_MESSAGES),
        asyncio.create_task(subscription.dropped.wait(), name="ws-drop"): (CLOSE_TOO_SLOW, ""),
    }
    finished = await first_to_finish(tasks)
    code, reason = tasks[finished]
    if finished.get_name() == "ws-drop":
        code, reason = subscription.close_code, subscription.reason  # too slow, or its token rotated
    if not finished.cancelled() and isinstance(finished.exception(), WebSocketDisconnect):
        code, reason = 1000, "peer left"
    return code, reason


async def _send(websocket: WebSocket, subscription: Subscription) -> None:
    """Forward queued events to the socket until cancelled."""
    while True:
        await websocket.send_text(await subscription.queue.get())


async def _listen(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends; return once it sent too much."""
    for _ in range(MAX_CLIENT_MESSAGES):
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
