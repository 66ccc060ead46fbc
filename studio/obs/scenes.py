"""Scene switches and source cues in OBS: SetCurrentProgramScene, and SetSceneItemEnabled by name.

A source is found in the current program scene (GetCurrentProgramScene, then GetSceneItemId for
its name; ids are remembered per scene until OBS reconnects). A missing scene or source is one
clear message naming who asked for it and how to fix it, reported again only after it was fixed
and went missing again; the show never waits for any of this.
Threading: the bridge's "obs" thread (its asyncio loop), like the client it drives.
"""

from __future__ import annotations

from collections.abc import Callable

from studio.obs.client import ObsClient
from studio.obs.protocol import ObsRequestError, ObsUnavailable, Status

MISSING = (Status.RESOURCE_NOT_FOUND, Status.INVALID_RESOURCE_TYPE)


class ObsScenes:
    """Switches OBS's program scene and enables or disables sources in it."""

    def __init__(self, client: ObsClient, on_problem: Callable[[str], None]) -> None:
        """`on_problem(message)`: a problem to report once (logged and shown as the last error)."""
        self._client, self._on_problem = client, on_problem
        self._ids: dict[tuple[str, str], int] = {}  # (scene, source) → sceneItemId
        self._open: set[str] = set()  # problems reported and not yet resolved
        self.switched: list[str] = []  # scenes OBS switched to, in order (tests, the panel)

    def on_connected(self) -> None:
        """A new connection (OBS may have restarted): scene item ids are asked again."""
        self._ids.clear()

    async def switch(self, scene: str, why: str) -> bool:
        """Make `scene` the program scene; False (and one message) when OBS has no such scene."""
        if not self._client.connected:
            return False
        try:
            await self._client.request("SetCurrentProgramScene", {"sceneName": scene})
        except ObsRequestError as exc:
            self._problem(f"scene {scene}", self._missing_scene(scene, why, exc))
            return False
        except ObsUnavailable:
            return False
        self._resolved(f"scene {scene}")
        self.switched.append(scene)
        return True

    async def show_sources(self, sources: tuple[str, ...], enabled: bool) -> list[str]:
        """Enable or disable each source in the current program scene; the ones OBS changed."""
        if not self._client.connected or not sources:
            return []
        try:
            current = await self._client.request("GetCurrentProgramScene")
            scene = str(current.get("currentProgramSceneName") or current.get("sceneName") or "")
            return [source for source in sources if await self._set_enabled(scene, source, enabled)]
        except ObsUnavailable:
            return []

    async def _set_enabled(self, scene: str, source: str, enabled: bool) -> bool:
        """One source in `scene` on or off; a source not in that scene is one message."""
        key = f"source {source}"
        try:
            item = await self._item_id(scene, source)
            data = {"sceneName": scene, "sceneItemId": item, "sceneItemEnabled": enabled}
            await self._client.request("SetSceneItemEnabled", data)
        except ObsRequestError as exc:
            self._ids.pop((scene, source), None)  # a stale id (the item was removed) is asked again
            self._problem(key, self._missing_source(scene, source, exc))
            return False
        self._resolved(key)
        return True

    async def _item_id(self, scene: str, source: str) -> int:
        """The scene item showing `source` in `scene` (asked once per scene and connection)."""
        if (scene, source) not in self._ids:
            found = await self._client.request("GetSceneItemId", {"sceneName": scene, "sourceName": source})
            self._ids[(scene, source)] = int(found["sceneItemId"])
        return self._ids[(scene, source)]

    @staticmethod
    def _missing_scene(scene: str, why: str, exc: ObsRequestError) -> str:
        """The message for a scene OBS would not switch to (missing: says how to fix it)."""
        if exc.code in MISSING:
            return (
                f"OBS has no scene named {scene!r} ({why} asks for it): add the scene in OBS or fix the name"
            )
        return f"OBS would not switch to scene {scene!r} ({why}): {exc}"

    @staticmethod
    def _missing_source(scene: str, source: str, exc: ObsRequestError) -> str:
        """The message for a source cue OBS refused (not in the scene: says how to fix it)."""
        if exc.code in MISSING:
            return (
                f"OBS has no source {source!r} in the scene {scene!r} on air: add it to that scene "
                "(the anchor's cues enable it while the anchor speaks) or fix the obs_*_source setting"
            )
        return f"OBS refused to show or hide {source!r} in {scene!r}: {exc}"

    def _problem(self, key: str, message: str) -> None:
        """Report `message` unless the same problem is already open."""
        if key not in self._open:
            self._open.add(key)
            self._on_problem(message)

    def _resolved(self, key: str) -> None:
        """The problem went away: a later recurrence is reported again."""
        self._open.discard(key)
