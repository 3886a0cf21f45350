"""Numba kernel: exact conditionals of partial assignments straight from a dense table.

For a partial assignment with revealed set ``U`` (values ``x_U``) and masked set
``M``, one pass over the ``q^|M|`` completions of ``x_U`` (a strided walk of the
C-ordered table) gives ``mu(X_U = x_U)`` and every ``mu(X_i = v, X_U = x_U)``,
``i in M``: ``O(|M| q^|M|)`` per state and no extended ``(q+1)^n`` marginal
tensor.  Used by :class:`mdmtheory.policies.mdp.ExactOracle` when the tensor
would cost more than the states it serves.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _kernel(p, codes, n, q, out, den):
    pst = np.empty(n, np.int64)  # strides of the C-ordered table
    s = 1
    for i in range(n - 1, -1, -1):
        pst[i] = s
        s *= q
    midx = np.empty(n, np.int64)
    cnt = np.empty(n, np.int64)
    acc = np.empty((n, q))
    for b in range(codes.size):
        c = codes[b]
        base = 0
        nm = 0
        for i in range(n - 1, -1, -1):  # least significant digit = last position
            d = c % (q + 1)
            c //= q + 1
            if d == q:
                midx[nm] = i
                nm += 1
            else:
                base += d * pst[i]
            for v in range(q):
                out[b, i, v] = 0.0
            if d < q:
                out[b, i, d] = 1.0
        for t in range(nm):
            cnt[t] = 0
            for v in range(q):
                acc[t, v] = 0.0
        off = base
        tot = 0.0
        while True:
            w = p[off]
            tot += w
            for t in range(nm):
                acc[t, cnt[t]] += w
            t = 0
            while t < nm:  # odometer over the masked positions, fastest = last position
                cnt[t] += 1
                off += pst[midx[t]]
                if cnt[t] < q:
                    break
                off -= q * pst[midx[t]]
                cnt[t] = 0
                t += 1
            if t == nm:
                break
        den[b] = tot
        if tot > 0.0:
            for t in range(nm):
                for v in range(q):
                    out[b, midx[t], v] = acc[t, v] / tot
        else:
            for t in range(nm):
                for v in range(q):
                    out[b, midx[t], v] = 1.0 / q


@njit(cache=True)
def _cost(codes, n, q):
    tot = 0.0
    for b in range(codes.size):
        c = codes[b]
        nm = 0
        for _ in range(n):
            if c % (q + 1) == q:
                nm += 1
            c //= q + 1
        tot += (nm + 1) * float(q) ** nm
    return tot


def direct_cost(codes: np.ndarray, n: int, q: int) -> float:
    """Table entries the kernel reads for ``codes``, times ``|M| + 1`` (its work)."""
    return float(_cost(np.ascontiguousarray(codes, dtype=np.int64), n, q))


def conditionals_from_codes(p: np.ndarray, codes: np.ndarray, n: int, q: int
                            ) -> tuple[np.ndarray, np.ndarray]:
    """``(probs, den)``: conditionals ``(B, n, q)`` and ``mu(X_U = x_U)`` ``(B,)``.

    ``p`` is the flat C-ordered ``q^n`` table; ``codes`` use digit ``i`` (base
    ``q+1``, most significant first) for position ``i``, ``q`` = masked.  Revealed
    rows are point masses; a context of mass 0 gets the uniform law (the caller
    decides whether that is an error).
    """
    codes = np.ascontiguousarray(codes, dtype=np.int64)
    out = np.empty((codes.size, n, q))
    den = np.empty(codes.size)
    _kernel(np.ascontiguousarray(p, dtype=np.float64).reshape(-1), codes, n, q, out, den)
    return out, den
