"""transformers' text streamer, except that punctuation goes out with its own token.

TextIteratorStreamer hands on letters, digits and spaces as soon as they decode, but holds any other
character back until the next space, since it may start markup or be half a character. A comma or
a full stop is exactly where the engine cuts a reply's first clause (studio.engine.clauses), so
holding it back cost a whole token (~35 ms on two cores) before the anchor's first audio. Here
punctuation (Unicode category P) goes out at once as well; other symbols and broken characters
(U+FFFD) still wait for the next space, as transformers does it.
Threading: `put` runs in the `generate` thread; the iterator is read by the chat worker's thread.
"""

from __future__ import annotations

import unicodedata
from typing import Any

SENDABLE = "LMNP"  # Unicode categories: letters, marks, numbers, punctuation


def sendable_now(pending: str) -> bool:
    """Whether held-back text may go out before the next space: words, numbers, spaces, punctuation."""
    kinds = (char.isspace() or unicodedata.category(char)[0] in SENDABLE for char in pending)
    return bool(pending) and all(kinds)


def punctuation_streamer(tokenizer: Any, **options: Any) -> Any:
    """A TextIteratorStreamer over `tokenizer` (`options`: its own) that sends punctuation at once."""
    from transformers import TextIteratorStreamer

    class PunctuationStreamer(TextIteratorStreamer):
        """Sends what transformers holds back when it is only punctuation (and words, spaces)."""

        def put(self, value: Any) -> None:
            """transformers' step, then whatever it held that may go out now."""
            super().put(value)
            if not self.token_cache:  # the prompt, skipped
                return
            text = self.tokenizer.decode(self.token_cache, **self.decode_kwargs)
            pending = text[self.print_len :]
            if sendable_now(pending) and not text.endswith("\n"):
                self.print_len += len(pending)
                self.on_finalized_text(pending)

    return PunctuationStreamer(tokenizer, **options)
