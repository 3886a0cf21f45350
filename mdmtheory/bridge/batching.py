"""Sequences as alphabet-index rows, and right-padded batches of them."""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["as_rows", "pad_batch"]


def as_rows(seqs, q: int, name: str = "sequences") -> list[np.ndarray]:
    """Validate sequences of alphabet indices ``0..q-1``; one int64 array per row.

    Raises
    ------
    ValueError
        A row that is not a non-empty 1-D integer array, or a token outside
        ``[0, q)``.
    """
    from .._validation import as_int

    q = as_int(q, "q", minimum=1)
    rows = [np.asarray(r) for r in seqs]
    out = []
    for k, r in enumerate(rows):
        if r.ndim != 1 or r.size < 1:
            raise ValueError(f"{name}[{k}] must be a non-empty 1-D array of token indices")
        if not np.issubdtype(r.dtype, np.integer):
            raise ValueError(f"{name}[{k}] must hold integers, got dtype {r.dtype}")
        if r.min() < 0 or r.max() >= q:
            raise ValueError(f"{name}[{k}] has tokens outside the alphabet [0, {q})")
        out.append(r.astype(np.int64))
    return out


def pad_batch(rows: Sequence[np.ndarray], masks: Sequence[np.ndarray]
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Right-pad rows and their masked sets: ``(tokens, masked, valid)``, shape ``(B, L)``."""
    B = len(rows)
    L = max(r.size for r in rows)
    tok = np.zeros((B, L), dtype=np.int64)
    msk = np.zeros((B, L), dtype=bool)
    val = np.zeros((B, L), dtype=bool)
    for b, (x, mk) in enumerate(zip(rows, masks)):
        tok[b, :x.size] = x
        msk[b, :x.size] = mk
        val[b, :x.size] = True
    return tok, msk, val
