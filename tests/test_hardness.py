"""Tests of :mod:`mdmtheory.hardness` (spec theory.md §4, §7 item 19).

Independent references: the exact entropy sweep (:func:`mdmtheory.information_curve`)
on the actual code tables, the brute-force sampler of :mod:`proofs_check.brute`
(every ordered partition), the package's conditional oracle
(:meth:`Distribution.conditionals`, a different code path from the table sums of
:func:`indistinguishability_report`), ranks over F_p by Gaussian elimination, and
an exhaustive search over all compositions for the round lower bound.

With ``MDMTHEORY_MUTANT=<name>`` the module runs against a mutant of
docs/mutations.md and must fail.
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs_check.mutations import MUTANTS, applied, apply_from_env

MUTANT = apply_from_env()

from mdmtheory import families, hardness, information_curve  # noqa: E402
from mdmtheory.reference import naive_tc_dtc  # noqa: E402
from mdmtheory.schedule import left_riemann_error  # noqa: E402
from proofs_check import brute  # noqa: E402
from tests.strategies import compositions  # noqa: E402

TOL = 1e-9  # entropies of tables with <= 7^6 cells: rounding ~1e-13


@lru_cache(maxsize=None)
def code(n: int, d: int, p: int):
    return hardness.code_family(n, p, dims=[d])[d]


@lru_cache(maxsize=None)
def code_curve(n: int, d: int, p: int) -> np.ndarray:
    return information_curve(code(n, d, p))


def closed_error(sizes, d: int) -> int:
    """Item 19 in units of log q, written from the statement (not from hardness.py)."""
    N = 0
    for s in sizes:
        if N == d:
            return 0
        if N < d < N + s:
            return N + s - d
        N += s
    return 0


def rank_mod_p(M: np.ndarray, p: int) -> int:
    A = np.array(M, dtype=np.int64) % p
    r = 0
    rows, cols = A.shape
    for c in range(cols):
        piv = next((i for i in range(r, rows) if A[i, c]), None)
        if piv is None:
            continue
        A[[r, piv]] = A[[piv, r]]
        A[r] = A[r] * pow(int(A[r, c]), p - 2, p) % p
        for i in range(rows):
            if i != r and A[i, c]:
                A[i] = (A[i] - A[i, c] * A[r]) % p
        r += 1
    return r


SHAPES = [(3, 3), (4, 5), (5, 5), (6, 7)]


# ----------------------------------------------------------------------------- the family
@pytest.mark.parametrize("n,p", SHAPES)
def test_mds_curve_and_totals(n, p):
    """§4 / item 19: Z is a single jump at d+1; TC = (n-d) log p; DTC = d log p (d < n)."""
    for d in range(1, n + 1):
        Z = code_curve(n, d, p)
        expect = np.array([math.log(p) if j > d else 0.0 for j in range(1, n + 1)])
        np.testing.assert_allclose(Z, expect, atol=TOL, rtol=0)
        np.testing.assert_allclose(hardness.mds_curve(n, d, p), expect, atol=TOL, rtol=0)
        tc, dtc = naive_tc_dtc(code(n, d, p).p)
        assert tc == pytest.approx((n - d) * math.log(p), abs=TOL)
        # spec §4/§6 say DTC = d log q; that holds for d < n only -- the uniform law
        # (d = n) has DTC = 0 (docs/theory.md, "errata")
        assert dtc == pytest.approx((d if d < n else 0) * math.log(p), abs=TOL)


def test_spec_dtc_formula_fails_at_d_equals_n():
    """Erratum: the [n, n] code (uniform law) has DTC 0, not n log q."""
    n, p = 3, 3
    _, dtc = naive_tc_dtc(code(n, n, p).p)
    assert dtc == pytest.approx(0.0, abs=TOL)
    assert abs(dtc - n * math.log(p)) > 1.0


@pytest.mark.parametrize("n,p", [(4, 3), (5, 2), (6, 3)])
def test_mds_generator_beyond_reed_solomon(n, p):
    """n > p: repetition, parity and the full space are MDS over any F_p; others refused."""
    for d in (1, n - 1, n):
        G = hardness.mds_generator(n, d, p)
        for cols in itertools.combinations(range(n), d):
            assert rank_mod_p(G[:, cols], p) == d
    with pytest.raises(ValueError, match="Reed"):
        hardness.mds_generator(n, 2, p)  # 1 < d = 2 < n - 1: no MDS code built for n > p


@pytest.mark.parametrize("n,p", SHAPES)
def test_reed_solomon_generator_is_mds(n, p):
    for d in range(1, n + 1):
        G = hardness.mds_generator(n, d, p)
        for cols in itertools.combinations(range(n), d):
            assert rank_mod_p(G[:, cols], p) == d


# ----------------------------------------------------------------------------- exact error
@settings(max_examples=30)
@given(st.integers(2, 6).flatmap(lambda n: st.tuples(compositions(n), st.integers(1, n))))
def test_mds_error_closed_form_matches_exact(case):
    """Item 19: closed form == Thm 1.4 on the exact curve of the RS[n, d] table over F_7."""
    sizes, d = case
    n = sum(sizes)
    exact = left_riemann_error(code_curve(n, d, 7), sizes)
    assert hardness.mds_error(sizes, d, 7) == pytest.approx(exact, abs=TOL)
    assert exact == pytest.approx(closed_error(sizes, d) * math.log(7), abs=TOL)


@pytest.mark.parametrize("n,p", [(3, 3), (4, 5)])
def test_mds_error_matches_sampler_brute_force(n, p):
    """Item 19 and Thm 1.4 (item 7): the sampler itself, over every ordered partition."""
    for d in range(1, n + 1):
        sam = brute.Sampler(np.array(code(n, d, p).p))
        for s in brute.compositions(n):
            ekl, _, _ = sam.expected_kl(s)
            assert hardness.mds_error(s, d, p) == pytest.approx(ekl, abs=TOL)


@pytest.mark.parametrize("n,p", [(4, 5), (5, 5)])
def test_family_errors_exact_and_closed_agree(n, p):
    for s in brute.compositions(n):
        np.testing.assert_allclose(hardness.family_errors(s, p, exact=True),
                                   [closed_error(s, d) * math.log(p) for d in range(1, n + 1)],
                                   atol=TOL, rtol=0)
        assert hardness.family_worst_error(s, p) == pytest.approx(
            max(closed_error(s, d) for d in range(1, n + 1)) * math.log(p), abs=TOL)


@settings(max_examples=60)
@given(st.integers(1, 10), st.sampled_from([2, 3, 5, 7]),
       st.floats(0, 12, allow_nan=False), st.sampled_from([None, 2]))
def test_min_rounds_brute_force(n, q, eps_units, base):
    """§4 consequence: fewest rounds good for every member == exhaustive search."""
    unit = math.log(q) / (math.log(base) if base else 1.0)
    eps = eps_units * unit
    best = min(len(s) for s in brute.compositions(n)
               if all(closed_error(s, d) * unit <= eps + 1e-12 for d in range(1, n + 1)))
    assert hardness.min_rounds_for_family(n, q, eps, base=base) == best
    if eps < unit:
        assert best == n  # only the all-ones schedule; the uniform law alone needs 1


def test_min_rounds_boundary_is_inclusive():
    """eps exactly log q allows one extra token per block."""
    assert hardness.min_rounds_for_family(6, 5, math.log(5)) == 3
    assert hardness.min_rounds_for_family(6, 5, math.log(5) * (1 - 1e-6)) == 6


@given(st.integers(1, 8).flatmap(compositions), st.sampled_from([3, 5]))
def test_good_for_family(sizes, q):
    n = sum(sizes)
    worst = max(closed_error(sizes, d) for d in range(1, n + 1)) * math.log(q)
    assert hardness.good_for_family(sizes, q, worst)
    if worst > 0:
        assert not hardness.good_for_family(sizes, q, worst - 0.5 * math.log(q))


# ----------------------------------------------------------------------------- indistinguishability
@pytest.mark.parametrize("n,p", [(3, 3), (4, 5)])
def test_indistinguishable_before_d(n, p):
    """§4: every conditional with < d reveals is uniform; d reveals pin the codeword."""
    for d in range(1, n + 1):
        mu = code(n, d, p)
        rep = hardness.indistinguishability_report(mu, depth=d)
        assert rep.indistinguishable
        assert rep.contexts == sum(math.comb(n, m) * p ** m for m in range(d))
        # the package oracle (a different code path) agrees on every context |U| < d
        for m in range(d):
            for U in itertools.combinations(range(n), m):
                for vals in itertools.product(range(p), repeat=m):
                    C = mu.conditionals((list(U), list(vals)))
                    free = [i for i in range(n) if i not in U]
                    np.testing.assert_allclose(C[free], 1.0 / p, atol=TOL, rtol=0)
        if d < n:
            assert not hardness.indistinguishability_report(mu, depth=d + 1).indistinguishable
            assert hardness.distinguishing_depth(mu) == d
            x = mu.sample(1, rng=0)[0]
            C = mu.conditionals((list(range(d)), x[:d].tolist()))
            np.testing.assert_allclose(C[d:], np.eye(p)[x[d:]], atol=TOL)  # point masses
        else:
            assert hardness.distinguishing_depth(mu) is None


def test_indistinguishability_between_two_codes():
    """RS[4,2] and RS[4,3] over F_5 agree below 2 reveals and differ at 2."""
    a, b = code(4, 2, 5), code(4, 3, 5)
    assert hardness.indistinguishability_report(a, b, depth=2).indistinguishable
    assert not hardness.indistinguishability_report(a, b, depth=3).indistinguishable
    assert hardness.distinguishing_depth(a, b) == 2


def test_indistinguishability_counts_support_mismatch():
    rep = families.repetition(3, 2)
    r = hardness.indistinguishability_report(rep, depth=3)
    assert r.support_mismatch > 0 and not r.indistinguishable


# ----------------------------------------------------------------------------- general step curves
@st.composite
def step_levels(draw):
    p = draw(st.sampled_from([2, 3, 5]))
    n = draw(st.integers(2, 4 if p > 2 else 5))
    if p < n:  # only jumps at j = 2 (repetition) or j = n (parity) exist over F_p
        allowed = [1, n - 1]
    else:
        allowed = list(range(1, n))
    budget = max(1, int(math.log(200_000) / (n * math.log(p))))  # p^(m n) cells
    m = draw(st.integers(0, budget))
    dims = sorted(draw(st.lists(st.sampled_from(allowed), min_size=m, max_size=m)))
    levels = [sum(1 for d in dims if j > d) for j in range(1, n + 1)]
    return levels, p


@settings(max_examples=25)
@given(step_levels())
def test_realize_step_curve(case):
    """§4 general curves: the layered code has exactly the target curve Z_j = c_j log p."""
    levels, p = case
    mu = hardness.realize_step_curve(levels, p, verify=False)
    m = max(levels[-1], 1)
    assert mu.q == p ** m and mu.n == len(levels)
    np.testing.assert_allclose(information_curve(mu), np.array(levels) * math.log(p),
                               atol=TOL, rtol=0)
    tc, _ = naive_tc_dtc(mu.p)
    assert tc == pytest.approx(sum(levels) * math.log(p), abs=TOL)
    assert np.array_equal(hardness.step_curve_levels(information_curve(mu), p), levels)


def test_realize_step_curve_two_jumps():
    mu = hardness.realize_step_curve([0, 1, 1, 2], 5)
    np.testing.assert_allclose(information_curve(mu), [0, math.log(5), math.log(5),
                                                       2 * math.log(5)], atol=TOL)


@pytest.mark.parametrize("bad,err", [([1, 1], ValueError), ([0, 2, 1], ValueError),
                                     ([0, 0.5], ValueError), ([], ValueError)])
def test_realize_step_curve_rejects_bad_levels(bad, err):
    with pytest.raises(err):
        hardness.realize_step_curve(bad, 5)


def test_realize_step_curve_memory_guard():
    with pytest.raises(MemoryError):
        hardness.realize_step_curve([0, 3, 6, 9, 12], 5)


def test_bad_inputs():
    with pytest.raises(ValueError, match="prime"):
        hardness.code_family(3, 4)
    with pytest.raises(ValueError, match="d="):
        hardness.mds_error([2, 2], 5, 3)
    with pytest.raises(ValueError, match="d must be >= 1"):
        hardness.mds_error([2, 2], 0, 3)
    with pytest.raises(ValueError, match="d must be >= 1"):
        hardness.mds_curve(4, 0, 3)
    with pytest.raises(ValueError, match="eps"):
        hardness.min_rounds_for_family(4, 3, -1.0)
    with pytest.raises(ValueError, match="step curve"):
        hardness.step_curve_levels([0.0, 0.3], 5)


# ----------------------------------------------------------------------------- mutation self-test
def _law_mds(name):
    for n, p in [(3, 3), (4, 5)]:
        for d in range(1, n + 1):
            for s in brute.compositions(n):
                assert hardness.mds_error(s, d, p) == pytest.approx(
                    closed_error(s, d) * math.log(p), abs=TOL)


def _law_rounds(name):
    for n in range(1, 8):
        for k_units in (0.5, 1.0, 2.5):
            eps = k_units * math.log(3)
            best = min(len(s) for s in brute.compositions(n)
                       if all(closed_error(s, d) * math.log(3) <= eps + 1e-12
                              for d in range(1, n + 1)))
            assert hardness.min_rounds_for_family(n, 3, eps) == best


@pytest.mark.skipif(MUTANT is not None, reason="module already runs under a mutant")
@pytest.mark.parametrize("name", [n for n, m in MUTANTS.items() if m.module.endswith("hardness")])
def test_mutants_are_caught(name):
    law = {"mds_error": _law_mds, "min_rounds_for_family": _law_rounds}[MUTANTS[name].function]
    law(name)  # holds unmutated
    with applied(name):
        with pytest.raises(AssertionError):
            law(name)
