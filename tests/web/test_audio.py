"""/ws/audio over a real server: a remote host's line answered, the program heard, frames reordered.

Hostile clients (bad sizes, text, floods, a second talker, a client that never reads) are in
test_audio_hostile.py; the jitter buffer's own rules in test_jitter.py.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from studio.engine.events import TranscriptUpdated, TurnCompleted
from tests.show.doubles import QUESTION, quiet, tone
from tests.web.audioclient import close_of, frames_of, loud_program_frame, open_audio, stats_until, wire
from tests.web.conftest import Studio


def test_a_remote_hosts_line_is_answered_and_the_program_comes_back(studio: Studio) -> None:
    with open_audio(studio) as remote:
        for frame in frames_of(np.concatenate([tone(0.6), quiet(0.4)])):
            remote.send(frame)
        final = studio.seen.wait(TranscriptUpdated)
        first_seq, samples = loud_program_frame(remote)
        second_seq, _ = loud_program_frame(remote)
        stats = stats_until(remote, lambda s: s["received"] == 50)
    assert final.text == QUESTION and studio.seen.wait(TurnCompleted).transcript == QUESTION
    assert second_seq == first_seq + 1 and len(samples) == 320
    assert stats["late"] == stats["duplicate"] == stats["concealed"] == 0


def test_the_hosts_own_mic_is_heard_again_once_the_remote_leaves(studio: Studio) -> None:
    with open_audio(studio) as remote:
        remote.send(wire(0))
        stats_until(remote, lambda s: s["received"] == 1)
    studio.speak()
    assert studio.seen.wait(TurnCompleted).transcript == QUESTION


def test_out_of_order_frames_are_reordered_duplicates_and_late_ones_dropped_gaps_filled(
    studio: Studio,
) -> None:
    with open_audio(studio) as remote:
        for seq in (0, 2, 2, 1, 3, 3):  # 2 before 1: held, then both released; 2 and 3 twice
            remote.send(wire(seq))
        stats = stats_until(remote, lambda s: s["received"] + s["duplicate"] == 6)
        assert (stats["received"], stats["duplicate"], stats["late"], stats["concealed"]) == (4, 2, 0, 0)
        for seq in (5, 6, 4):  # 4 is given up once two later frames wait: then it is late
            remote.send(wire(seq))
        stats = stats_until(remote, lambda s: s["late"] == 1)
    assert (stats["received"], stats["concealed"], stats["held"]) == (6, 1, 0)


def test_rotating_the_control_token_closes_the_audio_streams_opened_with_it(studio: Studio, tmp_path) -> None:
    studio.server.options = replace(studio.server.options, token_file=tmp_path / "web-tokens.json")
    with open_audio(studio) as talker, open_audio(studio, query="&send=0") as listener:
        talker.send(wire(0))
        stats_until(talker, lambda s: s["received"] == 1)
        studio.server.rotate("control")
        closes = [close_of(talker), close_of(listener)]
    assert closes == [(1008, "the control token was rotated")] * 2
    studio.speak()  # the host's own mic is heard again
    assert studio.seen.wait(TurnCompleted).transcript == QUESTION
