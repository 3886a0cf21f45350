"""Schedule families (policies.md §3 item 2, §5) and the derived greedy rules of spec §5(a)-(c).

Spec items 13, 14, 21 and the §5 "Tightness" and step-count table are checked
here: the conditions with exact rational arithmetic (``fractions``), the bounds
on real distributions through the exact curve, step minimality by brute force
over every composition, and tightness on the MDS step curves of spec §4.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, strategies as st

from mdmtheory import families, information_curve, total_correlation, dual_total_correlation
from mdmtheory.schedule import Schedule, compositions, left_riemann_error
from mdmtheory.schedule_rules import (
    dream_transfer_counts,
    dtc_greedy_schedule,
    dtc_rule_lambda,
    dtc_rule_ratio,
    geometric_schedule,
    llada_schedule,
    llada_transfer_counts,
    masked_fraction,
    masking_schedule,
    min_greedy_schedule,
    min_rule_lambda,
    schedule_from_cumulative,
    semi_autoregressive_schedule,
    tc_greedy_schedule,
    tc_rule_lambda,
    tc_rule_ratio,
    uniform_schedule,
)
from tests.strategies import any_distributions

LAMS = st.one_of(
    st.sampled_from([0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0, 1 / 3]),
    st.floats(min_value=1e-3, max_value=1.0, allow_nan=False, exclude_min=False),
)


# ----------------------------------------------------------------------------- LLaDA/Dream
def test_llada_split_hand_worked():
    """policies.md §5: floor(masked/steps) each, the first (masked mod steps) steps +1."""
    # 32 masked, 5 steps: 32 = 5*6 + 2 -> 7, 7, 6, 6, 6
    assert llada_transfer_counts(32, 5).tolist() == [7, 7, 6, 6, 6]
    assert uniform_schedule(10, 4).tolist() == [3, 3, 2, 2]
    assert uniform_schedule(7, 7).tolist() == [1] * 7
    assert uniform_schedule(7, 1).tolist() == [7]
    # more steps than masked tokens: LLaDA's counts contain zeros
    assert llada_transfer_counts(3, 5).tolist() == [1, 1, 1, 0, 0]


def test_llada_generate_counts():
    """LLaDA's generate(gen_length=256, block_length=32, steps=128): 8 blocks x 16 steps x 2."""
    s = llada_schedule(256, 128, 32)
    assert s.k == 128 and set(s.tolist()) == {2}
    # Apple's baseline-low_confidence-K256: one token per step
    assert llada_schedule(256, 256).tolist() == [1] * 256
    # gen 12, BL 4, steps 6 -> 3 blocks, 2 steps each, split (2, 2)
    assert semi_autoregressive_schedule(12, 4, 2).tolist() == [2, 2] * 3
    # gen 10, BL 5, 2 steps per block -> (3, 2) per block
    assert semi_autoregressive_schedule(10, 5, 2).tolist() == [3, 2, 3, 2]


@given(st.integers(1, 200), st.data())
def test_uniform_schedule_law(n, data):
    """Sizes differ by at most one, larger ones first, sum n."""
    k = data.draw(st.integers(1, n))
    s = uniform_schedule(n, k).tolist()
    assert len(s) == k and sum(s) == n
    assert max(s) - min(s) <= 1 and s == sorted(s, reverse=True)
    assert s.count(n // k + 1) == n % k


def test_dream_counts_hand_worked():
    """Dream: t = linspace(1, 1e-3, 4) = (1, .667, .334, .001); n = 10:
    floor(10 * .333) = 3; floor(7 * (1 - .334/.667)) = floor(3.49) = 3; the rest, 4."""
    assert dream_transfer_counts(10, 3).tolist() == [3, 3, 4]
    c = dream_transfer_counts(5, 8)
    assert c.sum() == 5 and (c >= 0).all() and (c == 0).any()  # empty steps allowed


@pytest.mark.parametrize("bad", [
    lambda: uniform_schedule(3, 4),
    lambda: uniform_schedule(0, 1),
    lambda: semi_autoregressive_schedule(10, 4, 2),
    lambda: semi_autoregressive_schedule(8, 4, 5),
    lambda: llada_schedule(256, 100, 32),
    lambda: masking_schedule(5, 6),
    lambda: masking_schedule(5, 2, "quadratic"),
    lambda: masking_schedule(5, 2, lambda t: t),  # m(0) = 0
    lambda: masking_schedule(5, 2, lambda t: 1 - t + 0.3 * np.sin(6 * t)),  # not monotone
    lambda: masking_schedule(5, 2, 3.0),
    lambda: geometric_schedule(5, 2, -1.0),
    lambda: geometric_schedule(5, 6, 2.0),
    lambda: tc_greedy_schedule(5, 0.0),
    lambda: dtc_greedy_schedule(5, float("nan")),
    lambda: min_greedy_schedule(5, -0.1),
    lambda: tc_rule_lambda(0.0, 1.0),
    lambda: dtc_rule_lambda(0.1, float("inf")),
    lambda: schedule_from_cumulative(4, [3, 2, 4]),
    lambda: schedule_from_cumulative(4, [1, 2, 3, 4, 4]),
    lambda: dream_transfer_counts(4, 2, eps=0.0),
])
def test_bad_arguments_raise_value_error(bad):
    with pytest.raises(ValueError):
        bad()


# ----------------------------------------------------------------------------- continuous
def test_masking_schedules_hand_worked():
    # linear, n=10, k=4: C = 2.5, 5, 7.5 -> round half up 3, 5, 8 -> (3, 2, 3, 2)
    assert masking_schedule(10, 4, "linear").tolist() == [3, 2, 3, 2]
    # cosine, n=10, k=2: C_1 = 10 (1 - cos(pi/4)) = 2.93 -> 3
    assert masking_schedule(10, 2, "cosine").tolist() == [3, 7]
    # cosine, n=10, k=5: C = .49, 1.91, 4.12, 6.91 -> round 0, 2, 4, 7; the first is
    # clipped up to 1 (every step reveals something): (1, 1, 2, 3, 3)
    assert masking_schedule(10, 5, "cosine").tolist() == [1, 1, 2, 3, 3]
    # MDLM log-linear = linear in masked fraction, the last step also takes the eps share
    assert masking_schedule(1000, 4, "loglinear", eps=0.1).tolist() == [225, 225, 225, 325]
    assert masking_schedule(1000, 4, "loglinear", eps=0.0) == masking_schedule(1000, 4)
    np.testing.assert_allclose(masked_fraction("cosine", [0, 0.5, 1]),
                               [1, math.sqrt(0.5), 0], atol=1e-15)


ALPHAS = st.sampled_from([
    "linear", "cosine", "loglinear",
    lambda t: (1 - t) ** 3,  # reveals most early
    lambda t: 1 - t ** 4,  # reveals most late
    lambda t: np.where(t < 1, 1.0, 0.0),  # everything at the end
    lambda t: np.where(t > 0, 0.0, 1.0),  # everything at the start
])


@given(st.integers(1, 300), st.data(), ALPHAS)
def test_masking_schedule_rounding_rule(n, data, alpha):
    """Any n, 1 <= k <= n, any masking schedule: positive sizes summing to n, and
    N_t = round_half_up(C_t) wherever the clipping does not bind."""
    k = data.draw(st.integers(1, n))
    s = masking_schedule(n, k, alpha)
    assert s.k == k and s.n == n and min(s.tolist()) >= 1
    tau = np.arange(1, k + 1) / k
    m = masked_fraction(alpha, tau)
    C = n * (1 - m)
    N = s.cumulative[1:]
    R = np.floor(C + 0.5).astype(int)
    R[-1] = n
    prev = np.concatenate([[0], N[:-1]])
    free = (R >= prev + 1) & (R <= n - (k - np.arange(1, k + 1)))
    np.testing.assert_array_equal(N[free], R[free])
    # clipping only ever moves N_t towards feasibility by the minimum amount
    assert np.all(N >= np.minimum(R, n - (k - np.arange(1, k + 1))))


@given(st.integers(1, 200), st.data(), st.floats(0.05, 20.0))
def test_geometric_schedule_shapes(n, data, ratio):
    k = data.draw(st.integers(1, n))
    s = geometric_schedule(n, k, ratio).tolist()
    assert len(s) == k and sum(s) == n and min(s) >= 1
    if k >= 2 and n >= 20 * k and abs(ratio - 1) > 0.2:
        # growing ratio: the last step is at least the first (rounding + clipping slack 1)
        if ratio > 1:
            assert s[-1] >= s[0] - 1
        else:
            assert s[0] >= s[-1] - 1


def test_geometric_schedule_hand_worked():
    # ratio 2, n = 7, k = 3: C_t = 7 (2^t - 1) / 7 = 1, 3 -> (1, 2, 4)
    assert geometric_schedule(7, 3, 2.0).tolist() == [1, 2, 4]
    assert geometric_schedule(7, 3, 0.5).tolist() == [4, 2, 1]
    assert geometric_schedule(9, 3, 1.0).tolist() == [3, 3, 3]


# ----------------------------------------------------------------------------- greedy rules
def _tc_ok(sizes, lam: Fraction) -> bool:
    N = 0
    n = sum(sizes)
    for s in sizes:
        if Fraction(s - 1) > lam * (n - N - 1):
            return False
        N += s
    return True


def _dtc_ok(sizes, lam: Fraction) -> bool:
    N = 0
    for s in sizes:
        if Fraction(s - 1) > lam * (N + 1):
            return False
        N += s
    return True


RULES = {
    "tc": (tc_greedy_schedule, lambda s, lam: _tc_ok(s, lam)),
    "dtc": (dtc_greedy_schedule, lambda s, lam: _dtc_ok(s, lam)),
    "min": (min_greedy_schedule, lambda s, lam: _tc_ok(s, lam) and _dtc_ok(s, lam)),
}


@given(st.integers(1, 400), LAMS, st.sampled_from(sorted(RULES)))
@example(11, 0.7, "tc")  # 0.7 * 10 == 7.0 in floats, but binary 0.7 < 7/10: exact floor is 6
@example(10, 0.7, "dtc")
def test_greedy_rules_satisfy_their_condition_exactly(n, lam, rule):
    fn, ok = RULES[rule]
    s = fn(n, lam).tolist()
    assert sum(s) == n and min(s) >= 1
    assert ok(s, Fraction(lam))


@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("lam", [0.05, 0.2, 1 / 3, 0.5, 0.7, 1.0])
def test_item21_greedy_uses_the_fewest_steps(rule, lam):
    """Item 21, by brute force over all 2^(n-1) compositions of n <= 11."""
    fn, ok = RULES[rule]
    fl = Fraction(lam)
    for n in range(1, 12):
        best = min(c.k for c in compositions(n) if ok(c.tolist(), fl))
        assert fn(n, lam).k == best, (n, lam, rule)


def test_greedy_step_counts_match_the_spec_table():
    """Spec §5 "Step counts of the greedy rules" (TC / DTC / both)."""
    table = {
        (10**3, 0.5): (10, 15, 23), (10**3, 0.1): (50, 53, 88), (10**3, 0.01): (292, 293, 456),
        (10**5, 0.5): (17, 27, 41), (10**5, 0.1): (93, 101, 180), (10**5, 0.01): (745, 751, 1357),
    }
    for (n, lam), counts in table.items():
        got = (tc_greedy_schedule(n, lam).k, dtc_greedy_schedule(n, lam).k,
               min_greedy_schedule(n, lam).k)
        assert got == counts, (n, lam)
    # "at most about ln(n)/lam" and "ln(n)/ln(1+lam)"
    for n in (10**3, 10**5):
        for lam in (0.5, 0.1, 0.01):
            assert tc_greedy_schedule(n, lam).k <= math.log(n) / lam + 2
            assert dtc_greedy_schedule(n, lam).k <= math.log(n) / math.log1p(lam) + 2


@given(any_distributions(n_min=1, n_max=6, max_cells=1024), LAMS)
def test_items13_14_greedy_bounds_hold(mu, lam):
    """Items 13, 14 (and 5(c)): E KL <= lam TC, lam DTC, lam min(TC, DTC)."""
    Z = information_curve(mu)
    tc, dtc = total_correlation(mu), dual_total_correlation(mu)
    tol = 1e-10 * (1 + tc + dtc)
    n = mu.n
    assert left_riemann_error(Z, tc_greedy_schedule(n, lam)) <= lam * tc + tol
    assert left_riemann_error(Z, dtc_greedy_schedule(n, lam)) <= lam * dtc + tol
    assert left_riemann_error(Z, min_greedy_schedule(n, lam)) <= lam * min(tc, dtc) + tol


@given(any_distributions(n_min=1, n_max=6, max_cells=1024), st.data())
def test_items13_14_hold_for_every_schedule_with_its_own_ratio(mu, data):
    """Items 13, 14 for arbitrary schedules: lam = the schedule's own ratio."""
    from tests.strategies import compositions as comp
    s = data.draw(comp(mu.n))
    Z = information_curve(mu)
    tc, dtc = total_correlation(mu), dual_total_correlation(mu)
    err = left_riemann_error(Z, s)
    tol = 1e-10 * (1 + tc + dtc)
    assert err <= tc_rule_ratio(s) * tc + tol
    assert err <= dtc_rule_ratio(s) * dtc + tol


@given(st.integers(2, 40), st.data())
def test_tc_and_dtc_rules_are_tight_on_mds_step_curves(n, data):
    """Spec §5 "Tightness": over step curves (MDS codes, §4: Z_j = 0 for j <= d, log q
    after), max_d E KL / TC = max_t (s_t - 1)/(R_t - 1), and max_d E KL / DTC =
    max_t (s_t - 1)/(N_{t-1} + 1)."""
    from tests.strategies import compositions as comp
    s = data.draw(comp(n))
    lq = math.log(5)
    best_tc = best_dtc = 0.0
    for d in range(1, n):
        Z = np.where(np.arange(1, n + 1) <= d, 0.0, lq)
        err = left_riemann_error(Z, s)
        best_tc = max(best_tc, err / ((n - d) * lq))
        best_dtc = max(best_dtc, err / (d * lq))
    assert best_tc == pytest.approx(tc_rule_ratio(s), rel=1e-12, abs=1e-15)
    assert best_dtc == pytest.approx(dtc_rule_ratio(s), rel=1e-12, abs=1e-15)


def test_lambda_helpers_reach_the_target_error():
    for mu in (families.repetition(6, 3), families.parity(5, 3),
               families.binary_symmetric_chain(6, 0.1), families.random_dirichlet(5, 2, seed=4)):
        Z = information_curve(mu)
        tc, dtc = total_correlation(mu), dual_total_correlation(mu)
        for eps in (1e-3, 0.05, 0.3, 10.0):
            n = mu.n
            assert left_riemann_error(Z, tc_greedy_schedule(n, tc_rule_lambda(eps, tc))) <= eps + 1e-12
            assert left_riemann_error(Z, dtc_greedy_schedule(n, dtc_rule_lambda(eps, dtc))) <= eps + 1e-12
            assert left_riemann_error(
                Z, min_greedy_schedule(n, min_rule_lambda(eps, tc, dtc))) <= eps + 1e-12
    assert tc_rule_lambda(0.1, 0.0) == 1.0 and tc_rule_lambda(0.1, 0.4) == 0.25
    assert dtc_rule_lambda(1.0, 0.5) == 1.0
    assert min_rule_lambda(0.1, 0.4, 1.0) == 0.25


def test_repetition_and_parity_need_few_greedy_steps():
    """Spec §5 "Where O(log n) applies": repetition has DTC = log q, parity TC = log q."""
    n = 400
    # DTC rule on repetition: the error is (s_1 - 1) log q = 0, since s_1 = 1 + floor(lam)
    s = dtc_greedy_schedule(n, 0.5)
    Z = np.r_[0.0, np.full(n - 1, math.log(2))]  # repetition's curve (spec §6)
    assert s.tolist()[0] == 1 and left_riemann_error(Z, s) == 0.0
    assert s.k <= math.log(n) / math.log(1.5) + 2
    # TC rule on parity: the error is log q unless the last step has size 1
    s = tc_greedy_schedule(n, 0.5)
    Zp = np.r_[np.zeros(n - 1), math.log(2)]
    assert s.tolist()[-1] == 1 and left_riemann_error(Zp, s) == 0.0
