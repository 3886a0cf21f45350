"""Independent brute-force oracles for ``proofs_check`` (Defs 1, 3, 7, 14; Thm 4; Eq. (1)).

Nothing here imports :mod:`mdmtheory`'s information or schedule code: every
quantity is recomputed the slow, obvious way from a probability table, so that
comparing it with the package is a real check.

* entropies of every marginal by summing the table (nats, ``0 log 0 = 0``);
* the information curve straight from Def 3 (an average of mutual informations);
* the sampler of Def 1, run *exactly*: for a fixed ordered partition
  ``S_1..S_k`` the output law ``nu^S(y) = prod_t prod_{i in S_t} mu(y_i | y_{U_t})``
  is evaluated on the support of ``mu`` from marginal tables, and ``E_S`` is the
  average over every ordered set partition with the block sizes of the schedule
  (each is equally likely under a uniform random permutation);
* the left Riemann error, an exhaustive minimum over compositions, a textbook
  O(k n^2) dynamic programme, and the greedy step-size rules.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Iterator, Sequence

import numpy as np

__all__ = [
    "entropy",
    "subset_entropies",
    "def13_curve",
    "tc_def",
    "dtc_def",
    "compositions",
    "ordered_partitions",
    "Sampler",
    "riemann_error",
    "brute_opt",
    "dp_opt",
    "greedy",
    "rule_ok",
]


def entropy(t: np.ndarray) -> float:
    """Shannon entropy in nats of a (sub-)probability table, ``0 log 0 = 0``."""
    v = np.asarray(t, dtype=np.float64).ravel()
    v = v[v > 0]
    return float(-(v * np.log(v)).sum())


def subset_entropies(p: np.ndarray) -> np.ndarray:
    """``H[mask] = H(X_T)`` for every subset ``T`` (bit ``i`` <=> position ``i``)."""
    n = p.ndim
    H = np.zeros(1 << n)
    for mask in range(1, 1 << n):
        drop = tuple(i for i in range(n) if not (mask >> i) & 1)
        H[mask] = entropy(p.sum(axis=drop) if drop else p)
    return H


def def13_curve(H: np.ndarray, n: int) -> np.ndarray:
    """``Z_j = E_{i, |A| = j-1} I(X_i; X_A)`` literally (Def 3), ``Z[j-1] = Z_j``."""
    Z = np.zeros(n)
    for j in range(1, n + 1):
        tot, cnt = 0.0, 0
        for i in range(n):
            others = [a for a in range(n) if a != i]
            for A in itertools.combinations(others, j - 1):
                mA = sum(1 << a for a in A)
                tot += H[1 << i] + H[mA] - H[mA | (1 << i)]
                cnt += 1
        Z[j - 1] = tot / cnt
    return Z


def tc_def(H: np.ndarray, n: int) -> float:
    """``TC = sum_i H(X_i) - H(X)`` (Def 7)."""
    return float(sum(H[1 << i] for i in range(n)) - H[(1 << n) - 1])


def dtc_def(H: np.ndarray, n: int) -> float:
    """``DTC = H(X) - sum_i H(X_i | X_-i)`` (Def 7)."""
    full = (1 << n) - 1
    return float(H[full] - sum(H[full] - H[full & ~(1 << i)] for i in range(n)))


def compositions(n: int, k: int | None = None) -> Iterator[tuple[int, ...]]:
    """Every composition of ``n`` (every ``k``-part one if ``k`` is given)."""
    for cuts in itertools.product((0, 1), repeat=n - 1):
        if k is not None and sum(cuts) != k - 1:
            continue
        sizes, run = [], 1
        for c in cuts:
            if c:
                sizes.append(run)
                run = 1
            else:
                run += 1
        sizes.append(run)
        yield tuple(sizes)


def ordered_partitions(n: int, sizes: Sequence[int]) -> Iterator[tuple[tuple[int, ...], ...]]:
    """Every ordered set partition ``(S_1, ..., S_k)`` of ``{0..n-1}`` with ``|S_t| = sizes[t]``."""

    def rec(rest: tuple[int, ...], t: int):
        if t == len(sizes):
            yield ()
            return
        for S in itertools.combinations(rest, sizes[t]):
            left = tuple(a for a in rest if a not in S)
            for tail in rec(left, t + 1):
                yield (S,) + tail

    yield from rec(tuple(range(n)), 0)


class Sampler:
    """The sampler of Def 1 run exactly on a small table ``p`` (shape ``(q,)*n``).

    ``log_nu(partition)`` is ``log nu^S(y)`` at every ``y`` of the support of
    ``mu`` (the only points where ``KL(mu || .)`` needs it; on the support every
    context has positive probability, so every oracle call is defined).
    """

    def __init__(self, p: np.ndarray):
        self.p = np.asarray(p, dtype=np.float64)
        self.n = self.p.ndim
        flat = self.p.ravel()
        self.support = np.flatnonzero(flat > 0)
        self.mu = flat[self.support]
        ys = np.unravel_index(self.support, self.p.shape)
        # log mu_T(y_T) at every support point y, for every subset T (bit mask)
        self.logm = np.zeros((1 << self.n, self.support.size))
        for mask in range(1, 1 << self.n):
            keep = [i for i in range(self.n) if (mask >> i) & 1]
            drop = tuple(i for i in range(self.n) if not (mask >> i) & 1)
            marg = self.p.sum(axis=drop) if drop else self.p
            self.logm[mask] = np.log(marg[tuple(ys[i] for i in keep)])

    def log_nu(self, partition: Sequence[Sequence[int]]) -> np.ndarray:
        """``log nu^{S_1..S_k}(y) = sum_t sum_{i in S_t} log mu(y_i | y_{U_t})``."""
        out = np.zeros(self.support.size)
        U = 0
        for S in partition:
            for i in S:
                out += self.logm[U | (1 << i)] - self.logm[U]
            for i in S:
                U |= 1 << i
        return out

    def kl_fixed(self, partition) -> float:
        """``KL(mu || nu^S)`` for fixed sets."""
        return float(self.mu @ (np.log(self.mu) - self.log_nu(partition)))

    def expected_kl(self, sizes: Sequence[int]) -> tuple[float, float, int]:
        """``(E_S KL(mu || nu^S), KL(mu || E_S nu^S), number of partitions)``."""
        kls, nus = [], []
        for part in ordered_partitions(self.n, sizes):
            ln = self.log_nu(part)
            kls.append(float(self.mu @ (np.log(self.mu) - ln)))
            nus.append(np.exp(ln))
        nubar = np.mean(nus, axis=0)
        return float(np.mean(kls)), float(self.mu @ (np.log(self.mu) - np.log(nubar))), len(kls)


def riemann_error(Z: np.ndarray, sizes: Sequence[int]) -> float:
    """``sum_t sum_{j in B_t} (Z_j - Z_{a_t})`` by a double loop (Thm 4's right side)."""
    err, a = 0.0, 0
    for s in sizes:
        for j in range(a, a + s):
            err += Z[j] - Z[a]
        a += s
    return float(err)


def brute_opt(Z: np.ndarray, k: int) -> tuple[float, tuple[int, ...]]:
    """Minimum of :func:`riemann_error` over all ``C(n-1, k-1)`` k-part compositions."""
    return min((riemann_error(Z, s), s) for s in compositions(len(Z), k))


def dp_opt(Z: np.ndarray, k: int) -> float:
    """``F_k(n)`` of the DP for Eq. (1) (textbook O(k n^2), no speed-ups)."""
    n = len(Z)
    P = np.concatenate([[0.0], np.cumsum(Z)])

    def c(a: int, b: int) -> float:  # 1-based block [a, b]
        return P[b] - P[a - 1] - (b - a + 1) * Z[a - 1]

    F = np.full((k + 1, n + 1), np.inf)
    F[0, 0] = 0.0
    for t in range(1, k + 1):
        for m in range(t, n + 1):
            F[t, m] = min(F[t - 1, mp] + c(mp + 1, m) for mp in range(t - 1, m))
    return float(F[k, n])


def _den(rule: str, n: int, N: int) -> int:
    if rule == "tc":
        return n - N - 1
    if rule == "dtc":
        return N + 1
    if rule == "min":
        return min(n - N - 1, N + 1)
    raise ValueError(rule)


def rule_ok(sizes: Sequence[int], rule: str, lam: float, *, shift: int = 0) -> bool:
    """Whether every step satisfies ``s_t - 1 <= lam * den_t`` (the TC / DTC / min greedy rules).

    Exact: ``lam`` is converted to the rational number it represents (a float
    ``1/3`` is slightly below one third, and the rule is applied to that value).
    ``shift`` adds to the denominator (used only to build false variants).
    """
    lam_q = Fraction(lam)
    n, N = sum(sizes), 0
    for s in sizes:
        if s - 1 > lam_q * (_den(rule, n, N) + shift):
            return False
        N += s
    return True


def greedy(n: int, rule: str, lam: float, *, extra: int = 0) -> tuple[int, ...]:
    """The greedy rule ``s_t = 1 + floor(lam * den_t)`` (exact; capped at the positions left)."""
    lam_q = Fraction(lam)
    out, N = [], 0
    while N < n:
        s = min(1 + math.floor(lam_q * _den(rule, n, N)) + extra, n - N)
        out.append(s)
        N += s
    return tuple(out)
