"""Lemma 35 (after Li & Cai): learning error and sampling error decouple, exactly.

A learned oracle ``CO_hat`` replaces the exact conditional marginals.  For a
fixed ordered partition ``S = (S_1..S_k)`` with ``T_i = S_1 u ... u S_{i-1}``,
``nu_hat^S(x) = prod_i prod_{j in S_i} CO_hat(x_j | x_{T_i})`` and

    ``KL(mu || nu_hat^S) = KL(mu || nu^S) + sum_i E_{x~mu} sum_{j in S_i}
    log(mu(x_j | x_{T_i}) / CO_hat(x_j | x_{T_i}))``

(:func:`learning_error_term`, a sum of expected conditional KLs, >= 0).
Averaged over uniform partitions: ``E_S KL(mu||nu_hat^S) = E_S KL(mu||nu^S) +
error(mu, CO_hat)``.  The paper prints the sides swapped,
``KL(mu||nu^S) = KL(mu||nu_hat^S) + error`` (erratum E13: its proof has a sign
error), which would make the learned sampler better than the exact one.

A learned oracle is a function ``oracle(positions, values) -> (n, q) array`` of
conditional marginals (rows of revealed positions are ignored).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .adaptive import oracle_answer
from .distribution import Distribution, as_distribution
from ._validation import as_float, check_table_size, log_base_factor

__all__ = ["exact_oracle", "perturbed_oracle", "output_law_with_oracle",
           "learning_error_term", "kl_table"]

Oracle = Callable[[tuple, tuple], np.ndarray]


def exact_oracle(mu: Distribution) -> Oracle:
    """The exact conditional-marginal oracle of ``mu`` (Def 11, uniform on null contexts)."""
    mu = as_distribution(mu)
    return lambda positions, values: oracle_answer(mu, positions, values)


def _check_oracle(oracle) -> None:
    if not callable(oracle):
        raise TypeError(f"oracle must be callable, oracle(x, revealed_mask) -> probs, got "
                        f"{type(oracle).__name__}")


def perturbed_oracle(mu: Distribution, strength: float, seed=None) -> Oracle:
    """A 'learned' oracle: the exact marginals mixed with fixed random laws.

    ``CO_hat = (1 - strength) CO + strength * R_{context}``, ``R`` a Dirichlet(1)
    draw per (context, position), memoised so the oracle is a function.
    """
    mu = as_distribution(mu)
    s = as_float(strength, "strength", minimum=0.0, maximum=1.0, strict_maximum=True)
    rng = np.random.default_rng(seed)
    memo: dict = {}

    def oracle(positions, values):
        key = (tuple(positions), tuple(values))
        if key not in memo:
            memo[key] = rng.dirichlet(np.ones(mu.q), size=mu.n)
        return (1 - s) * oracle_answer(mu, positions, values) + s * memo[key]

    return oracle


def _all_strings(n: int, q: int) -> np.ndarray:
    return np.indices((q,) * n).reshape(n, -1).T


def output_law_with_oracle(oracle: Oracle, n: int, q: int,
                           position_sets: Sequence[Sequence[int]]) -> np.ndarray:
    """``nu^S(x) = prod_i prod_{j in S_i} oracle(x_j | x_{T_i})`` as a ``(q,)*n`` table (Def 14)."""
    _check_oracle(oracle)
    check_table_size(q, n, what="output law")
    sets = [tuple(int(i) for i in S) for S in position_sets]
    if sorted(i for S in sets for i in S) != list(range(n)):
        raise ValueError(f"position_sets must partition range({n}), got {position_sets!r}")
    X = _all_strings(n, q)
    law = np.ones(X.shape[0])
    for r, x in enumerate(X):
        T: tuple = ()
        for S in sets:
            ans = oracle(T, tuple(int(x[i]) for i in T))
            for j in S:
                law[r] *= ans[j, x[j]]
            T = T + S
    return law.reshape((q,) * n)


def learning_error_term(mu: Distribution, oracle: Oracle,
                        position_sets: Sequence[Sequence[int]], *,
                        base: float | None = None) -> float:
    """``sum_i E_{x~mu} sum_{j in S_i} log(mu(x_j|x_{T_i}) / CO_hat(x_j|x_{T_i}))`` (Lemma 35)."""
    mu = as_distribution(mu)
    _check_oracle(oracle)
    n, q = mu.n, mu.q
    sets = [tuple(int(i) for i in S) for S in position_sets]
    X = _all_strings(n, q)
    P = mu.p.reshape(-1)
    total = 0.0
    for r, x in enumerate(X):
        if P[r] == 0:
            continue
        T: tuple = ()
        for S in sets:
            vals = tuple(int(x[i]) for i in T)
            a, b = oracle_answer(mu, T, vals), oracle(T, vals)
            for j in S:
                total += P[r] * np.log(a[j, x[j]] / b[j, x[j]])
            T = T + S
    return float(total) / log_base_factor(base)


def kl_table(p, q, *, base: float | None = None) -> float:
    """``KL(p || q)`` of two tables (0 log 0 = 0; +inf if q = 0 where p > 0)."""
    from .information import kl_divergence

    return kl_divergence(np.asarray(p).reshape(-1), np.asarray(q).reshape(-1), base=base)
