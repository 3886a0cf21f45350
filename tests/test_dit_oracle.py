"""The outside oracle: agreement with ``dit`` (issue 2, item 5b).

``dit`` (https://github.com/dit/dit) is an independent information-theory library;
here it computes, on the same joint tables,

* H(X_T) for every subset T via ``dit.shannon.entropy(d, rvs=T)``,
* TC via ``dit.multivariate.total_correlation``,
* DTC via ``dit.multivariate.dual_total_correlation``,
* pairwise I(X_i; X_j) via ``dit.shannon.mutual_information``,

and ``Z`` is rebuilt from dit's subset entropies by Def. 1.3 (an average of
I(X_i; X_A) = H(X_i) + H(X_A) - H(X_{A+i}) over i and (j-1)-sets A).  ``dit`` works in
bits; its values are converted to nats by ``* ln 2``.

Only valid tables are used (dit has its own, different, error handling), with
``n <= 6`` and at most 729 cells so that the dit side stays cheap.
Tolerance 1e-10 nats (issue 2 "Must reach").
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given

import mdmtheory as mdm
from mdmtheory import families
from tests.strategies import any_distributions

dit = pytest.importorskip("dit")

TOL = 1e-10
LN2 = math.log(2.0)


def _to_dit(mu) -> "dit.Distribution":
    """A dit joint distribution over tuples, built from the support of ``mu``."""
    flat = mu.p.ravel()
    nz = np.flatnonzero(flat)
    outcomes = [tuple(int(v) for v in np.unravel_index(k, mu.shape)) for k in nz]
    return dit.Distribution(outcomes, flat[nz].tolist())


def _dit_subset_entropies_nats(d, n: int) -> np.ndarray:
    H = np.zeros(1 << n)
    for mask in range(1, 1 << n):
        H[mask] = dit.shannon.entropy(d, [i for i in range(n) if (mask >> i) & 1]) * LN2
    return H


def _curve_from_subset_entropies(H: np.ndarray, n: int) -> np.ndarray:
    """Def. 1.3 directly: Z_j = mean over i and (j-1)-subsets A of [n]-{i} of I(X_i; X_A)."""
    Z = np.zeros(n)
    for j in range(1, n + 1):
        vals = []
        for i in range(n):
            for A in itertools.combinations([a for a in range(n) if a != i], j - 1):
                mA = sum(1 << a for a in A)
                vals.append(H[1 << i] + H[mA] - H[mA | (1 << i)])
        Z[j - 1] = float(np.mean(vals))
    return Z


def _check_against_dit(mu) -> None:
    n = mu.n
    d = _to_dit(mu)
    H_dit = _dit_subset_entropies_nats(d, n)
    np.testing.assert_allclose(mdm.subset_entropies(mu), H_dit, rtol=0, atol=TOL)
    tc_dit = dit.multivariate.total_correlation(d) * LN2
    dtc_dit = dit.multivariate.dual_total_correlation(d) * LN2
    s = mdm.information_summary(mu)
    assert s.TC == pytest.approx(tc_dit, abs=TOL)
    assert s.DTC == pytest.approx(dtc_dit, abs=TOL)
    assert mdm.total_correlation(mu) == pytest.approx(tc_dit, abs=TOL)
    assert mdm.dual_total_correlation(mu) == pytest.approx(dtc_dit, abs=TOL)
    np.testing.assert_allclose(s.Z, _curve_from_subset_entropies(H_dit, n), rtol=0, atol=TOL)
    # bits straight from dit, no conversion
    assert mdm.total_correlation(mu, base=2) == pytest.approx(tc_dit / LN2, abs=TOL)
    if n >= 2:
        M = mdm.pairwise_mutual_information(mu)
        for i, j in itertools.combinations(range(n), 2):
            mi = dit.shannon.mutual_information(d, [i], [j]) * LN2
            assert M[i, j] == pytest.approx(mi, abs=TOL)


@given(any_distributions(n_max=6, max_cells=729))
def test_agrees_with_dit_on_random_distributions(mu):
    _check_against_dit(mu)


@pytest.mark.parametrize("n,q,alpha,seed", [
    (6, 2, 1.0, 0), (6, 2, 0.1, 1), (4, 3, 0.5, 2), (3, 4, 1.0, 3), (6, 3, 2.0, 4), (1, 3, 1.0, 5),
])
def test_agrees_with_dit_on_dirichlet_tables(n, q, alpha, seed):
    _check_against_dit(families.random_dirichlet(n, q, alpha, seed=seed))


@pytest.mark.parametrize("mu", [
    families.binary_symmetric_chain(6, 0.1),
    families.reed_solomon(4, 2, 5),
    families.parity(5, 3),
    families.repetition(6, 2),
    families.hidden_markov(5, [[0.9, 0.1], [0.2, 0.8]], [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]]),
    families.potts_chain(5, 3, 0.7, [0.2, -0.1, 0.0], periodic=True),
], ids=lambda m: m.name)
def test_agrees_with_dit_on_families(mu):
    _check_against_dit(mu)
