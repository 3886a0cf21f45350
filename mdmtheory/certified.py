"""Certified schedules for an estimated information curve.

When ``Z`` is only estimated (Monte Carlo draws from a model's oracle,
:mod:`mdmtheory.montecarlo`), the schedule should be chosen against every
curve the data allow, and its error bounded with a stated confidence.

The error is linear in the curve
--------------------------------
By Thm 4 in weight form, ``E KL(s) = sum_i w_i(s) delta_i`` with
``delta_i = Z_{i+1} - Z_i >= 0`` and non-negative weights ``w_i(s) = N_{t(i)} - i``.

* **Band on the increments** (``kind="increments"``): if
  ``0 <= delta_i <= hi_i`` for all ``i``, the worst case over the band is
  exactly ``sum_i w_i(s) hi_i`` -- Thm 4's error on the curve ``Z^hi =
  cumsum(hi)``.  The min-max schedule is therefore the DP-optimal schedule
  of ``Z^hi`` (:func:`mdmtheory.optimal.optimal_schedule`), and its optimum is
  the certified bound.
* **Band on the curve** (``kind="curve"``): if ``L_j <= Z_j <= H_j`` (both
  tightened to be nondecreasing, as ``Z`` is), every block obeys
  ``sum_{j in B_t} (Z_j - Z_{a_t}) <= sum_{j=a_t+1}^{b_t} (H_j - L_{a_t})``; the
  schedule minimising this decoupled bound is found by the same DP over block
  costs (``O(k n^2)``).  The bound is exact when ``L_{a_t} >= H_{a_t - 1}`` at
  every block start and conservative otherwise.

Simultaneous bands (Bonferroni)
-------------------------------
From ``R`` i.i.d. draws ``D`` of the entropy profile (``D[r, j-1]`` estimates
``d_j``; ``Z_j = d_1 - d_j``, Def 3 and Lemma 13's entropy-profile form), the
band is **simultaneous by Bonferroni**: each of the ``n - 1`` unknowns gets a
Student-t interval at level ``1 - delta/(n-1)`` (one-sided upper bounds on
the paired increments ``d_i - d_{i+1}`` for ``"increments"``; two-sided on
``Z_j``, ``j = 2..n``, for ``"curve"``).  When the per-``j`` intervals cover
at their nominal rate (CLT: large ``R``), the whole band covers with
probability ``>= 1 - delta``, and then the bound holds for *every* schedule at
once -- in particular for the one selected from the same data, so no
cross-fitting is needed.  Hence, with probability ``>= 1 - delta``,
``E KL(s_cert) <= bound``.

References
----------
Chen, Cong & Li (COLT 2026): Def 3, Thm 4 (exact error and its DP), Lemma 13.
C. E. Bonferroni (1936); the simultaneous intervals are the classical
union-bound construction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import stats

from ._validation import as_int
from .montecarlo import ROUNDING_ALLOWANCE, curve_estimate_from_draws
from .optimal import optimal_schedule
from .schedule import Schedule, as_schedule, riemann_weights

__all__ = [
    "CurveBand",
    "CertifiedSchedule",
    "simultaneous_band",
    "worst_case_error",
    "certified_schedule",
]

Kind = Literal["increments", "curve"]


@dataclass(frozen=True)
class CurveBand:
    """A simultaneous confidence band on the information curve or on its increments.

    Attributes
    ----------
    lo, hi : ndarray
        ``kind="increments"``: shape ``(n-1,)``, bounds on ``delta_i = Z_{i+1} - Z_i``
        (``lo = 0``); ``kind="curve"``: shape ``(n,)``, nondecreasing bounds on ``Z_j``
        with ``lo[0] = hi[0] = 0``.
    kind : str
    delta : float
        The band covers with probability ``>= 1 - delta`` (asymptotically in ``R``).
    construction : str
        ``"bonferroni"``.
    n_draws : int
    estimate : ndarray, shape (n,)
        The point estimate of ``Z``.
    """

    lo: np.ndarray = field(repr=False)
    hi: np.ndarray = field(repr=False)
    kind: str
    delta: float
    construction: str
    n_draws: int
    estimate: np.ndarray = field(repr=False)

    @property
    def n(self) -> int:
        return int(self.estimate.size)

    def covers(self, Z_exact) -> bool:
        """Whether the exact curve lies in the band (for coverage studies)."""
        Z = np.asarray(Z_exact, dtype=np.float64)
        if Z.shape != (self.n,):
            raise ValueError(f"Z_exact must have shape ({self.n},), got {Z.shape}")
        tol = 1e-12 * max(1.0, float(np.abs(Z).max(initial=0.0)))
        if self.kind == "increments":
            dz = np.diff(Z)
            return bool(np.all(dz <= self.hi + tol) and np.all(dz >= self.lo - tol))
        return bool(np.all(Z <= self.hi + tol) and np.all(Z >= self.lo - tol))


@dataclass(frozen=True)
class CertifiedSchedule:
    """The schedule minimising the worst-case error over a band, with its certificate.

    Attributes
    ----------
    schedule : Schedule
    bound : float
        ``max`` of Thm 4's error over the band (``"increments"``: exact worst
        case; ``"curve"``: the decoupled upper bound).  With probability
        ``>= 1 - band.delta``, ``E KL(schedule) <= bound``.
    estimated_error : float
        Thm 4's error of ``schedule`` on the point estimate of ``Z``.
    band : CurveBand
    """

    schedule: Schedule
    bound: float
    estimated_error: float
    band: CurveBand = field(repr=False)

    @property
    def k(self) -> int:
        return self.schedule.k


def _check_delta(delta) -> float:
    try:
        d = float(delta)
    except (TypeError, ValueError):
        raise ValueError(f"delta must be a number in (0, 1), got {delta!r}") from None
    if not 0.0 < d < 1.0:
        raise ValueError(f"delta must lie in (0, 1), got {delta!r}")
    return d


def simultaneous_band(D, *, delta: float = 0.05, kind: Kind = "increments") -> CurveBand:
    """A Bonferroni-simultaneous band from per-draw estimates of the entropy profile.

    Parameters
    ----------
    D : ndarray, shape (R, n)
        ``D[r, j-1]`` estimates ``d_j`` (i.i.d. rows), e.g. from
        :func:`mdmtheory.montecarlo.prefix_draws` or
        :func:`~mdmtheory.montecarlo.dense_prefix_draws`; every column evaluated.
    delta : float
        Miscoverage of the whole band.
    kind : {"increments", "curve"}
        One-sided upper bounds on the increments, or two-sided bounds on ``Z``.

    Returns
    -------
    CurveBand
    """
    delta = _check_delta(delta)
    if kind not in ("increments", "curve"):
        raise ValueError(f"kind must be 'increments' or 'curve', got {kind!r}")
    D = np.asarray(D, dtype=np.float64)
    if D.ndim != 2 or D.shape[0] < 2 or D.shape[1] < 2:
        raise ValueError(f"D must have shape (R, n) with R >= 2 and n >= 2, got {D.shape}")
    if not np.isfinite(D).all():
        raise ValueError("D must be finite (every j evaluated)")
    R, n = D.shape
    m = n - 1
    est = D[:, :1] - D
    Zhat = est.mean(axis=0)
    Zhat[0] = 0.0
    allowance = ROUNDING_ALLOWANCE * max(1.0, float(np.abs(D).max()))
    if kind == "increments":
        X = D[:, :-1] - D[:, 1:]  # per-draw d_i - d_{i+1} = delta_i
        mean = X.mean(axis=0)
        se = X.std(axis=0, ddof=1) / math.sqrt(R)
        tq = float(stats.t.ppf(1.0 - delta / m, R - 1))
        hi = np.maximum(mean + tq * se + allowance, 0.0)
        lo = np.zeros(m)
    else:
        ce = curve_estimate_from_draws(D, level=1.0 - delta / m)
        lo = np.maximum.accumulate(np.maximum(np.asarray(ce.Z_lo, dtype=np.float64), 0.0))
        hi = np.minimum.accumulate(np.asarray(ce.Z_hi, dtype=np.float64)[::-1])[::-1]
        lo[0] = hi[0] = 0.0
        hi = np.maximum(hi, lo)
    for a in (lo, hi, Zhat):
        a.setflags(write=False)
    return CurveBand(lo, hi, kind, delta, "bonferroni", int(R), Zhat)


def _curve_block_costs(L: np.ndarray, H: np.ndarray) -> np.ndarray:
    """``C[m, m'] = sum_{j=m+2}^{m'} (H_j - L_{m+1})`` (block ``a = m+1 .. b = m'``)."""
    n = L.size
    PH = np.concatenate([[0.0], np.cumsum(H)])
    m = np.arange(n + 1)[:, None]
    mp = np.arange(n + 1)[None, :]
    a = np.minimum(m + 1, n)  # 1-based block start
    C = (PH[mp] - PH[a]) - (mp - a) * L[a - 1]
    return np.where(mp > m, np.maximum(C, 0.0), np.inf)


def worst_case_error(band: CurveBand, schedule) -> float:
    """The certificate of ``schedule`` over ``band`` (exact worst case for increments).

    ``kind="increments"``: ``sum_i w_i hi_i``; ``kind="curve"``: the decoupled
    bound ``sum_t sum_{j=a_t+1}^{b_t} (H_j - L_{a_t})`` (module docstring).
    """
    s = as_schedule(schedule, band.n)
    if band.kind == "increments":
        return float(riemann_weights(s) @ band.hi)
    C = _curve_block_costs(band.lo, band.hi)
    N = s.cumulative
    return float(sum(C[N[t], N[t + 1]] for t in range(s.k)))


def certified_schedule(band: CurveBand, k: int) -> CertifiedSchedule:
    """The ``k``-step schedule minimising :func:`worst_case_error` over ``band``.

    Parameters
    ----------
    band : CurveBand
        From :func:`simultaneous_band`.
    k : int
        Number of steps, ``1 <= k <= n``.

    Returns
    -------
    CertifiedSchedule
        With probability ``>= 1 - band.delta``: ``E KL(schedule) <= bound``.

    Examples
    --------
    >>> import numpy as np
    >>> from mdmtheory import families
    >>> from mdmtheory.montecarlo import dense_prefix_draws
    >>> mu = families.binary_symmetric_chain(6, 0.2)
    >>> rng = np.random.default_rng(0)
    >>> x = mu.sample(400, rng)
    >>> perms = np.argsort(rng.random((400, 6)), axis=1)
    >>> band = simultaneous_band(dense_prefix_draws(mu, x, perms), delta=0.05)
    >>> cert = certified_schedule(band, 3)
    >>> cert.schedule.k, cert.bound >= cert.estimated_error
    (3, True)
    """
    if not isinstance(band, CurveBand):
        raise TypeError(f"band must be a CurveBand, got {type(band).__name__}")
    n = band.n
    k = as_int(k, "k", minimum=1)
    if k > n:
        raise ValueError(f"k must be <= n={n}, got {k}")
    from .schedule import left_riemann_error

    if band.kind == "increments":
        Zhi = np.concatenate([[0.0], np.cumsum(band.hi)])
        opt = optimal_schedule(Zhi, k)
        s = opt.schedule
    else:
        C = _curve_block_costs(band.lo, band.hi)
        F = np.full((k + 1, n + 1), np.inf)
        arg = np.zeros((k + 1, n + 1), dtype=np.int64)
        F[0, 0] = 0.0
        for t in range(1, k + 1):
            v = F[t - 1][:, None] + C  # (m, m')
            v[:t - 1] = np.inf
            arg[t] = np.argmin(v, axis=0)
            F[t] = v[arg[t], np.arange(n + 1)]
        sizes, m = [], n
        for t in range(k, 0, -1):
            sizes.append(m - int(arg[t, m]))
            m = int(arg[t, m])
        s = Schedule(list(reversed(sizes)), n)
    Zest = np.maximum.accumulate(np.maximum(band.estimate, 0.0))
    return CertifiedSchedule(s, worst_case_error(band, s), left_riemann_error(Zest, s), band)
