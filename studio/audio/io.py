"""AudioIO: the one object the GUI and headless `run` use for real devices.

It opens the mic, the program output (on air) and the optional monitor by name, gives the
engine 16 kHz mic frames and an AudioOutput, cancels the anchor's echo in the mic (WebRTC AEC3,
the samples of the device the host hears as reference: the monitor if there is one, else the
program; studio.audio.aec), feeds the echo gate with what that device played alongside each mic
frame (the show hands `echo_gate.is_echo` to the engine: the backstop for what the canceller
leaves), and watches the devices: a lost device is reported, time keeps going (silence), and the
device is picked up again when it returns.
The outputs open in standby (a long buffer that model loading cannot starve) and go live (the
on-air buffer) when the engine starts listening (`frames`) or first writes, whichever is first.
Threading: construct/`close` on the owner's thread; `frames` (and the echo canceller in it),
`program.write/flush` on the engine loop; a daemon "audio-watch" thread checks the devices every
WATCH_S and calls the event listeners from there (a GUI must hop to its own thread, e.g. a queued
signal). PortAudio callbacks only copy into rings.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable

import numpy as np

from studio.audio.aec import EchoCanceller, ReferenceTap
from studio.audio.device_stream import DeviceEvent
from studio.audio.devices import DeviceInfo, find_device, find_mic, list_devices
from studio.audio.echo import EchoGate
from studio.audio.formats import INPUT_SAMPLE_RATE
from studio.audio.mic import MicInput
from studio.audio.program import DeviceProgramOutput
from studio.audio.pulse import PulseControl
from studio.audio.realtime import shorten_gil_switch_interval
from studio.audio.scope import SampleScope
from studio.audio.sink import OutputSink
from studio.config import Settings

WATCH_S = 0.25
# The echo gate's assumed coupling until it learns one. It learns only where the mic's envelope
# follows the program's, which never happens without an audible echo (headphones, or after the
# canceller): a -6 dB guess then hid every host word quieter than the anchor minus 3 dB, for good
# (bench --barge-in, headphones: recall 0). The canceller leaves the echo >30 dB down (the
# reference's peaks set the prediction: at -30 dB a -26 dBFS host under a -16 LUFS anchor was
# still half hidden), so behind it the gate starts at its floor and learns up only if the echo
# comes back.
UNCANCELLED_COUPLING_DB = -6.0
RESIDUAL_COUPLING_DB = -45.0
EventListener = Callable[[DeviceEvent], None]


class AudioIO:
    """Mic in, program (+ monitor) out, echo gate and device watch, opened from the settings.

    `program_device`/`monitor_device`/`mic_device` override the settings' names; `use_mic=False`
    gives paced silence instead of a mic (headless runs), as does a mic that would loop the
    anchor back into itself (`mic_note` says why). Raises AudioDeviceError with a message for the
    user if a named device does not exist or cannot be opened.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        program_device: str | None = None,
        monitor_device: str | None = None,
        mic_device: str | None = None,
        use_mic: bool = True,
        use_monitor: bool = True,
        on_event: EventListener | None = None,
    ) -> None:
        self._listeners: list[EventListener] = [on_event] if on_event else []
        shorten_gil_switch_interval()  # PortAudio's callbacks run Python
        self.events: deque[DeviceEvent] = deque(maxlen=50)
        self._pulse = PulseControl()
        self._closed = threading.Event()
        devices = list_devices(self._pulse)
        program_info = find_device(program_device or settings.program_device, "output", devices)
        monitor_name = monitor_device or settings.monitor_device
        monitor_info = find_device(monitor_name, "output", devices) if monitor_name and use_monitor else None
        outputs = [program_info, *([monitor_info] if monitor_info else [])]
        mic_info, self.mic_note = (
            find_mic(mic_device or settings.mic_device, devices, outputs) if use_mic else (None, "")
        )
        latency = settings.output_latency_ms
        self._sinks = [OutputSink("program", program_info, self._emit, self._pulse, latency)]
        if monitor_info is not None:
            self._sinks.append(OutputSink("monitor", monitor_info, self._emit, self._pulse, latency))
        self.mic: MicInput | None = MicInput(mic_info, self._emit, self._pulse) if mic_info else None
        opened: list = []
        try:
            for stream in [*self._sinks, *([self.mic] if self.mic else [])]:
                stream.open()
                opened.append(stream)
        except Exception:
            for stream in opened:
                stream.close()
            self._pulse.close()
            raise
        self.program = DeviceProgramOutput(
            settings.SAMPLE_RATE,
            self._sinks[0],
            self._sinks[1] if len(self._sinks) > 1 else None,
            target_lufs=settings.program_loudness_lufs,
        )
        #: What the engine hears (after mute), at 16 kHz, written as frames are handed out.
        self.mic_scope = SampleScope(INPUT_SAMPLE_RATE, seconds=10.0)
        self.canceller = EchoCanceller() if settings.echo_cancellation else None
        coupling = RESIDUAL_COUPLING_DB if self.canceller is not None else UNCANCELLED_COUPLING_DB
        self.echo_gate = EchoGate(default_coupling_db=coupling) if settings.echo_gate else None
        # The echo comes from what the host hears in the room: the monitor when there is one (fed
        # live even under a broadcast delay), else the program device.
        self._echo_sink = self._sinks[-1]
        self._reference = ReferenceTap(self._echo_sink.sent)
        self._aligned = False  # reference and mic paired since the mic's first samples (canceller)
        self._muted = False
        self._watch = threading.Thread(target=self._watch_devices, name="audio-watch", daemon=True)
        self._watch.start()

    # ----- what the engine uses -----------------------------------------------------------------
    async def frames(self, frame_samples: int) -> AsyncIterator[np.ndarray]:
        """16 kHz mic frames for `engine.run`, in real time; paced silence while there is no mic."""
        await asyncio.to_thread(self.go_live)  # the models are loaded: the engine listens now
        loop = asyncio.get_running_loop()
        period = frame_samples / INPUT_SAMPLE_RATE
        due = loop.time()
        pending = np.zeros(0, np.float32)
        heard = self._echo_sink.sent  # what the device the host hears was handed, as it played
        last_heard = heard.end
        mic_was_live = False
        while not self._closed.is_set():
            mic_live = self.mic is not None and self.mic.state == "playing"
            if mic_live:
                taken = self._take_mic(restart=not mic_was_live)
                if len(taken):
                    pending = np.concatenate([pending, taken])
                due = loop.time()
            elif loop.time() >= due:
                pending = np.concatenate([pending, np.zeros(frame_samples, np.float32)])
                due += period
            mic_was_live = mic_live
            count = len(pending) // frame_samples
            if count == 0:
                await asyncio.sleep(min(period / 2, 0.01) if mic_live else max(0.0, due - loop.time()))
                continue
            heard_end = heard.end
            reference = heard.window(max(0, heard_end - last_heard), end=heard_end)
            last_heard = heard_end
            for index in range(count):
                frame = pending[index * frame_samples : (index + 1) * frame_samples]
                if self._muted:
                    frame = np.zeros(frame_samples, np.float32)
                if self.echo_gate is not None:
                    share = len(reference) // count
                    self.echo_gate.push_reference(reference[index * share : (index + 1) * share])
                self.mic_scope.write(frame)
                yield frame
            pending = pending[count * frame_samples :]

    def _take_mic(self, restart: bool) -> np.ndarray:
        """The mic's new samples at 16 kHz, the program's echo cancelled (if enabled)."""
        assert self.mic is not None
        if restart:  # the mic (re)started: what the program sent before is not in it
            self._aligned = False
            if self.canceller is not None:
                self.canceller.reset()
        taken = self.mic.take()
        if self.canceller is None or not len(taken):
            return taken
        if not self._aligned:  # its first samples (which may come long after "playing"): pair them
            self._reference.skip(back=len(taken))  # with what the program got while they were heard
            self._aligned = True
        self.canceller.pairing.set_output_latency(self._echo_sink.output_latency_s())
        self.canceller.push_reference(self._reference.take())
        cleaned = self.canceller.process(taken)
        if self.echo_gate is not None:  # the canceller lets the program through: guard at its level
            self.echo_gate.coupling_floor_db = self.canceller.residual.coupling_db
        return cleaned

    def go_live(self) -> None:
        """Outputs to their on-air buffer (blocking: reopens the streams); idempotent."""
        for sink in self._sinks:
            sink.go_live()

    def standby(self) -> None:
        """Outputs to the long standby buffer while models (re)load and nothing airs (blocking)."""
        for sink in self._sinks:
            sink.standby()

    def set_mic_muted(self, muted: bool) -> None:
        """Muted: the engine gets silence (and the mic scope shows it)."""
        self._muted = muted

    # ----- device state -------------------------------------------------------------------------
    def subscribe(self, listener: EventListener) -> None:
        """Call `listener(DeviceEvent)` on every device change (from the audio-watch thread)."""
        self._listeners.append(listener)

    def _emit(self, event: DeviceEvent) -> None:
        self.events.append(event)
        for listener in list(self._listeners):
            listener(event)

    def _watch_devices(self) -> None:
        while not self._closed.wait(WATCH_S):
            for stream in [*self._sinks, *([self.mic] if self.mic else [])]:
                try:
                    stream.check()
                except Exception as exc:  # a watcher that dies would leave a lost device lost
                    stream.lose(f"device check failed ({exc}); keeping time in silence")

    def stats(self) -> dict:
        """Counters and states for the GUI's status line and `bench`."""
        result: dict = {
            "program": self._sink_stats(self._sinks[0]),
            "monitor": self._sink_stats(self._sinks[1]) if len(self._sinks) > 1 else None,
            "mic": None,
            "mic_note": self.mic_note,  # why the mic is off or not the default one ('' if neither)
            "echo_suppressed_frames": self.echo_gate.suppressed_frames if self.echo_gate else 0,
            "echo_canceller": self.canceller is not None,
            # reference the canceller had to drop (mic too far behind) or fill with silence (ahead)
            "echo_reference_dropped": self.canceller.reference_dropped if self.canceller else 0,
            "echo_reference_missing": self.canceller.reference_missing if self.canceller else 0,
            # times the mic's pairing with the reference moved (studio.audio.pairing)
            "echo_pairing_moves": self.canceller.pairing.moves if self.canceller else 0,
            # whether the program is heard in the mic (None: not known yet; False: headphones, the
            # raw mic goes on)
            "echo_path": self.canceller.meter.echo_path if self.canceller else None,
            # the program's level still in the canceller's output (dB), None while it holds the echo
            "echo_leaking_db": self.canceller.residual.coupling_db if self.canceller else None,
            "last_event": self.events[-1].message() if self.events else None,
            **self.program.stats(),
        }
        if self.mic is not None:
            result["mic"] = {
                "device": self.mic.device.name,
                "state": self.mic.state,
                "rate": self.mic.rate,
                "overruns": self.mic.overruns,
                "muted": self._muted,
            }
        return result

    @staticmethod
    def _sink_stats(sink: OutputSink) -> dict:
        return {
            "device": sink.device.name,
            "state": sink.state,
            "rate": sink.rate,
            "underruns": sink.underruns,
            "callbacks": sink.callbacks,
            "recreated": sink.recreated,
            "stalls": sink.stalls,
            "realtime": sink.realtime,
            "live": sink.live,
        }

    @property
    def program_device(self) -> DeviceInfo:
        return self._sinks[0].device

    def close(self) -> None:
        """Stop the watcher and every stream (idempotent)."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._watch.join(timeout=2.0)
        for stream in [*self._sinks, *([self.mic] if self.mic else [])]:
            with contextlib.suppress(Exception):
                stream.close()
        self._pulse.close()
