"""Infilling a sparse Markov chain: exact likelihood, exact conditionals, hard constraints.

Law: a stationary homogeneous Markov chain on ``q`` states of length ``n``
whose transition matrix has ``k`` allowed successors per state (the others
have probability zero); the prompt reveals ``num_clues`` uniformly random
positions.  An answer is *correct* when every transition it makes is allowed
(it has positive probability) and it keeps the clues.  Exact conditionals
given any revealed set come from masked forward-backward
(:class:`mdmtheory.structured.markov.MarkovOracle`), the exact information
curve and entropy rate from :mod:`mdmtheory.structured.markov`.

The default ``markov`` task: ``q = 8``, ``n = 32``, ``k = 3`` successors
(``s -> s+1 mod q`` always allowed, so the chain is irreducible, plus two more
drawn at random), weights ``Dirichlet(1)``, 8 clues.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_int, check_stochastic_matrix, check_table_size
from ..distribution import Distribution
from ..families import stationary_distribution
from ..structured.markov import MarkovOracle, markov_information_curve
from .base import Task

__all__ = ["MarkovTask", "sparse_transition"]


def sparse_transition(q: int = 8, k: int = 3, seed: int = 0) -> np.ndarray:
    """A ``(q, q)`` row-stochastic matrix with exactly ``k`` nonzeros per row
    (``s -> s+1 mod q`` among them), ``Dirichlet(1)`` weights; seeded."""
    q, k = as_int(q, "q", minimum=2), as_int(k, "k", minimum=1)
    if k > q:
        raise ValueError(f"k={k} successors exceed q={q} states")
    rng = np.random.default_rng(seed)
    P = np.zeros((q, q))
    for s in range(q):
        others = np.setdiff1d(np.arange(q), [(s + 1) % q])
        succ = np.concatenate([[(s + 1) % q], rng.choice(others, size=k - 1, replace=False)])
        P[s, succ] = rng.dirichlet(np.ones(k))
    return P


class MarkovTask(Task):
    """Infill a stationary sparse Markov chain (module docstring)."""

    def __init__(self, transition=None, n: int = 32, num_clues: int = 8, *,
                 name: str = "markov"):
        P = sparse_transition() if transition is None else \
            check_stochastic_matrix(transition, "transition")
        self.oracle = MarkovOracle(as_int(n, "n", minimum=2), P)
        self.transition = self.oracle.spec.transition
        self.initial = stationary_distribution(self.transition)
        self.num_clues = as_int(num_clues, "num_clues", minimum=0)
        if self.num_clues > n:
            raise ValueError(f"num_clues={num_clues} exceeds n={n}")
        self.name = name
        self.length, self.q = int(n), self.transition.shape[0]
        self.mask_id, self.vocab_size = self.q, self.q + 1
        self.answer_tokens = tuple(range(self.q))

    def _sample(self, num, rng):
        x = self.oracle.sample(num, rng)
        ranks = np.argsort(rng.random((num, self.length)), axis=1).argsort(axis=1)
        return x, ranks < self.num_clues

    def _valid(self, x):
        return (self.initial[x[:, 0]] > 0) & (self.transition[x[:, :-1], x[:, 1:]] > 0).all(1)

    def log_likelihood(self, x) -> np.ndarray:
        """Exact ``log mu(x)`` of full sequences ``(num, n)`` (``-inf`` off the support)."""
        x = np.asarray(x, dtype=np.int64)
        with np.errstate(divide="ignore"):
            return (np.log(self.initial[x[:, 0]])
                    + np.log(self.transition[x[:, :-1], x[:, 1:]]).sum(axis=1))

    def entropy_rate(self) -> float:
        """``sum_s pi_s H(P_s.)`` nats per token (0 log 0 = 0)."""
        P = self.transition
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -np.where(P > 0, P * np.log(P), 0.0).sum(axis=1)
        return float(self.initial @ h)

    def information_curve(self, *, base: float | None = None) -> np.ndarray:
        """Exact ``Z_1..Z_n`` of the (unprompted) chain."""
        return markov_information_curve(self.length, self.transition, base=base)

    def exact_distribution(self, prompt):
        """Exact law of the free positions of one prompt as a dense Distribution.

        Built left to right as a product of transition factors over the free
        positions only (``q^n_free`` cells), so it is exact whenever that table
        fits the memory budget.
        """
        p = self._prompt_vector(prompt)
        free = p == self.mask_id
        if not free.any():
            raise ValueError("the prompt has no masked position")
        check_table_size(self.q, int(free.sum()), what="exact law of the free positions")
        P = self.transition
        T = self.initial.copy() if free[0] else np.array(self.initial[p[0]])
        for i in range(1, p.size):
            if free[i]:
                T = T[..., :, None] * P if free[i - 1] else T[..., None] * P[p[i - 1]]
            else:
                T = T * P[:, p[i]] if free[i - 1] else T * P[p[i - 1], p[i]]
        if not T.sum() > 0:
            raise ValueError("the prompt has probability zero under the chain")
        return Distribution.from_weights(T, n=int(free.sum()))
