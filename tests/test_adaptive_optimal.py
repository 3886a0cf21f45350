"""Exactly optimal adaptive policies (mdmtheory.policies.adaptive_optimal).

The reference is an independent brute force: every deterministic,
*history-dependent* policy on ``n <= 4, q = 2`` is enumerated as a decision
tree (choose a set, then a sub-tree for every token outcome), its exact
(E reward, E NFE, max NFE) computed from the dense table by plain Python
marginalisation, and the optima taken over the whole list.  Nothing is shared
with the DP but the distribution table.
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np
import pytest

from mdmtheory import families
from mdmtheory.distribution import Distribution
from mdmtheory.policies.adaptive_optimal import (
    adaptive_front,
    budget_front,
    solve_adaptive,
)
from mdmtheory.policies.exact import evaluate_policy, make_mdp

TOL = 1e-12  # DP and brute force each accumulate ~1e-16 per operation on O(100) terms


# ----------------------------------------------------------------------------- brute force
def _brute_pairs(p: np.ndarray, reward: str, alpha: float = 1.0):
    """All (E R, E NFE, max NFE) of every deterministic history-dependent policy tree."""
    n = p.ndim
    q = p.shape[0]
    L = n

    def marg(x):  # mu(X_U = x_U)
        idx = tuple(slice(None) if v is None else v for v in x)
        return float(np.sum(p[idx]))

    def cond(x, i):
        tot = marg(x)
        if tot == 0:
            return [1.0 / q] * q  # convention; values below do not depend on it
        out = []
        for v in range(q):
            y = list(x)
            y[i] = v
            out.append(marg(y) / tot)
        return out

    def terminal(x, t):
        m = float(p[tuple(x)])
        if reward == "loglik":
            return math.log(m) if m > 0 else -math.inf
        r = 1.0 if m > 0 else 0.0
        if reward == "speed":
            r *= ((L - t + 1) / L) ** alpha
        return r

    @lru_cache(maxsize=None)
    def trees(x, t):
        if None not in x:
            return [(terminal(x, t), 0.0, 0)]
        masked = [i for i in range(n) if x[i] is None]
        conds = {i: cond(x, i) for i in masked}
        out = []
        for size in range(1, len(masked) + 1):
            for A in itertools.combinations(masked, size):
                outcomes = []
                for ys in itertools.product(range(q), repeat=size):
                    pr = 1.0
                    for i, v in zip(A, ys):
                        pr *= conds[i][v]
                    y = list(x)
                    for i, v in zip(A, ys):
                        y[i] = v
                    outcomes.append((pr, trees(tuple(y), t + 1)))
                for choice in itertools.product(*[o[1] for o in outcomes]):
                    er, en, mx = 0.0, 1.0, 1
                    for (pr, _), (r, nn, mm) in zip(outcomes, choice):
                        if pr > 0:
                            er += pr * r if not (math.isinf(r)) else (r)
                            en += pr * nn
                            mx = max(mx, 1 + mm)
                    out.append((er, en, mx))
        return out

    return trees(tuple([None] * n), 0)


def _laws():
    return {
        "repetition4": families.repetition(4, 2),
        "parity4": families.parity(4, 2),
        "chain4": families.binary_symmetric_chain(4, 0.2),
        "dirichlet4": families.random_dirichlet(4, 2, 0.7, seed=11),
        "sparse3": families.random_dirichlet(3, 2, 0.3, seed=5),
        "ising3": families.ising_chain(3, 0.8, 0.2),
    }


LAWS = _laws()


@pytest.mark.parametrize("name", ["repetition4", "parity4", "chain4", "dirichlet4", "sparse3",
                                  "ising3"])
@pytest.mark.parametrize("reward", ["correct", "loglik", "speed"])
def test_dp_value_equals_brute_force_over_all_policy_trees(name, reward):
    """Must reach: the DP optimum of E R - lam E NFE equals the max over every tree (1e-12)."""
    mu = LAWS[name]
    if name == "dirichlet4" and reward == "correct":
        # full support: make it a support question by zeroing a few cells
        p = mu.p.copy()
        p.ravel()[[1, 6, 13]] = 0.0
        mu = Distribution(p / p.sum())
    pairs = _brute_pairs(mu.p, reward)
    for lam in (0.0, 0.013, 0.1, 0.37):
        brute = max(r - lam * e for r, e, _ in pairs)
        sol = solve_adaptive(mu, reward, lam=lam)
        if math.isinf(brute):
            assert sol.value == brute
        else:
            assert abs(sol.value - brute) <= TOL * max(1.0, abs(brute)), (lam, sol.value, brute)
            # the returned policy achieves its value (forward pass vs backward DP)
            assert abs(sol.expected_reward - lam * sol.expected_nfe - sol.value) <= TOL * max(
                1.0, abs(brute))


@pytest.mark.parametrize("name", ["repetition4", "chain4", "sparse3"])
@pytest.mark.parametrize("reward", ["correct", "loglik", "speed"])
def test_budget_optimum_equals_brute_force_under_max_nfe(name, reward):
    """Hard budgets: max E R over trees with NFE <= B almost surely."""
    mu = LAWS[name]
    pairs = _brute_pairs(mu.p, reward)
    fr = budget_front(mu, reward)
    for B, sol in zip(range(1, mu.n + 1), fr.solutions):
        brute = max(r for r, _, mx in pairs if mx <= B)
        if math.isinf(brute):
            assert sol.value == brute
        else:
            assert abs(sol.value - brute) <= TOL * max(1.0, abs(brute)), (B, sol.value, brute)
            assert abs(sol.expected_reward - brute) <= TOL * max(1.0, abs(brute))
            assert sol.nfe_pmf[B + 1:].sum() == 0.0


def _hull(points):
    """Upper concave envelope vertices of (nfe, reward), Pareto-filtered; brute force."""
    pts = sorted({(round(e, 12), r) for r, e, _ in points if math.isfinite(r)},
                 key=lambda z: (z[0], -z[1]))
    best, par = -math.inf, []
    for e, r in pts:
        if r > best + 1e-12:
            par.append((e, r))
            best = r
    hull = []
    for e, r in par:
        while len(hull) >= 2:
            (e1, r1), (e2, r2) = hull[-2], hull[-1]
            if (r2 - r1) * (e - e1) - (r - r1) * (e2 - e1) <= 1e-12:
                hull.pop()
            else:
                break
        hull.append((e, r))
    return np.array(hull)


@pytest.mark.parametrize("name", ["repetition4", "parity4", "chain4", "sparse3", "ising3"])
@pytest.mark.parametrize("reward", ["correct", "speed", "loglik"])
def test_lagrangian_front_equals_brute_force_hull(name, reward):
    """The chord search returns every vertex of the brute-force concave front, and nothing else."""
    mu = LAWS[name]
    hull = _hull(_brute_pairs(mu.p, reward))
    fr = adaptive_front(mu, reward)
    assert len(fr) == hull.shape[0], (fr.expected_nfe, hull)
    assert np.allclose(fr.expected_nfe, hull[:, 0], atol=1e-11, rtol=0)
    assert np.allclose(fr.expected_reward, hull[:, 1], atol=1e-11, rtol=1e-12)


def test_policy_law_matches_the_independent_exact_evaluator():
    """The returned policy, run through policies.exact.evaluate_policy, has the DP's E R, E NFE."""
    mu = families.binary_symmetric_chain(6, 0.15)
    for reward, lam in (("correct", 0.0), ("loglik", 0.05), ("speed", 0.0)):
        sol = solve_adaptive(mu, reward, lam=lam, alpha=2.0)
        law = evaluate_policy(make_mdp(mu), sol.policy())
        assert abs(law.expected_nfe - sol.expected_nfe) < 1e-12
        if reward == "loglik":
            nu = law.nu.ravel()
            lp = np.log(mu.p.ravel(), where=mu.p.ravel() > 0,
                        out=np.full(nu.size, -np.inf))
            er = float(np.sum(np.where(nu > 0, nu * lp, 0.0)))
        else:
            er = law.expected_reward(2.0 if reward == "speed" else 0.0)
        assert abs(er - sol.expected_reward) < 1e-12


def test_monte_carlo_rollouts_of_the_policy_agree_within_ci():
    """Must reach: rollouts of the returned policy in the MDP land within a 99.9% CI of the DP."""
    mu = families.mixture([families.product(np.tile([0.15, 0.85], (8, 1))),
                           families.product(np.tile([0.8, 0.2], (8, 1)))])
    p = mu.p.copy()
    p[p < 2e-4] = 0.0  # a support question
    mu = Distribution(p / p.sum())
    sol = solve_adaptive(mu, "speed", lam=0.0, alpha=1.0)
    roll = make_mdp(mu).rollout(sol.policy(), 40_000, rng=2026)
    assert roll.complete.all()
    ok = mu.p[tuple(roll.x.T)] > 0
    r = ok * ((mu.n - roll.nfe + 1) / mu.n) ** 1.0
    z = 3.29  # two-sided 99.9 %
    for sample, exact in ((r, sol.expected_reward), (roll.nfe.astype(float), sol.expected_nfe)):
        se = sample.std(ddof=1) / math.sqrt(sample.size)
        assert abs(sample.mean() - exact) <= z * se + 1e-12, (sample.mean(), exact, se)


def test_policy_is_inspectable_on_the_repetition_code():
    """Repetition code: reveal one position, then everything (it is then determined)."""
    sol = solve_adaptive(families.repetition(5, 3), "correct", lam=0.01)
    assert sol.expected_reward == pytest.approx(1.0, abs=1e-14)
    assert sol.expected_nfe == pytest.approx(2.0, abs=1e-14)
    tab = sol.table()
    assert tab[0]["x"] == "?????" and len(tab[0]["reveal"]) == 1
    assert all(len(row["reveal"]) == 4 for row in tab[1:])
    assert sum(row["prob"] for row in tab[1:]) == pytest.approx(1.0, abs=1e-14)


def test_bad_input_raises_naming_the_argument():
    mu = families.repetition(3, 2)
    with pytest.raises(ValueError, match="reward"):
        solve_adaptive(mu, "kl")
    with pytest.raises(ValueError, match="lam"):
        solve_adaptive(mu, lam=-1.0)
    with pytest.raises(ValueError, match="budget"):
        solve_adaptive(mu, budget=4)
    with pytest.raises(ValueError, match="alpha"):
        solve_adaptive(mu, "speed", alpha=float("nan"))
    sol = solve_adaptive(mu)
    with pytest.raises(ValueError, match="masked"):
        sol.action("101")
    with pytest.raises(ValueError, match="x must"):
        sol.action([0, 5, -1])


def test_one_step_draws_are_independent_not_joint():
    """Sampler semantics: one step fills its set by independent draws, so on the parity code the
    one-step policy (the optimum at a price above 1/2 per pass) scores nu(code) = 1/2, not 1."""
    mu = families.parity(4, 2)
    sol = solve_adaptive(mu, "correct", lam=0.6)
    assert sol.expected_nfe == 1.0
    assert abs(sol.expected_reward - 0.5) < 1e-15
    # below that price, three free bits then the parity bit: reward 1 in two passes
    sol = solve_adaptive(mu, "correct", lam=0.4)
    assert (sol.expected_nfe, sol.expected_reward) == (2.0, 1.0)


def test_front_with_a_tolerance_is_within_tol_of_the_exact_envelope():
    """A coarser chord search (tol) never overestimates and stays within tol of the exact front."""
    mu = families.hidden_markov(6, [[0.9, 0.1], [0.1, 0.9]], [[0.85, 0.15], [0.15, 0.85]])
    exact = adaptive_front(mu, "loglik")
    coarse = adaptive_front(mu, "loglik", tol=1e-3)
    assert coarse.solves <= exact.solves
    grid = np.linspace(1, 6, 201)
    e, c = exact.envelope(grid), coarse.envelope(grid)
    ok = np.isfinite(e)
    assert np.all(c[ok] <= e[ok] + 1e-12)
    assert np.all(c[ok] >= e[ok] - 1e-3 - 1e-12)
    with pytest.raises(ValueError, match="tol"):
        adaptive_front(mu, "loglik", tol=-1.0)


def test_batched_prices_equal_single_price_solves(monkeypatch):
    """Consistency of two code paths: the batched DP of a front (several prices in one pass,
    split into batches) gives, per price, the same value, action table and law as a
    single-price solve -- bit for bit, since each price sees the same operations."""
    from mdmtheory.policies import adaptive_optimal as ao

    mu = families.random_dirichlet(6, 2, 0.5, seed=11)
    pb = ao._Problem(mu, "loglik", 1.0, None, None)
    lams = [0.0, 0.013, 0.2, 0.71, 3.0]
    monkeypatch.setattr(ao, "_BATCH_ENTRIES", 2 * pb.C)  # batches of two prices
    batched = ao._solutions(pb, lams)
    for lam, b in zip(lams, batched):
        s = solve_adaptive(mu, "loglik", lam=lam)
        assert b.value == s.value and b.lam == lam
        assert np.array_equal(b._actions, s._actions)
        assert (b.expected_nfe, b.expected_reward) == (s.expected_nfe, s.expected_reward)
