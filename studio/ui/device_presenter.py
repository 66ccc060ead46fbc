"""The device pickers' flows without Qt: list devices, create the OBS sink, say how the audio is.

Listing devices and creating the AI_Anchor_Out sink block on the audio server, so both run on
`jobs` (a worker thread); their results come back on the view's thread and fill the pickers. The
host's picks go to `on_chosen` (the window's presenter: remember them, reopen the audio).
Threading: every method runs on the view's thread (the Qt main thread) and returns at once.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass

from studio.ui.device_choices import device_lists
from studio.ui.window_ports import DeviceLister, DeviceView, Jobs, Notes, ShowFace, SinkMaker

NO_DEVICES = "the audio server reports no devices"
DEVICE_NEWS = ("lost", "fallback", "reconnected")  # device events the host is told about


@dataclass(frozen=True, slots=True)
class Listing:
    """What one listing found (on the worker): the devices, or why there are none."""

    devices: tuple
    error: str


class DevicePresenter:
    """Decides what the device pickers show; every call to the audio server goes through `jobs`."""

    def __init__(
        self,
        view: DeviceView,
        jobs: Jobs,
        show: ShowFace,
        notes: Notes,
        on_chosen: Callable[[str, str, str], None],
        *,
        lister: DeviceLister,
        sink_maker: SinkMaker,
    ) -> None:
        self.view, self._jobs, self._show, self._notes = view, jobs, show, notes
        self._on_chosen, self._lister, self._sink_maker = on_chosen, lister, sink_maker
        self.listings = 0  # listings shown so far (tests and the debug dock wait on it)

    # ----- listing ----------------------------------------------------------------------------
    def refresh(self) -> concurrent.futures.Future[Listing]:
        """List the devices again on the worker; the pickers keep the host's picks by name."""
        return self._jobs.run(self._list, self._listed)

    def _list(self) -> Listing:
        """On the worker: ask the audio server (no server, no PortAudio: say so, keep the studio up)."""
        try:
            devices = tuple(self._lister())
        except Exception as exc:
            return Listing((), str(exc))
        return Listing(devices, "" if devices else NO_DEVICES)

    def _listed(self, future: concurrent.futures.Future[Listing]) -> None:
        self._show_listing(future.result())

    def _show_listing(self, listing: Listing) -> None:
        self.view.show_devices(device_lists(listing.devices), listing.error)
        self.listings += 1

    def chosen(self) -> None:
        """The host picked a device in one of the pickers."""
        self._on_chosen(*self.view.chosen())

    # ----- the OBS sink -----------------------------------------------------------------------
    def create_anchor_sink(self) -> concurrent.futures.Future[tuple[str, str, Listing]]:
        """Add AI_Anchor_Out on the worker, then pick it as the program output and say how OBS gets it."""
        return self._jobs.run(self._make_sink, self._sink_made)

    def _make_sink(self) -> tuple[str, str, Listing]:
        sink, instruction = self._sink_maker()
        return sink, instruction, self._list()

    def _sink_made(self, future: concurrent.futures.Future[tuple[str, str, Listing]]) -> None:
        error = future.exception()
        if isinstance(error, OSError | RuntimeError):  # PulseUnavailable is a RuntimeError
            self._notes.warn("Cannot create AI_Anchor_Out", f"{error}")
            return
        sink, instruction, listing = future.result()
        self._show_listing(listing)
        mic, _program, monitor = self.view.chosen()
        self.view.choose(mic, sink, monitor)
        self._notes.note(instruction)
        self._on_chosen(mic, sink, monitor)

    # ----- how the open devices are -----------------------------------------------------------
    def restore(self, mic: str | None, program: str | None, monitor: str | None) -> None:
        """Select the devices the show opens (named in the settings) before the listing comes back."""
        self.view.choose(mic or "", program or "", monitor or "")

    def on_audio_opened(self, stats: dict) -> None:
        program = (stats.get("program") or {}).get("device", "?")
        mic = (stats.get("mic") or {}).get("device") or "no mic"
        self._notes.status(f"Audio: program → {program}, mic ← {mic}", 8000)
        if stats.get("mic_note"):
            self._notes.note(f"Host mic: {stats['mic_note']}.")
        self.update_status()

    def on_audio_failed(self, message: str) -> None:
        self._notes.note(
            f"No audio devices ({message}). The studio works with typed lines and 'Play file as host…'; "
            "connect a device and press ↻ in Devices."
        )
        self.view.show_audio_status(f"No audio: {message}")

    def on_device_event(self, role: str, device: str, kind: str, message: str) -> None:
        if kind in DEVICE_NEWS:
            self._notes.note(message)
            self._notes.status(message, 10_000)
        self.update_status()

    def update_status(self) -> None:
        """The status line from the open devices' counters (plain attribute reads, no server call)."""
        audio = self._show.audio
        if audio is None:
            return
        try:
            stats = audio.stats()
        except Exception:  # closing between the check and the call
            return
        self.view.show_audio(stats)
