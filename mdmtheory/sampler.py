"""The sampler of Def 1 / Def 15 (arXiv Def. 1.1), exactly and by Monte Carlo.

This module simulates the sampler itself -- it never uses the information
curve -- so it is an independent check of Theorem 1.4
(:func:`mdmtheory.schedule.left_riemann_error`).

Sampler (Def 15)
----------------
At step ``t`` a uniform random ``s_t``-subset ``S_t`` of the still-masked
positions is revealed; each ``i in S_t`` independently gets
``Y_i ~ mu(X_i = . | X_{U_t} = Y_{U_t})`` with ``U_t = S_1 u ... u S_{t-1}``.
Equivalently ``S_t = pi({a_t..b_t})`` for one uniform permutation ``pi``.
For fixed sets the output law is ``nu^S(y) = prod_t prod_{i in S_t} mu(y_i | y_{U_t})``.

Exact functions (small ``n``, dense ``mu``)
------------------------------------------
* :func:`output_law` -- the table ``nu^{S_1..S_k}`` for given position sets.
* :func:`exact_sampler_errors` -- enumerates *every* position-set sequence
  (``n! / prod_t s_t!`` of them, all equally likely) and returns
  ``E_S KL(mu || nu^S)`` (Def. 1.1, = Thm 1.4's error), the randomised
  sampler's true output law ``E_S nu^S`` and ``KL(mu || E_S nu^S)`` (Def 15,
  "Convexity", item 20: the latter is never larger).

Monte Carlo (any conditional oracle)
------------------------------------
A *conditional oracle* is a callable ``oracle(tokens, revealed) -> probs`` with
``tokens`` an ``(B, n)`` int64 array (masked entries hold ``-1`` and must be
ignored), ``revealed`` an ``(B, n)`` bool array, returning ``(B, n, q)``
conditional marginals ``mu(X_i = . | X_U = tokens_U)`` for every position (one
forward pass of a perfect MDM).  :class:`DistributionOracle` is the exact oracle
of a :class:`~mdmtheory.Distribution`; a learned model is wrapped the same way.

* :func:`sample` -- vectorised, seeded draws from the randomised sampler.
* :func:`log_output_probability` -- ``log nu^S(x)`` for given ``x`` and orders
  (teacher forcing: ``k`` oracle calls).
* :func:`monte_carlo_expected_kl` -- ``E_{x~mu, S}[log mu(x) - log nu^S(x)]``
  with a Student-t confidence interval.

Zero-probability contexts
-------------------------
Tokens revealed in the same step are independent, so the sampler can reach a
context ``y_U`` with ``mu(y_U) = 0`` (e.g. two positions of a parity code), where
the oracle is undefined.  The exact oracle then returns the *uniform*
distribution (``null_context='uniform'``, like a softmax with no information;
``'raise'`` refuses).  The choice changes ``nu^S`` only off the support of
``mu``; both KLs above evaluate ``nu`` on the support of ``mu`` only, where
every context has positive mass, so they do not depend on it.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np

from ._validation import (
    as_bool,
    as_choice,
    as_int,
    as_int_array,
    as_level,
    as_optional_int,
    as_positions,
    as_seed,
    as_tokens,
    check_nbytes,
    check_table_size,
    get_max_table_bytes,
    log_base_factor,
    show,
)
from .distribution import Distribution, as_distribution
from .information import kl_divergence
from .oracle import DistributionOracle
from .schedule import as_schedule

__all__ = [
    "ConditionalOracle",
    "DistributionOracle",
    "as_oracle",
    "position_set_sequences",
    "number_of_position_set_sequences",
    "output_law",
    "kl_divergence",
    "SamplerErrors",
    "exact_sampler_errors",
    "exact_expected_kl",
    "sampler_output_law",
    "sample",
    "random_orders",
    "log_output_probability",
    "chain_rule_log_probability",
    "MonteCarloEstimate",
    "monte_carlo_expected_kl",
]

ConditionalOracle = Callable[[np.ndarray, np.ndarray], np.ndarray]

#: Accepted ``|sum_v p(v) - 1|`` of an oracle's output rows.  A float32 softmax
#: over a vocabulary of ~1e5 sums to 1 within ~1e-5; rows are renormalised.
ORACLE_SUM_ATOL = 1e-4

#: Default cap on the number of position-set sequences enumerated exactly.
MAX_SEQUENCES = 200_000


# ============================================================================ oracle
def as_oracle(model) -> ConditionalOracle:
    """A :class:`DistributionOracle` for a distribution, else the callable itself."""
    if isinstance(model, (Distribution, DistributionOracle)):
        return model if isinstance(model, DistributionOracle) else DistributionOracle(
            model, null_context="uniform")
    if callable(model):
        return model
    if isinstance(model, np.ndarray):
        return DistributionOracle(model, null_context="uniform")
    raise ValueError("model must be a Distribution or a conditional-oracle callable, got "
                     f"{type(model).__name__} {show(model)}")


def _call_oracle(oracle: ConditionalOracle, tokens: np.ndarray, revealed: np.ndarray,
                 q: int | None) -> np.ndarray:
    probs = np.asarray(oracle(tokens, revealed), dtype=np.float64)
    B, n = tokens.shape
    if probs.ndim != 3 or probs.shape[:2] != (B, n) or (q is not None and probs.shape[2] != q):
        want = f"({B}, {n}, {q if q is not None else 'q'})"
        raise ValueError(f"the oracle must return an array of shape {want}, got {probs.shape}")
    if not np.all(np.isfinite(probs)) or (probs < 0).any():
        raise ValueError("the oracle returned negative, NaN or infinite probabilities")
    sums = probs.sum(axis=2)
    if np.any(np.abs(sums - 1.0) > ORACLE_SUM_ATOL):
        raise ValueError(f"the oracle's rows must sum to 1 (tolerance {ORACLE_SUM_ATOL:g}); "
                         f"found a row summing to {sums.flat[np.argmax(np.abs(sums - 1))]!r}")
    return probs / sums[..., None]


# ============================================================================ exact
def number_of_position_set_sequences(schedule) -> int:
    """``n! / prod_t s_t!``: the number of equally likely sequences ``(S_1..S_k)``."""
    s = as_schedule(schedule)
    out = math.factorial(s.n)
    for x in s.sizes.tolist():
        out //= math.factorial(x)
    return out


def position_set_sequences(schedule) -> Iterator[tuple[tuple[int, ...], ...]]:
    """Every ordered set partition ``(S_1, ..., S_k)`` of ``{0..n-1}`` with ``|S_t| = s_t``.

    Each has probability ``prod_t s_t! / n!`` under the sampler (uniform
    ``S_t`` among the ``s_t``-subsets of the masked positions).  Sets are sorted
    tuples of 0-based positions.
    """
    s = as_schedule(schedule)
    sizes = s.sizes.tolist()

    def rec(t: int, left: tuple[int, ...]):
        if t == len(sizes):
            yield ()
            return
        for S in itertools.combinations(left, sizes[t]):
            rest = tuple(i for i in left if i not in S)
            for tail in rec(t + 1, rest):
                yield (S,) + tail

    yield from rec(0, tuple(range(s.n)))


def _check_position_sets(position_sets, n: int) -> list[list[int]]:
    if isinstance(position_sets, (str, bytes)) or not hasattr(position_sets, "__iter__"):
        raise ValueError(f"position_sets must be a sequence of position sets, got "
                         f"{show(position_sets)}")
    sets = [sorted(as_positions(S, "position_sets", n)) for S in position_sets]
    flat = [i for S in sets for i in S]
    if any(len(S) == 0 for S in sets):
        raise ValueError("every position set must be non-empty")
    if sorted(flat) != list(range(n)):
        raise ValueError(f"the position sets must partition {{0..{n-1}}}; got {sets}")
    return sets


#: Cap on the work of an exact enumeration, in table-cell operations
#: (``#sequences * n * q^n``); about a minute of NumPy on one core.
MAX_EXACT_WORK = 2**34


class _LawBuilder:
    """Builds ``nu^S`` tables for one ``mu`` from exact conditional factors.

    The factor ``mu(y_i | y_U)`` of every ``y`` at once is the ratio of two marginals
    of the table, broadcast to ``(q,)*n``; no ``(q^n, n, q)`` oracle output is ever
    formed.  Factors are memoised per ``(U, i)`` within a byte budget ``cache_bytes``
    (the cache is cleared when full), so memory stays bounded whatever the schedule.
    """

    def __init__(self, mu: Distribution, null_context: str, cache_bytes: float = 0.0):
        self.mu = mu
        self.null_context = as_choice(null_context, "null_context", ("uniform", "raise"))
        self._factor: dict[tuple[int, int], np.ndarray] = {}
        self._cap = int(cache_bytes // max(mu.p.nbytes, 1))

    def _marginal(self, mask: int) -> np.ndarray:
        axes = tuple(a for a in range(self.mu.n) if not (mask >> a) & 1)
        return self.mu.p.sum(axis=axes, keepdims=True) if axes else self.mu.p

    def factor(self, mask: int, i: int) -> np.ndarray:
        """``mu(y_i | y_U)`` for every ``y``, shape ``(q,)*n`` (a broadcast view or a table)."""
        key = (mask, i)
        f = self._factor.get(key)
        if f is not None:
            return f
        den = self._marginal(mask)
        num = self._marginal(mask | (1 << i))
        zero = den <= 0
        if zero.any() and self.null_context == "raise":
            raise ValueError("a revealed context has probability zero under mu; its "
                             "conditionals are undefined (use null_context='uniform')")
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(zero, 1.0 / self.mu.q, num / np.where(zero, 1.0, den))
        if self._cap > 0:
            if len(self._factor) >= self._cap:
                self._factor.clear()
            self._factor[key] = f
        return f

    def law(self, sets: list[list[int]], out: np.ndarray | None = None) -> np.ndarray:
        nu = np.ones(self.mu.shape) if out is None else out
        if out is not None:
            nu.fill(1.0)
        mask = 0
        for S in sets:
            for i in S:
                nu *= self.factor(mask, i)
            for i in S:
                mask |= 1 << i
        return nu


def output_law(dist, position_sets: Sequence[Sequence[int]], *,
               null_context: str = "uniform") -> np.ndarray:
    """The sampler's output law ``nu^{S_1..S_k}`` for fixed position sets (Def 14).

    ``nu(y) = prod_t prod_{i in S_t} mu(y_i | y_{U_t})`` with the exact oracle of
    ``mu`` (zero-probability contexts: see the module docstring).

    Parameters
    ----------
    dist : Distribution
    position_sets : sequence of sequences of int
        ``S_1, ..., S_k``: a partition of ``{0, ..., n-1}`` (0-based positions).

    Returns
    -------
    ndarray, shape (q,)*n
        A probability table.
    """
    mu = as_distribution(dist)
    sets = _check_position_sets(position_sets, mu.n)
    # the law and one factor's temporaries (the table itself already exists)
    check_table_size(mu.q, mu.n, copies=3, what="output law")
    return _LawBuilder(mu, null_context).law(sets)


@dataclass(frozen=True)
class SamplerErrors:
    """Result of :func:`exact_sampler_errors`.

    Attributes
    ----------
    expected_kl : float
        ``E_S KL(mu || nu^S)`` (Def. 1.1; Thm 1.4 says it equals the left
        Riemann error).
    output_kl : float
        ``KL(mu || E_S nu^S)``: the KL of what the randomised sampler actually
        outputs (``<= expected_kl`` by convexity of KL).
    law : ndarray, shape (q,)*n
        ``E_S nu^S``, the randomised sampler's output law.
    kls : ndarray, shape (number of sequences,)
        ``KL(mu || nu^S)`` for every position-set sequence, in the order of
        :func:`position_set_sequences`.
    num_sequences : int
    """

    expected_kl: float
    output_kl: float
    law: np.ndarray
    kls: np.ndarray
    num_sequences: int


def exact_sampler_errors(dist, schedule, *, base: float | None = None,
                         max_sequences: int = MAX_SEQUENCES,
                         null_context: str = "uniform") -> SamplerErrors:
    """Exact errors of the sampler by enumerating every position-set sequence.

    Parameters
    ----------
    dist : Distribution
        Target ``mu`` (small: the cost is ``#sequences * k * q^n``).
    schedule : Schedule or sequence of int
    base : float, optional
        Log base of the KLs (default nats).
    max_sequences : int
        Refuse (``ValueError``) when ``n!/prod s_t!`` exceeds this.

    Notes
    -----
    Nothing here uses the information curve: each ``nu^S`` is built from the
    oracle and its KL is summed directly, so ``expected_kl`` is an independent
    check of Thm 4 (Thm 16).

    Each ``nu^S`` is a product of conditionals computed in float64 linear space.
    For a law with probabilities near the bottom of the float range (below about
    ``1e-150``) a product of two such conditionals underflows to 0 on a state that
    ``mu`` charges, and that sequence's KL is reported as ``inf`` although its exact
    value is finite (and tiny).  Counterexample kept in the tests: the binary
    symmetric chain with ``n = 3``, ``flip = 2.93e-193`` and schedule ``[1, 2]``
    gives ``inf`` here while Thm 4 gives ``0`` to float precision.
    """
    factor = log_base_factor(base)
    mu = as_distribution(dist)
    s = as_schedule(schedule, mu.n)
    null_context = as_choice(null_context, "null_context", ("uniform", "raise"))
    max_sequences = as_int(max_sequences, "max_sequences", minimum=1)
    count = number_of_position_set_sequences(s)
    if count > max_sequences:
        raise ValueError(f"schedule {s.tolist()} has {count:,} position-set sequences, more "
                         f"than max_sequences={max_sequences:,}; use monte_carlo_expected_kl")
    work = float(count) * mu.n * mu.p.size
    if work > MAX_EXACT_WORK:
        raise ValueError(f"exact enumeration for schedule {s.tolist()} on q^n = {mu.p.size:,} "
                         f"cells needs about {work:.3g} cell operations (cap "
                         f"{MAX_EXACT_WORK:.3g}); use monte_carlo_expected_kl")
    # held at once: law, nu, log p and the support mask (~3.2 tables) plus one factor and
    # its temporaries (~3 tables); the rest of the budget memoises factors
    fixed = 7
    check_table_size(mu.q, mu.n, copies=fixed, what="exact sampler enumeration")
    check_nbytes(8.0 * count, what=f"the KLs of {count:,} position-set sequences")
    cache = get_max_table_bytes() - fixed * mu.p.nbytes - 8.0 * count
    builder = _LawBuilder(mu, null_context, cache_bytes=cache)
    p = mu.p.ravel()
    supp = p > 0
    logp = np.log(p[supp])
    law = np.zeros(p.size)
    nu = np.empty(mu.shape)
    kls = np.empty(count)
    for r, sets in enumerate(position_set_sequences(s)):
        builder.law([list(S) for S in sets], out=nu)
        flat = nu.reshape(-1)
        law += flat
        nus = flat[supp]
        kls[r] = math.inf if np.any(nus <= 0) else float(np.sum(p[supp] * (logp - np.log(nus))))
    law /= count
    f = factor
    return SamplerErrors(expected_kl=float(kls.mean()) / f,
                         output_kl=kl_divergence(p, law) / f,
                         law=law.reshape(mu.shape), kls=kls / f, num_sequences=count)


def exact_expected_kl(dist, schedule, *, base: float | None = None,
                      max_sequences: int = MAX_SEQUENCES) -> float:
    """``E_S KL(mu || nu^S)`` by enumeration (Def. 1.1; see :func:`exact_sampler_errors`)."""
    return exact_sampler_errors(dist, schedule, base=base, max_sequences=max_sequences).expected_kl


def sampler_output_law(dist, schedule, *, max_sequences: int = MAX_SEQUENCES) -> np.ndarray:
    """``E_S nu^S``: the randomised sampler's output law, exactly (shape ``(q,)*n``)."""
    return exact_sampler_errors(dist, schedule, max_sequences=max_sequences).law


# ============================================================================ Monte Carlo
def random_orders(size: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` independent uniform permutations of ``{0..n-1}``, shape ``(size, n)``."""
    size = as_int(size, "size", minimum=0)
    n = as_int(n, "n", minimum=1)
    check_nbytes(16.0 * size * n, what=f"{size:,} random orders of n={n} positions")
    rng = as_seed(rng, "rng")
    return np.argsort(rng.random((size, n)), axis=1, kind="stable")


def _infer_nq(oracle, n, q):
    n = as_optional_int(n, "n", minimum=1)
    q = as_optional_int(q, "q", minimum=2)
    if isinstance(oracle, DistributionOracle):
        if n is not None and n != oracle.n:
            raise ValueError(f"n={n} but the distribution has n={oracle.n}")
        if q is not None and q != oracle.q:
            raise ValueError(f"q={q} but the distribution has q={oracle.q}")
        return oracle.n, oracle.q
    if n is None:
        raise ValueError("n is required for a callable oracle")
    return as_int(n, "n", minimum=1), (None if q is None else as_int(q, "q", minimum=2))


def sample(model, schedule, size: int, *, rng=None, n: int | None = None,
           q: int | None = None, return_orders: bool = False):
    """Draw sequences from the randomised sampler of Def 15 (vectorised, seeded).

    Parameters
    ----------
    model : Distribution or conditional oracle
        A callable ``oracle(tokens, revealed) -> (B, n, q)`` (module docstring).
    schedule : Schedule or sequence of int
    size : int
        Number of sequences ``B`` (one batch: ``k`` oracle calls of batch ``B``).
    rng : numpy Generator or seed
    n, q : int, optional
        Required (``n``) for a callable oracle; taken from a distribution.
    return_orders : bool
        Also return the permutations ``pi`` (``S_t = pi[a_t-1 : b_t]``).

    Returns
    -------
    tokens : ndarray of int64, shape (size, n)
    orders : ndarray of int64, shape (size, n), if ``return_orders``
    """
    oracle = as_oracle(model)
    n, q = _infer_nq(oracle, n, q)
    s = as_schedule(schedule, n)
    size = as_int(size, "size", minimum=0)
    return_orders = as_bool(return_orders, "return_orders")
    # tokens, orders, revealed and the oracle output of one call (B x n x q floats)
    check_nbytes(8.0 * size * n * (3 + (q or 2)), what=f"a batch of size={size:,} with n={n}")
    rng = as_seed(rng, "rng")
    orders = random_orders(size, n, rng)
    tokens = np.full((size, n), -1, dtype=np.int64)
    revealed = np.zeros((size, n), dtype=bool)
    rows = np.arange(size)[:, None]
    for a, b in zip(s.starts.tolist(), s.ends.tolist()):
        if size == 0:
            break
        probs = _call_oracle(oracle, tokens, revealed, q)
        q = probs.shape[2]
        S = orders[:, a - 1:b]  # (B, s_t)
        P = np.take_along_axis(probs, S[:, :, None], axis=1)  # (B, s_t, q)
        cdf = np.cumsum(P, axis=2)
        u = rng.random(S.shape)[:, :, None] * cdf[:, :, -1:]
        v = np.minimum((cdf <= u).sum(axis=2), q - 1)
        tokens[rows, S] = v
        revealed[rows, S] = True
    return (tokens, orders) if return_orders else tokens


def log_output_probability(model, x, schedule, orders, *, q: int | None = None) -> np.ndarray:
    """``log nu^S(x)`` for each row of ``x`` and its order (teacher forcing, ``k`` calls).

    ``nu^S(x) = prod_t prod_{i in S_t} p(x_i | x_{U_t})`` with
    ``S_t = orders[b, a_t-1 : b_t]``.  Returns ``-inf`` where a factor is zero.
    """
    oracle = as_oracle(model)
    x = as_int_array(x, "x", minimum=0)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (B, n), got {x.shape}")
    B, n = x.shape
    n, q = _infer_nq(oracle, n, q)
    if q is not None:
        x = as_tokens(x, "x", q)
    s = as_schedule(schedule, n)
    orders = _check_orders(orders, B, n)
    revealed = np.zeros((B, n), dtype=bool)
    rows = np.arange(B)[:, None]
    out = np.zeros(B)
    with np.errstate(divide="ignore"):
        for a, b in zip(s.starts.tolist(), s.ends.tolist()):
            tokens = np.where(revealed, x, -1)
            probs = _call_oracle(oracle, tokens, revealed, q)
            S = orders[:, a - 1:b]
            pv = probs[rows, S, x[rows, S]]
            out += np.log(pv).sum(axis=1)
            revealed[rows, S] = True
    return out


def chain_rule_log_probability(model, x, orders, *, q: int | None = None) -> np.ndarray:
    """``log mu(x) = sum_r log p(x_{pi_r} | x_{pi_<r})``: one position per step (``n`` calls).

    Exact for an exact oracle under any order (the chain rule); for a learned
    model it is the model's likelihood along ``orders``.
    """
    x = as_int_array(x, "x", minimum=0)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (B, n), got {x.shape}")
    return log_output_probability(model, x, [1] * x.shape[1], orders, q=q)


def _check_orders(orders, B, n) -> np.ndarray:
    o = as_int_array(orders, "orders")
    if o.shape != (B, n):
        raise ValueError(f"orders must have shape ({B}, {n}), got {o.shape}")
    if not np.array_equal(np.sort(o, axis=1), np.broadcast_to(np.arange(n), (B, n))):
        raise ValueError("each row of orders must be a permutation of 0..n-1")
    return o.astype(np.int64, copy=False)


@dataclass(frozen=True)
class MonteCarloEstimate:
    """A Monte Carlo mean with its confidence interval (Student t).

    Attributes
    ----------
    mean, stderr : float
    low, high : float
        ``mean -/+ (t_{(1+confidence)/2, N-1} * stderr + 1e-12 * mean|values|)``;
        the second term is a floating-point slack that matters only for
        (near-)zero variance.
    confidence : float
    num_samples : int
    """

    mean: float
    stderr: float
    low: float
    high: float
    confidence: float
    num_samples: int

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def _estimate(values: np.ndarray, confidence: float) -> MonteCarloEstimate:
    from scipy.stats import t as student_t

    N = values.size
    mean = float(values.mean())
    if N < 2:
        return MonteCarloEstimate(mean, math.inf, -math.inf, math.inf, confidence, N)
    se = float(values.std(ddof=1)) / math.sqrt(N)
    if not math.isfinite(mean):
        return MonteCarloEstimate(mean, math.inf, mean, mean, confidence, N)
    # + a floating-point slack: each value is a sum of ~2n logs, accurate to ~1e-15
    # relative; this matters only when the variance is (near) zero, e.g. codes.
    slack = 1e-12 * float(np.abs(values).mean())
    half = float(student_t.ppf(0.5 + confidence / 2, N - 1)) * se + slack
    return MonteCarloEstimate(mean, se, mean - half, mean + half, confidence, N)


def monte_carlo_expected_kl(model, schedule, num_samples: int | None = None, *,
                            samples=None, log_prob: Callable[[np.ndarray], np.ndarray] | None = None,
                            rng=None, confidence: float = 0.95, batch_size: int = 4096,
                            base: float | None = None, q: int | None = None
                            ) -> MonteCarloEstimate:
    """Monte Carlo estimate of ``E_S KL(mu || nu^S)`` (Def. 1.1) with a confidence interval.

    Each sample pairs ``x ~ mu`` with an independent uniform order ``pi`` and
    contributes ``log mu(x) - log nu^S(x)``; its mean is exactly
    ``E_S KL(mu || nu^S)`` (Fubini), so the estimator is unbiased.

    Parameters
    ----------
    model : Distribution or conditional oracle
        With a distribution, ``x`` is drawn from it and ``log mu(x)`` read from
        the table.  With a callable oracle, pass ``samples`` (data ``x ~ mu``).
    schedule : Schedule or sequence of int
    num_samples : int, optional
        Number of ``(x, pi)`` pairs (distribution only; default 10_000).
    samples : array_like of int, shape (N, n), optional
        Sequences ``x ~ mu`` (required for a callable oracle).
    log_prob : callable, optional
        ``log mu(x)`` for an ``(B, n)`` batch.  Without it (callable oracle),
        ``log mu(x)`` is computed by the oracle's chain rule along the *same*
        order ``pi`` (``n`` extra calls per batch; exact for an exact oracle).
        Sharing the order couples the two terms: per sample the difference is
        ``sum_t [log p(x_{S_t}|x_{U_t}) - sum_{i in S_t} log p(x_i|x_{U_t})]``,
        whose mean is ``sum_t TC(X_{S_t}|X_{U_t})`` (item 8), with low variance.
    rng : numpy Generator or seed
    confidence : float
        Coverage of the Student-t interval (CLT; the summands are bounded by
        ``n log(1/min oracle prob)``).
    batch_size : int
    base : float, optional
        Log base of the result (default nats).

    Returns
    -------
    MonteCarloEstimate
    """
    confidence = as_level(confidence, "confidence")
    factor = log_base_factor(base)
    oracle = as_oracle(model)
    rng = as_seed(rng, "rng")
    batch_size = as_int(batch_size, "batch_size", minimum=1)
    num_samples = as_optional_int(num_samples, "num_samples", minimum=1)
    q = as_optional_int(q, "q", minimum=2)
    if log_prob is not None and not callable(log_prob):
        raise ValueError(f"log_prob must be a callable, got {show(log_prob)}")
    is_dist = isinstance(oracle, DistributionOracle)
    if samples is None:
        if not is_dist:
            raise ValueError("a callable oracle needs samples x ~ mu (samples=...)")
        N = 10_000 if num_samples is None else num_samples
        check_nbytes(8.0 * N * (oracle.n + 3), what=f"{N:,} Monte Carlo samples")
        x = oracle.mu.sample(N, rng)
    else:
        x = as_int_array(samples, "samples", minimum=0)
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError(f"samples must have shape (N, n) with N >= 1, got {x.shape}")
        if num_samples is not None and num_samples != x.shape[0]:
            raise ValueError("give either num_samples or samples, not conflicting both")
        x = x.astype(np.int64)
    N, n = x.shape
    if is_dist:
        if n != oracle.n:
            raise ValueError(f"samples have n={n}, the distribution has n={oracle.n}")
        if q is not None and q != oracle.q:
            raise ValueError(f"q={q} but the distribution has q={oracle.q}")
        q = oracle.q
    if q is not None and ((x < 0).any() or (x >= q).any()):
        raise ValueError(f"samples must be tokens in [0, {q})")
    s = as_schedule(schedule, n)
    vals = np.empty(N)
    for lo in range(0, N, batch_size):
        xb = x[lo:lo + batch_size]
        ob = random_orders(xb.shape[0], n, rng)
        lnu = log_output_probability(oracle, xb, s, ob, q=q)
        if log_prob is not None:
            lmu = np.asarray(log_prob(xb), dtype=np.float64).reshape(xb.shape[0])
        elif is_dist:
            lmu = np.log(oracle.mu.p[tuple(xb.T)])
        else:
            lmu = chain_rule_log_probability(oracle, xb, ob, q=q)
        vals[lo:lo + xb.shape[0]] = lmu - lnu
    return _estimate(vals / factor, confidence)
