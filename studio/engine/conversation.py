"""The conversation the chat model sees: persona prompt plus the recent lines as they were heard.

Threading: engine loop only.
"""

from __future__ import annotations

from collections.abc import Callable

from studio.backends.contracts import ChatMessage

INTERRUPTED_MARK = " —"
# The seed's eight languages (Voxtral transcribes them; a voice profile can speak each).
LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "hi": "Hindi",
}


class Conversation:
    """History of host and anchor lines; the anchor's lines hold only what was actually played."""

    def __init__(
        self,
        system_prompt: str,
        max_turns: int = 8,
        max_chars: int = 1500,
        context: Callable[[], str] | None = None,
    ) -> None:
        """`context`: read at each request and added to the system prompt (the rundown's segment)."""
        self.system_prompt = system_prompt
        self.context = context
        self._max_turns = max_turns
        self._max_chars = max_chars
        self._lines: list[ChatMessage] = []

    @property
    def lines(self) -> tuple[ChatMessage, ...]:
        return tuple(self._lines)

    def messages_for(self, host_line: str, reply_language: str | None = None) -> list[ChatMessage]:
        """What to send for a new host line: persona, recent history (bounded: prefill costs), the line.

        `reply_language` (ISO-639-1, detected from the host's speech) asks for an answer in it.
        """
        system = self.system_prompt
        context = self.context() if self.context is not None else ""
        if context:
            system += f"\n\n{context}"
        if reply_language and reply_language in LANGUAGE_NAMES:
            system += f"\n\nThe host is speaking {LANGUAGE_NAMES[reply_language]}; answer in that language."
        keep = self._lines[-2 * self._max_turns :] if self._max_turns else []
        while keep and sum(len(m.content) for m in keep) > self._max_chars:
            keep = keep[2:] if keep[0].role == "user" and len(keep) > 1 else keep[1:]
        return [
            ChatMessage("system", system),
            *keep,
            ChatMessage("user", host_line),
        ]

    def record_turn(self, host_line: str, heard_reply: str, interrupted: bool) -> None:
        """Append a finished turn; an interrupted reply keeps only its heard part, marked as cut."""
        self._lines.append(ChatMessage("user", host_line))
        reply = heard_reply.strip()
        if interrupted:
            reply = (reply + INTERRUPTED_MARK).strip()
        if reply:
            self._lines.append(ChatMessage("assistant", reply))

    def set_limits(self, max_turns: int, max_chars: int) -> None:
        """New history bounds (settings changed mid-show); the lines so far are kept."""
        self._max_turns, self._max_chars = max_turns, max_chars

    def clear(self) -> None:
        self._lines.clear()
