"""The OBS bridge (obs-websocket v5): captions that follow what airs, and chapter markers per turn.

`attach_obs(show, settings)` is the one way a face (the window, `run`) adds it to a show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from studio.config import Settings
from studio.obs.bridge import BridgeStatus, ObsBridge

if TYPE_CHECKING:
    from studio.show import Show

__all__ = ["BridgeStatus", "ObsBridge", "attach_obs"]


def attach_obs(show: Show, settings: Settings, **options: Any) -> ObsBridge | None:
    """Start a bridge subscribed to `show` when OBS_WEBSOCKET_URL is set (None when it is not).

    The caller closes it (`bridge.close()`) once the show has ended. `options`: ObsBridge's (backoff).
    """
    if not settings.obs_websocket_url:
        return None
    anchor = options.pop("anchor_label", lambda: show.voice.anchor_name)
    bridge = ObsBridge.from_settings(settings, show.session_log_path, anchor_label=anchor, **options).start()
    show.subscribe(bridge.on_event)
    return bridge
