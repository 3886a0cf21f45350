"""Affine codes: the balanced random RS family (Def 18, Lemma 21) and Thm 25's products.

* :func:`affine_code` -- the uniform law on ``C + b`` for a linear code ``C`` and a
  shift ``b`` (the paper also calls affine shifts of MDS/RS codes "MDS/RS codes",
  Defs 17, 19).
* :func:`balance_deviation` -- Def 18 checked exactly for the random code
  ``D_d``: ``V = C + b`` with ``C`` a fixed ``[n, d]`` code and ``b`` uniform on
  ``F_p^n``.  Lemma 21 never defines ``D_d`` (erratum E7); with this definition
  it is balanced: for ``|S| >= d``, ``C_S`` has ``p^d`` points (MDS) and ``b_S`` is
  uniform, so ``P[x in C_S + b_S] = p^(d - |S|)``.  A law on *linear* codes is
  never balanced (``0`` is in every ``V``).
* :func:`product_with_code` -- Thm 25's ``mu* x Unif(V)`` on ``(Sigma x F_p)^n``:
  coordinate ``i`` carries ``(X*_i, Y_i)``, symbol ``x * p + y``.  Its curve is
  ``Z(mu*) + log p * 1[j > d]`` (the up-shift ``Z^{up d}``; the proof drops the
  ``log2 q`` factor, erratum E9), TC shifts by ``(n - d) log p`` and DTC by
  ``d log p``.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import families
from .distribution import Distribution, as_distribution
from .structured.codes import check_generator, rank_mod_p
from ._validation import as_int, check_table_size, log_base_factor, show
from .schedule import validate_curve

__all__ = [
    "affine_code",
    "balance_deviation",
    "unshifted_balance_deviation",
    "product_with_code",
    "up_shift_curve",
]


def _codewords(G: np.ndarray, p: int) -> np.ndarray:
    """All ``p^d`` codewords ``u G`` (rows), as int64."""
    d = G.shape[0]
    U = np.array(list(itertools.product(range(p), repeat=d)), dtype=np.int64).reshape(-1, d)
    return (U @ G) % p


def affine_code(generator, p: int, shift=None, *, name: str | None = None) -> Distribution:
    """The uniform law on the affine code ``{u G + b}`` over the prime field ``F_p``.

    Parameters
    ----------
    generator : array_like, shape (d, n)
        Generator matrix over ``F_p`` (rank ``d``).
    p : int
        A prime.
    shift : array_like of int, shape (n,), optional
        ``b`` (default 0, the linear code).
    """
    G, p = check_generator(generator, p)
    d, n = G.shape
    b = np.zeros(n, dtype=np.int64) if shift is None else np.asarray(shift)
    if b.shape != (n,) or not np.issubdtype(b.dtype, np.integer) or (b < 0).any() \
            or (b >= p).any():
        raise ValueError(f"shift must be {n} integers in [0, {p}), got {show(shift)}")
    if rank_mod_p(G, p) != d:
        raise ValueError(f"generator must have full row rank d={d} over F_{p}")
    check_table_size(p, n, what="affine code table")
    words = (_codewords(G, p) + b) % p
    table = np.zeros((p,) * n)
    table[tuple(words.T)] = 1.0 / words.shape[0]
    return Distribution(table, name=name or f"affine code [{n},{d}]_{p} + {b.tolist()}", n=n)


def _place_values(m: int, p: int) -> np.ndarray:
    """``p^(m-1), ..., p, 1``: row ``x`` of ``F_p^m`` has index ``x @ _place_values(m, p)``."""
    return p ** np.arange(m - 1, -1, -1, dtype=np.int64)


def _shifted_hit_probability(words: np.ndarray, S: tuple[int, ...], p: int) -> np.ndarray:
    """For every ``x`` in ``F_p^S``: ``P_b[x in C_S + b_S]`` over the ``p^|S|`` shifts ``b_S``."""
    m = len(S)
    proj = np.unique(words[:, S], axis=0)  # C_S as a set
    B = np.array(list(itertools.product(range(p), repeat=m)), dtype=np.int64)
    weights = _place_values(m, p)
    counts = np.zeros(p ** m, dtype=np.int64)
    for c in proj:  # x = c + b: each (c, b) marks one x; distinct c give distinct x per b
        np.add.at(counts, ((B + c) % p) @ weights, 1)
    return counts / float(p ** m)


def _unshifted_hit(words: np.ndarray, S: tuple[int, ...], p: int) -> np.ndarray:
    """For every ``x`` in ``F_p^S``: ``1[x in C_S]`` (no shift)."""
    hit = np.zeros(p ** len(S))
    hit[np.unique(words[:, S] @ _place_values(len(S), p))] = 1.0
    return hit


def _worst_deviation(generator, p: int, law) -> float:
    """``max |law(words, S, p)[x] - p^(d - |S|)|`` over ``|S| >= d`` and ``x`` in ``F_p^S``.

    The Def 18 deviation of the event law ``law`` (the probability, for each ``x``,
    that the code projected on ``S`` contains ``x``), by enumeration of all subsets.
    """
    G, p = check_generator(generator, p)
    d, n = G.shape
    words = _codewords(G, p)
    worst = 0.0
    for m in range(d, n + 1):
        target = float(p) ** (d - m)
        for S in itertools.combinations(range(n), m):
            worst = max(worst, float(np.max(np.abs(law(words, S, p) - target))))
    return worst


def balance_deviation(generator, p: int) -> float:
    """``max |P_b[exists v in C + b: v_S = x] - p^(d - |S|)|`` over ``|S| >= d``, all ``x``.

    Def 18 for the random code ``D_d = C + Unif(F_p^n)`` (Lemma 21), by exact
    enumeration of all ``p^|S|`` shifts ``b_S`` (the event depends on ``b`` only
    through ``b_S``).  0 (up to float rounding of the ratio) iff ``D_d`` is
    balanced; for an MDS ``C`` it is 0 (Lemma 21).
    """
    return _worst_deviation(generator, p, _shifted_hit_probability)


def unshifted_balance_deviation(generator, p: int) -> float:
    """The same for the *linear* code alone (no random shift): never balanced for ``d < n``.

    ``P[x in C_S]`` is 0 or 1, against the target ``p^(d - |S|)`` (counterexample
    to balance of any law on linear codes, Def 18).
    """
    return _worst_deviation(generator, p, _unshifted_hit)


def product_with_code(mu_star, code) -> Distribution:
    """Thm 25's ``mu* x Unif(V)``: a law on ``(Sigma x F_p)^n``, symbol ``x * p + y``.

    Parameters
    ----------
    mu_star : Distribution
        Any law on ``Sigma^n`` (alphabet ``s``).
    code : Distribution
        A law on ``F_p^n`` with the same ``n`` (e.g. :func:`affine_code`, or the
        uniform law for ``mu* x U``).

    Returns
    -------
    Distribution
        Alphabet ``s * p``; ``X*`` and ``Y`` are independent.
    """
    a, b = as_distribution(mu_star), as_distribution(code)
    if a.n != b.n:
        raise ValueError(f"mu_star and code must have the same n, got {a.n} and {b.n}")
    n, s, p = a.n, a.q, b.q
    check_table_size(s * p, n, copies=2, what="product table")
    joint = np.multiply.outer(a.p, b.p)  # axes: x_1..x_n, y_1..y_n
    order = [ax for i in range(n) for ax in (i, n + i)]
    table = joint.transpose(order).reshape((s * p,) * n)
    return Distribution(table, name=f"{a.name or 'mu*'} x {b.name or 'code'}", n=n)


def up_shift_curve(Z, d: int, q: int, *, base: float | None = None) -> np.ndarray:
    """``Z^{up d}_j = Z_j + log q * 1[j > d]`` (Thm 6 / Thm 25), in the unit of ``base``."""
    Zarr = validate_curve(Z)
    if Zarr.ndim != 1 or Zarr.size == 0:
        raise ValueError(f"Z must be a non-empty 1-D array, got shape {Zarr.shape}")
    n = Zarr.size
    d = as_int(d, "d", minimum=0)
    if d > n:
        raise ValueError(f"d must be in [0, n={n}], got {d}")
    q = as_int(q, "q", minimum=2)
    step = np.log(q) / log_base_factor(base)
    return Zarr + step * (np.arange(1, n + 1) > d)


def reed_solomon_affine(n: int, d: int, p: int, shift=None) -> Distribution:
    """Uniform law on an affine Reed–Solomon code ``RS[n, d]_p + b`` (Def 19)."""
    return affine_code(families.reed_solomon_generator(n, d, p), p, shift,
                       name=f"RS[{n},{d}]_{p}" + ("" if shift is None else f" + {list(shift)}"))


__all__.append("reed_solomon_affine")
