"""The conversation the chat model sees: persona prompt plus the recent lines as they were heard.

The request is laid out for the server's prompt cache. The persona is the same first message on
every turn; what changes every turn (the rundown's segment and time left) rides at the head of the
host's new line as a producer's note, never in the persona (and never as a second system message:
strict chat templates refuse one after the first, and Ollama moves them all to the top). The history
window does not slide one turn at a time: when it outgrows its bounds it drops its older half at
once. Between those drops the persona and the history stay a byte-identical prefix, which Ollama's
runner (and llama.cpp's server) keep in their KV cache, so a turn prefills its last exchange and
its new line instead of the whole prompt.
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
        """`context`: read at each request and put at the head of the host's new line as a producer's
        note (the rundown's segment and time left); the history keeps the line as said."""
        self.system_prompt = system_prompt
        self.context = context
        self._max_turns = max_turns
        self._max_chars = max_chars
        self._lines: list[ChatMessage] = []
        self._window_start = 0  # the oldest line sent; moves forward in jumps (see the module's doc)

    @property
    def lines(self) -> tuple[ChatMessage, ...]:
        return tuple(self._lines)

    def messages_for(self, host_line: str, reply_language: str | None = None) -> list[ChatMessage]:
        """What to send for a new host line: persona, recent history (bounded: prefill costs), the line.

        `reply_language` (ISO-639-1, detected from the host's speech) asks for an answer in it.
        """
        system = self.system_prompt
        context = self.context() if self.context is not None else ""
        if reply_language and reply_language in LANGUAGE_NAMES:
            system += f"\n\nThe host is speaking {LANGUAGE_NAMES[reply_language]}; answer in that language."
        keep = self._history()
        line = f"[Producer's note, not said aloud: {context}]\n\n{host_line}" if context else host_line
        return [ChatMessage("system", system), *keep, ChatMessage("user", line)]

    def _history(self) -> list[ChatMessage]:
        """The recent lines to send: the window from its start, moved on by half once it is too big."""
        if not self._max_turns:
            return []
        if self._too_big(self._lines[self._window_start :]):
            self._window_start = self._halved_start()
        return self._lines[self._window_start :]

    def _too_big(self, lines: list[ChatMessage]) -> bool:
        return len(lines) > 2 * self._max_turns or sum(len(m.content) for m in lines) > self._max_chars

    def _halved_start(self) -> int:
        """Where the window starts once the older half is dropped: half the turns and characters (or,
        when even the last exchange is longer than that, as much as the full bounds allow)."""
        half = self._start_within(max(1, self._max_turns // 2), self._max_chars // 2)
        return half if half < len(self._lines) else self._start_within(self._max_turns, self._max_chars)

    def _start_within(self, max_turns: int, max_chars: int) -> int:
        """The earliest host line from which the recent lines fit `max_turns` and `max_chars`."""
        start, turns, chars = len(self._lines), 0, 0
        for index in range(len(self._lines) - 1, -1, -1):
            chars += len(self._lines[index].content)
            if chars > max_chars:
                break
            if self._lines[index].role == "user":
                turns += 1
                if turns > max_turns:
                    break
                start = index
        return start

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
        self._window_start = 0
