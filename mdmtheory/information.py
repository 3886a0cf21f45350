"""Exact information measures of a dense distribution (Defs 3, 7 and 12 of the paper).

Every function accepts a :class:`~mdmtheory.Distribution` (or an array that
validates as one) and a ``base`` keyword as in :func:`scipy.stats.entropy`:
``base=None`` (default) gives **nats**, ``base=2`` bits, any other positive
``base != 1`` log-base-``base`` units.

Indexing conventions
--------------------
* Subsets of positions are bit masks: bit ``i`` of ``mask`` set <=> position
  ``i`` (0-based) is in the subset.  ``subset_entropies(mu)[mask] = H(X_T)``.
* ``entropy_profile(mu)[m] = e(m)`` for ``m = 0..n`` (length ``n+1``, ``e(0)=0``).
* ``information_curve(mu)[j-1] = Z_j`` for ``j = 1..n`` (length ``n``): the
  paper's 1-based ``Z_j`` sits at Python index ``j-1``; ``Z[0] = Z_1 = 0``.

All exact quantities come from one marginalisation sweep
(:mod:`mdmtheory._kernels`), which touches the ``(q+1)^n`` marginal entries once.
"""

from __future__ import annotations

from math import comb

import numpy as np

from ._kernels import sweep_entropies
from ._validation import (
    SUM_ATOL,
    as_bool,
    as_int,
    as_positions,
    as_real_array,
    check_probability_table,
    check_profile,
    check_table_size,
    log_base_factor,
)
from .distribution import Distribution, as_distribution

__all__ = [
    "subset_entropies",
    "entropy_profile",
    "entropy_increments",
    "information_curve",
    "curve_from_profile",
    "joint_entropy",
    "marginal_entropies",
    "total_correlation",
    "dual_total_correlation",
    "mutual_information_sum",
    "conditional_total_correlation",
    "conditional_entropy",
    "pairwise_mutual_information",
    "leave_one_out_total_correlations",
    "InformationSummary",
    "information_summary",
    "extended_marginal_tensor",
    "kl_divergence",
]


def _check_nthreads(nthreads) -> int | None:
    """``None`` or a positive integer thread count (ValueError otherwise)."""
    return None if nthreads is None else as_int(nthreads, "nthreads", minimum=1)


def _entropy_nats(table: np.ndarray) -> float:
    t = np.asarray(table, dtype=np.float64).ravel()
    t = t[t > 0]
    return float(-(t * np.log(t)).sum())


class _Shape:
    """``n`` and ``q`` of a table swept in place (what the callers read of ``mu``)."""

    __slots__ = ("n", "q")

    def __init__(self, n: int, q: int):
        self.n, self.q = n, q


def _sweep_source(dist):
    """``(mu-like, table, total)``: a valid float64 C-contiguous ndarray is swept as it is.

    Building a :class:`Distribution` would copy the table (to normalise and
    freeze it), doubling the memory of a sweep over a NumPy array.  An array
    that passes the same checks (equal axes, ``q >= 2``, the size budget,
    finite, non-negative, sum within ``SUM_ATOL`` of one) is therefore used in
    place; the entropies of ``p / total`` are ``H_raw / total + log(total)``
    (exact when ``total == 1.0``, else within a few ulps).  Anything else goes
    through :func:`as_distribution`, which raises its usual errors.
    """
    if isinstance(dist, np.ndarray) and dist.dtype == np.float64 and dist.ndim >= 2 \
            and dist.flags.c_contiguous and dist.shape[0] >= 2 \
            and all(d == dist.shape[0] for d in dist.shape):
        q, n = dist.shape[0], dist.ndim
        try:
            check_table_size(q, n, what="distribution table")
            check_probability_table(dist, "table")
        except (ValueError, MemoryError):
            pass  # re-raised below with the Distribution's own message
        else:
            return _Shape(n, q), dist, float(dist.sum())
    mu = as_distribution(dist)
    return mu, mu.p, 1.0


def _run_sweep(dist, base, nthreads, store: bool):
    """One marginalisation sweep: ``(mu, H or None, e)``, all in the unit of ``base``."""
    mu, table, total = _sweep_source(dist)
    factor = log_base_factor(base)  # validate base / nthreads before the sweep
    nthreads = _check_nthreads(nthreads)
    if store:
        check_table_size(2, mu.n, what="vector of 2^n subset entropies")
    H, sums = sweep_entropies(table, mu.n, mu.q, store=store, nthreads=nthreads)
    counts = np.array([comb(mu.n, m) for m in range(mu.n + 1)], dtype=np.float64)
    if total != 1.0:  # entropies of the normalised table p / total
        sums = sums / total + counts * np.log(total)
        if H is not None:
            H /= total
            H += np.log(total)
    e = sums / counts
    e[0] = 0.0  # H(X_empty) = 0 exactly (the sweep returns -s log s of s = sum(p) ~ 1 +- ulp)
    if H is not None:
        H[0] = 0.0
        H /= factor
    return mu, H, e / factor


def subset_entropies(dist, *, base: float | None = None, nthreads: int | None = None
                     ) -> np.ndarray:
    """Entropies ``H(X_T)`` of all ``2^n`` marginals, indexed by bit mask.

    Parameters
    ----------
    dist : Distribution or array_like
        The joint law ``mu`` over ``Sigma^n``.
    base : float, optional
        Logarithm base (default: nats).
    nthreads : int, optional
        Worker threads for the Numba sweep (default: Numba's setting).

    Returns
    -------
    ndarray, shape (2**n,)
        ``H[mask]`` with ``H[0] = 0``.

    Notes
    -----
    Cost ``Theta((q+1)^n)`` time; memory: the ``2^n`` result plus the sweep's
    workspace (about ``1.25 x`` the table for ``q = 2`` and 2 threads, see
    :mod:`mdmtheory._kernels`).  Values do not depend on ``nthreads``.
    """
    return _run_sweep(dist, base, nthreads, store=True)[1]


def entropy_profile(dist, *, base: float | None = None, nthreads: int | None = None
                    ) -> np.ndarray:
    """Entropy profile ``e(m)`` = mean of ``H(X_T)`` over ``|T| = m`` (Def 12).

    Returns an array of length ``n+1`` with ``e[0] = 0`` and ``e[n] = H(X)``.
    Uses the sweep without storing the ``2^n`` subset entropies.
    """
    return _run_sweep(dist, base, nthreads, store=False)[2]


def entropy_increments(profile: np.ndarray) -> np.ndarray:
    """``d_j = e(j) - e(j-1)`` for ``j = 1..n`` (index ``j-1``), paper item 2.

    The profile must be what an entropy profile is: finite, ``e(0) = 0``,
    non-decreasing and concave (Han's inequality), each within ``1e-9`` times
    ``max(1, max|e|)``; anything else raises ``ValueError``.
    """
    e = check_profile(profile, "profile")
    if e.size < 2:
        raise ValueError(f"profile must be 1-D of length n+1 >= 2, got shape {e.shape}")
    return np.diff(e)


def curve_from_profile(profile: np.ndarray) -> np.ndarray:
    """Information curve ``Z_j = d_1 - d_j`` from an entropy profile (item 2 of the paper).

    The profile is checked as in :func:`entropy_increments`; the curve is then
    non-decreasing up to the same tolerance.
    """
    d = entropy_increments(profile)
    Z = d[0] - d
    Z[0] = 0.0
    return Z


def information_curve(dist, *, base: float | None = None, nthreads: int | None = None
                      ) -> np.ndarray:
    """The information curve ``Z(mu)`` of Def. 1.3 (Def 3).

    ``Z_j = E_{i,A}[I(X_i; X_A)]`` with ``i`` uniform on ``[n]`` and ``A`` a
    uniform ``(j-1)``-subset of the other positions, computed exactly through the
    entropy-profile form ``Z_j = d_1 - d_j`` (Lemma 13).

    Returns
    -------
    ndarray, shape (n,)
        ``Z[j-1] = Z_j``; ``Z[0] = 0`` and ``Z`` is nondecreasing (up to rounding
        ~1e-15 per entry, see item 1).
    """
    return curve_from_profile(entropy_profile(dist, base=base, nthreads=nthreads))


def joint_entropy(dist, *, base: float | None = None) -> float:
    """``H(X)`` of the whole sequence."""
    factor = log_base_factor(base)
    mu = as_distribution(dist)
    return _entropy_nats(mu.p) / factor


def marginal_entropies(dist, *, base: float | None = None) -> np.ndarray:
    """``H(X_i)`` for ``i = 0..n-1``."""
    mu = as_distribution(dist)
    return np.array([_entropy_nats(row) for row in mu.marginals()]) / log_base_factor(base)


def _leave_one_out_entropies(mu: Distribution) -> np.ndarray:
    """``H(X_{-i})`` for each ``i`` (one axis summed out)."""
    return np.array([_entropy_nats(mu.p.sum(axis=i)) if mu.n > 1 else 0.0
                     for i in range(mu.n)])


def total_correlation(dist, *, base: float | None = None) -> float:
    """Total correlation ``TC = sum_i H(X_i) - H(X)`` (Def. 1.7) = ``KL(mu || prod_i mu_i)``."""
    mu = as_distribution(dist)
    tc = sum(_entropy_nats(r) for r in mu.marginals()) - _entropy_nats(mu.p)
    return tc / log_base_factor(base)


def dual_total_correlation(dist, *, base: float | None = None) -> float:
    """Dual total correlation ``DTC = H(X) - sum_i H(X_i | X_{-i})`` (Def. 1.7)."""
    mu = as_distribution(dist)
    H = _entropy_nats(mu.p)
    loo = _leave_one_out_entropies(mu)
    return (loo.sum() - (mu.n - 1) * H) / log_base_factor(base)


def mutual_information_sum(dist, *, base: float | None = None) -> float:
    """``sum_i I(X_i; X_{-i})`` (= ``n Z_n`` = TC + DTC; Li–Cai's quantity)."""
    mu = as_distribution(dist)
    H = _entropy_nats(mu.p)
    hi = np.array([_entropy_nats(r) for r in mu.marginals()])
    loo = _leave_one_out_entropies(mu)
    return float(np.sum(hi + loo - H)) / log_base_factor(base)


def _mask_of(positions, n: int, name: str) -> tuple[int, tuple[int, ...]]:
    pos = as_positions(positions, name, n)
    m = 0
    for i in pos:
        m |= 1 << i
    return m, pos


def _H_of(mu: Distribution, positions) -> float:
    positions = sorted(positions)
    return _entropy_nats(mu.marginal(positions)) if positions else 0.0


def conditional_entropy(dist, A, B=(), *, base: float | None = None) -> float:
    """``H(X_A | X_B) = H(X_{A u B}) - H(X_B)``."""
    factor = log_base_factor(base)
    mu = as_distribution(dist)
    (mA, _), (mB, B) = _mask_of(A, mu.n, "A"), _mask_of(B, mu.n, "B")
    AB = [i for i in range(mu.n) if ((mA | mB) >> i) & 1]
    return (_H_of(mu, AB) - _H_of(mu, list(B))) / factor


def conditional_total_correlation(dist, A, B=(), *, base: float | None = None) -> float:
    """``TC(X_A | X_B) = sum_{i in A} H(X_i | X_B) - H(X_A | X_B)``.

    ``A`` and ``B`` must be disjoint.  With ``B`` empty this is ``TC(X_A)``.
    """
    factor = log_base_factor(base)
    mu = as_distribution(dist)
    (mA, A), (mB, B) = _mask_of(A, mu.n, "A"), _mask_of(B, mu.n, "B")
    if mA & mB:
        raise ValueError("A and B must be disjoint")
    hB = _H_of(mu, list(B))
    single = sum(_H_of(mu, list(B) + [i]) - hB for i in A)
    AB = [i for i in range(mu.n) if ((mA | mB) >> i) & 1]
    return (single - (_H_of(mu, AB) - hB)) / factor


def pairwise_mutual_information(dist, *, base: float | None = None) -> np.ndarray:
    """Matrix ``I(X_i; X_j)`` (diagonal: ``H(X_i)``), shape ``(n, n)``."""
    mu = as_distribution(dist)
    hi = marginal_entropies(mu)
    M = np.diag(hi)
    for i in range(mu.n):
        for j in range(i + 1, mu.n):
            M[i, j] = M[j, i] = hi[i] + hi[j] - _entropy_nats(mu.marginal([i, j]))
    return M / log_base_factor(base)


def leave_one_out_total_correlations(dist, *, base: float | None = None) -> np.ndarray:
    """``TC(X_{-i})`` for each ``i``."""
    mu = as_distribution(dist)
    hi = marginal_entropies(mu)
    loo = _leave_one_out_entropies(mu)
    return (hi.sum() - hi - loo) / log_base_factor(base)


def kl_divergence(p, q, *, base: float | None = None) -> float:
    """``KL(p || q) = sum_x p(x) log(p(x)/q(x))``, data first (as in Def 1).

    Parameters
    ----------
    p : Distribution or array_like
        The data law ``mu``.
    q : array_like
        A table with the same number of cells; it may be sub-normalised (mass
        lost to incomplete rollouts), which only increases the KL.
    base : float, optional
        Logarithm base (default: nats).

    Returns
    -------
    float
        ``0 log 0 = 0``; ``inf`` if ``q(x) = 0 < p(x)`` somewhere.

    Raises
    ------
    ValueError
        If ``p`` is not a probability table (finite, non-negative, sums to 1 within
        :data:`~mdmtheory.SUM_ATOL`), if ``q`` is not finite, has negative entries
        (beyond -1e-15 of rounding) or a total mass above ``1 + SUM_ATOL``, or if
        the sizes differ.
    """
    factor = log_base_factor(base)
    pa = (p.p if isinstance(p, Distribution) else check_probability_table(p, "p")).ravel()
    if isinstance(q, Distribution):
        q = q.p
    qa = as_real_array(q, "q").ravel()
    if pa.shape != qa.shape:
        raise ValueError(f"p and q must have the same number of cells; got {pa.size} and "
                         f"{qa.size}")
    if (qa < -1e-15).any():
        raise ValueError("q has negative entries")
    if qa.sum() > 1.0 + SUM_ATOL:
        raise ValueError(f"q must be a (sub-)probability table; its mass is {float(qa.sum())!r}")
    supp = pa > 0
    if np.any(qa[supp] <= 0):
        return float("inf")
    return float(np.sum(pa[supp] * (np.log(pa[supp]) - np.log(qa[supp])))) / factor


class InformationSummary(dict):
    """Result of :func:`information_summary`: a dict with attribute access."""

    __getattr__ = dict.__getitem__

    def __repr__(self) -> str:
        keys = ", ".join(f"{k}={v:.6g}" for k, v in self.items() if np.isscalar(v))
        return f"InformationSummary({keys})"


def information_summary(dist, *, base: float | None = None, nthreads: int | None = None,
                        subsets: bool = False) -> InformationSummary:
    """``Z``, ``e``, TC, DTC, ``sum_i I(X_i;X_-i)`` and ``H(X)`` from one sweep.

    TC and DTC are read off the profile ends (``TC = n e(1) - e(n)``,
    ``DTC = n e(n-1) - (n-1) e(n)``), so this costs one sweep.  With
    ``subsets=True`` the same sweep also keeps every marginal entropy
    (key ``subset_entropies``, as :func:`subset_entropies`).
    """
    mu, H, e = _run_sweep(dist, base, nthreads, store=as_bool(subsets, "subsets"))
    n = mu.n
    Z = curve_from_profile(e)
    tc = n * e[1] - e[n]
    dtc = n * e[n - 1] - (n - 1) * e[n] if n > 1 else 0.0
    out = InformationSummary(Z=Z, profile=e, TC=float(tc), DTC=float(dtc),
                             mutual_information_sum=float(tc + dtc), H=float(e[n]),
                             n=n, q=mu.q, base=base)
    if subsets:
        out["subset_entropies"] = H
    return out


def extended_marginal_tensor(dist) -> np.ndarray:
    """The ``(q+1)^n`` tensor of all marginals (only when asked; memory-guarded).

    Entry ``[x_0, ..., x_{n-1}]`` with ``x_i = q`` meaning "position ``i``
    summed out": e.g. ``T[a, q, q] = mu(X_0 = a)`` for ``n = 3``.
    """
    mu = as_distribution(dist)
    check_table_size(mu.q + 1, mu.n, what="extended (q+1)^n marginal tensor")
    n, q = mu.n, mu.q
    # filled in place, one axis at a time: slot q of axis ax is the sum of slots
    # 0..q-1 over the block already filled (axes < ax extended, axes > ax not yet),
    # added in the order 0, 1, ..., q-1 as numpy's sum over an axis does (the
    # result is bit-identical to concatenating ``T.sum(axis=ax)`` axis by axis)
    T = np.empty((q + 1,) * n)
    T[(slice(0, q),) * n] = mu.p
    for ax in range(n):
        head = (slice(None),) * ax
        tail = (slice(0, q),) * (n - ax - 1)
        dst = T[head + (slice(q, q + 1),) + tail]
        np.add(T[head + (slice(0, 1),) + tail], T[head + (slice(1, 2),) + tail], out=dst)
        for v in range(2, q):
            np.add(dst, T[head + (slice(v, v + 1),) + tail], out=dst)
    return T
