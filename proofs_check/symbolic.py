"""SymPy models for the identities of the paper (Lemmas 8, 13; Thms 4, 16) and their bounds.

Two generic objects carry the algebra:

* a **generic set function** ``h(T)``, one free symbol ``h_T`` per nonempty
  subset ``T`` of ``{0..n-1}`` and ``h(empty) = 0``: every entropy identity of
  the ingredient checks (2-7, 17, 18) is a *linear* identity in the ``H(X_T)``, true
  for the entropies of every distribution iff it holds for a generic ``h``;
* a **generic nondecreasing curve** ``Z_1 = 0``, ``Z_{j+1} = Z_j + delta_j``
  with free symbols ``delta_j >= 0``: the schedule identities (items 9, 10, 12)
  and the coefficient-wise certificates of the bounds (items 13-16, 18).

An identity is *proved* for the given ``n`` when ``sympy.expand(lhs - rhs)`` is
exactly ``0``; an inequality when the slack equals a sum of products of
hypotheses that are nonnegative by assumption (a certificate).
"""

from __future__ import annotations

import itertools
from math import comb
from typing import Sequence

import sympy as sp

__all__ = [
    "SetFunction",
    "Curve",
    "is_zero",
    "residual",
]


def residual(lhs, rhs) -> sp.Expr:
    """``expand(lhs - rhs)``."""
    return sp.expand(sp.sympify(lhs) - sp.sympify(rhs))


def is_zero(expr) -> bool:
    """Whether ``expand(expr)`` is identically 0."""
    return sp.expand(expr) == 0


class SetFunction:
    """Generic set function ``h`` on the subsets of ``{0..n-1}``, ``h(empty) = 0``."""

    def __init__(self, n: int):
        self.n = n
        self.full = (1 << n) - 1
        self.sym = {0: sp.Integer(0)}
        for mask in range(1, 1 << n):
            name = "h_" + "".join(str(i) for i in range(n) if (mask >> i) & 1)
            self.sym[mask] = sp.Symbol(name, real=True)

    def __call__(self, T) -> sp.Expr:
        if isinstance(T, int):
            return self.sym[T]
        m = 0
        for i in T:
            m |= 1 << i
        return self.sym[m]

    @staticmethod
    def mask(T: Sequence[int]) -> int:
        m = 0
        for i in T:
            m |= 1 << i
        return m

    # -- entropy-profile quantities -------------------------------------------------
    def profile(self) -> list[sp.Expr]:
        """``e(m) = mean_{|T| = m} h(T)``, ``m = 0..n``."""
        n = self.n
        return [sp.Add(*[self(T) for T in itertools.combinations(range(n), m)]) / comb(n, m)
                for m in range(n + 1)]

    def increments(self) -> list[sp.Expr]:
        """``d_j = e(j) - e(j-1)``, index ``j-1``."""
        e = self.profile()
        return [e[j] - e[j - 1] for j in range(1, self.n + 1)]

    def mi(self, i: int, A: Sequence[int]) -> sp.Expr:
        """``I(X_i; X_A) = h(i) + h(A) - h(A u i)``."""
        mA = self.mask(A)
        return self.sym[1 << i] + self.sym[mA] - self.sym[mA | (1 << i)]

    def curve_def13(self) -> list[sp.Expr]:
        """``Z_j`` from Def 3: mean over ``i`` and ``(j-1)``-sets ``A`` without ``i``."""
        n = self.n
        out = []
        for j in range(1, n + 1):
            terms = [self.mi(i, A) for i in range(n)
                     for A in itertools.combinations([a for a in range(n) if a != i], j - 1)]
            out.append(sp.Add(*terms) / len(terms))
        return out

    def tc(self, T: Sequence[int] | None = None, given: Sequence[int] = ()) -> sp.Expr:
        """``TC(X_T | X_B) = sum_{i in T} h(i|B) - h(T|B)`` (default ``T`` = all)."""
        T = tuple(range(self.n)) if T is None else tuple(T)
        mB = self.mask(given)
        hB = self.sym[mB]
        single = sp.Add(*[self.sym[mB | (1 << i)] - hB for i in T])
        return single - (self.sym[mB | self.mask(T)] - hB)

    def dtc(self) -> sp.Expr:
        """``DTC = h(all) - sum_i h(i | rest)``."""
        f = self.full
        return self.sym[f] - sp.Add(*[self.sym[f] - self.sym[f & ~(1 << i)]
                                      for i in range(self.n)])

    def numeric(self, H) -> dict:
        """Substitution ``{h_T: H[T]}`` for a vector of subset entropies."""
        return {self.sym[m]: float(H[m]) for m in range(1, 1 << self.n)}


class Curve:
    """Generic nondecreasing curve: ``Z_1 = 0``, ``Z_{j+1} = Z_j + delta_j``, ``delta_j >= 0``."""

    def __init__(self, n: int):
        self.n = n
        self.delta = [sp.Symbol(f"delta_{i}", nonnegative=True) for i in range(1, n)]
        Z = [sp.Integer(0)]
        for dl in self.delta:
            Z.append(Z[-1] + dl)
        self.Z = Z  # Z[j-1] = Z_j

    def z(self, j: int) -> sp.Expr:
        """``Z_j`` (1-based)."""
        return self.Z[j - 1]

    def tc(self) -> sp.Expr:
        """``TC = sum_j Z_j`` (item 3)."""
        return sp.Add(*self.Z)

    def dtc(self) -> sp.Expr:
        """``DTC = n Z_n - TC`` (item 4)."""
        return self.n * self.Z[-1] - self.tc()

    def block_cost(self, a: int, b: int) -> sp.Expr:
        """``c(a, b) = sum_{j=a}^b (Z_j - Z_a)``."""
        return sp.Add(*[self.z(j) - self.z(a) for j in range(a, b + 1)])

    def error(self, sizes: Sequence[int]) -> sp.Expr:
        """Thm 4's ``sum_t c(a_t, b_t)``."""
        out, a = [], 1
        for s in sizes:
            out.append(self.block_cost(a, a + s - 1))
            a += s
        return sp.Add(*out)

    def coefficients(self, expr) -> list[sp.Expr]:
        """Coefficients of ``expr`` (linear in the ``delta``) on ``delta_1..delta_{n-1}``."""
        e = sp.expand(expr)
        return [e.coeff(dl) for dl in self.delta]
