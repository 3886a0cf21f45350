"""Certified schedules (mdmtheory.certified): min-max optimality and coverage on exact oracles."""

from __future__ import annotations

import numpy as np
import pytest

from mdmtheory import families
from mdmtheory.certified import (
    CurveBand,
    certified_schedule,
    simultaneous_band,
    worst_case_error,
)
from mdmtheory.information import information_curve
from mdmtheory.montecarlo import prefix_draws
from mdmtheory.oracle import DistributionOracle
from mdmtheory.schedule import compositions, left_riemann_error


def _draws(mu, R, seed):
    rng = np.random.default_rng(seed)
    x = mu.sample(R, rng)
    perms = np.argsort(rng.random((R, mu.n)), axis=1)
    return prefix_draws(DistributionOracle(mu), x, perms)


def _coverage(mu, trials, R, k, kind, delta=0.05):
    Z = information_curve(mu)
    hit = band_hit = 0
    ratios = []
    for seed in range(trials):
        band = simultaneous_band(_draws(mu, R, seed), delta=delta, kind=kind)
        cert = certified_schedule(band, k)
        true = left_riemann_error(Z, cert.schedule)
        hit += true <= cert.bound
        band_hit += band.covers(Z)
        ratios.append(cert.bound / max(true, 1e-300))
    return hit / trials, band_hit / trials, float(np.median(ratios))


@pytest.mark.parametrize("kind", ["increments", "curve"])
def test_certified_schedule_is_the_min_max_over_all_compositions(kind):
    """Brute force: no k-step composition has a smaller worst-case error over the band."""
    mu = families.random_dirichlet(6, 2, 0.5, seed=2)
    band = simultaneous_band(_draws(mu, 100, 0), delta=0.1, kind=kind)
    for k in (2, 3, 4):
        cert = certified_schedule(band, k)
        brute = min(worst_case_error(band, s) for s in compositions(6, k))
        assert abs(cert.bound - brute) <= 1e-12 * max(1.0, brute)


def test_increment_bound_is_attained_by_a_curve_in_the_band():
    """The increments certificate is the exact worst case: the curve cumsum(hi) attains it."""
    mu = families.binary_symmetric_chain(7, 0.2)
    band = simultaneous_band(_draws(mu, 80, 1), kind="increments")
    cert = certified_schedule(band, 3)
    Zhi = np.concatenate([[0.0], np.cumsum(band.hi)])
    assert band.covers(Zhi)
    assert abs(left_riemann_error(Zhi, cert.schedule) - cert.bound) < 1e-12


def test_curve_bound_dominates_every_monotone_curve_in_the_band():
    """Random nondecreasing curves inside the band never exceed the decoupled bound."""
    mu = families.binary_symmetric_chain(7, 0.2)
    band = simultaneous_band(_draws(mu, 80, 2), kind="curve")
    cert = certified_schedule(band, 3)
    rng = np.random.default_rng(0)
    for _ in range(300):
        u = np.sort(rng.random(7))
        Z = band.lo + u * (band.hi - band.lo)
        Z = np.maximum.accumulate(Z)
        Z = np.minimum(Z, band.hi)
        Z[0] = 0.0
        if band.covers(Z) and np.all(np.diff(Z) >= 0):
            assert left_riemann_error(Z, cert.schedule) <= cert.bound + 1e-12


@pytest.mark.parametrize("kind", ["increments", "curve"])
def test_certificate_covers_the_true_error_fast(kind):
    """Coverage >= 95 % over seeded trials on an exact oracle (small, fast version)."""
    mu = families.binary_symmetric_chain(5, 0.2)
    cov, band_cov, _ = _coverage(mu, trials=40, R=150, k=2, kind=kind)
    assert cov >= 0.95, (cov, band_cov)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["increments", "curve"])
@pytest.mark.parametrize("law", ["chain", "mixture", "dirichlet"])
def test_certificate_covers_the_true_error(kind, law):
    """Must reach: E KL(certified schedule) <= bound in >= 95 % of 200 seeded trials."""
    n = 7
    mu = {"chain": families.binary_symmetric_chain(n, 0.1),
          "mixture": families.mixture([families.product(np.tile([0.1, 0.9], (n, 1))),
                                       families.product(np.tile([0.9, 0.1], (n, 1)))]),
          "dirichlet": families.random_dirichlet(n, 2, 0.5, seed=3)}[law]
    cov, band_cov, ratio = _coverage(mu, trials=200, R=200, k=3, kind=kind)
    assert cov >= 0.95, (cov, band_cov, ratio)


def test_bad_input_raises():
    D = np.random.default_rng(0).random((10, 5))
    with pytest.raises(ValueError, match="delta"):
        simultaneous_band(D, delta=1.5)
    with pytest.raises(ValueError, match="kind"):
        simultaneous_band(D, kind="pointwise")
    with pytest.raises(ValueError, match="D must"):
        simultaneous_band(D[:1])
    band = simultaneous_band(D)
    with pytest.raises(ValueError, match="k must"):
        certified_schedule(band, 6)
    with pytest.raises(TypeError, match="CurveBand"):
        certified_schedule(D, 2)
    assert isinstance(band, CurveBand)
