"""The OBS bridge (obs-websocket v5): captions that follow what airs, chapters, scenes and cues.

`attach_obs(show, settings)` is the one way a face (the window, `run`) adds it to a show.
Threading: `attach_obs` runs on the face's thread; the bridge then runs on its own "obs" thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from studio.config import Settings
from studio.obs.bridge import BridgeStatus, ObsBridge

if TYPE_CHECKING:
    from studio.show import Show

__all__ = ["BridgeStatus", "ObsBridge", "attach_obs"]
FIRST_ATTEMPT_S = 2.0


def attach_obs(show: Show, settings: Settings, **options: Any) -> ObsBridge | None:
    """Start a bridge subscribed to `show` when OBS_WEBSOCKET_URL is set (None when it is not).

    It waits up to FIRST_ATTEMPT_S for the first connection attempt (before the show starts), so
    the first line is captioned. The caller closes it (`bridge.close()`) once the show has ended.
    `options`: ObsBridge's (backoff, anchor_label, air_delay_s).
    """
    if not settings.obs_websocket_url:
        return None
    options.setdefault("anchor_label", lambda: show.voice.anchor_name)
    options.setdefault("air_delay_s", lambda: _delay_s(show))
    bridge = ObsBridge.from_settings(settings, show.session_log_path, **options).start(FIRST_ATTEMPT_S)
    show.subscribe(bridge.on_event)
    return bridge


def _delay_s(show: Show) -> float:
    """The broadcast delay now (0 without one): how long the anchor's last audio still airs."""
    status = show.delay_status()
    return status.delay_s if status is not None else 0.0
