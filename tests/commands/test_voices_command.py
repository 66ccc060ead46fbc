"""`ai-anchor-studio voices`: list/add/show/default/remove: output, exit codes, files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from studio.cli import main
from studio.commands.common import EXIT_BAD_INPUT
from studio.voices.store import default_user_dir


@pytest.fixture
def clip(tmp_path):
    """A 5 s, 24 kHz mono clip that passes the reference checks (no model needed with --transcript)."""
    t = np.arange(24_000 * 5) / 24_000
    samples = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    path = tmp_path / "clip.wav"
    sf.write(path, samples.astype(np.float32), 24_000)
    return path


def _user_entries() -> list[str]:
    folder = default_user_dir()
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_list_shows_the_bundled_voices(capsys):
    assert main(["voices", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["NAME", "ANCHOR", "LANG", "REF(s)", "NOTES"]
    bundled = [line for line in out[1:] if line.rstrip().endswith("bundled")]
    assert bundled, out


def test_list_json_marks_bundled_voices_read_only(capsys):
    assert main(["voices", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(row["read_only"] for row in rows)
    assert all(row["reference_seconds"] > 0 for row in rows)
    assert not any(row["default"] for row in rows)


def test_no_action_prints_help_and_exits_bad_input(capsys):
    assert main(["voices"]) == EXIT_BAD_INPUT
    assert "ACTION" in capsys.readouterr().out


def test_add_show_default_remove_round_trip(clip, capsys):
    argv = ["voices", "add", "Newsdesk", "--audio", str(clip), "--transcript", "Good evening.", "--default"]
    rc = main(argv)
    assert rc == 0
    out = capsys.readouterr().out
    assert "added voice 'Newsdesk'" in out
    assert "transcript: Good evening." in out
    assert (default_user_dir() / "Newsdesk").is_dir()

    assert main(["voices", "list", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["Newsdesk"]["default"] is True
    assert rows["Newsdesk"]["read_only"] is False
    assert rows["Newsdesk"]["reference_seconds"] == pytest.approx(5.0, abs=0.1)

    assert main(["voices", "list"]) == 0
    line = next(li for li in capsys.readouterr().out.splitlines() if li.startswith("Newsdesk"))
    assert line.rstrip().endswith("default")

    assert main(["voices", "show", "Newsdesk", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["transcript"] == "Good evening."
    assert shown["seed"] == 1234 and shown["temperature"] == pytest.approx(0.7)
    assert shown["folder"].endswith("Newsdesk")

    assert main(["voices", "show", "Newsdesk"]) == 0
    assert "transcript: Good evening." in capsys.readouterr().out.splitlines()

    assert main(["voices", "default"]) == 0
    assert capsys.readouterr().out.strip() == "Newsdesk"

    assert main(["voices", "remove", "Newsdesk"]) == 0
    assert "removed voice 'Newsdesk'" in capsys.readouterr().out
    assert not (default_user_dir() / "Newsdesk").exists()
    # The default went with it: the first voice is used again.
    assert main(["voices", "default"]) == 0
    assert capsys.readouterr().out.strip() != "Newsdesk"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a/b", "path separators"),
        ("..x", "'..'"),
        ("", "empty"),
        ("x" * 65, "at most"),
    ],
)
def test_add_refuses_a_bad_name_and_writes_nothing(clip, capsys, name, message):
    rc = main(["voices", "add", name, "--audio", str(clip), "--transcript", "hi"])
    assert rc == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("ai-anchor-studio: error: ")
    assert message in err
    assert _user_entries() == []


def test_add_refuses_a_name_taken_by_a_bundled_voice(clip, capsys):
    assert main(["voices", "list", "--json"]) == 0
    bundled = json.loads(capsys.readouterr().out)[0]["name"]
    assert main(["voices", "add", bundled, "--audio", str(clip), "--transcript", "hi"]) == EXIT_BAD_INPUT
    assert "bundled voice" in capsys.readouterr().err
    assert _user_entries() == []


def test_add_with_a_missing_clip_says_file_not_found(tmp_path, capsys):
    missing = tmp_path / "nope.wav"
    assert main(["voices", "add", "Mine", "--audio", str(missing), "--transcript", "hi"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert f"{missing}: file not found" in err
    assert _user_entries() == []


def test_add_with_a_file_that_is_not_audio(tmp_path, capsys):
    bogus = tmp_path / "notes.wav"
    bogus.write_text("these are my notes, not audio\n" * 20)
    assert main(["voices", "add", "Mine", "--audio", str(bogus), "--transcript", "hi"]) == EXIT_BAD_INPUT
    assert "not an audio file" in capsys.readouterr().err
    assert _user_entries() == []


def test_add_refuses_a_bad_language(clip, capsys):
    rc = main(["voices", "add", "Mine", "--audio", str(clip), "--transcript", "hi", "--language", "../x"])
    assert rc == EXIT_BAD_INPUT
    assert capsys.readouterr().err.startswith("ai-anchor-studio: error: ")
    assert _user_entries() == []


def test_add_refuses_a_duplicate_user_name(clip, capsys):
    assert main(["voices", "add", "Mine", "--audio", str(clip), "--transcript", "one"]) == 0
    capsys.readouterr()
    assert main(["voices", "add", "Mine", "--audio", str(clip), "--transcript", "two"]) == EXIT_BAD_INPUT
    assert "already exists" in capsys.readouterr().err
    assert main(["voices", "show", "Mine", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["transcript"] == "one"


def test_show_and_remove_an_unknown_voice(capsys):
    assert main(["voices", "show", "Ghost"]) == EXIT_BAD_INPUT
    assert "unknown voice 'Ghost'" in capsys.readouterr().err
    assert main(["voices", "remove", "Ghost"]) == EXIT_BAD_INPUT
    assert "unknown voice 'Ghost'" in capsys.readouterr().err


def test_a_bundled_voice_cannot_be_removed(capsys):
    assert main(["voices", "list", "--json"]) == 0
    bundled = json.loads(capsys.readouterr().out)[0]["name"]
    assert main(["voices", "remove", bundled]) == EXIT_BAD_INPUT
    assert "read-only" in capsys.readouterr().err
    assert main(["voices", "show", bundled]) == 0


def test_default_set_and_clear(capsys):
    assert main(["voices", "list", "--json"]) == 0
    names = [row["name"] for row in json.loads(capsys.readouterr().out)]
    chosen = names[-1]
    assert main(["voices", "default", chosen]) == 0
    assert capsys.readouterr().out.strip() == f"default voice: {chosen}"
    assert main(["voices", "default"]) == 0
    assert capsys.readouterr().out.strip() == chosen
    assert main(["voices", "default", "--clear"]) == 0
    assert capsys.readouterr().out.strip() == "default voice cleared"
    assert main(["voices", "default"]) == 0
    assert capsys.readouterr().out.strip() == names[0]


def test_default_to_an_unknown_voice_is_refused(capsys):
    assert main(["voices", "default", "Ghost"]) == EXIT_BAD_INPUT
    assert "unknown voice" in capsys.readouterr().err
    assert _user_entries() == []


def test_add_when_the_voices_folder_cannot_be_written(clip, capsys):
    blocked = default_user_dir()
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("a file where the voices folder should be")
    rc = main(["voices", "add", "Mine", "--audio", str(clip), "--transcript", "hi"])
    assert rc == 1
    err = capsys.readouterr().err
    assert err.startswith(f"ai-anchor-studio: error: cannot write to {blocked}: ")
    assert blocked.read_text() == "a file where the voices folder should be"
