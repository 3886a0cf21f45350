"""Exact policy evaluation against independent checks.

* the exact law == Monte Carlo rollouts (a separate, sampled code path) within
  stated binomial tolerances;
* random-k with a fixed count schedule: the exact output law == ``E_S nu^S``
  computed here by brute force over all permutations with explicit marginal
  sums, and the selection-averaged KL == Thm 4 (``left_riemann_error`` on
  ``information_curve``) == the brute-force average;
* closed forms on the code family, argmax mode and the reward.
"""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from mdmtheory import families as F
from mdmtheory.information import information_curve
from mdmtheory.policies import (
    BernoulliPolicy,
    ConfidenceThreshold,
    EBSampler,
    FactorRule,
    RandomK,
    TopK,
    evaluate_policy,
    expected_selection_kl,
    kl_divergence,
    make_mdp,
    pareto_front,
    policy_front,
    selection_laws,
)
from mdmtheory.policies.exact import optimal_schedule_points, upper_concave_envelope
from mdmtheory.schedule import left_riemann_error


# ------------------------------------------------------------------ brute force (independent)
def brute_sampler_law(p: np.ndarray, sizes) -> tuple[np.ndarray, float]:
    """E_pi nu^pi and E_pi KL(mu || nu^pi) over all n! orders  (Def 1).

    nu^S(y) = prod_t prod_{i in S_t} mu(y_i | y_{U_t}), with every conditional
    computed by summing the table directly.
    """
    n, q = p.ndim, p.shape[0]
    N = np.concatenate([[0], np.cumsum(sizes)])
    ys = list(itertools.product(range(q), repeat=n))

    def marg(assign):  # mu(X_A = y_A) by explicit summation
        idx = tuple(assign.get(i, slice(None)) for i in range(n))
        return float(np.sum(p[idx]))

    total = np.zeros(q ** n)
    kls = []
    for perm in itertools.permutations(range(n)):
        nu = np.zeros(q ** n)
        for f, y in enumerate(ys):
            val = 1.0
            for t in range(len(sizes)):
                U = {i: y[i] for i in perm[: N[t]]}
                den = marg(U)
                if den == 0:
                    val = 0.0
                    break
                for i in perm[N[t]: N[t + 1]]:
                    val *= marg({**U, i: y[i]}) / den
            nu[f] = val
        total += nu
        pr = p.ravel()
        s = pr > 0
        kls.append(float(np.sum(pr[s] * np.log(pr[s] / nu[s]))) if np.all(nu[s] > 0) else np.inf)
    return (total / math.factorial(n)).reshape(p.shape), float(np.mean(kls))


# ------------------------------------------------------------------ Thm 4 and E_S nu^S
@pytest.mark.parametrize("sizes", [[1, 1, 1, 1], [2, 2], [1, 3], [3, 1], [4], [2, 1, 1]])
def test_random_k_law_equals_permutation_average(sizes):
    mu = F.random_dirichlet(4, 2, alpha=0.7, seed=11)
    law = evaluate_policy(mu, RandomK(sizes))
    nu_bf, ekl_bf = brute_sampler_law(mu.p, sizes)
    np.testing.assert_allclose(law.nu, nu_bf, rtol=0, atol=1e-13)
    ekl = expected_selection_kl(mu, RandomK(sizes))
    thm = left_riemann_error(information_curve(mu), sizes)
    # float64 sums of <= 16 terms of size <= log 2: agreement to 1e-12
    assert abs(ekl - thm) < 1e-12
    assert abs(ekl - ekl_bf) < 1e-12
    assert law.expected_nfe == pytest.approx(len(sizes), abs=1e-12)
    # convexity (Def 1, convexity of KL): KL of the mixture <= mean KL
    assert law.kl() <= ekl + 1e-12


@pytest.mark.parametrize("sizes", [[2, 3], [1, 1, 3], [3, 1, 1], [1, 2, 1, 1]])
def test_random_k_agrees_with_the_schedules_sampler(sizes):
    """Cross-check with mdmtheory.sampler, which enumerates position-set
    sequences with its own code: E_S nu^S and E_S KL(mu || nu^S)."""
    sampler = pytest.importorskip("mdmtheory.sampler")
    mu = F.random_dirichlet(5, 2, alpha=0.6, seed=4)
    law = evaluate_policy(mu, RandomK(sizes))
    np.testing.assert_allclose(law.nu, sampler.sampler_output_law(mu, sizes), rtol=0, atol=1e-13)
    assert abs(expected_selection_kl(mu, RandomK(sizes))
               - sampler.exact_expected_kl(mu, sizes)) < 1e-12


@settings(max_examples=15)
@given(seed=st.integers(0, 10_000), q=st.sampled_from([2, 3]), data=st.data())
def test_thm14_equals_selection_averaged_kl(seed, q, data):
    """Law: for random-k with any composition s, E_S KL(mu||nu^S) = Thm 4's error."""
    n = 4 if q == 2 else 3
    sizes = data.draw(st.lists(st.integers(1, n), min_size=1, max_size=n).filter(
        lambda s: sum(s) == n))
    mu = F.random_dirichlet(n, q, alpha=0.5, seed=seed)
    sl = selection_laws(mu, RandomK(sizes))
    assert abs(sum(s.prob for s in sl) - 1) < 1e-12
    # every selection history is an ordered set partition with the schedule's sizes
    for s in sl:
        assert [len(S) for S in s.selections] == list(sizes)
    ekl = sum(s.prob * s.law.kl() for s in sl)
    assert abs(ekl - left_riemann_error(information_curve(mu), sizes)) < 1e-12


def test_selection_laws_are_product_laws():
    """nu^S(y) = prod_t prod_{i in S_t} mu(y_i | y_{U_t}) for each history  (Def 1)."""
    mu = F.binary_symmetric_chain(4, 0.2)
    for s in selection_laws(mu, RandomK([2, 2])):
        assert s.prob == pytest.approx(1 / math.comb(4, 2), abs=1e-15)
        S1, S2 = sorted(s.selections[0]), sorted(s.selections[1])
        for y in itertools.product(range(2), repeat=4):
            m1 = mu.marginal(S1)[tuple(y[i] for i in S1)]
            # mu(y_S1) factorised as a product of marginals, then mu(y_S2 | y_S1) factorised
            a = np.prod([mu.marginal([i])[y[i]] for i in S1])
            b = np.prod([mu.marginal(S1 + [i])[tuple(y[j] for j in S1 + [i])] / m1 for i in S2]) \
                if m1 > 0 else 0.0
            assert s.law.nu[y] == pytest.approx(a * b, abs=1e-14)


# ------------------------------------------------------------------ exact == Monte Carlo
class ConstBernoulli(BernoulliPolicy):
    """Each active position unmasked with probability p_i (position-dependent)."""

    def __init__(self, p):
        self.p = np.asarray(p, float)
        self.name = "const-bernoulli"

    def unmask_probabilities(self, obs):
        return np.where(obs.active, self.p[None, :], 0.0)

    def logits(self, obs):
        return np.broadcast_to(-np.arange(obs.n, dtype=float), obs.x.shape)  # fallback: leftmost


class ConfidenceBernoulli(BernoulliPolicy):
    """p_i = confidence^3 -- an adaptive stochastic policy."""

    name = "conf-bernoulli"

    def unmask_probabilities(self, obs):
        return np.where(obs.active, obs.confidence ** 3, 0.0)


def check_against_mc(mdp, policy, N=40_000, seed=0):
    law = evaluate_policy(mdp, policy)
    r = mdp.rollout(policy, N, rng=seed)
    n, q = mdp.n, mdp.q
    emp = np.zeros(q ** n)
    done = r.complete
    np.add.at(emp, np.ravel_multi_index(tuple(r.x[done].T), (q,) * n), 1.0)
    emp /= N
    p = np.clip(law.nu.ravel(), 0, 1)
    # per-cell binomial sd; 5 sd + 1/N (probability of a false alarm over <= 64 cells < 1e-4)
    tol = 5 * np.sqrt(p * (1 - p) / N) + 1.0 / N
    assert np.all(np.abs(emp - p) <= tol), np.max(np.abs(emp - p) - tol)
    pmf = np.bincount(r.nfe, minlength=law.nfe_pmf.size)[: law.nfe_pmf.size] / N
    f = np.clip(law.nfe_pmf, 0, 1)
    tol = 5 * np.sqrt(f * (1 - f) / N) + 1.0 / N
    assert np.all(np.abs(pmf - law.nfe_pmf) <= tol)
    assert abs((~done).mean() - law.incomplete) <= 5 * math.sqrt(
        law.incomplete * (1 - law.incomplete) / N) + 1.0 / N
    return law


@pytest.mark.parametrize("policy", [
    TopK(3, "confidence"), TopK([1, 2, 2], "margin", tie_break="random"), RandomK([2, 1, 2]),
    ConfidenceThreshold(0.7), FactorRule(1.0), EBSampler(0.3), ConfidenceBernoulli(),
    ConstBernoulli([0.3, 0.5, 0.1, 0.6, 0.4]),
], ids=lambda p: p.name)
def test_exact_equals_monte_carlo(policy):
    mu = F.random_dirichlet(5, 2, alpha=0.6, seed=3)
    law = check_against_mc(make_mdp(mu), policy)
    assert abs(law.nu.sum() + law.incomplete - 1) < 1e-12


def test_exact_equals_monte_carlo_semi_ar_without_fallback():
    """Blocks of 2, empty actions allowed, BL-iteration cap, horizon 6: rollouts may end masked."""
    mu = F.binary_symmetric_chain(5, 0.15)
    mdp = make_mdp(mu, block_length=2, fallback=False, horizon=6)
    law = check_against_mc(mdp, ConstBernoulli([0.5, 0.3, 0.6, 0.2, 0.7]))
    assert 0 < law.incomplete < 1


def test_exact_equals_monte_carlo_argmax_tokens_q3():
    mu = F.random_dirichlet(4, 3, alpha=0.8, seed=5)
    check_against_mc(make_mdp(mu, token_mode="argmax", block_length=2), ConfidenceBernoulli())
    check_against_mc(make_mdp(mu, token_mode="sample", block_length=2), EBSampler(0.5))


def test_product_form_equals_enumerated_actions():
    """The vectorised Bernoulli expansion == summing over all 2^m actions explicitly."""

    class Enumerated(ConfidenceBernoulli):
        product_form = False

    mu = F.random_dirichlet(5, 2, alpha=0.5, seed=9)
    for opts in ({}, {"block_length": 2, "fallback": False}):
        a = evaluate_policy(mu, ConfidenceBernoulli(), **opts)
        b = evaluate_policy(mu, Enumerated(), **opts)
        np.testing.assert_allclose(a.nu, b.nu, rtol=0, atol=1e-14)
        np.testing.assert_allclose(a.nfe_pmf, b.nfe_pmf, rtol=0, atol=1e-14)


# ------------------------------------------------------------------ closed forms
@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_threshold_on_mds_code_is_exact_with_d_plus_one_passes(d):
    """RS[5, d] over F_5: conditionals are uniform (confidence 1/5) until d positions are
    revealed, then point masses (Thm 24 setting).  lambda = 0.9 therefore unmasks one
    position per pass for d passes, then all n - d at once: KL = 0, NFE = d + 1."""
    mu = F.reed_solomon(5, d, 5)
    law = evaluate_policy(mu, ConfidenceThreshold(0.9))
    assert abs(law.kl()) < 1e-12
    assert law.nfe_pmf[d + 1] == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_random_k_on_mds_code_matches_hand_computation(d):
    """Two steps of sizes (s, n - s) with s > d on RS[4, d]_5: the first step draws s
    independent uniform tokens, a codeword prefix with probability 5^-(s-d); the second
    step is then exact.  So nu(supp mu) = 5^-(s-d), and KL(mu || nu) = (s - d) log 5
    (nu is uniform on the code, scaled)."""
    mu = F.reed_solomon(4, d, 5)
    s = d + 1
    law = evaluate_policy(mu, RandomK([s, 4 - s] if s < 4 else [4]))
    assert law.accuracy == pytest.approx(5.0 ** -(s - d), rel=1e-12)
    assert law.kl() == pytest.approx((s - d) * math.log(5), rel=1e-12)


def test_argmax_mode_product_measure_returns_the_mode():
    # independent bits with P(1) = .7, .2, .6: every rule outputs the mode (1, 0, 1)
    mu = F.product([[0.3, 0.7], [0.8, 0.2], [0.4, 0.6]])
    for pol in (TopK(1), RandomK(2), ConfidenceThreshold(0.9)):
        law = evaluate_policy(mu, pol, token_mode="argmax")
        assert law.nu[1, 0, 1] == pytest.approx(1.0, abs=1e-15)
        assert law.kl() == math.inf
        assert law.accuracy == pytest.approx(1.0)


def test_expected_reward_closed_form():
    mu = F.reed_solomon(4, 2, 5)
    law = evaluate_policy(mu, RandomK([3, 1]))  # accuracy 1/5, NFE = 2 always
    assert law.expected_reward(0.0) == pytest.approx(law.accuracy, abs=1e-15)
    # ((L - NFE + 1)/L)^alpha with L = 4, NFE = 2: (3/4)^alpha
    assert law.expected_reward(3.0) == pytest.approx(0.2 * 0.75 ** 3, rel=1e-12)
    lik = law.expected_reward(0.0, correct=lambda x: np.full(x.shape[0], 0.5))
    assert lik == pytest.approx(0.5, rel=1e-12)


def test_kl_divergence_hand_values():
    assert kl_divergence([0.5, 0.5], [0.25, 0.75]) == pytest.approx(
        0.5 * math.log(2) + 0.5 * math.log(2 / 3), abs=1e-15)
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert kl_divergence([1.0, 0.0], [0.5, 0.5], base=2) == pytest.approx(1.0, abs=1e-15)
    with pytest.raises(ValueError, match="same number"):
        kl_divergence([0.5, 0.5], [1.0])


# ------------------------------------------------------------------ fronts
def test_pareto_front_hand_example():
    nfe = [1, 2, 2, 3, 4, 5]
    err = [5.0, 3.0, 4.0, 3.0, 1.0, 1.0]
    # (2,4) dominated by (2,3); (3,3) by (2,3); (5,1) by (4,1)
    assert pareto_front(nfe, err) == [0, 1, 4]
    # expected NFEs equal up to float rounding are one NFE: (2 - 2e-16, 1.6) is dominated
    assert pareto_front([2.0 - 2e-16, 2.0], [1.6, 0.0]) == [1]


def test_upper_concave_envelope_hand_example():
    # points (1, .2), (2, .3), (3, .9): the envelope skips (2, .3): at 2 it is .55
    v = upper_concave_envelope([1, 2, 3], [0.2, 0.3, 0.9], [1, 2, 2.5, 4])
    np.testing.assert_allclose(v[:3], [0.2, 0.55, 0.725], atol=1e-15)
    assert v[3] == -np.inf


def test_policy_front_and_optimal_points():
    mu = F.binary_symmetric_chain(5, 0.1)
    pts = policy_front(mu, {"random-k": [(k, RandomK(k)) for k in (1, 2, 5)],
                            "threshold": [(0.9, ConfidenceThreshold(0.9))]})
    rk = [p for p in pts if p.family == "random-k"]
    by = {(p.param, p.measure): p.kl for p in rk}
    for k in (1, 2, 5):
        assert by[(k, "KL(mu||nu)")] <= by[(k, "E_S KL(mu||nu^S)")] + 1e-12
    # k = 1 gives TC (Thm 4)
    tc = information_curve(mu).sum()
    assert by[(1, "E_S KL(mu||nu^S)")] == pytest.approx(tc, abs=1e-12)
    opt = [p for p in pts if p.family == "optimal schedule" and p.measure == "E_S KL(mu||nu^S)"]
    Z = information_curve(mu)
    for p in opt:
        # the optimum is no worse than the uniform schedule with the same k, and equals
        # Thm 4 on its own schedule
        from mdmtheory.schedule_rules import uniform_schedule

        assert p.kl <= left_riemann_error(Z, uniform_schedule(5, int(p.param))) + 1e-12
        assert p.kl == pytest.approx(left_riemann_error(Z, p.schedule), abs=1e-12)


def test_optimal_schedule_points_brute_force_n5():
    mu = F.random_dirichlet(5, 2, alpha=0.5, seed=1)
    Z = information_curve(mu)
    pts = {p.param: p for p in optimal_schedule_points(mu, ks=[2, 3])
           if p.measure == "E_S KL(mu||nu^S)"}
    for k in (2, 3):
        comps = [c for c in itertools.product(range(1, 6), repeat=k) if sum(c) == 5]
        assert pts[k].kl == pytest.approx(min(left_riemann_error(Z, c) for c in comps),
                                          abs=1e-12)


def test_memory_guard():
    mu = F.random_dirichlet(6, 2, seed=0)
    with pytest.raises(MemoryError, match="max_states"):
        evaluate_policy(mu, RandomK(6), max_states=10)


def _core_families():
    n = 4
    return [
        F.uniform(n, 2),
        F.product([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5], [0.9, 0.1]]),
        F.random_dirichlet(n, 2, alpha=0.5, seed=0),
        F.binary_symmetric_chain(n, 0.2),
        F.hidden_markov(n, [[0.8, 0.2], [0.3, 0.7]], [[0.9, 0.1], [0.2, 0.8]]),
        F.mixture([F.product(np.tile([0.1, 0.9], (n, 1))), F.product(np.tile([0.8, 0.2], (n, 1)))]),
        F.linear_code([[1, 1, 0, 1], [0, 1, 1, 1]], 2),
        F.reed_solomon(3, 2, 3),
        F.repetition(n, 3),
        F.parity(n, 2),
        F.ising_chain(n, 0.5, 0.2),
        F.potts_chain(3, 3, 0.7),
    ]


@pytest.mark.parametrize("mu", _core_families(), ids=lambda m: m.name)
def test_policy_front_on_every_core_family(mu):
    """Laws on every family of the package: KL >= 0, 1 <= E[NFE] <= n, convexity for
    random-k, OPT_k = Thm 4 on its schedule, and every policy exact on product measures."""
    pts = policy_front(mu)
    Z = information_curve(mu)
    product = mu.is_product()
    for p in pts:
        assert p.kl >= -1e-12 and 1 - 1e-12 <= p.expected_nfe <= mu.n + 1e-12
        if product:  # conditionals are the marginals: any order, any batch is exact
            assert abs(p.kl) < 1e-12, p
    for fam in ("random-k", "optimal schedule"):
        by = {}
        for p in pts:
            if p.family == fam:
                by.setdefault(p.param, {})[p.measure] = p
        for d in by.values():
            assert d["KL(mu||nu)"].kl <= d["E_S KL(mu||nu^S)"].kl + 1e-12
            if fam == "optimal schedule":
                assert d["E_S KL(mu||nu^S)"].kl == pytest.approx(
                    left_riemann_error(Z, d["E_S KL(mu||nu^S)"].schedule), abs=1e-12)


def test_policy_law_and_rollout_reprs_summarise():
    """Reprs give key figures (E[NFE], accuracy, KL; batch and completion), no arrays;
    the printed KL is the law's own ``kl()``."""
    from mdmtheory.policies import ExactOracle, TopKConfidence, UnmaskingMDP

    mu = F.binary_symmetric_chain(4, flip=0.1)
    law = evaluate_policy(mu, TopKConfidence(2))
    r = repr(law)
    assert "array(" not in r and f"KL={law.kl():.6g}" in r and "E[NFE]=2" in r
    ro = UnmaskingMDP(ExactOracle(mu)).rollout(TopKConfidence(2), 5, rng=0)
    assert "array(" not in repr(ro) and "batch=5" in repr(ro)
