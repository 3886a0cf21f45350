"""The distributions every numeric ingredient check runs on (n <= 6, exact).

Random tables (Dirichlet with several concentrations, sparse tables with exact
zeros) and the structured families (MDS / Reed–Solomon codes, repetition,
parity, a binary symmetric Markov chain, a mixture of two product measures, an
Ising chain).  For each one the brute-force subset entropies and the Def 3
curve of :mod:`proofs_check.brute` are precomputed once per run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from . import brute


@dataclass
class Case:
    """One distribution with its brute-force entropies (nats)."""

    name: str
    p: np.ndarray
    _mu: object = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return self.p.ndim

    @property
    def q(self) -> int:
        return self.p.shape[0]

    @cached_property
    def H(self) -> np.ndarray:
        """``H[mask] = H(X_T)`` by brute force."""
        return brute.subset_entropies(self.p)

    @cached_property
    def Z(self) -> np.ndarray:
        """Def 3 curve by brute force."""
        return brute.def13_curve(self.H, self.n)

    @cached_property
    def tc(self) -> float:
        return brute.tc_def(self.H, self.n)

    @cached_property
    def dtc(self) -> float:
        return brute.dtc_def(self.H, self.n)

    @cached_property
    def sampler(self) -> brute.Sampler:
        return brute.Sampler(self.p)

    @property
    def mu(self):
        """The table as a validated :class:`mdmtheory.Distribution` (for package calls)."""
        if self._mu is None:
            from mdmtheory import Distribution

            self._mu = Distribution(self.p, name=self.name)
        return self._mu

    def ctx(self) -> dict:
        """A JSON-able description (the table itself, for a saved counterexample)."""
        return {"distribution": self.name, "n": self.n, "q": self.q, "table": self.p.tolist()}


_CACHE: dict[tuple[int, bool], list[Case]] = {}


def _random(rng: np.random.Generator, n: int, q: int, alpha: float, sparse: bool) -> np.ndarray:
    t = rng.dirichlet(np.full(q ** n, alpha))
    if sparse:
        t[rng.random(t.size) < 0.5] = 0.0
        if t.sum() == 0:
            t[rng.integers(t.size)] = 1.0
    return (t / t.sum()).reshape((q,) * n)


def corpus(seed: int, quick: bool) -> list[Case]:
    """All cases of a run (cached per ``(seed, quick)``)."""
    key = (seed, quick)
    if key in _CACHE:
        return _CACHE[key]
    from mdmtheory import families as F

    rng = np.random.default_rng([seed, 20260511])
    cases: list[Case] = []
    shapes = [(2, 2), (3, 2), (3, 3), (4, 2), (4, 3)] + ([] if quick else [(5, 2), (5, 3), (6, 2)])
    per = 2 if quick else 4
    for n, q in shapes:
        for r in range(per):
            alpha = (0.1, 0.5, 1.0, 5.0)[r % 4]
            sparse = r % 2 == 1
            cases.append(Case(f"dirichlet(n={n}, q={q}, alpha={alpha}, sparse={sparse})",
                              _random(rng, n, q, alpha, sparse)))
    fam = [F.reed_solomon(4, 2, 5), F.repetition(4, 3), F.parity(4, 2),
           F.binary_symmetric_chain(4, 0.1),
           F.mixture([F.product(np.tile([0.9, 0.1], (4, 1))),
                      F.product(np.tile([0.1, 0.9], (4, 1)))])]
    if not quick:
        fam += [F.reed_solomon(4, 1, 5), F.reed_solomon(4, 3, 5), F.reed_solomon(5, 2, 5),
                F.repetition(5, 3), F.parity(5, 3), F.binary_symmetric_chain(6, 0.1),
                F.mixture([F.product(np.tile([0.9, 0.1], (6, 1))),
                           F.product(np.tile([0.1, 0.9], (6, 1)))]),
                F.ising_chain(5, 0.7, 0.3)]
    for d in fam:
        cases.append(Case(d.name or "family", np.array(d.p), d))
    _CACHE[key] = cases
    return cases


def sampler_cases(seed: int, quick: bool) -> list[Case]:
    """The cases small enough for the exact sampler (every ordered partition)."""
    n_max = 4 if quick else 6
    return [c for c in corpus(seed, quick) if c.n <= n_max and (c.n < 6 or c.q == 2)]
