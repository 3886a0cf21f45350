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
    """Fill ``out[b]`` and ``den[b]`` for every code (see :func:`conditionals_from_codes`).

    Indices are cast to ``uint64`` where the arrays are read: Numba adds
    negative-index wrap-around code to every signed index it cannot prove
    non-negative (the table offset, the odometer's digits, positions loaded from
    arrays); all are non-negative, so the cast changes the machine code only (the
    same values bit for bit).  ``step[t]`` is the table stride of the ``t``-th
    masked position (exact integers, read once per state instead of per entry);
    ``cell[t] = t q + cnt[t]`` is the flat index of the accumulator the current
    entry adds to; the fastest masked position is an inner loop.  Every sum gets
    the same terms in the same order as one odometer step per entry, so the values
    are unchanged (1.1-1.3x faster).
    """
    U = np.uint64  # unsigned indices: see the note above
    pst = np.empty(n, np.int64)  # strides of the C-ordered table
    s = 1
    for i in range(n - 1, -1, -1):
        pst[i] = s
        s *= q
    midx = np.empty(n, np.int64)
    step = np.empty(n, np.int64)
    cnt = np.empty(n, np.int64)
    acc = np.empty((n, q))
    accf = acc.reshape(-1)  # acc[t, v] = accf[t * q + v]
    cell = np.empty(n, np.int64)  # t * q + cnt[t]
    for b in range(codes.size):
        c = codes[b]
        base = 0
        nm = 0
        for i in range(n - 1, -1, -1):  # least significant digit = last position
            d = c % (q + 1)
            c //= q + 1
            if d == q:
                midx[nm] = i
                step[nm] = pst[i]
                nm += 1
            else:
                base += d * pst[i]
            for v in range(q):
                out[b, i, v] = 0.0
            if d < q:
                out[b, i, U(d)] = 1.0
        for t in range(nm):
            cnt[t] = 0
            cell[t] = t * q
            for v in range(q):
                acc[t, v] = 0.0
        off = base
        tot = 0.0
        if nm == 0:
            tot += p[U(off)]
        while nm > 0:
            # the fastest masked position in an inner loop (the same additions in the
            # same order as one odometer step per entry)
            o = off
            for v in range(q):
                w = p[U(o)]
                tot += w
                acc[0, v] += w
                for t in range(1, nm):
                    accf[U(cell[t])] += w
                o += step[0]
            t = 1
            while t < nm:  # odometer over the other masked positions, fastest = last
                ut = U(t)
                ct = cnt[ut] + 1
                off += step[ut]
                if ct < q:
                    cnt[ut] = ct
                    cell[ut] += 1
                    break
                off -= q * step[ut]
                cnt[ut] = 0
                cell[ut] -= q - 1
                t += 1
            if t == nm:
                break
        den[b] = tot
        if tot > 0.0:
            for t in range(nm):
                for v in range(q):
                    out[b, U(midx[t]), v] = acc[t, v] / tot
        else:
            for t in range(nm):
                for v in range(q):
                    out[b, U(midx[t]), v] = 1.0 / q


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
