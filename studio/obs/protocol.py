"""obs-websocket v5 wire format: opcodes, close and status codes, the auth string, message shapes.

Only what the bridge uses, named as the protocol reference (obs-websocket docs/generated/protocol.md)
names it. Threading: pure functions and constants, any thread.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

RPC_VERSION = 1


class Op:
    """WebSocketOpCode values."""

    HELLO = 0
    IDENTIFY = 1
    IDENTIFIED = 2
    REIDENTIFY = 3
    EVENT = 5
    REQUEST = 6
    REQUEST_RESPONSE = 7


class Close:
    """WebSocketCloseCode values the client tells apart."""

    AUTHENTICATION_FAILED = 4009
    UNSUPPORTED_RPC_VERSION = 4010
    SESSION_INVALIDATED = 4011


class Status:
    """RequestStatus codes the bridge reacts to."""

    SUCCESS = 100
    UNKNOWN_REQUEST_TYPE = 204
    OUTPUT_NOT_RUNNING = 501
    RESOURCE_NOT_FOUND = 600
    INVALID_RESOURCE_TYPE = 602


#: EventSubscription::Outputs (1 << 6): StreamStateChanged, RecordStateChanged.
SUBSCRIBE_OUTPUTS = 1 << 6
#: EventSubscription::General | Outputs: ExitStarted (OBS closing) and the output states.
EVENT_SUBSCRIPTIONS = (1 << 0) | SUBSCRIBE_OUTPUTS

#: Close codes after which reconnecting cannot help until the user changes something.
FATAL_CLOSES = {
    Close.AUTHENTICATION_FAILED: "OBS refused the WebSocket password (close code 4009): set "
    "OBS_WEBSOCKET_PASSWORD to the one in OBS → Tools → WebSocket Server Settings",
    Close.UNSUPPORTED_RPC_VERSION: "OBS does not speak obs-websocket RPC version 1 (close code 4010): "
    "use OBS 28 or newer",
}


def auth_string(password: str, salt: str, challenge: str) -> str:
    """The Identify `authentication`: base64(sha256(base64(sha256(password + salt)) + challenge))."""
    secret = base64.b64encode(hashlib.sha256((password + salt).encode("utf-8")).digest())
    return base64.b64encode(hashlib.sha256(secret + challenge.encode("utf-8")).digest()).decode("ascii")


def identify(hello: dict[str, Any], password: str) -> dict[str, Any]:
    """The Identify message answering `hello` (its `d`), with auth when the server asks for it."""
    data: dict[str, Any] = {"rpcVersion": RPC_VERSION, "eventSubscriptions": EVENT_SUBSCRIPTIONS}
    challenge = hello.get("authentication")
    if challenge:
        data["authentication"] = auth_string(password, challenge["salt"], challenge["challenge"])
    return {"op": Op.IDENTIFY, "d": data}


def request(request_type: str, request_id: str, data: dict[str, Any] | None = None) -> str:
    """One Request (op 6), encoded."""
    payload: dict[str, Any] = {"requestType": request_type, "requestId": request_id}
    if data is not None:
        payload["requestData"] = data
    return json.dumps({"op": Op.REQUEST, "d": payload}, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Response:
    """A RequestResponse (op 7): its status and data."""

    request_type: str
    ok: bool
    code: int
    comment: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, d: dict[str, Any]) -> Response:
        """From a RequestResponse's `d`."""
        status = d.get("requestStatus") or {}
        return cls(
            str(d.get("requestType", "")),
            bool(status.get("result")),
            int(status.get("code", 0)),
            str(status.get("comment") or ""),
            dict(d.get("responseData") or {}),
        )


class ObsRequestError(RuntimeError):
    """OBS answered a request with a failure status; `code` is its RequestStatus."""

    def __init__(self, response: Response) -> None:
        """Keep the status code and OBS's comment for the caller to tell failures apart."""
        detail = f": {response.comment}" if response.comment else ""
        super().__init__(f"{response.request_type} failed with status {response.code}{detail}")
        self.code = response.code
        self.comment = response.comment


class ObsUnavailable(ConnectionError):
    """Not connected to OBS (closed, restarting, refused): the request was not sent."""
