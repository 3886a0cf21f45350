"""Hardness constructions: "uniform vs code" for fixed schedules and realizable step curves.

The fixed-schedule side of the paper's Thm 5 / Thm 24 (uniform law vs MDS codes)
and of Lemma 29 (exact realisation of step curves).  The adaptive side (Defs 22,
23, 26; Thm 24's prior) is :mod:`mdmtheory.adaptive`; the affine codes of
Defs 18-19, Lemma 21 and Thm 25 are :mod:`mdmtheory.affine_codes`.

The family
----------
``mu_d`` is the uniform law on the ``[n, d]`` Reed–Solomon code over the prime
field ``F_p`` (``n <= p``), an MDS code: ``H(X_A) = min(|A|, d) log p``.  So

* ``Z_j = 0`` for ``j <= d`` and ``Z_j = log p`` for ``j > d`` (one jump, at ``d+1``);
* ``TC = (n-d) log p``, ``DTC = d log p``; ``d = n`` is the uniform law;
* a schedule's exact error (Thm 4) is ``(N_{t*} - d) log p`` where ``t*`` is the
  step whose block contains ``d+1``, and 0 when that block *starts* at ``d+1``
  (:func:`mds_error`; Prop 20 with Thm 4).

Indistinguishability: fewer than ``d`` revealed coordinates of a codeword are
uniform and independent, so every conditional marginal an oracle returns is
uniform -- exactly what the uniform law ``mu_n`` returns
(Prop 20; :func:`indistinguishability_report`, :func:`distinguishing_depth`).

Consequence (lower bound on rounds)
-----------------------------------
A schedule's worst error over the family is ``(max_t s_t - 1) log p``
(:func:`family_worst_error`).  So a schedule with error ``<= eps`` on *every*
member needs ``k >= ceil(n / (floor(eps / log p) + 1))`` rounds
(:func:`min_rounds_for_family`); for ``eps < log p`` that is ``k = n`` (only the
all-ones schedule), although each member alone is solved exactly in 2 rounds
``(d, n-d)`` and the uniform law in 1.  An *adaptive* deterministic sampler
gains nothing: until it has revealed ``d`` coordinates of ``mu_d`` its oracle
answers coincide with those on ``mu_n``, so its step sizes up to and including
the step that crosses ``d`` are those it uses on ``mu_n``, and after ``d``
reveals the remaining error is 0.  Counting rounds rather than interior
boundaries, ``n`` rounds are needed (the cut points ``N = 1, ..., n-1`` are
``n - 1`` boundaries, i.e. ``n`` steps).

General step curves
-------------------
:func:`realize_step_curve` builds, for any nondecreasing integer sequence
``c_1 = 0 <= c_2 <= ... <= c_n``, a distribution with ``Z_j = c_j log p``: a
*layered* (alphabet-wise) product of MDS codes, one layer ``[n, j]`` per unit
increment ``c_{j+1} - c_j``, over the alphabet ``F_p^m`` (``m = c_n``).  A
product over *disjoint positions* would not do: random subsets meet each block
hypergeometrically and the curve is no longer a step function.  This is the
exact part of Lemma 29 (approximate realisation of general curves is the cited
theorem of Chen et al. 2009).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from . import families
from .distribution import Distribution, as_distribution
from .schedule import as_schedule
from ._validation import (as_float, as_int, as_real_array, as_tolerance, check_table_size,
                          log_base_factor)

__all__ = [
    "code_family",
    "mds_generator",
    "mds_curve",
    "mds_error",
    "family_errors",
    "family_worst_error",
    "min_rounds_for_family",
    "good_for_family",
    "IndistinguishabilityReport",
    "indistinguishability_report",
    "distinguishing_depth",
    "realize_step_curve",
    "step_curve_levels",
]

#: Tolerance for comparing exact curves/conditionals computed in float64: the
#: entries are sums of at most ``p^n`` probabilities (relative rounding ~1e-15 each),
#: so 1e-9 is far above rounding and far below the smallest nonzero gap (1/p).
ATOL: float = 1e-9


def _prime_field(p: int) -> int:
    p = as_int(p, "p", minimum=2)
    if not families.is_prime(p):
        raise ValueError(f"p must be a prime (the field F_p), got {p}")
    return p


def mds_generator(n: int, d: int, p: int) -> np.ndarray:
    """Generator matrix (``d x n``) of an ``[n, d]`` MDS code over ``F_p``.

    Reed–Solomon (``families.reed_solomon_generator``) when ``n <= p``; for
    ``n > p`` only the codes that are MDS over every field are available:
    repetition (``d = 1``), parity (``d = n-1``) and the full space (``d = n``).
    """
    n, d, p = as_int(n, "n", minimum=1), as_int(d, "d", minimum=1), _prime_field(p)
    if d > n:
        raise ValueError(f"dimension d={d} must be <= n={n}")
    if n <= p:
        return families.reed_solomon_generator(n, d, p)
    if d == n:
        return np.eye(n, dtype=np.int64)
    if d == 1:
        return np.ones((1, n), dtype=np.int64)
    if d == n - 1:
        return np.concatenate([np.eye(n - 1, dtype=np.int64),
                               np.full((n - 1, 1), p - 1, dtype=np.int64)], axis=1)
    raise ValueError(f"no [n={n}, d={d}] MDS code over F_{p} is built here: Reed–Solomon "
                     f"needs n <= p (use a prime p >= {n})")


def code_family(n: int, p: int, dims: Sequence[int] | None = None) -> dict[int, Distribution]:
    """The family ``{d: mu_d}`` of uniform laws on ``[n, d]`` MDS codes over ``F_p``.

    ``dims`` defaults to ``1..n`` (``d = 1`` repetition, ``d = n-1`` parity,
    ``d = n`` uniform).  Each member is a dense table of ``p^n`` cells.
    """
    n, p = as_int(n, "n", minimum=1), _prime_field(p)
    dims = range(1, n + 1) if dims is None else dims
    out = {}
    for d in dims:
        d = as_int(d, "dims", minimum=1, maximum=n)
        out[d] = families.linear_code(mds_generator(n, d, p), p, name=f"MDS[{n},{d}]_{p}")
    return out


def mds_curve(n: int, d: int, q: int, *, base: float | None = None) -> np.ndarray:
    """Closed-form curve of an ``[n, d]`` MDS code over an alphabet of size ``q`` (Prop 20).

    ``Z_j = 0`` for ``j <= d``, ``log q`` for ``j > d`` (``Z[j-1] = Z_j``).
    """
    n, d, q = as_int(n, "n", minimum=1), as_int(d, "d", minimum=1), as_int(q, "q", minimum=2)
    if d > n:
        raise ValueError(f"dimension d={d} must be <= n={n}")
    Z = np.zeros(n)
    Z[d:] = math.log(q) / log_base_factor(base)
    return Z


def mds_error(schedule, d: int, q: int, *, base: float | None = None) -> float:
    """Closed-form exact error of a schedule on an ``[n, d]`` MDS code (Prop 20 with Thm 4).

    Let ``t*`` be the first step with ``N_{t*} > d``.  The error is 0 if
    ``N_{t*-1} = d`` (the block starts at ``d+1``) and ``(N_{t*} - d) log q``
    otherwise: every token of the crossing block after position ``d`` pays
    ``log q``.  ``d = n`` (uniform law) has error 0.
    """
    s = as_schedule(schedule)
    log_base_factor(base)
    d = as_int(d, "d", minimum=1)
    if d > s.n:
        raise ValueError(f"dimension d={d} must be <= n={s.n}")
    q = as_int(q, "q", minimum=2)
    N = s.cumulative
    if d >= s.n:
        return 0.0
    t = int(np.searchsorted(N, d, side="right"))  # first t with N_t > d
    if N[t - 1] == d:
        return 0.0
    return float(N[t] - d) * math.log(q) / log_base_factor(base)


def family_errors(schedule, p: int, *, base: float | None = None,
                  exact: bool = False) -> np.ndarray:
    """Exact error of ``schedule`` on every member ``mu_1..mu_n`` of the code family.

    Returns an array ``err[d-1]`` for ``d = 1..n``.  With ``exact=False`` the
    closed form :func:`mds_error`; with ``exact=True`` Thm 4 on the
    information curve computed by the exact entropy sweep of the actual code
    distributions (``p^n`` cells each) -- the two agree.
    """
    s = as_schedule(schedule)
    p = _prime_field(p)
    if not exact:
        return np.array([mds_error(s, d, p, base=base) for d in range(1, s.n + 1)])
    from .information import information_curve
    from .schedule import left_riemann_error

    fam = code_family(s.n, p)
    return np.array([left_riemann_error(information_curve(fam[d], base=base), s)
                     for d in range(1, s.n + 1)])


def family_worst_error(schedule, q: int, *, base: float | None = None) -> float:
    """``max_d E KL(mu_d)`` over the ``[n, d]`` MDS family = ``(max_t s_t - 1) log q``.

    The maximum is attained at ``d = a_t`` for a longest block.  It equals the
    uniform-step bound of Thm 31's proof (:func:`mdmtheory.bounds.alphabet_step_bound`),
    which is therefore tight on this family.
    """
    s = as_schedule(schedule)
    q = as_int(q, "q", minimum=2)
    return float(int(s.sizes.max()) - 1) * math.log(q) / log_base_factor(base)


def good_for_family(schedule, q: int, eps: float, *, base: float | None = None) -> bool:
    """Whether ``E KL(mu_d) <= eps`` for every ``d = 1..n``."""
    eps = as_float(eps, "eps", minimum=0.0)
    return family_worst_error(schedule, q, base=base) <= eps * (1 + 1e-12)


def min_rounds_for_family(n: int, q: int, eps: float, *, base: float | None = None) -> int:
    """Fewest rounds of a schedule with ``E KL <= eps`` on every ``[n, d]`` MDS code.

    ``k_min = ceil(n / (m + 1))`` with ``m = floor(eps / log q)`` (fixed-schedule
    form of Thm 5): a schedule is good for the whole family iff
    ``max_t s_t <= m + 1``.  For ``eps < log q`` this is ``n``.  Attained by the
    balanced schedule with steps ``m + 1`` (fixed; adaptivity does not help, see
    the module docstring).  Compare: ``mu_d`` alone needs at most 2 rounds, the
    uniform law 1.
    """
    n, q = as_int(n, "n", minimum=1, maximum=2**62), as_int(q, "q", minimum=2)
    eps = as_float(eps, "eps", minimum=0.0)
    unit = math.log(q) / log_base_factor(base)
    m = math.floor(eps / unit * (1 + 1e-12))  # eps exactly k log q counts as k
    return -(-n // (m + 1))


@dataclass(frozen=True)
class IndistinguishabilityReport:
    """Result of :func:`indistinguishability_report`.

    Attributes
    ----------
    max_deviation : float
        ``max |mu(X_i = . | y_U) - nu(X_i = . | y_U)|`` over every revealed set
        ``|U| < depth``, every context ``y_U`` of positive probability under
        ``mu`` and every masked ``i``.
    contexts : int
        Number of ``(U, y_U)`` pairs checked.
    queries : int
        Number of ``(U, y_U, i)`` oracle queries compared.
    support_mismatch : int
        Contexts of positive probability under exactly one of the two laws.
    depth : int
        The bound on ``|U|`` (exclusive).
    """

    max_deviation: float
    contexts: int
    queries: int
    support_mismatch: int
    depth: int

    @property
    def indistinguishable(self) -> bool:
        """No oracle query with fewer than ``depth`` reveals tells the two apart."""
        return self.max_deviation <= ATOL and self.support_mismatch == 0


def _conditional_tables(p: np.ndarray, U: tuple[int, ...]) -> tuple[np.ndarray, list[np.ndarray]]:
    """``P(y_U)`` (shape ``(q,)*|U|``) and, for each ``i`` not in ``U``, ``P(y_U, x_i)``."""
    n = p.ndim
    rest = tuple(a for a in range(n) if a not in U)
    PU = p.sum(axis=rest) if rest else p
    joint = []
    for i in rest:
        drop = tuple(a for a in rest if a != i)
        joint.append(p.sum(axis=drop) if drop else p)  # axes: sorted(U + (i,))
    return PU, joint


def indistinguishability_report(mu, nu=None, *, depth: int) -> IndistinguishabilityReport:
    """Compare every oracle answer of ``mu`` and ``nu`` with fewer than ``depth`` reveals.

    Exhaustive over all revealed sets ``U`` with ``|U| < depth``, all contexts
    ``y_U`` (positive probability under either law) and all masked ``i``.  With
    ``nu=None`` the reference is the uniform law on ``Sigma^n`` (every
    conditional uniform), i.e. Prop 20: *before ``d`` reveals
    every conditional marginal of ``mu_d`` is uniform*.
    """
    mu = as_distribution(mu)
    n, q = mu.n, mu.q
    depth = as_int(depth, "depth", minimum=0)
    if nu is not None:
        nu = as_distribution(nu)
        if nu.shape != mu.shape:
            raise ValueError(f"mu and nu must share (n, q); got {mu.shape} and {nu.shape}")
    worst, contexts, queries, mismatch = 0.0, 0, 0, 0
    for m in range(min(depth, n)):
        for U in itertools.combinations(range(n), m):
            PU, joints = _conditional_tables(mu.p, U)
            if nu is None:
                QU = np.full((q,) * m, float(q) ** -m) if m else np.asarray(1.0)
                qjoints = [np.full((q,) * (m + 1), float(q) ** -(m + 1))] * len(joints)
            else:
                QU, qjoints = _conditional_tables(nu.p, U)
            supp_p, supp_q = np.asarray(PU) > 0, np.asarray(QU) > 0
            mismatch += int(np.count_nonzero(supp_p != supp_q))
            both = supp_p & supp_q
            contexts += int(np.count_nonzero(both))
            rest = [a for a in range(n) if a not in U]
            for i, Jp, Jq in zip(rest, joints, qjoints):
                # axis of x_i inside the sorted (U + i) joint table
                ax = sorted(U + (i,)).index(i)
                cp = np.moveaxis(Jp, ax, -1)
                cq = np.moveaxis(Jq, ax, -1)
                with np.errstate(invalid="ignore", divide="ignore"):
                    dp = cp / np.asarray(PU)[..., None]
                    dq = cq / np.asarray(QU)[..., None]
                dev = np.abs(dp - dq)[both]
                if dev.size:
                    worst = max(worst, float(dev.max()))
                queries += int(np.count_nonzero(both))
    return IndistinguishabilityReport(worst, contexts, queries, mismatch, depth)


def distinguishing_depth(mu, nu=None) -> int | None:
    """Smallest ``|U|`` at which some oracle query tells ``mu`` from ``nu`` apart.

    ``nu=None`` means the uniform law.  Returns ``None`` if no query with any
    ``|U| <= n - 1`` distinguishes them.  For the ``[n, d]`` MDS code against
    the uniform law it is ``d`` (for ``d < n``): ``d`` reveals determine the
    codeword, so the next conditional is a point mass.
    """
    mu = as_distribution(mu)
    for m in range(mu.n):
        if not indistinguishability_report(mu, nu, depth=m + 1).indistinguishable:
            return m
    return None


def step_curve_levels(Z, q_layer: int, *, base: float | None = None,
                      atol: float = ATOL) -> np.ndarray:
    """Integer levels ``c_j = Z_j / log p`` of a step curve with jumps of ``log p``.

    Raises ``ValueError`` if ``Z`` is not such a curve (within ``atol``).
    """
    Zarr = as_real_array(Z, "Z")
    atol = as_tolerance(atol, "atol")
    unit = math.log(as_int(q_layer, "q_layer", minimum=2)) / log_base_factor(base)
    c = np.rint(Zarr / unit)
    if Zarr.ndim != 1 or not np.allclose(Zarr, c * unit, atol=atol, rtol=0):
        raise ValueError("Z is not a step curve with values in log(p) * {0, 1, 2, ...}")
    return c.astype(np.int64)


def realize_step_curve(levels: Sequence[int], p: int, *, verify: bool = True,
                       name: str | None = None) -> Distribution:
    """A distribution whose information curve is ``Z_j = levels[j-1] * log p``.

    Parameters
    ----------
    levels : sequence of int
        ``c_1 = 0 <= c_2 <= ... <= c_n`` (nondecreasing nonnegative integers).
    p : int
        A prime; each layer is an MDS code over ``F_p`` (Reed–Solomon, so
        ``p >= n`` unless every jump is at ``j = 2`` or ``j = n``).
    verify : bool
        Compute the exact curve of the result (entropy sweep) and raise
        ``ValueError`` if it differs from the target by more than :data:`ATOL`.

    Returns
    -------
    Distribution
        Over the alphabet ``F_p^m`` encoded as integers ``0..p^m - 1``
        (``m = c_n``; digit ``r`` of a symbol is layer ``r``), with ``n``
        positions: the product of independent layers, layer ``r`` uniform on an
        ``[n, d_r]`` MDS code, with ``d_r = j`` repeated ``c_{j+1} - c_j`` times.
        Then ``H(X_A) = sum_r min(|A|, d_r) log p`` and ``Z_j = sum_r 1[j > d_r] log p``.
        ``levels`` all zero gives the uniform law on ``F_p^n``.

    Raises
    ------
    MemoryError
        If ``p^(m n)`` cells exceed the memory budget.
    """
    c = np.asarray(levels)
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"levels must be a non-empty 1-D sequence, got shape {c.shape}")
    if not np.issubdtype(c.dtype, np.integer):
        if not np.all(np.isfinite(c)) or not np.all(c == np.round(c)):
            raise ValueError(f"levels must be integers, got {c.tolist()}")
        c = c.astype(np.int64)
    if c[0] != 0:
        raise ValueError(f"levels[0] must be 0 (Z_1 = 0), got {int(c[0])}")
    if np.any(np.diff(c) < 0):
        raise ValueError(f"levels must be nondecreasing, got {c.tolist()}")
    p = _prime_field(p)
    n = c.size
    dims = [j for j in range(1, n) for _ in range(int(c[j] - c[j - 1]))]  # d = j: jump at j+1
    if not dims:
        dims = [n]  # constant-zero curve: one uniform layer
    m = len(dims)
    check_table_size(p ** m, n, what=f"layered code table (alphabet p^m = {p}^{m})")
    layers = [families.linear_code(mds_generator(n, d, p), p).p for d in dims]
    # outer product: axes (layer 0 positions..., layer 1 positions..., ...)
    t = layers[0]
    for L in layers[1:]:
        t = np.multiply.outer(t, L)
    # reorder to (position 0: layer m-1 .. layer 0, position 1: ...) so that the
    # C-order index of a position's m digits is sum_r x^(r) p^r (layer r = digit r).
    order = [r * n + i for i in range(n) for r in reversed(range(m))]
    t = np.transpose(t, order).reshape((p ** m,) * n)
    mu = Distribution(t, name=name or f"layered-MDS(p={p}, levels={c.tolist()})", n=n)
    if verify:
        from .information import information_curve

        Z = information_curve(mu)
        target = c * math.log(p)
        err = float(np.max(np.abs(Z - target)))
        if err > ATOL:  # pragma: no cover - a failure here is a bug, reported loudly
            raise ValueError(f"realized curve differs from the target by {err:.3g}")
    return mu
