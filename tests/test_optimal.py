"""Optimal schedules (spec theory.md §3 "bestkstep", §7 items 11, 12).

* DP optimum == brute-force minimum over all C(n-1, k-1) compositions (n <= 10).
* The three solvers ('plain', 'dnc', 'knuth') agree exactly: integer optima,
  argmin tables, schedules and float errors (random curves with ties, flat
  segments, steps and huge dynamic range).
* OPT_k nonincreasing and convex (exactly, on the integer optima); c is Monge.
* Tie-breaking: the componentwise-largest cumulative counts among optimal
  schedules (checked with exact integer curves by brute force).
* min_steps == the smallest k whose brute-force optimum is <= eps.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from mdmtheory import families, information_curve
from mdmtheory.optimal import (
    METHODS,
    Frontier,
    OptimalSchedule,
    min_steps,
    optimal_frontier,
    optimal_schedule,
    rounded_curve,
)
from mdmtheory.schedule import compositions, left_riemann_error
from mdmtheory._validation import memory_budget
from mdmtheory.schedule_rules import uniform_schedule, masking_schedule


@st.composite
def curves(draw, n_min: int = 1, n_max: int = 10) -> np.ndarray:
    """Nondecreasing curves: smooth, integer (many exact ties), sparse (flat
    segments), steps (MDS-like), and multi-scale increments."""
    n = draw(st.integers(n_min, n_max))
    kind = draw(st.sampled_from(["random", "integer", "sparse", "step", "steps", "scales", "flat"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    m = max(n - 1, 0)
    if kind == "random":
        d = rng.random(m)
    elif kind == "integer":
        d = rng.integers(0, 3, m).astype(float)
    elif kind == "sparse":
        d = rng.random(m) * (rng.random(m) < 0.3)
    elif kind == "step":
        d = np.zeros(m)
        if m:
            d[rng.integers(m)] = math.log(7)
    elif kind == "steps":
        d = (rng.random(m) < 0.25) * 1.0
    elif kind == "scales":
        d = 10.0 ** rng.uniform(-12, 3, m)
    else:
        d = np.zeros(m)
    return np.concatenate([[0.0], np.cumsum(d)])


def brute_force_opt(Z: np.ndarray, k: int) -> float:
    return min(left_riemann_error(Z, c) for c in compositions(Z.size, k))


def tol(Z) -> float:
    return 1e-12 * (1.0 + math.fsum(Z))


# ----------------------------------------------------------------------------- item 11
@given(curves(n_max=10), st.data())
def test_item11_dp_equals_brute_force_minimum(Z, data):
    n = Z.size
    k = data.draw(st.integers(1, n))
    method = data.draw(st.sampled_from(("auto",) + METHODS))
    res = optimal_schedule(Z, k, method=method)
    assert isinstance(res, OptimalSchedule)
    assert res.k == k == res.schedule.k and res.schedule.n == n
    bf = brute_force_opt(Z, k)
    assert res.error == pytest.approx(bf, rel=0, abs=tol(Z))
    # the reported error is the schedule's own Thm 1.4 error
    assert res.error == pytest.approx(left_riemann_error(Z, res.schedule), rel=1e-13, abs=1e-15)


@given(curves(n_max=9))
def test_item11_frontier_equals_brute_force_and_beats_every_schedule(Z):
    fr = optimal_frontier(Z)
    assert isinstance(fr, Frontier) and fr.kmax == Z.size
    for c in compositions(Z.size):
        assert fr.errors[c.k - 1] <= left_riemann_error(Z, c) + tol(Z)
    for k in range(1, Z.size + 1):
        assert fr.errors[k - 1] == pytest.approx(brute_force_opt(Z, k), rel=0, abs=tol(Z))


@pytest.mark.parametrize("family", [
    families.binary_symmetric_chain(6, 0.1),
    families.repetition(6, 2),
    families.parity(6, 2),
    families.reed_solomon(4, 2, 5),
    families.random_dirichlet(6, 2, seed=11),
])
def test_item11_on_spec_families(family):
    Z = information_curve(family)
    fr = optimal_frontier(Z)
    for k in range(1, Z.size + 1):
        assert fr.errors[k - 1] == pytest.approx(brute_force_opt(Z, k), abs=tol(Z))


def test_known_optima():
    """Spec §4/§6: MDS [n, d]: the 2-step (d, n-d) is exact; repetition: (1, n-1) exact."""
    lq = math.log(5)
    for n in range(3, 12):
        for d in range(1, n):
            Z = np.where(np.arange(1, n + 1) <= d, 0.0, lq)
            r = optimal_schedule(Z, 2)
            assert r.error == 0.0 and r.schedule.tolist() == [d, n - d]
            assert optimal_schedule(Z, 1).error == pytest.approx((n - d) * lq)


# ----------------------------------------------------------------------------- solvers agree
def _assert_identical(Z, kmax=None):
    frs = {m: optimal_frontier(Z, kmax, method=m) for m in METHODS}
    ref = frs["plain"]
    for m, fr in frs.items():
        np.testing.assert_array_equal(fr.scaled_errors, ref.scaled_errors, err_msg=m)
        np.testing.assert_array_equal(fr._argmins, ref._argmins, err_msg=m)
        np.testing.assert_array_equal(fr.errors, ref.errors, err_msg=m)  # bit-identical
        assert fr.scale == ref.scale
    return ref


@given(curves(n_min=1, n_max=60))
def test_fast_solvers_equal_plain_dp_exactly(Z):
    _assert_identical(Z)


@settings(max_examples=8)
@given(curves(n_min=100, n_max=300), st.data())
def test_fast_solvers_equal_plain_dp_exactly_larger(Z, data):
    kmax = data.draw(st.integers(1, Z.size))
    _assert_identical(Z, kmax)
    k = data.draw(st.integers(1, Z.size))
    outs = [optimal_schedule(Z, k, method=m) for m in METHODS]
    assert len({o.schedule for o in outs}) == 1
    assert len({o.error for o in outs}) == 1 and len({o.scaled_error for o in outs}) == 1


def test_frontier_schedules_and_errors_are_consistent():
    rng = np.random.default_rng(5)
    Z = np.concatenate([[0.0], np.cumsum(rng.random(200) ** 3)])
    fr = optimal_frontier(Z)
    for k in (1, 2, 3, 17, 100, 150, 201):
        s = fr.schedule(k)
        assert s.k == k and s.n == 201
        assert fr.errors[k - 1] == pytest.approx(left_riemann_error(Z, s), rel=1e-12, abs=1e-14)
        o = optimal_schedule(Z, k)
        assert o.schedule == s and o.error == fr.errors[k - 1]
        assert fr.optimal(k).schedule == s
    assert fr.errors[-1] == 0.0
    assert len(fr.schedules()) == 201
    # beats the families at equal k
    for k in (4, 16, 64):
        assert fr.errors[k - 1] <= left_riemann_error(Z, uniform_schedule(201, k)) + 1e-12
        assert fr.errors[k - 1] <= left_riemann_error(Z, masking_schedule(201, k, "cosine")) + 1e-12


# ----------------------------------------------------------------------------- item 12
@given(curves(n_min=1, n_max=80))
def test_item12_opt_nonincreasing_and_convex(Z):
    fr = optimal_frontier(Z)
    o = fr.scaled_errors.astype(object)  # exact integers of the rounded curve
    assert all(o[i] >= o[i + 1] for i in range(len(o) - 1))
    assert all(o[i - 1] + o[i + 1] >= 2 * o[i] for i in range(1, len(o) - 1))
    e = fr.errors
    t = 1e-12 * (1 + e[0])
    assert np.all(np.diff(e) <= t)
    assert np.all(e[:-2] + e[2:] - 2 * e[1:-1] >= -4 * t)
    assert e[0] == pytest.approx(math.fsum(Z), rel=1e-12)  # k = 1: the whole area (TC)
    assert e[-1] == 0.0


@given(curves(n_min=2, n_max=14))
def test_item12_block_cost_is_monge(Z):
    """c(i+1,m) + c(i'+1,m') <= c(i+1,m') + c(i'+1,m) for i <= i' <= m <= m'; the exchange
    difference is (m' - m)(Z_{i'+1} - Z_{i+1}) (spec §3).  Exact rationals."""
    Zf = [Fraction(float(z)) for z in Z]
    n = len(Zf)

    def c(a, b):  # 1-based block a..b
        return sum(Zf[j - 1] - Zf[a - 1] for j in range(a, b + 1))

    for i in range(0, n):
        for i2 in range(i, n):
            for m in range(max(i2, 1), n + 1):
                for m2 in range(m, n + 1):
                    if i + 1 > m or i2 + 1 > m:
                        continue
                    lhs = c(i + 1, m) + c(i2 + 1, m2)
                    rhs = c(i + 1, m2) + c(i2 + 1, m)
                    assert rhs - lhs == (m2 - m) * (Zf[i2] - Zf[i])
                    assert lhs <= rhs


# ----------------------------------------------------------------------------- ties
@given(st.integers(1, 9), st.data())
def test_tie_breaking_componentwise_largest_cumulative_counts(n, data):
    """Integer-valued curves (exact ties): the returned schedule is the optimal one with
    componentwise-largest N_1..N_{k-1} (equivalently, lexicographically largest sizes)."""
    d = data.draw(st.lists(st.integers(0, 2), min_size=n - 1, max_size=n - 1))
    Z = np.concatenate([[0.0], np.cumsum(d)]).astype(float)
    k = data.draw(st.integers(1, n))
    errs = {tuple(c.tolist()): left_riemann_error(Z, c) for c in compositions(n, k)}
    best = min(errs.values())  # integer arithmetic in floats: exact
    optimal = [c for c, e in errs.items() if e == best]
    cums = [np.cumsum(c) for c in optimal]
    top = np.max(cums, axis=0)
    assert any(np.array_equal(cu, top) for cu in cums)  # the componentwise max exists
    for m in METHODS:
        got = optimal_schedule(Z, k, method=m).schedule.tolist()
        assert np.array_equal(np.cumsum(got), top)
        assert tuple(got) == max(optimal)


def test_rounded_curve_properties():
    rng = np.random.default_rng(0)
    for n in (1, 2, 10, 1000, 4096):
        for scale in (1e-300, 1e-9, 1.0, 1e12):
            Z = np.concatenate([[0.0], np.cumsum(rng.random(n - 1))]) * scale
            Zi, h = rounded_curve(Z)
            assert Zi.dtype == np.int64 and Zi[0] == 0 and np.all(np.diff(Zi) >= 0)
            assert n * int(Zi[-1]) <= 2**62
            assert np.all(np.abs(Zi * h - Z) <= h / 2 * (1 + 1e-15) + 1e-300)
            assert h == 2.0 ** round(math.log2(h))  # a power of two
    Zi, h = rounded_curve(np.zeros(5))
    assert np.all(Zi == 0)
    # tiny decreases admitted by validate_curve are removed by the running maximum
    Zi, _ = rounded_curve([0.0, 1.0, 1.0 - 1e-12, 2.0])
    assert np.all(np.diff(Zi) >= 0)


# ----------------------------------------------------------------------------- min_steps
@given(curves(n_min=1, n_max=10), st.floats(0, 1, allow_nan=False))
def test_min_steps_is_the_smallest_k_reaching_eps(Z, frac):
    eps = frac * math.fsum(Z)
    res = min_steps(Z, eps)
    bf = [brute_force_opt(Z, k) for k in range(1, Z.size + 1)]
    assert res.error <= eps
    assert res.error == pytest.approx(bf[res.k - 1], abs=tol(Z))
    # no smaller k reaches eps (up to the DP's documented rounding of n h)
    for k in range(1, res.k):
        assert bf[k - 1] > eps - tol(Z)
    assert optimal_frontier(Z).min_steps(eps) == res.k


def test_min_steps_large_and_zero_target():
    rng = np.random.default_rng(1)
    Z = np.concatenate([[0.0], np.cumsum(rng.random(999))])
    fr = optimal_frontier(Z)
    for eps in (0.0, 1e-3, 1.0, 30.0, 1e3, 1e9):
        r = min_steps(Z, eps)
        assert r.k == fr.min_steps(eps) and r.schedule == fr.schedule(r.k)
    assert min_steps(Z, 0.0).k == 1000  # a strictly increasing curve needs every step
    assert min_steps(np.zeros(50), 0.0).k == 1


def test_curves_with_admitted_rounding_decreases():
    """validate_curve admits decreases up to 1e-9 (rounding of exact curves); the DP runs on
    the running maximum, and the reported errors are those of the given curve."""
    rng = np.random.default_rng(3)
    Z = np.concatenate([[0.0], np.cumsum(rng.random(9))])
    Z[4] = Z[3] - 5e-10  # a tiny decrease
    Z[0] = 3e-10  # and a Z_1 that is not exactly 0
    fr = optimal_frontier(Z)
    for k in range(1, 11):
        bf = brute_force_opt(Z, k)
        assert fr.errors[k - 1] == pytest.approx(left_riemann_error(Z, fr.schedule(k)), abs=1e-13)
        assert fr.errors[k - 1] <= bf + 1e-8  # optimal up to the cleaning (n * 1e-9)
    for eps in (0.0, 0.5, 2.0):
        r = min_steps(Z, eps)
        assert r.error <= eps and r.k == fr.min_steps(eps)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, err", [
    (lambda: optimal_schedule([0.0, 1.0, 2.0], 0), ValueError),
    (lambda: optimal_schedule([0.0, 1.0, 2.0], 4), ValueError),
    (lambda: optimal_schedule([0.0, 1.0, 2.0], 1.5), ValueError),
    (lambda: optimal_schedule([0.0, 1.0, 2.0], 2, method="smawk"), ValueError),
    (lambda: optimal_schedule([0.0, 2.0, 1.0], 2), ValueError),
    (lambda: optimal_schedule([0.5, 1.0], 1), ValueError),
    (lambda: optimal_frontier([0.0, np.inf]), ValueError),
    (lambda: optimal_frontier([0.0, 1.0], kmax=3), ValueError),
    (lambda: min_steps([0.0, 1.0], -1.0), ValueError),
    (lambda: min_steps([0.0, 1.0], float("nan")), ValueError),
    (lambda: optimal_frontier(np.zeros(3)).schedule(4), ValueError),
])
def test_bad_input(call, err):
    with pytest.raises(err):
        call()


def test_memory_guard():
    with memory_budget(10_000):
        with pytest.raises(MemoryError, match="argmin table"):
            optimal_frontier(np.linspace(0, 1, 200))
