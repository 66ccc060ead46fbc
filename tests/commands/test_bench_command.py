"""`ai-anchor-studio bench`: argument errors one line and EXIT_BAD_INPUT, before any model loads."""

from __future__ import annotations

import pytest

from studio.cli import main
from studio.commands.common import EXIT_BAD_INPUT

ERROR = "ai-anchor-studio: error: "


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--turns", "0"], "--turns must be at least 1"),
        (["--turns", "-3", "--gpu-sim"], "--turns must be at least 1"),
        (["--faults", "3", "--soak", "10m"], "--faults and --soak are separate runs; give one"),
        (["--faults", "0"], "--faults must be at least 1"),
        (["--soak", "ten minutes"], "use e.g. 90s, 10m or 2h"),
        (["--soak", "10s"], "a soak needs at least 30 s"),
        (["--audio", "0"], "--audio needs a positive number of minutes"),
        (["--audio", "1", "--audio-buffers", "20,fast"], "whole milliseconds, comma-separated"),
        (["--audio", "1", "--audio-buffers", "20,900"], "each value must be 0..500 ms"),
        (["--barge-in", "0"], "--barge-in needs at least one onset per case"),
        (["--barge-in", "--barge-in-cases", "loud"], "--barge-in-cases: "),
        (["--peer", "pipecat", "--stack", "gpu"], "--peer compares the embedded stack"),
    ],
)
def test_bad_arguments_fail_with_one_clear_line(capsys, argv, message):
    assert main(["bench", *argv]) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(ERROR)
    assert message in lines[0]
    assert captured.out == ""


def test_unknown_peer_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--peer", "livekit"])
    assert exc.value.code == 2
    assert "invalid choice: 'livekit'" in capsys.readouterr().err


def test_turns_must_be_a_whole_number(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--turns", "many"])
    assert exc.value.code == 2
    assert "--turns" in capsys.readouterr().err
