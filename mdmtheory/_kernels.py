"""Numba kernels: entropies of all 2^n marginals of a dense q^n table.

Algorithm (the "marginalisation sweep")
---------------------------------------
Subsets ``T`` of ``[n]`` are visited by a depth-first search that removes axes
in increasing order, so each subset is reached exactly once and each marginal
table is computed from its parent by summing out *one* axis.  The work is
``sum_T q^|T| = (q+1)^n`` additions and ``(q+1)^n`` evaluations of ``x log x``
-- the floor for an exact answer, since every marginal entry must be touched.
The (q+1)^n tensor is never materialised: a DFS only keeps the chain of tables
on the current path (``q^(n-1) + q^(n-2) + ...`` cells per worker).

Parallelism: the lattice is cut by the keep/drop pattern of the first ``r``
positions into ``2^r`` independent sub-sweeps, which are packed onto the worker
threads by longest-processing-time-first.  Every subset's entropy is computed by
one worker in a fixed order, so the per-subset values do not depend on the
number of threads.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def _ipow(q, e):
    r = 1
    for _ in range(e):
        r *= q
    return r


@njit(cache=True)
def _sum_axis_entropy(src, m, j, q, dst):
    """Sum axis ``j`` out of the ``(q,)*m`` C-ordered table ``src`` into ``dst``.

    Returns ``-sum dst * log(dst)`` (nats, ``0 log 0 = 0``) computed in the same pass.
    """
    B = _ipow(q, m - 1 - j)
    A = _ipow(q, j)
    h = 0.0
    for a in range(A):
        s0 = a * q * B
        d0 = a * B
        for b in range(B):
            s = 0.0
            for c in range(q):
                s += src[s0 + c * B + b]
            dst[d0 + b] = s
            if s > 0.0:
                h -= s * math.log(s)
    return h


@njit(cache=True)
def _table_entropy(t, size):
    h = 0.0
    for k in range(size):
        x = t[k]
        if x > 0.0:
            h -= x * math.log(x)
    return h


@njit(cache=True)
def _run_task(p, n, q, r, keep_pattern, store, out, acc_row):
    """One sub-sweep: prefix positions ``0..r-1`` fixed kept/dropped by ``keep_pattern``."""
    # 1. start table: sum out the dropped prefix axes (highest axis first so that
    #    the indices of the remaining ones do not move).
    size = p.size
    cur = p
    m = n
    mask = (1 << n) - 1
    for a in range(r - 1, -1, -1):
        if not (keep_pattern >> a) & 1:
            nxt = np.empty(size // q)
            _sum_axis_entropy(cur, m, a, q, nxt)
            cur = nxt
            m -= 1
            size //= q
            mask &= ~(1 << a)
    k0 = m - (n - r)  # number of kept prefix axes = index of first sweepable axis
    m0 = m
    # 2. DFS over the subsets of positions r..n-1, buffers reused per depth.
    depth_max = n - r
    offs = np.zeros(depth_max + 2, np.int64)
    tot = 0
    sz = size
    for d in range(1, depth_max + 1):
        sz //= q
        offs[d] = tot
        tot += sz
    buf = np.empty(max(tot, 1))
    pos = np.empty((depth_max + 1, n), np.int64)  # original position of each current axis
    c = 0
    for a in range(n):
        if (mask >> a) & 1:
            pos[0, c] = a
            c += 1
    nxt_axis = np.empty(depth_max + 1, np.int64)
    masks = np.empty(depth_max + 1, np.int64)
    sizes = np.empty(depth_max + 1, np.int64)
    masks[0] = mask
    sizes[0] = size
    nxt_axis[0] = k0
    h0 = _table_entropy(cur, size)
    if store:
        out[mask] = h0
    acc_row[m0] += h0
    depth = 0
    while depth >= 0:
        m = m0 - depth
        j = nxt_axis[depth]
        if j >= m:
            depth -= 1
            continue
        nxt_axis[depth] = j + 1
        csize = sizes[depth] // q
        if depth == 0:
            src = cur
        else:
            src = buf[offs[depth]: offs[depth] + sizes[depth]]
        dst = buf[offs[depth + 1]: offs[depth + 1] + csize]
        h = _sum_axis_entropy(src, m, j, q, dst)
        cmask = masks[depth] & ~(1 << pos[depth, j])
        if store:
            out[cmask] = h
        acc_row[m - 1] += h
        if m - 1 > 0 and j < m - 1:  # child has axes left to remove
            d1 = depth + 1
            for t in range(j):
                pos[d1, t] = pos[depth, t]
            for t in range(j + 1, m):
                pos[d1, t - 1] = pos[depth, t]
            masks[d1] = cmask
            sizes[d1] = csize
            nxt_axis[d1] = j
            depth = d1
    return 0


@njit(cache=True, parallel=True)
def _sweep(p, n, q, r, bin_tasks, bin_counts, store, out, acc):
    nb = bin_counts.size
    for b in prange(nb):
        for t in range(bin_counts[b]):
            _run_task(p, n, q, r, bin_tasks[b, t], store, out, acc[b])
    return 0


def _plan(n: int, q: int, nthreads: int) -> tuple[int, np.ndarray, np.ndarray]:
    """Choose the prefix length ``r`` and pack the ``2^r`` tasks onto threads (LPT)."""
    if nthreads <= 1 or n < 8:
        r = 0
    else:
        r = min(n - 4, max(1, int(math.ceil(math.log2(8 * nthreads)))))
    ntask = 1 << r
    cost = np.array([q ** bin(t).count("1") * (q + 1) ** (n - r) for t in range(ntask)],
                    dtype=np.float64)
    order = np.argsort(-cost, kind="stable")
    nb = max(1, min(nthreads, ntask))
    load = np.zeros(nb)
    bins: list[list[int]] = [[] for _ in range(nb)]
    for t in order:
        b = int(np.argmin(load))
        bins[b].append(int(t))
        load[b] += cost[t]
    width = max(len(x) for x in bins)
    bin_tasks = np.zeros((nb, width), np.int64)
    bin_counts = np.zeros(nb, np.int64)
    for b, lst in enumerate(bins):
        bin_tasks[b, : len(lst)] = lst
        bin_counts[b] = len(lst)
    return r, bin_tasks, bin_counts


def sweep_entropies(p: np.ndarray, n: int, q: int, *, store: bool,
                    nthreads: int | None = None) -> tuple[np.ndarray | None, np.ndarray]:
    """Run the sweep on a flat C-ordered float64 table.

    Returns ``(H, sums)``: ``H[mask]`` the entropy (nats) of the marginal on the
    positions whose bits are set in ``mask`` (``None`` unless ``store``), and
    ``sums[m]`` the sum of ``H`` over all subsets of size ``m``.
    """
    if nthreads is None:
        nthreads = numba.get_num_threads()
    flat = np.ascontiguousarray(p, dtype=np.float64).reshape(-1)
    r, bin_tasks, bin_counts = _plan(n, q, nthreads)
    out = np.zeros((1 << n) if store else 1)
    acc = np.zeros((bin_counts.size, n + 1))
    _sweep(flat, n, q, r, bin_tasks, bin_counts, store, out, acc)
    return (out if store else None), acc.sum(axis=0)
