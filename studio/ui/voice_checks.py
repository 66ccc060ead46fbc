"""Listening to a voice before it goes on air: play its clip, transcribe it, preview the test sentence.

Plain Python (no Qt), driven by VoiceManagerPresenter and sharing its state and view.
Threading: methods run on the view's thread (the Qt main thread) and return at once. Clip decoding
runs on `jobs` (a worker thread); speech-to-text and synthesis run on the engine's own loop and
playback on the player's worker — their futures come back to the view's thread through `relay`.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr

from studio.ui.clip_player import Player
from studio.ui.voice_manager_ports import Jobs, Relay, VoiceEngine, VoiceManagerView
from studio.ui.voice_manager_state import VoiceManagerState, short_error
from studio.voices.profile import VoiceProfile

PREVIEW_TEXT = "Good evening and welcome back. Here is what is happening tonight."
STT_RATE = 16_000


def load_mono(path: Path) -> tuple[np.ndarray, int]:
    """A clip as mono float32 and its rate (worker thread: it reads the file)."""
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return data.mean(axis=1), int(rate)


def reference_16k(path: Path) -> np.ndarray:
    """A reference clip as 16 kHz mono, what speech-to-text takes (worker thread)."""
    mono, rate = load_mono(path)
    return soxr.resample(mono, rate, STT_RATE).astype(np.float32) if rate != STT_RATE else mono


class VoiceChecks:
    """Play, transcribe and preview the voice on show without ever waiting on the GUI thread."""

    def __init__(
        self,
        state: VoiceManagerState,
        view: VoiceManagerView,
        jobs: Jobs,
        relay: Relay,
        player: Player,
        refresh: Callable[[], None],
    ) -> None:
        self.state, self.view, self.player = state, view, player
        self._jobs, self._relay, self._refresh = jobs, relay, refresh
        self.engine: VoiceEngine | None = None

    # ----- transcribe -------------------------------------------------------------------------
    def transcribe(self) -> None:
        """Fill the transcript with the active speech-to-text (the field stays editable)."""
        path, engine = self.state.reference_path(), self.engine
        if path is None or engine is None:
            return
        token = self.state.transcribing = object()
        self.view.show_error("")
        self._refresh()
        language = self.view.form_values().stt_language

        def loaded(future: concurrent.futures.Future[np.ndarray]) -> None:
            if future.exception() is not None:
                self._on_transcribed(future, token)
                return
            self._relay.watch(
                engine.transcribe(future.result(), language), lambda f: self._on_transcribed(f, token)
            )

        self._jobs.run(lambda: reference_16k(path), loaded)

    def _on_transcribed(self, future: concurrent.futures.Future[Any], token: object) -> None:
        if token is not self.state.transcribing:
            return  # the host moved on to another voice meanwhile
        self.state.transcribing = None
        exc = future.exception()
        if exc is not None:
            self.view.show_error(f"Transcription failed: {short_error(exc)}")
        elif not str(future.result()).strip():
            self.view.show_error("No words were recognised in the clip; type the transcript instead.")
        else:
            self.view.set_transcript(str(future.result()))
            self.view.show_status("Transcribed: check the words, then Save")
        self._refresh()

    # ----- preview ----------------------------------------------------------------------------
    def preview_voice(self) -> VoiceProfile | None:
        """The voice on show as edited (a draft speaks with its own clip), None when nothing is on show."""
        values, draft, selected = self.view.form_values(), self.state.draft, self.state.selected
        if draft is not None:
            base = VoiceProfile(name=values.name or "New voice", reference_audio=draft.audio)
        elif selected is not None:
            base = selected
        else:
            return None
        return values.profile(base)

    def preview(self) -> None:
        """Speak the test sentence with the active TTS in this voice as edited, and play it."""
        engine, voice = self.engine, self.preview_voice()
        if engine is None or voice is None:
            return
        text = self.view.preview_sentence().strip() or PREVIEW_TEXT
        self.state.previewing = True
        self._refresh()
        self.view.show_error("")
        self.view.show_status(f"Synthesising the preview with {voice.name}…")
        self._relay.watch(engine.synthesize(text, voice), self._on_preview_synthesised)

    def _on_preview_synthesised(self, future: concurrent.futures.Future[tuple[np.ndarray, int]]) -> None:
        self.state.previewing = False
        self._refresh()
        exc = future.exception()
        if exc is not None:
            self.view.show_status("")
            self.view.show_error(f"Preview failed: {short_error(exc)}")
            return
        samples, rate = future.result()
        if len(samples) == 0:
            self.view.show_error("Preview failed: the speech synthesis returned no audio")
            return
        self.view.show_status(f"Playing the preview ({len(samples) / rate:.1f} s)…")
        self._play(samples, rate, "Preview played")

    # ----- play -------------------------------------------------------------------------------
    def toggle_reference_playback(self) -> None:
        """Play the reference clip, or stop it when it is playing."""
        if self.state.playing:
            self.player.stop()
            return
        path = self.state.reference_path()
        if path is None:
            return

        def loaded(future: concurrent.futures.Future[tuple[np.ndarray, int]]) -> None:
            exc = future.exception()
            if exc is not None:
                self.view.show_error(f"Cannot play the reference clip: {short_error(exc)}")
                return
            self._play(*future.result(), "")

        self._jobs.run(lambda: load_mono(path), loaded)

    def _play(self, samples: np.ndarray, rate: int, done_text: str) -> None:
        self.state.playing = True
        self._refresh()

        def ended(future: concurrent.futures.Future[None]) -> None:
            self.state.playing = False
            self._refresh()
            exc = future.exception()
            if exc is not None:
                self.view.show_status("")
                self.view.show_error(f"Cannot play audio here: {short_error(exc)}")
            elif done_text:
                self.view.show_status(done_text)

        self._relay.watch(self.player.play(samples, rate), ended)

    # ----- the mic ----------------------------------------------------------------------------
    def probe_recorder(self, problem: Callable[[], str | None]) -> None:
        """Ask off the GUI thread whether a mic can be opened (listing devices may block on the server)."""
        self._jobs.run(problem, self._on_record_probe)

    def _on_record_probe(self, future: concurrent.futures.Future[str | None]) -> None:
        exc = future.exception()
        problem = f"No microphone: {exc}" if exc is not None else future.result()
        self.state.record_problem = f"Recording is not possible: {problem}" if problem else None
        self._refresh()
