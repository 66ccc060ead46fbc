"""The rundown editor: edit, add, reorder, save (read back exactly), refuse a bad cell, load into a show."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from studio.rundown import Rundown, Segment, load_rundown, parse_rundown
from studio.rundown.writer import COLUMNS, rundown_toml
from studio.ui.rundown_editor import RundownEditor
from tests.rundown.helpers import THREE
from tests.show.doubles import CountingStackFactory


class Loads:
    """Records the rundowns the editor hands to the show (what RundownPresenter.load receives)."""

    def __init__(self) -> None:
        self.rundowns: list[Rundown] = []

    def __call__(self, rundown: Rundown) -> str:
        self.rundowns.append(rundown)
        return "loaded"


class Answers:
    """Answers the editor's Save / Discard / Cancel question in turn (no modal box); records each ask.

    `asked` holds whether Cancel was offered each time (False: the studio is closing)."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[bool] = []

    def __call__(self, cancellable: bool) -> str:
        self.asked.append(cancellable)
        return self.answers.pop(0) if self.answers else "discard"


def editor_over(
    qtbot, rundown: Rundown | None, loads: Loads | None = None, path: Path | None = None
) -> RundownEditor:
    """A real editor widget, closed and deleted by qtbot when the test ends (unsaved edits discarded)."""
    editor = RundownEditor(rundown, loads or Loads(), path=path)
    editor.confirm_discard = Answers()  # never a modal box in a test
    qtbot.addWidget(editor)
    return editor


def shown(qtbot, editor: RundownEditor) -> RundownEditor:
    """The editor on screen, as the host sees it (keys reach it, closing it means something)."""
    editor.show()
    qtbot.waitExposed(editor)
    return editor


def press(qtbot, editor: RundownEditor, button: str) -> None:
    """Click one of the editor's buttons as the host would."""
    qtbot.mouseClick(editor.buttons[button], Qt.MouseButton.LeftButton)


def test_edit_add_reorder_then_save_reads_back_exactly(qtbot, tmp_path):
    editor = editor_over(qtbot, parse_rundown(THREE))
    assert [row["title"] for row in editor.rows()] == ["Headlines", "Weather", "Sports"]
    assert editor.rows()[1] == {
        "title": "Weather",
        "minutes": "3",
        "notes": "The storm reaches the coast at nine.",
        "persona": "Calm and precise.",
        "voice": "Max",
        "scene": "Weather map",
    }
    tricky = 'Say "good evening" \\ wave;\nthen # the storm\tand ünïcode ✓'
    editor.set_cell(0, "title", 'Headlines "live"')
    editor.set_cell(0, "notes", tricky)
    editor.table.setCurrentCell(0, 0)
    press(qtbot, editor, "Add")  # after the selected segment
    assert editor.current_row() == 1 and editor.cell(1, "title") == "New segment"
    editor.set_cell(1, "title", "Interview")
    editor.set_cell(1, "minutes", "2.5")
    editor.set_cell(1, "scene", "Studio B")
    editor.table.setCurrentCell(3, 0)  # Sports
    press(qtbot, editor, "Move up")
    assert editor.move(-1) == 1  # and once more, by the method: Sports is now second
    assert editor.move(-5, row=0) == 0  # cannot move past the top
    editor.table.setCurrentCell(3, 0)  # Weather, now last
    press(qtbot, editor, "Remove")
    assert editor.dirty and editor.windowTitle().endswith("*")

    path = tmp_path / "tonight.toml"
    assert editor.save_to(path)
    expected = (
        Segment(title='Headlines "live"', minutes=4, notes=tricky),
        Segment(title="Sports", minutes=2),
        Segment(title="Interview", minutes=2.5, scene="Studio B"),
    )
    text = path.read_text(encoding="utf-8")
    assert parse_rundown(text).segments == expected
    assert text.count("[[segment]]") == 3 and "minutes = 4\n" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tonight.toml"]  # no temp file left
    assert not editor.dirty and editor.windowTitle() == "Rundown editor — tonight.toml"
    assert "Saved 3 segments" in editor.status.text()

    again = editor_over(qtbot, None)  # Open… of the saved file shows the same rows
    assert again.open_path(path) and again.rows() == editor.rows() and again.path == path


def test_every_field_survives_the_writer():
    rundown = parse_rundown(THREE)
    assert parse_rundown(rundown_toml(rundown)).segments == rundown.segments
    odd = Rundown(segment=(Segment(title="A'b\"c\\\x01", minutes=0.1 + 0.2, persona="x\r\ny", voice="Éva"),))
    assert parse_rundown(rundown_toml(odd)).segments == odd.segments


def test_a_bad_cell_is_named_and_nothing_is_saved_or_loaded(qtbot, tmp_path):
    loads = Loads()
    editor = editor_over(qtbot, parse_rundown(THREE), loads)
    path = tmp_path / "show.toml"
    assert editor.save_to(path)
    saved = path.read_bytes()
    minutes = COLUMNS.index("minutes")
    for bad, reason in (("0", "greater than 0"), ("four", "valid number"), ("", "valid number")):
        editor.set_cell(1, "minutes", bad)
        assert not editor.save_to(path)
        message = editor.status.text()
        assert 'segment 2 ("Weather"): minutes' in message and "fix that cell" in message, message
        assert reason in message, message
        assert editor.status.property("error") is True
        assert (editor.table.currentRow(), editor.table.currentColumn()) == (1, minutes)
        assert not editor.load_into_show()
        assert path.read_bytes() == saved and loads.rundowns == []

    editor.set_cell(1, "minutes", "3")
    editor.set_cell(2, "title", "  ")
    press(qtbot, editor, "Load into show")
    assert "segment 3: title" in editor.status.text() and loads.rundowns == []
    editor.set_cell(2, "title", "Sports")
    press(qtbot, editor, "Load into show")
    assert loads.rundowns[-1].segments == parse_rundown(THREE).segments
    assert editor.status.text() == "loaded" and editor.status.property("error") is False

    while editor.rows():
        editor.table.setCurrentCell(0, 0)
        editor.remove_segment()
    assert not editor.save_to(path) and "at least one segment" in editor.status.text()
    assert path.read_bytes() == saved


def test_a_bad_file_is_refused_and_the_table_kept(qtbot, tmp_path):
    editor = editor_over(qtbot, None)
    assert [row["title"] for row in editor.rows()] == ["Headlines"] and editor.path is None
    bad = tmp_path / "bad.toml"
    bad.write_text('[[segment]]\ntitle = "X"\nminutes = "four"\n', encoding="utf-8")
    assert not editor.open_path(bad)
    assert 'segment 1 ("X"): minutes' in editor.status.text()
    assert [row["title"] for row in editor.rows()] == ["Headlines"]
    assert not editor.save_to(tmp_path / "missing-dir" / "x.toml")
    assert "cannot write" in editor.status.text()


def test_edit_in_the_window_and_load_into_the_running_show(qtbot, studio, tmp_path):
    window, _mic = studio(stack_factory=CountingStackFactory())
    show = window.engine.show
    qtbot.mouseClick(window.rundown_panel.edit_button, Qt.MouseButton.LeftButton)
    empty = window.rundown.editor
    assert empty is not None and empty.isVisible() and empty.path is None
    assert [row["title"] for row in empty.rows()] == ["Headlines"]  # no rundown yet: the example
    with qtbot.waitSignal(empty.finished, timeout=5_000):
        press(qtbot, empty, "Close")
    assert window.rundown.editor is None

    file = tmp_path / "show.toml"
    file.write_text(THREE, encoding="utf-8")
    assert window.rundown.open(file) is None
    window.rundown.next()
    qtbot.waitUntil(lambda: show.rundown_status().index == 0, timeout=10_000)
    window.rundown.next()
    qtbot.waitUntil(lambda: show.rundown_status().index == 1, timeout=10_000)

    qtbot.mouseClick(window.rundown_panel.edit_button, Qt.MouseButton.LeftButton)
    editor = window.rundown.editor
    assert editor is not None and editor.path == file
    assert [row["title"] for row in editor.rows()] == ["Headlines", "Weather", "Sports"]
    editor.set_cell(2, "title", "Late sports")
    editor.table.setCurrentCell(0, 0)
    editor.add_segment()
    editor.set_cell(1, "title", "Breaking")
    editor.set_cell(1, "notes", "The bridge is closed.")
    assert editor.load_into_show()
    assert "It starts afresh: it was on segment 2 of 3" in editor.status.text()

    status = show.rundown_status()
    assert not status.started and status.count == 4
    assert [s.title for s in show.rundown.segments] == ["Headlines", "Breaking", "Weather", "Late sports"]
    assert window.rundown_panel.next_label.text() == "First: Headlines"
    window.rundown.next()
    window.rundown.next()
    qtbot.waitUntil(lambda: show.rundown_status().index == 1, timeout=10_000)
    assert show.rundown_status().segment.notes == "The bridge is closed."
    assert file.read_text(encoding="utf-8") == THREE  # loading does not save

    assert editor.save()  # Save writes back to the file it came from
    assert [s.title for s in parse_rundown(file.read_text(encoding="utf-8")).segments][1] == "Breaking"
    assert window.rundown.edit() is editor  # one editor at a time
    # The studio closes with unsaved edits: asked Save / Discard, no Cancel (the quit goes on).
    editor.set_cell(0, "title", "Top of the hour")
    editor.confirm_discard = answers = Answers("save")
    window.close()
    assert answers.asked == [False] and window.rundown.editor is None
    assert parse_rundown(file.read_text(encoding="utf-8")).segments[0].title == "Top of the hour"


def test_return_on_a_selected_cell_presses_no_button(qtbot):
    """Return is not the table's: it must not press "Load into show" (that restarts the live show)."""
    loads = Loads()
    editor = shown(qtbot, editor_over(qtbot, parse_rundown(THREE), loads))
    assert not any(button.isDefault() or button.autoDefault() for button in editor.buttons.values())
    editor.table.setFocus()
    editor.table.setCurrentCell(1, 0)
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
        qtbot.keyClick(editor.table, key)
    assert loads.rundowns == [] and editor.isVisible() and editor.status.text().startswith("Edit the cells")


def test_escape_close_and_the_title_bar_ask_before_unsaved_edits_go(qtbot, tmp_path):
    path = tmp_path / "show.toml"
    path.write_text(THREE, encoding="utf-8")
    editor = shown(qtbot, editor_over(qtbot, load_rundown(path), path=path))
    editor.confirm_discard = answers = Answers("cancel", "cancel", "cancel")
    qtbot.keyClick(editor.table, Qt.Key.Key_Escape)
    assert answers.asked == [] and not editor.isVisible()  # nothing unsaved: Escape just closes

    shown(qtbot, editor)
    editor.set_cell(0, "title", "Top stories")
    qtbot.keyClick(editor.table, Qt.Key.Key_Escape)
    press(qtbot, editor, "Close")
    assert not editor.close()  # the title bar's close
    assert answers.asked == [True, True, True]  # each time: Save / Discard / Cancel, and Cancel kept it
    assert editor.isVisible() and editor.dirty and editor.cell(0, "title") == "Top stories"
    assert path.read_text(encoding="utf-8") == THREE

    editor.set_cell(1, "minutes", "four")  # Save fails on a bad cell: the editor stays, the cell named
    editor.confirm_discard = answers = Answers("save")
    qtbot.keyClick(editor.table, Qt.Key.Key_Escape)
    assert answers.asked == [True] and editor.isVisible() and editor.status.property("error") is True
    assert path.read_text(encoding="utf-8") == THREE

    editor.set_cell(1, "minutes", "3")
    editor.confirm_discard = answers = Answers("save")
    with qtbot.waitSignal(editor.finished, timeout=5_000):
        qtbot.keyClick(editor.table, Qt.Key.Key_Escape)
    assert answers.asked == [True] and not editor.isVisible() and not editor.dirty
    assert load_rundown(path).segments[0].title == "Top stories"

    shown(qtbot, editor)
    editor.set_cell(0, "title", "Thrown away")
    editor.confirm_discard = answers = Answers("discard")
    with qtbot.waitSignal(editor.finished, timeout=5_000):
        press(qtbot, editor, "Close")
    assert answers.asked == [True] and not editor.isVisible()
    assert load_rundown(path).segments[0].title == "Top stories"


def test_the_studio_closing_asks_save_or_discard_and_always_closes(qtbot, tmp_path):
    path = tmp_path / "show.toml"
    path.write_text(THREE, encoding="utf-8")
    editor = shown(qtbot, editor_over(qtbot, load_rundown(path), path=path))
    editor.set_cell(1, "minutes", "four")
    editor.confirm_discard = answers = Answers("save", "cancel")  # Save fails; no Cancel to keep it
    with qtbot.waitSignal(editor.finished, timeout=5_000):
        assert editor.close_for_quit()
    assert answers.asked == [False, False] and path.read_text(encoding="utf-8") == THREE


def test_open_on_a_dirty_table_asks_first(qtbot, tmp_path):
    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    first.write_text(THREE, encoding="utf-8")
    second.write_text('[[segment]]\ntitle = "Only"\nminutes = 1\n', encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text('[[segment]]\ntitle = "X"\nminutes = "four"\n', encoding="utf-8")
    editor = editor_over(qtbot, None)
    editor.confirm_discard = answers = Answers("cancel", "save", "discard")
    assert editor.open_path(first) and answers.asked == []  # nothing unsaved: no question

    editor.set_cell(0, "title", "Edited")
    assert not editor.open_path(bad) and answers.asked == []  # a bad file is refused before asking
    assert not editor.open_path(second)  # Cancel: the table and its file stay
    assert answers.asked == [True] and editor.path == first and editor.cell(0, "title") == "Edited"
    assert editor.open_path(second)  # Save: written to first.toml, then second.toml opened
    assert load_rundown(first).segments[0].title == "Edited"
    assert editor.path == second and [row["title"] for row in editor.rows()] == ["Only"]

    editor.set_cell(0, "title", "Dropped")
    assert editor.open_path(first)  # Discard
    assert answers.asked == [True, True, True] and not editor.dirty
    assert [row["title"] for row in editor.rows()] == ["Edited", "Weather", "Sports"]
    assert "Dropped" not in second.read_text(encoding="utf-8")
