"""The profile store: names, atomic writes, rename/duplicate/delete, the default voice, TOML round trip."""

from __future__ import annotations

import unicodedata

import pytest
import soundfile as sf

from studio.config import data_dir
from studio.voices.catalog import VoiceCatalog
from studio.voices.profile import (
    SynthesisSettings,
    VoiceProfile,
    VoiceProfileError,
    load_profile,
    save_profile,
)
from studio.voices.reference import prepare_reference
from studio.voices.store import VoiceProfileStore, validate_name
from tests.voices.conftest import SPOKEN, user_voice_folders


@pytest.fixture
def store() -> VoiceProfileStore:
    return VoiceProfileStore()


@pytest.fixture
def clip(speech_wav):
    return prepare_reference(speech_wav)


def test_create_writes_one_whole_folder(store, clip):
    profile = store.create(
        "Nora", clip, SPOKEN, language="fr", anchor_name="Nora B.", show_notes="Tech news."
    )
    assert store.user_dir == data_dir() / "voices"
    assert user_voice_folders(store.user_dir) == ["Nora"]
    assert sorted(p.name for p in (store.user_dir / "Nora").iterdir()) == ["profile.toml", "reference.wav"]
    info = sf.info(profile.reference_audio)
    assert (info.samplerate, info.channels, info.subtype) == (24000, 1, "PCM_16")
    again = VoiceCatalog(store.user_dir).get("nora")
    assert (again.anchor_name, again.language, again.reference_transcript) == ("Nora B.", "fr", SPOKEN)
    assert not again.read_only and "Show notes: Tech news." in again.system_prompt()
    assert [p.name for p in store.profiles()] == ["Ava", "Max", "Nora"]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("a/b", "path separators"),
        ("a\\b", "path separators"),
        ("..", "'..'"),
        ("x..y", "'..'"),
        ("../evil", "'..'"),
        (".hidden", "start or end with '.'"),
        ("x" * 65, "65 characters long; at most 64"),
        ("line\nbreak", "control characters"),
        ("CON", "reserved"),
    ],
)
def test_bad_names_are_refused_and_nothing_written(store, clip, name, error):
    with pytest.raises(VoiceProfileError) as caught:
        store.create(name, clip, SPOKEN)
    assert error in str(caught.value)
    assert user_voice_folders(store.user_dir) == []


def test_duplicate_names_case_and_normalisation_insensitive(store, clip):
    with pytest.raises(VoiceProfileError, match="bundled voice named 'Ava' already exists"):
        store.create("ava", clip, SPOKEN)
    composed = "Zoë 🎙 ニュース"
    store.create(composed, clip, SPOKEN)
    decomposed = unicodedata.normalize("NFD", composed.upper())
    with pytest.raises(VoiceProfileError, match="already exists"):
        store.create(decomposed, clip, SPOKEN)
    assert user_voice_folders(store.user_dir) == [composed]
    assert store.get(decomposed).name == composed
    assert validate_name("x" * 64) == "x" * 64


def test_failed_write_leaves_nothing_half_written(store, clip, monkeypatch):
    import studio.voices.store as store_module

    def broken_save(profile, folder):
        (folder / "profile.toml").write_text('name = "Half')  # a torn write, then the crash
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module, "save_profile", broken_save)
    with pytest.raises(OSError):
        store.create("Half", clip, SPOKEN)
    assert user_voice_folders(store.user_dir) == []
    # A temp folder left by a crashed process is never shown as a profile.
    leftover = store.user_dir / ".tmp-crashed"
    leftover.mkdir()
    save_profile(VoiceProfile(name="Ghost"), leftover)
    assert [p.name for p in store.profiles()] == ["Ava", "Max"]


def test_empty_transcript_and_bad_language_refused(store, clip):
    with pytest.raises(VoiceProfileError, match="transcript is empty"):
        store.create("Nora", clip, "  \n ")
    with pytest.raises(VoiceProfileError, match="bad language"):
        store.create("Nora", clip, SPOKEN, language="english!")
    assert user_voice_folders(store.user_dir) == []


def test_rename_duplicate_delete_and_default(store, clip):
    store.create("Nora", clip, SPOKEN)
    assert store.default_name() is None and store.get(None).name == "Ava"
    store.set_default("nora")
    assert store.get(None).name == "Nora"
    assert VoiceCatalog(data_dir() / "voices").get(None).name == "Nora"  # what `run` and the GUI use

    renamed = store.rename("Nora", "Nora Live")
    assert renamed.folder.name == "Nora Live" and store.default_name() == "Nora Live"
    assert user_voice_folders(store.user_dir) == ["Nora Live", "default.txt"]
    assert store.rename("nora live", "NORA LIVE").name == "NORA LIVE"  # a change of case only

    copy = store.duplicate("Ava", "My Ava")
    assert not copy.read_only and copy.anchor_name == "Ava" and copy.reference_audio.is_file()
    assert copy.synthesis == store.get("Ava").synthesis

    updated = store.update("My Ava", synthesis=SynthesisSettings(temperature=0.3, seed=7), language="de")
    assert (updated.synthesis.temperature, updated.synthesis.seed, updated.language) == (0.3, 7, "de")

    store.delete("NORA LIVE")
    assert store.default_name() is None and store.get(None).name == "Ava"
    assert user_voice_folders(store.user_dir) == ["My Ava"]


def test_bundled_profiles_are_read_only(store):
    for action in (lambda: store.delete("Ava"), lambda: store.rename("Max", "Maxi")):
        with pytest.raises(VoiceProfileError, match="bundled, read-only voice and cannot be"):
            action()
    assert store.get("Ava").reference_audio.is_file()
    with pytest.raises(VoiceProfileError, match="unknown voice 'Nobody'"):
        store.delete("Nobody")


def test_toml_round_trip_with_awkward_text(tmp_path):
    profile = VoiceProfile(
        name='Zoë "Q" \\ 🎙',
        anchor_name="Zoë",
        persona='She says "hi".\nNew line\ttab \\ backslash \x01 control',
        language="pt-BR",
        reference_transcript="Ça va? «oui»",
        fallback_lines=('one "quoted"', "two\nlines"),
        synthesis=SynthesisSettings(temperature=0.65, seed=-3, speaking_rate=1.25),
        show_notes="[section] = not a table",
    )
    save_profile(profile, tmp_path)
    assert load_profile(tmp_path) == profile
