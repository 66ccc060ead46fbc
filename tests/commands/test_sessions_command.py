"""`ai-anchor-studio sessions`: list, show and export a real session log written by SessionLog."""

from __future__ import annotations

import pytest

from studio.cli import main
from studio.commands.common import EXIT_BAD_INPUT, EXIT_FAILED
from studio.session.log import SessionLog, sessions_dir

ERROR = "ai-anchor-studio: error: "


def _write_show(name: str = "20260101-120000-1") -> str:
    log = SessionLog(sessions_dir() / f"{name}.jsonl")
    log.append("session_started", version=1, voice="Ava", backends={})
    log.append("host_line", turn=1, text="What is the weather today?")
    log.append("anchor_line", turn=1, text="Sunny, with a light breeze.")
    log.append("anchor_line_aired", turn=1, text="Sunny, with a light breeze.")
    log.append("session_ended", reason="stopped")
    log.close()
    return name


def test_list_with_no_logs_says_where_it_looked(capsys):
    assert main(["sessions", "list"]) == 0
    assert capsys.readouterr().out.strip() == f"no session logs in {sessions_dir()}"


def test_list_shows_one_line_per_session(capsys):
    name = _write_show()
    assert main(["sessions", "list"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(f"{name}.jsonl")
    assert "voice Ava" in line and "host 1" in line and "anchor 1" in line
    assert "did not end cleanly" not in line


def test_show_latest_is_a_readable_transcript(capsys):
    _write_show("20260101-120000-1")
    latest = SessionLog(sessions_dir() / "20260102-090000-1.jsonl")
    latest.append("host_line", turn=1, text="Second show")
    latest.close()
    assert main(["sessions", "show"]) == 0
    out = capsys.readouterr().out
    assert "host:   Second show" in out
    assert "weather" not in out


def test_show_and_export_by_name(tmp_path, capsys):
    name = _write_show()
    assert main(["sessions", "show", name]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("host:   What is the weather today?")
    assert out[1].endswith("anchor: Sunny, with a light breeze.")

    target = tmp_path / "show.srt"
    assert main(["sessions", "export", f"{name}.jsonl", "--srt", "--output", str(target)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {target}"
    srt = target.read_text()
    assert srt.startswith("1\n")
    assert "Host: What is the weather today?" in srt
    assert "2\n" in srt and "Anchor: Sunny, with a light breeze." in srt  # aired, so subtitled


def test_export_by_path_to_stdout(capsys):
    name = _write_show()
    assert main(["sessions", "export", str(sessions_dir() / f"{name}.jsonl")]) == 0
    assert "anchor: Sunny, with a light breeze." in capsys.readouterr().out


def test_show_with_no_logs_is_bad_input(capsys):
    assert main(["sessions", "show"]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.strip() == f"{ERROR}no session logs in {sessions_dir()}"


def test_unknown_session_points_at_the_list(capsys):
    _write_show()
    assert main(["sessions", "export", "yesterday"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith(ERROR + "yesterday: no such session log")
    assert "sessions list" in err


def test_export_to_an_unwritable_place_fails_and_writes_nothing(tmp_path, capsys):
    name = _write_show()
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    target = blocker / "show.txt"
    assert main(["sessions", "export", name, "--output", str(target)]) == EXIT_FAILED
    captured = capsys.readouterr()
    assert captured.err.startswith(f"{ERROR}cannot write {target}: ")
    assert captured.out == ""
    assert blocker.read_text() == "keep me"


def test_a_corrupt_log_is_refused(capsys):
    sessions_dir().mkdir(parents=True)
    (sessions_dir() / "broken.jsonl").write_text("this is not json\n")
    rc = main(["sessions", "show", "broken"])
    assert rc == EXIT_BAD_INPUT
    assert capsys.readouterr().err.startswith(ERROR)


def test_sessions_needs_an_action(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["sessions"])
    assert exc.value.code == 2
