"""Registry, row types and shared brute-force helpers of the paper table."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

import numpy as np

from .. import brute
from .._core import TOL, Config, Tracker, _jsonable

LN2 = math.log(2.0)
VERIFIED, REFUTED, NOT_CHECKABLE, ERROR = "verified", "refuted", "not checkable", "error"
CONFIRMED, REJECTED = "confirmed", "rejected"


@dataclass
class PaperRow:
    key: str
    statement: str
    status: str
    method: str
    cases: int
    worst_bits: float
    functions: str
    note: str = ""
    counterexample: str | None = None
    seconds: float = 0.0
    erratum: bool = False
    mutated: bool = False

    def to_json(self) -> dict:
        d = dict(self.__dict__)
        d["worst_bits"] = _jsonable(self.worst_bits)
        return d


@dataclass
class PaperCheck:
    key: str
    statement: str
    functions: str
    uses: tuple[int, ...] = ()
    func: Callable[[Config, Tracker], str | None] | None = None
    not_checkable: str = ""
    erratum: bool = False
    slow: bool = False
    mutation: str = ""
    extra: dict = field(default_factory=dict)


PAPER: list[PaperCheck] = []


def paper(key: str, statement: str, functions: str, *, uses: tuple[int, ...] = (),
          not_checkable: str = "", erratum: bool = False, slow: bool = False,
          mutation: str = ""):
    def deco(func):
        PAPER.append(PaperCheck(key, statement, functions, uses, func, not_checkable,
                                erratum, slow, mutation))
        return func
    return deco


class EvidenceTracker(Tracker):
    """A Tracker that also keeps the (dict) contexts of the facts it saw, as evidence."""

    def __init__(self, tol: float = TOL):
        super().__init__(tol)
        self.evidence: list = []

    def fact(self, ok, ctx=None):
        if isinstance(ctx, dict) and len(self.evidence) < 8:
            self.evidence.append(_jsonable(ctx))
        super().fact(ok, ctx)


def delegate(key: str, statement: str, functions: str, uses: tuple[int, ...]) -> None:
    PAPER.append(PaperCheck(key, statement, functions, uses, None))


# ----------------------------------------------------------------------------- helpers
def _bits_curve(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Brute-force subset entropies and Def 3 curve, in bits (independent of mdmtheory)."""
    H = brute.subset_entropies(p) / LN2
    return H, brute.def13_curve(H, p.ndim)


def _random_tables(rng, count: int, n_max: int, q_max: int = 2, n_min: int = 2):
    for _ in range(count):
        n = int(rng.integers(n_min, n_max + 1))
        q = int(rng.integers(2, q_max + 1))
        p = rng.dirichlet(np.full(q ** n, 0.3)).reshape((q,) * n)
        yield p


def _weights_py(sizes) -> list[int]:
    """``w_i = N_{t(i)} - i`` for i = 1..n-1 (empty steps allowed), independent of the package."""
    s = np.asarray([x for x in sizes if x > 0], dtype=np.int64)
    n = int(s.sum())
    return (np.repeat(np.cumsum(s), s) - np.arange(1, n + 1))[:-1].tolist()


def _sup_ratio(sizes, kind: str) -> Fraction:
    """``max_i w_i/(n-i)`` (tc) or ``max_i w_i/i`` (dtc) as an exact fraction.

    The argmax is taken on float64 ratios of integers below 2**53, which are
    correctly rounded; distinct ratios with denominators < n differ by >= 1/n**2,
    far above the rounding for the n used here (<= 1e5), so it is exact.
    """
    w = np.asarray(_weights_py(sizes), dtype=np.int64).reshape(-1)
    n = w.size + 1
    if w.size == 0:
        return Fraction(0)
    i = np.arange(1, n)
    den = (n - i) if kind == "tc" else i
    j = int(np.argmax(w / den))
    return Fraction(int(w[j]), int(den[j]))


def _riemann_bits(Z: np.ndarray, sizes) -> float:
    """Thm 4's error with empty steps allowed (they contribute 0), term by term."""
    err, a = 0.0, 0
    for s in sizes:
        for j in range(a, a + s):
            err += Z[j] - Z[a]
        a += s
    return err


def _jump_curves(n: int):
    for d in range(1, n):
        yield d, (np.arange(1, n + 1) > d).astype(float)


def _e(key, statement, functions, mutation=""):
    return paper(key, statement, functions, erratum=True, mutation=mutation)
