"""Upper bounds on the exact schedule error of Theorem 1.4 (spec theory.md §5, §8).

Every function here returns the *value* of one bound, as a function of a
distribution ``mu`` (a :class:`~mdmtheory.Distribution`) or of its information
curve ``Z`` (a 1-D array, ``Z[j-1] = Z_j``), and of a schedule.  The quantity
being bounded is always the exact expected KL of spec §3,

    ``E_S KL(mu || nu^S) = sum_t sum_{j in B_t} (Z_j - Z_{a_t})``

(:func:`mdmtheory.schedule.left_riemann_error`).

Provenance
----------
The paper's statements of Lemma 1.8, Theorems 1.9 and 1.10 were **NOT FOUND**
(spec §0, §5).  Every bound below is therefore a **derived counterpart [D]**:
a statement derived in the spec and re-verified by ``python -m proofs_check``
(row numbers = spec §7 items).  None of them is the paper's own statement.

========================================  ===========  ===============================
function                                  spec item    status (``proofs_check``)
========================================  ===========  ===============================
:func:`certified_lambda`                  §5(a)-(c)    used by items 13, 14, 21
:func:`tc_rule_bound`                     13, §5(a)    [D] verified; tight on MDS codes
:func:`dtc_rule_bound`                    14, §5(b)    [D] verified; tight on MDS codes
:func:`min_rule_bound`                    §5(c), 21    [D] verified; tight on MDS codes
:func:`uniform_step_bound`                15, §5(d)    [D] verified; tight on MDS codes
:func:`alphabet_step_bound`               15           [D] verified; tight on MDS codes
:func:`li_cai_bound`                      §8 (Li-Cai)  [D] verified (balanced schedules)
:func:`residual_total_correlation`        18 (equal.)  [D] verified
:func:`pinning_bound`                     18, §5 (iii) [D] verified; ``sharp=True`` is tight
:func:`tc_dtc_comparison`                 16, §5 (i)   [D] verified; tight (repetition/parity)
:func:`dtc_leave_one_out_identity`        17           [D] verified (identity)
========================================  ===========  ===============================

Units: a curve ``Z`` carries its own unit; for a distribution the ``base``
keyword chooses it (``None`` = nats), as everywhere in :mod:`mdmtheory`.

Proofs in one line each (weight form, spec item 10): with ``delta_i = Z_{i+1} - Z_i >= 0``
and ``w_i = b_{t(i)} - i``, ``E KL = sum_i w_i delta_i``, ``TC = sum_i (n-i) delta_i``,
``DTC = sum_i i delta_i`` and ``Z_n = sum_i delta_i``; each bound follows from a
coefficient-wise inequality ``w_i <= c_i`` (``proofs_check`` checks those with SymPy).
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numpy as np

from .distribution import Distribution
from .information import (
    dual_total_correlation,
    leave_one_out_total_correlations,
    mutual_information_sum,
    total_correlation,
)
from .schedule import Schedule, as_schedule, validate_curve
from ._validation import as_int, log_base_factor

__all__ = [
    "Rule",
    "RULES",
    "curve_totals",
    "rule_ratios",
    "certified_lambda",
    "satisfies_rule",
    "tc_rule_bound",
    "dtc_rule_bound",
    "min_rule_bound",
    "uniform_step_bound",
    "alphabet_step_bound",
    "li_cai_bound",
    "is_balanced",
    "residual_total_correlation",
    "pinning_bound",
    "ComparisonBounds",
    "tc_dtc_comparison",
    "dtc_leave_one_out_identity",
    "extremal_code_dimension",
]

Rule = Literal["tc", "dtc", "min"]
#: The three step-size rules of spec §5(a)-(c).
RULES: tuple[str, ...] = ("tc", "dtc", "min")


class CurveTotals(NamedTuple):
    """``n``, ``TC``, ``DTC`` and ``Z_n`` of a distribution or a curve."""

    n: int
    tc: float
    dtc: float
    z_n: float


def curve_totals(mu_or_Z, *, base: float | None = None) -> CurveTotals:
    """``(n, TC, DTC, Z_n)`` from a distribution or an information curve.

    Parameters
    ----------
    mu_or_Z : Distribution or array_like
        A :class:`~mdmtheory.Distribution` is read through the definitions of
        Def. 1.7 (``TC = sum_i H(X_i) - H(X)``, ``DTC = H(X) - sum_i H(X_i|X_-i)``)
        and ``Z_n = (1/n) sum_i I(X_i; X_-i)`` (spec §2).  Anything else is
        validated as a curve ``Z`` (1-D, ``Z_1 = 0``, nondecreasing) and read
        through Lemma 1.8's derived identities ``TC = sum_j Z_j`` (item 3) and
        ``DTC = n Z_n - TC`` (item 4).
    base : float, optional
        Log base for a distribution (ignored for a curve, which carries its unit).
    """
    if isinstance(mu_or_Z, Distribution):
        n = mu_or_Z.n
        tc = total_correlation(mu_or_Z, base=base)
        dtc = dual_total_correlation(mu_or_Z, base=base)
        z_n = mutual_information_sum(mu_or_Z, base=base) / n
        return CurveTotals(n, float(tc), float(dtc), float(z_n))
    Z = validate_curve(mu_or_Z)
    n = Z.size
    tc = float(Z.sum())
    return CurveTotals(n, tc, float(n * Z[-1] - tc), float(Z[-1]))


def _schedule_for(mu_or_Z, schedule) -> Schedule:
    n = mu_or_Z.n if isinstance(mu_or_Z, Distribution) else np.asarray(mu_or_Z).size
    return as_schedule(schedule, n)


def rule_ratios(schedule, rule: Rule) -> np.ndarray:
    """Per-step ratios whose maximum is the certified ``lambda`` (spec §5(a)-(c)).

    ``rule="tc"``: ``(s_t - 1)/(R_t - 1)``; ``rule="dtc"``: ``(s_t - 1)/(N_{t-1} + 1)``;
    ``rule="min"``: ``(s_t - 1)/min(R_t - 1, N_{t-1} + 1)``.  A step with
    ``s_t = 1`` has ratio 0 (also when the denominator is 0, i.e. the final
    single token, ``R_t = 1``).
    """
    s = as_schedule(schedule)
    num = (s.sizes - 1).astype(np.float64)
    R = s.remaining.astype(np.float64)  # R_t = n - N_{t-1}
    a = (s.cumulative[:-1] + 1).astype(np.float64)  # N_{t-1} + 1 = a_t
    if rule == "tc":
        den = R - 1.0
    elif rule == "dtc":
        den = a
    elif rule == "min":
        den = np.minimum(R - 1.0, a)
    else:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    out = np.zeros_like(num)
    pos = num > 0  # s_t >= 2 implies R_t - 1 >= 1 and a_t >= 1: den > 0
    out[pos] = num[pos] / den[pos]
    return out


def certified_lambda(schedule, rule: Rule) -> float:
    """The smallest ``lambda`` for which ``schedule`` satisfies a rule of spec §5.

    ``rule="tc"`` (§5(a), item 13): ``s_t - 1 <= lambda (R_t - 1)`` for all ``t``;
    ``rule="dtc"`` (§5(b), item 14): ``s_t - 1 <= lambda (N_{t-1} + 1)``;
    ``rule="min"`` (§5(c)): ``s_t - 1 <= lambda min(R_t - 1, N_{t-1} + 1)``.

    Returns ``max_t`` of :func:`rule_ratios`; 0 for the all-ones schedule.  For
    ``"tc"`` it lies in ``[0, 1]``; for ``"dtc"``/``"min"`` in ``[0, n-1]``.
    Derived counterpart [D] of the paper's Thm 1.9 (exact statement NOT FOUND).
    """
    r = rule_ratios(schedule, rule)
    return float(r.max()) if r.size else 0.0


def satisfies_rule(schedule, rule: Rule, lam: float) -> bool:
    """Whether ``schedule`` meets the condition of ``rule`` with parameter ``lam``.

    Tests ``(s_t - 1)/den_t <= lam (1 + 1e-12)`` for every step.  The relative
    slack lets a ``lam`` computed in floating point as one of these ratios (e.g.
    by :func:`certified_lambda`) certify its own schedule; it is far below the
    gap between two distinct ratios (at least ``1/n^2`` relative).
    """
    lam = _check_lambda(lam)
    r = rule_ratios(schedule, rule)
    return bool(np.all(r <= lam * (1.0 + 1e-12)))


def _check_lambda(lam) -> float:
    try:
        lam_f = float(lam)
    except (TypeError, ValueError):
        raise ValueError(f"lambda must be a real number, got {lam!r}") from None
    if not math.isfinite(lam_f) or lam_f < 0:
        raise ValueError(f"lambda must be finite and >= 0, got {lam!r}")
    return lam_f


def _rule_lambda(schedule: Schedule, rule: Rule, lam) -> float:
    if lam is None:
        return certified_lambda(schedule, rule)
    lam_f = _check_lambda(lam)
    if not satisfies_rule(schedule, rule, lam_f):
        raise ValueError(
            f"schedule {schedule.tolist()} violates the {rule.upper()} rule with lambda={lam_f:g} "
            f"(it certifies only lambda >= {certified_lambda(schedule, rule):.6g})")
    return lam_f


def tc_rule_bound(mu_or_Z, schedule, *, lam: float | None = None,
                  base: float | None = None) -> float:
    """TC rule: ``E KL <= lambda * TC`` when ``s_t - 1 <= lambda (R_t - 1)`` (item 13).

    Derived counterpart [D] of the paper's Thm 1.9 (exact statement NOT FOUND;
    spec §5(a)).  Proof: for ``i`` in block ``t``,
    ``lambda (n-i) - w_i = [lambda (R_t - 1) - (s_t - 1)] + (1 - lambda)(i - a_t) >= 0``
    for ``lambda <= 1`` (for ``lambda >= 1`` the bound is ``>= TC = OPT_1``).

    Parameters
    ----------
    mu_or_Z : Distribution or array_like
        The distribution or its information curve (see :func:`curve_totals`).
    schedule : Schedule or sequence of int
    lam : float, optional
        The rule's parameter.  Default: the smallest one the schedule certifies,
        :func:`certified_lambda` ``(schedule, "tc")``.  A ``lam`` the schedule does
        not satisfy raises ``ValueError`` (the bound would not be proved).

    Notes
    -----
    Tight [D]: the MDS code ``[n, a_t]`` for the block ``t`` with the largest
    ratio attains ``E KL = lambda TC`` (:func:`extremal_code_dimension`).
    """
    s = _schedule_for(mu_or_Z, schedule)
    return _rule_lambda(s, "tc", lam) * curve_totals(mu_or_Z, base=base).tc


def dtc_rule_bound(mu_or_Z, schedule, *, lam: float | None = None,
                   base: float | None = None) -> float:
    """DTC rule: ``E KL <= lambda * DTC`` when ``s_t - 1 <= lambda (N_{t-1}+1)`` (item 14).

    Derived counterpart [D] of the paper's Thm 1.9 (NOT FOUND; spec §5(b)).
    Proof: ``lambda i - w_i = [lambda a_t - (s_t - 1)] + (1 + lambda)(i - a_t) >= 0``
    for ``i`` in block ``t`` (any ``lambda >= 0``).  Tight on the MDS code
    ``[n, a_t]`` of the maximising block.  ``lam`` as in :func:`tc_rule_bound`.
    """
    s = _schedule_for(mu_or_Z, schedule)
    return _rule_lambda(s, "dtc", lam) * curve_totals(mu_or_Z, base=base).dtc


def min_rule_bound(mu_or_Z, schedule, *, lam: float | None = None,
                   base: float | None = None) -> float:
    """Min rule: ``E KL <= lambda * min(TC, DTC)`` when ``s_t - 1 <= lambda min(R_t-1, N_{t-1}+1)``.

    Derived counterpart [D] of the paper's Thm 1.9 (NOT FOUND; spec §5(c),
    item 21).  The condition implies both the TC and the DTC condition with the
    same ``lambda``.  Tight on the MDS code ``[n, a_t]`` of the block with the
    largest ratio ``(s_t - 1)/min(R_t - 1, a_t)``.
    """
    s = _schedule_for(mu_or_Z, schedule)
    tot = curve_totals(mu_or_Z, base=base)
    return _rule_lambda(s, "min", lam) * min(tot.tc, tot.dtc)


def uniform_step_bound(mu_or_Z, schedule, *, base: float | None = None) -> float:
    """Uniform-step bound ``E KL <= (max_t s_t - 1) * Z_n`` (item 15, spec §5(d)).

    Derived [D] (the paper's form NOT FOUND): ``w_i <= s_t - 1 <= max_t s_t - 1``
    and ``sum_i delta_i = Z_n``.  With ``Z_n = (TC + DTC)/n`` (item 5) it reads
    ``(s-1)(TC+DTC)/n`` for uniform steps ``s``; the same inequality, maximised
    over the length of the block only, is what makes the error dimension-free
    (cf. Lavenant–Zanella, spec §8).  Tight on the MDS code ``[n, a_t]`` of a
    longest block.
    """
    s = _schedule_for(mu_or_Z, schedule)
    return float(int(s.sizes.max()) - 1) * curve_totals(mu_or_Z, base=base).z_n


def alphabet_step_bound(mu_or_q, schedule, *, base: float | None = None) -> float:
    """Second half of item 15: ``E KL <= (max_t s_t - 1) * log q`` (``Z_n <= d_1 <= log q``).

    Parameters
    ----------
    mu_or_q : Distribution or int
        A distribution (its alphabet size ``q`` is used) or ``q`` itself.
    """
    q = mu_or_q.q if isinstance(mu_or_q, Distribution) else as_int(mu_or_q, "q", minimum=2)
    s = as_schedule(schedule) if not isinstance(mu_or_q, Distribution) \
        else as_schedule(schedule, mu_or_q.n)
    return float(int(s.sizes.max()) - 1) * math.log(q) / log_base_factor(base)


def is_balanced(schedule) -> bool:
    """Whether ``max_t s_t <= ceil(n / k)`` (e.g. the uniform k-step schedule)."""
    s = as_schedule(schedule)
    return int(s.sizes.max()) <= -(-s.n // s.k)


def li_cai_bound(mu_or_Z, schedule, *, base: float | None = None,
                 require_balanced: bool = True) -> float:
    """The Li–Cai form ``(TC + DTC)/k = sum_i I(X_i; X_-i) / k`` (spec §8).

    Li & Cai (arXiv 2505.21400) bound the KL of the random-subset sampler by
    ``O(sum_i I(X^i; X^-i) / T)``; their constants are NOT FOUND.  This is the
    derived constant-1, exact-oracle counterpart [D]: for a *balanced* k-step
    schedule (``max_t s_t <= ceil(n/k)``) item 15 gives

        ``E KL <= (max_t s_t - 1) Z_n <= (ceil(n/k) - 1) Z_n < (n/k) Z_n = (TC + DTC)/k``

    (strict when ``Z_n > 0``), using ``n Z_n = TC + DTC`` (items 4-5).

    Parameters
    ----------
    require_balanced : bool
        The form is **not** a bound for unbalanced schedules (repetition code,
        ``s = (n-1, 1)``: ``E KL = (n-2) log q > n log q / 2`` for ``n > 4``), so
        by default an unbalanced schedule raises ``ValueError``.  Pass ``False``
        to get the value anyway.
    """
    s = _schedule_for(mu_or_Z, schedule)
    if require_balanced and not is_balanced(s):
        raise ValueError(
            f"the Li–Cai form (TC+DTC)/k bounds only balanced schedules (max s_t <= "
            f"ceil(n/k) = {-(-s.n // s.k)}); got sizes {s.tolist()}")
    tot = curve_totals(mu_or_Z, base=base)
    return (tot.tc + tot.dtc) / s.k


def residual_total_correlation(mu_or_Z, m: int, *, base: float | None = None) -> float:
    """``E_{|U|=m} TC(X_{U^c} | X_U) = sum_{j=m+1}^n (Z_j - Z_{m+1})`` (item 18, equality).

    Derived [D]: the average total correlation left after revealing a uniformly
    random ``m``-set, read off the curve.  It is also the exact error (Thm 1.4)
    of the schedule ``(1, ..., 1, n - m)`` (``m`` single steps, then one step).
    For a distribution the curve is computed exactly
    (:func:`mdmtheory.information.information_curve`).
    """
    from .information import information_curve

    Z = information_curve(mu_or_Z, base=base) if isinstance(mu_or_Z, Distribution) \
        else validate_curve(mu_or_Z)
    n = Z.size
    m = as_int(m, "m", minimum=0)
    if m > n:
        raise ValueError(f"m must be in [0, n={n}], got {m}")
    if m == n:
        return 0.0
    return float(np.sum(Z[m:] - Z[m]))


def pinning_bound(mu_or_Z, m: int, *, sharp: bool = False, base: float | None = None) -> float:
    """Pinning bound ``E_{|U|=m} TC(X_{U^c}|X_U) <= ((n-m)/(m+1)) DTC`` (item 18, §5 (iii)).

    Derived counterpart [D] of a candidate reading of Thm 1.10 (Austin's bound;
    the paper's statement NOT FOUND).  In weight form the left side is
    ``sum_{i>m} (n-i) delta_i`` and ``DTC >= sum_{i>m} i delta_i``; since
    ``(n-i)/i`` decreases, the constant ``(n-m-1)/(m+1)`` already suffices.

    Parameters
    ----------
    m : int
        Number of revealed positions, ``0 <= m <= n``.
    sharp : bool
        ``False`` (default): the spec's constant ``(n-m)/(m+1)``.  ``True``: the
        sharper constant ``(n-m-1)/(m+1)`` (derived here), which is attained by
        the MDS code ``[n, m+1]`` (spec's constant is not attained when DTC > 0).
    """
    tot = curve_totals(mu_or_Z, base=base)
    m = as_int(m, "m", minimum=0)
    if m > tot.n:
        raise ValueError(f"m must be in [0, n={tot.n}], got {m}")
    num = tot.n - m - (1 if sharp else 0)
    return max(num, 0) / (m + 1) * tot.dtc


class ComparisonBounds(NamedTuple):
    """``lower = TC/(n-1) <= dtc <= upper = (n-1) TC`` (item 16)."""

    lower: float
    dtc: float
    upper: float


def tc_dtc_comparison(mu_or_Z, *, base: float | None = None) -> ComparisonBounds:
    """The comparison ``TC/(n-1) <= DTC <= (n-1) TC`` (item 16, §5 Thm 1.10 (i)).

    Classical (Wikipedia's DTC article attributes it to Austin); here [D]:
    ``DTC - TC/(n-1) = sum_i n(i-1)/(n-1) delta_i`` and
    ``(n-1) TC - DTC = sum_i n(n-1-i) delta_i``, both with nonnegative
    coefficients.  The lower end is attained by the repetition code, the upper
    by the parity code.  Needs ``n >= 2``.
    """
    tot = curve_totals(mu_or_Z, base=base)
    if tot.n < 2:
        raise ValueError("the TC/DTC comparison needs n >= 2 positions")
    return ComparisonBounds(tot.tc / (tot.n - 1), tot.dtc, (tot.n - 1) * tot.tc)


def dtc_leave_one_out_identity(mu: Distribution, *, base: float | None = None) -> float:
    """``(n-1) TC - sum_i TC(X_{-i})``, which equals ``DTC`` (item 17, classical; [D]).

    Needs the distribution (``TC(X_{-i})`` is not a function of ``Z``).
    """
    if not isinstance(mu, Distribution):
        raise ValueError("identity 17 needs a Distribution (TC(X_-i) is not a function of Z)")
    tc = total_correlation(mu, base=base)
    return float((mu.n - 1) * tc - leave_one_out_total_correlations(mu, base=base).sum())


def extremal_code_dimension(schedule, rule: Literal["tc", "dtc", "min", "uniform"]) -> int | None:
    """The dimension ``d`` of an MDS code ``[n, d]`` on which a bound is attained.

    For ``rule`` in ``"tc"``, ``"dtc"``, ``"min"`` (items 13, 14, §5(c)) and
    ``"uniform"`` (item 15) this is ``d = a_t = N_{t-1} + 1`` for a block ``t``
    maximising the rule's ratio (for ``"uniform"``: a longest block).  On that
    code (Z a single jump of ``log q`` at ``d + 1``) the exact error is
    ``(s_t - 1) log q`` (item 19), ``TC = (R_t - 1) log q``, ``DTC = a_t log q``
    and ``Z_n = log q``, so the bound holds with equality.  Returns ``None``
    when every step has size 1 (every bound is 0 and attained by any ``mu``).
    """
    s = as_schedule(schedule)
    if int(s.sizes.max()) == 1:
        return None
    if rule == "uniform":
        t = int(np.argmax(s.sizes))
    else:
        t = int(np.argmax(rule_ratios(s, rule)))
    return int(s.cumulative[t]) + 1
