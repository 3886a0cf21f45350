"""Naive reference implementations (pure numpy, explicit subsets).

These are deliberately written the slow, obvious way -- one ``numpy.sum`` per
subset, the definition of ``Z_j`` as an average of mutual informations, TC/DTC
from their definitions -- and share no code with the Numba sweep of
:mod:`mdmtheory._kernels`.  The test-suite and the benchmarks compare the fast
path against them; do not use them for real work (cost ``O(2^n q^n)``).
"""

from __future__ import annotations

import itertools
from math import comb

import numpy as np

from ._validation import check_probability_table

__all__ = [
    "naive_entropy",
    "naive_subset_entropies",
    "naive_information_curve",
    "naive_tc_dtc",
]


def _joint(p) -> np.ndarray:
    """Validate a joint table of shape ``(q,)*n`` (input checks only; no shared numerics)."""
    arr = check_probability_table(p, "p")
    if arr.ndim < 1 or any(s != arr.shape[0] for s in arr.shape) or arr.shape[0] < 2:
        raise ValueError(f"p must have shape (q,)*n with q >= 2, n >= 1, got {arr.shape}")
    return arr


def naive_entropy(table) -> float:
    """``-sum p log p`` in nats with ``0 log 0 = 0``, via ``scipy.special.entr``."""
    from scipy.special import entr

    return float(entr(check_probability_table(table, "table")).sum())


def naive_subset_entropies(p: np.ndarray) -> np.ndarray:
    """``H[mask]`` by summing the full table over the complement of every subset."""
    p = _joint(p)
    n = p.ndim
    H = np.zeros(1 << n)
    for mask in range(1, 1 << n):
        drop = tuple(i for i in range(n) if not (mask >> i) & 1)
        H[mask] = naive_entropy(p.sum(axis=drop) if drop else p)
    return H


def naive_information_curve(p: np.ndarray) -> np.ndarray:
    """``Z_j = mean_{i, |A|=j-1, i not in A} I(X_i; X_A)`` straight from Def. 1.3."""
    p = _joint(p)
    n = p.ndim
    H = naive_subset_entropies(p)

    def h(s):
        return H[sum(1 << i for i in s)]

    Z = np.zeros(n)
    for j in range(1, n + 1):
        tot = 0.0
        cnt = 0
        for i in range(n):
            others = [a for a in range(n) if a != i]
            for A in itertools.combinations(others, j - 1):
                tot += h([i]) + h(A) - h(A + (i,))
                cnt += 1
        assert cnt == n * comb(n - 1, j - 1)
        Z[j - 1] = tot / cnt
    return Z


def naive_tc_dtc(p: np.ndarray) -> tuple[float, float]:
    """TC and DTC from Def. 1.7 using explicit marginal sums."""
    p = _joint(p)
    n = p.ndim
    H = naive_entropy(p)
    hi = [naive_entropy(p.sum(axis=tuple(a for a in range(n) if a != i))) for i in range(n)]
    tc = sum(hi) - H
    # H(X_i | X_-i) = H(X) - H(X_-i)
    cond = [H - naive_entropy(p.sum(axis=i)) for i in range(n)]
    dtc = H - sum(cond)
    return float(tc), float(dtc)
