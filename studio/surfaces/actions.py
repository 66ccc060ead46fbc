"""The actions every control surface offers, and how each becomes a show command.

OSC, MIDI and the global hotkeys all end here, so a pad, a Companion button, a TouchOSC fader and
a key do the same thing. `dump` is the barge-in (silence the anchor); `delay_dump` is the broadcast
delay's DUMP (also drops the delayed audio not aired yet); `approve` / `drop_reply` settle the reply
waiting for the producer (nothing happens when none waits).
Threading: `perform` runs on the surface's own thread (OSC server, MIDI callback); the show's
commands are thread-safe and hop onto its loop, so nothing here waits for the show.
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Callable
from typing import Any, Literal, Protocol, get_args

log = logging.getLogger(__name__)

Action = Literal["talk", "dump", "mute", "next", "back", "delay_dump", "approve", "drop_reply"]
ACTIONS: tuple[str, ...] = get_args(Action)
#: What each action does, for the README, the settings dialog and error messages.
DESCRIPTIONS = {
    "talk": "hold to talk (1 pressed, 0 released; push-to-talk mode)",
    "dump": "silence the anchor now (interrupt)",
    "mute": "mute the host mic (1 on, 0 off; no value or a pad: toggle)",
    "next": "next rundown segment (the first starts the rundown)",
    "back": "previous rundown segment",
    "delay_dump": "DUMP: silence the anchor and drop the broadcast delay's audio not aired yet",
    "approve": "air the reply waiting for the producer's approval",
    "drop_reply": "drop the reply waiting for approval (nothing of it airs)",
}
#: The actions that fire once on a press, and the Show command each calls.
TRIGGERS = {
    "dump": "interrupt",
    "delay_dump": "dump",
    "next": "next_segment",
    "back": "back_segment",
    "approve": "approve_reply",
    "drop_reply": "drop_reply",
}


class ShowControls(Protocol):
    """The part of the Show a surface drives (studio.show.Show provides it)."""

    @property
    def mic_muted(self) -> bool:
        """Whether the host mic is muted now."""

    def push_to_talk(self, pressed: bool) -> concurrent.futures.Future[Any]:
        """Talk pressed or released."""

    def interrupt(self) -> concurrent.futures.Future[Any]:
        """Silence the anchor now."""

    def set_mic_muted(self, muted: bool) -> None:
        """Mute or unmute the host mic."""

    def next_segment(self) -> concurrent.futures.Future[Any]:
        """NEXT in the rundown."""

    def back_segment(self) -> concurrent.futures.Future[Any]:
        """BACK in the rundown."""

    def dump(self) -> concurrent.futures.Future[Any]:
        """DUMP: silence the anchor and drop the delayed audio not aired yet."""

    def approve_reply(self) -> concurrent.futures.Future[Any]:
        """Air the reply waiting for approval."""

    def drop_reply(self) -> concurrent.futures.Future[Any]:
        """Drop the reply waiting for approval."""

    def subscribe(self, subscriber: Callable[[Any], None]) -> None:
        """Receive the show events (mute changes)."""

    def unsubscribe(self, subscriber: Callable[[Any], None]) -> None:
        """Stop receiving them (the surface closed)."""


def perform(show: ShowControls, action: str, value: bool | None) -> None:
    """Do `action` on the show; `value`: pressed/on (True), released/off (False), None: a trigger."""
    if action == "talk":
        show.push_to_talk(bool(value))
    elif action == "mute":
        show.set_mic_muted(not show.mic_muted if value is None else bool(value))
    elif value is False:
        return  # a trigger fires on press only
    elif action in TRIGGERS:
        getattr(show, TRIGGERS[action])()
    else:
        log.warning("control surface: unknown action %r (known: %s)", action, ", ".join(ACTIONS))
