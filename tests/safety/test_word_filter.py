"""The word filter: what counts as a hit, what each action makes of a clause, and the setting's forms.

Threading: plain functions; the guard's coroutines run on a loop of their own per test.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from studio.config import SettingsError, load_settings
from studio.engine.safety import (
    BLEEP_TEXT,
    Bleep,
    ClauseGuard,
    WordFilter,
    bleep_tone,
    mask,
)

WORDS = WordFilter(["darn", "blast it", "re:fr[io]ck\\w*"])


def found(text: str) -> list[str]:
    return [text[hit.start : hit.end] for hit in WORDS.hits(text)]


def test_hits_are_whole_words_in_any_case_phrases_with_any_spacing_and_regexes() -> None:
    assert found("Darn it, DARN!") == ["Darn", "DARN"]
    assert found("darned and undarn stay") == []  # whole words only
    assert found("Oh blast   it all") == ["blast   it"]
    assert found("frick, fracking, FRICKING") == ["frick", "FRICKING"]
    assert [hit.rule for hit in WORDS.hits("blast it, darn")] == [2, 1]


def test_bleep_keeps_the_words_around_a_tone_as_long_as_the_word() -> None:
    clause = "Well, that darn storm hit hard."
    screened = WORDS.bleeped(clause, WORDS.hits(clause))
    assert screened.text == f"Well, that {BLEEP_TEXT} storm hit hard."
    first, bleep, rest = screened.parts
    assert (first, rest) == ("Well, that", "storm hit hard.")
    assert isinstance(bleep, Bleep) and 0.25 <= bleep.seconds <= 0.5
    tone = bleep_tone(bleep.seconds, 24_000)
    spectrum = np.abs(np.fft.rfft(tone))
    assert np.argmax(spectrum) * 24_000 / len(tone) == pytest.approx(1000, abs=5)
    assert abs(tone[0]) < 1e-3 and abs(tone[-1]) < 0.01  # faded in and out: no click


def test_the_log_sees_the_rule_and_the_word_masked() -> None:
    assert mask("darn") == "d***" and mask("re:fr[io]ck\\w*") == "re:f**********"


def _guard(action: str, rewritten: str = "") -> tuple[ClauseGuard, list[tuple[int, str, str]], list[str]]:
    reports: list[tuple[int, str, str]] = []
    asked: list[str] = []

    async def rewrite(clause: str, words) -> str:
        asked.append(f"{clause} | {list(words)}")
        return rewritten

    guard = ClauseGuard(
        WORDS, action, lambda hit, word, outcome: reports.append((hit.rule, word, outcome)), rewrite
    )
    return guard, reports, asked


@pytest.mark.parametrize(
    ("action", "rewritten", "text", "outcome"),
    [
        ("drop", "", None, "dropped"),
        ("bleep", "", f"That {BLEEP_TEXT} storm.", "bleeped"),
        ("regenerate", "That awful storm.", "That awful storm.", "rewritten"),
        ("regenerate", "That darn awful storm.", None, "dropped after rewrite"),
        ("regenerate", "", None, "dropped after rewrite"),
    ],
)
def test_each_action_and_its_report(action: str, rewritten: str, text: str | None, outcome: str) -> None:
    guard, reports, asked = _guard(action, rewritten)
    screened = asyncio.run(guard.screen("That darn storm."))
    assert (screened.text if screened else None) == text
    assert reports == [(1, "darn", outcome)]
    assert len(asked) == (1 if action == "regenerate" else 0)
    clean = asyncio.run(guard.screen("A calm night."))
    assert clean is not None and clean.parts == ("A calm night.",) and len(reports) == 1


def test_the_setting_is_a_list_in_the_file_and_comma_separated_in_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("BLOCKED_WORDS", " darn, blast it ,,re:fr[io]ck\\w*")
    assert load_settings().blocked_words == ["darn", "blast it", "re:fr[io]ck\\w*"]
    monkeypatch.delenv("BLOCKED_WORDS")
    assert load_settings(blocked_words=["darn"]).blocked_words == ["darn"]
    with pytest.raises(SettingsError, match="not a valid regular expression"):
        load_settings(blocked_words=["re:(unclosed"])
    with pytest.raises(SettingsError, match="blocked_word_action"):
        load_settings(blocked_word_action="mute")
