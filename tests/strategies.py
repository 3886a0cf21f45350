"""Shared Hypothesis strategies for the mdmtheory test-suite.

Import
------
``tests/`` is a package (``tests/__init__.py``), so from any test module::

    from tests.strategies import distributions, family_distributions, any_distributions

This works with pytest's default ``prepend`` import mode (pytest puts the
repository root, the first directory above the ``tests`` package, on
``sys.path``) whether the suite is started with ``pytest`` or
``python -m pytest`` from the repository root.

What is generated
-----------------
All tables are small enough for exact enumeration in the property tests
(``n <= 6``, ``q <= 4``, ``q**n <= 4096`` cells by default).

* :func:`probability_tables` / :func:`distributions` -- random joint tables over
  ``Sigma^n``, drawn by *kind*: dense Dirichlet (with ``alpha`` down to 0.05,
  so many cells are tiny), sparse (a random fraction of cells set to exactly
  zero), whole zero slices (a value of one position that never occurs, so a
  one-position marginal has an exact zero), a few-point support, and point
  masses.  The table is generated from a drawn seed with NumPy (Hypothesis
  cannot shrink a 4096-float array usefully); the seed and kind are written in
  the :class:`~mdmtheory.Distribution` name, so a failing example's repr is
  enough to rebuild it.
* :func:`family_distributions` -- every constructor of :mod:`mdmtheory.families`
  with random parameters (see :data:`FAMILIES`); names carry the parameters.
* :func:`any_distributions` -- either of the two.
* :func:`compositions` -- k-step schedules ``s_1 + ... + s_k = n`` (Def 2 of the paper).
* :func:`revealed_contexts` -- a revealed context ``(U, y_U)`` of positive
  probability under a given distribution (for conditional-oracle tests).

Each strategy takes ``n_min/n_max/q_min/q_max/max_cells`` so a caller can keep
expensive oracles (``dit``, brute force over orders) cheap.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from hypothesis import strategies as st

from mdmtheory import Distribution, families

__all__ = [
    "FAMILIES",
    "TABLE_KINDS",
    "nq_pairs",
    "probability_tables",
    "distributions",
    "family_distributions",
    "any_distributions",
    "compositions",
    "revealed_contexts",
    "BAD_VALUES",
    "bad_values",
]

#: Kinds of random tables drawn by :func:`probability_tables`.
TABLE_KINDS: tuple[str, ...] = ("dirichlet", "sparse", "zero_slice", "few_points", "point_mass")

#: Names of the families drawn by :func:`family_distributions` (every public
#: constructor of :mod:`mdmtheory.families`).
FAMILIES: tuple[str, ...] = (
    "product",
    "uniform",
    "random_dirichlet",
    "markov_chain",
    "markov_chain_per_step",
    "binary_symmetric_chain",
    "hidden_markov",
    "mixture",
    "linear_code",
    "reed_solomon",
    "repetition",
    "parity",
    "ising_chain",
    "potts_chain",
)

_PRIMES = (2, 3, 5, 7, 11, 13)
_SEEDS = st.integers(min_value=0, max_value=2**32 - 1)


def _max_n(q: int, n_max: int, max_cells: int) -> int:
    """Largest ``n <= n_max`` with ``q**n <= max_cells``."""
    n = n_max
    while n > 1 and q**n > max_cells:
        n -= 1
    return n


@st.composite
def nq_pairs(draw, n_min: int = 1, n_max: int = 6, q_min: int = 2, q_max: int = 4,
             max_cells: int = 4096) -> tuple[int, int]:
    """Draw ``(n, q)``: ``n_min <= n <= n_max``, ``q_min <= q <= q_max``, ``q**n <= max_cells``."""
    q = draw(st.integers(q_min, q_max))
    hi = _max_n(q, n_max, max_cells)
    if hi < n_min:  # q too large for the cell budget at n_min: fall back to q_min
        q = q_min
        hi = _max_n(q, n_max, max_cells)
    n = draw(st.integers(n_min, max(n_min, hi)))
    return n, q


def _random_table(rng: np.random.Generator, n: int, q: int, kind: str, alpha: float,
                  zero_frac: float) -> np.ndarray:
    shape = (q,) * n
    size = q**n
    if kind == "point_mass":
        t = np.zeros(size)
        t[rng.integers(size)] = 1.0
    elif kind == "few_points":
        k = int(rng.integers(2, min(size, 5) + 1))
        t = np.zeros(size)
        t[rng.choice(size, size=k, replace=False)] = rng.dirichlet(np.ones(k))
    else:
        t = rng.dirichlet(np.full(size, alpha))
        if kind == "sparse":
            t[rng.random(size) < zero_frac] = 0.0
        elif kind == "zero_slice":
            t = t.reshape(shape)
            idx = [slice(None)] * n
            idx[int(rng.integers(n))] = int(rng.integers(q))
            t[tuple(idx)] = 0.0
            t = t.ravel()
        if not t.sum() > 0:  # everything zeroed (tiny alpha / high zero_frac)
            t[rng.integers(size)] = 1.0
    return (t / t.sum()).reshape(shape)


@st.composite
def probability_tables(draw, n_min: int = 1, n_max: int = 6, q_min: int = 2, q_max: int = 4,
                       max_cells: int = 4096, kinds: Sequence[str] = TABLE_KINDS
                       ) -> np.ndarray:
    """A random valid joint table of shape ``(q,)*n`` (float64, sums to 1), often with zero cells.

    See the module docstring for the kinds.  Returns a plain ``ndarray``; use
    :func:`distributions` for a validated :class:`~mdmtheory.Distribution`.
    """
    return draw(distributions(n_min, n_max, q_min, q_max, max_cells, kinds)).p.copy()


@st.composite
def distributions(draw, n_min: int = 1, n_max: int = 6, q_min: int = 2, q_max: int = 4,
                  max_cells: int = 4096, kinds: Sequence[str] = TABLE_KINDS) -> Distribution:
    """A random :class:`~mdmtheory.Distribution` (see :func:`probability_tables`).

    The name records ``kind``, ``seed``, ``alpha`` and ``zero_frac``, so a
    failing example can be rebuilt from its repr.
    """
    n, q = draw(nq_pairs(n_min, n_max, q_min, q_max, max_cells))
    kind = draw(st.sampled_from(tuple(kinds)))
    seed = draw(_SEEDS)
    alpha = draw(st.sampled_from((0.05, 0.3, 1.0, 5.0)))
    zero_frac = draw(st.sampled_from((0.3, 0.7, 0.95)))
    t = _random_table(np.random.default_rng(seed), n, q, kind, alpha, zero_frac)
    return Distribution(t, name=f"random(n={n}, q={q}, kind={kind}, seed={seed}, "
                                f"alpha={alpha}, zero_frac={zero_frac})", n=n)


def _stochastic(rng: np.random.Generator, rows: int, cols: int, alpha: float = 1.0
                ) -> np.ndarray:
    """Random row-stochastic matrix with strictly positive entries (Dirichlet rows)."""
    m = rng.dirichlet(np.full(cols, alpha), size=rows)
    m = np.maximum(m, 1e-12)
    return m / m.sum(axis=1, keepdims=True)


@st.composite
def family_distributions(draw, names: Sequence[str] = FAMILIES, n_min: int = 1, n_max: int = 6,
                         q_min: int = 2, q_max: int = 4, max_cells: int = 4096
                         ) -> Distribution:
    """A distribution from one of the :mod:`mdmtheory.families` constructors.

    Parameters
    ----------
    names : sequence of str
        Subset of :data:`FAMILIES` to draw from.  ``linear_code`` and
        ``reed_solomon`` need a prime ``q`` (``reed_solomon`` also ``n <= q``);
        they use the primes in ``[q_min, q_max]`` (falling back to ``2`` if
        there is none).  ``ising_chain`` and ``binary_symmetric_chain`` are binary.
    """
    name = draw(st.sampled_from(tuple(names)))
    seed = draw(_SEEDS)
    rng = np.random.default_rng(seed)
    primes = [p for p in _PRIMES if q_min <= p <= q_max] or [2]

    if name in ("ising_chain", "binary_symmetric_chain"):
        n, q = draw(nq_pairs(n_min, n_max, 2, 2, max_cells))
    elif name in ("linear_code", "reed_solomon"):
        q = draw(st.sampled_from(primes))
        hi = _max_n(q, n_max, max_cells)
        if name == "reed_solomon":
            hi = min(hi, q)
        n = draw(st.integers(min(n_min, hi), hi))
    else:
        n, q = draw(nq_pairs(n_min, n_max, q_min, q_max, max_cells))
    tag = f"{name}(n={n}, q={q}, seed={seed}"

    if name == "product":
        alpha = draw(st.sampled_from((0.3, 1.0, 5.0)))
        M = rng.dirichlet(np.full(q, alpha), size=n)
        return families.product(M, name=tag + f", alpha={alpha})")
    if name == "uniform":
        return families.uniform(n, q, name=tag + ")")
    if name == "random_dirichlet":
        alpha = draw(st.sampled_from((0.1, 1.0, 10.0)))
        return families.random_dirichlet(n, q, alpha, seed=seed, name=tag + f", alpha={alpha})")
    if name == "markov_chain":
        T = _stochastic(rng, q, q, draw(st.sampled_from((0.3, 1.0, 5.0))))
        stationary = draw(st.booleans())
        init = None if stationary else rng.dirichlet(np.ones(q))
        return families.markov_chain(n, T, init, name=tag + f", stationary={stationary})")
    if name == "markov_chain_per_step":
        T = np.stack([_stochastic(rng, q, q) for _ in range(n - 1)]) if n > 1 \
            else np.zeros((0, q, q))
        init = rng.dirichlet(np.ones(q)) if draw(st.booleans()) else None
        return families.markov_chain(n, T, init, name=tag + ", per-step)")
    if name == "binary_symmetric_chain":
        flip = draw(st.one_of(st.sampled_from((0.0, 0.1, 0.5, 1.0)),
                              st.floats(0.0, 1.0, allow_nan=False)))
        return families.binary_symmetric_chain(n, flip, name=tag + f", flip={flip!r})")
    if name == "hidden_markov":
        h = draw(st.integers(1, 3))
        T = _stochastic(rng, h, h)
        E = _stochastic(rng, h, q, draw(st.sampled_from((0.3, 1.0))))
        init = rng.dirichlet(np.ones(h)) if draw(st.booleans()) else None
        return families.hidden_markov(n, T, E, init, name=tag + f", h={h})")
    if name == "mixture":
        c = draw(st.integers(1, 3))
        comps = []
        for _ in range(c):
            if rng.random() < 0.5:
                comps.append(families.product(rng.dirichlet(np.full(q, 0.5), size=n)))
            else:
                comps.append(families.random_dirichlet(n, q, 0.5, seed=int(rng.integers(2**31))))
        w = rng.dirichlet(np.ones(c))
        return families.mixture(comps, w, name=tag + f", components={c})")
    if name == "linear_code":
        d = draw(st.integers(1, min(3, n)))
        G = rng.integers(0, q, size=(d, n))
        return families.linear_code(G, q, name=tag + f", G={G.tolist()})")
    if name == "reed_solomon":
        d = draw(st.integers(1, n))
        return families.reed_solomon(n, d, q, name=tag + f", d={d})")
    if name == "repetition":
        return families.repetition(n, q, name=tag + ")")
    if name == "parity":
        return families.parity(n, q, name=tag + ")")
    if name == "ising_chain":
        J = draw(st.floats(-2.0, 2.0, allow_nan=False))
        h = draw(st.floats(-1.0, 1.0, allow_nan=False))
        periodic = draw(st.booleans())
        return families.ising_chain(n, J, h, periodic=periodic,
                                    name=tag + f", J={J!r}, h={h!r}, periodic={periodic})")
    if name == "potts_chain":
        J = draw(st.floats(-2.0, 2.0, allow_nan=False))
        field = rng.normal(size=q) if draw(st.booleans()) else None
        periodic = draw(st.booleans())
        return families.potts_chain(n, q, J, field, periodic=periodic,
                                    name=tag + f", J={J!r}, periodic={periodic})")
    raise AssertionError(f"unknown family {name!r}")  # pragma: no cover


def any_distributions(n_min: int = 1, n_max: int = 6, q_min: int = 2, q_max: int = 4,
                      max_cells: int = 4096) -> st.SearchStrategy[Distribution]:
    """Random tables (:func:`distributions`) or family members (:func:`family_distributions`)."""
    return st.one_of(
        distributions(n_min, n_max, q_min, q_max, max_cells),
        family_distributions(FAMILIES, n_min, n_max, q_min, q_max, max_cells),
    )


@st.composite
def compositions(draw, n: int, k: int | None = None) -> list[int]:
    """A composition of ``n`` (a k-step schedule ``s_1..s_k``, Def 2).

    With ``k`` given, exactly ``k`` parts (``1 <= k <= n``); otherwise ``k`` is
    drawn too.  Cut points are a uniform-ish subset of ``{1..n-1}``.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if k is None:
        k = draw(st.integers(1, n))
    if not 1 <= k <= n:
        raise ValueError(f"k must be in [1, n={n}], got {k}")
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), min_size=k - 1, max_size=k - 1))) \
        if k > 1 else []
    bounds = [0, *cuts, n]
    return [b - a for a, b in zip(bounds[:-1], bounds[1:])]


@st.composite
def revealed_contexts(draw, mu: Distribution, min_size: int = 0, max_size: int | None = None
                      ) -> dict[int, int]:
    """A revealed context ``{position: value}`` with positive probability under ``mu``.

    The values are those of one sequence in the support of ``mu``, so the
    conditional oracle is defined.  ``min_size <= |U| <= max_size`` (default ``n``).
    """
    max_size = mu.n if max_size is None else min(max_size, mu.n)
    support = np.flatnonzero(mu.p.ravel())
    flat = int(support[draw(st.integers(0, support.size - 1))])
    x = np.unravel_index(flat, mu.shape)
    size = draw(st.integers(min(min_size, max_size), max_size))
    U = draw(st.permutations(range(mu.n)))[:size]
    return {int(i): int(x[i]) for i in U}



# ============================================================================ bad input
#: Canonical invalid values for each *kind* of argument (see :func:`bad_values`).  Every
#: value here is invalid for every argument of that kind, whatever the callable; values
#: that are invalid only for some callables (``0`` for a count that may be empty) are
#: added by the caller.  ``None`` is never listed (it is the default of many optional
#: arguments).
_NAN, _INF = float("nan"), float("inf")
BAD_VALUES: dict[str, tuple] = {
    # integers: never truncated, never a bool, a string or a complex number
    "count": (-1, 2.5, _NAN, _INF, True, "3", 1 + 0j, [2], np.float64(1.5)),
    # a count that sizes an allocation or a loop: also astronomically large
    "size": (-1, 2.5, _NAN, _INF, True, "3", 1 + 0j, [2], 10**30),
    "real": (_NAN, _INF, -_INF, 1j, "0.5", True),
    "positive": (0, -1.0, _NAN, _INF, 1j, "0.5", True),
    "nonneg": (-1e-3, -_INF, _NAN, 1j, "0.5", True),
    "tol": (-1e-3, _NAN, _INF, 1j, "0.5", True),
    "prob": (-0.1, 1.5, _NAN, _INF, 1j, "0.5", True),
    "level": (0.0, 1.0, -0.5, 1.5, _NAN, 1j, "0.9", True),
    "base": (0, 1, -2.0, _NAN, _INF, "two", 1j, True),
    "choice": ("nonsense", 3, b"x", ("a",)),
    "seed": (-1, 2.5, "x", 1j, [_NAN]),
    "dist": (
        np.array([[0.5, _NAN], [0.25, 0.25]]),
        np.array([[0.5, 0.6], [0.0, 0.0]]),
        np.array([[1.5, -0.5], [0.0, 0.0]]),
        np.array([[0.25, 0.25], [0.25, 0.25]], dtype=complex),
        "uniform", 3,
    ),
    "prob_vector": ([_NAN, 1.0], [0.5, 0.6], [1.5, -0.5], np.array([0.5, 0.5], dtype=complex),
                    "ab", [[0.5, 0.5]] * 0, [True, False]),
    "stochastic": ([[0.5, 0.6], [0.5, 0.5]], [[1.5, -0.5], [0.5, 0.5]],
                   [[_NAN, 0.5], [0.5, 0.5]], np.eye(2, dtype=complex) * 0.5 + 0.25,
                   [[0.5, 0.5]] * 3, "T"),
    # conditionals (..., q) of a model: any shape whose last axis is a probability vector
    "cond_probs": ([[0.5, 0.6], [0.5, 0.5]], [[1.5, -0.5], [0.5, 0.5]],
                   [[_NAN, 0.5], [0.5, 0.5]], np.eye(2, dtype=complex) * 0.5 + 0.25, "T"),
    "curve": ([0.0, 1.0, 0.5, 2.0], [1.0, 1.5, 2.0, 2.5], [0.0, _NAN, 1.0, 2.0],
              [0.0, 0.1, _INF, 1.0], np.array([0.0, 0.1, 0.2, 0.3]) + 0j, [[0.0, 0.1, 0.2, 0.3]],
              [], "Z"),
    "profile": ([0.0, 1.0, 3.0, 6.0, 10.0], [0.0, -1.0, -2.0, -3.0, -4.0],
                [0.0, 1.0, _NAN, 2.0, 2.5], [1.0, 1.5, 1.8, 1.9, 2.0],
                np.array([0.0, 1.0, 1.5, 1.8, 1.9]) + 0j, []),
    "schedule": ([1.5, 2.5], [0, 4], [-1, 5], [], [True, 3], "22", [np.nan, 2]),
    # a schedule that must also cover the n = 4 positions of the fuzz world
    "schedule4": ([1.5, 2.5], [0, 4], [-1, 5], [], [True, 3], "22", [np.nan, 2], [1, 1], [5, 5]),
    "positions": ([-1], [0.5], [99], [0, 0], ["a"], [True]),
    "tokens": ([[0, 1, 0, -1]], [[0, 1, 0, 2]], [[0, 0.5, 0, 1]], [[0, _NAN, 0, 1]],
               np.array([[0, 1, 0, 1]]) + 0j),
    "callable": ("model", 3, 1j),
    "bool": (2, "yes", _NAN),
}


def bad_values(kind: str) -> st.SearchStrategy:
    """A Hypothesis strategy of values that are invalid for every argument of ``kind``.

    Draws the canonical values of :data:`BAD_VALUES` and, for numeric kinds, random
    values out of the domain (negative counts, non-integral floats, reals outside
    ``[0, 1]`` for probabilities, negative tolerances, ...).
    """
    canon = st.sampled_from(BAD_VALUES[kind])
    nan_inf = st.sampled_from((_NAN, _INF, -_INF))
    if kind in ("count", "size"):
        frac = st.floats(-1e6, 1e6, allow_nan=False).filter(lambda v: v != int(v))
        neg = st.integers(max_value=-1)
        extra = st.one_of(frac, neg, nan_inf, st.complex_numbers(allow_nan=False)
                          .filter(lambda c: c.imag != 0))
        if kind == "size":
            extra = st.one_of(extra, st.integers(10**25, 10**40))
        return st.one_of(canon, extra)
    if kind == "prob":
        out = st.one_of(st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False),
                        st.floats(min_value=1 + 1e-9, allow_nan=False, allow_infinity=False))
        return st.one_of(canon, out, nan_inf)
    if kind == "level":
        out = st.one_of(st.floats(max_value=0.0, allow_nan=False, allow_infinity=False),
                        st.floats(min_value=1.0, allow_nan=False, allow_infinity=False))
        return st.one_of(canon, out, nan_inf)
    if kind in ("tol", "nonneg"):
        return st.one_of(canon, st.floats(max_value=-1e-12, allow_nan=False,
                                          allow_infinity=False))
    if kind == "positive":
        return st.one_of(canon, st.floats(max_value=0.0, allow_nan=False,
                                          allow_infinity=False))
    if kind == "base":
        return st.one_of(canon, st.floats(max_value=0.0, allow_nan=False, allow_infinity=False))
    if kind == "curve":
        dec = st.lists(st.floats(-10, 10, allow_nan=False), min_size=4, max_size=4).filter(
            lambda z: z[0] == 0.0 and min(np.diff(z)) < -1e-6).map(list)
        return st.one_of(canon, dec)
    return canon
