"""Random-count schedules, exactly: Dream ``origin``, Bernoulli (MDLM) unmasking, random sizes.

Setting
-------
A *random-count* sampler reveals, at step ``t``, a random number ``r_t >= 0`` of
the still-masked positions, chosen uniformly among them, and fills them by
independent draws from the exact conditionals (Def 1).  The counts may depend
on the step and on how many positions are left, never on the values.  Three
samplers of this kind:

* **Bernoulli / ancestral unmasking** (MDLM, Sahoo et al. 2024; the reverse
  process of a masked diffusion with noise schedule ``alpha``): between grid
  times ``t_{j-1} > t_j`` every masked position is revealed independently with
  probability ``(alpha(t_j) - alpha(t_{j-1})) / (1 - alpha(t_{j-1}))``, where
  ``alpha(t)`` is the probability that a token is *unmasked* at time ``t``
  (``alpha(1) = 0``, ``alpha(0) = 1``);
* **Dream** ``alg="origin"``: the same with the grid ``linspace(1, eps, K+1)``
  and ``alpha(t) = 1 - t`` (reveal probability ``1 - s/t``), the last step
  revealing all that is left;
* **random sizes**: any law of ``r_t`` given ``(t, #masked)``.

Exact expected error
--------------------
Given the counts, the positions are a uniform ordered partition (Def 15), so
by Thm 16 -- Thm 4's exact error, which holds with empty steps too -- the
expected KL is the average over count paths of Thm 4's error of the
composition (an empty step changes nothing but costs a step).  The
error is a sum of block costs ``c(a, b) = sum_{j=a}^b (Z_j - Z_a)`` over the
blocks of the path, so by linearity

    E KL = sum_{0 <= m < m' <= n} J[m, m'] c(m + 1, m'),

where ``J[m, m']`` is the probability that some step takes the revealed count
from ``m`` to ``m'`` (a count path visits each pair at most once).  ``J``
comes from one forward pass over the count distribution -- a DP over counts,
``O(K n^2)`` for ``K`` steps -- with no enumeration of compositions.  The
same ``J`` gives the expected weights ``E w_i`` of the weight form
``E KL = sum_i E[w_i] delta_i`` (Thm 4), hence the exact worst case over all
laws with ``TC <= T``: ``T max_i E[w_i] / (n - i)`` (and ``D max_i E[w_i] / i``
with ``DTC <= D``, Lemma 8's weight forms).

When does randomising help?
---------------------------
* Never at equal numbers of steps: ``E KL`` is an average of Thm 4 errors of
  compositions with at most ``K`` non-empty steps, each ``>= OPT_K``.
* Never below the convex hull of ``k -> OPT_k`` at equal *expected* numbers of
  non-empty steps (``OPT_k`` is convex in ``k``, Thm 4's DP): mixing
  ``OPT_k`` and ``OPT_{k+1}`` is optimal, and a non-integer expected NFE is
  the only place where a random schedule beats every fixed one.
* In the worst case over an unknown ``mu`` (the setting of Zhao & Cai, arXiv
  2602.20126): ``max_i E[w_i]/(n-i)`` can be strictly smaller than the best
  fixed ``max_i w_i/(n-i)``; :func:`minimax_ratio_fixed` and
  :func:`minimax_ratio_random` compute both exactly.

References
----------
Chen, Cong & Li (COLT 2026), Def 1, Thm 4, Lemma 8, Def 15, Thm 16.  S. Sahoo et al., "Simple
and Effective Masked Diffusion Language Models", NeurIPS 2024 (MDLM).  Ye et
al., "Dream 7B" (2025), ``alg="origin"``.  Zhao & Cai, arXiv 2602.20126.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
from scipy import optimize, stats

from ._validation import as_float, as_int, as_optional_int, as_real_array, check_nbytes, show
from .schedule import compositions, riemann_weights, validate_curve

__all__ = [
    "CountProcess",
    "count_process",
    "bernoulli_process",
    "noise_schedule_process",
    "dream_origin_process",
    "jump_probabilities",
    "expected_kl",
    "expected_weights",
    "worst_case_ratio",
    "NoiseScheduleResult",
    "optimal_noise_schedule",
    "opt_hull",
    "minimax_ratio_fixed",
    "minimax_ratio_random",
]


# ============================================================================ the process
@dataclass(frozen=True)
class CountProcess:
    """A random-count schedule: per-step transition matrices of the revealed count.

    Attributes
    ----------
    n : int
    kernels : ndarray, shape (K, n+1, n+1)
        ``kernels[t, m, m'] = P(N_{t+1} = m' | N_t = m)`` (upper triangular,
        rows summing to one); the last step must reveal everything.
    name : str
    """

    n: int
    kernels: np.ndarray = field(repr=False)
    name: str = ""

    def __post_init__(self) -> None:
        n = as_int(self.n, "n", minimum=1)
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "kernels", _check_kernels(n, self.kernels))

    @property
    def steps(self) -> int:
        """``K``, the number of steps (forward passes without caching)."""
        return int(self.kernels.shape[0])

    def count_law(self) -> np.ndarray:
        """``(K+1, n+1)``: the law of the revealed count after each step."""
        pi = np.zeros((self.steps + 1, self.n + 1))
        pi[0, 0] = 1.0
        for t in range(self.steps):
            pi[t + 1] = pi[t] @ self.kernels[t]
        return pi

    def expected_nonempty_steps(self) -> float:
        """Expected number of steps that reveal something (forward passes with caching)."""
        return float(jump_probabilities(self).sum())

    def __repr__(self) -> str:
        return f"CountProcess(n={self.n}, steps={self.steps}, name={self.name!r})"


def _check_kernels(n: int, kernels: np.ndarray) -> np.ndarray:
    K = as_real_array(kernels, "kernels", finite=False)
    if K.ndim != 3 or K.shape[1:] != (n + 1, n + 1) or K.shape[0] < 1:
        raise ValueError(f"kernels must have shape (K, {n + 1}, {n + 1}), got {K.shape}")
    if not np.isfinite(K).all() or (K < -1e-15).any():
        raise ValueError("kernels must be finite and non-negative")
    if np.abs(np.tril(K, -1)).max(initial=0.0) > 0:
        raise ValueError("kernels must be upper triangular: counts never decrease")
    rows = K.sum(axis=2)
    if np.abs(rows - 1).max() > 1e-9:
        raise ValueError("every row of every kernel must sum to 1")
    pi = np.zeros(n + 1)
    pi[0] = 1.0
    for t in range(K.shape[0]):
        pi = pi @ K[t]
    if abs(pi[n] - 1.0) > 1e-9:
        raise ValueError(f"the process ends with masked positions with probability "
                         f"{1 - pi[n]:.3g}; the last step must reveal everything")
    return np.clip(K, 0.0, None)


def count_process(n: int, steps: int, size_pmf: Callable[[int, int], Sequence[float]], *,
                  name: str = "random sizes") -> CountProcess:
    """A process from a law of the step sizes.

    Parameters
    ----------
    n, steps : int
    size_pmf : callable
        ``size_pmf(t, R)`` for step ``t = 0..steps-1`` and ``R >= 1`` masked
        positions returns the probabilities of revealing ``0..R`` of them.

    Examples
    --------
    Uniform random sizes in ``{1, 2}`` (as many as are left at the end):

    >>> pr = count_process(4, 4, lambda t, R: [0, 1.0] if R == 1 else [0, .5, .5] + [0] * (R - 2))
    >>> round(pr.expected_nonempty_steps(), 6)
    2.875
    """
    if not callable(size_pmf):
        raise TypeError(f"size_pmf must be callable, size_pmf(t, R) -> probabilities, got "
                        f"{type(size_pmf).__name__}")
    n = as_int(n, "n", minimum=1)
    steps = as_int(steps, "steps", minimum=1)
    K = np.zeros((steps, n + 1, n + 1))
    for t in range(steps):
        K[t, n, n] = 1.0
        for m in range(n):
            R = n - m
            pmf = np.asarray(size_pmf(t, R), dtype=np.float64)
            if pmf.shape != (R + 1,):
                raise ValueError(f"size_pmf({t}, {R}) must return {R + 1} probabilities, got "
                                 f"shape {pmf.shape}")
            K[t, m, m:] = pmf
    return CountProcess(n, _check_kernels(n, K), name)


def bernoulli_process(n: int, unmask_probs, *, name: str = "Bernoulli") -> CountProcess:
    """Each masked position is revealed independently with probability ``p_t`` at step ``t``.

    Parameters
    ----------
    unmask_probs : sequence of float in [0, 1]
        ``p_1..p_K``; ``p_K`` must be 1 (the last step reveals everything).
    """
    n = as_int(n, "n", minimum=1)
    p = as_real_array(unmask_probs, "unmask_probs", finite=False)
    check_nbytes(16.0 * p.size * float(n + 1) ** 2, what=f"kernels of n={n} positions")
    if p.ndim != 1 or p.size < 1 or not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        raise ValueError(f"unmask_probs must be a non-empty 1-D array in [0, 1], got {show(p)}")
    if p[-1] != 1.0:
        raise ValueError(f"the last unmask probability must be 1, got {show(p[-1])}")
    m = np.arange(n + 1)[:, None]
    r = np.arange(n + 1)[None, :] - m  # revealed this step
    K = np.stack([np.where(r >= 0, stats.binom.pmf(np.maximum(r, 0), n - m, pt), 0.0)
                  for pt in p])
    return CountProcess(n, _check_kernels(n, K), name)


def noise_schedule_process(n: int, alpha, steps: int | None = None, *,
                           name: str = "noise schedule") -> CountProcess:
    """Ancestral (MDLM) unmasking on a grid of ``steps`` equal time steps.

    Parameters
    ----------
    alpha : callable or sequence
        ``alpha(t)``, the probability that a token is unmasked at time
        ``t in [0, 1]`` (nondecreasing as ``t`` decreases, ``alpha(1) = 0``,
        ``alpha(0) = 1``), evaluated on ``t_j = 1 - j/steps``; or directly the
        values ``alpha_0 = 0 <= alpha_1 <= ... <= alpha_K = 1`` on the grid.
    steps : int
        ``K`` (required with a callable).
    """
    steps = as_optional_int(steps, "steps", minimum=1)
    if callable(alpha):
        if steps is None:
            raise ValueError("steps is required when alpha is a callable")
        K = as_int(steps, "steps", minimum=1)
        a = np.array([float(alpha(1.0 - j / K)) for j in range(K + 1)])
    else:
        a = as_real_array(alpha, "alpha", finite=False)
        if steps is not None and a.size != steps + 1:
            raise ValueError(f"steps={steps} does not match the {a.size} values of alpha "
                             "(steps + 1 expected)")
    if a.ndim != 1 or a.size < 2 or not np.isfinite(a).all():
        raise ValueError("alpha must give at least two finite values")
    if abs(a[0]) > 1e-12 or abs(a[-1] - 1) > 1e-12 or (np.diff(a) < -1e-12).any():
        raise ValueError("alpha must rise from alpha(1) = 0 to alpha(0) = 1 along the grid")
    a = np.clip(a, 0.0, 1.0)
    prev = a[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(prev < 1, (a[1:] - prev) / (1 - prev), 1.0)
    p = np.clip(p, 0.0, 1.0)
    p[-1] = 1.0
    return bernoulli_process(n, p, name=name)


def dream_origin_process(n: int, steps: int, eps: float = 1e-3) -> CountProcess:
    """Dream's ``alg="origin"``: times ``linspace(1, eps, steps+1)``, reveal probability ``1 - s/t``.

    The last step reveals everything left (Dream's ``generation_utils``).
    """
    steps = as_int(steps, "steps", minimum=1)
    eps = as_float(eps, "eps", minimum=0.0, maximum=1.0, strict_minimum=True,
                   strict_maximum=True)
    ts = np.linspace(1.0, eps, steps + 1)
    p = 1.0 - ts[1:] / ts[:-1]
    p[-1] = 1.0
    return bernoulli_process(n, p, name=f"Dream origin ({steps} steps)")


# ============================================================================ exact error
def _check_process(process) -> None:
    if not isinstance(process, CountProcess):
        raise TypeError(f"process must be a CountProcess, got {type(process).__name__}")


def jump_probabilities(process: CountProcess) -> np.ndarray:
    """``J[m, m']``: probability that one step takes the revealed count from ``m`` to ``m' > m``.

    One forward pass over the count law, ``O(K n^2)``.
    """
    _check_process(process)
    n = process.n
    J = np.zeros((n + 1, n + 1))
    pi = np.zeros(n + 1)
    pi[0] = 1.0
    for Kt in process.kernels:
        J += pi[:, None] * np.triu(Kt, 1)
        pi = pi @ Kt
    return J


def _block_costs(Z: np.ndarray) -> np.ndarray:
    """``C[m, m'] = c(m+1, m') = sum_{j=m+1}^{m'} (Z_j - Z_{m+1})`` for ``m < m'``."""
    n = Z.size
    P = np.concatenate([[0.0], np.cumsum(Z)])
    m = np.arange(n + 1)[:, None]
    mp = np.arange(n + 1)[None, :]
    Za = np.concatenate([Z, [0.0]])[np.minimum(m, n)]
    C = (P[mp] - P[m]) - (mp - m) * Za
    return np.where(mp > m, C, 0.0)


def expected_kl(Z, process: CountProcess) -> float:
    """Exact ``E KL`` of a random-count schedule (Thm 4 averaged over its count paths).

    Parameters
    ----------
    Z : array_like, shape (n,)
        Information curve (Def 3).
    process : CountProcess

    Returns
    -------
    float
        ``sum_{m < m'} J[m, m'] c(m+1, m')`` in the units of ``Z``.
    """
    _check_process(process)
    Zc = validate_curve(Z)
    if Zc.size != process.n:
        raise ValueError(f"Z has length {Zc.size}, the process has n={process.n}")
    J = jump_probabilities(process)
    return float(np.sum(J * _block_costs(Zc)))


def expected_weights(process: CountProcess) -> np.ndarray:
    """``E[w_i]`` for ``i = 1..n-1`` (index ``i-1``): expected distance from ``i`` to its block end."""
    _check_process(process)
    n = process.n
    J = jump_probabilities(process)
    w = np.zeros(n + 1)
    for m in range(n):
        for mp in range(m + 1, n + 1):
            if J[m, mp] > 0:
                i = np.arange(m + 1, mp + 1)
                w[i] += J[m, mp] * (mp - i)
    return w[1:n]


def worst_case_ratio(process: CountProcess, kind: str = "tc") -> float:
    """``max_i E[w_i]/(n-i)`` (``kind="tc"``) or ``max_i E[w_i]/i`` (``"dtc"``).

    ``sup {E KL : TC(mu) <= T} = T * ratio`` (and likewise with DTC), since
    ``E KL = sum_i E[w_i] delta_i`` and ``TC = sum_i (n-i) delta_i`` (Lemma 8).
    """
    _check_process(process)
    w = expected_weights(process)
    i = np.arange(1, process.n)
    if kind == "tc":
        return float(np.max(w / (process.n - i), initial=0.0))
    if kind == "dtc":
        return float(np.max(w / i, initial=0.0))
    raise ValueError(f"kind must be 'tc' or 'dtc', got {kind!r}")


# ============================================================================ optimisation
@dataclass(frozen=True)
class NoiseScheduleResult:
    """The best Bernoulli noise schedule with ``k`` steps found by :func:`optimal_noise_schedule`.

    Attributes
    ----------
    unmask_probs : ndarray, shape (k,)
        ``p_1..p_k`` (``p_k = 1``).
    alpha : ndarray, shape (k+1,)
        The noise schedule on the grid: ``alpha_j = 1 - prod_{t<=j} (1 - p_t)``.
    expected_kl : float
    expected_nonempty_steps : float
    starts : int
        Number of local searches.
    """

    unmask_probs: np.ndarray
    alpha: np.ndarray
    expected_kl: float
    expected_nonempty_steps: float
    starts: int


def optimal_noise_schedule(Z, k: int, *, starts: int = 8, seed=0) -> NoiseScheduleResult:
    """Minimise the exact ``E KL`` over Bernoulli noise schedules with ``k`` steps.

    The objective is a polynomial in ``p_1..p_{k-1}`` (``p_k = 1``), minimised
    by bounded L-BFGS-B from the linear (Dream) schedule, the log-linear one
    and ``starts`` random starts; the best local optimum is returned (for
    ``k = 2`` a dense grid is refined, which makes it the global optimum up to
    the grid's resolution).

    Returns
    -------
    NoiseScheduleResult
    """
    Zc = validate_curve(Z)
    n = Zc.size
    k = as_int(k, "k", minimum=1, maximum=n)
    starts = as_int(starts, "starts", minimum=0)
    C = _block_costs(Zc)

    def process(p):
        return bernoulli_process(n, np.concatenate([np.clip(p, 0, 1), [1.0]]))

    def f(p):
        return float(np.sum(jump_probabilities(process(p)) * C))

    if k == 1:
        pr = process(np.zeros(0))
        return NoiseScheduleResult(np.array([1.0]), np.array([0.0, 1.0]), f(np.zeros(0)),
                                   pr.expected_nonempty_steps(), 0)
    rng = np.random.default_rng(seed)
    inits = [1.0 / (k - np.arange(k - 1))]  # linear alpha: p_t = 1/(k - t + 1)
    inits.append(np.full(k - 1, 1.0 - math.exp(-math.log(n + 1) / k)))
    if k == 2:
        grid = np.linspace(0, 1, 201)
        inits.append(np.array([grid[int(np.argmin([f(np.array([g])) for g in grid]))]]))
    inits += [rng.uniform(0, 1, k - 1) for _ in range(starts)]
    best = None
    for x0 in inits:
        r = optimize.minimize(f, x0, method="L-BFGS-B", bounds=[(0.0, 1.0)] * (k - 1))
        if best is None or r.fun < best.fun:
            best = r
    p = np.concatenate([np.clip(best.x, 0, 1), [1.0]])
    alpha = 1.0 - np.concatenate([[1.0], np.cumprod(1 - p)])
    pr = process(best.x)
    return NoiseScheduleResult(p, alpha, float(best.fun), pr.expected_nonempty_steps(),
                               len(inits))


def opt_hull(Z, at) -> np.ndarray:
    """Lower convex hull of ``k -> OPT_k`` at (possibly fractional) step counts ``at``.

    The least ``E KL`` of any mixture of fixed schedules with that expected
    number of steps; ``OPT_k`` is convex in ``k`` (Thm 4's DP), so this is the
    linear interpolation of ``OPT_floor`` and ``OPT_ceil``.
    """
    from .optimal import optimal_frontier

    Zc = validate_curve(Z)
    fr = optimal_frontier(Zc)
    errs = np.asarray(fr.errors, dtype=np.float64)
    ks = np.arange(1, errs.size + 1)
    at = as_real_array(at, "at")
    if (at < 1).any() or (at > Zc.size).any():
        raise ValueError(f"at must lie in [1, n={Zc.size}]")
    return np.interp(at, ks, errs)


def minimax_ratio_fixed(n: int, k: int, kind: str = "tc") -> tuple[float, tuple[int, ...]]:
    """Best worst-case ratio of a fixed ``k``-step schedule: ``min_s max_i w_i / (n-i)`` (or ``/ i``).

    A min-max DP over the partial sums (``w_i/(n-i)`` is largest at the start
    of a block for ``"tc"``, ``w_i/i`` likewise), ``O(k n^2)``.
    """
    n = as_int(n, "n", minimum=1)
    k = as_int(k, "k", minimum=1)
    if k > n:
        raise ValueError(f"k must be <= n={n}, got {k}")
    if kind not in ("tc", "dtc"):
        raise ValueError(f"kind must be 'tc' or 'dtc', got {kind!r}")

    def block(m, mp):  # block a = m+1 .. b = mp
        a, b = m + 1, mp
        if b == a or b <= 1 or a >= n:
            return 0.0
        i = np.arange(a, min(b, n - 1) + 1)
        w = b - i
        den = (n - i) if kind == "tc" else i
        return float(np.max(w / den))

    F = np.full((k + 1, n + 1), np.inf)
    arg = np.zeros((k + 1, n + 1), dtype=np.int64)
    F[0, 0] = 0.0
    for t in range(1, k + 1):
        for mp in range(t, n + 1):
            best, bj = np.inf, -1
            for m in range(t - 1, mp):
                v = max(F[t - 1, m], block(m, mp))
                if v < best - 1e-15:
                    best, bj = v, m
            F[t, mp], arg[t, mp] = best, bj
    sizes, m = [], n
    for t in range(k, 0, -1):
        sizes.append(m - int(arg[t, m]))
        m = int(arg[t, m])
    return float(F[k, n]), tuple(reversed(sizes))


def minimax_ratio_random(n: int, k: int, kind: str = "tc") -> tuple[float, dict]:
    """Best worst-case ratio of a *random* ``k``-step schedule: ``min_P max_i E_P[w_i]/(n-i)``.

    A linear programme over the distributions on the ``C(n-1, k-1)``
    compositions into ``k`` parts (scipy ``linprog``, HiGHS); exact up to the
    LP tolerance (~1e-9).  Feasible for ``C(n-1, k-1)`` up to ~10^5.

    Returns
    -------
    ratio : float
    mixture : dict
        ``composition -> probability`` of an optimal mixture (support only).
    """
    n = as_int(n, "n", minimum=2)
    k = as_int(k, "k", minimum=1)
    if kind not in ("tc", "dtc"):
        raise ValueError(f"kind must be 'tc' or 'dtc', got {kind!r}")
    if math.comb(n - 1, k - 1) > 200_000:
        raise MemoryError(f"{math.comb(n - 1, k - 1):,} compositions: too many for the LP")
    comps = [tuple(int(v) for v in s.sizes) for s in compositions(n, k)]
    i = np.arange(1, n)
    den = (n - i) if kind == "tc" else i
    W = np.zeros((len(comps), n - 1))
    for c, s in enumerate(comps):
        W[c] = riemann_weights(s)
    # variables: P (one per composition), t; minimise t
    A = np.hstack([(W / den).T, -np.ones((n - 1, 1))])
    res = optimize.linprog(np.r_[np.zeros(len(comps)), 1.0], A_ub=A, b_ub=np.zeros(n - 1),
                           A_eq=np.r_[np.ones(len(comps)), 0.0][None, :], b_eq=[1.0],
                           bounds=[(0, None)] * len(comps) + [(None, None)], method="highs")
    if res.status != 0:  # pragma: no cover - the LP is always feasible and bounded
        raise RuntimeError(f"linprog failed: {res.message}")
    P = res.x[:-1]
    mix = {comps[c]: float(P[c]) for c in np.flatnonzero(P > 1e-12)}
    return float(res.x[-1]), mix
