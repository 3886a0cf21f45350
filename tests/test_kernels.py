"""The Numba sweep's building blocks against independent numpy computations."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdmtheory._kernels import _log_array, _pack, subtree_entries, sweep_entropies
from mdmtheory.reference import naive_subset_entropies


def test_fast_log_matches_numpy_to_one_ulp():
    # uniform mantissas, every binary exponent of a probability, and edge values
    rng = np.random.default_rng(0)
    x = np.concatenate([
        rng.random(200_000),
        10.0 ** rng.uniform(-307, 0, 200_000),
        [1.0, 0.5, 2.0, np.sqrt(0.5), np.nextafter(np.sqrt(2.0), 0), np.sqrt(2.0),
         np.finfo(float).tiny, 1 - 2**-53],
        2.0 ** np.arange(-1022, 1024),                      # every power of two
        1.0 + rng.uniform(-2.0**-10, 2.0**-10, 100_000),     # near 1: log ~ x - 1
        1.0 + 2.0 ** -np.arange(1, 53), 1.0 - 2.0 ** -np.arange(2, 54),
        np.exp(rng.uniform(-700, 700, 100_000)),            # the whole range, > 1 too
    ])
    out = np.empty_like(x)
    _log_array(x, out)
    ref = np.log(x)
    # fdlibm's log is accurate to < 1 ulp; allow 2 ulp of the reference
    assert np.all(np.abs(out - ref) <= 2 * np.spacing(np.abs(ref)) + 1e-300)


def test_zero_contributes_nothing():
    # 0 * log(0) must be exactly 0: the fast log maps 0 to a finite value
    out = np.empty(1)
    _log_array(np.zeros(1), out)
    assert np.isfinite(out[0]) and 0.0 * out[0] == 0.0


@given(n=st.integers(1, 9), q=st.integers(2, 3), seed=st.integers(0, 2**31 - 1),
       threads=st.integers(1, 6), levels=st.integers(0, 3), zeros=st.booleans())
def test_sweep_matches_naive_for_any_thread_plan(n, q, seed, threads, levels, zeros):
    rng = np.random.default_rng(seed)
    p = rng.random((q,) * n)
    if zeros:
        p[rng.random(p.shape) < 0.5] = 0.0
        p.flat[0] += 1.0
    p /= p.sum()
    # serial_below=0 forces the threaded driver even on tiny tables
    H, sums = sweep_entropies(p, n, q, store=True, nthreads=threads, serial_levels=levels,
                              serial_below=0.0, progress=threads % 2 == 0)
    ref = naive_subset_entropies(p)
    np.testing.assert_allclose(H, ref, rtol=0, atol=1e-12)
    sizes = np.array([bin(mask).count("1") for mask in range(1 << n)])
    np.testing.assert_allclose(sums, np.bincount(sizes, weights=ref, minlength=n + 1),
                               rtol=0, atol=1e-10)
    # the DFS tree does not depend on the threads: per-subset values are identical
    H1, _ = sweep_entropies(p, n, q, store=True, nthreads=1)
    assert np.array_equal(H, H1)


@pytest.mark.parametrize("nbins", [1, 2, 3, 7])
def test_pack_places_every_item_once_and_balances(nbins):
    costs = np.array([2.0 ** j for j in range(10)])
    bin_js, bin_counts = _pack(costs, nbins)
    got = sorted(int(t) for b in range(bin_counts.size) for t in bin_js[b, : bin_counts[b]])
    assert got == list(range(10))
    loads = [costs[bin_js[b, : bin_counts[b]]].sum() for b in range(bin_counts.size)]
    # LPT on powers of two: the largest item alone is at least half of the total
    assert max(loads) <= max(costs.max(), costs.sum() / len(loads) + costs.max())


def test_subtree_entries_counts_every_marginal_entry():
    # brute force: a node with m axes, lim removable -> sum over subsets of the removable ones
    import itertools
    for m, lim, q in [(5, 5, 2), (6, 3, 3), (4, 0, 2), (7, 2, 4)]:
        want = sum(q ** (m - len(c)) for r in range(lim + 1)
                   for c in itertools.combinations(range(lim), r))
        assert subtree_entries(m, lim, q) == want


@pytest.mark.parametrize("n,q", [(9, 2), (6, 3)])
def test_per_size_sums_are_bit_identical_for_any_thread_count(n, q):
    """The threaded driver adds each child subtree into its own accumulator and combines
    them in a fixed order, so ``sums`` (hence Z and the profile) do not depend on the
    thread count, bit for bit.  ``serial_below=0`` forces the threaded driver."""
    p = np.random.default_rng(7).dirichlet(np.full(q**n, 0.3))
    ref = sweep_entropies(p, n, q, store=False, nthreads=1, serial_below=0.0)[1]
    for t in (2, 3, 4):
        sums = sweep_entropies(p, n, q, store=False, nthreads=t, serial_below=0.0)[1]
        assert np.array_equal(sums, ref), (t, np.abs(sums - ref).max())


@pytest.mark.parametrize("start, stop", [(0, 0), (0, 1), (3, 4), (5, 12), (1, 512), (7, 300)])
def test_xlogx_map_any_offset_and_length(start, stop):
    # the map splits its slice into two interleaved streams plus an odd tail
    from mdmtheory._kernels import _xlogx_map

    t = np.random.default_rng(stop).random(520)
    t[::7] = 0.0
    out = np.full(520, np.nan)
    _xlogx_map(t, start, stop, out)
    x = t[start:stop]
    with np.errstate(divide="ignore", invalid="ignore"):
        ref = np.where(x > 0, x * np.log(x), 0.0)
    # the log is within 1 ulp, the product adds one rounding: 2.25 eps (5e-16) relative
    np.testing.assert_allclose(out[: stop - start], ref, rtol=5e-16, atol=0)
    assert np.all(np.isnan(out[stop - start:]))  # nothing written past the slice
