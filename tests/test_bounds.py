"""Property tests of :mod:`mdmtheory.bounds` (spec theory.md §5, §7 items 13-18, 21, §8).

Every bound is checked three ways, each able to fail:

* **value**: it equals its formula, recomputed here independently (exact
  fractions for the step ratios, TC/DTC from :mod:`mdmtheory.reference`'s naive
  definitions, ``Z_n`` from ``sum_i I(X_i; X_-i)``);
* **validity**: it is >= the exact error of Thm 4 on random distributions and
  random schedules (Hypothesis);
* **tightness** (where spec §5 says so): it is attained within 1e-9 on an MDS
  code -- on the exact Reed–Solomon table (``n <= 5``, ``F_5``) and on the
  single-jump curve (``n <= 12``).

The *laws* are plain functions so that ``test_mutants_are_caught`` can run them
against each mutant of :mod:`proofs_check.mutations` (docs/mutations.md); with
``MDMTHEORY_MUTANT=<name>`` in the environment the whole module runs against
that mutant (``python -m proofs_check.mutations``), and must fail.

Tolerance: ``TOL = 1e-9`` absolute, far above the ~1e-14 rounding of entropies of
tables with <= 4096 cells and far below any gap the laws rely on.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs_check.mutations import MUTANTS, applied, apply_from_env

MUTANT = apply_from_env()  # None in a normal run

from mdmtheory import bounds, families, information_curve  # noqa: E402
from mdmtheory.reference import naive_subset_entropies, naive_tc_dtc  # noqa: E402
from mdmtheory.schedule import Schedule, left_riemann_error  # noqa: E402
from tests.strategies import any_distributions, compositions  # noqa: E402

TOL = 1e-9
P = 5  # field of the exact MDS tables (n <= 5)


# ----------------------------------------------------------------------------- independent formulas
def ratio(sizes, rule: str) -> Fraction:
    """``max_t (s_t - 1)/den_t`` in exact arithmetic (0/0 := 0)."""
    n, N, best = sum(sizes), 0, Fraction(0)
    for s in sizes:
        den = {"tc": n - N - 1, "dtc": N + 1, "min": min(n - N - 1, N + 1)}[rule]
        if s > 1:
            best = max(best, Fraction(s - 1, den))
        N += s
    return best


_MEMO: dict = {}


def _memo(kind: str, mu, compute, *extra):
    """Cache by table *content* (safe across Hypothesis examples, unlike id())."""
    key = (kind, mu.p.shape, mu.p.tobytes(), *extra)
    if key not in _MEMO:
        if len(_MEMO) > 4096:
            _MEMO.clear()
        _MEMO[key] = compute()
    return _MEMO[key]


def naive_totals(mu):
    """TC, DTC and Z_n from the naive definitions (no code shared with bounds.py)."""
    def compute():
        tc, dtc = naive_tc_dtc(mu.p)
        return tc, dtc, (tc + dtc) / mu.n
    return _memo("totals", mu, compute)


def exact_error(mu, sizes) -> float:
    Z = _memo("curve", mu, lambda: information_curve(mu))
    return left_riemann_error(Z, sizes)


@lru_cache(maxsize=None)
def rs(n: int, d: int):
    return families.reed_solomon(n, d, P)


def jump_curve(n: int, d: int) -> np.ndarray:
    """Curve of an [n, d] MDS code in units of log q: 0 up to d, then 1."""
    return (np.arange(1, n + 1) > d).astype(float)


# ----------------------------------------------------------------------------- laws
def law_certified_lambda(sizes) -> None:
    for rule in ("tc", "dtc", "min"):
        assert bounds.certified_lambda(sizes, rule) == pytest.approx(float(ratio(sizes, rule)),
                                                                     abs=1e-15), rule
        assert bounds.satisfies_rule(sizes, rule, float(ratio(sizes, rule)))


_RULE = {"tc": lambda tc, dtc: tc, "dtc": lambda tc, dtc: dtc,
         "min": lambda tc, dtc: min(tc, dtc)}
_FN = {"tc": "tc_rule_bound", "dtc": "dtc_rule_bound", "min": "min_rule_bound"}


def law_rule_holds(rule: str, mu, sizes) -> None:
    tc, dtc, _ = naive_totals(mu)
    fn = getattr(bounds, _FN[rule])
    b = fn(mu, sizes)
    assert b == pytest.approx(float(ratio(sizes, rule)) * _RULE[rule](tc, dtc), abs=TOL)
    assert exact_error(mu, sizes) <= b + TOL
    # an explicit lambda >= the certified one gives lambda * total
    lam = float(ratio(sizes, rule)) + 0.25
    assert fn(mu, sizes, lam=lam) == pytest.approx(lam * _RULE[rule](tc, dtc), abs=TOL)


def law_rule_tight(rule: str, sizes) -> None:
    """Some MDS code [n, d] attains the bound (sup of E KL / total = lambda)."""
    n = sum(sizes)
    fn = getattr(bounds, _FN[rule])
    gaps = []
    for d in range(1, n + 1):
        Z = jump_curve(n, d)
        e, b = left_riemann_error(Z, sizes), fn(Z, sizes, curve=True)
        assert e <= b + TOL
        gaps.append(b - e)
    assert min(gaps) <= TOL, f"bound never attained: gaps {gaps}"
    d = bounds.extremal_code_dimension(sizes, rule)
    if d is not None:
        Z = jump_curve(n, d)
        assert fn(Z, sizes, curve=True) == pytest.approx(left_riemann_error(Z, sizes), abs=TOL)


def law_rule_tight_exact(rule: str, sizes) -> None:
    """The same on the exact Reed–Solomon table over F_5 (n <= 5)."""
    n = sum(sizes)
    d = bounds.extremal_code_dimension(sizes, rule)
    if d is None:
        return
    mu = rs(n, d)
    fn = getattr(bounds, _FN[rule])
    assert fn(mu, sizes) == pytest.approx(exact_error(mu, sizes), abs=TOL)


def law_uniform_step(mu, sizes) -> None:
    _, _, zn = naive_totals(mu)
    b = bounds.uniform_step_bound(mu, sizes)
    a = bounds.alphabet_step_bound(mu, sizes)
    assert b == pytest.approx((max(sizes) - 1) * zn, abs=TOL)
    assert a == pytest.approx((max(sizes) - 1) * math.log(mu.q), abs=TOL)
    assert exact_error(mu, sizes) <= b + TOL
    assert b <= a + TOL


def law_uniform_step_tight(sizes) -> None:
    n = sum(sizes)
    d = bounds.extremal_code_dimension(sizes, "uniform")
    if d is None:
        return
    mu = rs(n, d)
    e = exact_error(mu, sizes)
    assert bounds.uniform_step_bound(mu, sizes) == pytest.approx(e, abs=TOL)
    assert bounds.alphabet_step_bound(mu, sizes) == pytest.approx(e, abs=TOL)


def law_li_cai(mu, k: int) -> None:
    n = mu.n
    sizes = [n // k + (1 if t < n % k else 0) for t in range(k)]  # balanced k-step
    tc, dtc, zn = naive_totals(mu)
    b = bounds.li_cai_bound(mu, sizes)
    assert b == pytest.approx((tc + dtc) / k, abs=TOL)
    e = exact_error(mu, sizes)
    assert e <= (max(sizes) - 1) * zn + TOL <= b + 2 * TOL
    if zn > 1e-6:
        assert e < b  # strict when Z_n > 0


def brute_residual(mu, m: int) -> float:
    """E_{|U|=m} TC(X_{U^c} | X_U) by enumerating every U (naive subset entropies)."""
    n = mu.n
    H = _memo("H", mu, lambda: naive_subset_entropies(mu.p))
    full = (1 << n) - 1
    vals = []
    for U in itertools.combinations(range(n), m):
        mU = sum(1 << a for a in U)
        rest = [a for a in range(n) if a not in U]
        vals.append(sum(H[mU | 1 << a] - H[mU] for a in rest) - (H[full] - H[mU]))
    return float(np.mean(vals))


def law_pinning(mu, m: int) -> None:
    n = mu.n
    _, dtc, _ = naive_totals(mu)
    r = brute_residual(mu, m)
    assert bounds.residual_total_correlation(mu, m) == pytest.approx(r, abs=TOL)
    pb = bounds.pinning_bound(mu, m)
    sharp = bounds.pinning_bound(mu, m, sharp=True)
    assert pb == pytest.approx((n - m) / (m + 1) * dtc, abs=TOL)
    assert sharp == pytest.approx(max(n - m - 1, 0) / (m + 1) * dtc, abs=TOL)
    assert r <= sharp + TOL <= pb + 2 * TOL


def law_pinning_tight(n: int, m: int) -> None:
    """The sharp constant (n-m-1)/(m+1) is attained by the MDS code [n, m+1]."""
    mu = rs(n, m + 1)
    r = brute_residual(mu, m)
    assert bounds.pinning_bound(mu, m, sharp=True) == pytest.approx(r, abs=TOL)
    assert bounds.residual_total_correlation(mu, m) == pytest.approx(r, abs=TOL)


def law_comparison(mu) -> None:
    tc, dtc, _ = naive_totals(mu)
    lo, d, hi = bounds.tc_dtc_comparison(mu)
    n = mu.n
    assert (lo, d, hi) == pytest.approx((tc / (n - 1), dtc, (n - 1) * tc), abs=TOL)
    assert lo <= d + TOL and d <= hi + TOL


def law_comparison_tight(n: int, q: int) -> None:
    rep, par = families.repetition(n, q), families.parity(n, q)
    lo, d, _ = bounds.tc_dtc_comparison(rep)
    assert lo == pytest.approx(d, abs=TOL)
    _, d, hi = bounds.tc_dtc_comparison(par)
    assert hi == pytest.approx(d, abs=TOL)


def law_identity17(mu) -> None:
    _, dtc, _ = naive_totals(mu)
    assert bounds.dtc_leave_one_out_identity(mu) == pytest.approx(dtc, abs=TOL)


# ----------------------------------------------------------------------------- Hypothesis tests
MU = any_distributions(n_min=2, n_max=6, q_max=4, max_cells=1024)


@st.composite
def mu_and_schedule(draw, n_min: int = 2):
    mu = draw(any_distributions(n_min=n_min, n_max=6, q_max=4, max_cells=1024))
    return mu, draw(compositions(mu.n))


@given(st.integers(1, 14).flatmap(lambda n: compositions(n)))
def test_certified_lambda_matches_definition(sizes):
    """§5(a)-(c): certified lambda = max_t (s_t - 1)/den_t (items 13, 14, 21)."""
    law_certified_lambda(sizes)


@pytest.mark.parametrize("rule", ["tc", "dtc", "min"])
@given(st.integers(1, 14), st.sampled_from([0.05, 0.1, 0.25, 0.5, 1.0]))
def test_certified_lambda_of_greedy_schedules(rule, n, lam):
    """Item 21: a greedy schedule satisfies its rule, so it certifies a lambda <= lam."""
    from mdmtheory import schedule_rules as SR

    g = {"tc": SR.tc_greedy_schedule, "dtc": SR.dtc_greedy_schedule,
         "min": SR.min_greedy_schedule}[rule](n, lam)
    assert ratio(g.tolist(), rule) <= Fraction(lam)
    assert bounds.certified_lambda(g, rule) <= lam + 1e-15
    assert bounds.satisfies_rule(g, rule, lam)


@given(mu_and_schedule())
def test_tc_rule_bound_holds(case):
    """Item 13: E KL <= lambda TC with the certified lambda."""
    law_rule_holds("tc", *case)


@given(mu_and_schedule())
def test_dtc_rule_bound_holds(case):
    """Item 14: E KL <= lambda DTC."""
    law_rule_holds("dtc", *case)


@given(mu_and_schedule())
def test_min_rule_bound_holds(case):
    """§5(c): E KL <= lambda min(TC, DTC)."""
    law_rule_holds("min", *case)


@pytest.mark.parametrize("rule", ["tc", "dtc", "min"])
@given(st.integers(2, 12).flatmap(lambda n: compositions(n)))
def test_rule_bound_tight_on_jump_curves(rule, sizes):
    """§5 Tightness: the worst case over single-jump (MDS) curves equals the bound."""
    law_rule_tight(rule, sizes)


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_tc_rule_bound_tight_on_mds(n):
    """Item 13 tightness on the exact RS tables, every composition of n."""
    for s in _all_compositions(n):
        law_rule_tight_exact("tc", s)


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_dtc_rule_bound_tight_on_mds(n):
    """Item 14 tightness on the exact RS tables."""
    for s in _all_compositions(n):
        law_rule_tight_exact("dtc", s)


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_min_rule_bound_tight_on_mds(n):
    """§5(c) tightness on the exact RS tables."""
    for s in _all_compositions(n):
        law_rule_tight_exact("min", s)


@given(mu_and_schedule(n_min=1))
def test_uniform_step_bound_holds(case):
    """Item 15: E KL <= (max s - 1) Z_n <= (max s - 1) log q."""
    law_uniform_step(*case)


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_uniform_step_bound_tight_on_mds(n):
    """Item 15 tightness: both inequalities are equalities on MDS [n, a_t]."""
    for s in _all_compositions(n):
        law_uniform_step_tight(s)


@given(MU, st.data())
def test_li_cai_bound_holds_for_balanced(mu, data):
    """§8: for balanced k-step schedules E KL <= (max s - 1) Z_n < (TC + DTC)/k."""
    law_li_cai(mu, data.draw(st.integers(1, mu.n)))


def test_li_cai_form_is_not_a_bound_for_unbalanced_schedules():
    """Repetition code, s = (n-1, 1): E KL = (n-2) log q > n log q / 2 (n > 4)."""
    n, q = 6, 2
    mu = families.repetition(n, q)
    e = exact_error(mu, [n - 1, 1])
    assert e == pytest.approx((n - 2) * math.log(q), abs=TOL)
    forced = bounds.li_cai_bound(mu, [n - 1, 1], require_balanced=False)
    assert forced == pytest.approx(n * math.log(q) / 2, abs=TOL)
    assert e > forced
    with pytest.raises(ValueError, match="balanced"):
        bounds.li_cai_bound(mu, [n - 1, 1])


@given(MU, st.data())
def test_residual_tc_matches_brute_force(mu, data):
    """Item 18 (equality): E_{|U|=m} TC(X_{U^c}|X_U) = sum_{j>m}(Z_j - Z_{m+1})."""
    m = data.draw(st.integers(0, mu.n))
    assert bounds.residual_total_correlation(mu, m) == pytest.approx(brute_residual(mu, m),
                                                                     abs=TOL)


@given(MU, st.data())
def test_pinning_bound_holds(mu, data):
    """Item 18 (inequality), with the spec's and the sharper constant."""
    law_pinning(mu, data.draw(st.integers(0, mu.n)))


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_sharp_pinning_bound_tight_on_mds(n):
    for m in range(0, n - 1):
        law_pinning_tight(n, m)


@given(MU)
def test_tc_dtc_comparison_holds(mu):
    """Item 16: TC/(n-1) <= DTC <= (n-1) TC."""
    law_comparison(mu)


@pytest.mark.parametrize("n,q", [(2, 2), (3, 3), (4, 2), (5, 3), (6, 2)])
def test_tc_dtc_comparison_tight_on_codes(n, q):
    """Item 16: equality on the repetition (lower) and parity (upper) codes."""
    law_comparison_tight(n, q)


@settings(max_examples=15)
@given(any_distributions(n_min=1, n_max=4, q_max=3, max_cells=81))
def test_dtc_leave_one_out_identity(mu):
    """Item 17 against dit's dual total correlation (an independent library)."""
    import dit
    from dit.multivariate import dual_total_correlation

    law_identity17(mu)
    if mu.n >= 2:
        outcomes = [o for o in itertools.product(range(mu.q), repeat=mu.n) if mu.p[o] > 0]
        d = dit.Distribution(["".join(map(str, o)) for o in outcomes],
                             [float(mu.p[o]) for o in outcomes])
        assert bounds.dtc_leave_one_out_identity(mu) == pytest.approx(
            dual_total_correlation(d) * math.log(2), abs=1e-8)


@given(mu_and_schedule(n_min=1))
def test_curve_totals_match_definitions(case):
    """curve_totals reads the same n, TC, DTC, Z_n from mu and from its curve (items 3-5)."""
    mu, _ = case
    tc, dtc, zn = naive_totals(mu)
    for src, curve in ((mu, False), (information_curve(mu), True)):
        t = bounds.curve_totals(src, curve=curve)
        assert (t.n, t.tc, t.dtc, t.z_n) == pytest.approx((mu.n, tc, dtc, zn), abs=TOL)


# ----------------------------------------------------------------------------- input checks
def test_bad_inputs_raise_clear_errors():
    Z = np.array([0.0, 0.5, 1.0])
    with pytest.raises(ValueError, match="rule"):
        bounds.certified_lambda([1, 2], "foo")
    with pytest.raises(ValueError, match="violates the TC rule"):
        bounds.tc_rule_bound(Z, [3], lam=0.5, curve=True)
    with pytest.raises(ValueError, match="lambda"):
        bounds.tc_rule_bound(Z, [3], lam=-1, curve=True)
    with pytest.raises(ValueError, match="n=3"):
        bounds.tc_rule_bound(Z, [1, 1], curve=True)
    with pytest.raises(ValueError, match="nondecreasing"):
        bounds.uniform_step_bound([0.0, 1.0, 0.5], [3], curve=True)
    with pytest.raises(ValueError, match="m must be"):
        bounds.pinning_bound(Z, 4, curve=True)
    with pytest.raises(ValueError, match="n >= 2"):
        bounds.tc_dtc_comparison(np.zeros(1), curve=True)
    with pytest.raises(TypeError, match="Distribution"):
        bounds.dtc_leave_one_out_identity(Z)


def test_curve_or_distribution_is_explicit():
    """A bare array is never read as a curve by type alone: curve=True is required."""
    mu = families.parity(3, 2)
    Z = information_curve(mu)
    with pytest.raises(TypeError, match="curve=True"):
        bounds.tc_rule_bound(Z, [2, 1])
    with pytest.raises(TypeError, match="curve=True"):
        bounds.curve_totals(mu.p)  # a probability table is not a curve
    with pytest.raises(TypeError, match="got a Distribution"):
        bounds.uniform_step_bound(mu, [2, 1], curve=True)
    with pytest.raises(TypeError, match="curve must be"):
        bounds.curve_totals(mu, curve="yes")
    assert bounds.tc_rule_bound(Z, [2, 1], curve=True) == pytest.approx(
        bounds.tc_rule_bound(mu, [2, 1]), abs=TOL)


def test_units_follow_base():
    mu = families.repetition(4, 2)
    s = [2, 2]
    assert bounds.tc_rule_bound(mu, s, base=2) == pytest.approx(
        bounds.tc_rule_bound(mu, s) / math.log(2), abs=TOL)
    assert bounds.alphabet_step_bound(mu, s, base=2) == pytest.approx(1.0, abs=TOL)


# ----------------------------------------------------------------------------- mutation self-test
def _all_compositions(n: int):
    for cuts in itertools.product((0, 1), repeat=n - 1):
        sizes, run = [], 1
        for c in cuts:
            if c:
                sizes.append(run)
                run = 1
            else:
                run += 1
        yield sizes + [run]


@lru_cache(maxsize=1)
def _battery():
    """A fixed set of cases: MDS codes, repetition/parity and a few random tables."""
    mus = [rs(4, 2), rs(5, 3), families.repetition(4, 3), families.parity(4, 3),
           families.binary_symmetric_chain(5, 0.1)]
    mus += [families.random_dirichlet(n, q, 0.5, seed=s) for s, (n, q) in
            enumerate([(3, 3), (4, 2), (5, 2)])]
    return mus


_LAWS = {
    "tc_rule_bound": lambda mu, s: (law_rule_holds("tc", mu, s), law_rule_tight("tc", s)),
    "dtc_rule_bound": lambda mu, s: (law_rule_holds("dtc", mu, s), law_rule_tight("dtc", s)),
    "min_rule_bound": lambda mu, s: (law_rule_holds("min", mu, s), law_rule_tight("min", s)),
    "uniform_step_bound": lambda mu, s: (law_uniform_step(mu, s), law_uniform_step_tight(s)),
    "alphabet_step_bound": lambda mu, s: (law_uniform_step(mu, s), law_uniform_step_tight(s)),
    "li_cai_bound": lambda mu, s: law_li_cai(mu, len(s)),
    "residual_total_correlation": lambda mu, s: law_pinning(mu, len(s) - 1),
    "pinning_bound": lambda mu, s: (law_pinning(mu, len(s) - 1),
                                    law_pinning_tight(mu.n, min(len(s) - 1, mu.n - 2))),
    "tc_dtc_comparison": lambda mu, s: (law_comparison(mu), law_comparison_tight(mu.n, 3)),
    "dtc_leave_one_out_identity": lambda mu, s: law_identity17(mu),
    "certified_lambda": lambda mu, s: (law_certified_lambda(s), law_rule_holds("dtc", mu, s)),
}


@pytest.mark.skipif(MUTANT is not None, reason="module already runs under a mutant")
@pytest.mark.parametrize("name", [n for n, m in MUTANTS.items()
                                  if m.test_file == "tests/test_bounds.py"])
def test_mutants_are_caught(name):
    """Each mutant of docs/mutations.md breaks at least one law on the fixed battery."""
    mt = MUTANTS[name]
    law = _LAWS[mt.function]
    with applied(name):
        for mu in _battery():
            for s in _all_compositions(mu.n):
                try:
                    law(mu, s)
                except AssertionError:
                    return  # caught
    pytest.fail(f"mutant {name} ({mt.description}) survived every law")


@pytest.mark.skipif(MUTANT is not None, reason="module already runs under a mutant")
def test_laws_hold_on_battery():
    """Control for test_mutants_are_caught: every law holds for the real functions."""
    for law in _LAWS.values():
        for mu in _battery():
            for s in _all_compositions(mu.n):
                law(mu, s)


def test_schedule_objects_accepted():
    mu = families.parity(4, 2)
    s = Schedule([2, 1, 1])
    assert bounds.tc_rule_bound(mu, s) == bounds.tc_rule_bound(mu, [2, 1, 1])
