"""The barge-in bench's room: the host's mic hears the host plus the program leaking from a speaker.

Run as its own process (`python -m studio.bench.leak_mixer CONFIG.json`) so the show's GIL never
delays it: it reads the program sink's monitor with `parec --latency-msec=10`, delays and
attenuates it (a direct path and four early reflections, as `bench --echo` models the room), adds
the host's clips and a quiet room, and plays the mix into a second null sink with `pacat`; that
sink's monitor is the show's mic. The delay counts from the program monitor to the mic sink, so
it cannot be shorter than the mic sink's buffer (MIC_LATENCY_MS). The host talks over the anchor
once it has spoken for a random 0.8-2 s, and waits for the anchor to be quiet before the next line.
Everything is on one timeline, the monitor's sample count: every clip onset is logged as the
monitor sample it was mixed against, and a (samples, time.monotonic()) pair every 100 ms lets the
bench map its events onto it. The monitor itself is appended to a raw float32 file.
Threading: one thread, blocking reads of parec's pipe; output is JSON lines on stdout.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RATE = 16_000
REFLECTIONS = ((0.0, 1.0), (0.007, 0.5), (0.015, 0.3), (0.023, 0.18), (0.041, 0.1))
ACTIVE_RMS = 10 ** (-45 / 20)  # the anchor is audible on air
QUIET_S = 0.6  # the anchor stopped (interrupted, or between replies)
CLOCK_EVERY_S = 0.1
# The mix's buffer in the mic sink. Under load, 10 ms dropped out ~30 times in 14 s and 30 ms a few
# times a minute; every dropout delays the echo for good, and the canceller must re-converge (~1 s
# of leaking echo: false barge-ins that no real room makes). It is part of the room's delay (the
# mixer adds only what is missing) and the host's onset is logged as it reaches the mic sink.
MIC_LATENCY_MS = 100
MIXER_PRIORITY = 15  # SCHED_FIFO, below the studio's own audio callbacks (20)


@dataclass
class MixerConfig:
    """What the bench asks for; `leakage_db` None means headphones (no leak at all)."""

    program_source: str
    mic_sink: str
    clips_path: str
    recording_path: str
    onsets: int
    leakage_db: float | None
    delay_ms: float
    room_noise_dbfs: float = -65.0
    tail_s: float = 4.0
    max_s: float = 300.0
    seed: int = 1
    extra: dict = field(default_factory=dict)


class HostScript:
    """Decides, chunk by chunk, when the host talks over the anchor."""

    def __init__(self, clips: list[np.ndarray], onsets: int, seed: int) -> None:
        self._clips, self.left = clips, onsets
        self._rng = np.random.default_rng(seed)
        self._lead = self._new_lead()
        self._heard = 0  # anchor samples heard since it last started talking
        self._quiet = 0
        self._clip: np.ndarray | None = None
        self._position = 0
        self.finished_at: int | None = None  # monitor sample of the last clip's end
        self.clip_seconds = 0.0  # the length of the clip last started

    def _new_lead(self) -> int:
        return int(self._rng.uniform(0.8, 2.0) * RATE)

    def next(self, program: np.ndarray, at: int) -> tuple[np.ndarray, int | None]:
        """The host's samples for this chunk, and the onset's sample index if a clip starts here."""
        n = len(program)
        active = float(np.sqrt(np.mean(np.square(program)))) > ACTIVE_RMS if n else False
        self._quiet = 0 if active else self._quiet + n
        if self._quiet >= QUIET_S * RATE:
            self._heard = 0
        elif active:
            self._heard += n
        onset = None
        if self._clip is None and self.left > 0 and self._heard >= self._lead:
            self._clip = self._clips[int(self._rng.integers(len(self._clips)))]
            self._position, onset = 0, at
            self.left -= 1
            self.clip_seconds = len(self._clip) / RATE
        out = np.zeros(n, np.float32)
        if self._clip is not None:
            part = self._clip[self._position : self._position + n]
            out[: len(part)] = part
            self._position += n
            if self._position >= len(self._clip):
                self._clip, self._heard, self._lead = None, 0, self._new_lead()
                if self.left == 0:
                    self.finished_at = at + n
        return out, onset


class Leak:
    """The program as the mic hears it: delayed, attenuated, with early reflections."""

    def __init__(self, leakage_db: float | None, delay_ms: float) -> None:
        self._gain = 0.0 if leakage_db is None else 10 ** (leakage_db / 20)
        self._taps = [(int((delay_ms / 1000 + extra) * RATE), level) for extra, level in REFLECTIONS]
        self._history = np.zeros(max(shift for shift, _ in self._taps) + RATE, np.float32)

    def next(self, program: np.ndarray) -> np.ndarray:
        n = len(program)
        history = np.concatenate([self._history, program])
        self._history = history[n:]  # always the same length
        out = np.zeros(n, np.float32)
        if self._gain == 0.0:
            return out
        end = len(history)
        for shift, level in self._taps:
            out += self._gain * level * history[end - n - shift : end - shift]
        return out


def _say(**fields: object) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def run(config: MixerConfig) -> None:
    """Mix until every onset was played and `tail_s` more passed (or `max_s`)."""
    clips = [np.asarray(c, np.float32) for c in np.load(config.clips_path, allow_pickle=True)]
    added_ms = max(0.0, config.delay_ms - MIC_LATENCY_MS)  # the mic sink's buffer is the rest
    script, leak = HostScript(clips, config.onsets, config.seed), Leak(config.leakage_db, added_ms)
    buffered = int(MIC_LATENCY_MS * RATE / 1000)
    rng = np.random.default_rng(config.seed + 1)
    noise = 10 ** (config.room_noise_dbfs / 20)
    with contextlib.suppress(AttributeError, OSError):  # a room keeps time: real time where allowed
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(MIXER_PRIORITY))  # parec/pacat inherit it
    fmt = ["--raw", "--format=float32le", f"--rate={RATE}", "--channels=1"]
    capture = ["parec", *fmt, "--latency-msec=10", "-d", config.program_source]
    reader = subprocess.Popen(capture, stdout=subprocess.PIPE)
    playback = ["pacat", "--playback", *fmt, f"--latency-msec={MIC_LATENCY_MS}", "-d", config.mic_sink]
    writer = subprocess.Popen(playback, stdin=subprocess.PIPE)
    assert reader.stdout is not None and writer.stdin is not None
    fd, spare, total, next_clock = reader.stdout.fileno(), b"", 0, 0
    began = time.monotonic()
    with Path(config.recording_path).open("wb") as recording:
        try:
            while data := os.read(fd, 1280):
                data = spare + data
                usable = len(data) - len(data) % 4
                data, spare = data[:usable], data[usable:]
                program = np.frombuffer(data, dtype="<f4")
                host, onset = script.next(program, total)
                mix = leak.next(program) + host + rng.standard_normal(len(program)).astype(np.float32) * noise
                writer.stdin.write(mix.astype("<f4").tobytes())
                writer.stdin.flush()
                recording.write(data)
                total += len(program)
                if onset is not None:
                    arrives = time.monotonic() + MIC_LATENCY_MS / 1000  # at the mic sink
                    _say(onset=onset + buffered, at=arrives, seconds=script.clip_seconds)
                if total >= next_clock:
                    _say(clock=total, at=time.monotonic())
                    next_clock = total + int(CLOCK_EVERY_S * RATE)
                done = script.finished_at is not None and total - script.finished_at > config.tail_s * RATE
                if done or time.monotonic() - began > config.max_s:
                    break
        finally:
            reader.terminate()
            writer.stdin.close()
            writer.terminate()
            reader.wait(timeout=10)
            writer.wait(timeout=10)
    _say(done=total, onsets_left=script.left)


if __name__ == "__main__":
    run(MixerConfig(**json.loads(Path(sys.argv[1]).read_text())))
