"""Monte Carlo information curve (issue 5, item 4; spec theory.md §2 practical estimator).

Independent references: the exact dense sweep (``information_curve``), the exact
structured Markov curve (for ``n = 24``, where the sweep is out of reach), the core
oracle ``Distribution.conditionals`` (for the batched oracle adapters), explicit
formulas for means / standard errors / Student-t quantiles, and the min–max formula
for isotonic regression.  Statistical laws are checked by *coverage*: per-``j`` 95 %
intervals must contain the exact value in >= 90 % of 200 seeded trials.
"""

from __future__ import annotations

import dataclasses
import math
import statistics

import numpy as np
import pytest
from hypothesis import given, strategies as st
from scipy import stats

from mdmtheory import families, information_curve, memory_budget
from mdmtheory.montecarlo import (
    CurveEstimate,
    DistributionOracle,
    curve_estimate_from_draws,
    dense_prefix_draws,
    estimate_information_curve,
    isotonic_regression,
    prefix_draws,
)
from mdmtheory.structured.markov import MarkovOracle, markov_information_curve
from mdmtheory.structured.mixtures import ProductMixtureOracle
from tests.strategies import distributions


# ----------------------------------------------------------------------------- contract
def test_contract_fields():
    """The issue-7 torch bridge relies on exactly these fields, frozen."""
    names = [f.name for f in dataclasses.fields(CurveEstimate)]
    assert names == ["Z", "Z_lo", "Z_hi", "Z_se", "d", "d_se", "n_draws", "level", "form"]
    est = curve_estimate_from_draws(np.random.default_rng(0).random((5, 3)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        est.Z = None  # type: ignore[misc]


def test_curve_estimate_formulas():
    """Z_j, its s.e. and t-interval from explicit per-column statistics."""
    rng = np.random.default_rng(1)
    D = rng.random((7, 4))
    est = curve_estimate_from_draws(D, level=0.9, form="cross_entropy")
    tq = stats.t.ppf(0.95, 6)
    for j in range(4):
        diffs = [float(D[r, 0] - D[r, j]) for r in range(7)]
        col = [float(D[r, j]) for r in range(7)]
        assert est.d[j] == pytest.approx(statistics.mean(col), abs=1e-15)
        assert est.d_se[j] == pytest.approx(statistics.stdev(col) / math.sqrt(7), abs=1e-15)
        if j == 0:
            assert est.Z[0] == 0.0 and est.Z_se[0] == 0.0
            continue
        se = statistics.stdev(diffs) / math.sqrt(7)
        assert est.Z[j] == pytest.approx(statistics.mean(diffs), abs=1e-15)
        assert est.Z_se[j] == pytest.approx(se, abs=1e-15)
        assert est.Z_hi[j] - est.Z[j] == pytest.approx(tq * se, abs=1e-14)
        assert est.Z[j] - est.Z_lo[j] == pytest.approx(tq * se, abs=1e-14)
    assert est.n_draws == 7 and est.level == 0.9 and est.form == "cross_entropy"


@pytest.mark.parametrize("D, kw, match", [
    (np.ones((1, 3)), {}, "at least 2"),
    (np.ones(3), {}, "shape"),
    (np.array([[1.0, np.inf], [1.0, 2.0]]), {}, "infinite"),
    (np.array([[1.0, np.nan], [1.0, 2.0]]), {}, "NaN in some"),
    (np.array([[np.nan, 1.0], [np.nan, 2.0]]), {}, "d_1"),
    (np.ones((3, 3)), {"level": 1.0}, "level"),
    (np.ones((3, 3)), {"form": "kl"}, "form"),
])
def test_curve_estimate_bad_input(D, kw, match):
    with pytest.raises(ValueError, match=match):
        curve_estimate_from_draws(D, **kw)


# ----------------------------------------------------------------------------- isotonic
def _isotonic_minmax(y, w):
    """z_i = max_{a<=i} min_{b>=i} weighted mean(y[a..b]) (Robertson–Wright–Dykstra)."""
    n = len(y)
    out = np.empty(n)
    for i in range(n):
        out[i] = max(min(np.dot(w[a:b + 1], y[a:b + 1]) / w[a:b + 1].sum()
                         for b in range(i, n)) for a in range(i + 1))
    return out


@given(st.lists(st.floats(-5, 5), min_size=1, max_size=12), st.integers(0, 2 ** 32 - 1))
def test_isotonic_regression_minmax(y, seed):
    """Law: PAVA equals the min-max characterisation of weighted isotonic regression."""
    y = np.array(y)
    w = np.random.default_rng(seed).uniform(0.1, 3.0, size=y.size)
    np.testing.assert_allclose(isotonic_regression(y, w), _isotonic_minmax(y, w), atol=1e-9)


def test_monotone_projection():
    Z = np.array([0.0, 0.3, 0.2, -0.1, 0.5])
    se = np.array([0.0, 0.1, 0.1, 0.1, 0.1])
    est = CurveEstimate(Z=Z, Z_lo=Z - se, Z_hi=Z + se, Z_se=se, d=Z, d_se=se, n_draws=10,
                        level=0.95, form="entropy")
    m = est.monotone()
    assert m[0] == 0.0 and np.all(np.diff(m) >= 0) and np.all(m >= 0)
    # equal weights: the violators 0.3, 0.2, -0.1 pool to 0.1333..., then 0.5
    np.testing.assert_allclose(m, [0, 0.4 / 3, 0.4 / 3, 0.4 / 3, 0.5])
    mono = CurveEstimate(Z=np.array([0, .1, .2]), Z_lo=np.zeros(3), Z_hi=np.ones(3),
                         Z_se=np.array([0, .1, .3]), d=np.zeros(3), d_se=np.zeros(3),
                         n_draws=3, level=.95, form="entropy")
    np.testing.assert_array_equal(mono.monotone(), mono.Z)


# ----------------------------------------------------------------------------- oracles
@given(distributions(n_max=5, max_cells=1024), st.integers(0, 2 ** 32 - 1))
def test_distribution_oracle_matches_core(mu, seed):
    """Both DistributionOracle back-ends equal Distribution.conditionals row by row."""
    rng = np.random.default_rng(seed)
    x = mu.sample(6, rng)
    mask = rng.random((6, mu.n)) < 0.5
    fast, slow = DistributionOracle(mu), DistributionOracle(mu, max_cells=1)
    got_f, got_s = fast(x, mask), slow(x, mask)
    for b in range(6):
        S = np.flatnonzero(mask[b])
        ref = mu.conditionals((S.tolist(), x[b, S].tolist()))
        np.testing.assert_allclose(got_f[b], ref, atol=1e-12)
        np.testing.assert_allclose(got_s[b], ref, atol=1e-12)


def test_oracle_zero_probability_context():
    mu = families.repetition(3, 2)
    x = np.array([[0, 1, 0]])
    mask = np.array([[True, True, False]])
    for o in (DistributionOracle(mu), DistributionOracle(mu, max_cells=1)):
        with pytest.raises(ValueError, match="probability zero"):
            o(x, mask)


def test_dense_prefix_equals_generic_path():
    """The table path (successive slicing) gives the same per-draw numbers as the oracle path."""
    mu = families.random_dirichlet(6, 3, 0.4, seed=4)
    rng = np.random.default_rng(0)
    x = mu.sample(30, rng)
    perms = np.argsort(rng.random((30, 6)), axis=1)
    for form in ("entropy", "cross_entropy"):
        for am in (True, False):
            a = dense_prefix_draws(mu, x, perms, form=form, average_masked=am)
            b = prefix_draws(DistributionOracle(mu), x, perms, form=form, average_masked=am)
            np.testing.assert_allclose(a, b, atol=1e-12)


def test_bad_oracle_output():
    mu = families.random_dirichlet(4, 2, seed=0)

    def wrong_shape(x, m):
        return np.full((x.shape[0], x.shape[1], 3), 1 / 3)[:, :-1]

    def not_normalised(x, m):
        return np.full((x.shape[0], x.shape[1], 2), 0.6)

    for oracle, match in ((wrong_shape, "shape"), (not_normalised, "sum to 1")):
        with pytest.raises(ValueError, match=match):
            estimate_information_curve(oracle, mu.sample, n_draws=4, seed=0)
    with pytest.raises(ValueError, match="n_draws"):
        estimate_information_curve(mu, mu.sample(3, 0), n_draws=5)
    with pytest.raises(ValueError, match="sampler"):
        estimate_information_curve(lambda x, m: x, None, n_draws=5)


# ----------------------------------------------------------------------------- coverage
def _coverage(oracle, sampler, Z, trials, draws, **kw):
    cover = np.zeros(Z.size)
    for t in range(trials):
        cover += estimate_information_curve(oracle, sampler, n_draws=draws, seed=t,
                                            **kw).covers(Z)
    return cover / trials


@pytest.mark.parametrize("form", ["entropy", "cross_entropy"])
@pytest.mark.parametrize("average_masked", [True, False])
def test_coverage_fast(form, average_masked):
    """Per-j 95% intervals cover the exact Z in >= 90% of 200 seeded trials (dense, n=5)."""
    mu = families.random_dirichlet(5, 3, 0.3, seed=2)
    Z = information_curve(mu)
    cov = _coverage(DistributionOracle(mu), mu.sample, Z, 200, 100, form=form,
                    average_masked=average_masked)
    assert cov.min() >= 0.90, cov


@pytest.mark.slow
def test_coverage_slow():
    """Coverage on structured oracles (Markov, mixture) and the table path, 200 trials each."""
    rng = np.random.default_rng(8)
    T = rng.dirichlet(np.ones(3) * 0.7, size=3)
    o = MarkovOracle(9, T)
    Z = markov_information_curve(9, T)
    cases = [(o, o.sample, Z, {})]
    w, f = np.array([0.3, 0.7]), rng.dirichlet(np.ones(2), size=(2, 8))
    om = ProductMixtureOracle(w, f)
    from mdmtheory.structured.mixtures import mixture_of_products_information_curve

    cases.append((om, om.sample, mixture_of_products_information_curve(w, f), {}))
    mu = families.random_dirichlet(8, 2, 0.5, seed=3)
    cases.append((DistributionOracle(mu, max_cells=1), mu.sample, information_curve(mu),
                  {"form": "cross_entropy"}))
    for oracle, sampler, Zc, kw in cases:
        cov = _coverage(oracle, sampler, Zc, 200, 200, **kw)
        assert cov.min() >= 0.90, cov


# ----------------------------------------------------------------------------- large tables
def test_dense_table_n24_against_structured_markov():
    """q=2, n=24: too large for the exact sweep (3^24 entries); MC on the table path."""
    n, p = 24, 0.15
    T = np.array([[1 - p, p], [p, 1 - p]])
    mu = families.markov_chain(n, T, [0.5, 0.5])  # 128 MiB
    exact = markov_information_curve(n, T, [0.5, 0.5])
    est = estimate_information_curve(mu, n_draws=10, seed=1)
    assert np.all(np.abs(est.Z - exact) <= 5.0 * est.Z_se + 1e-12), (est.Z - exact) / est.Z_se
    with memory_budget(2 ** 26):  # 64 MiB < one table: refused before any work
        with pytest.raises(MemoryError, match="memory budget"):
            estimate_information_curve(mu, n_draws=4, seed=1)
    del mu


# ----------------------------------------------------------------------------- plumbing
def test_seed_js_base_and_sample_array():
    mu = families.random_dirichlet(6, 2, 0.5, seed=5)
    o = DistributionOracle(mu)
    a = estimate_information_curve(o, mu.sample, n_draws=50, seed=3)
    b = estimate_information_curve(o, mu.sample, n_draws=50, seed=3)
    c = estimate_information_curve(o, mu.sample, n_draws=50, seed=4)
    np.testing.assert_array_equal(a.Z, b.Z)
    assert not np.array_equal(a.Z, c.Z)
    s = estimate_information_curve(o, mu.sample, n_draws=50, seed=3, js=[4, 2])
    np.testing.assert_array_equal(s.Z[[0, 1, 3]], a.Z[[0, 1, 3]])
    assert np.isnan(s.Z[[2, 4, 5]]).all()
    bits = estimate_information_curve(o, mu.sample, n_draws=50, seed=3, base=2)
    np.testing.assert_allclose(bits.Z, a.Z / math.log(2), atol=1e-15)
    # a fixed array of samples is consumed in order
    X = mu.sample(400, 9)
    est = estimate_information_curve(o, X, seed=0)
    assert est.n_draws == 400
    Z = information_curve(mu)
    assert np.all(np.abs(est.Z - Z) <= 5 * est.Z_se + 1e-12)
