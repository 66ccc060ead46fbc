"""A real WebSocket server on 127.0.0.1 that speaks obs-websocket v5 as its protocol.md documents it.

Hello (with an authentication challenge and salt when a password is set) → Identify → Identified;
a wrong or missing authentication closes with 4009 (AuthenticationFailed), another rpcVersion with
4010, a message before Identify with 4007 (NotIdentified). Requests get a RequestResponse with
requestStatus {result, code, comment}: 204 for a request type it does not offer, 600
(ResourceNotFound) for an input that does not exist, 501 (OutputNotRunning) for a stream caption
while not streaming. Scenes: Get/SetCurrentProgramScene (600 for a scene that does not exist),
GetSceneItemId by source name (600 when the scene has no such item), SetSceneItemEnabled by id
(600 for an id not in the scene). GetVersion lists availableRequests (CreateRecordChapter only when asked to,
as OBS before 30.2 lacks it). Events (op 5) can be pushed to every identified client.
Threading: the server runs its own asyncio loop in a thread; the test calls it from its thread and
waits on conditions (`wait_for`), never on time.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

BASE_REQUESTS = [
    "GetVersion",
    "GetStats",
    "GetStreamStatus",
    "GetRecordStatus",
    "GetInputSettings",
    "SetInputSettings",
    "SendStreamCaption",
    "StartRecord",
    "StopRecord",
    "GetInputList",
    "GetSceneList",
    "GetCurrentProgramScene",
    "SetCurrentProgramScene",
    "GetSceneItemId",
    "SetSceneItemEnabled",
]


SCENE_REQUESTS = frozenset(BASE_REQUESTS[-5:])


def _secret(password: str, salt: str) -> bytes:
    """The base64 secret of the v5 auth (sha256 of password + salt)."""
    return base64.b64encode(hashlib.sha256((password + salt).encode()).digest())


class FakeObs:
    """obs-websocket 5.x as documented; records what it was asked, in order."""

    def __init__(
        self,
        password: str = "",
        inputs: tuple[str, ...] = ("Captions",),
        chapters: bool = False,
        scenes: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        """`inputs`: the sources that exist; `chapters`: offer CreateRecordChapter (OBS 30.2+);
        `scenes`: scene → the sources in it (the first is on program; all items start disabled)."""
        self.password = password
        layout = scenes or {"Scene": ()}
        #: scene → source → [sceneItemId, enabled]
        self.scenes: dict[str, dict[str, list[Any]]] = {
            scene: {source: [n + 1, False] for n, source in enumerate(sources)}
            for scene, sources in layout.items()
        }
        self.program_scene = next(iter(layout))
        self.inputs: dict[str, dict[str, Any]] = {name: {"text": ""} for name in inputs}
        self.available = BASE_REQUESTS + (["CreateRecordChapter"] if chapters else [])
        self.streaming = False
        self.recording = False
        self.requests: list[tuple[str, dict[str, Any], float]] = []  # type, data, perf_counter
        self.closes: list[int] = []  # close codes this server sent
        self.connections = 0
        self.port = 0
        self._clients: set[ServerConnection] = set()
        self._cond = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # ----- control (test thread) ----------------------------------------------------------------
    def start(self, port: int = 0) -> FakeObs:
        """Listen on 127.0.0.1 (port 0: any free one; later starts reuse it)."""
        ready = threading.Event()
        self._thread = threading.Thread(target=self._main, args=(port or self.port, ready), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake OBS did not start")
        return self

    def stop(self) -> None:
        """OBS closed: every connection drops and nothing listens any more."""
        loop = self._loop
        if loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        assert self._thread is not None
        self._thread.join(10)
        self._loop = None

    @property
    def url(self) -> str:
        """Where clients connect."""
        return f"ws://127.0.0.1:{self.port}"

    def emit(self, event_type: str, data: dict[str, Any], intent: int = 1 << 6) -> None:
        """Push an event (op 5) to every identified client."""
        message = json.dumps(
            {"op": 5, "d": {"eventType": event_type, "eventIntent": intent, "eventData": data}}
        )
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._broadcast(message), self._loop).result(10)

    def wait_for(self, condition: Callable[[], bool], timeout: float = 20.0) -> None:
        """Block until `condition()` holds (re-checked whenever the server records something)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("condition not met; requests so far: " + repr(self.kinds()))
                self._cond.wait(left)

    def kinds(self) -> list[str]:
        """The request types received so far, in order."""
        with self._cond:
            return [kind for kind, _, _ in self.requests]

    def texts(self, source: str = "Captions") -> list[str]:
        """Every text SetInputSettings put on `source`, in order."""
        with self._cond:
            return [
                data["inputSettings"]["text"]
                for kind, data, _ in self.requests
                if kind == "SetInputSettings" and data.get("inputName") == source
            ]

    def enabled(self, scene: str) -> set[str]:
        """The sources enabled in `scene` now."""
        with self._cond:
            return {source for source, (_, on) in self.scenes[scene].items() if on}

    def notify(self) -> None:
        """Wake `wait_for` to re-check its condition."""
        with self._cond:
            self._cond.notify_all()

    # ----- the server (its own loop) ------------------------------------------------------------
    def _main(self, port: int, ready: threading.Event) -> None:
        """The server's own loop, so the test's and the bridge's loops never share it."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        loop.run_until_complete(self._open(port))
        ready.set()
        loop.run_forever()
        loop.close()

    async def _open(self, port: int) -> None:
        """Listen (port 0: any free one, remembered for restarts)."""
        self._server = await serve(self._connection, "127.0.0.1", port, subprotocols=["obswebsocket.json"])  # type: ignore[list-item]
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        """Stop listening and drop every client, as OBS closing does."""
        self._server.close()
        for client in list(self._clients):
            await client.close(1001, "OBS is closing")
        await self._server.wait_closed()

    async def _broadcast(self, message: str) -> None:
        """Send one message to every identified client."""
        for client in list(self._clients):
            await client.send(message)

    async def _connection(self, ws: ServerConnection) -> None:
        """One client: Hello, Identify checked, Identified, then requests until it leaves."""
        with self._cond:
            self.connections += 1
            self._cond.notify_all()
        hello: dict[str, Any] = {"obsWebSocketVersion": "5.1.0", "rpcVersion": 1}
        salt, challenge = base64.b64encode(os.urandom(32)).decode(), base64.b64encode(os.urandom(32)).decode()
        if self.password:
            hello["authentication"] = {"challenge": challenge, "salt": salt}
        await ws.send(json.dumps({"op": 0, "d": hello}))
        identify = json.loads(await ws.recv())
        code = self._identify_error(identify, salt, challenge)
        if code:
            await self._close(ws, code)
            return
        await ws.send(json.dumps({"op": 2, "d": {"negotiatedRpcVersion": 1}}))
        self._clients.add(ws)
        try:
            async for raw in ws:
                await self._request(ws, json.loads(raw))
        finally:
            self._clients.discard(ws)

    def _identify_error(self, message: dict[str, Any], salt: str, challenge: str) -> int:
        """The close code a bad Identify earns (0: it is fine)."""
        if message.get("op") != 1:
            return 4007  # NotIdentified
        data = message.get("d") or {}
        if data.get("rpcVersion") != 1:
            return 4010  # UnsupportedRpcVersion
        if self.password:
            expected = base64.b64encode(
                hashlib.sha256(_secret(self.password, salt) + challenge.encode()).digest()
            )
            if data.get("authentication") != expected.decode():
                return 4009  # AuthenticationFailed
        return 0

    async def _close(self, ws: ServerConnection, code: int) -> None:
        """Close with `code`, recording it for the tests."""
        with self._cond:
            self.closes.append(code)
            self._cond.notify_all()
        await ws.close(code, "Authentication failed." if code == 4009 else "")

    async def _request(self, ws: ServerConnection, message: dict[str, Any]) -> None:
        """Record and answer one request with a RequestResponse."""
        data = message.get("d") or {}
        kind, fields = str(data.get("requestType")), dict(data.get("requestData") or {})
        with self._cond:
            self.requests.append((kind, fields, time.perf_counter()))
        code, comment, response = self._answer(kind, fields)
        status: dict[str, Any] = {"result": code == 100, "code": code}
        if comment:
            status["comment"] = comment
        reply = {"requestType": kind, "requestId": data.get("requestId"), "requestStatus": status}
        if response is not None:
            reply["responseData"] = response
        await ws.send(json.dumps({"op": 7, "d": reply}))
        self.notify()

    def _answer(self, kind: str, fields: dict[str, Any]) -> tuple[int, str, dict[str, Any] | None]:
        """(RequestStatus code, comment, responseData) as obs-websocket 5 answers."""
        if kind not in self.available:
            return 204, "Your request type is not valid.", None
        if kind == "GetVersion":
            return (
                100,
                "",
                {
                    "obsVersion": "30.0.0",
                    "obsWebSocketVersion": "5.1.0",
                    "rpcVersion": 1,
                    "availableRequests": self.available,
                    "supportedImageFormats": ["png"],
                    "platform": "ubuntu",
                    "platformDescription": "fake",
                },
            )
        if kind in ("GetStreamStatus", "GetRecordStatus"):
            active = self.streaming if kind == "GetStreamStatus" else self.recording
            return 100, "", {"outputActive": active, "outputDuration": 0}
        if kind in ("SetInputSettings", "GetInputSettings"):
            return self._input(kind, fields)
        if kind == "SendStreamCaption":
            if "captionText" not in fields:
                return 300, "Your request is missing the `captionText` field.", None
            return (100, "", None) if self.streaming else (501, "Streaming is not active.", None)
        if kind in SCENE_REQUESTS:
            return self._scene(kind, fields)
        if kind == "CreateRecordChapter":
            return (100, "", None) if self.recording else (501, "Recording is not active.", None)
        return 100, "", {}

    def _input(self, kind: str, fields: dict[str, Any]) -> tuple[int, str, dict[str, Any] | None]:
        """Get/SetInputSettings on an existing input, or 600 for a missing one."""
        name = fields.get("inputName")
        if name is None:
            return 300, "Your request is missing the `inputName` field.", None
        if name not in self.inputs:
            return 600, f"No source was found by the name of `{name}`.", None
        if kind == "GetInputSettings":
            return 100, "", {"inputSettings": dict(self.inputs[name]), "inputKind": "text_ft2_source_v2"}
        self.inputs[name].update(fields.get("inputSettings") or {})
        return 100, "", None

    def _scene(self, kind: str, fields: dict[str, Any]) -> tuple[int, str, dict[str, Any] | None]:
        """The program scene and scene items, with 600 (ResourceNotFound) for what does not exist."""
        if kind == "GetSceneList":
            listed = [{"sceneName": name, "sceneIndex": n} for n, name in enumerate(self.scenes)]
            return 100, "", {"currentProgramSceneName": self.program_scene, "scenes": listed}
        if kind == "GetCurrentProgramScene":
            return 100, "", {"currentProgramSceneName": self.program_scene, "sceneName": self.program_scene}
        scene = fields.get("sceneName")
        if scene is None:
            return 300, "Your request is missing the `sceneName` field.", None
        if scene not in self.scenes:
            return 600, f"No source was found by the name of `{scene}`.", None
        if kind == "SetCurrentProgramScene":
            self.program_scene = scene
            return 100, "", None
        items = self.scenes[scene]
        if kind == "GetSceneItemId":
            if fields.get("sourceName") not in items:
                return 600, "No scene items were found in the specified scene by that name or offset.", None
            return 100, "", {"sceneItemId": items[fields["sourceName"]][0]}
        for item in items.values():  # SetSceneItemEnabled
            if item[0] == fields.get("sceneItemId"):
                item[1] = bool(fields.get("sceneItemEnabled"))
                return 100, "", None
        return (
            600,
            f"No scene items were found in scene `{scene}` with the ID `{fields.get('sceneItemId')}`.",
            None,
        )
