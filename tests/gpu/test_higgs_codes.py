"""The higgs host's pure parts: delay pattern undone as columns stream, incremental decoding."""

from __future__ import annotations

import numpy as np
import pytest

from studio.hosts.delay_pattern import (
    HIGGS_BOS,
    HIGGS_EOS,
    DelayedCodeAssembler,
    apply_delay_pattern,
    revert_delay_pattern,
)
from studio.hosts.incremental_decode import IncrementalDecoder

RNG = np.random.default_rng(5)


def _generated_columns(frames: np.ndarray) -> np.ndarray:
    """What higgs emits for `frames`: BOS frame, frames, EOS frame, delayed (BOS/EOS padding)."""
    n = frames.shape[0]
    full = np.concatenate([np.full((n, 1), HIGGS_BOS), frames, np.full((n, 1), HIGGS_EOS)], axis=1)
    columns = apply_delay_pattern(full, pad=HIGGS_EOS)
    for k in range(n):
        columns[k, :k] = HIGGS_BOS
    return columns


def test_revert_inverts_apply():
    frames = RNG.integers(0, 1024, (8, 12))
    assert np.array_equal(revert_delay_pattern(apply_delay_pattern(frames, pad=-1)), frames)
    assert revert_delay_pattern(np.zeros((8, 5), int)).shape == (8, 0)


def test_assembler_releases_each_frame_once_complete_and_stops_at_eos():
    frames = RNG.integers(0, 1024, (8, 30))
    columns = _generated_columns(frames)
    assembler = DelayedCodeAssembler()
    released = [assembler.push(column) for column in columns.T]
    counts = [part.shape[1] for part in released]
    # nothing until column 8 (BOS frame + 7 delay steps), then one frame per column
    assert counts[:8] == [0] * 8 and counts[8:38] == [1] * 30
    assert np.array_equal(np.concatenate(released, axis=1), frames)
    assert assembler.finished and assembler.push(columns[:, -1]).shape[1] == 0
    assert len(assembler._columns) < 8  # only the columns later frames still need are kept


def test_assembler_flush_completes_a_stream_cut_short():
    frames = RNG.integers(0, 1024, (8, 10))
    columns = _generated_columns(frames)[:, :12]  # generation stopped (max tokens) mid-way
    assembler = DelayedCodeAssembler()
    got = [assembler.push(column) for column in columns.T] + [assembler.flush()]
    out = np.concatenate(got, axis=1)
    # 12 columns complete 5 frames (BOS + 4); the partly generated ones are dropped, not guessed
    assert out.shape == (8, 4) and np.array_equal(out, frames[:, :4])
    assert assembler.finished


def test_assembler_rejects_wrong_codebook_count():
    with pytest.raises(ValueError, match="expected 8 codebook tokens per step, got 4"):
        DelayedCodeAssembler().push(np.zeros(4, int))


SPF = 10
KERNEL = np.array([0.2, 0.5, 1.0, 0.5, 0.2])  # each frame's sound depends on ±2 neighbours


def _codec(codes: np.ndarray) -> np.ndarray:
    """A smooth convolutional stand-in for the audio tokenizer's decoder (shift-invariant, ±3 frames)."""
    values = np.convolve(codes[0].astype(np.float32) / 1024, KERNEL, mode="same")
    centres = np.arange(len(values)) * SPF + SPF / 2
    envelope = np.interp(np.arange(len(values) * SPF), centres, values)
    return envelope * np.tile(np.sin(2 * np.pi * (np.arange(SPF) + 0.5) / SPF), len(values))


def test_incremental_decode_equals_whole_decode_without_seams():
    codes = RNG.integers(0, 1024, (8, 100))
    decoder = IncrementalDecoder(
        _codec, SPF, first_chunk_frames=5, chunk_frames=13, context=4, holdback=3, crossfade_samples=0
    )
    pieces = [decoder.push(codes[:, t : t + 1]) for t in range(100)] + [decoder.flush()]
    first_audio_at = next(i for i, piece in enumerate(pieces) if len(piece))
    assert first_audio_at == 5 + 3 - 1  # after first_chunk_frames + holdback frames
    assert np.allclose(np.concatenate(pieces), _codec(codes), atol=1e-5)
    assert 7 <= decoder.decodes <= 10  # chunks, not one decode per frame


def _context_dependent_codec(codes: np.ndarray) -> np.ndarray:
    """A decoder whose whole output depends on its window (like a codec's global normalisation)."""
    return np.full(codes.shape[1] * SPF, codes.mean() / 1024, dtype=np.float32)


def test_incremental_decode_crossfades_into_recomputed_frames():
    codes = RNG.integers(0, 1024, (8, 60))
    worst_step = []
    for crossfade in (0, SPF):
        decoder = IncrementalDecoder(
            _context_dependent_codec,
            SPF,
            first_chunk_frames=5,
            chunk_frames=10,
            context=2,
            holdback=1,
            crossfade_samples=crossfade,
        )
        audio = np.concatenate([decoder.push(codes[:, t : t + 1]) for t in range(60)] + [decoder.flush()])
        assert len(audio) == 60 * SPF
        worst_step.append(float(np.abs(np.diff(audio)).max()))
    assert worst_step[0] > 0.005  # each window decodes differently: hard steps at the seams
    assert worst_step[1] < worst_step[0] / 5  # the crossfade turns each step into a ramp


def test_decoder_rejects_a_crossfade_longer_than_the_holdback():
    with pytest.raises(ValueError, match="crossfade must fit"):
        IncrementalDecoder(_codec, SPF, holdback=1, crossfade_samples=SPF + 1)
