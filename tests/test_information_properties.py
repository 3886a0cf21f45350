"""Hypothesis properties: spec theory.md §7 items 1–6, 16, 17 (and the §2 bounds).

Each law is checked on random joint tables (dense, sparse, with zero slices, few-point
supports, point masses; ``n <= 6``, ``q <= 4``) and on every family of
:mod:`mdmtheory.families` (``test_all_laws_on_every_family`` draws each family
separately, so none is left out by chance).

Independence: the two sides of each identity come from different code paths.  ``Z``
comes from the Numba sweep (:func:`mdmtheory.information_curve`) unless stated; the
other side comes from :mod:`mdmtheory.reference` (Def. 1.3 as an average of mutual
informations; Def. 1.7 with explicit marginal sums) or from explicit marginal sums
written in this file.

Tolerance: ``TOL = 1e-10`` nats (the issue's agreement bound).  Inequalities are
allowed the same slack, which only absorbs rounding (~1e-14 here).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings

import mdmtheory as mdm
from mdmtheory import reference
from tests.strategies import FAMILIES, any_distributions, family_distributions

TOL = 1e-10


def _H(mu, keep) -> float:
    """Entropy (nats) of the marginal on the positions ``keep``, by an explicit sum."""
    drop = tuple(a for a in range(mu.n) if a not in keep)
    return reference.naive_entropy(mu.p.sum(axis=drop) if drop else mu.p) if keep else 0.0


def law_1_z1_zero_and_nondecreasing(mu) -> None:
    """Item 1: Z_1 = 0 and Z is nondecreasing (Han's inequality)."""
    Z = mdm.information_curve(mu)
    assert Z.shape == (mu.n,)
    assert Z[0] == 0.0
    assert np.all(np.diff(Z) >= -TOL), Z


def law_2_entropy_profile_form(mu) -> None:
    """Item 2: Z_j = d_1 - d_j, d_j = e(j) - e(j-1).

    Left: Z straight from Def. 1.3 (average of I(X_i; X_A) over i and (j-1)-sets A).
    Right: the sweep's entropy profile.
    """
    Z_def = reference.naive_information_curve(mu.p)
    d = np.diff(mdm.entropy_profile(mu))
    np.testing.assert_allclose(Z_def, d[0] - d, rtol=0, atol=TOL)


def law_3_area_under_curve_is_tc(mu) -> None:
    """Item 3: sum_j Z_j = TC (TC = sum_i H(X_i) - H(X), explicit sums)."""
    tc = sum(_H(mu, [i]) for i in range(mu.n)) - reference.naive_entropy(mu.p)
    assert float(np.sum(mdm.information_curve(mu))) == pytest.approx(tc, abs=TOL)


def law_4_area_above_curve_is_dtc(mu) -> None:
    """Item 4: n Z_n - TC = DTC, equivalently sum_j (Z_n - Z_j) = DTC."""
    Z = mdm.information_curve(mu)
    tc, dtc = reference.naive_tc_dtc(mu.p)
    assert mu.n * Z[-1] - tc == pytest.approx(dtc, abs=TOL)
    assert float(np.sum(Z[-1] - Z)) == pytest.approx(dtc, abs=TOL)


def law_5_n_zn_is_mutual_information_sum(mu) -> None:
    """Item 5: n Z_n = sum_i I(X_i; X_-i), each I = H(X_i) + H(X_-i) - H(X)."""
    n = mu.n
    Hall = reference.naive_entropy(mu.p)
    mis = sum(_H(mu, [i]) + _H(mu, [a for a in range(n) if a != i]) - Hall for i in range(n))
    assert n * mdm.information_curve(mu)[-1] == pytest.approx(mis, abs=TOL)


def law_6_z2_is_mean_pairwise_mi(mu) -> None:
    """Item 6: Z_2 = mean over ordered pairs i != i' of I(X_i; X_i')."""
    n = mu.n
    if n < 2:
        return
    mis = [_H(mu, [i]) + _H(mu, [k]) - _H(mu, sorted((i, k)))
           for i in range(n) for k in range(n) if i != k]
    assert mdm.information_curve(mu)[1] == pytest.approx(float(np.mean(mis)), abs=TOL)


def law_16_tc_dtc_comparison(mu) -> None:
    """Item 16: TC/(n-1) <= DTC <= (n-1) TC (n >= 2), TC and DTC from the sweep summary."""
    n = mu.n
    s = mdm.information_summary(mu)
    assert s.TC >= -TOL and s.DTC >= -TOL
    if n < 2:
        return
    assert s.TC / (n - 1) <= s.DTC + TOL
    assert s.DTC <= (n - 1) * s.TC + TOL


def law_17_dtc_leave_one_out_identity(mu) -> None:
    """Item 17: DTC = (n-1) TC - sum_i TC(X_-i); TC(X_-i) by Def. 1.7 on the explicit
    marginal table of X_-i; DTC from the sweep summary."""
    n = mu.n
    if n < 2:
        return
    s = mdm.information_summary(mu)
    loo = sum(reference.naive_tc_dtc(mu.p.sum(axis=i))[0] for i in range(n))
    assert s.DTC == pytest.approx((n - 1) * s.TC - loo, abs=TOL)


def law_bounds_0_le_z_le_d1_le_logq(mu) -> None:
    """Spec §2: 0 <= Z_j <= d_1 <= log q."""
    e = mdm.entropy_profile(mu)
    Z = mdm.information_curve(mu)
    d1 = e[1]
    assert np.all(Z >= -TOL)
    assert np.all(Z <= d1 + TOL)
    assert d1 <= math.log(mu.q) + TOL


LAWS = [
    law_1_z1_zero_and_nondecreasing,
    law_2_entropy_profile_form,
    law_3_area_under_curve_is_tc,
    law_4_area_above_curve_is_dtc,
    law_5_n_zn_is_mutual_information_sum,
    law_6_z2_is_mean_pairwise_mi,
    law_16_tc_dtc_comparison,
    law_17_dtc_leave_one_out_identity,
    law_bounds_0_le_z_le_d1_le_logq,
]


@given(any_distributions())
def test_item_1_z1_zero_and_nondecreasing(mu):
    law_1_z1_zero_and_nondecreasing(mu)


@given(any_distributions())
def test_item_2_entropy_profile_form(mu):
    law_2_entropy_profile_form(mu)


@given(any_distributions())
def test_item_3_area_under_curve_is_tc(mu):
    law_3_area_under_curve_is_tc(mu)


@given(any_distributions())
def test_item_4_area_above_curve_is_dtc(mu):
    law_4_area_above_curve_is_dtc(mu)


@given(any_distributions())
def test_item_5_n_zn_is_mutual_information_sum(mu):
    law_5_n_zn_is_mutual_information_sum(mu)


@given(any_distributions(n_min=2))
def test_item_6_z2_is_mean_pairwise_mi(mu):
    law_6_z2_is_mean_pairwise_mi(mu)


@given(any_distributions(n_min=2))
def test_item_16_tc_dtc_comparison(mu):
    law_16_tc_dtc_comparison(mu)


@given(any_distributions(n_min=2))
def test_item_17_dtc_leave_one_out_identity(mu):
    law_17_dtc_leave_one_out_identity(mu)


@given(any_distributions())
def test_section2_bounds(mu):
    law_bounds_0_le_z_le_d1_le_logq(mu)


@pytest.mark.parametrize("family", FAMILIES)
def test_all_laws_on_every_family(family):
    """Every law on every family (a few random parameter draws each)."""

    @settings(max_examples=max(3, settings.default.max_examples // 5))
    @given(family_distributions(names=[family]))
    def check(mu):
        for law in LAWS:
            law(mu)

    check()


def test_laws_hold_on_the_spec_section6_examples():
    """The §6 examples with n up to 6 at their printed parameters."""
    from mdmtheory import families

    examples = [
        families.binary_symmetric_chain(6, 0.1),
        families.mixture([families.product(np.tile([1 - a, a], (6, 1))) for a in (0.9, 0.1)]),
        families.reed_solomon(4, 2, 5),
        families.repetition(6, 2),
        families.parity(6, 2),
    ]
    for mu in examples:
        for law in LAWS:
            law(mu)


def test_laws_can_fail_on_a_wrong_curve(monkeypatch):
    """Sanity check of the checkers themselves: feed a curve off by a constant on one entry
    and the area identities (items 3, 4) must reject it."""
    from mdmtheory import families

    mu = families.binary_symmetric_chain(5, 0.2)
    true = mdm.information_curve

    def shifted(d, **kw):
        Z = true(d, **kw).copy()
        Z[2] += 1e-6
        return Z

    monkeypatch.setattr(mdm, "information_curve", shifted)
    with pytest.raises(AssertionError):
        law_3_area_under_curve_is_tc(mu)
    with pytest.raises(AssertionError):
        law_4_area_above_curve_is_dtc(mu)
