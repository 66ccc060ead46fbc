"""The Settings dialog edits the word filter: blocked words one per line (`re:` for a regex) and the
action on a hit. A bad regex is refused in the dialog with the reason and nothing is saved; a valid
change applies to a running show from the next clause without reloading any model."""

from __future__ import annotations

import asyncio
import tomllib

import pytest

pytest.importorskip("pytestqt")

from studio.audio.outputs import InstantOutput
from studio.config import Settings, load_settings, settings_file
from studio.engine.events import ReplyClauseStarted, TurnCompleted
from studio.engine.safety import ClauseBlocked
from studio.show import Show
from studio.show.changes import plan_reload
from studio.show.events import SettingsApplied
from studio.ui.settings_dialog import SettingsDialog
from studio.voices.profile import VoiceProfile
from tests.show.doubles import fixed_stack
from tests.show.test_show import Events

REPLY = "Good evening. That darn storm is back tonight. Stay safe out there."


def test_a_bad_regex_is_refused_with_the_reason_and_nothing_is_saved(qtbot):
    dialog = SettingsDialog(load_settings())
    qtbot.addWidget(dialog)
    assert dialog.blocked_words.toPlainText() == "" and dialog.blocked_action.currentText() == "drop"
    dialog.blocked_words.setPlainText("darn\n\nre:fr[io\nblast it")
    dialog.save()
    error = dialog.error.text()
    assert "line 3" in error and "'re:fr[io'" in error and "not a valid regular expression" in error
    assert "unterminated character set" in error  # the reason, as Python's re gives it
    assert dialog.saved is None and not settings_file().exists()


def test_blocked_words_are_saved_and_a_running_show_uses_them_without_a_reload(qtbot):
    original = load_settings()
    dialog = SettingsDialog(original)
    qtbot.addWidget(dialog)
    dialog.blocked_words.setPlainText("  darn \nre:fr[io]ck\\w*\nblast it\n")
    dialog.blocked_action.setCurrentText("bleep")
    dialog.save()
    saved = dialog.saved
    assert saved is not None and dialog.error.text() == ""
    assert saved.blocked_words == ["darn", "re:fr[io]ck\\w*", "blast it"]
    written = tomllib.loads(settings_file().read_text())
    assert written == {
        "blocked_words": ["darn", "re:fr[io]ck\\w*", "blast it"],
        "blocked_word_action": "bleep",
    }
    plan = plan_reload(original, saved)
    assert plan.changed == {"blocked_words", "blocked_word_action"} and plan.rebuilt() == ()

    reopened = SettingsDialog(saved)
    qtbot.addWidget(reopened)
    assert reopened.blocked_words.toPlainText() == "darn\nre:fr[io]ck\\w*\nblast it"
    assert reopened.changed() == {}

    applied, blocked, aired = asyncio.run(_apply_to_a_running_show(original, saved))
    assert applied.rebuilt == ()  # no stack, no audio: nothing rebuilt, no model reloaded
    assert [b.action for b in blocked] == ["bleep"]
    assert "That [bleep] storm is back tonight." in aired and "darn" not in " ".join(aired)


async def _apply_to_a_running_show(original: Settings, saved: Settings):
    """Before the change the word airs; after it, the next reply bleeps it."""
    show = Show(original, VoiceProfile(name="Test"), stack=fixed_stack(REPLY), output=InstantOutput(24_000))
    events = Events(show)
    async with show:
        await show.asubmit_text("First?")
        await events.nth(TurnCompleted, 1)
        assert "darn" in events.of(TurnCompleted)[0].heard  # no filter yet
        await asyncio.to_thread(lambda: show.reload_settings(saved).result(10))
        applied = await events.nth(SettingsApplied, 1)
        before = len(events.of(ReplyClauseStarted))
        await show.asubmit_text("Second?")
        await events.nth(TurnCompleted, 2)
    aired = [e.clause for e in events.of(ReplyClauseStarted)[before:]]
    return applied, events.of(ClauseBlocked), aired
