"""The voice manager: the host makes, checks and picks the anchor's voices without leaving the studio.

Usage, on the Qt main thread (what `StudioWindow.open_voice_manager` does for its "Voices…" button)::

    dialog = VoiceManagerDialog(VoiceProfileStore(), engine=window.engine, parent=window)
    dialog.profile_renamed.connect(window._on_voice_renamed)
    dialog.profiles_changed.connect(window.reload_voices)
    dialog.open()

`VoiceManagerDialog(store, engine=None, parent=None, *, recorder_factory=None, player=None,
record_countdown_s=3)`:
- `store`: a VoiceProfileStore; every write (create, duplicate, update, rename, delete, default)
  goes through it, atomically, on the dialog's worker thread. Bundled voices are read-only.
- `engine`: the running ShowThread, or None. "Transcribe" and "Preview" use its live stack
  (`ShowThread.transcribe` / `synthesize`); without an engine both are disabled, and before the
  models are loaded they say so.
- `recorder_factory`: where "Record…" takes audio from (default: the settings' mic, else the
  system's default input). No input device → the Record button is disabled; its tooltip says why.
- `player`: plays the reference clip and previews (default: ClipPlayer on the settings' monitor
  device, else the default output — never the program output).
- `profiles_changed` is emitted after every change that the studio's voice selector must see;
  `profile_renamed(old, new)` just before it on a rename, so the studio can keep a renamed choice.

Layout: this dialog is the passive view. VoiceManagerPresenter (studio.ui.voice_manager_presenter)
and VoiceChecks (studio.ui.voice_checks) decide; VoiceListPanel and VoiceEditorPanel
(studio.ui.voice_manager_panels) lay out.

Threading: Qt main thread. Nothing here waits: profile writes, clip decoding and the mic probe run
on one worker thread; engine and player futures come back through a queued signal
(studio.ui.main_thread); the recorder opens its input on its own worker.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidgetItem,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.ui.clip_player import ClipPlayer, Player
from studio.ui.main_thread import BackgroundJobs, FutureRelay
from studio.ui.record_reference_dialog import RecordReferenceDialog
from studio.ui.reference_recorder import MicRecorderFactory, RecorderFactory
from studio.ui.voice_checks import VoiceEngine
from studio.ui.voice_manager_panels import NAME_ROLE, VoiceEditorPanel, VoiceListPanel, action_button
from studio.ui.voice_manager_presenter import VoiceManagerPresenter
from studio.ui.voice_manager_state import ButtonStates, FormValues, ProfileRow
from studio.voices.profile import VoiceProfile
from studio.voices.reference import ReferenceClip
from studio.voices.store import VoiceProfileStore

AUDIO_FILTER = "Audio (*.wav *.wave *.flac *.ogg *.oga *.opus *.mp3 *.aif *.aiff);;All files (*)"


class VoiceManagerDialog(QDialog):
    """List, inspect, create, edit and remove voice profiles; check them with the live models."""

    profiles_changed = Signal()
    profile_renamed = Signal(str, str)  # old name, new name (emitted before profiles_changed)

    def __init__(
        self,
        store: VoiceProfileStore,
        engine: VoiceEngine | None = None,
        parent: QWidget | None = None,
        *,
        recorder_factory: RecorderFactory | None = None,
        player: Player | None = None,
        record_countdown_s: int = 3,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Voices")
        self.resize(980, 640)
        self.store = store
        settings = getattr(engine, "settings", None)
        self._recorder_factory = recorder_factory or MicRecorderFactory(getattr(settings, "mic_device", None))
        self._own_player = player is None
        self.player: Player = player or ClipPlayer(getattr(settings, "monitor_device", None))
        self._countdown_s = record_countdown_s
        self._relay = FutureRelay(self)
        self._jobs = BackgroundJobs(self._relay, "voice-manager")
        self.record_dialog: RecordReferenceDialog | None = None
        self._reload_to: str | None = None
        self._build()
        self.presenter = VoiceManagerPresenter(
            store, self, self._jobs, self._relay, self.player, engine=engine
        )
        self._connect()
        self.presenter.reload()
        self.presenter.checks.probe_recorder(self._recorder_factory.problem)

    # ----- layout and wiring ------------------------------------------------------------------
    def _build(self) -> None:
        self.list_panel, self.editor = VoiceListPanel(), VoiceEditorPanel()
        lists, editor = self.list_panel, self.editor
        self.profile_list = lists.profile_list
        self.import_button, self.record_button = lists.import_button, lists.record_button
        self.duplicate_button, self.rename_button = lists.duplicate_button, lists.rename_button
        self.delete_button, self.default_button = lists.delete_button, lists.default_button
        self.error_label, self.note_label, self.form = editor.error_label, editor.note_label, editor.form
        self.play_button, self.transcribe_button = editor.play_button, editor.transcribe_button
        self.preview_text, self.preview_button = editor.preview_text, editor.preview_button
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.save_button = action_button("Save", "Write the changes (atomically)")
        self.save_button.setDefault(True)
        self.revert_button = action_button("Discard changes", "Back to what is saved")
        self.close_button = action_button("Close")
        bottom = QHBoxLayout()
        bottom.addWidget(self.status_label, 1)
        for button in (self.revert_button, self.save_button, self.close_button):
            bottom.addWidget(button)
        splitter = QSplitter()
        splitter.addWidget(lists)
        splitter.addWidget(editor)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)

    def _connect(self) -> None:
        presenter, checks = self.presenter, self.presenter.checks
        self.profile_list.currentItemChanged.connect(self._on_current_changed)
        self.form.edited.connect(presenter.on_edited)
        for button, slot in (
            (self.import_button, presenter.import_clip),
            (self.record_button, presenter.record_clip),
            (self.duplicate_button, presenter.duplicate),
            (self.rename_button, presenter.rename),
            (self.delete_button, presenter.delete),
            (self.default_button, presenter.set_default),
            (self.save_button, presenter.save),
            (self.revert_button, presenter.revert),
            (self.close_button, self.reject),
            (self.play_button, checks.toggle_reference_playback),
            (self.transcribe_button, checks.transcribe),
            (self.preview_button, checks.preview),
        ):
            button.clicked.connect(slot)
        self._buttons = {
            "import": self.import_button,
            "record": self.record_button,
            "duplicate": self.duplicate_button,
            "rename": self.rename_button,
            "delete": self.delete_button,
            "default": self.default_button,
            "save": self.save_button,
            "revert": self.revert_button,
            "play": self.play_button,
            "transcribe": self.transcribe_button,
            "preview": self.preview_button,
        }

    # ----- what the studio and tests call -------------------------------------------------------
    @property
    def engine(self) -> VoiceEngine | None:
        """The live stack for transcribe and preview; the studio sets a new one after a rebuild."""
        return self.presenter.engine

    @engine.setter
    def engine(self, engine: VoiceEngine | None) -> None:
        self.presenter.engine = engine

    def reload(self, select: str | None = None) -> None:
        """Re-read the profiles and show `select`, else the one on show."""
        self.presenter.reload(select)

    def profile_names(self) -> list[str]:
        """Names in the list, as shown (for tests and for the main window)."""
        return self.presenter.profile_names()

    def select(self, name: str) -> None:
        """Show the named profile (asks first when there are unsaved changes)."""
        self.profile_list.setCurrentRow(self.presenter.state.row_of(name))

    def _on_current_changed(self, current: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        if current is None:
            return
        name = current.data(NAME_ROLE)
        choice = self.presenter.choose(name)
        if choice == "keep":
            self.list_panel.set_current_item(previous)
        elif choice == "relist":
            # Rebuild the list after this signal, not inside it (clearing a QListWidget while it
            # emits currentItemChanged frees the items it holds).
            self._reload_to = name
            QTimer.singleShot(0, self._reload_deferred)

    def _reload_deferred(self) -> None:
        self.presenter.reload(select=self._reload_to)

    # ----- VoiceManagerView: showing ----------------------------------------------------------
    def show_rows(self, rows: list[ProfileRow], current: int) -> None:
        self.list_panel.show_rows(rows, current)

    def rename_draft_row(self, text: str) -> None:
        self.list_panel.rename_draft_row(text)

    def show_profile(self, profile: VoiceProfile, reference: str, *, editable: bool, new: bool) -> None:
        self.form.show_profile(profile, reference, editable=editable, new=new)

    def show_note(self, text: str) -> None:
        self.note_label.setText(text)

    def show_buttons(self, states: ButtonStates) -> None:
        for name, state in states.items():
            button = self._buttons[name]
            button.setEnabled(state.enabled)
            if state.tip is not None:
                button.setToolTip(state.tip)
            if state.text is not None:
                button.setText(state.text)

    def show_error(self, text: str) -> None:
        self.editor.show_error(text)

    def show_status(self, text: str) -> None:
        self.status_label.setText(text)

    def set_transcript(self, text: str) -> None:
        self.form.set_transcript(text)

    def focus_name(self) -> None:
        self.form.name_edit.setFocus()

    # ----- VoiceManagerView: asking and reading -------------------------------------------------
    def form_values(self) -> FormValues:
        return self.form.values()

    def preview_sentence(self) -> str:
        return self.preview_text.text()

    def confirm(self, title: str, text: str) -> bool:
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        return QMessageBox.question(self, title, text, yes | no, no) == yes

    def ask_name(self, title: str, label: str, suggestion: str) -> str | None:
        text, ok = QInputDialog.getText(self, title, label, QLineEdit.EchoMode.Normal, suggestion)
        return text.strip() if ok and text.strip() else None

    def choose_audio_file(self) -> str | None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Import a reference clip", str(Path.home()), AUDIO_FILTER
        )
        return path or None

    def open_recorder(self, on_clip: Callable[[ReferenceClip], None]) -> None:
        dialog = RecordReferenceDialog(
            self._recorder_factory, self.presenter.work_dir, self._countdown_s, self
        )
        self.record_dialog = dialog

        def accepted() -> None:
            if dialog.clip is not None:
                on_clip(dialog.clip)

        dialog.accepted.connect(accepted)
        dialog.open()

    def notify_profiles_changed(self) -> None:
        self.profiles_changed.emit()

    def notify_renamed(self, old: str, new: str) -> None:
        self.profile_renamed.emit(old, new)

    # ----- closing ------------------------------------------------------------------------------
    def done(self, result: int) -> None:
        """Close (asking first about unsaved changes); a write in flight is waited for, not abandoned."""
        if not self.presenter.may_close():
            return
        if self.record_dialog is not None and self.record_dialog.isVisible():
            self.record_dialog.reject()  # releases the mic
        self._relay.close()
        self._jobs.shutdown()
        self.player.stop()
        if self._own_player and isinstance(self.player, ClipPlayer):
            self.player.shutdown()
        self.presenter.close()
        super().done(result)
