"""The paper's objects beyond schedules: affine codes (Defs 18-19, Lemma 21, Thm 25),
adaptive samplers (Defs 22, 23, 26), the Lemma 28 curve (Def 27, Thm 30) and the
Lemma 35 decoupling -- behaviour against independent computations, and bad input.

The exhaustive checks of each item are rows of ``python -m proofs_check``
(``tests/test_proofs_check.py``); these tests cover the functions' contracts.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from mdmtheory import Distribution, families, information_curve
from mdmtheory import adaptive, affine_codes, decoupling, lower_bound


# ----------------------------------------------------------------------------- affine codes
def test_affine_code_support_and_balance():
    G = families.reed_solomon_generator(3, 1, 3)
    mu = affine_codes.affine_code(G, 3, [1, 0, 2])
    support = {tuple(int(v) for v in x) for x in zip(*np.nonzero(mu.p))}
    assert support == {((u + 1) % 3, u % 3, (u + 2) % 3) for u in range(3)}
    assert affine_codes.balance_deviation(G, 3) == pytest.approx(0.0, abs=1e-15)
    # the linear code alone is not balanced: P[x in C_S] is 0 or 1, target 1/3 or 1/9
    assert affine_codes.unshifted_balance_deviation(G, 3) == pytest.approx(8 / 9)


def test_product_with_code_curve_is_up_shift():
    rng = np.random.default_rng(0)
    ms = Distribution(rng.dirichlet(np.ones(8)).reshape(2, 2, 2))
    V = affine_codes.reed_solomon_affine(3, 2, 3, [2, 2, 1])
    prod = affine_codes.product_with_code(ms, V)
    assert prod.q == 6 and prod.n == 3
    Z = information_curve(prod, base=2)
    ref = affine_codes.up_shift_curve(information_curve(ms, base=2), 2, 3, base=2)
    assert np.max(np.abs(Z - ref)) < 1e-12
    # marginal of the X* part is mu*
    t = prod.p.reshape(2, 3, 2, 3, 2, 3).sum(axis=(1, 3, 5))
    assert np.max(np.abs(t - ms.p)) < 1e-15


def test_affine_codes_bad_input():
    G = families.reed_solomon_generator(3, 1, 3)
    with pytest.raises(ValueError, match="shift"):
        affine_codes.affine_code(G, 3, [0, 3, 0])
    with pytest.raises(ValueError, match="shift"):
        affine_codes.affine_code(G, 3, [0, 1])
    with pytest.raises(ValueError, match="full row rank"):
        affine_codes.affine_code(np.array([[1, 1, 1], [2, 2, 2]]), 3)
    with pytest.raises(ValueError, match="prime"):
        affine_codes.affine_code(G, 4)
    with pytest.raises(ValueError, match="same n"):
        affine_codes.product_with_code(families.uniform(2, 2), families.uniform(3, 3))
    with pytest.raises(ValueError, match="d must be"):
        affine_codes.up_shift_curve([0.0, 1.0], 3, 2)


# ----------------------------------------------------------------------------- adaptive
def test_oracle_answer_null_context_is_uniform():
    mu = families.repetition(3, 2)
    ans = adaptive.oracle_answer(mu, (0, 1), (0, 1))  # probability 0
    assert np.allclose(ans[2], 0.5) and ans[0, 0] == 1 and ans[1, 1] == 1
    ans = adaptive.oracle_answer(mu, (0,), (1,))
    assert np.allclose(ans[1], [0, 1]) and np.allclose(ans[2], [0, 1])


def test_cost_counts_queries_and_matches_definitions():
    mu = families.random_dirichlet(3, 2, seed=4)
    pol = adaptive.random_unmasking_policy([3], 3, 2)  # one query: product of marginals
    law, used = adaptive.run_exactly(pol, mu)
    marg = [mu.p.sum(axis=tuple(a for a in range(3) if a != i)) for i in range(3)]
    assert used == 1
    assert np.allclose(law, np.einsum("i,j,k->ijk", *marg))
    assert adaptive.cost(pol, mu, 0) == math.inf
    assert adaptive.cost(pol, mu, 1, kind="tv") == pytest.approx(0.5 * np.abs(mu.p - law).sum())


def test_adaptive_bad_input():
    mu = families.uniform(2, 2)
    with pytest.raises(ValueError, match="summing to 1"):
        adaptive.run_exactly(lambda t: [(0.5, ("output", (0, 0)))], mu)
    with pytest.raises(ValueError, match="unknown move"):
        adaptive.run_exactly(lambda t: [(1.0, ("guess", (0, 0)))], mu)
    with pytest.raises(ValueError, match="max_queries"):
        adaptive.run_exactly(lambda t: [(1.0, ("query", (), ()))], mu, max_queries=3)
    with pytest.raises(ValueError, match="repeated position"):
        adaptive.oracle_answer(mu, (0, 0), (1, 1))
    with pytest.raises(ValueError, match="kind"):
        adaptive.cost(adaptive.random_unmasking_policy([2], 2, 2), mu, 1, kind="hellinger")
    with pytest.raises(ValueError, match="sum to n"):
        adaptive.random_unmasking_policy([1, 2], 2, 2)


def test_thm24_prior_weights_and_bound():
    prior = adaptive.thm24_prior(3, 3)
    assert len(prior) == 1 + 2 * 27
    assert sum(w for w, _ in prior) == pytest.approx(1.0)
    assert adaptive.thm24_cost_bound(321, 10) == pytest.approx(1 / 16)
    assert adaptive.thm24_cost_bound(321, 11) < 1 / 16


# ----------------------------------------------------------------------------- Lemma 28
def test_geometric_block_function_shape():
    f = lower_bound.geometric_block_function(100, 0.2)
    blocks = lower_bound.geometric_blocks(100, 0.2)
    assert sorted(x for B in blocks for x in B) == list(range(1, 101))  # a partition of [n]
    assert np.all(np.diff(f) <= 0) and f.sum() <= 1
    Z = lower_bound.geometric_block_curve(100, 0.2)
    assert Z[0] == 0 and np.all(np.diff(Z) >= 0)
    assert lower_bound.count_pieces([1, 1, 2, 2, 3]) == 2
    with pytest.raises(ValueError, match="eps"):
        lower_bound.geometric_block_function(10, 1.5)
    with pytest.raises(ValueError, match="n"):
        lower_bound.geometric_block_function(1, 0.1)


def test_thm30_errors_match_brute_force_on_small_curve():
    from proofs_check import brute

    n, eps = 12, 0.3
    Z = lower_bound.geometric_block_curve(n, eps)
    opt = lower_bound.thm30_optimal_errors(n, eps, [1, 2, 3, 4])
    for k, o in zip([1, 2, 3, 4], opt):
        ref = min(brute.riemann_error(Z, s) for s in brute.compositions(n, k))
        assert o == pytest.approx(ref, abs=1e-12)


# ----------------------------------------------------------------------------- Lemma 35
def test_decoupling_identity_fixed_partition():
    mu = families.random_dirichlet(3, 2, seed=9)
    hat = decoupling.perturbed_oracle(mu, 0.4, seed=1)
    for part in itertools.permutations([(0,), (1, 2)]):
        nh = decoupling.output_law_with_oracle(hat, 3, 2, part)
        nu = decoupling.output_law_with_oracle(decoupling.exact_oracle(mu), 3, 2, part)
        assert nh.sum() == pytest.approx(1.0)
        err = decoupling.learning_error_term(mu, hat, part, base=2)
        assert err > 0
        assert decoupling.kl_table(mu.p, nh, base=2) == pytest.approx(
            decoupling.kl_table(mu.p, nu, base=2) + err, abs=1e-12)
    with pytest.raises(ValueError, match="partition"):
        decoupling.output_law_with_oracle(hat, 3, 2, [(0,), (0, 1)])
    with pytest.raises(ValueError, match="strength"):
        decoupling.perturbed_oracle(mu, 1.0)
