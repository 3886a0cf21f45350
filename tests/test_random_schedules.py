"""Random-count schedules (mdmtheory.random_schedules) against brute-force enumeration."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mdmtheory import families
from mdmtheory.information import information_curve
from mdmtheory.optimal import optimal_schedule
from mdmtheory.policies.exact import expected_selection_kl, make_mdp
from mdmtheory.policies.mdp import BernoulliPolicy
from mdmtheory.random_schedules import (
    bernoulli_process,
    count_process,
    dream_origin_process,
    expected_kl,
    expected_weights,
    minimax_ratio_fixed,
    minimax_ratio_random,
    noise_schedule_process,
    opt_hull,
    optimal_noise_schedule,
    worst_case_ratio,
)
from mdmtheory.schedule import compositions, left_riemann_error, riemann_weights


def _paths(n, probs):
    """Every count path of a Bernoulli process with its probability (enumeration)."""
    out = []

    def rec(t, m, pr, sizes):
        if t == len(probs):
            if m == n:
                out.append((pr, tuple(s for s in sizes if s > 0)))
            return
        R = n - m
        for r in range(R + 1):
            p = stats.binom.pmf(r, R, probs[t])
            if p > 0:
                rec(t + 1, m + r, pr * p, sizes + [r])

    rec(0, 0, 1.0, [])
    return out


def _random_curve(n, seed):
    rng = np.random.default_rng(seed)
    return np.concatenate([[0.0], np.cumsum(rng.exponential(size=n - 1))])


@pytest.mark.parametrize("n,probs", [(5, [0.3, 0.5, 1.0]), (6, [0.1, 0.4, 0.2, 1.0]),
                                     (4, [0.0, 0.7, 1.0]), (7, [1.0])])
def test_count_dp_equals_enumeration_over_count_paths(n, probs):
    """E KL by the DP over counts = sum over all count paths of P(path) * Thm 4 error."""
    Z = _random_curve(n, n)
    pr = bernoulli_process(n, probs)
    brute = sum(p * left_riemann_error(Z, s) for p, s in _paths(n, probs))
    assert abs(expected_kl(Z, pr) - brute) < 1e-12 * max(1.0, brute)
    # expected weights by enumeration, and the number of non-empty steps
    w = sum(p * riemann_weights(s) for p, s in _paths(n, probs))
    assert np.allclose(expected_weights(pr), w, atol=1e-12)
    ne = sum(p * len(s) for p, s in _paths(n, probs))
    assert abs(pr.expected_nonempty_steps() - ne) < 1e-12


def test_dream_origin_matches_the_exact_sampler():
    """Dream origin on a real law: the DP equals E_S KL(mu || nu^S) of the exact sampler."""
    mu = families.random_dirichlet(4, 2, 0.6, seed=4)
    K = 3
    pr = dream_origin_process(4, K)
    ts = np.linspace(1.0, 1e-3, K + 1)
    p = 1.0 - ts[1:] / ts[:-1]
    p[-1] = 1.0

    class Origin(BernoulliPolicy):
        name = "origin"

        def unmask_probabilities(self, obs):
            return np.where(obs.active, p[obs.nfe][:, None], 0.0)

    exact = expected_selection_kl(make_mdp(mu, fallback=False, horizon=K), Origin())
    assert abs(expected_kl(information_curve(mu), pr) - exact) < 1e-12


def test_noise_schedule_linear_alpha_is_dream_without_eps():
    """alpha(t) = 1 - t on K equal steps reveals with probability 1/(K - t + 1) (plumbing)."""
    n, K = 6, 4
    a = noise_schedule_process(n, lambda t: 1.0 - t, K)
    b = bernoulli_process(n, [1 / (K - t) for t in range(K)])
    assert np.allclose(a.kernels, b.kernels, atol=1e-14)


@pytest.mark.parametrize("seed", range(4))
def test_random_counts_never_beat_the_best_fixed_schedule(seed):
    """E KL >= OPT_K, and >= the convex hull of OPT_k at the expected number of non-empty steps."""
    n = 8
    Z = _random_curve(n, seed)
    rng = np.random.default_rng(seed)
    for K in (2, 3, 5):
        p = np.r_[rng.uniform(0, 1, K - 1), 1.0]
        pr = bernoulli_process(n, p)
        e = expected_kl(Z, pr)
        assert e >= optimal_schedule(Z, K).error - 1e-12
        assert e >= float(opt_hull(Z, pr.expected_nonempty_steps())) - 1e-12


def test_optimal_noise_schedule_beats_a_grid_search_for_two_steps():
    """k = 2: the optimiser's E KL is <= every point of an independent grid over p_1."""
    Z = information_curve(families.binary_symmetric_chain(6, 0.1))
    res = optimal_noise_schedule(Z, 2, starts=0)
    grid = [expected_kl(Z, bernoulli_process(6, [g, 1.0])) for g in np.linspace(0, 1, 101)]
    assert res.expected_kl <= min(grid) + 1e-12
    assert res.alpha[0] == 0.0 and res.alpha[-1] == 1.0


@pytest.mark.slow
def test_optimal_noise_schedule_beats_the_linear_schedule():
    Z = information_curve(families.binary_symmetric_chain(8, 0.1))
    res = optimal_noise_schedule(Z, 4, starts=2)
    dream = expected_kl(Z, noise_schedule_process(8, lambda t: 1.0 - t, 4))
    assert res.expected_kl <= dream + 1e-12
    assert res.expected_kl >= optimal_schedule(Z, 4).error - 1e-12


@pytest.mark.parametrize("n,k", [(6, 2), (7, 3), (8, 3), (9, 4)])
def test_minimax_fixed_ratio_equals_brute_force(n, k):
    brute = min(max(riemann_weights(s) / (n - np.arange(1, n))) for s in compositions(n, k))
    ratio, sizes = minimax_ratio_fixed(n, k)
    assert abs(ratio - brute) < 1e-12
    assert abs(max(riemann_weights(sizes) / (n - np.arange(1, n))) - ratio) < 1e-12


def test_randomising_beats_fixed_schedules_in_the_worst_case():
    """Over all laws with TC <= T, some random k-step schedule beats every fixed one (strictly)."""
    found = False
    for n, k in [(6, 2), (8, 3), (10, 3)]:
        fixed, _ = minimax_ratio_fixed(n, k)
        rand, mix = minimax_ratio_random(n, k)
        assert rand <= fixed + 1e-9
        # the mixture attains its ratio (recomputed from the weights)
        i = np.arange(1, n)
        w = sum(p * riemann_weights(s) for s, p in mix.items())
        assert abs(max(w / (n - i)) - rand) < 1e-7
        found |= rand < fixed - 1e-6
    assert found


def test_worst_case_ratio_is_attained_by_a_single_jump_curve():
    """sup over curves with TC <= 1 of E KL = ratio; attained by the curve jumping after argmax."""
    n = 7
    pr = dream_origin_process(n, 3)
    r = worst_case_ratio(pr)
    best = 0.0
    for i in range(1, n):
        Z = np.r_[np.zeros(i), np.ones(n - i)]  # delta_i = 1, TC = n - i
        best = max(best, expected_kl(Z, pr) / (n - i))
    assert abs(best - r) < 1e-12


def test_count_process_from_a_size_law():
    pr = count_process(4, 4, lambda t, R: [0, 1.0] if R == 1 else [0, .5, .5] + [0] * (R - 2))
    assert pr.count_law()[-1, -1] == pytest.approx(1.0, abs=1e-15)


def test_bad_input_raises():
    with pytest.raises(ValueError, match="last unmask probability"):
        bernoulli_process(4, [0.5, 0.5])
    with pytest.raises(ValueError, match="unmask_probs"):
        bernoulli_process(4, [1.5, 1.0])
    with pytest.raises(ValueError, match="eps"):
        dream_origin_process(4, 3, eps=0.0)
    with pytest.raises(ValueError, match="alpha"):
        noise_schedule_process(4, [0.0, 0.7, 0.5, 1.0])
    with pytest.raises(ValueError, match="size_pmf"):
        count_process(3, 2, lambda t, R: [1.0])
    with pytest.raises(ValueError, match="length"):
        expected_kl(np.zeros(5), bernoulli_process(4, [1.0]))
    with pytest.raises(ValueError, match="kind"):
        worst_case_ratio(bernoulli_process(4, [1.0]), "x")
