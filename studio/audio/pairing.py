"""Keeps the mic paired with the program's reference early enough that the mic never waits for it.

The canceller takes the mic only in pairs with the reference (what the program device was handed,
studio.audio.aec), and the device takes the program in blocks (~30 ms at a 40 ms buffer): paired
"handed while heard", a mic sample waited up to a block for its reference, and every device hiccup
since the alignment (an underrun, a reopened stream) left the reference that much later for good
(traced on the barge-in bench: the mic's wait 35-57 ms median, 61 ms after a minute; the
interruption reached the engine that much later). Pairing the mic with reference handed earlier
is free as long as it stays causal: a handed sample is heard no sooner than the device's output
latency, so the echo stays behind its reference while the reference is queued ahead of the mic
by less than that (the capture and the room only add to the margin).
So once per WINDOW_S of mic, from the reference's lead over the mic seen each time mic samples
came: if the lead went over `max_lead` (the output latency shrank: standby → on air), pull the
pairing back at once; if the mic waited (the LOW_PERCENTILE lead is below -TOLERANCE: steadily,
not one late callback), move it earlier by that wait, up to `max_lead` - but only while the
canceller has not yet heard the program since it (re)started. A move is a delay jump for AEC3:
on the barge-in bench every move made after the anchor had spoken was followed by a leak as the
anchor (re)started (3-9 s that studio.audio.residual_echo guarded; one interruption missed at
-10 dB), even when made in silence, where the run without moves had none at that point. Made
before the first reply, when AEC3 has learned no echo path, it costs nothing. So the mic stops
waiting in its first second (the show is idle); a device hiccup later leaves it one block's wait,
as before this module.
Threading: the engine loop, inside `EchoCanceller` (the input path's loop).
"""

from __future__ import annotations

import numpy as np

from studio.audio.formats import INPUT_SAMPLE_RATE

WINDOW_S = 1.0
LOW_PERCENTILE = 10.0  # one callback the GIL held late is not a pairing that slipped
TOLERANCE_S = 0.005  # a wait this short is the mic's own block, not worth a delay jump for AEC3
MARGIN_S = 0.005  # the lead stays this far inside the output latency
SILENT_PEAK = 10 ** (-50 / 20)  # a program quieter than this is silence (the sink pads with zeros)


class ReferencePairing:
    """Decides how far to move the reference against the mic, once per window."""

    def __init__(self, rate: int = INPUT_SAMPLE_RATE) -> None:
        self._rate = rate
        self._window = int(WINDOW_S * rate)
        self._tolerance = int(TOLERANCE_S * rate)
        self.max_lead = 0  # samples the reference may be queued ahead of the mic (causality)
        self._leads: list[int] = []
        self._seen = 0
        self._program_heard = False  # since the canceller (re)started: AEC3 has an echo path to lose
        self.moves = 0  # corrections made (each one a delay jump for AEC3)
        self.declined = 0  # windows that waited but the program had been heard: no move earlier

    def set_output_latency(self, seconds: float) -> None:
        """The echo device's output latency now (it changes between standby and on air)."""
        self.max_lead = max(0, int((seconds - MARGIN_S) * self._rate))

    def hear(self, reference: np.ndarray) -> None:
        """The reference the mic was just paired with: has the program been audible yet?"""
        if self._program_heard or not len(reference):  # settled until reset: no peak per block
            return
        if float(np.max(np.abs(reference))) >= SILENT_PEAK:
            self._program_heard = True

    def observe(self, lead: int, mic_samples: int) -> int:
        """`lead`: reference queued beyond the mic (negative: the mic waits) as `mic_samples` came.

        Returns the move once a window is complete, else 0: > 0 means put that many samples of
        silence before the queued reference (the mic pairs with reference handed earlier), < 0 means
        drop that many from it (later)."""
        self._leads.append(lead)
        self._seen += mic_samples
        if self._seen < self._window:
            return 0
        leads = np.asarray(self._leads)
        self._leads, self._seen = [], 0
        high = int(leads.max())
        if high > self.max_lead:  # causality first, at once: the echo must not come before its reference
            move = self.max_lead - high
        else:
            low = int(np.percentile(leads, LOW_PERCENTILE))
            move = min(-low, self.max_lead - high) if low < -self._tolerance else 0
            if move and self._program_heard:  # AEC3 has an echo path: a jump would make it leak
                self.declined += 1
                move = 0
        if move:
            self.moves += 1
        return move

    def reset(self) -> None:
        """The mic (re)started, and the canceller with it: a new alignment, nothing heard yet."""
        self._leads, self._seen, self._program_heard = [], 0, False
