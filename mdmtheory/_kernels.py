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

Parallelism: the lattice is cut by the keep/drop pattern of the last ``r``
positions into ``2^r`` independent sub-sweeps, which are packed onto the worker
threads by longest-processing-time-first.  Every subset's entropy is computed by
one worker in a fixed order, so the per-subset values do not depend on the
number of threads.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic


# ----------------------------------------------------------------------------- fast log
# LLVM cannot vectorise a loop that calls libm's ``log`` (numba has no SVML here),
# and the log dominates the sweep.  ``_log`` is fdlibm's ``__ieee754_log``
# (argument reduction to m in [sqrt(2)/2, sqrt(2)), degree-14 minimax in s =
# (m-1)/(m+1)): < 1 ulp of error, branch-free, so the map loop below vectorises.
# Zero maps to a finite value (-1023 ln 2) and so contributes exactly 0 to
# ``x log x``; subnormals (< 2.2e-308) get a wrong but finite log, i.e. an
# absolute error below 1e-305 per entry.  Tests compare against ``numpy.log``.


@intrinsic
def _f2i(typingctx, x):
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


@intrinsic
def _i2f(typingctx, x):
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_TWO52_PLUS_BIAS = 4503599627370496.0 + 1023.0


@njit(cache=True, inline="always", error_model="numpy")
def _log(x):
    b = _f2i(x)
    m = _i2f((b & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)  # mantissa in [1, 2)
    big = np.int64(m > 1.4142135623730951)
    m = m * (1.0 - 0.5 * big)
    # exponent as a double without an int->float conversion (vectorises on AVX2)
    k = _i2f((((b >> 52) & 0x7FF) + big) | 0x4330000000000000) - _TWO52_PLUS_BIAS
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    hfsq = 0.5 * f * f
    return k * _LN2_HI - ((hfsq - (s * (hfsq + t2 + t1) + k * _LN2_LO)) - f)


@njit(cache=True, error_model="numpy")
def _log_array(x, out):
    """Elementwise :func:`_log` (exposed for tests against ``numpy.log``)."""
    for i in range(x.size):
        out[i] = _log(x[i])


@njit(cache=True, error_model="numpy")
def _xlogx_map(t, start, stop, out):
    for i in range(stop - start):
        x = t[start + i]
        out[i] = x * _log(x)


_CHUNK = 512


@njit(cache=True, error_model="numpy")
def _table_entropy(t, size, scratch):
    """``-sum_{k<size} t[k] log t[k]`` (nats): vectorised map, 4-way partial sums."""
    h = 0.0
    for c0 in range(0, size, _CHUNK):
        c1 = min(size, c0 + _CHUNK)
        _xlogx_map(t, c0, c1, scratch)
        a0 = a1 = a2 = a3 = 0.0
        m = c1 - c0
        m4 = m - m % 4
        for i in range(0, m4, 4):
            a0 += scratch[i]
            a1 += scratch[i + 1]
            a2 += scratch[i + 2]
            a3 += scratch[i + 3]
        for i in range(m4, m):
            a0 += scratch[i]
        h -= (a0 + a1) + (a2 + a3)
    return h


@njit(cache=True, inline="always")
def _ipow(q, e):
    r = 1
    for _ in range(e):
        r *= q
    return r


@njit(cache=True, error_model="numpy")
def _sum_axis_entropy(src, m, j, q, dst, scratch):
    """Sum axis ``j`` out of the ``(q,)*m`` C-ordered table ``src`` into ``dst``.

    Returns the entropy ``-sum dst log dst`` (nats, ``0 log 0 = 0``).
    """
    B = _ipow(q, m - 1 - j)
    A = _ipow(q, j)
    if B == 1:
        for a in range(A):
            s = 0.0
            for c in range(q):
                s += src[a * q + c]
            dst[a] = s
    else:
        for a in range(A):
            s0 = a * q * B
            d0 = a * B
            for b in range(B):  # contiguous: vectorises
                dst[d0 + b] = src[s0 + b]
            for c in range(1, q):
                sc = s0 + c * B
                for b in range(B):
                    dst[d0 + b] += src[sc + b]
    return _table_entropy(dst, A * B, scratch)


@njit(cache=True, error_model="numpy")
def _run_task(p, n, q, r, keep_pattern, store, out, acc_row):
    """One sub-sweep: the last ``r`` positions are fixed kept/dropped by ``keep_pattern``.

    The DFS then removes positions ``0..n-r-1`` in *decreasing* order, so a
    subset's table is made by summing out the *smallest* position removed: that
    axis is a leading one, whose stride is large, and the summation loop runs
    over long contiguous rows (the increasing order would mostly sum out
    trailing axes of stride 1, 2, 4, ... and be ~2x slower).
    """
    scratch = np.empty(_CHUNK)
    size = p.size
    cur = p
    m = n
    mask = (1 << n) - 1
    # 1. start table: sum out the dropped suffix axes (highest first, so the
    #    indices of the others do not move).
    for t in range(r - 1, -1, -1):
        if not (keep_pattern >> t) & 1:
            a = n - r + t
            nxt = np.empty(size // q)
            _sum_axis_entropy(cur, m, a, q, nxt, scratch)
            cur = nxt
            m -= 1
            size //= q
            mask &= ~(1 << a)
    m0 = m
    lim0 = n - r  # axes 0..lim0-1 (= positions 0..n-r-1) are swept
    # 2. DFS over subsets of positions 0..n-r-1, one buffer per depth.
    depth_max = lim0
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
    jn = np.zeros(depth_max + 1, np.int64)    # next axis to remove at each depth
    lims = np.empty(depth_max + 1, np.int64)  # axes < lim may be removed
    masks = np.empty(depth_max + 1, np.int64)
    sizes = np.empty(depth_max + 1, np.int64)
    masks[0] = mask
    sizes[0] = size
    lims[0] = lim0
    h0 = _table_entropy(cur, size, scratch)
    if store:
        out[mask] = h0
    acc_row[m0] += h0
    depth = 0
    while depth >= 0:
        j = jn[depth]
        if j >= lims[depth]:
            depth -= 1
            continue
        jn[depth] = j + 1
        m = m0 - depth
        csize = sizes[depth] // q
        if depth == 0:
            src = cur
        else:
            src = buf[offs[depth]: offs[depth] + sizes[depth]]
        dst = buf[offs[depth + 1]: offs[depth + 1] + csize]
        h = _sum_axis_entropy(src, m, j, q, dst, scratch)
        cmask = masks[depth] & ~(1 << pos[depth, j])
        if store:
            out[cmask] = h
        acc_row[m - 1] += h
        if j > 0:  # the child may still remove its axes 0..j-1
            d1 = depth + 1
            for t in range(j):
                pos[d1, t] = pos[depth, t]
            for t in range(j + 1, m):
                pos[d1, t - 1] = pos[depth, t]
            masks[d1] = cmask
            sizes[d1] = csize
            lims[d1] = j
            jn[d1] = 0
            depth = d1
    return 0


@njit(cache=True, parallel=True)
def _sweep(p, n, q, r, bin_tasks, bin_counts, store, out, acc):
    nb = bin_counts.size
    for b in prange(nb):
        for t in range(bin_counts[b]):
            _run_task(p, n, q, r, bin_tasks[b, t], store, out, acc[b])
    return 0


def _pack(tasks: list[int], cost: np.ndarray, nbins: int) -> tuple[np.ndarray, np.ndarray]:
    """Longest-processing-time-first packing of ``tasks`` into ``nbins`` bins."""
    order = sorted(tasks, key=lambda t: (-cost[t], t))
    nb = max(1, min(nbins, len(order)))
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
    return bin_tasks, bin_counts


def _task_costs(n: int, q: int, r: int) -> np.ndarray:
    """Marginal entries touched by each sub-sweep: ``q^kept * (q+1)^(n-r)``."""
    return np.array([float(q) ** bin(t).count("1") * float(q + 1) ** (n - r)
                     for t in range(1 << r)])


def _plan(n: int, q: int, nthreads: int, rounds: int = 1
          ) -> tuple[int, list[tuple[np.ndarray, np.ndarray]], list[float]]:
    """Choose the split length ``r`` and pack the ``2^r`` tasks onto threads.

    With ``rounds > 1`` the tasks are cut into that many consecutive groups (by
    decreasing cost) so that a progress bar can advance between Numba calls.
    """
    want = 8 * max(nthreads, 1) * rounds
    if (nthreads <= 1 and rounds <= 1) or n < 8:
        r = 0
    else:
        # each task first sums its dropped suffix axes out of the full table
        # (~q^n work); keep that overhead under ~2% of the (q+1)^n sweep.
        cap = int(math.floor(math.log2(max(2.0, 0.02 * ((q + 1) / q) ** n))))
        r = min(n - 4, max(1, min(cap, int(math.ceil(math.log2(want))))))
    cost = _task_costs(n, q, r)
    order = sorted(range(1 << r), key=lambda t: (-cost[t], t))
    rounds = max(1, min(rounds, len(order)))
    groups = [order[g::rounds] for g in range(rounds)]  # interleave: similar loads
    plan = [_pack(g, cost, nthreads) for g in groups]
    return r, plan, [float(cost[g].sum()) for g in groups]


def sweep_entropies(p: np.ndarray, n: int, q: int, *, store: bool,
                    nthreads: int | None = None, progress: bool | None = False
                    ) -> tuple[np.ndarray | None, np.ndarray]:
    """Run the sweep on a flat C-ordered float64 table.

    Parameters
    ----------
    progress : bool or None
        Show a tqdm bar (in marginal entries).  ``None``: only for sweeps of
        more than ``2e9`` entries (several seconds), and only on a terminal.

    Returns
    -------
    H : ndarray or None
        ``H[mask]``, the entropy (nats) of the marginal on the positions whose
        bits are set in ``mask``; ``None`` unless ``store``.
    sums : ndarray, shape (n+1,)
        ``sums[m]``, the sum of ``H`` over all subsets of size ``m``.
    """
    if nthreads is None:
        nthreads = numba.get_num_threads()
    flat = np.ascontiguousarray(p, dtype=np.float64).reshape(-1)
    total = float(q + 1) ** n
    show = (total > 2e9) if progress is None else bool(progress)
    r, plan, costs = _plan(n, q, nthreads, rounds=16 if show else 1)
    out = np.zeros((1 << n) if store else 1)
    acc = np.zeros((max(bc.size for _, bc in plan), n + 1))
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, unit="entries", unit_scale=True, desc=f"sweep q={q} n={n}",
                   disable=None if progress is None else False)
    try:
        for (bin_tasks, bin_counts), c in zip(plan, costs):
            _sweep(flat, n, q, r, bin_tasks, bin_counts, store, out, acc)
            if bar is not None:
                bar.update(c)
    finally:
        if bar is not None:
            bar.close()
    return (out if store else None), acc.sum(axis=0)
