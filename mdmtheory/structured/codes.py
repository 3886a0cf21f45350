"""Information curves of uniform laws on linear codes over ``F_p`` (Example 1, Def 17, Prop 20).

If ``X = u G`` with ``u`` uniform on ``F_p^d`` and ``G`` a ``d x n`` generator matrix,
then ``X_T = u G_T`` is uniform on the column space of ``G_T``, so

    H(X_T) = rank_p(G_T) log p                                            [D]

(rank over ``F_p``; ``G`` may be rank-deficient).  Everything below reduces to ranks:

* :func:`code_entropy_profile` / :func:`code_information_curve`: exact, by a
  depth-first enumeration of all ``2^n`` subsets that keeps an incremental
  echelon basis (one column reduction, ``O(d rank)``, per subset): ``O(2^n d^2)``
  time, ``O(n d)`` memory, for ``n <= 24`` by default.
* :func:`mds_information_curve` / :func:`reed_solomon_information_curve`: the closed
  form for an ``[n, d]`` MDS code (Prop 20): ``H(X_A) = min(|A|, d) log q``,
  hence ``Z_j = 0`` for ``j <= d`` and ``log q`` for ``j > d``, at any ``n``.
* :func:`code_tc_dtc`: exact TC and DTC at any ``n`` from ``n + 1`` ranks:
  ``TC = (sum_i rank(g_i) - rank G) log p`` and
  ``DTC = (sum_i rank(G_{-i}) - (n-1) rank G) log p`` (Def 7 with the rank formula).
* :func:`code_curve_monte_carlo`: Monte Carlo over random permutations for large
  non-MDS codes, with per-``j`` confidence intervals: one reduced row echelon form
  of ``G[:, pi]`` per draw gives the rank of *every* prefix, and (Rao–Blackwellised)
  the number of masked columns outside the span of each prefix.
"""

from __future__ import annotations

import itertools
import math
from math import comb

import numpy as np
from numba import njit

from .._validation import as_int, as_int_array, as_positions, check_nbytes, log_base_factor
from ..families import is_prime
from ..montecarlo import CurveEstimate, curve_estimate_from_draws

__all__ = [
    "check_generator",
    "rank_mod_p",
    "code_subset_entropy",
    "code_entropy_profile",
    "code_information_curve",
    "code_tc_dtc",
    "example1_counts",
    "example1_tc_dtc",
    "is_mds",
    "mds_entropy_profile",
    "mds_information_curve",
    "reed_solomon_information_curve",
    "code_prefix_draws",
    "code_curve_monte_carlo",
]


# ============================================================================ validation
def check_generator(generator, p: int, *, name: str = "generator") -> tuple[np.ndarray, int]:
    """Validate a generator matrix over ``F_p``; returns ``(G mod p as int64 (d, n), p)``.

    Raises
    ------
    ValueError
        If ``p`` is not a prime, ``p >= 2^31`` (products must fit in int64), or
        ``G`` is not a non-empty integer matrix.
    """
    p = as_int(p, "p", minimum=2)
    if not is_prime(p):
        raise ValueError(f"p must be prime (a field F_p), got {p}")
    if p >= 2 ** 31:
        raise ValueError(f"p must be < 2^31 so that products fit in int64, got {p}")
    G = np.asarray(generator) if isinstance(generator, np.ndarray) else generator
    if isinstance(G, np.ndarray) and G.dtype == bool:
        G = G.astype(np.int64)
    G = as_int_array(G, name)
    if G.ndim != 2 or G.shape[0] < 1 or G.shape[1] < 1:
        raise ValueError(f"{name} must have shape (d, n) with d, n >= 1, got {G.shape}")
    G = np.mod(G, p)
    return np.ascontiguousarray(G), p


# ============================================================================ F_p kernels
@njit(cache=True)
def _inv_mod(a, p):
    """Inverse of ``a`` (nonzero mod prime ``p``) by the extended Euclidean algorithm."""
    t, newt = 0, 1
    r, newr = p, a % p
    while newr != 0:
        qq = r // newr
        t, newt = newt, t - qq * newt
        r, newr = newr, r - qq * newr
    if t < 0:
        t += p
    return t


@njit(cache=True)
def _rref_inplace(A, p, prefix_rank):
    """Reduced row echelon form of ``A`` (d x n, entries in [0, p)) in place.

    ``prefix_rank[k]`` = rank of the first ``k`` columns (``k = 0..n``).  Returns the rank.

    Row indices are cast to ``uint64`` and the reductions mod ``p`` are unsigned
    (every term is non-negative): no negative-index wrap-around code and no sign
    fix-up of Python's ``%`` (the same integers).
    """
    U = np.uint64  # see the note above
    up = U(p)
    d, n = A.shape
    rank = 0
    prefix_rank[0] = 0
    for c in range(n):
        if rank < d:
            r = -1
            for i in range(rank, d):
                if A[i, c] != 0:
                    r = i
                    break
            if r >= 0:
                ur = U(rank)
                if r != rank:
                    for k in range(n):
                        tmp = A[U(r), k]
                        A[U(r), k] = A[ur, k]
                        A[ur, k] = tmp
                iv = _inv_mod(A[ur, c], p)
                for k in range(n):
                    A[ur, k] = U(A[ur, k] * iv) % up
                for i in range(d):
                    if i != rank:
                        f = A[i, c]
                        if f != 0:
                            g = p - f
                            for k in range(c, n):
                                A[i, k] = U(A[i, k] + g * A[ur, k]) % up
                rank += 1
        prefix_rank[c + 1] = rank
    return rank


@njit(cache=True)
def _rank_sums_kernel(G, p):
    """``sums[m] = sum_{|T| = m} rank_p(G_T)`` over all ``2^n`` subsets (int64).

    Subsets are visited in binary-counter order with position ``k`` at bit
    ``n-1-k``; going from counter ``c-1`` to ``c`` includes position ``p0`` and
    excludes every position after it, so the echelon basis of the prefix
    ``0..p0-1`` (the first ``top_after[p0-1]`` stored vectors) is reused and only
    column ``p0`` is reduced: ``O(d * rank)`` per subset.

    Indices are cast to ``uint64`` where the arrays are read: Numba adds
    negative-index wrap-around code to every signed index it cannot prove
    non-negative (pivot rows loaded from arrays, ranks, positions); all are
    non-negative, so the cast changes the machine code only (the same integer sums).
    The reduction mod ``p`` of the inner loop is unsigned too (no sign fix-up).
    """
    U = np.uint64  # unsigned indices: see the note above
    up = U(p)
    d, n = G.shape
    sums = np.zeros(n + 1, np.int64)
    maxb = min(n, d)
    basis = np.zeros((maxb + 1, d), np.int64)
    piv = np.zeros(maxb + 1, np.int64)
    top_after = np.zeros(n, np.int64)
    inc = np.zeros(n, np.bool_)
    v = np.empty(d, np.int64)
    size = 0
    total = np.int64(1) << n
    for c in range(1, total):
        prev = c - 1
        t = 0
        while prev & 1:
            prev >>= 1
            t += 1
        p0 = n - 1 - t
        for k in range(p0 + 1, n):
            if inc[U(k)]:
                inc[U(k)] = False
                size -= 1
        inc[U(p0)] = True
        size += 1
        top = top_after[U(p0 - 1)] if p0 > 0 else 0
        if top < d:
            for i in range(d):
                v[i] = G[i, U(p0)]
            for b in range(top):
                coef = v[U(piv[b])]
                if coef != 0:
                    g = p - coef
                    for i in range(d):  # unsigned modulo: no sign fix-up (terms >= 0)
                        v[i] = U(v[i] + g * basis[b, i]) % up
            r = -1
            for i in range(d):
                if v[i] != 0:
                    r = i
                    break
            if r >= 0:
                iv = _inv_mod(v[r], p)
                for i in range(d):
                    basis[U(top), i] = (v[i] * iv) % p
                piv[U(top)] = r
                top += 1
        for k in range(p0, n):
            top_after[U(k)] = top
        sums[U(size)] += top
    return sums


def rank_mod_p(matrix, p: int) -> int:
    """Rank over ``F_p`` of an integer matrix (entries taken mod ``p``).

    Gaussian elimination, ``O(d n min(d, n))``.
    """
    G, p = check_generator(matrix, p, name="matrix")
    return int(_rref_inplace(G.copy(), p, np.zeros(G.shape[1] + 1, np.int64)))


def code_subset_entropy(generator, p: int, positions, *, base: float | None = None) -> float:
    """``H(X_T) = rank_p(G_T) log p`` for the uniform law on the code (0 for ``T`` empty)."""
    G, p = check_generator(generator, p)
    T = np.array(as_positions(positions, "positions", G.shape[1]), dtype=np.int64)
    if T.size == 0:
        return 0.0
    return rank_mod_p(G[:, T], p) * math.log(p) / log_base_factor(base)


# ============================================================================ exact curves
def code_entropy_profile(generator, p: int, *, base: float | None = None, max_n: int = 24
                         ) -> np.ndarray:
    """Exact entropy profile ``e(m)`` (Def 12) of the uniform law on a linear code.

    ``e(m) = log p * mean_{|T| = m} rank_p(G_T)`` by enumerating all ``2^n`` subsets
    (integer rank sums, so the only rounding is the final division).

    Parameters
    ----------
    generator : array_like of int, shape (d, n)
    p : int
        Prime field size.
    base : float, optional
    max_n : int
        Refuse ``n > max_n`` (time ``~2^n d^2``); use :func:`code_curve_monte_carlo`
        or, for MDS codes, :func:`mds_information_curve` instead.

    Returns
    -------
    ndarray, shape (n+1,)
    """
    G, p = check_generator(generator, p)
    d, n = G.shape
    max_n = as_int(max_n, "max_n", minimum=1)
    if n > max_n:
        raise ValueError(f"exact enumeration of 2^{n} subsets refused (n > max_n={max_n}); "
                         "use code_curve_monte_carlo, or mds_information_curve for MDS codes")
    sums = _rank_sums_kernel(G, p)
    counts = np.array([comb(n, m) for m in range(n + 1)], dtype=np.float64)
    return sums.astype(np.float64) / counts * (math.log(p) / log_base_factor(base))


def code_information_curve(generator, p: int, *, base: float | None = None, max_n: int = 24
                           ) -> np.ndarray:
    """Exact information curve ``Z_j = d_1 - d_j`` (Lemma 13) of a code, by enumeration.

    See :func:`code_entropy_profile`; ``Z[j-1] = Z_j``, ``Z[0] = 0``.
    """
    e = code_entropy_profile(generator, p, base=base, max_n=max_n)
    d = np.diff(e)
    Z = d[0] - d
    Z[0] = 0.0
    return Z


def code_tc_dtc(generator, p: int, *, base: float | None = None) -> tuple[float, float]:
    """Exact ``(TC, DTC)`` (Def 7, Example 1 in rank form) of the uniform law on a code, any ``n``.

    ``TC = (sum_i rank(g_i) - rank G) log p`` and
    ``DTC = (sum_i rank(G_{-i}) - (n-1) rank G) log p``; ``n + 2`` rank computations.
    """
    G, p = check_generator(generator, p)
    d, n = G.shape
    rG = rank_mod_p(G, p)
    r1 = int(np.count_nonzero(G.any(axis=0)))
    loo = sum(rank_mod_p(np.delete(G, i, axis=1), p) for i in range(n)) if n > 1 else 0
    fac = math.log(p) / log_base_factor(base)
    return (r1 - rG) * fac, (loo - (n - 1) * rG) * fac


def example1_counts(generator, p: int) -> tuple[int, int]:
    """Example 1's counts ``(kappa, ell)`` for the code ``V = {M u}`` with ``M = G^T``.

    ``kappa = #{i : M_i = 0}`` (zero rows; the paper's "k") and
    ``ell = #{i : M_i not in span{M_j : j != i}}`` (``rank G_{-i} < rank G``).
    Example 1: ``TC = (n - d - kappa) log q`` and ``DTC = (d - ell) log q``.
    """
    G, p = check_generator(generator, p)
    d, n = G.shape
    rG = rank_mod_p(G, p)
    if rG != d:
        raise ValueError(f"Example 1 needs a full-rank generator (rank {rG} < d = {d})")
    kappa = int(n - np.count_nonzero(G.any(axis=0)))
    ell = sum(1 for i in range(n) if rank_mod_p(np.delete(G, i, axis=1), p) < rG) if n > 1 \
        else int(rG > 0)
    return kappa, ell


def example1_tc_dtc(generator, p: int, *, base: float | None = None) -> tuple[float, float]:
    """Example 1 as printed: ``TC = (n - d - kappa) log q``, ``DTC = (d - ell) log q``."""
    G, p = check_generator(generator, p)
    d, n = G.shape
    kappa, ell = example1_counts(G, p)
    fac = math.log(p) / log_base_factor(base)
    return (n - d - kappa) * fac, (d - ell) * fac


def is_mds(generator, p: int, *, max_subsets: int = 2_000_000) -> bool:
    """Whether the code is MDS: full row rank ``d`` and every ``d`` columns independent.

    Checks all ``C(n, d)`` column subsets (refused above ``max_subsets``).
    """
    G, p = check_generator(generator, p)
    d, n = G.shape
    if d > n or rank_mod_p(G, p) != d:
        return False
    max_subsets = as_int(max_subsets, "max_subsets", minimum=1)
    if comb(n, d) > max_subsets:
        raise ValueError(f"checking C({n}, {d}) = {comb(n, d):,} subsets refused "
                         f"(max_subsets={max_subsets:,})")
    buf = np.zeros(d + 1, np.int64)
    for cols in itertools.combinations(range(n), d):
        if _rref_inplace(G[:, list(cols)].copy(), p, buf) != d:
            return False
    return True


def mds_entropy_profile(n: int, d: int, q: int, *, base: float | None = None) -> np.ndarray:
    """Closed form ``e(m) = min(m, d) log q`` of an ``[n, d]`` MDS code (Prop 20)."""
    n = as_int(n, "n", minimum=1)
    d = as_int(d, "d", minimum=0)
    q = as_int(q, "q", minimum=2)
    if d > n:
        raise ValueError(f"dimension d={d} must be <= n={n}")
    check_nbytes(8.0 * (n + 1), what=f"profile of n={n} positions")
    return np.minimum(np.arange(n + 1), d) * (math.log(q) / log_base_factor(base))


def mds_information_curve(n: int, d: int, q: int, *, base: float | None = None) -> np.ndarray:
    """Closed form of ``Z`` for an ``[n, d]`` MDS code, any ``n`` (Prop 20).

    ``Z_j = 0`` for ``j <= d`` and ``log q`` for ``j > d``; ``d = 0`` (a point mass)
    gives ``Z = 0``.  TC ``= (n-d) log q``, DTC ``= d log q`` follow by summing.
    """
    n = as_int(n, "n", minimum=1)
    d = as_int(d, "d", minimum=0)
    q = as_int(q, "q", minimum=2)
    if d > n:
        raise ValueError(f"dimension d={d} must be <= n={n}")
    check_nbytes(8.0 * (n + 1), what=f"profile of n={n} positions")
    Z = np.zeros(n)
    if d >= 1:
        Z[d:] = math.log(q) / log_base_factor(base)
    return Z


def reed_solomon_information_curve(n: int, d: int, p: int, *, base: float | None = None
                                   ) -> np.ndarray:
    """Closed-form ``Z`` of the ``[n, d]`` Reed–Solomon code over ``F_p`` (``n <= p``).

    Reed–Solomon codes are MDS, so this is :func:`mds_information_curve`; it
    validates that the code exists (``p`` prime, ``1 <= d <= n <= p``, as
    :func:`mdmtheory.families.reed_solomon_generator`).
    """
    n = as_int(n, "n", minimum=1)
    d = as_int(d, "d", minimum=1)
    p = as_int(p, "p", minimum=2)
    if not is_prime(p):
        raise ValueError(f"p must be prime, got {p}")
    if n > p:
        raise ValueError(f"Reed–Solomon needs n <= p distinct evaluation points; n={n} > p={p}")
    return mds_information_curve(n, d, p, base=base)


# ============================================================================ Monte Carlo
@njit(cache=True)
def _code_draws_kernel(G, p, perms, rao_blackwell, out):
    """Per-permutation increments of the prefix rank (in units of log p).

    Indices loaded from arrays are cast to ``uint64`` (no wrap-around code; see
    :func:`_rank_sums_kernel`).
    """
    U = np.uint64
    d, n = G.shape
    R = perms.shape[0]
    A = np.empty((d, n), np.int64)
    pr = np.zeros(n + 1, np.int64)
    last = np.empty(n, np.int64)
    hist = np.zeros(d + 2, np.int64)
    for r in range(R):
        for i in range(d):
            for c in range(n):
                A[i, c] = G[i, U(perms[r, c])]
        _rref_inplace(A, p, pr)
        if not rao_blackwell:
            for j in range(1, n + 1):
                out[r, j - 1] = pr[j] - pr[j - 1]
            continue
        for c in range(n):
            L = -1
            for i in range(d - 1, -1, -1):
                if A[i, c] != 0:
                    L = i
                    break
            last[c] = L
        for i in range(d + 2):
            hist[i] = 0
        # k = number revealed (prefix length) = j - 1, from n-1 down to 0
        for k in range(n - 1, -1, -1):
            hist[U(last[k] + 1)] += 1  # column k joins the masked suffix
            Rk = pr[k]
            cnt = 0
            for L1 in range(Rk + 1, d + 1):  # L >= Rk  <=>  L + 1 >= Rk + 1
                cnt += hist[U(L1)]
            out[r, k] = cnt / (n - k)


def code_prefix_draws(generator, p: int, perms: np.ndarray, *, rao_blackwell: bool = True
                      ) -> np.ndarray:
    """``D[r, j-1]``: draw ``r``'s unbiased estimate of ``d_j`` in units of ``log p``.

    With the revealed set ``S = perms[r, :j-1]``: ``rank(G_{S + pi_j}) - rank(G_S)``
    (plain), or the fraction of masked columns outside ``span(G_S)``
    (Rao–Blackwellised: the conditional expectation of the plain estimate given
    ``S``), read off one RREF of ``G[:, perms[r]]``: column ``c`` is outside the span
    of the first ``k`` columns iff its last nonzero RREF row is ``>= rank`` of the
    prefix.  Cost ``O(d n min(d, n))`` per draw.
    """
    G, p = check_generator(generator, p)
    perms = np.ascontiguousarray(as_int_array(perms, "perms"), dtype=np.int64)
    n = G.shape[1]
    if perms.ndim != 2 or perms.shape[1] != n:
        raise ValueError(f"perms must have shape (R, {n}), got {perms.shape}")
    if not np.array_equal(np.sort(perms, axis=1), np.broadcast_to(np.arange(n), perms.shape)):
        raise ValueError("each row of perms must be a permutation of range(n)")
    out = np.empty(perms.shape, dtype=np.float64)
    _code_draws_kernel(G, p, perms, bool(rao_blackwell), out)
    return out


def code_curve_monte_carlo(generator, p: int, n_draws: int = 1000, seed=None, *,
                           level: float = 0.95, rao_blackwell: bool = True,
                           base: float | None = None) -> CurveEstimate:
    """Monte Carlo ``Z`` with per-``j`` intervals for a (large, non-MDS) linear code.

    Each draw is a uniform random permutation ``pi``; no sample of ``X`` is needed
    because ``H(X_T)`` is known from ranks, so the only randomness is the subset
    (Lemma 13: ``d_j = E_{S, i} H(X_i | X_S)``).  Rows share the permutation across
    ``j`` and are fed to :func:`mdmtheory.montecarlo.curve_estimate_from_draws`.

    Parameters
    ----------
    generator : array_like of int, shape (d, n)
    p : int
    n_draws : int
        Number of permutations (>= 2).
    seed : int or Generator, optional
    level : float
    rao_blackwell : bool
        Average over all masked columns (default; lower variance).
    base : float, optional

    Returns
    -------
    CurveEstimate
        ``form="entropy"``.
    """
    G, p = check_generator(generator, p)
    n_draws = as_int(n_draws, "n_draws", minimum=2)
    check_nbytes(16.0 * n_draws * G.shape[1], what=f"n_draws={n_draws} permutations")
    rng = np.random.default_rng(seed)
    perms = np.argsort(rng.random((n_draws, G.shape[1])), axis=1)
    D = code_prefix_draws(G, p, perms, rao_blackwell=rao_blackwell)
    D *= math.log(p) / log_base_factor(base)
    return curve_estimate_from_draws(D, level=level, form="entropy")
