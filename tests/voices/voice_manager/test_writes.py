"""The voice manager presenter's writes: duplicate, save, rename, delete, set default."""

from __future__ import annotations

from tests.voices.conftest import user_voice_folders
from tests.voices.voice_manager.conftest import _own


# ----- writes ------------------------------------------------------------------------------------
def test_duplicate_suggests_a_free_name_and_nothing_writes_while_it_runs(manager, store):
    _own(store, "Ava copy")
    m = manager()
    m.pick("Ava")
    m.view.names = ["Ava nights"]
    m.presenter.duplicate()
    assert m.view.suggestions == ["Ava copy 2"]
    in_flight = m.view.buttons
    assert not any(s.enabled for s in (in_flight.save, in_flight.rename, in_flight.delete, in_flight.import_))
    assert not m.presenter.may_close() and m.view.status == "Still saving; close again in a moment"
    m.worker.pump()
    assert store.get("Ava nights").reference_transcript == store.get("Ava").reference_transcript
    assert m.view.current_name == "Ava nights" and m.view.status == "Made Ava nights"
    assert m.view.told == [("changed",)] and m.view.buttons.rename.enabled


def test_save_writes_the_edits_and_a_refused_edit_says_why(manager, store):
    _own(store, "Robin")
    m = manager()
    m.pick("Robin")
    m.edit(persona="Dry wit, short sentences.", temperature=0.45, seed=77)
    m.presenter.save()
    assert not m.view.buttons.save.enabled and not m.view.buttons.delete.enabled  # one write at a time
    m.worker.pump()
    saved = store.get("Robin")
    assert saved.persona == "Dry wit, short sentences." and (
        saved.synthesis.temperature,
        saved.synthesis.seed,
    ) == (
        0.45,
        77,
    )
    assert m.view.status == "Saved Robin" and not m.view.buttons.save.enabled
    before = (store.user_dir / "Robin" / "profile.toml").read_text()
    m.edit(language="not a language!")
    m.presenter.save()
    m.worker.pump()
    assert m.view.error.startswith("Not saved: ") and "bad language" in m.view.error
    assert (store.user_dir / "Robin" / "profile.toml").read_text() == before
    assert m.view.told == [("changed",)] and m.view.buttons.save.enabled  # the edits stay to fix


def test_rename_tells_the_studio_old_and_new_before_the_list_changes(manager, store):
    _own(store, "Robin")
    store.set_default("Robin")
    m = manager()
    m.pick("Robin")
    m.view.names = ["Robin Ünïcode"]
    m.presenter.rename()
    m.worker.pump()
    assert m.view.suggestions == ["Robin"]
    assert m.view.told == [("renamed", "Robin", "Robin Ünïcode"), ("changed",)]
    assert store.default_name() == "Robin Ünïcode" and m.view.status == "Renamed Robin to Robin Ünïcode"
    m.view.names = ["max"]  # a bundled voice's name in another case
    m.presenter.rename()
    m.worker.pump()
    assert "already exists" in m.view.error and store.get("Robin Ünïcode").folder.is_dir()
    assert [p.name for p in store.profiles() if not p.read_only] == ["Robin Ünïcode"]


def test_delete_asks_first_and_a_name_with_braces_is_reported_as_is(manager, store):
    _own(store, "Late {show}")
    m = manager()
    m.pick("Late {show}")
    m.view.answers = [False]
    m.presenter.delete()
    assert "cannot be undone" in m.view.questions[0] and not m.worker.pending
    m.presenter.delete()
    m.worker.pump()
    assert user_voice_folders(store.user_dir) == [] and "Late {show}" not in m.presenter.profile_names()
    assert m.view.status == "Deleted Late {show}" and m.view.told == [("changed",)]


def test_set_default_marks_the_voice_and_disables_itself(manager, store):
    m = manager()
    m.pick("Max")
    m.presenter.set_default()
    m.worker.pump()
    assert store.default_name() == "Max" and m.view.status == "Max is now the default voice"
    assert "Default voice." in m.view.note and not m.view.buttons.default.enabled
