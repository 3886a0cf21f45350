"""The paper's schedule constructions (Thm 9, App. D, Thm 10, Cor 34, Rem 32) and the
App. F bounds (Thm 31, Lemma 33), against independent computations.

The guarantee of a schedule built from an estimate ``T`` of TC (or ``D`` of DTC)
is checked for *all* distributions at once: with ``w_i = N_{t(i)} - i``,
``sup{E KL : TC <= T} = T max_i w_i/(n-i)`` and ``sup{E KL : DTC <= D} = D max_i w_i/i``
(weight form of Thm 16; the sup is attained by single-jump curves = MDS codes).
The weights and ratios are recomputed here in exact fractions, independently of
:mod:`mdmtheory.paper_schedules`.  Every construction has a mutant in
``proofs_check.mutations`` that these tests catch (``test_mutants_are_caught``).
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from proofs_check.mutations import MUTANTS, applied, apply_from_env

MUTANT = apply_from_env()

from mdmtheory import bounds, families, information_curve  # noqa: E402
from mdmtheory import paper_schedules as P  # noqa: E402
from mdmtheory.reference import naive_subset_entropies  # noqa: E402


def weights(sizes):
    w, N = [], 0
    for s in sizes:
        N += s
        w += [N - i for i in range(N - s + 1, N + 1)]
    return w[:-1]


def sup_ratio(sizes, kind):
    w = weights(sizes)
    n = len(w) + 1
    return max([Fraction(wi, (n - i) if kind == "tc" else i) for i, wi in enumerate(w, 1)],
               default=Fraction(0))


NS = [2, 3, 5, 7, 10, 20, 50, 100, 1000]
RATIOS = [0.5, 1, 2, 2.5, 3, 10, 100]


# ----------------------------------------------------------------------------- Thm 9
@pytest.mark.parametrize("kind", ["tc", "dtc"])
def test_thm9_guarantee_for_all_curves(kind):
    build = P.thm9_tc_schedule if kind == "tc" else P.thm9_dtc_schedule
    for n in NS:
        for r in RATIOS:
            sch = build(n, r, 1.0)
            assert sum(sch.sizes) == n and min(sch.sizes) >= 0
            assert Fraction(r) * sup_ratio(sch.sizes, kind) <= 1, (n, r, sch.sizes)
            assert sch.k <= 2 + (1 + math.log(n)) * (1 + math.ceil(r))
            assert sch.k <= P.thm9_step_bound(n, r, 1.0)


def reference_thm9(n, ratio, kind):
    """Independent transcription of the paper's recursions (integer ratio T/eps)."""
    zeta = 1 + math.ceil(ratio)
    lam = math.floor(math.log(n - zeta + 1) / math.log(zeta / (zeta - 1))) + 2
    if kind == "tc":
        N = [0]
        for _ in range(lam):
            N.append(math.floor(N[-1] + Fraction(n - N[-1], zeta)))
        N += range(N[-1] + 1, n + 1)
        return tuple(b - a for a, b in zip(N, N[1:])), zeta, lam
    M = [n]
    for _ in range(lam):
        M.append(math.ceil(M[-1] * Fraction(zeta - 1, zeta)))
    M += range(M[-1] - 1, -1, -1)
    return tuple(reversed([a - b for a, b in zip(M, M[1:])])), zeta, lam


@pytest.mark.parametrize("kind", ["tc", "dtc"])
def test_thm9_matches_the_papers_recursion_and_invariants(kind):
    """Exact sizes vs an independent transcription, and the proof's intermediate claims.

    The guarantee alone cannot catch off-by-one slips in these recursions: the
    construction has slack (dividing by zeta - 1 instead of zeta still satisfies
    E KL <= eps), so the recursion itself is checked.
    """
    build = P.thm9_tc_schedule if kind == "tc" else P.thm9_dtc_schedule
    for n in [5, 7, 10, 50, 100, 1000]:
        for r in [1, 2, 3, 10, 100]:
            if 1 + r >= n + 1:
                continue
            ref, zeta, lam = reference_thm9(n, r, kind)
            sizes = build(n, r, 1.0).sizes
            assert sizes == ref, (n, r)
            if kind == "tc":
                N = list(itertools.accumulate(sizes[:lam], initial=0))
                assert all(zeta * s <= n - a for s, a in zip(sizes[:lam], N))
                assert n - zeta < N[-1] <= n - 1
            else:
                dec = list(reversed(sizes))
                M = list(itertools.accumulate(dec[:lam], lambda m, s: m - s, initial=n))
                assert all(zeta * s <= m for s, m in zip(dec[:lam], M))
                assert 1 <= M[-1] <= zeta - 1


def test_thm9_paper_example_and_tightness():
    assert P.thm9_tc_schedule(20, 3, 1).sizes == (5, 3, 3, 2, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1)
    assert P.thm9_dtc_schedule(20, 3, 1).sizes == (1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 2, 3, 3, 5)
    # empty steps are counted in k, dropped in .schedule
    s = P.thm9_tc_schedule(20, 3, 1)
    assert s.k == 14 and s.empty_steps == 3 and s.schedule.k == 11
    # the guarantee is essentially tight (worst E KL close to eps)
    d = P.thm9_dtc_schedule(1000, 2, 1)
    assert Fraction(2) * sup_ratio(d.sizes, "dtc") > Fraction(9, 10)


def test_thm9_special_cases():
    assert P.thm9_tc_schedule(5, 0.0, 0.1).sizes == (5,)  # T = 0: product measure (E4)
    assert P.thm9_dtc_schedule(5, 10, 1).sizes == (1,) * 5  # zeta >= n + 1
    with pytest.raises(ValueError, match="eps"):
        P.thm9_tc_schedule(5, 1.0, 0)
    with pytest.raises(ValueError, match="estimate"):
        P.thm9_tc_schedule(5, -1.0, 0.1)
    with pytest.raises(ValueError, match="n"):
        P.thm9_tc_schedule(True, 1.0, 0.1)


def test_thm9_exhaustive_on_random_distributions():
    """n <= 7: exact Def 3 curve by subset enumeration; E KL <= eps with T = TC exactly."""
    rng = np.random.default_rng(0)
    for _ in range(8):
        n = int(rng.integers(2, 8))
        mu = families.random_dirichlet(n, 2, 0.4, seed=int(rng.integers(1 << 30)))
        H = naive_subset_entropies(mu) / math.log(2)
        full = (1 << n) - 1
        tc = sum(H[1 << i] for i in range(n)) - H[full]
        dtc = H[full] - sum(H[full] - H[full & ~(1 << i)] for i in range(n))
        Z = information_curve(mu, base=2)
        for eps in (0.05, 0.5):
            for kind, tot, build in (("tc", tc, P.thm9_tc_schedule),
                                     ("dtc", dtc, P.thm9_dtc_schedule)):
                sch = build(n, tot, eps)
                err = sum(Z[j] - Z[a] for a, s in zip(np.cumsum((0,) + sch.sizes[:-1]), sch.sizes)
                          for j in range(a, a + s))
                assert err <= eps + 1e-12


# ----------------------------------------------------------------------------- App. D
def test_app_d_grid_contains_every_value():
    rng = np.random.default_rng(1)
    for _ in range(400):
        n, q = int(rng.integers(2, 500)), int(rng.integers(2, 20))
        eps = float(10 ** rng.uniform(-3, 0.5))
        top = n * math.log2(q)
        if eps >= top:
            continue
        H = P.app_d_grid(n, q, eps)
        for X in (eps, eps * 1.3, top, float(rng.uniform(eps, top))):
            assert any(X <= h <= 2 * X for h in H), (n, q, eps, X, H[:3])
    assert len(P.app_d_sweep(64, 4, 0.5)) == 2 * len(P.app_d_grid(64, 4, 0.5))


def test_app_d_sweep_cost_pairs_vs_candidates():
    n, q, eps = 200, 4, 0.5
    H = P.app_d_grid(n, q, eps)
    runs, total = P.app_d_sweep_queries(n, q, eps)
    assert runs == 2 * len(H)
    assert total == sum(P.thm9_tc_schedule(n, h, eps).k + P.thm9_dtc_schedule(n, h, eps).k
                        for h in H)
    runs2, total2 = P.app_d_sweep_queries(n, q, eps, pairs=True)
    assert runs2 == len(H) ** 2
    assert total2 == sum(min(P.thm9_tc_schedule(n, a, eps).k, P.thm9_dtc_schedule(n, b, eps).k)
                         for a in H for b in H)
    assert total2 > total  # the |H|^2 overhead


# ----------------------------------------------------------------------------- Thm 10
def test_thm10_guarantee_for_all_curves():
    for n in [2, 5, 10, 100, 1000]:
        for r in [0.01, 0.1, 1, 3, 10, 50]:
            sch = P.thm10_schedule(n, r, 1.0)
            assert sum(sch.sizes) == n
            assert Fraction(r) * sup_ratio(sch.sizes, "dtc") <= 1, (n, r, sch.sizes)
            a = math.ceil(math.sqrt(r * n))
            assert sch.k <= 2 * a - 1 or sch.sizes == (1,) * n


def test_thm10_proof_schedule_leaves_positions_masked():
    """Erratum E6: the proof's schedule covers 81 of 100 (and 954 of 1000) positions."""
    assert P.thm10_proof_schedule(100, 16, 1).covered == 81
    assert P.thm10_proof_schedule(1000, 100, 1).covered == 954


# ----------------------------------------------------------------------------- Cor 34, Rem 32
def test_cor34_bound_for_all_curves():
    for n in [3, 5, 10, 40]:
        for dtc in [0.3, 1.0, 2.5]:
            for d2 in [dtc / 1.5, dtc / 2.5, dtc / 3.7, dtc + 0.1]:
                if not dtc < d2 * n:
                    continue
                sch = P.cor34_schedule(n, dtc, d2)
                k = sch.k
                assert k <= dtc / d2 + 1 and sch.sizes == (1,) * (k - 1) + (n - k + 1,)
                assert Fraction(dtc) * sup_ratio(sch.sizes, "dtc") <= Fraction(d2) * (n - k + 1)
                assert bounds.cor34_bound(n, dtc, d2) == pytest.approx(d2 * (n - k + 1))
    with pytest.raises(ValueError, match="dtc < delta_sq"):
        P.cor34_schedule(4, 2.0, 0.5)


def test_rem32_uniform_steps():
    rng = np.random.default_rng(2)
    for _ in range(300):
        n, zn, eps = int(rng.integers(2, 2000)), float(rng.uniform(0.01, 3)), \
            float(10 ** rng.uniform(-2, 1))
        sch = P.rem32_uniform_schedule(n, zn, eps)
        assert sum(sch.sizes) == n
        assert max(weights(sch.sizes) or [0]) * Fraction(zn) <= Fraction(eps)
        assert sch.k <= math.ceil(n * zn / eps) or sch.k == 1


# ----------------------------------------------------------------------------- Thm 31, Lemma 33
def _all_compositions(n):
    for cuts in itertools.product((0, 1), repeat=n - 1):
        sizes, run = [], 1
        for c in cuts:
            if c:
                sizes.append(run)
                run = 1
            else:
                run += 1
        yield sizes + [run]


def test_thm31_power_form_value_and_validity():
    for seed in range(4):
        mu = families.random_dirichlet(5, 2, 0.5, seed=seed)
        H = naive_subset_entropies(mu) / math.log(2)
        full = (1 << 5) - 1
        tot = 5 * (H[1] + H[2] + H[4] + H[8] + H[16]) / 5 - 5 * H[full] \
            + sum(H[full & ~(1 << i)] for i in range(5))  # sum_i I(X_i; X_-i)
        Z = information_curve(mu, base=2)
        for s in _all_compositions(5):
            smax = max(s)
            lit = (2 ** math.ceil(math.log2(smax)) - 1) / 5 * tot
            assert bounds.li_cai_power_bound(mu, s, base=2) == pytest.approx(lit, abs=1e-12)
            err = sum(Z[j] - Z[a] for a, sz in zip(np.cumsum([0] + s[:-1]), s)
                      for j in range(a, a + sz))
            assert err <= lit + 1e-12


def test_thm31_power_form_tight_on_codes():
    """On a single-jump curve with s_max a power of 2 the printed bound is attained."""
    n, d = 6, 2
    Z = (np.arange(1, n + 1) > d).astype(float)
    assert bounds.li_cai_power_bound(Z, [2, 4], curve=True) == pytest.approx(3.0)
    assert bounds.li_cai_power_bound(Z, [2, 3, 1], curve=True) == pytest.approx(3.0)


def test_lemma33_identity_against_brute_force():
    for seed in range(3):
        mu = families.random_dirichlet(4, 3, 0.5, seed=seed)
        H = naive_subset_entropies(mu) / math.log(2)
        n, full = 4, 15
        dtc = H[full] - sum(H[full] - H[full & ~(1 << i)] for i in range(n))
        for s in range(n + 1):
            vals = []
            for S in itertools.combinations(range(n), s):
                m = sum(1 << i for i in S)
                rest = [i for i in range(n) if i not in S]
                tc = sum(H[m | 1 << i] - H[m] for i in rest) - (H[full] - H[m])
                dt = (H[full] - H[m]) - sum(H[full] - H[full & ~(1 << i)] for i in rest)
                vals.append(tc + dt)
            val = bounds.conditional_tc_plus_dtc(mu, s, base=2)
            assert val == pytest.approx(float(np.mean(vals)), abs=1e-12)
            assert val <= (n - s) * dtc / (s + 1) + 1e-12
        for d2 in (0.1, 0.5, 2.0):
            s0 = bounds.austin_lemma33_size(n, dtc, d2)
            assert s0 <= dtc / d2 and bounds.conditional_tc_plus_dtc(mu, s0, base=2) \
                <= d2 * (n - s0) + 1e-12


# ----------------------------------------------------------------------------- mutants
_TESTS = {
    "thm9_tc_schedule": [lambda: test_thm9_guarantee_for_all_curves("tc"),
                         lambda: test_thm9_matches_the_papers_recursion_and_invariants("tc")],
    "thm9_dtc_schedule": [lambda: test_thm9_guarantee_for_all_curves("dtc"),
                          lambda: test_thm9_matches_the_papers_recursion_and_invariants("dtc")],
    "thm10_schedule": [test_thm10_guarantee_for_all_curves],
    "cor34_schedule": [test_cor34_bound_for_all_curves],
    "rem32_uniform_schedule": [test_rem32_uniform_steps],
    "app_d_grid": [test_app_d_grid_contains_every_value],
    "li_cai_power_bound": [test_thm31_power_form_value_and_validity,
                           test_thm31_power_form_tight_on_codes],
    "conditional_tc_plus_dtc": [test_lemma33_identity_against_brute_force],
}


@pytest.mark.skipif(MUTANT is not None, reason="module already runs under a mutant")
@pytest.mark.parametrize("name", [n for n, m in MUTANTS.items() if m.test_file.endswith(
    "test_paper_schedules.py")])
def test_mutants_are_caught(name):
    """Each construction's mutant (off-by-one, floor for ceil) fails a test above."""
    mt = MUTANTS[name]
    with applied(name):
        for t in _TESTS[mt.function]:
            try:
                t()
            except AssertionError:
                return
    pytest.fail(f"mutant {name} ({mt.description}) survived")
