"""Voices uploaded to the higgs host, kept on its disk by content key (studio.voices.travel).

One folder per key: the reference clip and `voice.json` (name, transcript, seed, temperature).
A voice uploaded once survives host restarts; the same content uploaded again is not rewritten.
Threading: called from the speech server's handlers through `asyncio.to_thread` (file I/O) and
once at host start; writes are atomic (studio.fileio), so a reader never sees half a voice.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from studio.fileio import write_atomic
from studio.hosts.higgs_engine import HiggsVoice
from studio.voices.travel import VoiceUpload

log = logging.getLogger(__name__)
SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")


class VoiceCache:
    """Uploaded voices under `folder/<key>/`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def store(self, upload: VoiceUpload) -> HiggsVoice:
        """Keep the upload (if new) and return the voice, named by its content key."""
        suffix = upload.suffix if upload.suffix in SUFFIXES else ".wav"
        key = upload.key
        home = self.folder / key
        clip = home / f"reference{suffix}"
        if not (home / "voice.json").is_file():
            home.mkdir(parents=True, exist_ok=True)
            write_atomic(clip, upload.audio)
            meta = {"name": upload.name, "transcript": upload.transcript, "seed": upload.seed}
            write_atomic(
                home / "voice.json",
                json.dumps({**meta, "temperature": upload.temperature, "clip": clip.name}),
            )
        return self._voice(home) or HiggsVoice(key, clip, upload.transcript, upload.seed, upload.temperature)

    def voices(self) -> list[HiggsVoice]:
        """Every voice kept here (a damaged folder is skipped with a warning)."""
        if not self.folder.is_dir():
            return []
        found = [self._voice(home) for home in sorted(self.folder.iterdir()) if home.is_dir()]
        return [voice for voice in found if voice is not None]

    @staticmethod
    def _voice(home: Path) -> HiggsVoice | None:
        try:
            meta = json.loads((home / "voice.json").read_text())
            clip = home / str(meta["clip"])
            if not clip.is_file():
                raise FileNotFoundError(clip)
            return HiggsVoice(
                home.name, clip, str(meta["transcript"]), int(meta["seed"]), float(meta["temperature"])
            )
        except (OSError, ValueError, KeyError) as exc:
            log.warning("uploaded voice in %s is unusable (%s); skipped", home, exc)
            return None
