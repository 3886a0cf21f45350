"""F-aware adaptive samplers as stochastic decision trees, evaluated exactly (Defs 22, 23, 26).

An adaptive sampler (Def 22) is given as a *policy*: a function of the transcript
so far (the queries made and the oracle's answers) returning a finite list of
``(probability, move)`` pairs -- its internal randomness at a decision node of
the tree of Def 26.  A move is

* ``("query", positions, values)``: ask the conditional-marginal oracle (Def 11)
  for ``(mu(X_i = . | X_S = x))_i``; the answer is a deterministic function of
  ``mu`` (the query node's child), or
* ``("output", x)``: stop and output the string ``x`` in ``Sigma^n``.

:func:`run_exactly` enumerates every path, so the output law ``A[mu]`` (Def 26:
``sum_leaf P[leaf | mu] nu_leaf``) and the number of queries used (worst path)
are exact.  :func:`cost` is Def 23's ``cost_T^{KL}`` / ``cost_T^{TV}`` (``+inf``
when the sampler can exceed its budget ``T(mu)`` on ``mu``).

Oracle convention (Section 4): a context of probability 0 is answered with
uniform marginals -- which is what makes the Thm 25 family's answers coincide
with ``mu* x U``'s off the code.

:func:`random_unmasking_policy` writes the ``k``-step random unmasking sampler
(Def 15) as such a policy: Def 22's remark that it is a ``k``-query F-aware
algorithm, checked by comparing :func:`run_exactly` with the sampler's exact
output law.  :func:`thm24_prior` and :func:`prior_cost` evaluate Thm 24's prior
``D = 1/2 delta_U + sum_d D_d / (2(n-1))`` exactly on small fields.
"""

from __future__ import annotations

import itertools
import math
from typing import Callable, Literal, Sequence

import numpy as np

from .distribution import Distribution, as_distribution
from .information import kl_divergence
from ._validation import (as_int, as_int_array, as_positions, check_probability_table,
                          log_base_factor)

__all__ = [
    "oracle_answer",
    "run_exactly",
    "cost",
    "random_unmasking_policy",
    "tv_distance",
    "thm24_prior",
    "prior_cost",
    "thm24_cost_bound",
]

Move = tuple
Policy = Callable[[tuple], Sequence[tuple[float, Move]]]


def oracle_answer(mu: Distribution, positions, values) -> np.ndarray:
    """The oracle's answer ``(mu(X_i = . | X_S = x))_{i}``, shape ``(n, q)`` (Def 11).

    Rows of revealed positions are point masses at the revealed value; a context
    of probability 0 gets uniform rows on the masked positions (Section 4).
    """
    mu = as_distribution(mu)
    n, q = mu.n, mu.q
    S = as_positions(positions, "positions", n)
    x = tuple(int(v) for v in as_int_array(values, "values", minimum=0, maximum=q - 1).ravel())
    if len(S) != len(x) or len(set(S)) != len(S) or any(not 0 <= i < n for i in S) \
            or any(not 0 <= v < q for v in x):
        raise ValueError(f"bad query: positions {positions!r}, values {values!r} (n={n}, q={q})")
    idx = [slice(None)] * n
    for i, v in zip(S, x):
        idx[i] = v
    sub = mu.p[tuple(idx)]
    free = [i for i in range(n) if i not in S]
    out = np.zeros((n, q))
    for i, v in zip(S, x):
        out[i, v] = 1.0
    mass = float(sub.sum())
    if mass <= 0.0:
        out[free] = 1.0 / q
        return out
    for j, i in enumerate(free):
        axes = tuple(a for a in range(len(free)) if a != j)
        out[i] = sub.sum(axis=axes) / mass if axes else sub / mass
    return out


def run_exactly(policy: Policy, mu, *, max_queries: int = 64) -> tuple[np.ndarray, int]:
    """Exact output law ``A[mu]`` and the most queries on any path (Def 26).

    Parameters
    ----------
    policy : callable
        ``policy(transcript) -> [(prob, move), ...]``; ``transcript`` is a tuple of
        ``(positions, values, answer)`` triples.  Probabilities must be >= 0 and sum
        to 1 (within 1e-9).
    mu : Distribution
        The true law; the oracle answers from it.
    max_queries : int
        Guard against policies that never stop.

    Returns
    -------
    law : ndarray, shape (q,)*n
    queries : int
        The maximum number of queries on a path of positive probability.
    """
    if not callable(policy):
        raise TypeError(f"policy must be a callable policy(transcript), got "
                        f"{type(policy).__name__}")
    mu = as_distribution(mu)
    max_queries = as_int(max_queries, "max_queries", minimum=0)
    law = np.zeros(mu.shape)
    worst = 0

    def rec(transcript: tuple, prob: float) -> None:
        nonlocal worst
        moves = list(policy(transcript))
        total = sum(float(p) for p, _ in moves)
        if not moves or abs(total - 1.0) > 1e-9 or any(p < 0 for p, _ in moves):
            raise ValueError(f"policy must return probabilities >= 0 summing to 1, got "
                             f"total {total!r} after {len(transcript)} queries")
        for p, move in moves:
            if p == 0:
                continue
            if move[0] == "output":
                x = tuple(int(v) for v in move[1])
                if len(x) != mu.n or any(not 0 <= v < mu.q for v in x):
                    raise ValueError(f"output {move[1]!r} is not a string in Sigma^{mu.n}")
                law[x] += prob * p
                worst = max(worst, len(transcript))
            elif move[0] == "query":
                if len(transcript) >= max_queries:
                    raise ValueError(f"policy exceeded max_queries={max_queries}")
                ans = oracle_answer(mu, move[1], move[2])
                rec(transcript + ((tuple(move[1]), tuple(move[2]), ans),), prob * p)
            else:
                raise ValueError(f"unknown move {move[0]!r} (use 'query' or 'output')")

    rec((), 1.0)
    return law, worst


def tv_distance(p, q) -> float:
    """Total variation ``(1/2) sum |p - q|`` of two tables of the same shape."""
    a, b = check_probability_table(p, "p"), check_probability_table(q, "q")
    if a.shape != b.shape:
        raise ValueError(f"tables must have the same shape, got {a.shape} and {b.shape}")
    return 0.5 * float(np.abs(a - b).sum())


def cost(policy: Policy, mu, budget: int, *, kind: Literal["kl", "tv"] = "tv",
         base: float | None = None) -> float:
    """Def 23: ``cost_T(A; mu)`` = KL(mu || A[mu]) or TV(mu, A[mu]) if A uses at most
    ``budget`` queries on ``mu``, else ``+inf``."""
    mu = as_distribution(mu)
    log_base_factor(base)
    budget = as_int(budget, "budget", minimum=0)
    if kind not in ("kl", "tv"):
        raise ValueError(f"kind must be 'kl' or 'tv', got {kind!r}")
    law, used = run_exactly(policy, mu, max_queries=max(budget, 1) + 1)
    if used > budget:
        return math.inf
    if kind == "tv":
        return tv_distance(mu.p, law)
    return kl_divergence(mu.p, law, base=base)


def random_unmasking_policy(sizes: Sequence[int], n: int, q: int) -> Policy:
    """The ``k``-step random unmasking sampler (Def 15) as an F-aware policy (Def 22).

    Query ``t`` asks for the marginals given everything revealed so far; the
    decision node then draws ``S_t`` uniformly among the ``s_t``-subsets of the
    masked positions and ``x_{S_t}`` from the answered marginals (independently).
    Exactly ``k`` queries.
    """
    n = as_int(n, "n", minimum=1)
    q = as_int(q, "q", minimum=2)
    sizes = [as_int(s, "sizes", minimum=1) for s in sizes]
    if sum(sizes) != n:
        raise ValueError(f"sizes must sum to n={n}, got {sizes}")

    def policy(transcript):
        t = len(transcript)
        if t == 0:
            return [(1.0, ("query", (), ()))]
        S, x, ans = transcript[-1]
        masked = [i for i in range(n) if i not in S]
        subsets = list(itertools.combinations(masked, sizes[t - 1]))
        moves = []
        for T in subsets:
            for vals in itertools.product(range(q), repeat=len(T)):
                pr = math.prod(ans[i, v] for i, v in zip(T, vals)) / len(subsets)
                if pr == 0:
                    continue
                newS = S + T
                newx = x + vals
                if t == len(sizes):
                    full = [0] * n
                    for i, v in zip(newS, newx):
                        full[i] = v
                    moves.append((pr, ("output", tuple(full))))
                else:
                    moves.append((pr, ("query", newS, newx)))
        return moves

    return policy


def thm24_prior(n: int, p: int) -> list[tuple[float, Distribution]]:
    """Thm 24's prior ``D = 1/2 delta_U + sum_{d=1}^{n-1} D_d/(2(n-1))``, enumerated.

    ``D_d`` is the random RS code ``RS[n, d]_p + b``, ``b`` uniform on ``F_p^n``
    (Lemma 21).  Returns ``(weight, law)`` pairs: ``1 + (n-1) p^n`` laws.
    """
    from . import families
    from .affine_codes import reed_solomon_affine

    n = as_int(n, "n", minimum=2)
    p = as_int(p, "p", minimum=2)
    if not families.is_prime(p):
        raise ValueError(f"p must be prime, got {p}")
    out = [(0.5, families.uniform(n, p))]
    shifts = list(itertools.product(range(p), repeat=n))
    for d in range(1, n):
        w = 1.0 / (2 * (n - 1) * len(shifts))
        for b in shifts:
            out.append((w, reed_solomon_affine(n, d, p, b)))
    return out


def prior_cost(policy: Policy, prior, budget: Callable[[Distribution], int], *,
               kind: Literal["kl", "tv"] = "tv") -> float:
    """``E_{mu ~ prior} cost_{T}(A; mu)`` exactly (Def 23 averaged as in Thm 24's proof)."""
    if not callable(budget):
        raise TypeError(f"budget must be callable, budget(mu) -> int, got "
                        f"{type(budget).__name__}")
    return float(sum(w * cost(policy, mu, budget(mu), kind=kind) for w, mu in prior))


def thm24_cost_bound(n: int, queries_on_uniform: int) -> float:
    """The proof's bound ``E_D cost >= (1/4)(3/8 - eta)``, ``eta = 4 T(U)/(n-1)`` (Thm 24).

    It is ``>= 1/16`` iff ``T(U) <= (n-1)/32``.
    """
    n = as_int(n, "n", minimum=2)
    T = as_int(queries_on_uniform, "queries_on_uniform", minimum=0)
    return 0.25 * (3.0 / 8.0 - 4.0 * T / (n - 1))
