"""The rundown editor: a table of segments to edit, reorder, open, save and load into the running show.

The dialog is its own presenter: every button is a method tests call directly (add_segment, move,
set_cell, save_to, load_into_show), and the file dialogs are only in the thin *…* slots. Rows go
through studio.rundown.writer (the pydantic model, the same messages as a file); a bad cell is
named in the status line and selected, and then nothing is saved or loaded.
No button is the default: Return on a selected cell (which the table does not use) must never
press "Load into show", which restarts the LIVE show's rundown. Unsaved edits are never dropped
silently: Escape, Close, the title bar's close and Open… ask Save / Discard / Cancel; when the
studio itself closes (close_for_quit) only Save / Discard is offered, so the quit always goes on
(a failed Save asks again). The question is `confirm_discard` (tests replace it).
Threading: Qt main thread; loading hands the rundown to the show's thread-safe set_rundown.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.rundown import Rundown, RundownError, load_rundown
from studio.rundown.writer import (
    COLUMNS,
    Row,
    example_row,
    new_row,
    rundown_from_rows,
    save_rundown,
    segment_row,
)

HEADERS = {"title": "Title", "minutes": "Minutes", "notes": "Notes", "persona": "Persona"}
HEADERS |= {"voice": "Voice", "scene": "OBS scene"}
ERROR_STYLE = "color: #e5484d;"
UNSAVED = "rundown editor"  # the source named in messages before the rundown has a file
FILE_FILTER = "Rundown (*.toml);;All files (*)"

#: Hands a validated rundown to the show; returns what to tell the host (RundownPresenter.load).
Loader = Callable[[Rundown], str]
#: What to do with unsaved edits: "save", "discard" or "cancel"; the argument says whether Cancel
#: is offered (False: the studio is closing and the editor goes either way).
Confirm = Callable[[bool], str]


class RundownEditor(QDialog):
    """Edit a rundown's segments in a table; Save / Save as… write TOML, Load into show hands it over."""

    def __init__(
        self,
        rundown: Rundown | None,
        load: Loader,
        parent: QWidget | None = None,
        path: Path | None = None,
    ) -> None:
        """Prefilled with `rundown` (None: one example segment); `path`: where Save writes (None: ask)."""
        super().__init__(parent)
        self.setObjectName("rundown_editor")
        self.resize(900, 420)
        self._load = load
        self.path = path
        self.dirty = False
        self.confirm_discard: Confirm = self.ask_unsaved
        self._quitting = False  # close_for_quit: no Cancel, the editor closes whatever the answer
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([HEADERS[name] for name in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        for column, name in enumerate(COLUMNS):
            mode = (
                QHeaderView.ResizeMode.Stretch
                if name in ("notes", "persona")
                else QHeaderView.ResizeMode.ResizeToContents
            )
            header.setSectionResizeMode(column, mode)
        self.table.itemChanged.connect(self._on_edited)
        self.status = QLabel()
        self.status.setObjectName("rundown_editor_status")
        self.status.setWordWrap(True)
        self.buttons: dict[str, QPushButton] = {}
        layout = QVBoxLayout(self)
        layout.addLayout(
            self._button_row(
                ("Add", self.add_segment),
                ("Remove", self.remove_segment),
                ("Move up", lambda: self.move(-1)),
                ("Move down", lambda: self.move(1)),
            )
        )
        layout.addWidget(self.table)
        layout.addWidget(self.status)
        layout.addLayout(
            self._button_row(
                ("Open…", self.choose_file),
                ("Save", self.save),
                ("Save as…", self.choose_save_path),
                ("Load into show", self.load_into_show),
                ("Close", self.close),
            )
        )
        self.buttons["Load into show"].setToolTip("Hand this rundown to the show (it starts at START ▶)")
        self.set_rundown(rundown, path)
        self.say(
            "Edit the cells; minutes may be fractional (2.5). Empty voice: the show's; empty scene: none."
        )

    def _button_row(self, *buttons: tuple[str, Callable[[], object]]) -> QHBoxLayout:
        """A row of push buttons, kept in `self.buttons` by their text (tests press them)."""
        row = QHBoxLayout()
        for text, slot in buttons:
            button = QPushButton(text)
            button.setAutoDefault(False)  # never the default: Return presses no button (module doc)
            button.clicked.connect(lambda _checked=False, slot=slot: slot())
            self.buttons[text] = button
            row.addWidget(button)
        row.addStretch(1)
        return row

    # ----- the table ---------------------------------------------------------------------------
    def set_rundown(self, rundown: Rundown | None, path: Path | None = None) -> None:
        """Show `rundown`'s segments (None: one example segment); `path` becomes where Save writes."""
        rows = [segment_row(segment) for segment in rundown.segments] if rundown else [example_row()]
        self.set_rows(rows)
        self.path = path
        self._mark(dirty=False)

    def set_rows(self, rows: list[Row]) -> None:
        """Replace the table's rows (missing cells are empty)."""
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for row in rows:
            self._insert(self.table.rowCount(), row)
        self.table.blockSignals(False)
        self._mark(dirty=True)

    def rows(self) -> list[Row]:
        """The table as text rows, in running order."""
        return [{name: self.cell(row, name) for name in COLUMNS} for row in range(self.table.rowCount())]

    def cell(self, row: int, name: str) -> str:
        """The text in segment `row`'s `name` cell."""
        item = self.table.item(row, COLUMNS.index(name))
        return item.text() if item is not None else ""

    def set_cell(self, row: int, name: str, text: str) -> None:
        """Type `text` into segment `row`'s `name` cell (as the host editing it)."""
        item = self.table.item(row, COLUMNS.index(name))
        if item is None:
            self.table.setItem(row, COLUMNS.index(name), QTableWidgetItem(text))
        else:
            item.setText(text)
        self._mark(dirty=True)

    def current_row(self) -> int:
        """The selected segment (-1: none)."""
        return self.table.currentRow()

    def add_segment(self) -> int:
        """Insert a new segment after the selected one (or at the end); returns its row, selected."""
        row = self.current_row() + 1 if self.current_row() >= 0 else self.table.rowCount()
        self._insert(row, new_row())
        self._select(row)
        self._mark(dirty=True)
        return row

    def remove_segment(self) -> int:
        """Remove the selected segment; returns how many are left."""
        row = self.current_row()
        if row >= 0:
            self.table.removeRow(row)
            self._select(min(row, self.table.rowCount() - 1))
            self._mark(dirty=True)
        return self.table.rowCount()

    def move(self, step: int, row: int | None = None) -> int:
        """Move segment `row` (default: the selected one) `step` places; returns where it is now."""
        row = self.current_row() if row is None else row
        target = row + step
        if row < 0 or not 0 <= target < self.table.rowCount():
            return row
        rows = self.rows()
        rows.insert(target, rows.pop(row))
        self.set_rows(rows)
        self._select(target)
        return target

    def _insert(self, row: int, cells: Row) -> None:
        """A new table row at `row` with `cells`."""
        self.table.insertRow(row)
        for column, name in enumerate(COLUMNS):
            self.table.setItem(row, column, QTableWidgetItem(cells.get(name, "")))

    def _select(self, row: int) -> None:
        """Select segment `row` (nothing when the table is empty)."""
        if row >= 0:
            self.table.setCurrentCell(row, 0)

    def _on_edited(self, _item: QTableWidgetItem) -> None:
        """A cell changed: the rundown has unsaved edits."""
        self._mark(dirty=True)

    def _mark(self, *, dirty: bool) -> None:
        """Remember unsaved edits and show them (and the file) in the title."""
        self.dirty = dirty
        name = self.path.name if self.path else "unsaved"
        self.setWindowTitle(f"Rundown editor — {name}{' *' if dirty else ''}")

    # ----- checking, saving, loading -----------------------------------------------------------
    def say(self, text: str, error: bool = False) -> None:
        """Put `text` in the status line (red for an error the host must fix)."""
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else "")
        self.status.setProperty("error", error)

    def validated(self) -> Rundown | None:
        """The table as a Rundown, or None after naming the bad segment and field (its cell selected)."""
        source = str(self.path) if self.path else UNSAVED
        try:
            return rundown_from_rows(self.rows(), source)
        except RundownError as exc:
            self.say(str(exc), error=True)
            if exc.cells:
                row, name = exc.cells[0]
                if name in COLUMNS:
                    self.table.setCurrentCell(row, COLUMNS.index(name))
            return None

    def save_to(self, path: Path) -> bool:
        """Check the rundown and write it to `path` atomically; False (file untouched) when it cannot be."""
        rundown = self.validated()
        if rundown is None:
            return False
        try:
            save_rundown(rundown, path)
        except RundownError as exc:
            self.say(str(exc), error=True)
            return False
        self.path = Path(path)
        self._mark(dirty=False)
        self.say(f"Saved {len(rundown.segments)} segments to {path}.")
        return True

    def save(self) -> bool:
        """Save to the rundown's file, or ask for one (Save as…) when it has none."""
        return self.save_to(self.path) if self.path else self.choose_save_path()

    def open_path(self, path: Path) -> bool:
        """Replace the table with the rundown in `path`; False (table kept) when the file is bad, or
        unsaved edits are not given up (Cancel, or Save failed)."""
        try:
            rundown = load_rundown(path)
        except RundownError as exc:
            self.say(str(exc), error=True)
            return False
        if not self.settle_edits(cancellable=True):
            return False
        self.set_rundown(rundown, Path(path))
        self.say(f"Opened {path} ({len(rundown.segments)} segments).")
        return True

    def load_into_show(self) -> bool:
        """Check the rundown and hand it to the show; the status line says what the show does with it."""
        rundown = self.validated()
        if rundown is None:
            return False
        self.say(self._load(rundown))
        return True

    # ----- unsaved edits ------------------------------------------------------------------------
    def settle_edits(self, cancellable: bool) -> bool:
        """Unsaved edits are saved or discarded, as `confirm_discard` answers; False: keep editing.

        Cancelled, or Save failed (the status line says why, the bad cell is selected): False. When
        not `cancellable` (the studio is closing) a failed Save asks again and any other answer
        than "save" lets the edits go: True either way."""
        while self.dirty:
            answer = self.confirm_discard(cancellable)
            if answer != "save":
                return answer == "discard" or not cancellable
            if self.save():
                return True
            if cancellable:
                return False
        return True

    def reject(self) -> None:
        """Escape, Close and the title bar's close (QDialog.closeEvent calls this): ask first."""
        if self.settle_edits(cancellable=not self._quitting):
            super().reject()

    def close_for_quit(self) -> bool:
        """The studio is closing: Save / Discard unsaved edits (no Cancel: the quit goes on), close."""
        self._quitting = True
        return self.close()

    def ask_unsaved(self, cancellable: bool) -> str:
        """The Save / Discard (/ Cancel) question, as a message box over the editor."""
        buttons = QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
        if cancellable:
            buttons |= QMessageBox.StandardButton.Cancel
            info = "Discard loses them; Cancel goes back to editing."
        else:  # no Cancel, so no escape button either: one of the two must be chosen
            info = "The studio is closing: Discard loses them."
        if self.status.property("error"):
            info = f"{self.status.text()}\n\n{info}"  # why the last Save failed
        name = self.path.name if self.path else "the rundown"
        text = f"Save your edits to {name}?"
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved rundown", text, buttons, self)
        box.setInformativeText(info)
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        box.exec()
        clicked = box.clickedButton()
        chosen = box.standardButton(clicked) if clicked is not None else None
        answers = {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}
        return answers.get(chosen, "cancel")

    # ----- file dialogs (thin: tests call the methods above) -----------------------------------
    def choose_file(self) -> bool:
        """Ask for a rundown file and open it."""
        path, _ = QFileDialog.getOpenFileName(self, "Open a rundown", self._folder(), FILE_FILTER)
        return self.open_path(Path(path)) if path else False

    def choose_save_path(self) -> bool:
        """Ask where to save (Save as…) and save there."""
        path, _ = QFileDialog.getSaveFileName(self, "Save the rundown", self._folder(), FILE_FILTER)
        if not path:
            return False
        chosen = Path(path)
        return self.save_to(chosen if chosen.suffix else chosen.with_suffix(".toml"))

    def _folder(self) -> str:
        """Where the file dialogs start: the rundown's own folder, if it has a file."""
        return str(self.path.parent) if self.path else ""
