"""Families of k-step schedules: public samplers' rules and the sharp TC/DTC greedy rules.

Every function returns a validated :class:`~mdmtheory.schedule.Schedule`
(positive integer sizes ``s_1..s_k`` summing to ``n``) with a ``name``.

Fixed families (what public samplers do)
----------------------------------------
* :func:`uniform_schedule` -- LLaDA's ``get_num_transfer_tokens``: ``floor(n/k)``
  per step, the first ``n mod k`` steps get one more.
* :func:`semi_autoregressive_schedule` / :func:`llada_schedule` -- LLaDA's
  semi-autoregressive blocks: the sequence is cut into blocks of ``block_length``
  positions taken left to right, each split by :func:`uniform_schedule`.
  (In this model the *positions* are always random; only the counts are
  taken from LLaDA.)
* :func:`masking_schedule` -- a continuous masking schedule (linear, cosine
  (MaskGIT), MDLM log-linear, or any callable) discretised by
  :func:`schedule_from_cumulative`'s documented rounding rule.
* :func:`dream_transfer_counts` -- Dream/MDLM's own per-step rule
  ``floor(R (1 - s/t))`` (may contain empty steps), for comparison.
* :func:`geometric_schedule` -- step sizes growing (or shrinking) by a ratio.

Greedy rules: sharper than the paper's Thm 9 schedules
------------------------------------------------------
:func:`tc_greedy_schedule`, :func:`dtc_greedy_schedule` and
:func:`min_greedy_schedule` are our sharper rules for Thm 9's guarantee, not the
paper's own schedules (those are in :mod:`mdmtheory.paper_schedules`; with
``lam = eps/T`` the greedy rules need fewer steps for the same guarantee).  With
``lam`` the per-step budget they guarantee

* TC rule:  ``s_t - 1 <= lam (R_t - 1)``        =>  ``E KL <= lam * TC``,
* DTC rule: ``s_t - 1 <= lam (N_{t-1} + 1)``    =>  ``E KL <= lam * DTC``,
* min rule: both conditions at once             =>  ``E KL <= lam * min(TC, DTC)``,

and take the largest step the condition allows, which uses the fewest steps
among all schedules satisfying it.  :func:`tc_rule_lambda`,
:func:`dtc_rule_lambda` and :func:`min_rule_lambda` give the ``lam`` that makes
the bound equal a target error ``eps``.

The floors are taken in exact rational arithmetic on the binary value of
``lam`` (``float.as_integer_ratio``), so ``s_t - 1 = floor(lam x)`` is exact
and the conditions hold exactly, without rounding surprises such as
``0.7 * 10 == 7.0`` in floating point although the binary value of ``0.7``
is slightly below ``7/10`` (so the exact floor is 6).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ._validation import as_float, as_int, as_real_array
from .schedule import Schedule

#: Largest length whose int64 schedule sizes and sums cannot overflow.
_MAX_N = 2**62

__all__ = [
    "uniform_schedule",
    "llada_transfer_counts",
    "semi_autoregressive_schedule",
    "llada_schedule",
    "MASKING_SCHEDULES",
    "masked_fraction",
    "schedule_from_cumulative",
    "masking_schedule",
    "dream_transfer_counts",
    "geometric_schedule",
    "tc_greedy_schedule",
    "dtc_greedy_schedule",
    "min_greedy_schedule",
    "tc_rule_lambda",
    "dtc_rule_lambda",
    "min_rule_lambda",
    "tc_rule_ratio",
    "dtc_rule_ratio",
]


# ----------------------------------------------------------------------------- LLaDA
def llada_transfer_counts(masked: int, steps: int) -> np.ndarray:
    """LLaDA's ``get_num_transfer_tokens`` for one block.

    ``floor(masked/steps)`` tokens per step, and the first ``masked mod steps``
    steps get one extra.  Unlike :func:`uniform_schedule` this may return zeros
    (when ``steps > masked``), exactly as LLaDA does (such a step costs a
    forward pass and reveals nothing).

    Returns
    -------
    ndarray of int64, shape (steps,)
    """
    masked = as_int(masked, "masked", minimum=0)
    steps = as_int(steps, "steps", minimum=1)
    base, rem = divmod(masked, steps)
    counts = np.full(steps, base, dtype=np.int64)
    counts[:rem] += 1
    return counts


def uniform_schedule(n: int, k: int) -> Schedule:
    """The uniform k-step schedule with LLaDA's split.

    ``s_t = floor(n/k) + [t <= n mod k]``: the remainder goes to the *first*
    steps.  Example: ``n = 10, k = 4`` gives ``(3, 3, 2, 2)``.

    Raises
    ------
    ValueError
        If ``k > n`` (a step would reveal nothing; see
        :func:`llada_transfer_counts` for LLaDA's counts including zeros).
    """
    n = as_int(n, "n", minimum=1, maximum=_MAX_N)
    k = as_int(k, "k", minimum=1)
    if k > n:
        raise ValueError(f"a uniform schedule needs k <= n steps (got k={k}, n={n}): "
                         "more steps than positions would leave empty steps")
    return Schedule(llada_transfer_counts(n, k), n, name=f"uniform(k={k})")


def semi_autoregressive_schedule(n: int, block_length: int, steps_per_block: int) -> Schedule:
    """Semi-autoregressive blocks (LLaDA, Fast-dLLM).

    The ``n`` positions form ``n / block_length`` blocks; each block gets
    ``steps_per_block`` steps with :func:`llada_transfer_counts`.  The total is
    ``k = (n / block_length) * steps_per_block`` steps.

    Notes
    -----
    In the sampler model of Def 15 the positions revealed at each step are a
    uniform random subset of *all* masked positions, so only the per-step counts
    carry over from semi-AR decoding (whose positions are confined to the
    current block).  By Thm 4 the error depends on the counts alone.

    Raises
    ------
    ValueError
        If ``block_length`` does not divide ``n`` (LLaDA asserts the same) or
        ``steps_per_block > block_length``.
    """
    n = as_int(n, "n", minimum=1, maximum=_MAX_N)
    bl = as_int(block_length, "block_length", minimum=1)
    spb = as_int(steps_per_block, "steps_per_block", minimum=1)
    if n % bl:
        raise ValueError(f"block_length={bl} must divide n={n} (LLaDA requires "
                         "gen_length % block_length == 0)")
    if spb > bl:
        raise ValueError(f"steps_per_block={spb} exceeds block_length={bl}: "
                         "some steps would reveal nothing")
    sizes = np.tile(llada_transfer_counts(bl, spb), n // bl)
    return Schedule(sizes, n, name=f"semi-AR(BL={bl}, steps/block={spb})")


def llada_schedule(gen_length: int, steps: int, block_length: int | None = None) -> Schedule:
    """The counts of LLaDA's ``generate(steps, gen_length, block_length)``.

    ``block_length`` defaults to ``gen_length`` (a single block).  LLaDA requires
    ``gen_length % block_length == 0`` and ``steps % num_blocks == 0``; each block
    gets ``steps / num_blocks`` steps.
    """
    n = as_int(gen_length, "gen_length", minimum=1, maximum=_MAX_N)
    steps = as_int(steps, "steps", minimum=1)
    bl = n if block_length is None else as_int(block_length, "block_length", minimum=1)
    if n % bl:
        raise ValueError(f"block_length={bl} must divide gen_length={n}")
    blocks = n // bl
    if steps % blocks:
        raise ValueError(f"steps={steps} must be a multiple of the number of blocks "
                         f"({blocks} = gen_length/block_length)")
    s = semi_autoregressive_schedule(n, bl, steps // blocks)
    return Schedule(s.sizes, n, name=f"LLaDA(steps={steps}, BL={bl})")


# ----------------------------------------------------------------------------- continuous
def _linear(tau: np.ndarray) -> np.ndarray:
    return 1.0 - tau


def _cosine(tau: np.ndarray) -> np.ndarray:
    return np.cos(0.5 * np.pi * tau)


def _make_loglinear(eps: float) -> Callable[[np.ndarray], np.ndarray]:
    def f(tau: np.ndarray) -> np.ndarray:
        out = 1.0 - (1.0 - eps) * tau
        return np.where(tau >= 1.0, 0.0, out)
    return f


#: Named masking schedules ``m(tau)`` = fraction of positions still masked after
#: a fraction ``tau`` of the generation (``m(0) = 1``, ``m(1) = 0``).
MASKING_SCHEDULES: dict[str, str] = {
    "linear": "m(tau) = 1 - tau  (alpha_t = 1 - t; MDLM/Dream linear)",
    "cosine": "m(tau) = cos(pi tau / 2)  (MaskGIT's cosine mask ratio)",
    "loglinear": ("MDLM log-linear noise sigma(t) = -log(1 - (1-eps) t): masked fraction "
                  "(1-eps) t on MDLM's grid t = 1 - tau; the final step also takes the "
                  "eps share (MDLM's noise-removal pass folded into it)"),
}


def masked_fraction(alpha: str | Callable[[np.ndarray], np.ndarray], tau, *,
                    eps: float = 1e-3) -> np.ndarray:
    """Evaluate a masking schedule ``m(tau)`` (fraction still masked) on ``tau``.

    Parameters
    ----------
    alpha : {'linear', 'cosine', 'loglinear'} or callable
        A name from :data:`MASKING_SCHEDULES`, or a callable mapping an array of
        ``tau`` in ``[0, 1]`` to the masked fraction.  In diffusion-time notation
        (MDLM: ``alpha_t`` = probability a token is clean at time ``t``, sampling
        runs ``t = 1 -> 0``) this is ``m(tau) = 1 - alpha_{1 - tau}``.
    tau : array_like
        Progress values in ``[0, 1]``.
    eps : float
        MDLM's time floor, used by ``'loglinear'`` only.
    """
    tau = as_real_array(tau, "tau")
    if not np.all((tau >= 0.0) & (tau <= 1.0)):
        raise ValueError("tau must lie in [0, 1]")
    eps = as_float(eps, "eps", minimum=0.0, maximum=1.0, strict_maximum=True)
    if isinstance(alpha, str):
        if alpha == "linear":
            f = _linear
        elif alpha == "cosine":
            f = _cosine
        elif alpha in ("loglinear", "log-linear", "log_linear"):
            f = _make_loglinear(eps)
        else:
            raise ValueError(f"alpha: unknown masking schedule {alpha!r}; choose one of "
                             f"{sorted(MASKING_SCHEDULES)} or pass a callable")
    elif callable(alpha):
        f = alpha
    else:
        raise ValueError(f"alpha must be a name or a callable, got {alpha!r}")
    out = np.asarray(f(tau), dtype=np.float64)
    if out.shape != tau.shape:
        out = np.broadcast_to(out, tau.shape).astype(np.float64)
    return out


def schedule_from_cumulative(n: int, targets, *, name: str | None = None) -> Schedule:
    """Round real cumulative targets ``C_0 = 0 <= C_1 <= ... <= C_k = n`` to a schedule.

    Rounding rule (documented, used by every continuous family)::

        N_0 = 0,   N_t = min( max( round_half_up(C_t), N_{t-1} + 1 ), n - (k - t) ),

    for ``t = 1..k`` (so ``N_k = n``).  The lower clip forces every step to
    reveal at least one position; the upper clip leaves one position for each
    later step.  Since ``N_{t-1} <= n - (k - t + 1)``, the two clips never
    conflict, so ``s_t = N_t - N_{t-1} >= 1`` and ``sum s_t = n`` for *any*
    targets and any ``1 <= k <= n``.  Where the targets are already spaced by at
    least one, ``N_t`` is just ``C_t`` rounded to nearest (ties up).

    Parameters
    ----------
    n : int
    targets : array_like, shape (k,)
        ``C_1..C_k``: finite, nondecreasing, within ``[0, n]``; the last one is
        taken as ``n`` whatever its value.
    """
    n = as_int(n, "n", minimum=1, maximum=_MAX_N)
    C = as_real_array(targets, "targets")
    if C.ndim != 1 or C.size == 0:
        raise ValueError(f"targets must be a non-empty 1-D array, got shape {C.shape}")
    if not np.all(np.isfinite(C)):
        raise ValueError("cumulative targets contain NaN or infinite values")
    k = C.size
    if k > n:
        raise ValueError(f"cannot make k={k} positive steps out of n={n} positions")
    tol = 1e-9 * n
    if np.any(np.diff(np.concatenate([[0.0], C])) < -tol):
        raise ValueError("cumulative targets must be nondecreasing")
    if C.min() < -tol or C.max() > n + tol:
        raise ValueError(f"cumulative targets must lie in [0, n={n}]")
    N = np.empty(k + 1, dtype=np.int64)
    N[0] = 0
    for t in range(1, k + 1):
        r = n if t == k else int(math.floor(C[t - 1] + 0.5))
        N[t] = min(max(r, N[t - 1] + 1), n - (k - t))
    return Schedule(np.diff(N), n, name=name)


def masking_schedule(n: int, k: int, alpha: str | Callable = "linear", *,
                     eps: float = 1e-3) -> Schedule:
    """A k-step schedule discretised from a continuous masking schedule.

    The step grid is ``tau_t = t/k`` (uniform in time, as in MDLM/Dream/MaskGIT);
    the target number of revealed positions after step ``t`` is
    ``C_t = n (1 - m(tau_t))`` and :func:`schedule_from_cumulative` rounds these
    (nearest, then clipped so every step reveals at least one position).

    Parameters
    ----------
    n, k : int
        Positions and steps, ``1 <= k <= n``.
    alpha : {'linear', 'cosine', 'loglinear'} or callable
        See :func:`masked_fraction`.  A callable must be nonincreasing on
        ``[0, 1]`` with ``m(0) = 1`` and ``m(1) = 0`` (checked on the grid).
    eps : float
        MDLM's time floor for ``'loglinear'``.

    Notes
    -----
    * ``'linear'`` targets ``C_t = n t / k`` and therefore differs from
      :func:`uniform_schedule` only in where the remainder goes.
    * MDLM's log-linear noise has masked fraction linear in diffusion time, so
      ``'loglinear'`` differs from ``'linear'`` only by the ``eps`` share of
      the last step: the honest consequence of MDLM's parametrisation.
    * ``'cosine'`` (MaskGIT) reveals few tokens first and many at the end.
    """
    n = as_int(n, "n", minimum=1, maximum=_MAX_N)
    k = as_int(k, "k", minimum=1)
    if k > n:
        raise ValueError(f"need 1 <= k <= n steps, got k={k}, n={n}")
    tau = np.arange(k + 1, dtype=np.float64) / k
    m = masked_fraction(alpha, tau, eps=eps)
    if not np.all(np.isfinite(m)):
        raise ValueError("the masking schedule returned NaN or infinite values")
    if abs(m[0] - 1.0) > 1e-9 or abs(m[-1]) > 1e-9:
        raise ValueError(f"a masking schedule needs m(0) = 1 and m(1) = 0 (got "
                         f"{m[0]!r}, {m[-1]!r})")
    if np.any(np.diff(m) > 1e-12):
        raise ValueError("a masking schedule must be nonincreasing in tau")
    label = alpha if isinstance(alpha, str) else getattr(alpha, "__name__", "custom")
    return schedule_from_cumulative(n, n * (1.0 - m[1:]), name=f"{label}(k={k})")


def dream_transfer_counts(n: int, steps: int, *, eps: float = 1e-3,
                          alpha: str | Callable = "linear") -> np.ndarray:
    """Dream's deterministic per-step counts.

    Timesteps ``t_i = linspace(1, eps, steps+1)``; with ``R`` masked positions
    before step ``i`` the step reveals ``floor(R (1 - m_{i+1}/m_i))`` where
    ``m_i`` is the masked fraction at ``t_i`` (``m = t`` for the linear schedule,
    Dream's default), and the last step reveals everything left.

    Returns
    -------
    ndarray of int64, shape (steps,)
        May contain zeros (a forward pass that reveals nothing); drop them
        (``Schedule(c[c > 0])``) to get the schedule of positions, which by
        Thm 4 has the same error.
    """
    n = as_int(n, "n", minimum=1, maximum=_MAX_N)
    steps = as_int(steps, "steps", minimum=1)
    eps = as_float(eps, "eps", minimum=0.0, maximum=1.0, strict_minimum=True,
                   strict_maximum=True)
    t = np.linspace(1.0, eps, steps + 1)
    m = masked_fraction(alpha, 1.0 - t, eps=eps)
    counts = np.zeros(steps, dtype=np.int64)
    R = n
    for i in range(steps):
        if i == steps - 1:
            c = R
        else:
            c = int(math.floor(R * (1.0 - m[i + 1] / m[i]))) if m[i] > 0 else R
        c = min(max(c, 0), R)
        counts[i] = c
        R -= c
    return counts


def geometric_schedule(n: int, k: int, ratio: float) -> Schedule:
    """Step sizes in geometric progression, ``s_t ∝ ratio^(t-1)``.

    ``ratio > 1`` grows the steps (small first: the shape of the DTC rule),
    ``ratio < 1`` shrinks them (large first: the shape of the TC rule);
    ``ratio = 1`` targets uniform steps.  Cumulative targets
    ``C_t = n (ratio^t - 1)/(ratio^k - 1)`` are rounded by
    :func:`schedule_from_cumulative`.  Lavenant & Zanella study this
    family.
    """
    n = as_int(n, "n", minimum=1, maximum=_MAX_N)
    k = as_int(k, "k", minimum=1)
    r = as_float(ratio, "ratio", minimum=0.0, strict_minimum=True)
    if k > n:
        raise ValueError(f"need 1 <= k <= n steps, got k={k}, n={n}")
    t = np.arange(1, k + 1, dtype=np.float64)
    if abs(r - 1.0) < 1e-12:
        C = n * t / k
    else:
        # log-space to avoid overflow for large k*log(r)
        lr = math.log(r)
        if lr > 0:
            C = n * np.exp((t - k) * lr) * (-np.expm1(-t * lr)) / (-np.expm1(-k * lr))
        else:
            C = n * np.expm1(t * lr) / np.expm1(k * lr)
    return schedule_from_cumulative(n, C, name=f"geometric(k={k}, r={r:g})")


# ----------------------------------------------------------------------------- greedy rules
def _lam_ratio(lam: float) -> tuple[int, int]:
    return as_float(lam, "lam", minimum=0.0, strict_minimum=True).as_integer_ratio()


def _greedy(n: int, lam: float, rule: str) -> Schedule:
    n = as_int(n, "n", minimum=1, maximum=_MAX_N)
    num, den = _lam_ratio(lam)
    sizes = []
    N = 0
    while N < n:
        R = n - N
        if rule == "tc":
            x = R - 1
        elif rule == "dtc":
            x = N + 1
        else:
            x = min(R - 1, N + 1)
        s = min(1 + (num * x) // den, R)  # exact floor(lam * x)
        sizes.append(s)
        N += s
    return Schedule(sizes, n, name=f"{rule}-greedy(lam={float(lam):g})")


def tc_greedy_schedule(n: int, lam: float) -> Schedule:
    """Greedy TC rule: ``s_t = 1 + floor(lam (R_t - 1))`` (sharp form of Thm 9, TC).

    Every step satisfies ``s_t - 1 <= lam (R_t - 1)``, hence ``E KL <= lam * TC``
    for every distribution (:func:`mdmtheory.bounds.tc_rule_bound`), and no schedule
    satisfying that condition has fewer steps.  Large steps first, shrinking
    geometrically: about ``ln(n)/lam`` steps.  ``lam >= 1`` gives one step.

    Parameters
    ----------
    n : int
    lam : float
        Budget ``lam > 0`` (meaningful in ``(0, 1]``); the floor is exact.
    """
    return _greedy(n, lam, "tc")


def dtc_greedy_schedule(n: int, lam: float) -> Schedule:
    """Greedy DTC rule: ``s_t = min(1 + floor(lam (N_{t-1}+1)), R_t)`` (sharp form of Thm 9, DTC).

    Every step satisfies ``s_t - 1 <= lam (N_{t-1} + 1)``, hence ``E KL <= lam * DTC``
    (:func:`mdmtheory.bounds.dtc_rule_bound`), with the fewest steps among schedules
    satisfying the condition.
    Small steps first, growing geometrically: about ``ln(n)/ln(1+lam)`` steps.
    The last step is capped at the positions left (which keeps the condition).
    """
    return _greedy(n, lam, "dtc")


def min_greedy_schedule(n: int, lam: float) -> Schedule:
    """Greedy rule for both conditions (both guarantees of Thm 9 at once).

    ``s_t = 1 + floor(lam * min(R_t - 1, N_{t-1} + 1))`` satisfies both the TC
    and the DTC condition, hence ``E KL <= lam * min(TC, DTC)``; derived
    with the fewest steps among schedules
    satisfying both conditions.  About twice the steps of either rule.
    """
    return _greedy(n, lam, "min")


def tc_rule_lambda(eps: float, tc: float) -> float:
    """``lam = min(1, eps / TC)``: the TC rule's budget for ``E KL <= eps``.

    ``TC = 0`` (a product measure) returns 1 (one step is exact).
    """
    eps, tc = _check_eps_info(eps, tc, "tc")
    return 1.0 if tc == 0 else min(1.0, eps / tc)


def dtc_rule_lambda(eps: float, dtc: float) -> float:
    """``lam = min(1, eps / DTC)``: the DTC rule's budget for ``E KL <= eps``.

    Capped at 1 (a larger ``lam`` also satisfies the bound ``lam * DTC``, but the
    rules are stated for ``lam <= 1``).
    """
    eps, dtc = _check_eps_info(eps, dtc, "dtc")
    return 1.0 if dtc == 0 else min(1.0, eps / dtc)


def min_rule_lambda(eps: float, tc: float, dtc: float) -> float:
    """``lam = min(1, eps / min(TC, DTC))`` for the min rule."""
    eps, tc = _check_eps_info(eps, tc, "tc")
    _, dtc = _check_eps_info(eps, dtc, "dtc")
    b = min(tc, dtc)
    return 1.0 if b == 0 else min(1.0, eps / b)


def _check_eps_info(eps, info, name):
    eps = as_float(eps, "eps", minimum=0.0, strict_minimum=True)
    info = as_float(info, name)
    if info < -1e-12:
        raise ValueError(f"{name} must be a finite non-negative number, got {info!r}")
    return eps, max(info, 0.0)


def tc_rule_ratio(schedule) -> float:
    """``max_t (s_t - 1)/(R_t - 1)`` (0/0 := 0): the smallest ``lam`` whose TC
    condition the schedule satisfies, so ``E KL <= ratio * TC``.

    This is also the worst case of ``E KL / TC`` over all distributions,
    attained by an MDS code (weight form of Thm 16).
    """
    from .schedule import as_schedule
    s = as_schedule(schedule)
    num = s.sizes - 1
    den = s.remaining - 1
    r = np.where(den > 0, num / np.maximum(den, 1), 0.0)
    return float(r.max())


def dtc_rule_ratio(schedule) -> float:
    """``max_t (s_t - 1)/(N_{t-1} + 1)``: the smallest ``lam`` whose DTC condition
    the schedule satisfies, so ``E KL <= ratio * DTC``."""
    from .schedule import as_schedule
    s = as_schedule(schedule)
    return float(((s.sizes - 1) / (s.cumulative[:-1] + 1)).max())
