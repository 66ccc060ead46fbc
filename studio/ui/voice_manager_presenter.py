"""The voice manager's flows without Qt: list, pick, edit, save, duplicate, rename, delete, import, record.

A passive view (the Qt dialog, or a fake in tests) shows what the presenter hands it and answers
its questions; the presenter decides what happens. Listening checks (play, transcribe, preview)
live in studio.ui.voice_checks and share the same state and view.

Threading: every method runs on the thread that owns the view (the Qt main thread in the studio)
and returns at once. Profile writes and clip checks run on `jobs` (one worker thread); their
callbacks come back on the view's thread. Nothing here waits on a device, a server or a file write.
"""

from __future__ import annotations

import concurrent.futures
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Literal, TypeVar

from studio.ui.clip_player import Player
from studio.ui.voice_checks import VoiceChecks
from studio.ui.voice_manager_ports import Jobs, Relay, VoiceEngine, VoiceManagerView
from studio.ui.voice_manager_state import (
    DRAFT_NOTE,
    Draft,
    VoiceManagerState,
    draft_row_text,
    profile_note,
    reference_text,
    short_error,
    unique_name,
)
from studio.voices.profile import VoiceProfile
from studio.voices.reference import ReferenceClip, prepare_reference
from studio.voices.store import VoiceProfileStore

T = TypeVar("T")
Choice = Literal["show", "keep", "relist"]


class VoiceManagerPresenter:
    """Decides what the voice manager does; every store write goes through `jobs`, off the GUI thread."""

    def __init__(
        self,
        store: VoiceProfileStore,
        view: VoiceManagerView,
        jobs: Jobs,
        relay: Relay,
        player: Player,
        *,
        engine: VoiceEngine | None = None,
        work_dir: Path | None = None,
    ) -> None:
        self.store, self.view, self._jobs = store, view, jobs
        self.state = VoiceManagerState(has_engine=engine is not None)
        self.work_dir = work_dir or Path(tempfile.mkdtemp(prefix="voice-manager-"))
        self.checks = VoiceChecks(self.state, view, jobs, relay, player, self.refresh)
        self.checks.engine = engine
        self._drafts = 0

    @property
    def engine(self) -> VoiceEngine | None:
        """The live stack that transcribes and previews (the studio swaps it on a settings change)."""
        return self.checks.engine

    @engine.setter
    def engine(self, engine: VoiceEngine | None) -> None:
        self.checks.engine = engine
        self.state.has_engine = engine is not None
        self.refresh()

    # ----- the list ---------------------------------------------------------------------------
    def reload(self, select: str | None = None) -> None:
        """Re-read the profiles (and the default) and show `select`, else the one on show."""
        state = self.state
        keep = select or (state.selected.name if state.selected is not None else None)
        state.profiles, state.default = self.store.profiles(), self.store.default_name()
        rows = state.rows(self.view.form_values().name if state.draft is not None else "")
        current = 0 if state.draft is not None else state.row_of(keep)
        self.view.show_rows(rows, current)
        self.show(rows[current].name if current >= 0 else None)

    def profile_names(self) -> list[str]:
        """Names in the list, as shown."""
        return [p.name for p in self.state.profiles]

    def choose(self, name: str | None) -> Choice:
        """The host picked another row: "show" it, "keep" the old row (edits kept), or "relist"."""
        if self.state.unsaved:
            if not self._confirm_discard():
                return "keep"
            if self.state.draft is not None:
                self.state.draft = None
                return "relist"  # the draft's row goes: the view rebuilds the list, then shows `name`
        self.show(name)
        return "show"

    def show(self, name: str | None) -> None:
        """Fill the details with the named profile (None: the draft), forgetting unsaved edits."""
        state = self.state
        state.dirty, state.transcribing = False, None
        if state.draft is not None and name is None:
            state.selected = None
            self._show_draft(state.draft)
            return
        state.selected = profile = state.find(name)
        if profile is not None:
            self.view.show_profile(
                profile, reference_text(profile), editable=not profile.read_only, new=False
            )
            self.view.show_note(profile_note(profile, state.default))
        self.refresh()

    def _show_draft(self, draft: Draft) -> None:
        name = unique_name(draft.suggested_name(), self.state.profiles)
        base = VoiceProfile(name=name, anchor_name=name)
        self.view.show_profile(base, f"{draft.origin}: {draft.clip.describe()}", editable=True, new=True)
        self.view.show_note(DRAFT_NOTE)
        self.on_edited()

    def on_edited(self) -> None:
        """The host changed a field: Save becomes possible and the draft's line follows its name."""
        self.state.dirty = True
        if self.state.draft is not None:
            self.view.rename_draft_row(draft_row_text(self.view.form_values().name))
        self.refresh()

    def refresh(self) -> None:
        """Hand the view the buttons' states for what is on show now."""
        self.view.show_buttons(self.state.buttons())

    def shown_name(self) -> str:
        """The name the host sees in the details, for questions about it."""
        selected = self.state.selected
        return self.view.form_values().name or (selected.name if selected is not None else "this voice")

    def _confirm_discard(self, question: str = "Discard the unsaved changes to {name!r}?") -> bool:
        return self.view.confirm("Unsaved changes", question.format(name=self.shown_name()))

    def may_discard(self) -> bool:
        """True when nothing unsaved is on show, or the host agreed to drop it (the list is re-read)."""
        if not self.state.unsaved:
            return True
        if not self._confirm_discard():
            return False
        self.state.draft, self.state.dirty = None, False
        self.reload()
        return True

    # ----- writes -----------------------------------------------------------------------------
    def save(self) -> None:
        """Create the draft, or write the edits of the profile on show."""
        values, store = self.view.form_values(), self.store
        draft, profile = self.state.draft, self.state.selected
        if draft is not None:
            fields = values.changes(VoiceProfile(name=values.name))
            transcript = str(fields.pop("reference_transcript"))
            name = values.name
            self._write(
                lambda: store.create(name, draft.clip, transcript, **fields),  # type: ignore[arg-type]
                lambda created: created.name,
                lambda saved: f"Saved the new voice {saved}",
            )
        elif profile is not None and not profile.read_only:
            changes = values.changes(profile)
            self._write(
                lambda: store.update(profile.name, **changes), lambda _p: profile.name, lambda n: f"Saved {n}"
            )

    def revert(self) -> None:
        """Forget unsaved edits (or the unsaved new voice)."""
        self.state.draft, self.state.dirty = None, False
        self.reload()

    def duplicate(self) -> None:
        """Copy the voice on show (bundled ones too) under a name the host picks."""
        if self.state.selected is None or not self.may_discard():
            return
        source, store = self.state.selected.name, self.store
        name = self.view.ask_name(
            "Duplicate voice", "Name of the copy:", unique_name(f"{source} copy", self.state.profiles)
        )
        if name is not None:
            self._write(lambda: store.duplicate(source, name), lambda p: p.name, lambda n: f"Made {n}")

    def rename(self) -> None:
        """Rename the host's voice on show; the studio hears old and new name to keep its choice."""
        profile = self.state.selected
        if profile is None or profile.read_only or not self.may_discard():
            return
        old, store = profile.name, self.store
        name = self.view.ask_name("Rename voice", f"New name for {old!r}:", old)
        if name is not None and name != old:
            self._write(
                lambda: store.rename(old, name),
                lambda p: p.name,
                lambda n: f"Renamed {old} to {n}",
                lambda p: self.view.notify_renamed(old, p.name),
            )

    def delete(self) -> None:
        """Remove the host's voice on show and its clip, once the host confirmed."""
        profile = self.state.selected
        if profile is None or profile.read_only:
            return
        question = f"Delete the voice {profile.name!r} and its reference clip? This cannot be undone."
        if not self.view.confirm("Delete voice", question):
            return
        store, name = self.store, profile.name
        self.state.draft, self.state.dirty = None, False
        self._write(lambda: store.delete(name), lambda _r: None, lambda _n: f"Deleted {name}")

    def set_default(self) -> None:
        """Make the voice on show the one the studio starts with."""
        if self.state.selected is None:
            return
        store, name = self.store, self.state.selected.name
        self._write(
            lambda: store.set_default(name), lambda _r: name, lambda n: f"{n} is now the default voice"
        )

    def _write(
        self,
        job: Callable[[], T],
        select: Callable[[T], str | None],
        message: Callable[[str], str],
        announce: Callable[[T], None] | None = None,
    ) -> None:
        """Run a store write on the worker; then re-read, say what happened and tell the studio."""
        self.state.writing = True
        self.view.show_error("")
        self.refresh()

        def finished(future: concurrent.futures.Future[T]) -> None:
            self.state.writing = False
            exc = future.exception()
            if exc is not None:
                self.view.show_error(f"Not saved: {short_error(exc)}")
                self.refresh()
                return
            result = future.result()
            name = select(result)
            self.state.draft, self.state.dirty = None, False
            self.reload(select=name)
            self.view.show_status(message(name or ""))
            if announce is not None:
                announce(result)
            self.view.notify_profiles_changed()

        self._jobs.run(job, finished)

    # ----- new voices from a clip -------------------------------------------------------------
    def import_clip(self) -> None:
        """Pick an audio file; a clip that passes the checks becomes a new (unsaved) voice."""
        if not self.may_discard():
            return
        chosen = self.view.choose_audio_file()
        if not chosen:
            return
        path = Path(chosen)
        self.view.show_status(f"Checking {path.name}…")
        self.view.show_error("")
        target = self._draft_path()

        def check() -> Draft:
            clip = prepare_reference(path)
            clip.save(target)
            return Draft(clip, target, f"imported from {path.name}")

        self._jobs.run(check, lambda future: self._on_draft_ready(future, path.name))

    def record_clip(self) -> None:
        """Record a reference from the mic; the take goes through the same checks as an import."""
        if self.state.record_problem is not None or not self.may_discard():
            return
        self.view.open_recorder(self.use_recording)

    def use_recording(self, clip: ReferenceClip) -> None:
        """A checked take from the recorder becomes a new (unsaved) voice."""
        target = self._draft_path()

        def keep() -> Draft:
            clip.save(target)
            return Draft(clip, target, "recorded")

        self._jobs.run(keep, lambda future: self._on_draft_ready(future, "the recording"))

    def _draft_path(self) -> Path:
        self._drafts += 1
        return self.work_dir / f"draft-{self._drafts}.wav"

    def _on_draft_ready(self, future: concurrent.futures.Future[Draft], source: str) -> None:
        exc = future.exception()
        if exc is not None:
            self.view.show_status("")
            self.view.show_error(f"Cannot use {source}: {short_error(exc)}. Nothing was saved.")
            return
        draft = self.state.draft = future.result()
        self.view.show_status(f"Reference ready ({draft.clip.seconds:.1f} s)")
        self.reload()
        self.view.focus_name()

    # ----- closing ----------------------------------------------------------------------------
    def may_close(self) -> bool:
        """Whether the manager may close now: never mid-write, and unsaved work only if the host agrees."""
        if self.state.writing:
            self.view.show_status("Still saving; close again in a moment")
            return False
        if self.state.unsaved and not self._confirm_discard("Close without saving the changes to {name!r}?"):
            return False
        self.state.dirty, self.state.draft = False, None
        return True

    def close(self) -> None:
        """Remove the drafts' temp files (the view has stopped its workers)."""
        shutil.rmtree(self.work_dir, ignore_errors=True)
