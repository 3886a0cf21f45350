"""The validated joint table and its exact MDM oracle (Def 11 of the paper).

Every quantity is compared with a brute-force computation written here: explicit loops
over all ``q**n`` sequences for marginals and conditionals, ``collections.Counter`` for
empirical tables, binomial/chi-square bounds for the sampler.
"""

from __future__ import annotations

import collections
import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from mdmtheory import Distribution, families
from tests.strategies import any_distributions, distributions, revealed_contexts


def _sequences(mu):
    return itertools.product(range(mu.q), repeat=mu.n)


# ----------------------------------------------------------------------------- construction
def test_table_is_validated_float64_readonly_copy():
    raw = np.full((3, 3), 1 / 9)
    mu = Distribution(raw, name="u")
    assert mu.p.dtype == np.float64 and mu.shape == (3, 3) and (mu.n, mu.q) == (2, 3)
    assert mu.nbytes == 9 * 8
    assert not mu.p.flags.writeable
    raw[0, 0] = 5.0  # the distribution holds its own copy
    assert mu.p[0, 0] == pytest.approx(1 / 9)
    with pytest.raises(ValueError):
        mu.p[0, 0] = 0.5
    assert "u" in repr(mu) and "n=2" in repr(mu) and "q=3" in repr(mu)
    np.testing.assert_array_equal(np.asarray(mu), mu.p)


def test_sum_within_tolerance_is_renormalised_exactly():
    t = np.full(8, 1 / 8)
    t[0] += 5e-10  # inside SUM_ATOL = 1e-9
    mu = Distribution(t.reshape(2, 2, 2))
    assert mu.p.sum() == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(mu.p.ravel(), t / t.sum(), rtol=1e-15)


def test_integer_and_point_mass_tables():
    mu = Distribution(np.array([[0, 1], [0, 0]]))
    assert mu.p.dtype == np.float64
    assert mu.prob([0, 1]) == 1.0 and mu.support_size() == 1


def test_from_weights_normalises():
    w = np.arange(1.0, 9.0).reshape(2, 2, 2)
    np.testing.assert_allclose(Distribution.from_weights(w).p, w / 36.0, rtol=1e-15)


@pytest.mark.parametrize("offset", [0.0, 700.0, -700.0, 1e3, -1e3, 1e5, -1e5])
def test_from_log_weights_large_offsets(offset):
    """softmax(lw + c) = softmax(lw): no overflow/underflow for |c| up to 1e5.

    Tolerance: lw + c is rounded to the float64 grid at |c| (spacing(1e5) = 1.5e-11), which
    perturbs each exp by that relative amount; 4 spacings + 1e-14.
    """
    rng = np.random.default_rng(3)
    lw = rng.normal(scale=3.0, size=(3, 3, 3))
    want = np.exp(lw) / np.exp(lw).sum()  # |lw| < 15: no overflow in the plain formula
    got = Distribution.from_log_weights(lw + offset).p
    rtol = 1e-14 + 4 * float(np.spacing(abs(offset) + 15.0))
    np.testing.assert_allclose(got, want, rtol=rtol)


def test_from_log_weights_minus_inf_is_zero_mass():
    lw = np.array([[0.0, -np.inf], [np.log(3.0), -np.inf]])
    np.testing.assert_allclose(Distribution.from_log_weights(lw).p, [[0.25, 0.0], [0.75, 0.0]],
                               atol=1e-16)


def test_from_samples_matches_counter():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=(500, 4))
    x[:, 2] = np.minimum(x[:, 2], 1)  # token 2 never appears at position 2
    mu = Distribution.from_samples(x)
    assert (mu.n, mu.q) == (4, 3)
    counts = collections.Counter(map(tuple, x.tolist()))
    for seq in _sequences(mu):
        assert mu.p[seq] == pytest.approx(counts.get(seq, 0) / 500, abs=1e-15)
    # explicit q larger than the largest token
    mu5 = Distribution.from_samples(x, q=5)
    assert mu5.q == 5 and mu5.p[(4,) * 4] == 0.0
    np.testing.assert_allclose(mu5.p[:3, :3, :3, :3], mu.p, atol=1e-15)
    # binary samples with only zeros still give q = 2; float samples with integral values
    assert Distribution.from_samples(np.zeros((3, 2), dtype=int)).q == 2
    np.testing.assert_array_equal(Distribution.from_samples(x.astype(float)).p, mu.p)


@given(distributions(n_max=4, max_cells=256))
def test_samples_round_trip_through_from_samples(mu):
    """from_samples(sample(N)) puts mass only on the support of mu."""
    x = mu.sample(200, rng=1)
    emp = Distribution.from_samples(x, q=mu.q)
    assert np.all(emp.p[mu.p == 0] == 0)


# ----------------------------------------------------------------------------- marginals
@given(any_distributions(n_max=5, max_cells=1024), st.data())
def test_marginal_matches_brute_force(mu, data):
    k = data.draw(st.integers(0, mu.n))
    pos = data.draw(st.permutations(range(mu.n)))[:k]
    m = mu.marginal(pos)
    want = np.zeros((mu.q,) * k)
    for seq in _sequences(mu):
        want[tuple(seq[i] for i in pos)] += mu.p[seq]
    # two summation orders of <= 1024 terms in [0, 1]: worst-case gap 1024 * eps = 2.3e-13
    np.testing.assert_allclose(m, want, rtol=0, atol=2.3e-13)
    if k == 1:
        np.testing.assert_allclose(mu.marginals()[pos[0]], want, atol=2.3e-13)


def test_marginal_axis_order_follows_request():
    mu = families.random_dirichlet(3, 2, seed=5)
    m = mu.marginal([2, 0])
    for a, b in itertools.product(range(2), repeat=2):
        assert m[a, b] == pytest.approx(mu.p[b, :, a].sum(), abs=1e-16)


# ----------------------------------------------------------------------------- conditional oracle
def _brute_conditional(mu, i, revealed: dict) -> np.ndarray:
    out = np.zeros(mu.q)
    for seq in _sequences(mu):
        if all(seq[u] == v for u, v in revealed.items()):
            out[seq[i]] += mu.p[seq]
    return out / out.sum()


@given(any_distributions(n_max=5, max_cells=1024), st.data())
def test_conditional_matches_brute_force(mu, data):
    """mu(X_i = . | X_U = y_U) by explicit conditioning over all q^n sequences."""
    ctx = data.draw(revealed_contexts(mu))
    i = data.draw(st.integers(0, mu.n - 1))
    got = mu.conditional(i, ctx)
    # ratios of sums of <= 1024 terms in two orders (see the marginal test): 1e-12 relative
    np.testing.assert_allclose(got, _brute_conditional(mu, i, ctx), rtol=1e-12, atol=2.3e-13)
    assert got.sum() == pytest.approx(1.0, abs=1e-12)
    # the (positions, values) form is the same context
    pair = (list(ctx.keys()), list(ctx.values()))
    np.testing.assert_array_equal(mu.conditional(i, pair), got)
    # all positions at once (one "forward pass"): rows equal the single queries;
    # revealed rows are point masses on the revealed value
    allc = mu.conditionals(ctx)
    assert allc.shape == (mu.n, mu.q)
    for k in range(mu.n):
        if k in ctx:
            np.testing.assert_array_equal(allc[k], np.eye(mu.q)[ctx[k]])
        else:
            np.testing.assert_allclose(allc[k], _brute_conditional(mu, k, ctx), rtol=1e-12,
                                       atol=2.3e-13)
    sub = mu.conditionals(ctx, positions=[i])
    np.testing.assert_array_equal(sub[0], got)


def test_conditional_without_context_is_marginal():
    mu = families.random_dirichlet(3, 3, seed=2)
    for i in range(3):
        np.testing.assert_allclose(mu.conditional(i), mu.marginal([i]), atol=1e-15)
        np.testing.assert_allclose(mu.conditional(i, {}), mu.marginal([i]), atol=1e-15)


def test_conditional_of_zero_probability_context_raises():
    mu = families.repetition(3, 2)
    with pytest.raises(ValueError, match="probability zero"):
        mu.conditional(2, {0: 0, 1: 1})


def test_conditional_on_markov_chain_is_transition_row():
    """For a Markov chain, mu(X_3 | X_1..X_2 = y) = T[y_2, .] (spec-independent sanity law)."""
    T = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])
    mu = families.markov_chain(4, T, [0.2, 0.5, 0.3])
    for y1, y2 in itertools.product(range(3), repeat=2):
        np.testing.assert_allclose(mu.conditional(2, {0: y1, 1: y2}), T[y2], atol=1e-14)


# ----------------------------------------------------------------------------- prob, support
def test_prob_support_and_is_product():
    mu = families.random_dirichlet(3, 2, seed=9)
    for seq in _sequences(mu):
        assert mu.prob(list(seq)) == mu.p[seq]
    assert mu.support_size() == 8
    assert families.parity(3, 2).support_size() == 4
    assert families.product([[0.3, 0.7], [0.5, 0.5], [0.1, 0.9]]).is_product()
    assert families.uniform(3, 3).is_product()
    assert not families.repetition(3, 2).is_product()
    assert not mu.is_product()


# ----------------------------------------------------------------------------- sampling
def test_sample_frequencies_match_p():
    """Per-cell counts within 5 binomial SDs of N p, and a Pearson chi-square test.

    The seed is fixed, so the test is deterministic; with a correct sampler the chance
    that some cell of 27 leaves +-5 SD is < 27 * 6e-7, and the chi-square p-value
    threshold is 1e-6.  A sampler that is off by a cell (e.g. side='left' on zero cells,
    or an unravel order bug) fails both by a wide margin.
    """
    mu = families.random_dirichlet(3, 3, alpha=1.0, seed=4)
    N = 200_000
    x = mu.sample(N, rng=12345)
    assert x.shape == (N, 3) and x.dtype == np.int64
    assert x.min() >= 0 and x.max() < 3
    counts = np.zeros(mu.shape)
    np.add.at(counts, tuple(x.T), 1)
    p = mu.p
    sd = np.sqrt(N * p * (1 - p))
    assert np.all(np.abs(counts - N * p) <= 5 * sd + 1e-9)
    chi2 = stats.chisquare(counts.ravel(), N * p.ravel())
    assert chi2.pvalue > 1e-6


def test_sample_never_draws_zero_cells_and_respects_order():
    """Cells of probability 0 never appear; axis i of the table is position i."""
    t = np.zeros((3, 3, 3))
    t[1, 2, 0] = 0.6
    t[0, 1, 1] = 0.4
    mu = Distribution(t)
    x = mu.sample(5000, rng=0)
    seen = collections.Counter(map(tuple, x.tolist()))
    assert set(seen) == {(1, 2, 0), (0, 1, 1)}
    # 0.6 * 5000 = 3000, SD = sqrt(5000 * 0.24) = 34.6; 5 SD
    assert abs(seen[(1, 2, 0)] - 3000) <= 5 * 34.7


def test_sample_is_reproducible_and_handles_size_zero():
    mu = families.random_dirichlet(4, 2, seed=1)
    np.testing.assert_array_equal(mu.sample(50, rng=7), mu.sample(50, rng=7))
    assert not np.array_equal(mu.sample(50, rng=7), mu.sample(50, rng=8))
    assert mu.sample(0).shape == (0, 4)
    g = np.random.default_rng(3)
    assert mu.sample(10, rng=g).shape == (10, 4)


def test_flat_table_with_n_is_the_reshaped_table():
    """``Distribution(flat, n=k)`` equals the table reshaped by hand (C order); a length
    that is not ``q**n`` or a table with other axes than ``n`` is refused."""
    rng = np.random.default_rng(3)
    t = rng.random((3, 3, 3))
    t /= t.sum()
    flat = Distribution(t.ravel(), n=3)
    assert flat.n == 3 and flat.q == 3
    assert np.array_equal(flat.p, Distribution(t).p)
    assert Distribution(t.ravel(), n=1).q == 27
    with pytest.raises(ValueError, match="n=2"):
        Distribution(t.ravel(), n=2)
    with pytest.raises(ValueError, match="axes"):
        Distribution(t, n=2)


def _readings_brute(length: int) -> set[tuple[int, int]]:
    """Every ``(q, n)`` with ``q >= 2`` and ``q**n == length``, by trying all pairs."""
    return {(q, n) for q in range(2, length + 1) for n in range(1, length.bit_length() + 1)
            if q ** n == length}


@pytest.mark.parametrize("length", [64, 729, 16, 4, 256])
def test_flat_table_without_n_is_refused_with_every_reading(length):
    """A 1-D table of a perfect-power length is refused; the message names every
    reading ``(q, n)`` (enumerated here by brute force) and the reshape advice."""
    v = np.full(length, 1.0 / length)
    readings = _readings_brute(length)
    assert len(readings) >= 2
    with pytest.raises(ValueError) as info:
        Distribution(v)
    msg = str(info.value)
    assert f"a flat table of length {length} is ambiguous" in msg
    assert "p.reshape((q,)*n)" in msg and "\n" not in msg
    for q, n in readings:
        assert f"Distribution(p, n={n})" in msg
        assert (f"one position over {q} symbols" if n == 1 else f"({q},)*{n}") in msg
    assert msg.count("Distribution(p, n=") == len(readings)  # no reading that is not one


@pytest.mark.parametrize("length", [2, 3, 7, 12, 101, 1000 + 1])
def test_flat_table_of_non_power_length_is_still_refused(length):
    """One rule: a 1-D table always needs ``n``, even when ``n=1`` is its only reading
    (lengths that are not ``q**n`` for any ``n >= 2``, checked by brute force)."""
    assert _readings_brute(length) == {(length, 1)}
    v = np.full(length, 1.0 / length)
    with pytest.raises(ValueError, match=r"needs n=.*Distribution\(p, n=1\).*reshape"):
        Distribution(v)
    assert (Distribution(v, n=1).n, Distribution(v, n=1).q) == (1, length)


@pytest.mark.parametrize("length", [0, 1])
def test_flat_table_too_short_has_no_reading(length):
    for n in (None, 1):
        with pytest.raises(ValueError, match="q must be >= 2"):
            Distribution(np.ones(length), n=n)


def test_flat_readings_match_brute_force():
    from mdmtheory.distribution import _flat_readings

    for length in list(range(0, 600)) + [2 ** 20, 3 ** 12, 10 ** 6, 6 ** 7, 2 ** 40]:
        got = _flat_readings(length)
        want = _readings_brute(length) if length < 600 else {
            (round(length ** (1 / n)), n) for n in range(1, 41)
            if round(length ** (1 / n)) >= 2 and round(length ** (1 / n)) ** n == length}
        assert set(got) == want, length
        assert [n for _, n in got] == sorted((n for _, n in got), reverse=True)


def test_every_reading_of_a_flat_table_is_the_hand_indexed_table():
    """``Distribution(v, n=n)`` for every reading of a length-64 vector: the probability
    of each sequence is ``v[sum_i x_i q**(n-1-i)]`` (C order, computed by hand, not by
    ``reshape``)."""
    rng = np.random.default_rng(11)
    v = rng.random(64)
    v /= v.sum()
    for q, n in _readings_brute(64):
        mu = Distribution(v, n=n)
        assert (mu.n, mu.q) == (n, q)
        for x in itertools.product(range(q), repeat=n):
            idx = sum(xi * q ** (n - 1 - i) for i, xi in enumerate(x))
            assert mu.prob(x) == pytest.approx(v[idx], rel=1e-14, abs=0)


def test_from_weights_and_log_weights_take_n_for_flat_input():
    w = np.arange(1.0, 9.0)
    with pytest.raises(ValueError, match=r"Distribution.from_weights\(p, n=3\) reads it as "
                                         r"\(2,\)\*3"):
        Distribution.from_weights(w)
    with pytest.raises(ValueError, match=r"Distribution.from_log_weights\(p, n=1\)"):
        Distribution.from_log_weights(np.log(w))
    np.testing.assert_allclose(Distribution.from_weights(w, n=3).p.ravel(), w / 36, rtol=1e-15)
    np.testing.assert_allclose(Distribution.from_log_weights(np.log(w), n=1).p, w / 36,
                               rtol=1e-14)
    assert Distribution.from_weights(w, n=1).shape == (8,)


@pytest.mark.parametrize("name", ["information_curve", "entropy_profile", "subset_entropies",
                                  "total_correlation", "dual_total_correlation",
                                  "information_summary", "joint_entropy"])
def test_functions_taking_raw_tables_refuse_a_flat_vector_the_same_way(name):
    """One validation layer: a public function that accepts a raw array refuses a flat
    vector with the constructor's message, and accepts the reshaped table."""
    import mdmtheory as mt

    f = getattr(mt, name)
    flat = np.full(64, 1 / 64)
    with pytest.raises(ValueError, match=r"length 64 is ambiguous: pass n= .*\(2,\)\*6"):
        f(flat)
    f(flat.reshape((2,) * 6))
    f(Distribution(flat, n=1))
