"""Upper bounds on the exact schedule error of Thm 4 / Thm 16 (Chen–Cong–Li).

Every function returns the *value* of one bound, for a distribution ``mu`` (a
:class:`~mdmtheory.Distribution`) or, with ``curve=True``, for its information
curve ``Z`` (a 1-D array, ``Z[j-1] = Z_j``), and a schedule.  The argument's
meaning never depends on its type: a bare array is accepted only with
``curve=True``, and a Distribution only without it.  The quantity bounded is
the exact expected KL of Thm 4,

    ``E_S KL(mu || nu^S) = sum_t sum_{j in B_t} (Z_j - Z_{a_t})``

(:func:`mdmtheory.schedule.left_riemann_error`).

========================================  =====================================================
function                                  paper item
========================================  =====================================================
:func:`curve_totals`                      Lemma 8: ``TC = sum Z_j``, ``DTC = n Z_n - TC``
:func:`certified_lambda`                  sharper rules behind Thm 9 (ours)
:func:`tc_rule_bound`                     Thm 9 (TC), sharp form: ``E KL <= lambda TC``
:func:`dtc_rule_bound`                    Thm 9 (DTC), sharp form: ``E KL <= lambda DTC``
:func:`min_rule_bound`                    Thm 9, both at once: ``lambda min(TC, DTC)``
:func:`uniform_step_bound`                Thm 31, intermediate form ``(s_max - 1) Z_n``
:func:`li_cai_power_bound`                Thm 31 as printed: ``(2^ceil(log2 s_max) - 1)(TC+DTC)/n``
:func:`alphabet_step_bound`               ``(s_max - 1) log q`` (``Z_n <= log q``, Def 3)
:func:`li_cai_bound`                      ``(TC + DTC)/k`` for balanced schedules (Thm 31, Rem 32)
:func:`residual_total_correlation`        Lemma 33 ingredient: ``E_{|S|=m} TC(.|X_S)``
:func:`conditional_tc_plus_dtc`           Lemma 33: ``E[TC+DTC(.|X_S)] = (n-s)(Z_n - Z_{s+1})``
:func:`austin_lemma33_size`               Lemma 33: an ``s <= DTC/delta^2`` that works
:func:`cor34_bound`                       Cor 34: ``KL <= E KL <= delta^2 (n - k + 1)``
:func:`pinning_bound`                     ``E TC(.|X_S) <= ((n-m)/(m+1)) DTC`` (Lemma 33, TC part)
:func:`tc_dtc_comparison`                 ``TC/(n-1) <= DTC <= (n-1) TC``
:func:`dtc_leave_one_out_identity`        ``DTC = (n-1) TC - sum_i TC(X_-i)``
========================================  =====================================================

Units: a curve ``Z`` carries its own unit; for a distribution the ``base``
keyword chooses it (``None`` = nats, ``2`` = the paper's bits).

Proofs in one line each (weight form of Thm 16): with ``delta_i = Z_{i+1} - Z_i >= 0``
and ``w_i = N_{t(i)} - i``, ``E KL = sum_i w_i delta_i``, ``TC = sum_i (n-i) delta_i``,
``DTC = sum_i i delta_i`` and ``Z_n = sum_i delta_i``; each bound follows from a
coefficient-wise inequality ``w_i <= c_i`` (``python -m proofs_check`` checks them).
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
from ._validation import as_float, as_int, log_base_factor

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
    "li_cai_power_bound",
    "conditional_tc_plus_dtc",
    "austin_lemma33_size",
    "cor34_bound",
]

Rule = Literal["tc", "dtc", "min"]
#: The three step-size rules (sharper forms behind Thm 9).
RULES: tuple[str, ...] = ("tc", "dtc", "min")


class CurveTotals(NamedTuple):
    """``n``, ``TC``, ``DTC`` and ``Z_n`` of a distribution or a curve."""

    n: int
    tc: float
    dtc: float
    z_n: float


def _source(mu_or_Z, curve: bool, base: float | None = None):
    """The Distribution, or the validated curve when ``curve=True``; never guessed by type.

    ``base`` is checked in both cases (a curve ignores it, but a bad one is still an error).
    """
    log_base_factor(base)
    if not isinstance(curve, (bool, np.bool_)):
        raise TypeError(f"curve must be True or False, got {curve!r}")
    if curve:
        if isinstance(mu_or_Z, Distribution):
            raise TypeError("curve=True expects an information curve Z (1-D array), "
                            "got a Distribution; drop curve=True to pass the distribution")
        return validate_curve(mu_or_Z)
    if not isinstance(mu_or_Z, Distribution):
        raise TypeError(f"expected a Distribution, got {type(mu_or_Z).__name__}; to pass an "
                        "information curve Z (Z[j-1] = Z_j) say curve=True")
    return mu_or_Z


def curve_totals(mu_or_Z, *, curve: bool = False, base: float | None = None) -> CurveTotals:
    """``(n, TC, DTC, Z_n)`` from a distribution or (``curve=True``) an information curve.

    Parameters
    ----------
    mu_or_Z : Distribution or array_like
        A :class:`~mdmtheory.Distribution` is read through Def 7
        (``TC = sum_i H(X_i) - H(X)``, ``DTC = H(X) - sum_i H(X_i|X_-i)``) and
        ``Z_n = (1/n) sum_i I(X_i; X_-i)`` (Lemma 8, App. A).  With ``curve=True``
        it is an information curve ``Z`` (1-D, ``Z_1 = 0``, nondecreasing), read
        through Lemma 8: ``TC = sum_j Z_j``, ``DTC = n Z_n - TC``.
    curve : bool
        Whether ``mu_or_Z`` is a curve.  A bare array without ``curve=True`` (or a
        Distribution with it) raises ``TypeError``.
    base : float, optional
        Log base for a distribution (a curve carries its own unit).
    """
    src = _source(mu_or_Z, curve, base)
    if isinstance(src, Distribution):
        n = src.n
        tc = total_correlation(src, base=base)
        dtc = dual_total_correlation(src, base=base)
        z_n = mutual_information_sum(src, base=base) / n
        return CurveTotals(n, float(tc), float(dtc), float(z_n))
    Z = src
    n = Z.size
    tc = float(Z.sum())
    return CurveTotals(n, tc, float(n * Z[-1] - tc), float(Z[-1]))


def _schedule_for(mu_or_Z, schedule, curve: bool = False, base: float | None = None) -> Schedule:
    src = _source(mu_or_Z, curve, base)
    n = src.n if isinstance(src, Distribution) else src.size
    return as_schedule(schedule, n)


def rule_ratios(schedule, rule: Rule) -> np.ndarray:
    """Per-step ratios whose maximum is the certified ``lambda`` (sharper forms behind Thm 9).

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
    """The smallest ``lambda`` for which ``schedule`` satisfies a step-size rule.

    ``rule="tc"``: ``s_t - 1 <= lambda (R_t - 1)`` for all ``t``;
    ``rule="dtc"``: ``s_t - 1 <= lambda (N_{t-1} + 1)``;
    ``rule="min"``: ``s_t - 1 <= lambda min(R_t - 1, N_{t-1} + 1)``.

    Returns ``max_t`` of :func:`rule_ratios`; 0 for the all-ones schedule.  For
    ``"tc"`` it lies in ``[0, 1]``; for ``"dtc"``/``"min"`` in ``[0, n-1]``.
    These rules are sharper than the paper's own Thm 9 schedules
    (:mod:`mdmtheory.paper_schedules`): same guarantee, fewer steps.
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
    return as_float(lam, "lambda", minimum=0.0)


def _rule_lambda(schedule: Schedule, rule: Rule, lam) -> float:
    if lam is None:
        return certified_lambda(schedule, rule)
    lam_f = _check_lambda(lam)
    if not satisfies_rule(schedule, rule, lam_f):
        raise ValueError(
            f"schedule {schedule.tolist()} violates the {rule.upper()} rule with lambda={lam_f:g} "
            f"(it certifies only lambda >= {certified_lambda(schedule, rule):.6g})")
    return lam_f


def tc_rule_bound(mu_or_Z, schedule, *, lam: float | None = None, curve: bool = False,
                  base: float | None = None) -> float:
    """TC rule: ``E KL <= lambda * TC`` when ``s_t - 1 <= lambda (R_t - 1)`` (Thm 9, sharp form).

    A sharper rule than the paper's Thm 9 TC schedule.  Proof (weight form of
    Thm 16): for ``i`` in block ``t``,
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
    Tight: the MDS code ``[n, a_t]`` for the block ``t`` with the largest
    ratio attains ``E KL = lambda TC`` (:func:`extremal_code_dimension`).
    """
    s = _schedule_for(mu_or_Z, schedule, curve, base)
    return _rule_lambda(s, "tc", lam) * curve_totals(mu_or_Z, curve=curve, base=base).tc


def dtc_rule_bound(mu_or_Z, schedule, *, lam: float | None = None, curve: bool = False,
                   base: float | None = None) -> float:
    """DTC rule: ``E KL <= lambda DTC`` when ``s_t - 1 <= lambda (N_{t-1}+1)`` (Thm 9, sharp).

    A sharper rule than the paper's Thm 9 DTC schedule.
    Proof: ``lambda i - w_i = [lambda a_t - (s_t - 1)] + (1 + lambda)(i - a_t) >= 0``
    for ``i`` in block ``t`` (any ``lambda >= 0``).  Tight on the MDS code
    ``[n, a_t]`` of the maximising block.  ``lam`` as in :func:`tc_rule_bound`.
    """
    s = _schedule_for(mu_or_Z, schedule, curve, base)
    return _rule_lambda(s, "dtc", lam) * curve_totals(mu_or_Z, curve=curve, base=base).dtc


def min_rule_bound(mu_or_Z, schedule, *, lam: float | None = None, curve: bool = False,
                   base: float | None = None) -> float:
    """Min rule: ``E KL <= lambda * min(TC, DTC)`` when ``s_t - 1 <= lambda min(R_t-1, N_{t-1}+1)``.

    Both Thm 9 guarantees at once.  The condition implies both the TC and the DTC condition with the
    same ``lambda``.  Tight on the MDS code ``[n, a_t]`` of the block with the
    largest ratio ``(s_t - 1)/min(R_t - 1, a_t)``.
    """
    s = _schedule_for(mu_or_Z, schedule, curve, base)
    tot = curve_totals(mu_or_Z, curve=curve, base=base)
    return _rule_lambda(s, "min", lam) * min(tot.tc, tot.dtc)


def uniform_step_bound(mu_or_Z, schedule, *, curve: bool = False,
                       base: float | None = None) -> float:
    """Uniform-step bound ``E KL <= (max_t s_t - 1) * Z_n`` (Thm 31, intermediate form).

    The step of the proof of Thm 31 before the power-of-two rounding:
    ``w_i <= s_t - 1 <= max_t s_t - 1``
    and ``sum_i delta_i = Z_n``.  With ``Z_n = (TC + DTC)/n`` (Lemma 8, App. A) it reads
    ``(s-1)(TC+DTC)/n`` for uniform steps ``s``; the same inequality, maximised
    over the length of the block only, is what makes the error dimension-free
    (cf. Lavenant–Zanella).  Tight on the MDS code ``[n, a_t]`` of a
    longest block.
    """
    s = _schedule_for(mu_or_Z, schedule, curve, base)
    return float(int(s.sizes.max()) - 1) * curve_totals(mu_or_Z, curve=curve, base=base).z_n


def alphabet_step_bound(mu_or_q, schedule, *, base: float | None = None) -> float:
    """``E KL <= (max_t s_t - 1) * log q`` (``Z_n <= H_1 <= log q``, Def 3).

    Parameters
    ----------
    mu_or_q : Distribution or int
        A distribution (its alphabet size ``q`` is used) or ``q`` itself.
    """
    q = mu_or_q.q if isinstance(mu_or_q, Distribution) else as_int(mu_or_q, "mu_or_q", minimum=2)
    s = as_schedule(schedule) if not isinstance(mu_or_q, Distribution) \
        else as_schedule(schedule, mu_or_q.n)
    return float(int(s.sizes.max()) - 1) * math.log(q) / log_base_factor(base)


def is_balanced(schedule) -> bool:
    """Whether ``max_t s_t <= ceil(n / k)`` (e.g. the uniform k-step schedule)."""
    s = as_schedule(schedule)
    return int(s.sizes.max()) <= -(-s.n // s.k)


def li_cai_bound(mu_or_Z, schedule, *, curve: bool = False, base: float | None = None,
                 require_balanced: bool = True) -> float:
    """The Li–Cai form ``(TC + DTC)/k = sum_i I(X_i; X_-i) / k`` (Thm 31, Rem 32).

    Li & Cai (arXiv 2505.21400) bound the KL of the random-subset sampler by
    ``O(sum_i I(X^i; X^-i) / T)``; the paper's Thm 31 restates it with
    constants.  This is the constant-1 form for a *balanced* k-step schedule
    (``max_t s_t <= ceil(n/k)``), from Thm 31's intermediate form:

        ``E KL <= (max_t s_t - 1) Z_n <= (ceil(n/k) - 1) Z_n < (n/k) Z_n = (TC + DTC)/k``

    (strict when ``Z_n > 0``), using ``n Z_n = TC + DTC`` (Lemma 8).

    Parameters
    ----------
    require_balanced : bool
        The form is **not** a bound for unbalanced schedules (repetition code,
        ``s = (n-1, 1)``: ``E KL = (n-2) log q > n log q / 2`` for ``n > 4``), so
        by default an unbalanced schedule raises ``ValueError``.  Pass ``False``
        to get the value anyway.
    """
    s = _schedule_for(mu_or_Z, schedule, curve, base)
    if require_balanced and not is_balanced(s):
        raise ValueError(
            f"the Li–Cai form (TC+DTC)/k bounds only balanced schedules (max s_t <= "
            f"ceil(n/k) = {-(-s.n // s.k)}); got sizes {s.tolist()}")
    tot = curve_totals(mu_or_Z, curve=curve, base=base)
    return (tot.tc + tot.dtc) / s.k


def residual_total_correlation(mu_or_Z, m: int, *, curve: bool = False,
                               base: float | None = None) -> float:
    """``E_{|U|=m} TC(X_{U^c} | X_U) = sum_{j=m+1}^n (Z_j - Z_{m+1})`` (Lemma 33, TC part).

    The average total correlation left after revealing a uniformly
    random ``m``-set, read off the curve.  It is also the exact error (Thm 4)
    of the schedule ``(1, ..., 1, n - m)`` (``m`` single steps, then one step).
    For a distribution the curve is computed exactly
    (:func:`mdmtheory.information.information_curve`).
    """
    from .information import information_curve

    src = _source(mu_or_Z, curve, base)
    Z = information_curve(src, base=base) if isinstance(src, Distribution) else src
    n = Z.size
    m = as_int(m, "m", minimum=0)
    if m > n:
        raise ValueError(f"m must be in [0, n={n}], got {m}")
    if m == n:
        return 0.0
    return float(np.sum(Z[m:] - Z[m]))


def pinning_bound(mu_or_Z, m: int, *, sharp: bool = False, curve: bool = False,
                  base: float | None = None) -> float:
    """Pinning bound ``E_{|U|=m} TC(X_{U^c}|X_U) <= ((n-m)/(m+1)) DTC`` (Lemma 33, TC part).

    The TC half of Austin's Lemma 33 in curve form.  In weight form the left side is
    ``sum_{i>m} (n-i) delta_i`` and ``DTC >= sum_{i>m} i delta_i``; since
    ``(n-i)/i`` decreases, the constant ``(n-m-1)/(m+1)`` already suffices.

    Parameters
    ----------
    m : int
        Number of revealed positions, ``0 <= m <= n``.
    sharp : bool
        ``False`` (default): the constant ``(n-m)/(m+1)``.  ``True``: the
        sharper constant ``(n-m-1)/(m+1)``, which is attained by the MDS code
        ``[n, m+1]`` (the first is never attained when DTC > 0).
    """
    tot = curve_totals(mu_or_Z, curve=curve, base=base)
    m = as_int(m, "m", minimum=0)
    if m > tot.n:
        raise ValueError(f"m must be in [0, n={tot.n}], got {m}")
    num = tot.n - m - (1 if sharp else 0)
    return max(num, 0) / (m + 1) * tot.dtc


class ComparisonBounds(NamedTuple):
    """``lower = TC/(n-1) <= dtc <= upper = (n-1) TC`` (Def 7)."""

    lower: float
    dtc: float
    upper: float


def tc_dtc_comparison(mu_or_Z, *, curve: bool = False,
                      base: float | None = None) -> ComparisonBounds:
    """The comparison ``TC/(n-1) <= DTC <= (n-1) TC`` (Def 7).

    Classical (attributed to Austin); in weight form:
    ``DTC - TC/(n-1) = sum_i n(i-1)/(n-1) delta_i`` and
    ``(n-1) TC - DTC = sum_i n(n-1-i) delta_i``, both with nonnegative
    coefficients.  The lower end is attained by the repetition code, the upper
    by the parity code.  Needs ``n >= 2``.
    """
    tot = curve_totals(mu_or_Z, curve=curve, base=base)
    if tot.n < 2:
        raise ValueError("the TC/DTC comparison needs n >= 2 positions")
    return ComparisonBounds(tot.tc / (tot.n - 1), tot.dtc, (tot.n - 1) * tot.tc)


def dtc_leave_one_out_identity(mu: Distribution, *, base: float | None = None) -> float:
    """``(n-1) TC - sum_i TC(X_{-i})``, which equals ``DTC`` (Def 7, classical).

    Needs the distribution (``TC(X_{-i})`` is not a function of ``Z``).
    """
    if not isinstance(mu, Distribution):
        raise TypeError("this identity needs a Distribution (TC(X_-i) is not a function of Z)")
    tc = total_correlation(mu, base=base)
    return float((mu.n - 1) * tc - leave_one_out_total_correlations(mu, base=base).sum())


def extremal_code_dimension(schedule, rule: Literal["tc", "dtc", "min", "uniform"]) -> int | None:
    """The dimension ``d`` of an MDS code ``[n, d]`` on which a bound is attained.

    For ``rule`` in ``"tc"``, ``"dtc"``, ``"min"`` and ``"uniform"`` this is
    ``d = a_t = N_{t-1} + 1`` for a block ``t``
    maximising the rule's ratio (for ``"uniform"``: a longest block).  On that
    code (Z a single jump of ``log q`` at ``d + 1``) the exact error is
    ``(s_t - 1) log q`` (Prop 20, Thm 4), ``TC = (R_t - 1) log q``, ``DTC = a_t log q``
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


# ----------------------------------------------------------------------------- App. F forms
def li_cai_power_bound(mu_or_Z, schedule, *, curve: bool = False,
                       base: float | None = None) -> float:
    """Thm 31 (Li & Cai) exactly as printed: ``((2^ceil(log2 s_max) - 1)/n) (TC + DTC)``.

    Holds for every schedule; the paper's proof goes through the sharper
    :func:`uniform_step_bound` ``(s_max - 1) Z_n`` (``n Z_n = TC + DTC``), which this
    form rounds up by at most a factor 2.
    """
    s = _schedule_for(mu_or_Z, schedule, curve, base)
    tot = curve_totals(mu_or_Z, curve=curve, base=base)
    smax = int(s.sizes.max())
    power = 1 << (smax - 1).bit_length()  # 2^ceil(log2 smax), exact for integers
    return (power - 1) / tot.n * (tot.tc + tot.dtc)


def conditional_tc_plus_dtc(mu_or_Z, s: int, *, curve: bool = False,
                            base: float | None = None) -> float:
    """Lemma 33's quantity ``E_{|S|=s}[TC(X|X_S) + DTC(X|X_S)]`` in closed form.

    Equals ``(n - s)(Z_n - Z_{s+1})`` (our identity via Thm 16: the TC part is
    ``sum_{j>s}(Z_j - Z_{s+1})``, the DTC part ``sum_{j>s}(Z_n - Z_j)``).  Conditional
    quantities are averages over ``x_S``; for ``s = n`` the value is 0.
    """
    src = _source(mu_or_Z, curve, base)
    if isinstance(src, Distribution):
        from .information import information_curve

        Z = information_curve(src, base=base)
    else:
        Z = src
    n = Z.size
    s = as_int(s, "s", minimum=0)
    if s > n:
        raise ValueError(f"s must be in [0, n={n}], got {s}")
    if s == n:
        return 0.0
    return float((n - s) * (Z[-1] - Z[s]))


def austin_lemma33_size(n: int, dtc: float, delta_sq: float) -> int:
    """A size ``s <= DTC/delta^2`` for Lemma 33: ``s = min(n, max(0, ceil(DTC/delta^2) - 1))``.

    Lemma 33 (Austin 2020, Lemma 8.3) asserts *some* ``s <= DTC/delta^2`` has
    ``E_{|S|=s}[TC + DTC(.|X_S)] <= delta^2 (n - s)``.  The identity of
    :func:`conditional_tc_plus_dtc` gives it for *every* ``s >= DTC/delta^2 - 1``
    (``(n-s)(Z_n - Z_{s+1}) <= (n-s) DTC/(s+1)``), so the size need not depend on
    ``mu``; this returns the smallest such ``s`` (at most ``n``: ``s = n`` leaves nothing).
    """
    from fractions import Fraction

    n = as_int(n, "n", minimum=1)
    D = _nonneg_real(dtc, "dtc")
    d2 = _nonneg_real(delta_sq, "delta_sq")
    if d2 == 0:
        raise ValueError("delta_sq must be > 0")
    return min(n, max(0, math.ceil(Fraction(D) / Fraction(d2)) - 1))


def cor34_bound(n: int, dtc: float, delta_sq: float) -> float:
    """Cor 34's bound ``delta^2 (n - k + 1)`` with ``k = floor(DTC/delta^2) + 1``.

    For the schedule of :func:`mdmtheory.paper_schedules.cor34_schedule`:
    ``KL(mu||nu) <= E KL = sum_{j>=k}(Z_j - Z_k) <= (n-k+1)(Z_n - Z_k)
    <= ((n-k+1)/k) DTC <= delta^2 (n-k+1)`` (the corrected chain; the paper's
    first "=" is a "<=", erratum E12).  Needs ``DTC < delta^2 n``.
    """
    from .paper_schedules import cor34_schedule

    sch = cor34_schedule(n, dtc, delta_sq)
    return float(delta_sq) * (sch.n - sch.k + 1)


def _nonneg_real(x, name: str) -> float:
    return as_float(x, name, minimum=0.0)
