"""Session log: what aired is on disk first; records read back, export to SRT; the WAV survives."""

from __future__ import annotations

import asyncio
import struct
import threading

import numpy as np
import pytest
import soundfile as sf

from studio.cli import main
from studio.engine.events import AnchorLineQueued
from studio.session import log as session_log
from studio.session.export import read_session, session_srt, session_text
from studio.session.log import SessionLog, sessions_dir
from studio.session.program_wav import CrashSafeWav, RecordingOutput, repair_wav
from studio.session.recorder import SessionRecorder
from tests.resilience.helpers import FALLBACK, QUESTION, REPLY, faulty_engine, speak_a_line


def _logged_show(path, spec: str = ""):
    async def scenario():
        recorder = SessionRecorder(SessionLog(path))
        engine, _plan, _, output = faulty_engine(spec, air_gate=recorder.air_gate)
        engine.bus.subscribe(recorder.on_event)
        recorder.start("Test", engine.stack.describe())
        await speak_a_line(engine)
        engine.submit_text("Typed line")
        await engine.wait_anchor_idle()
        await engine.aclose()
        recorder.finish()
        return engine, output

    return asyncio.run(scenario())


def test_every_aired_line_is_logged_before_it_airs(tmp_path):
    path = tmp_path / "show.jsonl"
    engine, _ = _logged_show(path)
    records = read_session(path)
    kinds = [r["kind"] for r in records]
    assert kinds[0] == "session_started" and kinds[-1] == "session_ended"
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    assert [r["text"] for r in records if r["kind"] == "host_line"] == [QUESTION, "Typed line"]
    aired = [(i, r) for i, r in enumerate(records) if r["kind"] == "anchor_line_aired"]
    assert len(aired) >= 2
    for index, record in aired:
        before = [r for r in records[:index] if r["kind"] == "anchor_line"]
        assert any(r["text"] == record["text"] and r["turn"] == record["turn"] for r in before)
    line = next(r for r in records if r["kind"] == "anchor_line")
    assert line["voice"] == "Test" and line["backends"]["chat"].startswith("fixed-delay chat")
    assert line["latency_ms"]["stt_final"] is not None
    done = [r for r in records if r["kind"] == "turn_completed"]
    assert [r["reply"] for r in done] == [REPLY, REPLY] == [t.reply for t in engine.completed]


def test_degradation_recovery_and_captions_are_logged(tmp_path):
    path = tmp_path / "show.jsonl"
    _logged_show(path, "tts:fail:1.0,chat:fail:1.0")
    records = read_session(path)
    statuses = [(r["stage"], r["state"]) for r in records if r["kind"] == "stage_status"]
    assert ("chat", "degraded") in statuses and ("tts", "degraded") in statuses
    captions = [r for r in records if r["kind"] == "anchor_caption"]
    assert captions and captions[0]["text"] == FALLBACK[0]
    assert captions[0]["reason"] == "speech synthesis unavailable"
    text = session_text(records)
    assert "(caption)" in text and "chat degraded" in text


def test_the_air_gate_holds_audio_until_the_line_is_on_disk(tmp_path, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    real_fsync = session_log.os.fsync

    def slow_fsync(fd):  # the disk stalls on the first anchor line
        if gate_armed.is_set():
            entered.set()
            release.wait(30)
        real_fsync(fd)

    gate_armed = threading.Event()
    monkeypatch.setattr(session_log.os, "fsync", slow_fsync)

    async def scenario():
        log = SessionLog(tmp_path / "show.jsonl")
        at_gate = asyncio.Event()

        async def gate() -> None:  # the speaker has audio in hand and asks to air it
            at_gate.set()
            await log.wait_durable()

        engine, _, events, output = faulty_engine(air_gate=gate)
        engine.bus.subscribe(SessionRecorder(log).on_event)
        engine.bus.subscribe(lambda e: gate_armed.set() if isinstance(e, AnchorLineQueued) else None)
        engine.submit_text("Hello")
        await asyncio.to_thread(entered.wait, 30)
        await events.wait_for(lambda e: isinstance(e, AnchorLineQueued))
        await asyncio.wait_for(at_gate.wait(), 30)
        held = output.played_samples()
        gate_armed.clear()
        release.set()
        await engine.wait_anchor_idle()
        await engine.aclose()
        log.close()
        return held, output.played_samples()

    held, played = asyncio.run(scenario())
    assert held == 0, "no anchor audio may play before its log line is durable"
    assert played > 0


def test_torn_last_line_is_skipped_but_damage_elsewhere_is_reported(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"seq": 1, "t": 0, "kind": "session_started"}\n{"seq": 2, "t": 1, "ki')
    assert [r["seq"] for r in read_session(path)] == [1]
    path.write_bytes(b'{"seq": 1, "kind": "a"}\ngarbage\n{"seq": 3, "kind": "b"}\n')
    with pytest.raises(ValueError, match="line 2"):
        read_session(path)


def test_srt_export_times_host_and_anchor_lines(tmp_path):
    path = tmp_path / "show.jsonl"
    _logged_show(path)
    srt = session_srt(read_session(path))
    blocks = srt.strip().split("\n\n")
    assert blocks[0].startswith("1\n00:00:")
    assert any(f"Host: {QUESTION}" in b for b in blocks)
    assert any(b.endswith("Stay with us.") and "Anchor:" in b for b in blocks)
    for block in blocks:
        start, end = block.split("\n")[1].split(" --> ")
        assert start < end


def test_sessions_command_lists_shows_and_exports(tmp_path, capsys):
    folder = sessions_dir()
    folder.mkdir(parents=True)
    _logged_show(folder / "20260101-120000-1.jsonl")
    assert main(["sessions", "list"]) == 0
    assert "20260101-120000-1.jsonl" in capsys.readouterr().out
    assert main(["sessions", "show"]) == 0
    assert f"host:   {QUESTION}" in capsys.readouterr().out
    out = tmp_path / "show.srt"
    assert main(["sessions", "export", "20260101-120000-1", "--srt", "--output", str(out)]) == 0
    assert "-->" in out.read_text(encoding="utf-8")
    assert main(["sessions", "show", "nope"]) == 2


def test_program_wav_is_readable_at_every_moment_and_follows_barge_in(tmp_path):
    path = tmp_path / "program.wav"
    wav = CrashSafeWav(path, 24_000)
    wav.append(np.full(2400, 0.5, np.float32))
    data, rate = sf.read(path, dtype="float32")  # the writer is still open: as after a kill -9
    assert rate == 24_000 and len(data) == 2400 and data[0] == pytest.approx(0.5, abs=1e-4)
    wav.append(np.array([np.nan, 2.0, -2.0], np.float32))
    assert sf.read(path, dtype="float32")[0][-3:].tolist() == pytest.approx([0.0, 1.0, -1.0], abs=1e-4)
    wav.truncate(1000)
    assert len(sf.read(path)[0]) == 1000
    wav.close()
    with path.open("r+b") as handle:  # a header left stale by a power cut
        handle.seek(40)
        handle.write(struct.pack("<I", 0))
    assert repair_wav(path) and len(sf.read(path)[0]) == 1000
    assert not repair_wav(path)


def test_recording_output_keeps_only_what_played(tmp_path):
    from studio.audio.outputs import ClockedOutput

    output = RecordingOutput(ClockedOutput(24_000), CrashSafeWav(tmp_path / "p.wav", 24_000))
    output.write(np.full(24_000, 0.25, np.float32))  # one second queued on a real-time output
    dropped = output.flush()  # barge-in at once: almost all of it never played
    output.write(np.full(2400, 0.5, np.float32))
    output.close()
    data, _ = sf.read(tmp_path / "p.wav", dtype="float32")
    played_first = 24_000 - dropped
    assert dropped > 20_000
    assert np.count_nonzero(np.isclose(data, 0.25, atol=1e-3)) == played_first
    assert np.count_nonzero(np.isclose(data, 0.5, atol=1e-3)) == 2400
