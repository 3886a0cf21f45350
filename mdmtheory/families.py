"""Families of distributions over Sigma^n (Examples 1 and 2 of the paper and classical models).

Each function returns a validated :class:`~mdmtheory.Distribution`.  Where the
paper or a classical computation gives a closed form for the information curve ``Z`` (Def. 1.3), ``TC`` and
``DTC`` (Def. 1.7), the docstring states it; the test-suite checks every such
statement against the exact sweep.  Logs in the closed forms are natural (nats).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ._validation import (
    as_bool,
    as_float,
    as_int,
    as_int_array,
    as_probability,
    as_real_array,
    as_seed,
    check_probability_vector,
    check_stochastic_matrix,
    check_table_size,
)
from ._validation import is_prime as _is_prime
from .distribution import Distribution

__all__ = [
    "product",
    "uniform",
    "random_dirichlet",
    "markov_chain",
    "binary_symmetric_chain",
    "stationary_distribution",
    "markov_parameters",
    "hidden_markov",
    "mixture",
    "linear_code",
    "reed_solomon_generator",
    "reed_solomon",
    "repetition",
    "parity",
    "ising_chain",
    "potts_chain",
    "is_prime",
]


def _nq(n, q) -> tuple[int, int]:
    return as_int(n, "n", minimum=1), as_int(q, "q", minimum=2)


def product(marginals, *, name: str | None = None) -> Distribution:
    """Product measure ``prod_i mu_i``.

    Parameters
    ----------
    marginals : array_like, shape (n, q)
        Row ``i`` is the law of ``X_i``.

    Notes
    -----
    ``Z_j = 0`` for all ``j``; ``TC = DTC = 0``.
    """
    M = as_real_array(marginals, "marginals", finite=False, nonempty=False)
    if M.ndim != 2 or M.shape[0] < 1 or M.shape[1] < 2:
        raise ValueError(f"marginals must have shape (n, q) with n >= 1, q >= 2; got {M.shape}")
    n, q = M.shape
    # the product table, the previous partial product and the Distribution's copy
    check_table_size(q, n, copies=2.5, what="product distribution table")
    rows = [check_probability_vector(r, f"marginals[{i}]") for i, r in enumerate(M)]
    t = rows[0]
    for r in rows[1:]:
        t = np.multiply.outer(t, r)
    return Distribution(t, name=name or "product", n=n)


def uniform(n: int, q: int, *, name: str | None = None) -> Distribution:
    """Uniform distribution on ``Sigma^n`` (the [n, n] code): ``Z = 0``, ``TC = DTC = 0``."""
    n, q = _nq(n, q)
    check_table_size(q, n, copies=2, what="uniform distribution table")
    return Distribution(np.full((q,) * n, float(q) ** -n), name=name or "uniform", n=n)


def random_dirichlet(n: int, q: int, alpha: float = 1.0, *, seed=None,
                     name: str | None = None) -> Distribution:
    """A random joint table drawn from ``Dirichlet(alpha, ..., alpha)`` over ``q^n`` cells.

    ``alpha < 1`` gives peaked tables (many near-zero cells), ``alpha >> 1``
    near-uniform ones.  Seeded through :func:`numpy.random.default_rng`.
    """
    n, q = _nq(n, q)
    try:
        alpha = as_float(alpha, "alpha", minimum=0.0, strict_minimum=True)
    except ValueError as exc:
        raise ValueError(f"alpha must be positive and finite ({exc})") from None
    check_table_size(q, n, copies=2, what="random Dirichlet table")
    rng = as_seed(seed)
    g = rng.gamma(alpha, size=(q,) * n)
    if g.sum() == 0:  # only possible for tiny alpha; fall back to a point mass
        g.flat[rng.integers(g.size)] = 1.0
    g /= g.sum()
    return Distribution(g, name=name or f"dirichlet(alpha={alpha:g})", n=n)


def stationary_distribution(transition) -> np.ndarray:
    """Stationary law ``pi = pi T`` of a row-stochastic matrix (unique or error)."""
    T = check_stochastic_matrix(transition)
    if T.ndim != 2 or T.shape[0] != T.shape[1]:
        raise ValueError(f"transition must be a square matrix, got shape {T.shape}")
    w, v = np.linalg.eig(T.T)
    ones = np.isclose(w, 1.0, atol=1e-10)
    if ones.sum() != 1:
        raise ValueError("the chain has no unique stationary law (reducible?); pass `initial`")
    pi = np.real(v[:, np.argmax(ones)])
    pi = np.abs(pi) / np.abs(pi).sum()
    return pi


def markov_parameters(n: int, transition, initial=None, *, min_states: int = 2
                      ) -> tuple[int, np.ndarray, np.ndarray]:
    """Validate the parameters of a (possibly time-inhomogeneous) Markov chain.

    Shared by :func:`markov_chain`, :mod:`mdmtheory.structured.markov` and the
    hidden chain of the HMMs, so that every entry point checks the same things.

    Returns
    -------
    n : int
    transition : ndarray, shape (q, q) or (n-1, q, q)
        Row-stochastic (renormalised exactly).
    initial : ndarray, shape (q,)
        The given law of ``X_1``; default the stationary law of a homogeneous
        chain (unique or a ``ValueError``), the uniform law for per-step ones.
    """
    n = as_int(n, "n", minimum=1, maximum=2**62)
    min_states = as_int(min_states, "min_states", minimum=1)
    T = check_stochastic_matrix(transition)
    q = T.shape[-1]
    if T.shape[-2] != q:
        raise ValueError(f"transition matrices must be square, got shape {T.shape}")
    if q < min_states:
        raise ValueError(f"the chain needs at least {min_states} states, got {q}")
    if T.ndim == 3 and T.shape[0] != n - 1:
        raise ValueError(f"per-step transitions must have shape (n-1, q, q) = ({n-1}, {q}, {q}), "
                         f"got {T.shape}")
    if initial is None:
        init = stationary_distribution(T) if T.ndim == 2 else np.full(q, 1.0 / q)
    else:
        init = check_probability_vector(initial, "initial")
        if init.size != q:
            raise ValueError(f"initial must have length q={q}, got {init.size}")
    return n, T, init


def markov_chain(n: int, transition, initial=None, *, name: str | None = None) -> Distribution:
    """A Markov chain ``X_1 -> X_2 -> ... -> X_n`` on ``q`` states.

    Parameters
    ----------
    n : int
        Length.
    transition : array_like, shape (q, q) or (n-1, q, q)
        Row-stochastic transition matrix (time-homogeneous) or one per step
        (``transition[t]`` maps ``X_t`` to ``X_{t+1}``, 0-based).
    initial : array_like, shape (q,), optional
        Law of ``X_1``.  Default: the stationary law for a homogeneous chain
        (unique or a ``ValueError``); the uniform law for per-step transitions.

    Notes
    -----
    For the binary symmetric chain with flip ``p`` and uniform start,
    ``TC = (n-1)(log 2 - h(p))`` and ``Z`` is concave-looking.
    """
    n, T, init = markov_parameters(n, transition, initial)
    q = T.shape[-1]
    # the last two partial tables (q^(n-1) and q^n) and the Distribution's copy
    check_table_size(q, n, copies=2.5, what="Markov chain table")
    t = init
    for step in range(n - 1):
        Ts = T[step] if T.ndim == 3 else T
        # t[..., a] * Ts[a, b] -> new axis b
        t = t[..., :, None] * Ts
    return Distribution(t, name=name or "markov", n=n)


def binary_symmetric_chain(n: int, flip: float, *, name: str | None = None) -> Distribution:
    """Binary symmetric Markov chain with flip probability ``flip`` and uniform start."""
    flip = as_probability(flip, "flip")
    T = np.array([[1 - flip, flip], [flip, 1 - flip]])
    return markov_chain(n, T, np.array([0.5, 0.5]), name=name or f"markov(flip={flip:g})")


def hidden_markov(n: int, transition, emission, initial=None, *,
                  name: str | None = None) -> Distribution:
    """Law of the observations of a hidden Markov model.

    Parameters
    ----------
    transition : array_like, shape (h, h)
        Hidden-state transition matrix.
    emission : array_like, shape (h, q)
        ``emission[z, x] = P(X_t = x | Z_t = z)``.
    initial : array_like, shape (h,), optional
        Law of ``Z_1``; default the stationary law.

    Notes
    -----
    Built by the forward recursion on the dense table (memory ``h * q^n``).
    """
    n = as_int(n, "n", minimum=1)
    T = check_stochastic_matrix(transition, "transition")
    E = check_stochastic_matrix(emission, "emission")
    if T.ndim != 2 or T.shape[0] != T.shape[1]:
        raise ValueError(f"transition must be square (h, h), got {T.shape}")
    h, q = E.shape if E.ndim == 2 else (None, None)
    if E.ndim != 2 or h != T.shape[0]:
        raise ValueError(f"emission must have shape (h, q) with h={T.shape[0]}, got {E.shape}")
    if q < 2:
        raise ValueError("observation alphabet q must be >= 2")
    init = stationary_distribution(T) if initial is None else check_probability_vector(initial,
                                                                                        "initial")
    if init.size != h:
        raise ValueError(f"initial must have length h={h}")
    check_table_size(q, n, copies=2 * h + 2, what="hidden Markov forward table")
    alpha = (init[:, None] * E).T  # shape (q, h): P(x_1, z_1)
    for _ in range(n - 1):
        # alpha[..., z] -> sum_z alpha[..., z] T[z, z'] E[z', x'] -> shape (..., x', z')
        a = alpha @ T  # (..., h)
        alpha = a[..., None, :] * E.T  # (..., q, h)
    return Distribution(alpha.sum(axis=-1), name=name or "hmm", n=n)


def mixture(components: Sequence[Distribution], weights=None, *,
            name: str | None = None) -> Distribution:
    """Mixture ``sum_c w_c mu_c`` of distributions with the same ``(n, q)``.

    Notes
    -----
    A mixture of a few near-product measures has small DTC (Austin; Thm 10).
    """
    comps = list(components)
    if not comps:
        raise ValueError("mixture needs at least one component")
    for c in comps:
        if not isinstance(c, Distribution):
            raise ValueError("mixture components must be Distribution objects")
    shapes = {c.shape for c in comps}
    if len(shapes) != 1:
        raise ValueError(f"mixture components must share (n, q); got shapes {sorted(shapes)}")
    w = np.full(len(comps), 1.0 / len(comps)) if weights is None else \
        check_probability_vector(weights, "weights")
    if w.size != len(comps):
        raise ValueError(f"{len(comps)} components but {w.size} weights")
    q, n = comps[0].q, comps[0].n
    check_table_size(q, n, copies=3, what="mixture table")
    t = np.zeros(comps[0].shape)
    for wi, c in zip(w, comps):
        t += wi * c.p
    return Distribution(t, name=name or "mixture", n=n)


def is_prime(p: int) -> bool:
    """Deterministic primality test (Miller--Rabin with fixed bases; microseconds even
    for ``2**61 - 1``).  ``p`` must be an integer (``ValueError`` otherwise)."""
    return _is_prime(p)


def linear_code(generator, p: int, *, name: str | None = None) -> Distribution:
    """Uniform distribution on the linear code ``{u G : u in F_p^d}`` over a prime field.

    Parameters
    ----------
    generator : array_like of int, shape (d, n)
        Generator matrix (entries reduced mod ``p``; rank deficiency allowed:
        the law is uniform on the row space either way).
    p : int
        A prime; the alphabet is ``F_p = {0..p-1}``, so ``q = p``.

    Notes
    -----
    ``H(X_T) = rank(G_T) log p`` (Example 1).
    """
    p = as_int(p, "p", minimum=2)
    if not is_prime(p):
        raise ValueError(f"p must be prime (a field F_p), got {p}")
    try:
        G = as_int_array(generator, "generator")
    except ValueError as exc:
        raise ValueError(f"generator must have integer entries ({exc})") from None
    if G.ndim != 2 or G.shape[0] < 1 or G.shape[1] < 1:
        raise ValueError(f"generator must have shape (d, n) with d, n >= 1, got {G.shape}")
    G = np.mod(G, p)
    d, n = G.shape
    # the count table and the Distribution's copy (+ the message chunks, < 2^14 x (d + n))
    check_table_size(p, n, copies=2, what="code distribution table")
    if d * math.log2(p) > math.log2(_MAX_MESSAGES):
        raise ValueError(f"enumerating p^d = {p}^{d} messages exceeds the cap of "
                         f"{_MAX_MESSAGES:,}; reduce the generator to full row rank")
    counts = np.zeros(p**n, dtype=np.float64)
    weights = p ** np.arange(n - 1, -1, -1, dtype=np.int64)  # C-order strides
    total = p**d
    # messages in chunks (never a p^d x d array): each chunk is <= 2^14 x (d + n) int64
    for lo in range(0, total, _CHUNK):
        u = np.stack(np.unravel_index(np.arange(lo, min(lo + _CHUNK, total)), (p,) * d), axis=1)
        words = (u @ G) % p
        np.add.at(counts, words @ weights, 1.0)  # no q^n-sized temporary per chunk
    counts /= counts.sum()
    return Distribution(counts.reshape((p,) * n), name=name or f"code[{n},{d}]", n=n)


#: Cap on the number ``p^d`` of messages enumerated by :func:`linear_code` (time, not memory).
_MAX_MESSAGES = 50_000_000
_CHUNK = 2**14


def reed_solomon_generator(n: int, d: int, p: int) -> np.ndarray:
    """Vandermonde generator ``G[k, i] = a_i^k mod p`` of the [n, d] Reed–Solomon code.

    Evaluation points ``a_i = i`` (``i = 0..n-1``), distinct in ``F_p`` because
    ``n <= p``; any ``d`` columns are independent, so the code is MDS.
    """
    n, d, p = as_int(n, "n", minimum=1), as_int(d, "d", minimum=1), as_int(p, "p", minimum=2)
    if not is_prime(p):
        raise ValueError(f"p must be prime, got {p}")
    if n > p:
        raise ValueError(f"Reed–Solomon needs n <= p distinct evaluation points; n={n} > p={p}")
    if d > n:
        raise ValueError(f"dimension d={d} must be <= n={n}")
    a = np.arange(n, dtype=np.int64)
    return np.array([[pow(int(ai), k, p) for ai in a] for k in range(d)], dtype=np.int64)


def reed_solomon(n: int, d: int, p: int, *, name: str | None = None) -> Distribution:
    """Uniform law on the [n, d] Reed–Solomon (MDS) code over ``F_p`` (Def 19).

    Notes
    -----
    ``H(X_A) = min(|A|, d) log p``, so ``Z_j = 0`` for ``j <= d`` and ``log p``
    for ``j > d``; ``TC = (n-d) log p``, ``DTC = d log p`` for ``d < n`` (Def 17).  ``d = 1`` is the repetition code, ``d = n-1`` the parity code, ``d = n``
    the uniform law, whose ``DTC`` is ``0`` (the formula ``d log p`` fails at
    ``d = n``: there ``H(X_i | X_-i) = log p`` for every ``i``).
    """
    G = reed_solomon_generator(n, d, p)
    return linear_code(G, p, name=name or f"RS[{n},{d}]_{p}")


def repetition(n: int, q: int, *, name: str | None = None) -> Distribution:
    """All ``X_i`` equal, uniform on ``[q]``.

    Notes
    -----
    ``Z = (0, log q, ..., log q)``; ``TC = (n-1) log q``; ``DTC = log q``.
    """
    n, q = _nq(n, q)
    check_table_size(q, n, copies=2, what="repetition code table")
    t = np.zeros((q,) * n)
    for a in range(q):
        t[(a,) * n] = 1.0 / q
    return Distribution(t, name=name or "repetition", n=n)


def parity(n: int, q: int, *, name: str | None = None) -> Distribution:
    """Uniform on ``{x : sum_i x_i = 0 mod q}`` (sum-zero code).

    Notes
    -----
    ``Z_j = 0`` for ``j < n`` and ``log q`` at ``j = n``; ``TC = log q``;
    ``DTC = (n-1) log q``.  For ``n = 1`` it is a point mass at 0.
    """
    n, q = _nq(n, q)
    check_table_size(q, n, copies=3, what="parity code table")
    s = np.zeros((q,) * n, dtype=np.int64)
    for ax in range(n):
        shape = [1] * n
        shape[ax] = q
        s += np.arange(q).reshape(shape)
        s %= q
    t = (s == 0).astype(np.float64)
    del s
    t /= t.sum()
    return Distribution(t, name=name or "parity", n=n)


def potts_chain(n: int, q: int, coupling: float, field=None, *, periodic: bool = False,
                name: str | None = None) -> Distribution:
    """1-D Potts chain ``mu(x) ∝ exp(J sum_i 1[x_i = x_{i+1}] + sum_i h[x_i])``.

    Parameters
    ----------
    coupling : float
        ``J`` (ferromagnetic for ``J > 0``).
    field : array_like, shape (q,), optional
        Single-site log-weights ``h`` (default 0).
    periodic : bool
        Add the bond ``(x_n, x_1)``; only for ``n > 2`` (for ``n = 2`` it would
        repeat the bond ``(x_1, x_2)``, for ``n = 1`` it would be a self-loop, so
        ``periodic`` has no effect there).
    """
    n, q = _nq(n, q)
    coupling = as_float(coupling, "coupling")
    periodic = as_bool(periodic, "periodic")
    try:
        h = np.zeros(q) if field is None else as_real_array(field, "field")
    except ValueError as exc:
        raise ValueError(f"field must be a finite array of shape ({q},) ({exc})") from None
    if h.shape != (q,):
        raise ValueError(f"field must be a finite array of shape ({q},), got shape {h.shape}")
    # log-weights, their exponential, the normalised table and the Distribution's copy
    check_table_size(q, n, copies=4, what="Potts chain table")
    lw = np.zeros((q,) * n)
    eq = coupling * np.eye(q)
    bonds = [(i, i + 1) for i in range(n - 1)] + ([(n - 1, 0)] if periodic and n > 2 else [])
    for i, j in bonds:
        shape = [1] * n
        shape[i] = q
        shape[j] = q
        lw += (eq if i < j else eq.T).reshape(shape)
    for i in range(n):
        shape = [1] * n
        shape[i] = q
        lw += h.reshape(shape)
    return Distribution.from_log_weights(lw, name=name or f"potts(J={coupling:g})", n=n)


def ising_chain(n: int, coupling: float, field: float = 0.0, *, periodic: bool = False,
                name: str | None = None) -> Distribution:
    """1-D Ising chain ``mu(s) ∝ exp(J sum s_i s_{i+1} + h sum s_i)``, ``s_i = 2x_i - 1``.

    Notes
    -----
    Equal to :func:`potts_chain` with ``q=2``, coupling ``2J`` and field ``(-h, h)``
    (up to a constant); with ``h = 0`` and open boundary it is the binary
    symmetric Markov chain with flip ``1/(1+e^{2J})``.
    """
    field = as_float(field, "field")
    coupling = as_float(coupling, "coupling")
    return potts_chain(n, 2, 2.0 * coupling, np.array([-field, field]), periodic=periodic,
                       name=name or f"ising(J={coupling:g}, h={field:g})")
