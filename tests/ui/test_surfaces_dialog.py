"""Studio → Control surfaces…: each action's global hotkey, MIDI control (Learn) and OSC address.

Real widgets (offscreen), real surfaces: a MidiSurface driven through `handle` as mido's callback
thread would, an OscSurface on a loopback port sent to by a python-osc client. Saving writes
settings.toml through the settings dialog's path; a bad entry is named and the file stays as it was.
Nothing sleeps: every wait is on a condition or a signal.
"""

from __future__ import annotations

import socket
import threading
import tomllib

import mido
import pytest

pytest.importorskip("pytestqt")

from pythonosc.udp_client import SimpleUDPClient

from studio.config import Settings, load_settings, settings_file
from studio.surfaces import ACTIONS, MidiSurface, Surfaces, start_surfaces
from studio.ui.global_keys import GlobalKeys
from studio.ui.settings_file import save_settings
from studio.ui.surfaces_dialog import LEARN, LISTENING, SurfacesDialog, attach_surfaces_dialog
from studio.ui.surfaces_form import apply_to_surfaces
from studio.ui.window_menu import studio_menu
from tests.show.doubles import CountingStackFactory
from tests.surfaces.test_midi import RecordingShow


def _dialog(qtbot, settings: Settings, surfaces: Surfaces | None = None) -> SurfacesDialog:
    """The dialog over `settings`, with two made-up MIDI ports in its combos."""
    dialog = SurfacesDialog(settings, surfaces, port_names=(["Pads In"], ["Pads Out"]))
    qtbot.addWidget(dialog)
    return dialog


def _note(channel: int, note: int, velocity: int = 100) -> mido.Message:
    """A pad press as mido hands it over (channel 0-based)."""
    return mido.Message("note_on", channel=channel, note=note, velocity=velocity)


def _free_port() -> int:
    """A UDP port nobody listens on now (the OS picks it; above 1024)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_every_action_has_a_row_with_its_hotkey_midi_control_and_osc_address(qtbot):
    settings = load_settings(midi_map={"talk": "note:1:36"}, midi_input="Pads In")
    dialog = _dialog(qtbot, settings)
    assert list(dialog.hotkeys) == list(ACTIONS) == list(dialog.midi) == list(dialog.osc)
    assert dialog.hotkeys["dump"].text() == "Ctrl+Alt+Shift+D" and dialog.midi["talk"].text() == "note:1:36"
    assert dialog.osc["dump"].text() == "/studio/dump, /studio/interrupt"
    assert dialog.osc["delay_dump"].text() == "/studio/delay_dump"
    assert dialog.midi_input.currentText() == "Pads In" and dialog.midi_output.currentText() == ""
    assert dialog.midi_output.findText("Pads Out") >= 0 and "virtual port" in (
        dialog.midi_output.lineEdit().placeholderText()
    )
    assert dialog.osc_port.value() == 9010 and dialog.osc_enabled.isChecked()
    # No surfaces in this window: Learn is off, and says why and what to do.
    assert not dialog.learn["talk"].isEnabled()
    assert "not running" in dialog.learn["talk"].toolTip()
    off = _dialog(qtbot, settings, Surfaces())
    assert not off.learn["mute"].isEnabled() and "MIDI is off" in off.learn["mute"].toolTip()


def test_without_a_midi_system_learn_is_off_and_says_what_to_do(qtbot):
    surfaces = start_surfaces(RecordingShow(), load_settings(osc_enabled=False, midi_enabled=True))
    try:
        dialog = _dialog(qtbot, load_settings(midi_enabled=True), surfaces)
        if surfaces.midi is not None:
            pytest.skip("this machine has an ALSA sequencer: MIDI started, Learn works")
        tip = dialog.learn["talk"].toolTip()
        assert not dialog.learn["talk"].isEnabled()
        assert tip.startswith("MIDI off:") and "ALSA sequencer" in tip and "note:CHANNEL:NOTE" in tip
    finally:
        surfaces.close()


def test_a_new_midi_control_is_saved_and_the_running_surface_uses_it(qtbot):
    show = RecordingShow()
    surfaces = Surfaces(midi=MidiSurface(show, {"talk": "note:1:36"}))
    dialog = _dialog(qtbot, load_settings(midi_enabled=True, midi_map={"talk": "note:1:36"}), surfaces)
    dialog.midi["talk"].clear()
    dialog.midi["mute"].setText(" NOTE:10:38 ")  # written loosely, saved as the settings write it
    dialog.save()
    assert dialog.error.text() == "" and dialog.result() == SurfacesDialog.DialogCode.Accepted
    assert tomllib.loads(settings_file().read_text()) == {"midi_map": {"mute": "note:10:38"}}
    assert dialog.changes == {"midi_map": {"mute": "note:10:38"}}
    assert apply_to_surfaces(surfaces, show, dialog.saved, dialog.changes) == []
    surface = surfaces.midi
    assert surface is not None and surface.mapping == {"mute": "note:10:38"}  # remapped in place
    surface.handle(_note(9, 38))  # the new mute pad toggles
    surface.handle(_note(0, 36))  # the old talk pad does nothing now
    assert show.calls == [("mute", True)]


def test_learn_fills_the_row_from_midis_thread_and_cancel_puts_the_map_back(qtbot):
    show = RecordingShow()
    surface = MidiSurface(show, {"dump": "note:1:37"})
    settings = load_settings(midi_enabled=True, midi_map={"dump": "note:1:37"})
    dialog = _dialog(qtbot, settings, Surfaces(midi=surface))
    assert dialog.learn["talk"].isEnabled()
    dialog.learn["talk"].click()
    assert dialog.learn["talk"].text() == LISTENING and surface.learning == "talk"
    pad = threading.Thread(target=surface.handle, args=(_note(0, 37),), name="mido-callback")
    pad.start()  # the dump pad, pressed while talk learns: it becomes talk's
    pad.join()
    qtbot.waitUntil(lambda: dialog.midi["talk"].text() == "note:1:37")
    assert dialog.midi["dump"].text() == "" and "taken from dump" in dialog.status.text()
    assert dialog.learn["talk"].text() == LEARN and show.calls == []  # learning performs nothing
    assert surface.mapping == {"talk": "note:1:37"}  # the surface learned it live
    dialog.learn["mute"].click()
    dialog.reject()  # cancelled: the surface goes back to the saved map and stops learning
    assert surface.mapping == {"dump": "note:1:37"} and surface.learning is None
    assert not settings_file().exists()
    surface.handle(_note(0, 37))
    assert show.calls == [("dump", None)]


def test_learn_then_save_keeps_the_learned_control(qtbot):
    show = RecordingShow()
    surface = MidiSurface(show, {})
    dialog = _dialog(qtbot, load_settings(midi_enabled=True), Surfaces(midi=surface))
    dialog.learn["next"].click()
    surface.handle(mido.Message("control_change", channel=1, control=20, value=127))
    qtbot.waitUntil(lambda: dialog.midi["next"].text() == "cc:2:20")
    dialog.save()
    assert tomllib.loads(settings_file().read_text()) == {"midi_map": {"next": "cc:2:20"}}
    surface.handle(mido.Message("control_change", channel=1, control=20, value=127))
    assert show.calls == [("next", None)]


def test_a_learned_pad_typed_back_by_hand_leaves_the_saved_map_running(qtbot):
    surface = MidiSurface(RecordingShow(), {"dump": "note:1:37"})
    settings = load_settings(midi_enabled=True, midi_map={"dump": "note:1:37"})
    dialog = _dialog(qtbot, settings, Surfaces(midi=surface))
    dialog.learn["talk"].click()
    surface.handle(_note(0, 37))
    qtbot.waitUntil(lambda: dialog.midi["talk"].text() == "note:1:37")
    dialog.midi["talk"].clear()
    dialog.midi["dump"].setText("note:1:37")  # back as it was: nothing to save
    dialog.learn["mute"].click()  # and a Learn left waiting
    dialog.save()
    assert dialog.changes == {} and not settings_file().exists()
    assert surface.mapping == {"dump": "note:1:37"} and surface.learning is None


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("midi:next", "note:17:36", "MIDI for next: 'note:17:36' is not note:CHANNEL:NOTE"),
        ("midi:approve", "pad 5", "MIDI for approve: 'pad 5'"),
        ("hotkey:approve", "Ctrl+Foo", "Global hotkey for approve: 'Ctrl+Foo' is not one key Qt knows"),
        ("hotkey:back", "Ctrl+A, B", "Global hotkey for back"),
        ("osc_port", 80, "OSC port 80 is out of range: pick one from 1024 to 65535"),
        ("osc_host", "  ", "OSC host is empty"),
    ],
)
def test_an_invalid_entry_is_named_and_nothing_is_written(qtbot, field, value, named):
    save_settings({"osc_port": 9011, "midi_map": {"talk": "note:1:36"}})
    before = settings_file().read_bytes()
    dialog = _dialog(qtbot, load_settings())
    dialog.midi["dump"].setText("note:1:37")  # a good change beside the bad one is not saved either
    if field == "osc_port":
        dialog.osc_port.setValue(value)
    elif field == "osc_host":
        dialog.osc_host.setText(value)
    else:
        kind, action = field.split(":")
        (dialog.midi if kind == "midi" else dialog.hotkeys)[action].setText(value)
    dialog.save()
    assert named in dialog.error.text() and "Nothing was saved" in dialog.error.text()
    assert settings_file().read_bytes() == before and dialog.saved is None
    assert dialog.result() != SurfacesDialog.DialogCode.Accepted


def test_two_actions_on_one_pad_or_one_key_are_refused(qtbot):
    save_settings({"midi_enabled": True})
    before = settings_file().read_bytes()
    dialog = _dialog(qtbot, load_settings())
    dialog.midi["talk"].setText("note:1:36")
    dialog.midi["dump"].setText("NOTE:01:36")  # the same pad, written another way
    dialog.save()
    assert "note:1:36 is on both talk and dump" in dialog.error.text()
    assert settings_file().read_bytes() == before
    dialog.midi["dump"].setText("cc:1:36")  # a CC 36 is another control: fine
    dialog.hotkeys["dump"].setText("ctrl+alt+shift+m")  # mute's key
    dialog.save()
    assert "Ctrl+Alt+Shift+M is on both dump and mute" in dialog.error.text()
    assert settings_file().read_bytes() == before
    dialog.hotkeys["dump"].setText("")  # no key for dump: allowed
    dialog.save()
    written = tomllib.loads(settings_file().read_text())
    assert written["global_hotkey_dump"] == ""
    assert written["midi_map"] == {"talk": "note:1:36", "dump": "cc:1:36"}


def test_the_window_menu_opens_it_and_save_reaches_the_show_keys_and_surfaces(qtbot, studio):
    window, _mic = studio(stack_factory=CountingStackFactory())
    show = window.engine.show
    surfaces = Surfaces(midi=MidiSurface(show, {}))  # as start_surfaces leaves it with MIDI on
    keys = GlobalKeys(window, show, window.settings, environ={"WAYLAND_DISPLAY": "wayland-0"})
    entry = attach_surfaces_dialog(window, surfaces, keys)
    try:
        assert entry.action in studio_menu(window).actions() and window.surfaces is surfaces
        entry.action.trigger()
        dialog = entry.dialog
        assert dialog is not None and dialog.isVisible()
        dialog.midi["mute"].setText("note:1:40")
        dialog.hotkeys["dump"].setText("F9")
        with qtbot.waitSignal(window.engine.settings_applied, timeout=30_000):
            dialog.save()
        written = tomllib.loads(settings_file().read_text())
        assert written == {"midi_map": {"mute": "note:1:40"}, "global_hotkey_dump": "F9"}
        assert window.engine.settings.global_hotkey_dump == "F9" and window.settings.midi_map == {
            "mute": "note:1:40"
        }
        assert ("dump", "F9") in [(b.action, b.chord.text) for b in keys.hotkeys.bindings]  # grabbed again
        surfaces.midi.handle(_note(0, 40))  # the new mute pad, on the running show
        qtbot.waitUntil(lambda: window.controls.mute_button.isChecked())

        # A new OSC port: the surfaces restart on it and OSC drives the show there.
        port = _free_port()
        again = entry.open()
        assert again is not dialog and again.midi["mute"].text() == "note:1:40"
        assert again.hotkeys["dump"].text() == "F9"
        again.osc_port.setValue(port)
        again.save()
        assert surfaces.osc is not None and surfaces.osc.address == ("127.0.0.1", port)
        assert tomllib.loads(settings_file().read_text())["osc_port"] == port
        SimpleUDPClient("127.0.0.1", port).send_message("/studio/mute", 0)
        qtbot.waitUntil(lambda: not window.controls.mute_button.isChecked())
    finally:
        keys.close()
        surfaces.close()
