"""The word filter: each clause is checked before it is synthesized, so a blocked word never airs.

`blocked_words` holds words, phrases or `re:<regex>` entries, matched case-insensitively as whole
words. What a hit does is `blocked_word_action`: drop the clause, bleep it (the words around it are
spoken, a 1 kHz tone of about the word's length stands in for it, and the text reads "[bleep]"),
or ask the model once to rewrite the clause without it (dropped if the rewrite still holds one).
Every hit is reported as a ClauseBlocked event with the rule and the matched text masked (first
letter kept): the event stream reaches web overlays and exported session logs, the raw word not.
Threading: engine loop (string work, plus one chat request per rewrite).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import numpy as np

from studio.backends.contracts import ChatMessage, ChatModel, ChatOptions
from studio.config import Settings

log = logging.getLogger(__name__)

REGEX_PREFIX = "re:"
BLEEP_TEXT = "[bleep]"
BLEEP_HZ = 1000.0
BLEEP_LEVEL = 0.3
SECONDS_PER_CHAR = 0.07  # about Piper's speaking rate: a word's bleep lasts about as long as the word
MIN_BLEEP_S, MAX_BLEEP_S = 0.25, 1.5
REWRITE_PROMPT = (
    "You edit one sentence of a live broadcast before it is spoken. Rewrite it with the same meaning "
    "without the words {words}, and without any other profanity. Reply with the rewritten sentence only."
)


@dataclass(frozen=True, slots=True)
class ClauseBlocked:
    """A clause held a blocked word: which rule, what was done (nothing of it was synthesized yet)."""

    turn_id: int
    rule: int  # 1-based position in `blocked_words`
    pattern: str  # the rule, masked
    matched: str  # the matched text, masked
    action: str
    outcome: str  # dropped | bleeped | rewritten | dropped after rewrite


@dataclass(frozen=True, slots=True)
class Bleep:
    """A tone in place of a blocked word, about as long as the word would take to say."""

    seconds: float


ClausePart = str | Bleep


@dataclass(frozen=True, slots=True)
class ScreenedClause:
    """A clause cleared for speech: its text (captions, log, history) and what to voice, in order."""

    text: str
    parts: tuple[ClausePart, ...]

    @classmethod
    def plain(cls, text: str) -> ScreenedClause:
        """A clause spoken as written."""
        return cls(text, (text,))


@dataclass(frozen=True, slots=True)
class Hit:
    """One match of one rule in a text."""

    rule: int
    start: int
    end: int


def mask(text: str) -> str:
    """The first letter kept, the rest starred (a `re:` rule keeps its prefix)."""
    if text.startswith(REGEX_PREFIX):
        return REGEX_PREFIX + mask(text[len(REGEX_PREFIX) :])
    return text[:1] + "*" * max(0, len(text) - 1)


def _compile(entry: str) -> re.Pattern[str]:
    """A whole-word, case-insensitive pattern for a word, a phrase (any spacing) or a `re:` regex."""
    if entry.startswith(REGEX_PREFIX):
        body = entry[len(REGEX_PREFIX) :]
    else:
        body = r"\s+".join(re.escape(word) for word in entry.split())
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def bleep_tone(seconds: float, sample_rate: int) -> np.ndarray:
    """A 1 kHz tone with 10 ms fades (no click), mono float32."""
    count = max(1, int(seconds * sample_rate))
    t = np.arange(count, dtype=np.float32) / sample_rate
    tone = BLEEP_LEVEL * np.sin(2 * np.pi * BLEEP_HZ * t)
    fade = min(count // 2, int(0.01 * sample_rate))
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        tone[:fade] *= ramp
        tone[-fade:] *= ramp[::-1]
    return tone.astype(np.float32)


class WordFilter:
    """The blocked words as compiled patterns; finds hits and builds the bleeped clause."""

    def __init__(self, entries: Sequence[str]) -> None:
        self.entries = [entry for entry in (e.strip() for e in entries) if entry]
        self._patterns = [_compile(entry) for entry in self.entries]

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def hits(self, text: str) -> list[Hit]:
        """Every match, in text order; overlapping ones merged into the earliest rule's."""
        found = sorted(
            (
                Hit(rule, m.start(), m.end())
                for rule, p in enumerate(self._patterns, 1)
                for m in p.finditer(text)
            ),
            key=lambda hit: (hit.start, -hit.end),
        )
        merged: list[Hit] = []
        for hit in found:
            if merged and hit.start < merged[-1].end:
                last = merged[-1]
                merged[-1] = Hit(last.rule, last.start, max(last.end, hit.end))
            else:
                merged.append(hit)
        return merged

    def censored(self, text: str) -> str:
        """`text` with every hit written as "[bleep]" (for what is shown, not spoken)."""
        hits = self.hits(text)
        return self.bleeped(text, hits).text if hits else text

    def bleeped(self, text: str, hits: Sequence[Hit]) -> ScreenedClause:
        """The clause with each hit replaced: a tone in the audio, "[bleep]" in the text."""
        parts: list[ClausePart] = []
        shown: list[str] = []
        cursor = 0
        for hit in hits:
            before = text[cursor : hit.start]
            if before.strip():
                parts.append(before.strip())
            seconds = min(MAX_BLEEP_S, max(MIN_BLEEP_S, SECONDS_PER_CHAR * (hit.end - hit.start)))
            parts.append(Bleep(seconds))
            shown.append(before + BLEEP_TEXT)
            cursor = hit.end
        if text[cursor:].strip():
            parts.append(text[cursor:].strip())
        return ScreenedClause("".join(shown) + text[cursor:], tuple(parts))


Report = Callable[[Hit, str, str], None]  # (hit, matched text, outcome)
Rewrite = Callable[[str, Sequence[str]], Awaitable[str]]


class ClauseGuard:
    """Applies the filter's action to one clause at a time and reports every hit."""

    def __init__(
        self, words: WordFilter, action: str, report: Report, rewrite: Rewrite | None = None
    ) -> None:
        self.words, self.action = words, action
        self._report, self._rewrite = report, rewrite

    async def screen(self, clause: str) -> ScreenedClause | None:
        """The clause as it may air, or None when it must not air at all."""
        hits = self.words.hits(clause)
        if not hits:
            return ScreenedClause.plain(clause)
        if self.action == "bleep":
            self._tell(clause, hits, "bleeped")
            return self.words.bleeped(clause, hits)
        if self.action == "regenerate" and self._rewrite is not None:
            return await self._rewritten(clause, hits)
        self._tell(clause, hits, "dropped")
        return None

    async def _rewritten(self, clause: str, hits: Sequence[Hit]) -> ScreenedClause | None:
        """Ask the model once for the clause without the words; still blocked (or failed): dropped."""
        words = [clause[hit.start : hit.end] for hit in hits]
        try:
            rewrite = (await self._rewrite(clause, words)).strip() if self._rewrite else ""
        except Exception as exc:  # a failed rewrite must not air the original
            log.warning("rewriting a blocked clause failed: %s", exc)
            rewrite = ""
        if rewrite and not self.words.hits(rewrite):
            self._tell(clause, hits, "rewritten")
            return ScreenedClause.plain(rewrite)
        self._tell(clause, hits, "dropped after rewrite")
        return None

    def _tell(self, clause: str, hits: Sequence[Hit], outcome: str) -> None:
        for hit in hits:
            self._report(hit, clause[hit.start : hit.end], outcome)


async def rewrite_clause(chat: ChatModel, options: ChatOptions, clause: str, words: Sequence[str]) -> str:
    """One chat request: the clause rewritten without `words` (the whole answer, one line)."""
    listed = ", ".join(f'"{word}"' for word in dict.fromkeys(w.lower() for w in words))
    messages = [
        ChatMessage("system", REWRITE_PROMPT.format(words=listed)),
        ChatMessage("user", clause),
    ]
    pieces: list[str] = []
    async with contextlib.aclosing(chat.stream_reply(messages, options)) as stream:
        async for piece in stream:
            pieces.append(piece)
    return " ".join("".join(pieces).split())


def clause_guard(
    settings: Settings,
    turn_id: int,
    chat: ChatModel,
    options: ChatOptions,
    publish: Callable[[ClauseBlocked], None],
) -> ClauseGuard | None:
    """The guard for one reply, or None when no words are blocked."""
    words = WordFilter(settings.blocked_words)
    if not words:
        return None
    action = settings.blocked_word_action

    def report(hit: Hit, matched: str, outcome: str) -> None:
        pattern = mask(words.entries[hit.rule - 1])
        publish(ClauseBlocked(turn_id, hit.rule, pattern, mask(matched), action, outcome))

    async def rewrite(clause: str, found: Sequence[str]) -> str:
        return await rewrite_clause(chat, options, clause, found)

    return ClauseGuard(words, action, report, rewrite)
