"""Cuts the chat model's token stream into speakable clauses, so TTS can start before the reply ends.

The first clause may end at a comma once it has two words, or after `first_clause_max_words` words
without one (first audio sooner); later ones end at sentence boundaries (better prosody).
Threading: used on the engine loop; pure string work.
"""

from __future__ import annotations

import re

_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "jr",
        "sr",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "approx",
        "no",
        "fig",
        "inc",
        "ltd",
        "co",
        "mt",
        "ft",
    ]
)
# A boundary counts once whitespace follows it, or right away at the end of the text so far when
# it follows a letter: "3." may still become "3.5", but "night." cannot change any more.
_SENTENCE_END = re.compile(r"[.!?…]+[\"')\]]*(?=\s)|(?<=[^\W\d_])[.!?…]+[\"')\]]*$")
_CLAUSE_END = re.compile(r"[,;:—–]+(?=\s)|(?<=[^\W\d_])[,;:—–]+$")
_MARKUP = re.compile(r"[*_#`~]+")
_UNSPEAKABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd\ufeff]")


def clean_for_speech(text: str) -> str:
    """Drop control characters, broken unicode and markdown markup; squeeze whitespace."""
    return " ".join(_MARKUP.sub("", _UNSPEAKABLE.sub("", text)).split())


class ClauseSplitter:
    """Incremental splitter: `feed` text pieces, get finished clauses; `flush` returns the rest."""

    def __init__(
        self,
        first_clause_min_words: int = 2,
        first_clause_max_words: int = 0,
        max_clause_chars: int = 220,
    ) -> None:
        self._buffer = ""
        self._emitted = 0
        self._first_min_words = first_clause_min_words
        self._first_max_words = first_clause_max_words
        self._max_chars = max_clause_chars

    def feed(self, piece: str) -> list[str]:
        """Add generated text; return clauses that are complete now."""
        self._buffer += piece
        clauses: list[str] = []
        while (cut := self._next_cut()) is not None:
            clause = clean_for_speech(self._buffer[:cut])
            self._buffer = self._buffer[cut:]
            if clause:
                clauses.append(clause)
                self._emitted += 1
        return clauses

    def flush(self) -> list[str]:
        """The reply ended: whatever is left is the last clause."""
        rest = clean_for_speech(self._buffer)
        self._buffer = ""
        return [rest] if rest else []

    def _next_cut(self) -> int | None:
        for match in _SENTENCE_END.finditer(self._buffer):
            if not self._is_abbreviation(match.start()):
                return match.end()
        if self._emitted == 0:
            for match in _CLAUSE_END.finditer(self._buffer):
                if len(self._buffer[: match.start()].split()) >= self._first_min_words:
                    return match.end()
            if self._first_max_words and self._complete_words() >= self._first_max_words:
                return self._word_boundary(self._first_max_words)
        if len(self._buffer) > self._max_chars:
            comma = self._buffer.rfind(", ", 0, self._max_chars)
            space = self._buffer.rfind(" ", 0, self._max_chars)
            cut = comma + 1 if comma > 0 else space
            return cut if cut > 0 else None
        return None

    def _complete_words(self) -> int:
        """Words in the buffer that cannot grow any more (a space came after them)."""
        return len(self._buffer.split()) - (0 if self._buffer[-1:].isspace() else 1)

    def _word_boundary(self, words: int) -> int:
        """Index just after the `words`-th word: the latest point the first clause may wait for."""
        return next(m.end() for i, m in enumerate(re.finditer(r"\S+", self._buffer)) if i + 1 == words)

    def _is_abbreviation(self, dot_index: int) -> bool:
        if self._buffer[dot_index] != ".":
            return False
        words = self._buffer[:dot_index].split()
        if not words:
            return True
        last = words[-1].lower().strip("(\"'")
        return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())
