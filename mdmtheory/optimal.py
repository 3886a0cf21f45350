"""Optimal k-step schedules: the DP of Thm 4 ("bestkstep") and its fast versions.

Problem
-------
Given an information curve ``Z`` (``Z[j-1] = Z_j``, nondecreasing, ``Z_1 = 0``)
and a number of steps ``k``, find the composition ``s_1 + ... + s_k = n``
minimising Thm 1.4's exact error ``sum_t c(a_t, b_t)`` with the block cost
``c(a, b) = sum_{j=a}^b (Z_j - Z_a)``.  Writing ``w(j, m) = c(j+1, m)`` for the
block that follows ``N_{t-1} = j`` and ends at ``N_t = m``::

    F_1(m) = w(0, m),   F_t(m) = min_{t-1 <= j < m} F_{t-1}(j) + w(j, m),   OPT_k = F_k(n).

Solvers (all return *identical* optima, argmin tables and schedules)
--------------------------------------------------------------------
``'plain'``   the DP as written, ``O(k n^2)`` time.
``'dnc'``     per-layer divide and conquer, ``O(k n log n)``.  Valid because
              ``w`` is Monge (quadrangle inequality), so the
              rightmost argmin ``J_t(m)`` is nondecreasing in ``m``.
``'knuth'``   Knuth–Yao style bounds ``J_{t-1}(m) <= J_t(m) <= J_t(m+1)``; the
              search ranges telescope along the diagonals, so the whole frontier
              (every ``k = 1..n``) costs ``O(n^2)``.  The bound in ``t`` holds
              because ``F_t(j) - F_{t-1}(j)`` is nonincreasing in ``j`` (uncross
              an optimal t-link path to ``j`` and an optimal (t-1)-link path to
              ``j' > j`` at nested edges and apply the Monge inequality); see
              the module's tests, which compare all three solvers exactly.

Exact arithmetic and ties
-------------------------
The DP runs in **exact int64 arithmetic** on ``Z`` rounded to the dyadic grid
``h = 2^-e`` with ``e`` the largest integer such that ``n * max(Z) / h <= 2^62``
(so every partial sum fits in int64).  Rounding is monotone, so the rounded
curve is again nondecreasing, the Monge inequality holds exactly, ties are
genuine ties and all solvers agree bit for bit.  The returned schedule is
optimal for the rounded curve and therefore within ``n h`` of optimal for ``Z``
itself (``n h <= n^2 max(Z) 2^-61``, e.g. ``<= 8e-12 max(Z)`` at ``n = 4096``);
floating-point DPs are no more accurate (their prefix sums lose
``~n eps max(Z)`` per block cost).  Before rounding, ``Z`` is replaced by its
running maximum minus ``Z_1`` (a no-op on a valid curve; :func:`validate_curve`
admits decreases up to 1e-9 from rounding).

**Tie-breaking**: every argmin is the *rightmost* (largest ``N_{t-1}``).  The
backtracked schedule is then, among all optimal k-step schedules (of the
rounded curve), the one whose cumulative counts ``N_1, ..., N_{k-1}`` are
componentwise largest -- equivalently the lexicographically largest sizes
``(s_1, s_2, ...)``: big steps first.  It exists because rightmost argmins are
monotone (Monge).

Reported errors
---------------
``error`` fields are Thm 1.4's error of the returned schedule on the *given*
``Z`` in float64 (each block summed as ``sum_j (Z_j - Z_a)`` of non-negative
terms, so exact zeros stay zero); ``scaled_error`` fields are the exact integer
optima of the rounded curve, in units of ``scale = h``.

Public API
----------
``optimal_schedule(Z, k, method='auto') -> OptimalSchedule``
``optimal_frontier(Z, kmax=None, method='knuth') -> Frontier``
``min_steps(Z, eps, method='knuth') -> OptimalSchedule``
``rounded_curve(Z) -> (Z_int, scale)``
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit, prange

from ._threads import num_threads, start_thread_pool
from ._validation import as_choice, as_float, as_int, check_nbytes
from .schedule import Schedule, validate_curve

__all__ = [
    "OptimalSchedule",
    "Frontier",
    "optimal_schedule",
    "optimal_frontier",
    "min_steps",
    "rounded_curve",
    "METHODS",
]

#: Solvers accepted by ``method=`` (all exact and mutually identical).
METHODS = ("plain", "dnc", "knuth")

_INF = np.iinfo(np.int64).max


# ============================================================================ results
@dataclass(frozen=True)
class OptimalSchedule:
    """An optimal k-step schedule (output of :func:`optimal_schedule` / :func:`min_steps`).

    Attributes
    ----------
    schedule : Schedule
        The optimal composition (tie-breaking: see the module docstring).
    error : float
        Thm 1.4's error ``E_S KL`` of ``schedule`` on the given curve (float64).
    k : int
        Number of steps.
    scaled_error : int
        Exact optimum on the rounded curve, in units of ``scale``.
    scale : float
        Grid spacing ``h`` of the rounded curve (``error ~= scaled_error * scale``
        up to ``n h``).
    method : str
        Solver used.
    """

    schedule: Schedule
    error: float
    k: int
    scaled_error: int = field(repr=False)
    scale: float = field(repr=False)
    method: str

    @property
    def n(self) -> int:
        return self.schedule.n

    def __repr__(self) -> str:
        return (f"OptimalSchedule(k={self.k}, sizes={self.schedule.sizes.tolist()}, "
                f"error={self.error:.6g}, method={self.method!r})")


@dataclass(frozen=True, eq=False)
class Frontier:
    """``OPT_k`` and the argmin schedules for ``k = 1..kmax`` (output of :func:`optimal_frontier`).

    Attributes
    ----------
    errors : ndarray, shape (kmax,)
        ``errors[k-1]`` = Thm 1.4 error (float64, on the given ``Z``) of the
        optimal k-step schedule :meth:`schedule` ``(k)``; nonincreasing and convex
        in ``k`` up to rounding.
    scaled_errors : ndarray of int64, shape (kmax,)
        Exact optima of the rounded curve in units of ``scale``: exactly
        nonincreasing and convex.
    scale : float
    n : int
    method : str

    Notes
    -----
    Schedules are backtracked on demand from the stored argmin table (shape
    ``(kmax+1, n+1)``, int16 when ``n < 2^15``): ``O(k)`` per schedule.  The
    ``errors`` of all ``k`` are backtracked together, one table row at a time
    (``O(n kmax)`` additions, cache-friendly; identical to per-k backtracking).
    """

    errors: np.ndarray
    scaled_errors: np.ndarray
    scale: float
    n: int
    method: str
    _argmins: np.ndarray = field(repr=False)

    @property
    def kmax(self) -> int:
        return int(self.errors.size)

    def schedule(self, k: int) -> Schedule:
        """The optimal k-step schedule (rightmost-argmin tie-breaking)."""
        k = _check_k(k, self.kmax)
        return Schedule(_backtrack(self._argmins, self.n, k), self.n, name=f"optimal(k={k})")

    def optimal(self, k: int) -> OptimalSchedule:
        """:class:`OptimalSchedule` for ``k`` steps."""
        s = self.schedule(k)
        return OptimalSchedule(s, float(self.errors[k - 1]), k,
                               int(self.scaled_errors[k - 1]), self.scale, self.method)

    def schedules(self) -> list[Schedule]:
        """All optimal schedules, ``k = 1..kmax`` (``O(kmax^2)`` memory)."""
        return [self.schedule(k) for k in range(1, self.kmax + 1)]

    def min_steps(self, eps: float) -> int | None:
        """Smallest ``k <= kmax`` with ``errors[k-1] <= eps``, or ``None``."""
        eps = _check_eps(eps)
        hit = np.flatnonzero(self.errors <= eps)
        return int(hit[0]) + 1 if hit.size else None

    def plot(self, ax=None, **kwargs):
        """Draw ``OPT_k`` against ``k`` (:func:`mdmtheory.plotting.plot_frontier`).

        ``kwargs`` (``label``, ``color``, ``marker``, ``base``, ``unit``, ``logy``) are
        passed on.  Returns the matplotlib ``Axes``.
        """
        from .plotting import plot_frontier

        return plot_frontier(self, ax, **kwargs)

    def __repr__(self) -> str:
        e = self.errors
        return (f"Frontier(n={self.n}, kmax={self.kmax}, OPT_1={float(e[0]):.6g}, "
                f"OPT_{self.kmax}={float(e[-1]):.6g}, method={self.method!r})")


# ============================================================================ rounding
def rounded_curve(Z) -> tuple[np.ndarray, float]:
    """Round a curve to the int64 grid used by the DP (see module docstring).

    Returns
    -------
    Z_int : ndarray of int64, shape (n,)
        Nondecreasing, ``Z_int[0] = 0``, ``n * Z_int[-1] <= 2^62``.
    scale : float
        The grid spacing ``h`` (a power of two): ``Z - Z_1 ~= Z_int * h``.
    """
    Zarr = validate_curve(Z)
    n = Zarr.size
    Zc = np.maximum.accumulate(Zarr)
    Zc = np.maximum(Zc - Zc[0], 0.0)
    zmax = float(Zc[-1])
    if zmax == 0.0:
        return np.zeros(n, dtype=np.int64), 1.0
    # largest e with n * zmax * 2^e <= 2^62, found from exponents (n * zmax itself may
    # overflow to inf near the top of the float range) ...
    _, ez = math.frexp(zmax)  # zmax = f 2^ez, f in [0.5, 1)
    e = 62 - ez - math.ceil(math.log2(n)) if n > 1 else 62 - ez
    while e > -1100 and n * float(np.rint(math.ldexp(zmax, e))) <= 2.0 ** 61:
        e += 1  # (the exponent estimate is at most one too small)
    while n * float(np.rint(math.ldexp(zmax, e))) > 2.0 ** 62:
        e -= 1
    # ... and never finer than the smallest subnormal 2^-1074, so that the grid spacing
    # h = 2^-e stays positive for curves near the bottom of the float range (every
    # float64 is an integer multiple of 2^-1074, so such curves are then exact)
    e = min(e, 1074)
    Zi = np.rint(np.ldexp(Zc, e)).astype(np.int64)
    return Zi, math.ldexp(1.0, -e)


# ============================================================================ kernels
@njit(cache=True)
def _layer_one(Zi, P, A, prev):
    n = Zi.size
    for m in range(1, n + 1):
        prev[m] = P[m] - m * Zi[0]
        A[1, m] = 0


@njit(cache=True)
def _plain_kernel(Zi, P, kmax, A, opt):
    """O(kmax n^2): every candidate j in [t-1, m-1], rightmost argmin."""
    n = Zi.size
    prev = np.zeros(n + 1, dtype=np.int64)
    cur = np.zeros(n + 1, dtype=np.int64)
    _layer_one(Zi, P, A, prev)
    opt[1] = prev[n]
    for t in range(2, kmax + 1):
        for m in range(t, n + 1):
            best = _INF
            bj = -1
            Pm = P[m]
            for j in range(t - 1, m):
                v = prev[j] + (Pm - P[j] - (m - j) * Zi[j])
                if v <= best:
                    best = v
                    bj = j
            cur[m] = best
            A[t, m] = bj
        opt[t] = cur[n]
        prev, cur = cur, prev
    return prev


@njit(cache=True)
def _dnc_layer(Zi, P, t, A, prev, cur, stack):
    """Layer t by divide and conquer: rows m in [t, n], argmins monotone in m."""
    n = Zi.size
    stack[0, 0] = t
    stack[0, 1] = n
    stack[0, 2] = t - 1
    stack[0, 3] = n - 1
    sp = 1
    while sp > 0:
        sp -= 1
        mlo = stack[sp, 0]
        mhi = stack[sp, 1]
        jlo = stack[sp, 2]
        jhi = stack[sp, 3]
        if mlo > mhi:
            continue
        mid = (mlo + mhi) // 2
        lo = jlo if jlo > t - 1 else t - 1
        hi = jhi if jhi < mid - 1 else mid - 1
        best = _INF
        bj = -1
        Pm = P[mid]
        for j in range(lo, hi + 1):
            v = prev[j] + (Pm - P[j] - (mid - j) * Zi[j])
            if v <= best:
                best = v
                bj = j
        cur[mid] = best
        A[t, mid] = bj
        # push the right half first so the left half is processed next (depth-first:
        # at most one pending entry per level, i.e. <= log2(n) + 1 entries)
        if mid + 1 <= mhi:
            stack[sp, 0] = mid + 1
            stack[sp, 1] = mhi
            stack[sp, 2] = bj
            stack[sp, 3] = jhi
            sp += 1
        if mlo <= mid - 1:
            stack[sp, 0] = mlo
            stack[sp, 1] = mid - 1
            stack[sp, 2] = jlo
            stack[sp, 3] = bj
            sp += 1


@njit(cache=True)
def _dnc_kernel(Zi, P, kmax, A, opt):
    """O(kmax n log n): per-layer divide and conquer on monotone rightmost argmins."""
    n = Zi.size
    prev = np.zeros(n + 1, dtype=np.int64)
    cur = np.zeros(n + 1, dtype=np.int64)
    _layer_one(Zi, P, A, prev)
    opt[1] = prev[n]
    stack = np.empty((2 * 64 + 8, 4), dtype=np.int64)
    for t in range(2, kmax + 1):
        _dnc_layer(Zi, P, t, A, prev, cur, stack)
        opt[t] = cur[n]
        prev, cur = cur, prev
    return prev


@njit(cache=True)
def _knuth_layer(Zi, P, t, A, prev, cur):
    n = Zi.size
    for m in range(n, t - 1, -1):
        lo = A[t - 1, m]
        if lo < t - 1:
            lo = t - 1
        hi = m - 1
        if m < n and A[t, m + 1] < hi:
            hi = A[t, m + 1]
        best = _INF
        bj = -1
        Pm = P[m]
        for j in range(lo, hi + 1):
            v = prev[j] + (Pm - P[j] - (m - j) * Zi[j])
            if v <= best:
                best = v
                bj = j
        if bj < 0:  # cannot happen for a Monge cost (bounds proven in the docstring)
            raise ValueError("Knuth bounds violated: the cost is not Monge")
        cur[m] = best
        A[t, m] = bj


@njit(cache=True)
def _knuth_kernel_legacy(Zi, P, kmax, A, opt):
    """The first release's Knuth kernel (one :func:`_knuth_layer` per layer), kept for
    the side-by-side benchmark; identical results to :func:`_knuth_kernel`."""
    n = Zi.size
    prev = np.zeros(n + 1, dtype=np.int64)
    cur = np.zeros(n + 1, dtype=np.int64)
    _layer_one(Zi, P, A, prev)
    opt[1] = prev[n]
    for t in range(2, kmax + 1):
        _knuth_layer(Zi, P, t, A, prev, cur)
        opt[t] = cur[n]
        prev, cur = cur, prev
    return prev


@njit(cache=True)
def _knuth_kernel(Zi, P, kmax, A, opt):
    """O(n^2) for the whole frontier: J_{t-1}(m) <= J_t(m) <= J_t(m+1).

    The same cells, candidates and rightmost argmins as :func:`_knuth_layer`, with
    three changes that only reorganise the work:

    * ``F_{t-1}(j) + w(j, m) = P_m + (B_j - m Z_j)`` with
      ``B_j = F_{t-1}(j) - P_j + j Z_j``: the prefix sum ``P_m`` is common to all
      candidates of a cell and leaves the argmin alone, so the inner loop reads one
      packed pair ``(B_j, Z_j)`` per candidate (16 bytes instead of three 8-byte
      streams).  Every intermediate lies in ``[-2^63, 2^62]`` since ``F(j) <= P_j``
      and ``n max Z <= 2^62``, so the int64 values are the exact ones.
    * ``B`` is updated in place during the descending sweep over ``m``: cell ``m``
      reads only ``j <= m - 1`` and then overwrites ``B_m``, which no later cell of
      the layer reads.
    * The first two candidates ``lo, lo + 1`` (clamped to ``m - 1``) are compared
      without a data-dependent branch; the scan goes on to ``hi = J_t(m+1)`` only
      when ``hi > lo + 1`` (a sixth of the cells on a random curve).  Scanning a
      window ``[lo, X]`` with ``J_t(m) <= X <= m - 1`` gives the same rightmost
      argmin as ``[lo, hi]``, since every ``j > J_t(m)`` costs strictly more.

    Indices are cast to ``uint64`` where the arrays are read: Numba adds
    negative-index wrap-around code to every signed index it cannot prove
    non-negative (three instructions each, about seven per cell); all indices here
    are in ``[0, n]``, so the cast changes nothing but the code (the same tables;
    1.7x faster at n = 16384).
    """
    n = Zi.size
    BZ = np.empty((n + 1, 2), dtype=np.int64)
    for m in range(n):
        BZ[m, 1] = Zi[m]
    BZ[n, 1] = 0
    for m in range(1, n + 1):
        A[1, m] = 0
        BZ[m, 0] = (P[m] - m * Zi[0]) - P[m] + m * BZ[m, 1]
    opt[1] = P[n] - n * Zi[0]
    U = np.uint64  # unsigned indices: see the note above
    for t in range(2, kmax + 1):
        Arow = A[t]
        Aprev = A[t - 1]
        hi = n - 1
        for mi in range(n - t + 1):
            m = n - mi
            lo = np.int64(Aprev[U(m)])
            if lo < t - 1:
                lo = t - 1
            mm = m - 1
            j1 = min(lo + 1, mm)
            best = BZ[U(lo), 0] - m * BZ[U(lo), 1]
            v1 = BZ[U(j1), 0] - m * BZ[U(j1), 1]
            bj = lo
            if v1 <= best:
                best = v1
                bj = j1
            if hi > lo + 1:
                for j in range(lo + 2, min(hi, mm) + 1):
                    v = BZ[U(j), 0] - m * BZ[U(j), 1]
                    if v <= best:
                        best = v
                        bj = j
            Arow[U(m)] = bj
            BZ[U(m), 0] = best + m * BZ[U(m), 1]
            hi = bj
        opt[t] = BZ[n, 0] + P[n]
    return opt


@njit(cache=True)
def _block_sum(Z, j, m):
    """``sum_{i=j}^{m-1} (Z_i - Z_j)`` termwise, in a fixed order (four interleaved
    partial sums, then ``(a0 + a1) + (a2 + a3)``).

    No ``fastmath``: the order is fixed by the code, not by the compiler's
    vectoriser, so every caller gets the same bits (the frontier, a single
    schedule and ``min_steps`` report identical errors).  The terms are
    non-negative on a valid curve, so the sum is accurate to ``O((m-j) eps)``
    relative.
    """
    za = Z[j]
    a0 = a1 = a2 = a3 = 0.0
    L4 = j + (m - j) - (m - j) % 4
    for i in range(j, L4, 4):
        a0 += Z[i] - za
        a1 += Z[i + 1] - za
        a2 += Z[i + 2] - za
        a3 += Z[i + 3] - za
    for i in range(L4, m):
        a0 += Z[i] - za
    return (a0 + a1) + (a2 + a3)


@njit(cache=True)
def _path_error(Z, A, n, k):
    """Thm 1.4 error (float) of the backtracked k-step schedule, blocks summed termwise."""
    m = n
    err = 0.0
    for t in range(k, 0, -1):
        j = A[t, m]
        err += _block_sum(Z, j, m)
        m = j
    return err


@njit(cache=True, fastmath=True)
def _path_error_legacy(Z, A, n, k):
    """The first release's :func:`_path_error` (``fastmath`` block sums), for the
    side-by-side benchmark only."""
    m = n
    err = 0.0
    for t in range(k, 0, -1):
        j = A[t, m]
        za = Z[j]
        blk = 0.0
        for i in range(j, m):
            blk += Z[i] - za
        err += blk
        m = j
    return err


@njit(cache=True, parallel=True)
def _all_path_errors_parallel(Z, A, n, kmax, out):
    """Float errors of every k (``O(n kmax)``); each k is computed by one thread, so
    the values do not depend on the number of threads."""
    for k in prange(1, kmax + 1):
        out[k - 1] = _path_error_legacy(Z, A, n, k)


@njit(cache=True)
def _all_path_errors_serial(Z, A, n, kmax, out):
    for k in range(1, kmax + 1):
        out[k - 1] = _path_error_legacy(Z, A, n, k)


@njit(cache=True)
def _small_block_sum(Zp, j, L):
    """:func:`_block_sum` ``(Z, j, j + L)`` for ``1 <= L <= 4``, the very same float
    operations, without a data-dependent branch (``Zp``: ``Z`` padded by 3 entries).

    For ``L < 4`` :func:`_block_sum` runs only its tail loop, ``a0 = ((0 + 0) + d1) + d2``
    (``d_i = Z_{j+i} - Z_j``), and returns ``(a0 + 0) + (0 + 0)``; for ``L = 4`` one
    step of its unrolled loop and ``(0 + (0 + d1)) + ((0 + d2) + (0 + d3))``.  The
    ``+ 0.0`` are kept: they turn a ``-0.0`` into ``+0.0`` as in :func:`_block_sum`.
    """
    u = np.uint64(j)  # (no wrap-around code: see _knuth_kernel)
    za = Zp[u]
    a = 0.0 + (za - za)
    d1 = Zp[u + np.uint64(1)] - za
    d2 = Zp[u + np.uint64(2)] - za
    d3 = Zp[u + np.uint64(3)] - za
    s2 = a + d1
    s3 = s2 + d2
    r = (s2 + 0.0) + (0.0 + 0.0)
    if L == 3:
        r = (s3 + 0.0) + (0.0 + 0.0)
    if L == 4:
        r = (a + (0.0 + d1)) + ((0.0 + d2) + (0.0 + d3))
    if L == 1:
        r = 0.0
    return r


@njit(cache=True)
def _path_errors_rows(Z, A, n, k0, k1, out):
    """Float errors of ``k = k0..k1``, backtracking these schedules together, row by row.

    Row ``t`` of the argmin table advances every schedule ``k >= t`` by one block
    (``pos[k]`` holds its current ``N_t``), so the table is read one contiguous
    row at a time instead of with a stride of one row per step (the per-k walk
    of :func:`_path_error` misses the cache on almost every entry once the
    table outgrows it).  Each ``out[k-1]`` accumulates the same blocks in the
    same order (``t = k, k-1, ..., 1``) with the same block sum as
    :func:`_path_error` (:func:`_small_block_sum` for blocks of at most four
    positions, most blocks of the large ``k``), so the values are identical to
    it (tests compare them bit for bit).  A one-position block adds ``+0.0``,
    which leaves every sum unchanged (a sum started at ``+0.0`` is never
    ``-0.0``).  ``O(n (k1 - k0))`` additions, ``O(k1^2)`` table reads.
    """
    Zp = np.empty(n + 3)
    # element loops, not slice assignments: Numba's slice-assignment machinery alone
    # took ~5 s to compile on a first call (empty cache)
    for i in range(n):
        Zp[i] = Z[i]
    for i in range(n, n + 3):
        Zp[i] = Z[n - 1]
    pos = np.empty(k1 + 1, np.int64)
    for k in range(k0, k1 + 1):
        out[k - 1] = 0.0
        pos[k] = n
    U = np.uint64  # unsigned indices: no wrap-around code (see _knuth_kernel)
    for t in range(k1, 0, -1):
        row = A[t]
        for k in range(max(t, k0), k1 + 1):
            m = pos[U(k)]
            j = np.int64(row[U(m)])
            pos[U(k)] = j
            L = m - j
            if L <= 4:
                out[U(k - 1)] += _small_block_sum(Zp, j, L)
            else:
                out[U(k - 1)] += _block_sum(Z, j, m)


@njit(cache=True)
def _all_path_errors_rows(Z, A, n, kmax, out):
    _path_errors_rows(Z, A, n, 1, kmax, out)


@njit(cache=True, parallel=True)
def _all_path_errors_rows_parallel(Z, A, n, splits, out):
    """:func:`_path_errors_rows` on the ``k`` ranges ``(splits[c], splits[c+1]]``, one
    per thread (each ``k`` is computed by one thread: the same values)."""
    for c in prange(splits.size - 1):
        if splits[c + 1] > splits[c]:
            _path_errors_rows(Z, A, n, splits[c] + 1, splits[c + 1], out)


#: ``True``: the first release's Knuth kernel and per-k backtracking (kept for the
#: side-by-side benchmark ``benchmarks/bench_perf_v2.py``; the same optima and
#: argmin tables, and float errors that differ in the last bits only, from its
#: fastmath block sums).
LEGACY = False


def _all_path_errors(Z, A, n, kmax, out):
    if LEGACY:
        # thread start-up costs ~ms: go parallel only for large tables (same values)
        fn = _all_path_errors_parallel if n * kmax > 2_000_000 else _all_path_errors_serial
        if fn is _all_path_errors_parallel:
            start_thread_pool()
        fn(Z, A, n, kmax, out)
        return
    # (the size test first: a small frontier never starts the thread pool)
    if n * kmax > 20_000_000 and (nth := num_threads()) > 1:
        # the work of k is ~ n + k (its blocks plus its table reads): split [1, kmax]
        # into ranges of equal sum_k (n + k) so that the threads finish together
        c = np.cumsum(n + np.arange(1, kmax + 1, dtype=np.float64))
        splits = np.searchsorted(c, c[-1] * np.arange(nth + 1) / nth, side="right")
        splits[0], splits[-1] = 0, kmax
        _all_path_errors_rows_parallel(Z, A, n, splits.astype(np.int64), out)
        return
    _all_path_errors_rows(Z, A, n, kmax, out)


@njit(cache=True)
def _layers_until(Zi, P, Z, t0, kmax, A, opt, prev, cur, gate, eps, switch):
    """Layers ``t0..kmax`` (layer ``t0 - 1`` is in ``prev``), stopping at the first ``t``
    whose schedule has float error ``<= eps``; returns ``t`` or ``-1``.

    Layers ``t < switch`` use divide and conquer (``O(n log n)`` each), later ones
    the Knuth bounds (whose total over all layers is ``O(n^2)``); both produce the
    same exact rightmost argmins, so they can be mixed.  The ``O(n)`` float error
    is evaluated only once the exact optimum ``opt[t]`` is ``<= gate`` (``eps``
    plus the proven rounding margin, in grid units).  On return ``prev`` holds
    the last layer computed.
    """
    n = Zi.size
    stack = np.empty((2 * 64 + 8, 4), dtype=np.int64)
    if t0 == 1:
        _layer_one(Zi, P, A, prev)
        opt[1] = prev[n]
        if opt[1] <= gate and _path_error(Z, A, n, 1) <= eps:
            return 1
        t0 = 2
    for t in range(t0, kmax + 1):
        if t < switch:
            _dnc_layer(Zi, P, t, A, prev, cur, stack)
        else:
            _knuth_layer(Zi, P, t, A, prev, cur)
        opt[t] = cur[n]
        for m in range(t, n + 1):
            prev[m] = cur[m]
        if opt[t] <= gate and _path_error(Z, A, n, t) <= eps:
            return t
    return -1


_KERNELS = {"plain": _plain_kernel, "dnc": _dnc_kernel, "knuth": _knuth_kernel}


# ============================================================================ helpers
def _check_k(k, n, name: str = "k") -> int:
    k = as_int(k, name, minimum=1)
    if k > n:
        raise ValueError(f"{name} must satisfy 1 <= {name} <= {n}, got {k}")
    return k


def _check_eps(eps) -> float:
    """``eps``: a finite non-negative error target."""
    return as_float(eps, "eps", minimum=0.0)


def _check_method(method: str) -> str:
    return as_choice(method, "method", METHODS)


def _alloc_argmins(kmax: int, n: int) -> np.ndarray:
    dtype = np.int16 if n < 2**15 else np.int32
    check_nbytes(float(kmax + 1) * (n + 1) * np.dtype(dtype).itemsize,
                 what=f"the argmin table for n={n}, kmax={kmax}",
                 detail="lower kmax")
    # np.empty + fill rather than np.zeros: a large np.empty is malloc'ed and madvised
    # for transparent huge pages by NumPy, while np.zeros (calloc) faults the table in
    # 4 KiB pages as the DP first writes it -- ~3x the cost of the fill at n = 8192
    A = np.empty((kmax + 1, n + 1), dtype=dtype)
    A.fill(0)
    return A


def _prepare(Z):
    Zarr = validate_curve(Z)
    Zi, scale = rounded_curve(Zarr)
    P = np.zeros(Zi.size + 1, dtype=np.int64)
    np.cumsum(Zi, out=P[1:])
    return Zarr, Zi, P, scale


def _backtrack(A: np.ndarray, n: int, k: int) -> list[int]:
    sizes = []
    m = n
    for t in range(k, 0, -1):
        j = int(A[t, m])
        sizes.append(m - j)
        m = j
    sizes.reverse()
    return sizes


def _solve(Z, kmax: int, method: str):
    Zarr, Zi, P, scale = _prepare(Z)
    n = Zarr.size
    kmax = _check_k(kmax, n)
    A = _alloc_argmins(kmax, n)
    opt = np.zeros(kmax + 1, dtype=np.int64)
    kernel = _knuth_kernel_legacy if LEGACY and method == "knuth" else _KERNELS[method]
    kernel(Zi, P, kmax, A, opt)
    return Zarr, A, opt, scale


# ============================================================================ public API
def optimal_schedule(Z, k: int, *, method: str = "auto") -> OptimalSchedule:
    """The optimal k-step schedule for curve ``Z`` (Thm 4, Eq. "bestkstep").

    Parameters
    ----------
    Z : array_like, shape (n,)
        Information curve, ``Z[j-1] = Z_j`` (any unit).
    k : int
        Number of steps, ``1 <= k <= n``.
    method : {'auto', 'plain', 'dnc', 'knuth'}
        Solver (see module docstring); all give identical results.  ``'auto'``
        picks ``'dnc'`` (``O(k n log n)``) when ``k log2(n) < n``, else
        ``'knuth'`` (``O(n^2)``).

    Returns
    -------
    OptimalSchedule
        ``schedule``, its Thm 1.4 ``error``, ``k`` and the exact integer optimum.

    Notes
    -----
    Memory: an argmin table of ``(k+1)(n+1)`` int16/int32 entries, guarded by
    :func:`mdmtheory.get_max_table_bytes`.
    """
    n = validate_curve(Z).size
    k = _check_k(k, n)
    method = as_choice(method, "method", ("auto",) + METHODS)
    if method == "auto":
        method = "dnc" if k * math.log2(max(n, 2)) < n else "knuth"
    Zarr, A, opt, scale = _solve(Z, k, method)
    s = Schedule(_backtrack(A, n, k), n, name=f"optimal(k={k})")
    err = float(_path_error(Zarr, A, n, k))
    return OptimalSchedule(s, err, k, int(opt[k]), scale, method)


def optimal_frontier(Z, kmax: int | None = None, *, method: str = "knuth") -> Frontier:
    """``OPT_k`` and the optimal schedules for every ``k = 1..kmax`` (default ``n``).

    ``'knuth'`` (default) costs ``O(n^2)`` time for the whole frontier
    (~``n^2/2`` cells; well under a second at ``n = 4096``), ``'dnc'``
    ``O(n^2 log n)`` and ``'plain'`` ``O(n^3)``.  The results are identical.

    Returns
    -------
    Frontier
        ``errors[k-1] = OPT_k`` (float, Thm 1.4 on ``Z``), the exact integer
        optima, and ``.schedule(k)`` for each ``k``.
    """
    Zarr = validate_curve(Z)
    n = Zarr.size
    kmax = n if kmax is None else _check_k(kmax, n, "kmax")
    _check_method(method)
    Zarr, A, opt, scale = _solve(Zarr, kmax, method)
    errs = np.zeros(kmax)
    _all_path_errors(Zarr, A, n, kmax, errs)
    return Frontier(errs, opt[1:].copy(), scale, n, method, A)


def min_steps(Z, eps: float) -> OptimalSchedule:
    """The fewest steps ``k`` whose optimal schedule has error ``<= eps``, and that schedule.

    Runs the exact DP layer by layer and stops at the first ``k`` whose optimal
    schedule has Thm 1.4 error ``<= eps``; this is the smallest such ``k``
    because ``OPT_k`` is nonincreasing in ``k``.  Layers
    ``t < n/log2(n)`` use divide and conquer (``O(n log n)`` each), later ones
    the Knuth bounds (``O(n^2)`` for all of them together), so the cost is
    ``O(min(k* n log n, n^2))``.  The ``(k*+1) x (n+1)`` argmin table is grown
    geometrically (by copying; nothing is recomputed).  The ``O(n)`` float
    error of a layer's schedule is only evaluated once its exact optimum is
    within the rounding margin of ``eps``.

    Notes
    -----
    The search needs only the monotonicity of ``OPT_k``; its convexity (item 12)
    would allow a Lagrangian (WQS) search for ``k*`` in ``O(n log n log C)``
    without the per-layer table, which is not implemented here.

    Parameters
    ----------
    Z : array_like, shape (n,)
    eps : float
        Target error (same unit as ``Z``), ``>= 0``.  ``eps = 0`` is reached at
        the latest with ``k = n``.
    """
    Zarr, Zi, P, scale = _prepare(Z)
    n = Zarr.size
    eps = _check_eps(eps)
    # |float error - opt * h| <= n h (grid rounding) + sum|dev| + n max|dev| (the change
    # made by cleaning the curve, dev = running max - Z) + the float rounding of the
    # termwise sums (< n eps per unit of error); doubled for safety
    dev = np.abs(np.maximum.accumulate(Zarr) - Zarr)
    with np.errstate(over="ignore"):
        margin = 2.0 * (n * scale + float(dev.sum()) + n * float(dev.max())) \
            + 4.0 * n * np.finfo(np.float64).eps * (eps + float(np.abs(Zarr).sum()))
    # the gate in grid units; compared in floating point first, since eps / scale or the
    # margin overflow to inf near the top of the float range
    with np.errstate(over="ignore"):
        g = np.float64(eps + margin) / scale
    gate = 2**62 if not g < 2.0**62 else int(math.floor(g))
    switch = max(2, int(n / math.log2(max(n, 2))))  # D&C below, Knuth from here on
    prev = np.zeros(n + 1, dtype=np.int64)
    cur = np.zeros(n + 1, dtype=np.int64)
    kcap, done = min(n, 64), 0
    A = _alloc_argmins(kcap, n)
    opt = np.zeros(kcap + 1, dtype=np.int64)
    while True:
        k = int(_layers_until(Zi, P, Zarr, done + 1, kcap, A, opt, prev, cur, gate, eps, switch))
        if k > 0 or kcap == n:
            break
        done, kcap = kcap, min(n, 4 * kcap)
        A2 = _alloc_argmins(kcap, n)
        A2[:done + 1] = A
        opt = np.concatenate([opt, np.zeros(kcap - done, dtype=np.int64)])
        A = A2
    if k < 0:  # pragma: no cover - k = n has error exactly 0
        raise AssertionError("k = n must reach error 0")
    s = Schedule(_backtrack(A, n, k), n, name=f"optimal(k={k})")
    return OptimalSchedule(s, float(_path_error(Zarr, A, n, k)), k, int(opt[k]), scale,
                           "dnc+knuth")
