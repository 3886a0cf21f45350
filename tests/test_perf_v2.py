"""Equality tests of the second performance pass: every faster path against the
first release's path (kept behind a flag) or an independent reference.

Tolerances: where the new path only reorders the same float operations the
results must be bit-identical; where it changes the summation order, 1e-13
relative (a few ulps times the number of terms); the Markov gap cut is allowed
its proven bound ``eps ln q`` on top of the rounding of both paths.
"""

from __future__ import annotations

import subprocess
import sys
from itertools import product

import numpy as np
import pytest

from mdmtheory import Distribution
from mdmtheory import optimal as O
from mdmtheory.information import extended_marginal_tensor, information_curve
from mdmtheory.structured import markov as mk


# ----------------------------------------------------------------------------- frontier
@pytest.mark.parametrize("kind", ["random", "step", "flat", "wiggly"])
@pytest.mark.parametrize("n,kmax", [(1, 1), (2, 2), (17, 17), (120, 120), (300, 40)])
def test_frontier_row_backtracking_is_bit_identical_to_per_k_walk(kind, n, kmax):
    rng = np.random.default_rng(n + kmax)
    if kind == "random":
        Z = np.concatenate([[0.0], np.cumsum(rng.random(n - 1))])[:n] / n
    elif kind == "step":
        Z = np.where(np.arange(n) >= n // 3, 1.5, 0.0)
        Z[0] = 0.0
    elif kind == "wiggly":  # small decreases (admitted up to 1e-9): negative block terms
        Z = np.round(np.linspace(0.0, 1.0, n), 3) - 5e-10 * (np.arange(n) % 2)
        Z[0] = 0.0
    else:
        Z = np.zeros(n)
    Zarr, A, _, _ = O._solve(Z, kmax, "knuth")
    rows = np.zeros(kmax)
    O._all_path_errors_rows(Zarr, A, n, kmax, rows)
    walk = np.array([O._path_error(Zarr, A, n, k) for k in range(1, kmax + 1)])
    assert np.array_equal(rows, walk)
    fr = O.optimal_frontier(Z, kmax)  # (two threads for large tables)
    assert np.array_equal(fr.errors, walk)
    # the first release's fastmath block sums: the same errors up to rounding
    legacy = np.array([O._path_error_legacy(Zarr, A, n, k) for k in range(1, kmax + 1)])
    np.testing.assert_allclose(walk, legacy, rtol=1e-13, atol=1e-300)
    # and an independent float reference: each block summed by numpy
    sizes = [fr.schedule(k).sizes for k in range(1, kmax + 1)]
    ref = []
    for sz in sizes:
        N = np.concatenate([[0], np.cumsum(sz)])
        ref.append(sum(float(np.sum(Zarr[a:b] - Zarr[a])) for a, b in zip(N[:-1], N[1:])))
    np.testing.assert_allclose(walk, ref, rtol=1e-12, atol=1e-15)


def test_small_block_sum_is_bit_identical_to_block_sum():
    """The branch-free sum of blocks of 1..4 positions performs the very operations of
    _block_sum: equal bits on random, negative (admitted decreases), zero and -0.0 terms."""
    rng = np.random.default_rng(12)
    n = 4000
    for Z in (rng.random(n), rng.normal(0, 1e-9, n), np.zeros(n),
              np.where(rng.random(n) < 0.5, -0.0, 0.0), np.round(rng.random(n), 1),
              np.cumsum(rng.random(n)) * 1e300):
        Zp = np.concatenate([Z, np.full(3, Z[-1])])
        for j in range(0, n - 4, 7):
            for L in range(1, 5):
                a = O._small_block_sum(Zp, j, L)
                b = O._block_sum(Z, j, j + L)
                assert np.array_equal(np.float64(a).view(np.int64), np.float64(b).view(np.int64))


@pytest.mark.parametrize("kind", ["random", "step", "flat", "steep"])
@pytest.mark.parametrize("n,kmax", [(1, 1), (2, 2), (3, 2), (64, 64), (500, 500), (700, 90)])
def test_knuth_kernel_identical_to_first_release_kernel(kind, n, kmax):
    """The packed-pair Knuth kernel against the first release's (three streams, one
    branch per candidate): identical exact optima and argmin tables."""
    rng = np.random.default_rng(n)
    if kind == "random":
        Z = np.concatenate([[0.0], np.cumsum(rng.random(n - 1))])[:n]
    elif kind == "step":
        Z = np.where(np.arange(n) >= max(1, n // 2), 1.0, 0.0)
    elif kind == "steep":  # curvature everywhere: long windows in the Knuth bounds
        Z = np.arange(n, dtype=float) ** 3
    else:
        Z = np.zeros(n)
    Zarr, Zi, P, _ = O._prepare(Z)
    A0, A1 = O._alloc_argmins(kmax, n), O._alloc_argmins(kmax, n)
    o0, o1 = np.zeros(kmax + 1, np.int64), np.zeros(kmax + 1, np.int64)
    O._knuth_kernel_legacy(Zi, P, kmax, A0, o0)
    O._knuth_kernel(Zi, P, kmax, A1, o1)
    assert np.array_equal(A0, A1) and np.array_equal(o0, o1)


def test_frontier_threaded_errors_identical_to_serial():
    n = 4700  # n * kmax > 2e7: the two-thread path
    rng = np.random.default_rng(4)
    Z = np.concatenate([[0.0], np.cumsum(rng.random(n - 1))]) / n
    Zarr, A, _, _ = O._solve(Z, n, "knuth")
    par, ser = np.zeros(n), np.zeros(n)
    O._all_path_errors(Zarr, A, n, n, par)
    O._all_path_errors_rows(Zarr, A, n, n, ser)
    assert np.array_equal(par, ser)


# ----------------------------------------------------------------------------- Markov
def _chain(q, seed, stay=None):
    rng = np.random.default_rng(seed)
    T = rng.random((q, q)) + 0.1
    T /= T.sum(axis=1, keepdims=True)
    if stay is not None:
        T = np.full((q, q), (1 - stay) / (q - 1)) + np.eye(q) * (stay - (1 - stay) / (q - 1))
    return T


def test_markov_marginals_kernel_matches_python_loop():
    rng = np.random.default_rng(3)
    for T, init in [(_chain(4, 1), np.array([0.7, 0.1, 0.1, 0.1])),
                    (rng.dirichlet(np.ones(3), size=(39, 3)), np.array([0.2, 0.3, 0.5]))]:
        n = 40
        s = mk.markov_spec(n, T, init)
        ref = np.empty((n, s.q))
        ref[0] = s.initial
        steps = s.steps()
        for a in range(1, n):  # the reference: one row at a time with numpy
            v = ref[a - 1] @ steps[a - 1]
            ref[a] = v / v.sum()
        np.testing.assert_allclose(mk._marginals(s), ref, rtol=1e-14, atol=0)


@pytest.mark.parametrize("q,stay", [(2, None), (3, None), (4, 0.99)])
@pytest.mark.parametrize("stationary", [True, False])
def test_markov_curve_with_gap_cut_matches_dense_sweep(q, stay, stationary):
    from mdmtheory.families import markov_chain

    n = 10
    T = _chain(q, q, stay)
    init = None if stationary else np.eye(q)[0] * 0.5 + 0.5 / q
    Z = mk.markov_information_curve(n, T, init)
    dense = information_curve(markov_chain(n, T, init))
    np.testing.assert_allclose(Z, dense, rtol=0, atol=1e-12)


@pytest.mark.parametrize("stationary", [True, False])
def test_markov_gap_cut_within_bound_of_legacy_path(stationary, monkeypatch):
    q, n = 4, 3000
    T = _chain(q, 7)
    init = None if stationary else np.array([0.7, 0.1, 0.1, 0.1])
    new = mk.markov_information_summary(n, T, init)
    assert np.count_nonzero(new["gap_sums"]) < 100  # the cut happened (fast mixing)
    monkeypatch.setattr(mk, "LEGACY", True)
    old = mk.markov_information_summary(n, T, init)
    assert np.count_nonzero(old["gap_sums"]) > n // 2  # rounding noise: every gap "non-zero"
    # cut bound eps ln q plus the summation rounding of both paths (~n eps per Z_j)
    tol = np.finfo(float).eps * (np.log(q) + 10 * n)
    np.testing.assert_allclose(new["Z"], old["Z"], rtol=0, atol=tol)
    for key in ("TC", "DTC", "H"):
        assert new[key] == pytest.approx(old[key], rel=1e-12)


# ----------------------------------------------------------------------------- imports
def test_import_is_lazy_and_attributes_still_resolve():
    code = ("import sys, mdmtheory\n"
            "assert 'numba' not in sys.modules and 'scipy' not in sys.modules\n"
            "f = mdmtheory.optimal_frontier\n"
            "from mdmtheory import information_curve, Schedule, structured\n"
            "assert mdmtheory.optimal.optimal_frontier is f\n"
            "assert set(mdmtheory.__all__) <= set(dir(mdmtheory))\n"
            "try:\n    mdmtheory.no_such_name\nexcept AttributeError:\n    pass\n"
            "else:\n    raise SystemExit('no AttributeError')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_montecarlo_import_does_not_load_scipy_stats():
    r = subprocess.run([sys.executable, "-c", "import sys, mdmtheory.montecarlo\n"
                        "assert 'scipy.stats' not in sys.modules"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


# ----------------------------------------------------------------------------- tensor
def _concat_reference(p):
    T = p
    for ax in range(p.ndim):
        T = np.concatenate([T, T.sum(axis=ax, keepdims=True)], axis=ax)
    return T


@pytest.mark.parametrize("q,n", [(2, 1), (2, 6), (3, 4), (5, 3)])
def test_extended_tensor_in_place_is_bit_identical_to_concatenation(q, n):
    rng = np.random.default_rng(q * 10 + n)
    mu = Distribution(rng.dirichlet(np.ones(q ** n)).reshape((q,) * n), n=n)
    assert np.array_equal(extended_marginal_tensor(mu), _concat_reference(mu.p))


# ----------------------------------------------------------------------------- exact oracle
def _brute_conditionals(p, x):
    """mu(X_i = v | x_U) by enumerating every full assignment (independent reference)."""
    n, q = p.ndim, p.shape[0]
    num = np.zeros((n, q))
    den = 0.0
    for y in product(range(q), repeat=n):
        if all(x[i] < 0 or x[i] == y[i] for i in range(n)):
            den += p[y]
            for i in range(n):
                num[i, y[i]] += p[y]
    out = num / den if den > 0 else np.full((n, q), 1.0 / q)
    for i in range(n):
        if x[i] >= 0:
            out[i] = np.eye(q)[x[i]]
    return out


@pytest.mark.parametrize("q,n", [(2, 5), (3, 3)])
def test_exact_oracle_direct_walk_matches_enumeration_and_tensor(q, n):
    from mdmtheory.policies.mdp import ExactOracle

    rng = np.random.default_rng(q + n)
    w = rng.dirichlet(np.full(q ** n, 0.5))
    w[rng.random(w.size) < 0.3] = 0.0  # dead contexts too
    mu = Distribution(w.reshape((q,) * n) / w.sum())
    from mdmtheory._conditionals import conditionals_from_codes

    orc = ExactOracle(mu)
    codes = rng.integers(0, (q + 1) ** n, size=60)
    direct, den = conditionals_from_codes(mu.p, codes, n, q)
    np.testing.assert_allclose(orc.probs_from_codes(codes[:2]), direct[:2], rtol=1e-13,
                               atol=1e-15)
    x = orc.decode(codes)
    ref = np.stack([_brute_conditionals(mu.p, xi) for xi in x])
    np.testing.assert_allclose(direct, ref, rtol=1e-13, atol=1e-15)
    orc2 = ExactOracle(mu)
    orc2._tensor()
    np.testing.assert_allclose(orc2.probs_from_codes(codes), direct, rtol=1e-13, atol=1e-15)


def test_exact_oracle_switches_to_tensor_when_it_pays():
    from mdmtheory.policies.mdp import ExactOracle

    mu = Distribution(np.full((2,) * 4, 1 / 16))
    orc = ExactOracle(mu)
    allcodes = np.arange(3 ** 4)
    for _ in range(4):  # ~4x the states of the tensor: the tensor is built
        orc.probs_from_codes(allcodes)
    assert orc._T is not None


def test_exact_oracle_null_context_raise_on_direct_path():
    from mdmtheory.policies.mdp import ExactOracle

    p = np.zeros((2, 2, 2))
    p[0, 0, 0] = p[1, 1, 1] = 0.5
    orc = ExactOracle(Distribution(p), null_context="raise")
    code = int(np.array([0, 1, 2]) @ orc.strides)  # x = (0, 1, masked): mass 0
    with pytest.raises(ValueError, match="probability zero"):
        orc.probs_from_codes(np.array([code]))


# ----------------------------------------------------------------------------- top-k table
def _tied_distributions():
    yield Distribution(np.full((2,) * 5, 1 / 32))  # every score tied
    b = np.array([0.3, 0.7])
    p = b
    for _ in range(4):
        p = np.multiply.outer(p, b)
    yield Distribution(p)  # i.i.d.: ties across positions
    rng = np.random.default_rng(11)
    yield Distribution(rng.dirichlet(np.full(32, 0.4)).reshape((2,) * 5))


@pytest.mark.parametrize("score", ["confidence", "margin", "entropy"])
def test_batched_topk_table_equals_rowwise_topk_select(score):
    from mdmtheory.policies import exact as E
    from mdmtheory.policies.heuristics import ScheduledPolicy, TopK, _rowwise_action_table

    for mu in _tied_distributions():
        for sched in (1, 2, 5, [2, 1, 2]):
            pol = TopK(sched, score)
            law = E.evaluate_policy(mu, pol)
            # the same recursion with the row-by-row action laws of topk_select
            orig = ScheduledPolicy.action_table
            try:
                ScheduledPolicy.action_table = lambda self, obs: _rowwise_action_table(self, obs)
                ref = E.evaluate_policy(mu, pol)
            finally:
                ScheduledPolicy.action_table = orig
            np.testing.assert_allclose(law.nu, ref.nu, rtol=1e-13, atol=1e-16)
            np.testing.assert_allclose(law.nfe_pmf, ref.nfe_pmf, rtol=1e-13, atol=1e-16)


def test_batched_topk_table_semi_autoregressive_blocks():
    from mdmtheory.policies import exact as E
    from mdmtheory.policies.heuristics import ScheduledPolicy, TopK, _rowwise_action_table

    rng = np.random.default_rng(5)
    mu = Distribution(rng.dirichlet(np.full(64, 0.5)).reshape((2,) * 6))
    pol = TopK([2, 1, 2, 1], "confidence")
    law = E.evaluate_policy(mu, pol, block_length=3)
    orig = ScheduledPolicy.action_table
    try:
        ScheduledPolicy.action_table = lambda self, obs: _rowwise_action_table(self, obs)
        ref = E.evaluate_policy(mu, pol, block_length=3)
    finally:
        ScheduledPolicy.action_table = orig
    np.testing.assert_allclose(law.nu, ref.nu, rtol=1e-13, atol=1e-16)


# ----------------------------------------------------------------------------- sweep input
def test_sweep_of_plain_array_matches_distribution_path():
    from mdmtheory.information import information_summary, subset_entropies

    rng = np.random.default_rng(2)
    for q, n in [(2, 7), (3, 4)]:
        w = rng.random(q ** n).reshape((q,) * n)
        p = w / w.sum()  # sums to 1 within a few ulps, rarely exactly
        mu = Distribution(p)
        np.testing.assert_allclose(subset_entropies(p), subset_entropies(mu), rtol=1e-14,
                                   atol=1e-15)
        a, b = information_summary(p), information_summary(mu)
        np.testing.assert_allclose(a["Z"], b["Z"], rtol=0, atol=1e-14)
        assert a["H"] == pytest.approx(b["H"], rel=1e-14)
    p = np.full((2,) * 6, 1 / 64)  # sums to exactly 1.0: the same bits as the copy path
    assert np.array_equal(information_curve(p), information_curve(Distribution(p)))


def test_sweep_of_plain_array_keeps_distribution_errors():
    with pytest.raises(ValueError, match="sum to 1"):
        information_curve(np.full((2, 2), 0.3))
    with pytest.raises(ValueError, match="negative"):
        information_curve(np.array([[0.6, -0.1], [0.25, 0.25]]))
