"""How far unmasking rules are from the optimal adaptive policy: exact fronts and gaps.

For one small law ``mu`` and one terminal reward, three kinds of exact fronts
of ``E R`` against the expected number of forward passes ``E NFE``:

* the optimal *adaptive* front (:func:`~mdmtheory.policies.adaptive_optimal.adaptive_front`),
  the upper concave envelope of every adaptive policy;
* the DP-optimal *oblivious* schedule of Thm 4 (random positions, the
  ``k``-step counts minimising Thm 4's error on the exact curve), ``k = 1..n``;
* every heuristic rule over its parameter sweep
  (:func:`~mdmtheory.policies.exact.default_policy_grid`), evaluated exactly by
  :func:`~mdmtheory.policies.exact.evaluate_policy`.

Each front is compared through ``F(N)``, the best reward with ``E NFE <= N``
(:func:`~mdmtheory.policies.adaptive_optimal.budget_envelope`: mixing two
policies achieves every convex combination of their points), on the
integer grid ``N = 1..n``: the *gap* of a rule is ``F*(N) - F_rule(N)``, the
*adaptivity gain* is ``F*(N) - F_obl(N)``, and the rule *captures*
``sum_N (F_rule - F_obl) / sum_N (F* - F_obl)`` of it (over the ``N`` where the
gain exceeds :data:`GAIN_ATOL`; negative: worse than the optimal oblivious
schedule).  ``N`` outside a rule's range is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..distribution import as_distribution
from ..information import information_curve
from ..optimal import optimal_schedule
from .adaptive_optimal import AdaptiveFront, adaptive_front, budget_envelope
from .exact import PolicyLaw, default_policy_grid, evaluate_policy
from .heuristics import RandomK

__all__ = ["GAIN_ATOL", "RuleFront", "GapReport", "law_reward", "gap_report", "gaps_from_points",
           "summarize_gaps"]

#: Adaptivity gains below this (reward units) count as none: the envelopes are
#: exact to ~1e-12, so 1e-9 separates rounding from a real gain.
GAIN_ATOL = 1e-9


def law_reward(law: PolicyLaw, reward: str, *, alpha: float = 1.0) -> float:
    """Exact ``E R`` of an evaluated policy for the rewards of the adaptive DP.

    ``"correct"``: ``nu(supp mu)``; ``"loglik"``: ``E_nu log mu(X)`` (nats,
    ``-inf`` if ``nu`` leaves the support); ``"speed"``: Jazbec et al.'s
    ``E[1[mu(X)>0] ((L-NFE+1)/L)^alpha]``.
    """
    if reward == "correct":
        return law.accuracy
    if reward == "speed":
        return law.expected_reward(alpha)
    if reward == "loglik":
        nu = law.nu.ravel()
        p = law.mu.p.ravel()
        if (nu[p == 0] > 0).any():
            return -np.inf
        pos = nu > 0
        return float(np.sum(nu[pos] * np.log(p[pos])))
    raise ValueError(f"reward must be 'correct', 'loglik' or 'speed', got {reward!r}")


@dataclass(frozen=True)
class RuleFront:
    """Exact points of one rule family: ``(E NFE, E R)`` per parameter."""

    name: str
    params: np.ndarray
    expected_nfe: np.ndarray
    expected_reward: np.ndarray

    def envelope(self, at) -> np.ndarray:
        """Best reward with expected NFE at most ``at`` by mixing the rule's parameters."""
        return budget_envelope(self.expected_nfe, self.expected_reward, at)


@dataclass(frozen=True)
class GapReport:
    """Fronts and gaps of every rule on one law.

    Attributes
    ----------
    name, reward : str
    adaptive : AdaptiveFront
    oblivious : RuleFront
        The DP-optimal oblivious schedule (Thm 4), ``k = 1..n``.
    rules : dict of str -> RuleFront
    grid : ndarray
        ``N = 1..n``.
    gain : ndarray
        ``F*(N) - F_obl(N)``.
    gaps : dict of str -> ndarray
        ``F*(N) - F_rule(N)`` (NaN outside the rule's range).
    seconds : dict
        Wall time of the adaptive front and of the rule evaluations.
    """

    name: str
    reward: str
    adaptive: AdaptiveFront = field(repr=False)
    oblivious: RuleFront = field(repr=False)
    rules: dict = field(repr=False)
    grid: np.ndarray = field(repr=False)
    gain: np.ndarray = field(repr=False)
    gaps: dict = field(repr=False)
    seconds: dict = field(repr=False)

    def summary(self) -> dict:
        """Per rule: mean and max gap, and the share of the adaptivity gain captured."""
        return summarize_gaps(self.gain, self.gaps)


def summarize_gaps(gain: np.ndarray, gaps: dict) -> dict:
    """Mean and max gap per rule, and ``captured = sum(F_rule - F_obl) / sum(F* - F_obl)``.

    Sums run over the ``N`` where the rule is defined and the gain exceeds
    :data:`GAIN_ATOL` (a ratio of areas, so a tiny gain at one ``N`` cannot
    dominate); ``captured`` is NaN where adaptivity gains nothing.
    """
    out = {}
    g = np.asarray(gain, dtype=np.float64)
    has = np.isfinite(g) & (g > GAIN_ATOL)
    for name, gap in list(gaps.items()) + [("optimal oblivious schedule", g)]:
        gap = np.asarray(gap, dtype=np.float64)
        ok = np.isfinite(gap)
        sel = ok & has
        cap = float(np.sum(g[sel] - gap[sel]) / np.sum(g[sel])) if sel.any() else np.nan
        out[name] = {"mean_gap": float(np.mean(gap[ok])) if ok.any() else np.nan,
                     "max_gap": float(np.max(gap[ok])) if ok.any() else np.nan,
                     "captured": cap, "points": int(ok.sum())}
    return out


def gaps_from_points(adaptive, oblivious, rules: dict, n: int) -> tuple[np.ndarray, dict]:
    """Gain and per-rule gaps on ``N = 1..n`` from ``(nfe, reward)`` point sets.

    Each argument is a pair of arrays (``rules``: a dict of them); non-finite
    rewards are ignored.  Returns ``(gain, gaps)`` as in :class:`GapReport`.
    """
    grid = np.arange(1, n + 1, dtype=float)
    best = budget_envelope(*adaptive, grid)
    fo = budget_envelope(*oblivious, grid)
    gain = np.where(np.isfinite(best) & np.isfinite(fo), best - fo, np.nan)
    gaps = {}
    for fam, pts in rules.items():
        fr = budget_envelope(*pts, grid)
        with np.errstate(invalid="ignore"):
            gaps[fam] = np.where(np.isfinite(fr) & np.isfinite(best), best - fr, np.nan)
    return gain, gaps


def gap_report(mu, reward: str = "correct", *, name: str = "", alpha: float = 1.0,
               policies: dict | None = None, extra: dict | None = None,
               tol: float | None = None) -> GapReport:
    """Exact fronts of the optimal adaptive policy, the optimal schedule and every rule.

    Parameters
    ----------
    mu : Distribution
    reward : {"correct", "loglik", "speed"}
    policies : dict, optional
        ``family -> [(param, Policy), ...]``; default :func:`default_policy_grid`.
    extra : dict, optional
        More rule families (e.g. a learned policy at several temperatures).
    tol : float, optional
        Passed to :func:`~mdmtheory.policies.adaptive_optimal.adaptive_front`
        (default: every vertex).
    """
    import time

    mu = as_distribution(mu)
    n = mu.n
    t0 = time.perf_counter()
    front = adaptive_front(mu, reward, alpha=alpha, tol=tol)
    t_front = time.perf_counter() - t0
    t0 = time.perf_counter()
    Z = information_curve(mu)
    ks, on, orw = [], [], []
    for k in range(1, n + 1):
        s = optimal_schedule(Z, k).schedule
        law = evaluate_policy(mu, RandomK(s))
        ks.append(k)
        on.append(law.expected_nfe)
        orw.append(law_reward(law, reward, alpha=alpha))
    obl = RuleFront("optimal oblivious schedule", np.array(ks, float), np.array(on),
                    np.array(orw))
    grid_pol = default_policy_grid(n) if policies is None else dict(policies)
    if extra:
        grid_pol.update(extra)
    rules = {}
    for fam, lst in grid_pol.items():
        pars, en, er = [], [], []
        for par, pol in lst:
            law = evaluate_policy(mu, pol)
            pars.append(float(par))
            en.append(law.expected_nfe)
            er.append(law_reward(law, reward, alpha=alpha))
        rules[fam] = RuleFront(fam, np.array(pars), np.array(en), np.array(er))
    t_rules = time.perf_counter() - t0
    grid = np.arange(1, n + 1, dtype=float)
    gain, gaps = gaps_from_points(
        (front.expected_nfe, front.expected_reward), (obl.expected_nfe, obl.expected_reward),
        {fam: (rf.expected_nfe, rf.expected_reward) for fam, rf in rules.items()}, n)
    return GapReport(name or mu.name or "mu", reward, front, obl, rules, grid, gain, gaps,
                     {"adaptive_front": t_front, "rules": t_rules})
