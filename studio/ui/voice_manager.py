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
- `engine`: the running EngineThread, or None. "Transcribe" and "Preview" use its live stack
  (`EngineThread.transcribe` / `synthesize`); without an engine both are disabled, and before the
  models are loaded they say so.
- `recorder_factory`: where "Record…" takes audio from (default: the settings' mic, else the
  system's default input). No input device → the Record button is disabled; its tooltip says why.
- `player`: plays the reference clip and previews (default: ClipPlayer on the settings' monitor
  device, else the default output — never the program output).
- `profiles_changed` is emitted after every change that the studio's voice selector must see;
  `profile_renamed(old, new)` just before it on a rename, so the studio can keep a renamed choice.

Threading: Qt main thread. Nothing here waits: profile writes and clip decoding run on one worker
thread, engine and player futures come back through a queued signal (studio.ui.main_thread).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.engine.qt_adapter import EngineThread
from studio.ui.clip_player import ClipPlayer, Player
from studio.ui.main_thread import BackgroundJobs, FutureRelay
from studio.ui.record_reference_dialog import RecordReferenceDialog
from studio.ui.reference_recorder import MicRecorderFactory, RecorderFactory
from studio.ui.voice_details_form import VoiceDetailsForm
from studio.voices.profile import VoiceProfile
from studio.voices.reference import ReferenceClip, prepare_reference, reference_seconds
from studio.voices.store import VoiceProfileStore

AUDIO_FILTER = "Audio (*.wav *.wave *.flac *.ogg *.oga *.opus *.mp3 *.aif *.aiff);;All files (*)"
PREVIEW_TEXT = "Good evening and welcome back. Here is what is happening tonight."
STT_RATE = 16_000
NAME_ROLE = Qt.ItemDataRole.UserRole


@dataclasses.dataclass
class Draft:
    """A new voice whose clip passed the checks but which is not saved yet."""

    clip: ReferenceClip
    audio: Path  # the clip as 24 kHz WAV in the dialog's temp dir (for play and preview)
    origin: str  # "imported from x.mp3" / "recorded"


def _reference_16k(path: Path) -> np.ndarray:
    """A stored reference clip as 16 kHz mono for speech-to-text (worker thread)."""
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    return soxr.resample(mono, rate, STT_RATE).astype(np.float32) if rate != STT_RATE else mono


def _short_error(exc: BaseException) -> str:
    """The reason, without the temp path the voice modules put in front of it."""
    text = str(exc) or type(exc).__name__
    head, sep, rest = text.partition(": ")
    return rest if sep and ("/" in head or "\\" in head) else text


class VoiceManagerDialog(QDialog):
    """List, inspect, create, edit and remove voice profiles; check them with the live models."""

    profiles_changed = Signal()
    profile_renamed = Signal(str, str)  # old name, new name (emitted before profiles_changed)

    def __init__(
        self,
        store: VoiceProfileStore,
        engine: EngineThread | None = None,
        parent: QWidget | None = None,
        *,
        recorder_factory: RecorderFactory | None = None,
        player: Player | None = None,
        record_countdown_s: int = 3,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Voices")
        self.resize(980, 640)
        self.store, self.engine = store, engine
        settings = engine.settings if engine is not None else None
        self._recorder_factory = recorder_factory or MicRecorderFactory(getattr(settings, "mic_device", None))
        self._own_player = player is None
        self.player: Player = player or ClipPlayer(getattr(settings, "monitor_device", None))
        self._countdown_s = record_countdown_s
        self._relay = FutureRelay(self)
        self._jobs = BackgroundJobs(self._relay, "voice-manager")
        self._work_dir = Path(tempfile.mkdtemp(prefix="voice-manager-"))
        self._profiles: list[VoiceProfile] = []
        self._default: str | None = None
        self._selected: VoiceProfile | None = None
        self._draft: Draft | None = None
        self._dirty = False
        self._writing = False
        self._transcribing: object = None  # what the transcription in flight is for
        self._playing = False
        self._record_problem: str | None = "Checking for a microphone…"
        self.record_dialog: RecordReferenceDialog | None = None
        self._reload_to: str | None = None
        self._build()
        self.reload()
        self._jobs.run(self._recorder_factory.problem, self._on_record_probe)

    # ----- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        self.profile_list = QListWidget()
        self.profile_list.setMinimumWidth(230)
        self.profile_list.currentItemChanged.connect(self._on_current_changed)
        self.import_button = self._button(
            "Import clip…", self.import_clip, "Make a voice from a WAV/FLAC/OGG/MP3"
        )
        self.record_button = self._button("Record…", self.record_clip, self._record_problem or "")
        self.duplicate_button = self._button(
            "Duplicate…", self.duplicate, "Copy this voice to an editable one"
        )
        self.rename_button = self._button("Rename…", self.rename, "Give this voice another name")
        self.delete_button = self._button("Delete…", self.delete, "Remove this voice and its reference clip")
        self.default_button = self._button(
            "Set as default", self.set_default, "The voice the studio starts with"
        )
        actions = QGridLayout()
        for index, button in enumerate(
            (
                self.import_button,
                self.record_button,
                self.duplicate_button,
                self.rename_button,
                self.delete_button,
                self.default_button,
            )
        ):
            actions.addWidget(button, index // 2, index % 2)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.profile_list, 1)
        left_layout.addLayout(actions)

        self.error_label = QLabel()
        self.error_label.setObjectName("banner")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.note_label = QLabel()
        self.note_label.setWordWrap(True)
        self.form = VoiceDetailsForm()
        self.form.edited.connect(self._on_edited)
        self.play_button = self._button(
            "▶ Play", self.toggle_reference_playback, "Listen to the reference clip"
        )
        self.form.reference_row.addWidget(self.play_button)
        self.transcribe_button = self._button("Transcribe", self.transcribe, "")
        self.form.transcript_row.addWidget(self.transcribe_button, 0, Qt.AlignmentFlag.AlignTop)
        self.preview_text = QLineEdit(PREVIEW_TEXT)
        self.preview_button = self._button("Preview", self.preview, "")
        preview = QHBoxLayout()
        preview.addWidget(QLabel("Test sentence"))
        preview.addWidget(self.preview_text, 1)
        preview.addWidget(self.preview_button)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.save_button = self._button("Save", self.save, "Write the changes (atomically)")
        self.save_button.setDefault(True)
        self.revert_button = self._button("Discard changes", self.revert, "Back to what is saved")
        self.close_button = self._button("Close", self.reject, "")
        self.close_button.setAutoDefault(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status_label, 1)
        for button in (self.revert_button, self.save_button, self.close_button):
            bottom.addWidget(button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.error_label, self.note_label, self.form):
            right_layout.addWidget(widget)
        right_layout.addLayout(preview)
        right_layout.addStretch(1)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)

    def _button(self, text: str, slot: Any, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setAutoDefault(False)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    # ----- list ---------------------------------------------------------------------------------
    def reload(self, select: str | None = None) -> None:
        """Re-read the profiles (and the default) and show `select`, else the one on show."""
        keep = select or (self._selected.name if self._selected is not None else None)
        self._profiles, self._default = self.store.profiles(), self.store.default_name()
        self.profile_list.blockSignals(True)
        self.profile_list.clear()
        if self._draft is not None:
            item = QListWidgetItem(f"{self.form.name_edit.text() or 'New voice'} (not saved)")
            font = QFont(item.font())
            font.setItalic(True)
            item.setFont(font)
            item.setData(NAME_ROLE, None)
            self.profile_list.addItem(item)
        for profile in self._profiles:
            badges = [
                b
                for b, on in (("default", profile.name == self._default), ("bundled", profile.read_only))
                if on
            ]
            item = QListWidgetItem(profile.name + (f"  ·  {' · '.join(badges)}" if badges else ""))
            item.setData(NAME_ROLE, profile.name)
            item.setToolTip(
                f"{profile.anchor_name} · {profile.language}"
                + (" · bundled, read-only (duplicate it to edit)" if profile.read_only else "")
            )
            if profile.name == self._default:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            self.profile_list.addItem(item)
        row = 0 if self._draft is not None else self._row_of(keep)
        self.profile_list.setCurrentRow(row)  # still blocked: a reload is not the host switching voices
        self.profile_list.blockSignals(False)
        self._show_current()

    def _row_of(self, name: str | None) -> int:
        for row in range(self.profile_list.count()):
            if self.profile_list.item(row).data(NAME_ROLE) == name:
                return row
        return 0 if self.profile_list.count() else -1

    def profile_names(self) -> list[str]:
        """Names in the list, as shown (for tests and for the main window)."""
        return [p.name for p in self._profiles]

    def select(self, name: str) -> None:
        """Show the named profile (asks first when there are unsaved changes)."""
        self.profile_list.setCurrentRow(self._row_of(name))

    def _on_current_changed(self, current: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        if current is None:
            return
        if (self._dirty or self._draft is not None) and current is not previous:
            if not self._confirm(
                "Unsaved changes", f"Discard the unsaved changes to {self._shown_name()!r}?"
            ):
                self.profile_list.blockSignals(True)
                self.profile_list.setCurrentItem(previous)
                self.profile_list.blockSignals(False)
                return
            if self._draft is not None:
                # The draft's row goes away: rebuild the list after this signal, not inside it
                # (clearing a QListWidget while it emits currentItemChanged frees the items it holds).
                self._draft = None
                self._reload_to = current.data(NAME_ROLE)
                QTimer.singleShot(0, self._reload_deferred)
                return
        self._show_current()

    def _reload_deferred(self) -> None:
        self.reload(select=self._reload_to)

    def _show_current(self) -> None:
        self._dirty = False
        self._transcribing = None
        item = self.profile_list.currentItem()
        name = item.data(NAME_ROLE) if item is not None else None
        if self._draft is not None and name is None:
            self._selected = None
            self._show_draft()
        else:
            self._selected = next((p for p in self._profiles if p.name == name), None)
            if self._selected is not None:
                profile = self._selected
                seconds = reference_seconds(profile.reference_audio)
                reference = f"{seconds:.1f} s, 24 kHz mono" if seconds else "no reference clip"
                self.form.show_profile(profile, reference, editable=not profile.read_only, new=False)
                note = "Default voice. " if profile.name == self._default else ""
                if profile.read_only:
                    note += "Bundled voice: read-only. Duplicate it to make an editable copy."
                self.note_label.setText(note)
        self._update_buttons()

    def _show_draft(self) -> None:
        draft = self._draft
        assert draft is not None
        base = VoiceProfile(
            name=self._unique_name(Path(draft.clip.source).stem if draft.origin != "recorded" else "My voice")
        )
        base = dataclasses.replace(base, anchor_name=base.name)
        self.form.show_profile(base, f"{draft.origin}: {draft.clip.describe()}", editable=True, new=True)
        self.note_label.setText(
            "New voice, not saved yet: name it, transcribe the clip (or type its words), then Save."
        )
        self._dirty = True
        self._on_edited()

    def _shown_name(self) -> str:
        return self.form.name_edit.text() or (self._selected.name if self._selected else "this voice")

    def _unique_name(self, wanted: str) -> str:
        taken = {p.name.casefold() for p in self._profiles}
        name, number = wanted.strip() or "New voice", 1
        candidate = name
        while candidate.casefold() in taken:
            number += 1
            candidate = f"{name} {number}"
        return candidate

    # ----- state --------------------------------------------------------------------------------
    def _on_edited(self) -> None:
        self._dirty = True
        if self._draft is not None:
            item = self.profile_list.item(0)
            if item is not None:
                item.setText(f"{self.form.name_edit.text() or 'New voice'} (not saved)")
        self._update_buttons()

    def _update_buttons(self) -> None:
        profile, draft, writing = self._selected, self._draft, self._writing
        user_profile = profile is not None and not profile.read_only
        self.duplicate_button.setEnabled(profile is not None and not writing)
        self.rename_button.setEnabled(user_profile and not writing)
        self.delete_button.setEnabled(user_profile and not writing)
        self.default_button.setEnabled(profile is not None and profile.name != self._default and not writing)
        self.save_button.setEnabled(self._dirty and (draft is not None or user_profile) and not writing)
        self.revert_button.setEnabled(self._dirty or draft is not None)
        self.import_button.setEnabled(not writing)
        self.record_button.setEnabled(self._record_problem is None and not writing)
        self.record_button.setToolTip(self._record_problem or "Record a reference clip from the microphone")
        has_clip = draft is not None or (profile is not None and profile.reference_audio is not None)
        self.play_button.setEnabled(has_clip)
        editable = draft is not None or user_profile
        engine_tip = (
            "" if self.engine is not None else "No model stack here: open the voices from the studio window"
        )
        self.transcribe_button.setEnabled(
            self.engine is not None and has_clip and editable and self._transcribing is None
        )
        self.transcribe_button.setToolTip(engine_tip or "Fill the transcript with the active speech-to-text")
        self.preview_button.setEnabled(self.engine is not None and (profile is not None or draft is not None))
        self.preview_button.setToolTip(
            engine_tip or "Speak the test sentence with the active speech synthesis"
        )

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def _show_status(self, text: str) -> None:
        self.status_label.setText(text)

    def _confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(
            self,
            title,
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _ask_name(self, title: str, label: str, suggestion: str) -> str | None:
        text, ok = QInputDialog.getText(self, title, label, QLineEdit.EchoMode.Normal, suggestion)
        return text.strip() if ok and text.strip() else None

    def _write(self, job: Any, done_text: str, select: Any = None, announce: Any = None) -> None:
        """Run a store write on the worker; then reload, say what happened and tell the studio."""
        self._writing = True
        self._show_error("")
        self._update_buttons()

        def finished(future: concurrent.futures.Future[Any]) -> None:
            self._writing = False
            exc = future.exception()
            if exc is not None:
                self._show_error(f"Not saved: {_short_error(exc)}")
                self._update_buttons()
                return
            result = future.result()
            name = select(result) if callable(select) else select
            self._draft, self._dirty = None, False
            self.reload(select=name)
            self._show_status(done_text.format(name=name or ""))
            if announce is not None:
                announce(result)
            self.profiles_changed.emit()

        self._jobs.run(job, finished)

    # ----- actions ------------------------------------------------------------------------------
    def import_clip(self) -> None:
        """Pick an audio file; a clip that passes the checks becomes a new (unsaved) voice."""
        if not self._may_discard():
            return
        path, _filter = QFileDialog.getOpenFileName(
            self, "Import a reference clip", str(Path.home()), AUDIO_FILTER
        )
        if not path:
            return
        self._show_status(f"Checking {Path(path).name}…")
        self._show_error("")
        target = self._work_dir / f"draft-{len(list(self._work_dir.iterdir()))}.wav"

        def check() -> Draft:
            clip = prepare_reference(path)
            clip.save(target)
            return Draft(clip, target, f"imported from {Path(path).name}")

        self._jobs.run(check, lambda future: self._on_draft_ready(future, Path(path).name))

    def record_clip(self) -> None:
        """Record a reference from the mic; the take goes through the same checks as an import."""
        if self._record_problem is not None or not self._may_discard():
            return
        dialog = RecordReferenceDialog(self._recorder_factory, self._work_dir, self._countdown_s, self)
        self.record_dialog = dialog
        dialog.accepted.connect(lambda: self._on_recorded(dialog))
        dialog.open()

    def _on_recorded(self, dialog: RecordReferenceDialog) -> None:
        clip = dialog.clip
        if clip is None:
            return
        target = self._work_dir / f"draft-{len(list(self._work_dir.iterdir()))}.wav"

        def keep() -> Draft:
            clip.save(target)
            return Draft(clip, target, "recorded")

        self._jobs.run(keep, lambda future: self._on_draft_ready(future, "the recording"))

    def _on_draft_ready(self, future: concurrent.futures.Future[Draft], source: str) -> None:
        exc = future.exception()
        if exc is not None:
            self._show_status("")
            self._show_error(f"Cannot use {source}: {_short_error(exc)}. Nothing was saved.")
            return
        self._draft = future.result()
        self._show_status(f"Reference ready ({self._draft.clip.seconds:.1f} s)")
        self.reload()
        self.form.name_edit.setFocus()

    def _may_discard(self) -> bool:
        if not (self._dirty or self._draft is not None):
            return True
        if not self._confirm("Unsaved changes", f"Discard the unsaved changes to {self._shown_name()!r}?"):
            return False
        self._draft, self._dirty = None, False
        self.reload()
        return True

    def save(self) -> None:
        """Create the draft, or write the edits of the profile on show (atomically, off the GUI thread)."""
        store = self.store
        if self._draft is not None:
            draft = self._draft
            base = VoiceProfile(name=self.form.name_edit.text())
            fields = self.form.changes(base)
            transcript = str(fields.pop("reference_transcript"))
            name = self.form.name_edit.text()
            self._write(
                lambda: store.create(name, draft.clip, transcript, **fields),  # type: ignore[arg-type]
                "Saved the new voice {name}",
                lambda profile: profile.name,
            )
        elif self._selected is not None and not self._selected.read_only:
            profile = self._selected
            changes = self.form.changes(profile)
            self._write(lambda: store.update(profile.name, **changes), "Saved {name}", profile.name)

    def revert(self) -> None:
        """Forget unsaved edits (or the unsaved new voice)."""
        self._draft, self._dirty = None, False
        self.reload()

    def duplicate(self) -> None:
        if self._selected is None or not self._may_discard():
            return
        source = self._selected.name
        name = self._ask_name("Duplicate voice", "Name of the copy:", self._unique_name(f"{source} copy"))
        if name is not None:
            store = self.store
            self._write(lambda: store.duplicate(source, name), "Made {name}", lambda p: p.name)

    def rename(self) -> None:
        if self._selected is None or self._selected.read_only or not self._may_discard():
            return
        old = self._selected.name
        name = self._ask_name("Rename voice", f"New name for {old!r}:", old)
        if name is not None and name != old:
            store = self.store
            self._write(
                lambda: store.rename(old, name),
                f"Renamed {old} to {{name}}",
                lambda p: p.name,
                lambda p: self.profile_renamed.emit(old, p.name),
            )

    def delete(self) -> None:
        profile = self._selected
        if profile is None or profile.read_only:
            return
        question = f"Delete the voice {profile.name!r} and its reference clip? This cannot be undone."
        if not self._confirm("Delete voice", question):
            return
        store, name = self.store, profile.name
        self._draft, self._dirty = None, False
        self._write(lambda: store.delete(name), f"Deleted {name}", None)

    def set_default(self) -> None:
        if self._selected is None:
            return
        store, name = self.store, self._selected.name
        self._write(lambda: store.set_default(name), "{name} is now the default voice", name)

    # ----- checking with the live models ------------------------------------------------------------
    def _reference_path(self) -> Path | None:
        if self._draft is not None:
            return self._draft.audio
        return self._selected.reference_audio if self._selected is not None else None

    def transcribe(self) -> None:
        """Fill the transcript with the active speech-to-text (the field stays editable)."""
        path, engine = self._reference_path(), self.engine
        if path is None or engine is None:
            return
        token = object()
        self._transcribing = token
        self.transcribe_button.setText("Transcribing…")
        self._show_error("")
        self._update_buttons()
        language = self.form.language_box.currentText().split("-")[0] or None

        def loaded(future: concurrent.futures.Future[np.ndarray]) -> None:
            if future.exception() is not None:
                self._on_transcribed(future, token)
                return
            self._relay.watch(
                engine.transcribe(future.result(), language), lambda f: self._on_transcribed(f, token)
            )

        self._jobs.run(lambda: _reference_16k(path), loaded)

    def _on_transcribed(self, future: concurrent.futures.Future[Any], token: object) -> None:
        if token is not self._transcribing:
            return  # the host moved on to another voice meanwhile
        self._transcribing = None
        self.transcribe_button.setText("Transcribe")
        exc = future.exception()
        if exc is not None:
            self._show_error(f"Transcription failed: {_short_error(exc)}")
        elif not str(future.result()).strip():
            self._show_error("No words were recognised in the clip; type the transcript instead.")
        else:
            self.form.set_transcript(str(future.result()))
            self._show_status("Transcribed: check the words, then Save")
        self._update_buttons()

    def preview(self) -> None:
        """Speak the test sentence with the active TTS in this voice as edited, and play it."""
        engine = self.engine
        if engine is None:
            return
        if self._draft is not None:
            base = VoiceProfile(
                name=self.form.name_edit.text() or "New voice", reference_audio=self._draft.audio
            )
            base = dataclasses.replace(base, reference_transcript=self.form.transcript_edit.toPlainText())
        elif self._selected is not None:
            base = self._selected
        else:
            return
        voice = self.form.profile(base)
        text = self.preview_text.text().strip() or PREVIEW_TEXT
        self.preview_button.setEnabled(False)
        self._show_error("")
        self._show_status(f"Synthesising the preview with {voice.name}…")
        self._relay.watch(engine.synthesize(text, voice), self._on_preview_synthesised)

    def _on_preview_synthesised(self, future: concurrent.futures.Future[tuple[np.ndarray, int]]) -> None:
        self._update_buttons()
        exc = future.exception()
        if exc is not None:
            self._show_status("")
            self._show_error(f"Preview failed: {_short_error(exc)}")
            return
        samples, rate = future.result()
        if len(samples) == 0:
            self._show_error("Preview failed: the speech synthesis returned no audio")
            return
        self._show_status(f"Playing the preview ({len(samples) / rate:.1f} s)…")
        self._play(samples, rate, "Preview played")

    def toggle_reference_playback(self) -> None:
        """Play the reference clip, or stop it when it is playing."""
        if self._playing:
            self.player.stop()
            return
        path = self._reference_path()
        if path is None:
            return

        def load() -> tuple[np.ndarray, int]:
            data, rate = sf.read(str(path), dtype="float32", always_2d=True)
            return data.mean(axis=1), int(rate)

        def loaded(future: concurrent.futures.Future[tuple[np.ndarray, int]]) -> None:
            if future.exception() is not None:
                self._show_error(f"Cannot play the reference clip: {_short_error(future.exception())}")
                return
            self._play(*future.result(), "")

        self._jobs.run(load, loaded)

    def _play(self, samples: np.ndarray, rate: int, done_text: str) -> None:
        self._playing = True
        self.play_button.setText("■ Stop")

        def ended(future: concurrent.futures.Future[None]) -> None:
            self._playing = False
            self.play_button.setText("▶ Play")
            exc = future.exception()
            if exc is not None:
                self._show_status("")
                self._show_error(f"Cannot play audio here: {_short_error(exc)}")
            elif done_text:
                self._show_status(done_text)

        self._relay.watch(self.player.play(samples, rate), ended)

    def _on_record_probe(self, future: concurrent.futures.Future[str | None]) -> None:
        exc = future.exception()
        problem = f"No microphone: {exc}" if exc is not None else future.result()
        self._record_problem = f"Recording is not possible: {problem}" if problem else None
        self._update_buttons()

    # ----- closing ------------------------------------------------------------------------------
    def done(self, result: int) -> None:
        """Close (asking first about unsaved changes); a write in flight is waited for, not abandoned."""
        if self._writing:
            self._show_status("Still saving; close again in a moment")
            return
        if (self._dirty or self._draft is not None) and not self._confirm(
            "Unsaved changes", f"Close without saving the changes to {self._shown_name()!r}?"
        ):
            return
        self._dirty, self._draft = False, None
        if self.record_dialog is not None and self.record_dialog.isVisible():
            self.record_dialog.reject()  # releases the mic
        self._relay.close()
        self._jobs.shutdown()
        self.player.stop()
        if self._own_player and isinstance(self.player, ClipPlayer):
            self.player.shutdown()
        shutil.rmtree(self._work_dir, ignore_errors=True)
        super().done(result)
