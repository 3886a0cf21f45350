"""The torch estimator on exact oracles (arXiv Def 1.3, Thm 1.4).

Truth is computed independently: ``information_curve`` (the exact Numba sweep)
for ``Z``, ``left_riemann_error`` on the exact curve for Thm 1.4's error, and the
numpy Monte Carlo engine (``mdmtheory.montecarlo.prefix_draws``) for single rows.

Must reach: 95 % intervals cover the true ``Z_j`` in at least 90 % of seeded
trials (fast version here, 40 trials x 3 values of j per form; the slow version
runs 300 trials over several families).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mdmtheory import families, information_curve  # noqa: E402
from mdmtheory.bridge.estimate import (estimate_model_curve,  # noqa: E402
                                       predicted_error, schedule_from_estimate)
from mdmtheory.bridge.models import OracleModel  # noqa: E402
from mdmtheory.bridge.validate import (plumbing_identity_check,  # noqa: E402
                                       plumbing_identity_kl, sequential_passes)
from mdmtheory.montecarlo import DistributionOracle, prefix_draws  # noqa: E402
from mdmtheory.optimal import optimal_schedule  # noqa: E402
from mdmtheory.schedule import left_riemann_error  # noqa: E402


def _coverage(dists, rows: int, seed0: int, ppc_cycle=(1, 3)) -> dict[str, np.ndarray]:
    """Per-trial coverage of Z_j (j >= 2) and of one schedule's Thm 1.4 error."""
    cov = {"entropy": [], "cross_entropy": [], "error": []}
    for t, mu in enumerate(dists):
        Z = information_curve(mu)
        m = OracleModel(mu)
        x = mu.sample(rows, rng=seed0 + t)
        est = estimate_model_curve(m, x, seed=seed0 + 10_000 + t, progress=False,
                                         positions_per_cell=ppc_cycle[t % len(ppc_cycle)],
                                         batch_size=256)
        for form in ("entropy", "cross_entropy"):
            cov[form].append(est.curve(form).covers(Z)[1:])
        s = [2] + [1] * (mu.n - 2)
        pe = predicted_error(est, s)
        cov["error"].append([pe.lo <= left_riemann_error(Z, s) <= pe.hi])
    return {k: np.concatenate([np.asarray(a, dtype=float) for a in v]) for k, v in cov.items()}


def test_coverage_fast():
    dists = [families.random_dirichlet(4, 3, alpha=0.5, seed=s) for s in range(40)]
    cov = _coverage(dists, rows=150, seed0=0)
    for form in ("entropy", "cross_entropy"):
        assert cov[form].mean() >= 0.90, (form, cov[form].mean())
    assert cov["error"].mean() >= 0.85  # 40 Bernoulli trials: 0.85 is 2.9 sd below 0.95


@pytest.mark.slow
def test_coverage_slow():
    dists = []
    for s in range(100):
        dists.append(families.random_dirichlet(5, 3, alpha=0.5, seed=1000 + s))
        dists.append(families.binary_symmetric_chain(6, 0.05 + 0.4 * (s % 10) / 10))
        w = np.random.default_rng(s).dirichlet(np.ones(3))
        comps = [families.random_dirichlet(5, 2, alpha=5.0, seed=2000 + 3 * s + c)
                 for c in range(3)]
        dists.append(families.mixture(comps, w))
    cov = _coverage(dists, rows=200, seed0=50_000, ppc_cycle=(1, 2, 5, 3))
    for form in ("entropy", "cross_entropy"):
        assert cov[form].mean() >= 0.90, (form, cov[form].mean())
        assert cov[form].mean() <= 0.99  # intervals are not vacuous either
    assert cov["error"].mean() >= 0.90


def test_rows_equal_numpy_montecarlo_engine():
    """positions_per_cell=1 rows = montecarlo.prefix_draws with the reversed permutation
    (this estimator reveals the *last* j-1 entries of its permutation)."""
    mu = families.random_dirichlet(5, 3, alpha=0.6, seed=11)
    x = mu.sample(30, rng=4)
    est = estimate_model_curve(OracleModel(mu), x, seed=9, progress=False)
    perms = np.stack([np.random.default_rng(np.random.SeedSequence(9, spawn_key=(r,)))
                      .permutation(5) for r in range(30)])
    ref_H = prefix_draws(DistributionOracle(mu), x, perms[:, ::-1].copy(), form="entropy")
    ref_N = prefix_draws(DistributionOracle(mu), x, perms[:, ::-1].copy(),
                         form="cross_entropy")
    np.testing.assert_allclose(est.draws_entropy, ref_H, atol=1e-12)
    np.testing.assert_allclose(est.draws_cross_entropy, ref_N, atol=1e-12)


def test_converges_to_exact_curve():
    mu = families.binary_symmetric_chain(6, 0.1)
    Z = information_curve(mu)
    est = estimate_model_curve(OracleModel(mu), mu.sample(6000, rng=0), seed=1,
                                     positions_per_cell=6, progress=False, batch_size=1024)
    c = est.entropy
    assert c.Z_se[1:].max() < 0.004
    assert np.all(np.abs(c.Z - Z) <= 4 * c.Z_se + 1e-12)
    assert np.all(np.abs(est.cross_entropy.Z - Z) <= 4 * est.cross_entropy.Z_se + 1e-12)
    # entropy form is the lower-variance one (Rao-Blackwell over the sampled token)
    assert np.all(c.Z_se[1:] < est.cross_entropy.Z_se[1:])


def test_sequential_stopping_reaches_target():
    mu = families.random_dirichlet(4, 2, alpha=0.5, seed=2)
    m = OracleModel(mu)
    est = estimate_model_curve(m, lambda num, ss: mu.sample(num, rng=ss),
                                     target_halfwidth=0.01, rows_per_round=256,
                                     max_rows=20_000, seed=0, progress=False)
    assert est.max_halfwidth() <= 0.01
    assert est.n_rows % 256 == 0 and est.n_rows < 20_000


def test_schedule_from_estimate_is_near_optimal():
    mu = families.binary_symmetric_chain(8, 0.1)
    Z = information_curve(mu)
    est = estimate_model_curve(OracleModel(mu), mu.sample(3000, rng=3), seed=4,
                                     progress=False, batch_size=1024)
    for k in (2, 3, 4):
        se = schedule_from_estimate(est, k, n_boot=100, seed=k)
        exact_opt = optimal_schedule(Z, k).error
        chosen_exact = left_riemann_error(Z, se.schedule)
        half = (se.error.hi - se.error.lo) / 2
        assert exact_opt <= chosen_exact <= exact_opt + 2 * half
        assert se.error.lo <= chosen_exact <= se.error.hi
        assert se.opt_lo - half <= exact_opt <= se.opt_hi + half


def test_plumbing_identity_on_oracle():
    """Plumbing: E[par - seq] on independent orders = Thm 1.4 on Z^CE by identity; on an
    oracle it also equals the exact Thm 1.4 value (the real test is test_bridge_measured)."""
    mu = families.random_dirichlet(5, 2, alpha=0.4, seed=8)
    Z = information_curve(mu)
    m = OracleModel(mu)
    scheds = {"one step": [5], "2+3": [2, 3], "3+2": [3, 2], "1+1+3": [1, 1, 3]}
    passes = sequential_passes(m, mu.sample(4000, rng=5), seed=6, progress=False,
                               batch_size=1024)
    for d in plumbing_identity_kl(passes, list(scheds.values())):
        exact = left_riemann_error(Z, d.schedule)
        assert abs(d.mean - exact) <= 4 * d.se, (d.schedule, d.mean, exact)
    est = estimate_model_curve(m, mu.sample(2000, rng=7), seed=8, progress=False)
    for row in plumbing_identity_check(est, passes, scheds):
        # the paired gap (direct - entropy form on the same passes) is zero in mean
        assert row.gap[1] - 1e-3 <= 0 <= row.gap[2] + 1e-3
    with pytest.raises(ValueError, match="n="):
        plumbing_identity_check(est, sequential_passes(m, mu.sample(3, rng=1)[:, :4].clip(0, 1),
                                                  progress=False), scheds)
