"""The paper's own schedule constructions (Chen–Cong–Li, Thm 9, App. D, Thm 10, Cor 34, Rem 32).

These are the schedules *as the paper builds them*, beside the package's sharper
greedy rules (:mod:`mdmtheory.schedule_rules`).  Each depends only on ``n``, the
target error ``eps`` and an estimate of TC or DTC, never on the distribution.

=================================  =============================================================
function                           paper item
=================================  =============================================================
:func:`thm9_tc_schedule`           Thm 9, TC schedule (App. D): geometric shrinking, unit tail
:func:`thm9_dtc_schedule`          Thm 9, DTC schedule: the mirror image (unit head, growth)
:func:`thm9_step_bound`            Thm 9: ``k <= 2 + (1 + ln n)(1 + ceil(T/eps))``
:func:`app_d_grid`                 App. D sweep grid ``H`` (corrected, erratum E5)
:func:`app_d_sweep`                App. D: the ``2|H|`` candidate schedules (paper: ``|H|^2`` pairs)
:func:`app_d_sweep_queries`        App. D: runs and total queries of either sweep
:func:`thm10_schedule`             Thm 10 (Austin), corrected explicit form (erratum E6)
:func:`thm10_proof_schedule`       Thm 10, the proof's literal schedule (can leave positions masked)
:func:`cor34_schedule`             Cor 34: ``floor(DTC/delta^2)`` unit steps, then one block
:func:`rem32_uniform_schedule`     Rem 32: uniform steps ``s = 1 + floor(eps/Z_n)``
:func:`worst_case_ratio`           ``max_i w_i/(n-i)`` or ``max_i w_i/i`` in exact rationals
:func:`guarantee_holds`            ``sup{E KL : TC <= T} <= eps`` (resp. DTC), all curves at once
=================================  =============================================================

Worst case over all distributions (weight form of Thm 4 / Thm 16)
-----------------------------------------------------------------
With ``delta_i = Z_{i+1} - Z_i >= 0`` and ``w_i = N_{t(i)} - i`` (``N`` the partial
sums, ``t(i)`` the block of position ``i``), ``E KL = sum_i w_i delta_i``,
``TC = sum_i (n-i) delta_i`` and ``DTC = sum_i i delta_i``.  Hence

    ``sup{E KL : TC(mu) <= T} = T * max_i w_i/(n-i)``,
    ``sup{E KL : DTC(mu) <= D} = D * max_i w_i/i``,

attained by a single-jump curve, i.e. by an MDS code ``[n, i]`` (Prop 20).  So a
schedule's guarantee "``E KL <= eps`` for every ``mu`` with ``TC(mu) <= T``" is
exactly ``T * max_i w_i/(n-i) <= eps`` -- :func:`guarantee_holds` decides it in
exact rational arithmetic.

Empty steps
-----------
The paper's Thm 9 schedules contain steps of size 0 (the geometric phase stalls
once fewer than ``zeta`` positions remain).  Each still costs one query, so the
paper counts them in ``k``; they do not change the error.  :class:`PaperSchedule`
keeps them (``sizes``) and gives the equivalent :class:`~mdmtheory.Schedule`
without them (``schedule``).

Units: ``eps`` and the estimates ``T``, ``D`` must be in the same unit (the paper
uses bits); step counts use the natural log (``ln n``), as in the paper.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np

from ._validation import as_float, as_int, as_int_array, check_nbytes

#: Largest length whose int64 schedule sizes and sums cannot overflow.
_MAX_N = 2**62
from .schedule import Schedule

__all__ = [
    "PaperSchedule",
    "thm9_zeta",
    "thm9_lambda",
    "thm9_tc_schedule",
    "thm9_dtc_schedule",
    "thm9_step_bound",
    "app_d_grid",
    "app_d_sweep",
    "app_d_sweep_queries",
    "thm10_schedule",
    "thm10_proof_schedule",
    "Thm10ProofSchedule",
    "cor34_schedule",
    "rem32_uniform_schedule",
    "schedule_weights",
    "worst_case_ratio",
    "worst_case_error",
    "guarantee_holds",
]

Kind = Literal["tc", "dtc"]


@dataclass(frozen=True)
class PaperSchedule:
    """A schedule as a paper construction returns it: sizes ``>= 0`` summing to ``n``.

    Attributes
    ----------
    sizes : tuple of int
        ``s_1..s_k`` including empty steps (``s_t = 0``), which cost one query each.
    construction : str
        Which item built it (e.g. ``"Thm 9 TC"``).
    """

    sizes: tuple[int, ...]
    construction: str

    @property
    def n(self) -> int:
        return int(sum(self.sizes))

    @property
    def k(self) -> int:
        """Number of queries, empty steps included (the paper's count)."""
        return len(self.sizes)

    @property
    def empty_steps(self) -> int:
        return sum(1 for s in self.sizes if s == 0)

    @property
    def schedule(self) -> Schedule:
        """The same unmasking with empty steps removed (same error, ``k - empty_steps`` steps)."""
        return Schedule([s for s in self.sizes if s > 0], self.n, name=self.construction)


# ----------------------------------------------------------------------------- inputs
def _positive(x, name: str, *, allow_zero: bool = False) -> float:
    return as_float(x, name, minimum=0.0, strict_minimum=not allow_zero)


def _ceil_ratio(num: float, den: float) -> int:
    """``ceil(num/den)`` in exact rationals of the two floats (no rounding surprise)."""
    return math.ceil(Fraction(num) / Fraction(den))


# ----------------------------------------------------------------------------- Thm 9
def thm9_zeta(estimate: float, eps: float) -> int:
    """``zeta = 1 + ceil(T/eps)`` (Thm 9, App. D); ``T`` is the TC (or DTC) estimate."""
    T = _positive(estimate, "estimate", allow_zero=True)
    e = _positive(eps, "eps")
    return 1 + _ceil_ratio(T, e)


def thm9_lambda(n: int, zeta: int) -> int:
    """Length of the geometric phase, ``Lambda = floor(ln(n - zeta + 1)/ln(zeta/(zeta-1))) + 2``.

    The paper calls it lambda (App. D).  Needs ``2 <= zeta <= n``.
    """
    n = as_int(n, "n", minimum=1, maximum=_MAX_N)
    zeta = as_int(zeta, "zeta", minimum=2)
    if zeta > n:
        raise ValueError(f"zeta must be <= n = {n}, got {zeta}")
    return int(math.floor(math.log(n - zeta + 1) / math.log(zeta / (zeta - 1)))) + 2


def _thm9_special(n: int, zeta: int, what: str) -> PaperSchedule | None:
    if zeta == 1:  # estimate 0 (erratum E4): a product measure, one step is exact
        return PaperSchedule((n,), what)
    if zeta >= n + 1:
        return PaperSchedule((1,) * n, what)
    return None


def _tc_partial_sums(n: int, zeta: int) -> list[int]:
    lam = thm9_lambda(n, zeta)
    N = [0]
    for _ in range(lam):
        N.append(N[-1] + (n - N[-1]) // zeta)  # floor(N + (n - N)/zeta)
    while N[-1] < n:
        N.append(N[-1] + 1)
    return N


def thm9_tc_schedule(n: int, tc_estimate: float, eps: float) -> PaperSchedule:
    """The TC schedule of Thm 9 (App. D), exactly as constructed in the paper.

    ``zeta = 1 + ceil(T/eps)``; ``N_0 = 0``, ``N_i = floor(N_{i-1} + (n - N_{i-1})/zeta)``
    for ``i = 1..Lambda`` (:func:`thm9_lambda`), then unit steps up to ``n``.  Steps
    shrink geometrically; empty steps appear once fewer than ``zeta`` positions
    remain.  Guarantee (Thm 9): ``E KL <= eps`` for every ``mu`` with
    ``TC(mu) <= T``; length :func:`thm9_step_bound`.

    Special cases: ``T = 0`` gives the single step ``(n,)`` (a product measure is
    sampled exactly in one step; the paper's ``zeta > 1`` fails here, erratum E4);
    ``zeta >= n + 1`` gives all-ones.

    Parameters
    ----------
    n : int
        Sequence length, ``n >= 1``.
    tc_estimate : float
        ``T >= 0``, an upper bound on TC (same unit as ``eps``).
    eps : float
        Target expected KL, ``eps > 0``.
    """
    n = as_int(n, "n", minimum=1, maximum=_MAX_N)
    zeta = thm9_zeta(_positive(tc_estimate, "tc_estimate", allow_zero=True), eps)
    special = _thm9_special(n, zeta, "Thm 9 TC")
    if special is not None:
        return special
    N = _tc_partial_sums(n, zeta)
    return PaperSchedule(tuple(int(b - a) for a, b in zip(N, N[1:])), "Thm 9 TC")


def _dtc_levels(n: int, zeta: int) -> list[int]:
    lam = thm9_lambda(n, zeta)
    M = [n]
    for _ in range(lam):
        M.append(-(-M[-1] * (zeta - 1) // zeta))  # ceil(M (1 - 1/zeta))
    while M[-1] > 0:
        M.append(M[-1] - 1)
    return M


def thm9_dtc_schedule(n: int, dtc_estimate: float, eps: float) -> PaperSchedule:
    """The DTC schedule of Thm 9: the mirror image of the TC schedule.

    ``M_0 = n``, ``M_i = ceil(M_{i-1}(1 - 1/zeta))`` for ``i = 1..Lambda``, then
    ``M_i = M_{i-1} - 1`` down to 0; the partial sums are ``N_i = M_{K-i}``.  The
    schedule starts with ``M_Lambda`` unit steps (and empty steps), then the
    geometric decrements in reverse order (growing).  Guarantee: ``E KL <= eps``
    for every ``mu`` with ``DTC(mu) <= D``.  ``D = 0`` gives ``(n,)`` (erratum E4).
    """
    n = as_int(n, "n", minimum=1, maximum=_MAX_N)
    zeta = thm9_zeta(_positive(dtc_estimate, "dtc_estimate", allow_zero=True), eps)
    special = _thm9_special(n, zeta, "Thm 9 DTC")
    if special is not None:
        return special
    M = _dtc_levels(n, zeta)
    dec = [int(a - b) for a, b in zip(M, M[1:])]
    return PaperSchedule(tuple(reversed(dec)), "Thm 9 DTC")


def thm9_step_bound(n: int, estimate: float, eps: float) -> float:
    """Thm 9's length bound ``2 + (1 + ln n)(1 + ceil(T/eps))`` (natural log)."""
    n = as_int(n, "n", minimum=1, maximum=_MAX_N)
    return 2.0 + (1.0 + math.log(n)) * thm9_zeta(estimate, eps)


# ----------------------------------------------------------------------------- App. D
def app_d_grid(n: int, q: int, eps: float) -> list[float]:
    """The App. D grid ``H = {2^i : ceil(log2 eps) <= i <= ceil(log2(n log2 q))}``.

    Corrected reading of the paper's "eps <= i <= n log|Sigma|" (erratum E5):
    powers of two from ``eps`` to ``n log2 q`` (the largest possible TC or DTC,
    in bits), ends rounded outward.  Every ``X`` in ``[eps, n log2 q]`` has a grid
    point in ``[X, 2X]``.  ``eps`` is in bits here.
    """
    n = as_int(n, "n", minimum=1, maximum=_MAX_N)
    q = as_int(q, "q", minimum=2)
    e = _positive(eps, "eps")
    top = n * math.log2(q)
    lo = math.ceil(math.log2(e))
    hi = max(math.ceil(math.log2(top)), lo)
    return [2.0 ** i for i in range(lo, hi + 1)]


def app_d_sweep(n: int, q: int, eps: float) -> list[PaperSchedule]:
    """The App. D hyperparameter sweep: one TC and one DTC schedule per grid point.

    These ``2|H|`` candidates (:func:`app_d_grid`) cover the paper's sweep over
    pairs ``(T, D)`` in ``H^2`` (``|H|^2`` runs), since each Thm 9 schedule uses only
    one of the two estimates.  For the unknown true ``TC`` (``DTC``) the candidate
    with ``T`` in ``[TC, 2 TC]`` is valid and at most about twice the ideal length.
    No rule picks the right one from few queries (Thms 24/25).
    """
    out = []
    for h in app_d_grid(n, q, eps):
        out.append(thm9_tc_schedule(n, h, eps))
        out.append(thm9_dtc_schedule(n, h, eps))
    return out


def app_d_sweep_queries(n: int, q: int, eps: float, *, pairs: bool = False) -> tuple[int, int]:
    """``(runs, total queries)`` of the App. D sweep.

    ``pairs=False``: the ``2|H|`` candidates of :func:`app_d_sweep`.  ``pairs=True``:
    the paper's sweep over ``(T, D)`` in ``H^2`` -- ``|H|^2`` runs, each with the
    shorter of the TC schedule for ``T`` and the DTC schedule for ``D`` (both are
    valid when ``TC <= T`` and ``DTC <= D``).
    """
    H = app_d_grid(n, q, eps)
    ktc = [thm9_tc_schedule(n, h, eps).k for h in H]
    kdtc = [thm9_dtc_schedule(n, h, eps).k for h in H]
    if not pairs:
        return 2 * len(H), sum(ktc) + sum(kdtc)
    return len(H) ** 2, sum(min(a, b) for a in ktc for b in kdtc)


# ----------------------------------------------------------------------------- Thm 10
def _balanced(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + 1] * extra + [base] * (parts - extra)


def thm10_schedule(n: int, dtc_estimate: float, eps: float) -> PaperSchedule:
    """Thm 10 (Austin's bound), corrected explicit form (erratum E6).

    ``a = ceil(sqrt(D n / eps))``.  If ``a > (n+1)/2``, all-ones.  Otherwise
    ``a - 1`` unit steps, then the remaining ``n - a + 1`` positions in ``a``
    balanced steps: ``k = 2a - 1``.  For every ``mu`` with ``DTC(mu) <= D``,
    ``E KL <= (s_max - 1)(Z_n - Z_a) < (n/a)(DTC/a) <= eps``.  ``D = 0`` gives ``(n,)``.
    """
    n = as_int(n, "n", minimum=1, maximum=_MAX_N)
    D = _positive(dtc_estimate, "dtc_estimate", allow_zero=True)
    e = _positive(eps, "eps")
    if D == 0:
        return PaperSchedule((n,), "Thm 10")
    # a = ceil(sqrt(x)), x = D n / eps in float64 (so that D = 0.1, n = 10, eps = 1 gives
    # a = 1): the least integer a with a^2 >= x; the guarantee is re-checked exactly by
    # guarantee_holds in the tests and proofs_check
    x = D * n / e
    a = math.isqrt(math.ceil(x))
    while a * a < x:
        a += 1
    if 2 * a > n + 1:
        return PaperSchedule((1,) * n, "Thm 10")
    return PaperSchedule(tuple([1] * (a - 1) + _balanced(n - a + 1, a)), "Thm 10")


@dataclass(frozen=True)
class Thm10ProofSchedule:
    """The schedule of the paper's proof of Thm 10 (App. F.2), literally.

    ``covered < n`` means it leaves positions masked (erratum E6 (i)).
    """

    sizes: tuple[int, ...]
    covered: int
    n: int
    k_units: int
    ell: int


def thm10_proof_schedule(n: int, dtc_estimate: float, eps: float) -> Thm10ProofSchedule:
    """The proof's schedule: ``k - 1`` unit steps, then ``ell + 2`` steps of size
    ``floor((n - k + 1)/ell)``, capped at ``n`` (footnote 9).

    ``delta^2 = sqrt(D eps / n)``, ``ell = ceil(delta^2 n / eps)``, ``k = ceil(D/delta^2)``.
    Kept as the counterexample of erratum E6: for ``n = 100``, ``D/eps = 16`` it
    covers 81 of 100 positions.
    """
    n = as_int(n, "n", minimum=1, maximum=_MAX_N)
    D = _positive(dtc_estimate, "dtc_estimate")
    e = _positive(eps, "eps")
    delta2 = math.sqrt(D * e / n)
    ell = max(1, math.ceil(delta2 * n / e - 1e-12))
    k = max(1, math.ceil(D / delta2 - 1e-12))
    sizes = [1] * min(k - 1, n)
    size = max((n - k + 1) // ell, 0)
    for _ in range(ell + 2):
        room = n - sum(sizes)
        sizes.append(min(size, room))
    return Thm10ProofSchedule(tuple(sizes), int(sum(sizes)), n, k - 1, ell)


# ----------------------------------------------------------------------------- Cor 34, Rem 32
def cor34_schedule(n: int, dtc: float, delta_sq: float) -> PaperSchedule:
    """Cor 34 (Austin-style two-phase sampler): ``k = floor(DTC/delta^2) + 1``,
    ``s = (1, ..., 1, n - k + 1)``; then ``KL(mu||nu) <= E KL <= delta^2 (n - k + 1)``.

    Needs ``DTC < delta^2 n`` (the paper writes ``<=``; equality would give
    ``k = n + 1``).
    """
    n = as_int(n, "n", minimum=1, maximum=_MAX_N)
    D = _positive(dtc, "dtc", allow_zero=True)
    d2 = _positive(delta_sq, "delta_sq")
    if not Fraction(D) < Fraction(d2) * n:
        raise ValueError(f"Cor 34 needs dtc < delta_sq * n, got dtc={D!r}, delta_sq*n={d2 * n!r}")
    k = math.floor(Fraction(D) / Fraction(d2)) + 1
    return PaperSchedule(tuple([1] * (k - 1) + [n - k + 1]), "Cor 34")


def rem32_uniform_schedule(n: int, z_n: float, eps: float) -> PaperSchedule:
    """Rem 32: uniform steps of size ``s = 1 + floor(eps/Z_n)`` (last step the remainder).

    ``(s - 1) Z_n <= eps`` gives ``E KL <= eps`` by Thm 31's intermediate form
    ``(s_max - 1) Z_n``; ``k = ceil(n/s) <= ceil((TC + DTC)/eps)``.
    """
    n = as_int(n, "n", minimum=1, maximum=_MAX_N)
    z = _positive(z_n, "z_n", allow_zero=True)
    e = _positive(eps, "eps")
    s = n if z == 0 else min(n, 1 + math.floor(Fraction(e) / Fraction(z)))
    full, rest = divmod(n, s)
    return PaperSchedule(tuple([s] * full + ([rest] if rest else [])), "Rem 32")


# ----------------------------------------------------------------------------- worst case
def schedule_weights(sizes) -> np.ndarray:
    """``w_i = N_{t(i)} - i`` for ``i = 1..n-1`` (empty steps allowed), as int64."""
    if not isinstance(sizes, np.ndarray) and hasattr(sizes, "__iter__") \
            and not isinstance(sizes, (str, bytes)) \
            and any(isinstance(x, (bool, np.bool_)) for x in sizes):
        raise ValueError(f"sizes must be integers, not booleans: {list(sizes)}")
    s = as_int_array(sizes, "sizes", minimum=0)
    if s.ndim != 1 or s.size == 0 or s.sum() < 1:
        raise ValueError(f"sizes must be a non-empty sequence of integers >= 0 with a positive "
                         f"sum, got {np.asarray(sizes).tolist()}")
    s = s[s > 0]
    n = int(s.sum())
    check_nbytes(16.0 * n, what=f"weights of a schedule of n={n} positions")
    ends = np.repeat(np.cumsum(s), s)
    return (ends - np.arange(1, n + 1))[:-1]


def worst_case_ratio(sizes, kind: Kind) -> Fraction:
    """``max_i w_i/(n-i)`` (``kind="tc"``) or ``max_i w_i/i`` (``"dtc"``), exactly.

    ``sup{E KL : TC(mu) <= T} = T * worst_case_ratio(s, "tc")`` over all
    distributions (and likewise for DTC); see the module docstring.
    """
    w = schedule_weights(sizes)
    n = w.size + 1
    i = np.arange(1, n, dtype=np.int64)
    if kind == "tc":
        den = n - i
    elif kind == "dtc":
        den = i
    else:
        raise ValueError(f"kind must be 'tc' or 'dtc', got {kind!r}")
    if w.size == 0:
        return Fraction(0)
    # Float division of integers below 2**53 is correctly rounded, and two distinct
    # ratios with denominators < n differ by >= 1/n**2, far above the rounding for
    # n < 1e7: the float argmax is the exact argmax.
    if n >= 10**7:
        raise ValueError(f"worst_case_ratio supports n < 1e7, got n = {n}")
    best = int(np.argmax(w / den))
    return Fraction(int(w[best]), int(den[best]))


def worst_case_error(sizes, kind: Kind, estimate: float) -> float:
    """``sup{E KL : TC(mu) <= T}`` (resp. DTC) over all distributions, ``T * ratio``."""
    T = _positive(estimate, "estimate", allow_zero=True)
    return float(Fraction(T) * worst_case_ratio(sizes, kind))


def guarantee_holds(sizes, kind: Kind, estimate: float, eps: float) -> bool:
    """Whether ``E KL <= eps`` for *every* ``mu`` with ``TC(mu) <= T`` (resp. DTC).

    Decided exactly: ``T * worst_case_ratio(sizes, kind) <= eps`` in rationals.
    """
    T = _positive(estimate, "estimate", allow_zero=True)
    e = _positive(eps, "eps")
    return Fraction(T) * worst_case_ratio(sizes, kind) <= Fraction(e)
