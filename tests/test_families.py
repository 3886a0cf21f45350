"""Distribution families (issue 2, item 3; spec theory.md §4, §6).

Each constructor is compared cell by cell with its defining formula evaluated by explicit
enumeration of all ``q**n`` sequences (Markov: the product formula; HMM: a sum over all
``h**n`` hidden paths; Potts/Ising: ``exp`` of the energy, normalised; codes: the set of
codewords ``u G``).  Tolerances: 1e-14 absolute on probabilities (a product/sum of at most
``n + h**n`` terms in float64).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdmtheory import Distribution, families
from tests.strategies import FAMILIES, family_distributions

ATOL = 1e-14


def _seqs(n, q):
    return itertools.product(range(q), repeat=n)


def _table(n, q, f) -> np.ndarray:
    t = np.zeros((q,) * n)
    for x in _seqs(n, q):
        t[x] = f(x)
    return t


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_returns_a_valid_distribution(family):
    """Each strategy-drawn family member is a normalised Distribution of the drawn (n, q)."""
    @settings(max_examples=5)
    @given(family_distributions(names=[family]))
    def check(mu):
        assert isinstance(mu, Distribution)
        assert mu.p.shape == (mu.q,) * mu.n
        assert abs(mu.p.sum() - 1.0) < 1e-12 and (mu.p >= 0).all()
        assert mu.name.startswith(family.replace("_per_step", ""))

    check()


def test_product_is_outer_product():
    M = np.array([[0.2, 0.3, 0.5], [0.6, 0.4, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    mu = families.product(M)
    want = _table(3, 3, lambda x: M[0, x[0]] * M[1, x[1]] * M[2, x[2]])
    np.testing.assert_allclose(mu.p, want, rtol=0, atol=ATOL)


def test_uniform():
    np.testing.assert_allclose(families.uniform(3, 4).p, np.full((4,) * 3, 1 / 64), atol=0)


def test_random_dirichlet_seeded():
    a = families.random_dirichlet(4, 3, 0.5, seed=42)
    b = families.random_dirichlet(4, 3, 0.5, seed=42)
    c = families.random_dirichlet(4, 3, 0.5, seed=43)
    np.testing.assert_array_equal(a.p, b.p)
    assert not np.array_equal(a.p, c.p)
    # alpha -> large concentrates near uniform; small alpha is peaked (law of Dirichlet)
    big = families.random_dirichlet(3, 2, 1e4, seed=0)
    assert np.max(np.abs(big.p - 1 / 8)) < 0.01
    small = families.random_dirichlet(4, 2, 0.01, seed=0)
    assert small.p.max() > 0.5


# ----------------------------------------------------------------------------- Markov chains
def test_markov_chain_product_formula_homogeneous():
    T = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])
    init = np.array([0.2, 0.5, 0.3])
    n = 4
    mu = families.markov_chain(n, T, init)
    want = _table(n, 3, lambda x: init[x[0]] * math.prod(T[a, b] for a, b in zip(x, x[1:])))
    np.testing.assert_allclose(mu.p, want, rtol=0, atol=ATOL)


def test_markov_chain_product_formula_per_step():
    rng = np.random.default_rng(0)
    n, q = 4, 2
    Ts = rng.dirichlet(np.ones(q), size=(n - 1, q))
    init = np.array([0.9, 0.1])
    mu = families.markov_chain(n, Ts, init)
    want = _table(n, q, lambda x: init[x[0]] * math.prod(Ts[t, x[t], x[t + 1]]
                                                         for t in range(n - 1)))
    np.testing.assert_allclose(mu.p, want, rtol=0, atol=ATOL)
    # default start of a per-step chain is uniform
    mu_u = families.markov_chain(n, Ts)
    np.testing.assert_allclose(mu_u.marginal([0]), [0.5, 0.5], atol=ATOL)


def test_markov_chain_default_start_is_stationary():
    """pi T = pi, and with start pi every X_t has law pi."""
    T = np.array([[0.5, 0.5, 0.0], [0.25, 0.5, 0.25], [0.0, 0.5, 0.5]])
    pi = families.stationary_distribution(T)
    np.testing.assert_allclose(pi, [0.25, 0.5, 0.25], atol=1e-12)  # detailed balance by hand
    mu = families.markov_chain(5, T)
    for i in range(5):
        np.testing.assert_allclose(mu.marginal([i]), pi, atol=1e-12)


def test_binary_symmetric_chain_is_markov_chain():
    p = 0.15
    mu = families.binary_symmetric_chain(5, p)
    want = _table(5, 2, lambda x: 0.5 * math.prod(p if a != b else 1 - p
                                                  for a, b in zip(x, x[1:])))
    np.testing.assert_allclose(mu.p, want, rtol=0, atol=ATOL)


# ----------------------------------------------------------------------------- HMM
@pytest.mark.parametrize("h,q,n,seed", [(2, 3, 4, 0), (3, 2, 5, 1), (1, 3, 3, 2), (2, 2, 1, 3)])
def test_hidden_markov_matches_sum_over_hidden_paths(h, q, n, seed):
    """P(x) = sum over all h^n hidden paths z of init[z_1] E[z_1,x_1] prod T[z,z'] E[z',x']."""
    rng = np.random.default_rng(seed)
    T = rng.dirichlet(np.ones(h), size=h)
    E = rng.dirichlet(np.ones(q), size=h)
    init = rng.dirichlet(np.ones(h))
    mu = families.hidden_markov(n, T, E, init)

    def px(x):
        tot = 0.0
        for z in itertools.product(range(h), repeat=n):
            w = init[z[0]] * E[z[0], x[0]]
            for t in range(1, n):
                w *= T[z[t - 1], z[t]] * E[z[t], x[t]]
            tot += w
        return tot

    np.testing.assert_allclose(mu.p, _table(n, q, px), rtol=0, atol=ATOL)


def test_hidden_markov_default_start_is_stationary():
    T = np.array([[0.9, 0.1], [0.3, 0.7]])
    E = np.array([[0.8, 0.2], [0.1, 0.9]])
    pi = np.array([0.75, 0.25])  # solves pi T = pi by hand
    mu = families.hidden_markov(3, T, E)
    np.testing.assert_allclose(mu.p, families.hidden_markov(3, T, E, pi).p, atol=1e-13)


# ----------------------------------------------------------------------------- mixture
def test_mixture_is_weighted_sum():
    a = families.random_dirichlet(3, 2, seed=1)
    b = families.repetition(3, 2)
    c = families.uniform(3, 2)
    mu = families.mixture([a, b, c], [0.5, 0.3, 0.2])
    np.testing.assert_allclose(mu.p, 0.5 * a.p + 0.3 * b.p + 0.2 * c.p, atol=ATOL)
    np.testing.assert_allclose(families.mixture([a, b]).p, (a.p + b.p) / 2, atol=ATOL)


# ----------------------------------------------------------------------------- codes
def _codewords(G, p):
    d, n = G.shape
    return {tuple(int(v) for v in (np.array(u) @ G) % p) for u in _seqs(d, p)}


@pytest.mark.parametrize("p,G", [
    (2, [[1, 0, 1, 1], [0, 1, 1, 0]]),
    (3, [[1, 2, 0], [0, 1, 1]]),
    (2, [[1, 1, 0], [1, 1, 0]]),          # rank deficient: duplicate row
    (3, [[1, 2, 2, 1], [2, 1, 1, 2]]),    # rank 1 over F_3 (row 2 = 2 * row 1)
    (5, [[-1, 7, 3]]),                    # entries reduced mod p
])
def test_linear_code_is_uniform_on_codewords(p, G):
    G = np.array(G)
    mu = families.linear_code(G, p)
    words = _codewords(G, p)
    n = G.shape[1]
    want = _table(n, p, lambda x: 1.0 / len(words) if x in words else 0.0)
    np.testing.assert_allclose(mu.p, want, rtol=0, atol=ATOL)
    assert mu.support_size() == len(words)


@pytest.mark.parametrize("n,d,p", [(4, 2, 5), (3, 3, 3), (5, 3, 7), (4, 1, 5), (2, 1, 2)])
def test_reed_solomon_is_polynomial_evaluation_code(n, d, p):
    """RS[n, d]: words (f(0), ..., f(n-1)) for all polynomials f of degree < d over F_p."""
    words = {tuple(sum(c * pow(a, k, p) for k, c in enumerate(coef)) % p for a in range(n))
             for coef in _seqs(d, p)}
    assert len(words) == p**d
    mu = families.reed_solomon(n, d, p)
    want = _table(n, p, lambda x: p ** -d if x in words else 0.0)
    np.testing.assert_allclose(mu.p, want, rtol=0, atol=ATOL)
    G = families.reed_solomon_generator(n, d, p)
    # MDS: every d columns of the generator are independent (all d-marginals uniform)
    for cols in itertools.combinations(range(n), d):
        np.testing.assert_allclose(mu.marginal(list(cols)), np.full((p,) * d, p ** -d),
                                   atol=ATOL)
    assert G.shape == (d, n)


def test_repetition_and_parity():
    np.testing.assert_allclose(families.repetition(3, 3).p,
                               _table(3, 3, lambda x: 1 / 3 if len(set(x)) == 1 else 0.0),
                               atol=ATOL)
    np.testing.assert_allclose(families.parity(4, 3).p,
                               _table(4, 3, lambda x: 1 / 27 if sum(x) % 3 == 0 else 0.0),
                               atol=ATOL)
    np.testing.assert_array_equal(families.parity(1, 2).p, [1.0, 0.0])


def test_is_prime():
    primes = [k for k in range(60) if families.is_prime(k)]
    assert primes == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59]


# ----------------------------------------------------------------------------- Potts / Ising
def _potts_explicit(n, q, J, h, periodic):
    bonds = [(i, i + 1) for i in range(n - 1)]
    if periodic and n > 2:  # documented convention: no ring bond for n <= 2
        bonds.append((n - 1, 0))
    w = _table(n, q, lambda x: math.exp(J * sum(x[i] == x[j] for i, j in bonds)
                                        + sum(h[v] for v in x)))
    return w / w.sum()


@pytest.mark.parametrize("n,q,J,periodic", [(4, 3, 0.8, False), (4, 3, -0.5, True),
                                            (5, 2, 1.3, True), (3, 4, 0.0, False),
                                            (2, 3, 1.0, True), (1, 3, 2.0, True)])
def test_potts_chain_matches_exp_weights(n, q, J, periodic):
    h = np.linspace(-0.5, 0.4, q)
    mu = families.potts_chain(n, q, J, h, periodic=periodic)
    np.testing.assert_allclose(mu.p, _potts_explicit(n, q, J, h, periodic), rtol=1e-12,
                               atol=ATOL)
    mu0 = families.potts_chain(n, q, J, periodic=periodic)  # no field
    np.testing.assert_allclose(mu0.p, _potts_explicit(n, q, J, np.zeros(q), periodic),
                               rtol=1e-12, atol=ATOL)


@pytest.mark.parametrize("n,J,h,periodic", [(4, 0.7, 0.0, False), (5, -0.4, 0.3, True),
                                            (3, 1.2, -0.8, False)])
def test_ising_chain_matches_spin_weights(n, J, h, periodic):
    """mu(s) ∝ exp(J sum s_i s_{i+1} + h sum s_i), s = 2x - 1, by explicit enumeration."""
    bonds = [(i, i + 1) for i in range(n - 1)] + ([(n - 1, 0)] if periodic and n > 2 else [])

    def w(x):
        s = [2 * v - 1 for v in x]
        return math.exp(J * sum(s[i] * s[j] for i, j in bonds) + h * sum(s))

    want = _table(n, 2, w)
    np.testing.assert_allclose(families.ising_chain(n, J, h, periodic=periodic).p,
                               want / want.sum(), rtol=1e-12, atol=ATOL)


@given(st.integers(1, 7), st.floats(-3.0, 3.0, allow_nan=False))
def test_ising_is_binary_symmetric_chain(n, J):
    """Docstring claim: open Ising chain, h = 0 == binary symmetric chain, flip 1/(1+e^{2J})."""
    flip = 1.0 / (1.0 + math.exp(2 * J))
    np.testing.assert_allclose(families.ising_chain(n, J).p,
                               families.binary_symmetric_chain(n, flip).p, rtol=1e-12,
                               atol=1e-15)


@given(st.integers(1, 6), st.floats(-2.0, 2.0, allow_nan=False),
       st.floats(-1.0, 1.0, allow_nan=False), st.booleans())
def test_ising_is_potts_with_doubled_coupling(n, J, h, periodic):
    """Docstring claim: ising(J, h) == potts(q=2, coupling 2J, field (-h, h))."""
    np.testing.assert_allclose(
        families.ising_chain(n, J, h, periodic=periodic).p,
        families.potts_chain(n, 2, 2 * J, [-h, h], periodic=periodic).p, rtol=1e-12, atol=1e-15)
