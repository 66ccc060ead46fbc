"""The delay pattern of multi-codebook audio codes, undone as columns stream in from the model.

higgs-audio generates one column of `n` codebook tokens per step, codebook k delayed by k steps,
so audio frame t is complete only once column t + n - 1 has arrived. Its stream starts with a
BOS column and ends with EOS. This module turns arriving columns into complete frames.
Threading: pure numpy, no state shared between instances; runs in the higgs host's engine thread.
"""

from __future__ import annotations

import numpy as np

HIGGS_CODEBOOKS = 8
HIGGS_CODEBOOK_SIZE = 1024
HIGGS_BOS = 1024  # audio_stream_bos_id
HIGGS_EOS = 1025  # audio_stream_eos_id


def apply_delay_pattern(frames: np.ndarray, pad: int) -> np.ndarray:
    """[n, T] frames → [n, T + n - 1] delayed columns (codebook k shifted right by k), `pad` elsewhere."""
    codebooks, length = frames.shape
    out = np.full((codebooks, length + codebooks - 1), pad, dtype=frames.dtype)
    for k in range(codebooks):
        out[k, k : k + length] = frames[k]
    return out


def revert_delay_pattern(columns: np.ndarray) -> np.ndarray:
    """[n, L] delayed columns → [n, L - n + 1] frames: frame t takes codebook k from column t + k."""
    codebooks, length = columns.shape
    frames = length - codebooks + 1
    if frames <= 0:
        return np.zeros((codebooks, 0), dtype=columns.dtype)
    return np.stack([columns[k, k : k + frames] for k in range(codebooks)])


class DelayedCodeAssembler:
    """Collects streamed code columns and releases each audio frame as soon as it is complete.

    The first frame (BOS) is dropped and the stream ends at the first frame that holds EOS; tokens
    outside the codebook (stray BOS/EOS in delayed slots) are clipped, as the batch path does.
    """

    def __init__(
        self,
        codebooks: int = HIGGS_CODEBOOKS,
        codebook_size: int = HIGGS_CODEBOOK_SIZE,
        bos: int = HIGGS_BOS,
        eos: int = HIGGS_EOS,
    ) -> None:
        self.codebooks, self.codebook_size, self.bos, self.eos = codebooks, codebook_size, bos, eos
        self._columns: list[np.ndarray] = []  # columns from absolute index `_base` on
        self._base = 0
        self._released = 0  # frames handed out (counting the dropped BOS frame)
        self.finished = False

    def push(self, column: np.ndarray) -> np.ndarray:
        """Add one generated column ([n] tokens); return the frames [n, k] it completed (k ≥ 0)."""
        column = np.asarray(column).reshape(-1)
        if column.shape[0] != self.codebooks:
            raise ValueError(f"expected {self.codebooks} codebook tokens per step, got {column.shape[0]}")
        if self.finished:
            return self._empty()
        self._columns.append(column)
        return self._release()

    def flush(self) -> np.ndarray:
        """End a stream cut short (no EOS): frames not yet complete are dropped, never guessed."""
        self.finished = True
        self._columns.clear()
        return self._empty()

    def _empty(self) -> np.ndarray:
        return np.zeros((self.codebooks, 0), dtype=np.int64)

    def _release(self) -> np.ndarray:
        complete = self._base + len(self._columns) - self.codebooks + 1  # frames 0..complete-1 ready
        if complete <= self._released:
            return self._empty()
        start = self._released
        window = np.stack(self._columns[start - self._base :], axis=1)
        frames = revert_delay_pattern(window)[:, : complete - start]
        self._released = complete
        del self._columns[: complete - self._base]  # frame `complete` needs columns from there on
        self._base = complete
        if start == 0:
            frames = frames[:, 1:]  # the BOS frame
        ends = np.flatnonzero((frames == self.eos).any(axis=0))
        if len(ends):
            frames = frames[:, : ends[0]]
            self.finished = True
        return np.clip(frames, 0, self.codebook_size - 1).astype(np.int64)
