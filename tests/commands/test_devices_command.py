"""`ai-anchor-studio devices`: the test PulseAudio's devices by name; a clear error without a server."""

from __future__ import annotations

import json

import pytest

from studio.audio.pulse import ANCHOR_SINK, PulseControl
from studio.cli import main
from studio.commands.common import EXIT_FAILED

ERROR = "ai-anchor-studio: error: "


@pytest.fixture
def no_server(tmp_path, monkeypatch):
    """PULSE_SERVER points at a socket nobody serves; PortAudio finds nothing either (as on a bare box)."""
    import studio.audio.devices as devices

    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path / 'no-such-socket'}")
    monkeypatch.setattr(devices, "_portaudio_devices", lambda: [])


def test_lists_the_anchor_sink_as_a_virtual_output(anchor_sink: PulseControl, capsys):
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "outputs:"
    inputs_at = lines.index("inputs:")
    sink_line = next(li for li in lines[1:inputs_at] if li.strip().startswith(ANCHOR_SINK))
    assert "[virtual]" in sink_line
    assert " ch " in sink_line and " Hz" in sink_line
    assert ANCHOR_SINK in lines[-1]  # the OBS hint names the sink to capture


def test_json_lists_the_anchor_sink(anchor_sink: PulseControl, capsys):
    assert main(["devices", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    sink = next(d for d in data["devices"] if d["name"] == ANCHOR_SINK)
    assert sink["kind"] == "output"
    assert ANCHOR_SINK in data["obs"]


def test_create_and_remove_the_sink(anchor_sink: PulseControl, capsys):
    try:
        assert main(["devices", "--create-sink"]) == 0
        assert capsys.readouterr().out.splitlines()[0] == "unchanged"  # already there

        assert main(["devices", "--remove-sink", "--json"]) == 0
        data = json.loads(capsys.readouterr().out)  # --json: only the JSON object on stdout
        assert ANCHOR_SINK not in [d["name"] for d in data["devices"]]
        assert not anchor_sink.sink_exists(ANCHOR_SINK)

        assert main(["devices", "--create-sink"]) == 0
        assert capsys.readouterr().out.splitlines()[0] == "AI_Anchor_Out sink created"
        assert anchor_sink.sink_exists(ANCHOR_SINK)
    finally:
        anchor_sink.create_anchor_sink()


def test_without_a_server_the_error_names_it(no_server, capsys):
    assert main(["devices"]) == EXIT_FAILED
    captured = capsys.readouterr()
    assert captured.out == ""  # not an empty "outputs:/inputs:" listing
    assert captured.err.startswith(ERROR + "no audio devices: ")
    assert "no PulseAudio/PipeWire server answered" in captured.err


def test_create_sink_without_a_server_fails_cleanly(no_server, capsys):
    assert main(["devices", "--create-sink"]) == EXIT_FAILED
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(ERROR + "no PulseAudio/PipeWire server answered")
    assert len(captured.err.strip().splitlines()) == 1
