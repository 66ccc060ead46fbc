"""A stream that vanishes between being found and being moved is 'gone', not a failed turn.

Seen on a starved fresh-clone run: ALSA's underrun recovery re-created the program stream while
`go_live` reopened it, the server refused the move (PulseOperationFailed), and the reply failed.
"""

from __future__ import annotations

import pulsectl

from studio.audio.pulse import PulseControl


class VanishingServer:
    """pulsectl's calls as the server answers them when the stream is gone by the time of the move."""

    def sink_input_move(self, stream: int, target: int) -> None:
        raise pulsectl.PulseOperationFailed(14)


def test_a_stream_gone_before_its_move_is_reported_gone():
    control = PulseControl()
    control._connected = VanishingServer  # type: ignore[method-assign]
    control.device_index = lambda device, direction: 3  # type: ignore[method-assign]
    control.own_streams = lambda direction: {7: 3}  # type: ignore[method-assign]
    assert control.move_stream(7, "AI_Anchor_Out", "sink") is False
