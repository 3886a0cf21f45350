"""Mixtures of product measures and hidden Markov models (Example 2 of the paper; Austin, Thm 10).

What is exact and what is Monte Carlo -- plainly:

* **Mixture of products** ``mu = sum_k w_k prod_i f_{k,i}``.  With a latent label
  ``K`` the positions are independent given ``K``, so for every ``T``

      H(X_T) = H(K) + sum_{i in T} H(X_i | K) - H(K | X_T)

  and everything hard is in ``Psi(m) = E_{|T| = m} H(K | X_T)``.

  - *Exchangeable* mixtures (``f_{k,i} = f_k`` for every ``i``, e.g. the classical
    example ``1/2 Bern(0.9)^n + 1/2 Bern(0.1)^n``): ``H(K | X_T)`` depends only on
    the symbol counts of ``x_T``, so ``Psi(m)`` is an exact sum over the
    ``C(m+q-1, q-1)`` count vectors (types) with multinomial weights.
    :func:`exchangeable_mixture_information_curve` is **exact at any n**; cost
    ``O(C(n+q, q) K q)`` (``q = 2``, ``n = 10^4``: ``5e7 K`` terms).
  - *General* mixtures: no exact method below the dense ``(q+1)^n`` sweep is known
    here.  :func:`mixture_of_products_information_curve` is exact through the dense
    table when it fits, and otherwise **refuses** and points to
    :func:`mixture_posterior_curve_estimate`, a **Monte Carlo** estimator.
* **Hidden Markov models**: :func:`hmm_information_curve` is **exact only through
  the dense table** (``families.hidden_markov`` + the core sweep; ``q^n`` memory).
  Beyond that, :func:`hmm_curve_monte_carlo` is a **Monte Carlo** estimate through
  the exact forward-backward oracle :class:`HMMOracle`.

The latent-posterior estimator
------------------------------
From the identity above, ``d_j = e(j) - e(j-1) = hbar + Psi(j-1) - Psi(j)`` with
``hbar = (1/n) sum_i H(X_i | K)`` and ``Psi(0) = H(K)``.  One draw samples
``(k, x) ~ mu`` and a permutation ``pi``, and computes the posterior entropies
``psi_m = H(K | X_{pi_1..pi_m} = x_{pi_1..pi_m})`` for all ``m`` (cumulative
log-likelihoods, ``O(n K)``); ``E[psi_m] = Psi(m)`` because ``pi_1..pi_m`` is a
uniform ``m``-set.  The row ``D[r, j-1] = hbar + psi_{j-1} - psi_j`` is therefore
unbiased for ``d_j`` and shares randomness across ``j`` (the Lemma 13 estimator with
the conditional entropy of the latent label in place of an oracle call: ``O(n K)``
per draw instead of ``O(n^2 K q)``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from scipy.special import logsumexp

from .._validation import (
    as_float,
    as_int,
    as_int_array,
    as_level,
    as_real_array,
    as_seed,
    as_tokens,
    check_nbytes,
    check_probability_vector,
    check_stochastic_matrix,
    check_table_size,
    log_base_factor,
)
from ..distribution import Distribution
from ..montecarlo import CurveEstimate, curve_estimate_from_draws, estimate_information_curve
from ..oracle import _as_mask
from .markov import _check_sample_size, _sample_chain, forward_backward_conditionals

__all__ = [
    "check_mixture",
    "mixture_of_products_table",
    "exchangeable_mixture_entropy_profile",
    "exchangeable_mixture_information_curve",
    "mixture_of_products_information_curve",
    "mixture_posterior_draws",
    "mixture_posterior_curve_estimate",
    "ProductMixtureOracle",
    "hmm_information_curve",
    "HMMOracle",
    "hmm_curve_monte_carlo",
]


def _check_max_terms(max_terms) -> float:
    """A cost cap: finite and >= 1 (NaN or inf would silently disable it)."""
    return as_float(max_terms, "max_terms", minimum=1.0)


def _H(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return -t.sum(axis=-1)


# ============================================================================ validation
def check_mixture(weights, components, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Validate a mixture of products; returns ``(w (K,), f (K, n, q))``.

    Parameters
    ----------
    weights : array_like, shape (K,)
        Mixture weights (a probability vector); zero-weight components are dropped.
    components : array_like, shape (K, n, q) or (K, q)
        ``components[k, i] = f_{k,i}``, each a probability vector.  A ``(K, q)``
        array means an exchangeable mixture (``f_{k,i} = f_k``); it then needs ``n``.
    n : int, optional
        Length, required with ``(K, q)`` components (ignored otherwise unless it
        disagrees).
    """
    w = check_probability_vector(weights, "weights")
    f = as_real_array(components, "components", finite=False, nonempty=False)
    exchangeable = f.ndim == 2
    if exchangeable:
        if n is None:
            raise ValueError("components of shape (K, q) (exchangeable) need n")
        n = as_int(n, "n", minimum=1, maximum=2**62)
        if f.shape[1] < 2:
            raise ValueError(f"components must have shape (K, n, q) or (K, q) with q >= 2; "
                             f"got {np.shape(components)}")
        # validate the K rows once, then broadcast (a view: no K x n x q array for huge n)
        f = check_stochastic_matrix(f, "components")
        f = np.broadcast_to(f[:, None, :], (f.shape[0], n, f.shape[1]))
    if f.ndim != 3 or f.shape[1] < 1 or f.shape[2] < 2:
        raise ValueError(f"components must have shape (K, n, q) or (K, q) with q >= 2; "
                         f"got {np.shape(components)}")
    if f.shape[0] != w.size:
        raise ValueError(f"{w.size} weights but {f.shape[0]} components")
    if n is not None and f.shape[1] != n:
        raise ValueError(f"components have n={f.shape[1]}, but n={n} was given")
    if not exchangeable:
        f = np.array(check_stochastic_matrix(f.reshape(-1, f.shape[2]), "components")
                     ).reshape(f.shape)
    keep = w > 0
    return w[keep] / w[keep].sum(), f[keep]


def mixture_of_products_table(weights, components, n: int | None = None, *,
                              name: str | None = None) -> Distribution:
    """The dense table ``sum_k w_k prod_i f_{k,i}`` (memory-guarded)."""
    w, f = check_mixture(weights, components, n)
    K, n, q = f.shape
    check_table_size(q, n, copies=2, what="mixture-of-products table")
    t = np.zeros((q,) * n)
    for k in range(K):
        c = f[k, 0]
        for i in range(1, n):
            c = np.multiply.outer(c, f[k, i])
        t += w[k] * c
    return Distribution(t / t.sum(), name=name or f"mixture of {K} products", n=n)


# ============================================================================ exchangeable exact
@njit(cache=True)
def _exchangeable_psi(logw, logf, n):
    """``Psi(m) = E H(K | X_1..X_m)`` for ``m = 0..n`` by summing over types."""
    K, q = logf.shape
    psi = np.zeros(n + 1)
    lk = np.empty(K)
    c = np.zeros(q, np.int64)
    h0 = 0.0
    for k in range(K):
        h0 -= math.exp(logw[k]) * logw[k]
    psi[0] = h0
    logK = math.log(K)
    lfact = np.empty(n + 1)  # log m!
    for m in range(n + 1):
        lfact[m] = math.lgamma(m + 1.0)
    for m in range(1, n + 1):
        lgm = lfact[m]
        for a in range(q):
            c[a] = 0
        c[0] = m
        acc = 0.0
        while True:
            logmult = lgm
            for a in range(q):
                logmult -= lfact[c[a]]
            mx = -math.inf
            for k in range(K):
                v = logw[k]
                for a in range(q):
                    if c[a] > 0:
                        v += c[a] * logf[k, a]
                lk[k] = v
                if v > mx:
                    mx = v
            # a type whose mass is below 1e-320 contributes exactly 0 in float64
            # (exp underflows); skip its posterior (mass <= exp(logmult + mx) * K)
            if mx > -math.inf and logmult + mx + logK > -737.0:
                s = 0.0
                for k in range(K):
                    s += math.exp(lk[k] - mx)
                L = mx + math.log(s)
                H = 0.0
                for k in range(K):
                    if lk[k] > -math.inf:
                        lp = lk[k] - L
                        H -= math.exp(lp) * lp
                acc += math.exp(logmult + L) * H
            # next composition of m into q parts
            i = q - 2
            while i >= 0 and c[i] == 0:
                i -= 1
            if i < 0:
                break
            tail = c[q - 1]
            c[q - 1] = 0
            c[i] -= 1
            c[i + 1] = tail + 1
        psi[m] = acc
    return psi


def exchangeable_mixture_entropy_profile(weights, components, n: int, *,
                                         base: float | None = None,
                                         max_terms: float = 2e8) -> np.ndarray:
    """Exact ``e(m)``, ``m = 0..n``, of ``sum_k w_k f_k^{(x) n}`` (any ``n``; Def 12).

    ``e(m) = H(K) + m sum_k w_k H(f_k) - Psi(m)``, with ``Psi(m)`` an exact sum over
    the count vectors of ``m`` symbols (module docstring).

    Parameters
    ----------
    weights : (K,), components : (K, q)
    n : int
    max_terms : float
        Refuse when the number of types ``C(n+q, q)`` times ``K`` exceeds this.
    """
    w, f = check_mixture(weights, components, n)
    f1 = f[:, 0, :]
    K, q = f1.shape
    if not np.allclose(f, f1[:, None, :], rtol=0, atol=0):
        raise ValueError("components must be the same at every position")
    terms = math.comb(n + q, q) * K
    if terms > _check_max_terms(max_terms):
        raise ValueError(f"{terms:.3g} type terms exceed max_terms={max_terms:.3g}")
    with np.errstate(divide="ignore"):
        psi = _exchangeable_psi(np.log(w), np.log(f1), n)
    hK = float(_H(w))
    hbar = float(w @ _H(f1))
    m = np.arange(n + 1)
    e = hK + m * hbar - psi
    e[0] = 0.0
    return e / log_base_factor(base)


def exchangeable_mixture_information_curve(weights, components, n: int, *,
                                           base: float | None = None,
                                           max_terms: float = 2e8) -> np.ndarray:
    """Exact ``Z`` of an exchangeable mixture of i.i.d. laws, any ``n``.

    ``Z_j = (Psi(0) - Psi(1)) - (Psi(j-1) - Psi(j))`` (from ``Z_j = d_1 - d_j`` and
    the latent decomposition), computed without differencing large entropies.
    """
    w, f = check_mixture(weights, components, n)
    f1 = f[:, 0, :]
    if not np.allclose(f, f1[:, None, :], rtol=0, atol=0):
        raise ValueError("components must be the same at every position")
    K, q = f1.shape
    terms = math.comb(n + q, q) * K
    if terms > _check_max_terms(max_terms):
        raise ValueError(f"{terms:.3g} type terms exceed max_terms={max_terms:.3g}")
    with np.errstate(divide="ignore"):
        psi = _exchangeable_psi(np.log(w), np.log(f1), n)
    drop = psi[:-1] - psi[1:]  # Psi(j-1) - Psi(j), j = 1..n
    Z = drop[0] - drop
    Z[0] = 0.0
    return Z / log_base_factor(base)


def mixture_of_products_information_curve(weights, components, n: int | None = None, *,
                                          base: float | None = None) -> np.ndarray:
    """Exact ``Z`` of a mixture of products, where an exact method exists.

    * exchangeable components -> :func:`exchangeable_mixture_information_curve`
      (any ``n``);
    * otherwise the dense table and the core sweep
      (:func:`mdmtheory.information_curve`), if ``q^n`` fits the memory budget.

    Raises
    ------
    MemoryError
        For a non-exchangeable mixture too large for the dense table: there is no
        exact method here; use :func:`mixture_posterior_curve_estimate` (Monte Carlo).
    """
    w, f = check_mixture(weights, components, n)
    if np.array_equal(f, np.broadcast_to(f[:, :1, :], f.shape)):
        return exchangeable_mixture_information_curve(w, f[:, 0, :], f.shape[1], base=base)
    from ..information import information_curve

    try:
        table = mixture_of_products_table(w, f)
    except MemoryError as exc:
        raise MemoryError(f"{exc}. A non-exchangeable mixture of products has no exact "
                          "method here beyond the dense table: use "
                          "mixture_posterior_curve_estimate (Monte Carlo)") from None
    return information_curve(table, base=base)


# ============================================================================ Monte Carlo
def _sample_mixture(w: np.ndarray, f: np.ndarray, size: int, rng: np.random.Generator
                    ) -> np.ndarray:
    K, n, q = f.shape
    k = np.minimum(np.searchsorted(np.cumsum(w), rng.random(size) * w.sum(), side="right"),
                   K - 1)
    C = np.cumsum(f[k], axis=-1)  # (size, n, q)
    u = rng.random((size, n, 1))
    return np.minimum((u * C[..., -1:] >= C).sum(axis=-1), q - 1).astype(np.int64)


def mixture_posterior_draws(weights, components, x: np.ndarray, perms: np.ndarray
                            ) -> np.ndarray:
    """Rows ``D[r, j-1] = hbar + psi_{j-1} - psi_j`` of the latent-posterior estimator (nats).

    ``x`` (R, n) must be i.i.d. samples of the mixture and ``perms`` (R, n) uniform
    permutations, independent of ``x``.  See the module docstring.
    """
    w, f = check_mixture(weights, components)
    K, n, q = f.shape
    x = as_tokens(x, "x", q)
    perms = as_int_array(perms, "perms")
    if x.ndim != 2 or x.shape[1] != n or perms.shape != x.shape:
        raise ValueError(f"x and perms must have shape (R, {n})")
    with np.errstate(divide="ignore"):
        logf = np.log(f)  # (K, n, q)
        logw = np.log(w)
    xs = np.take_along_axis(x, perms, axis=1)  # tokens in reveal order
    ll = logf[:, perms, xs]  # (K, R, n): log f_{k, pi_m}(x_{pi_m})
    cum = np.concatenate([np.zeros((K, x.shape[0], 1)), np.cumsum(ll, axis=2)], axis=2)
    lk = logw[:, None, None] + cum  # (K, R, n+1)
    L = logsumexp(lk, axis=0)
    if not np.all(np.isfinite(L)):
        raise ValueError("a sample has probability zero under the mixture")
    post = np.exp(lk - L[None])
    psi = _H(np.moveaxis(post, 0, -1))  # (R, n+1)
    hbar = float((w[:, None] * _H(f)).sum() / n)
    return hbar + psi[:, :-1] - psi[:, 1:]


def mixture_posterior_curve_estimate(weights, components, n_draws: int = 1000, seed=None, *,
                                     n: int | None = None, level: float = 0.95,
                                     batch_size: int = 4096, base: float | None = None
                                     ) -> CurveEstimate:
    """**Monte Carlo** ``Z`` of any mixture of products, with per-``j`` intervals.

    The latent-posterior estimator of the module docstring: ``O(n K)`` per draw,
    any ``n``.  Use it for non-exchangeable mixtures too large for the dense table
    (for exchangeable ones :func:`exchangeable_mixture_information_curve` is exact).
    """
    w, f = check_mixture(weights, components, n)
    n_draws = as_int(n_draws, "n_draws", minimum=2)
    batch_size = as_int(batch_size, "batch_size", minimum=1)
    level = as_level(level, "level")
    factor = log_base_factor(base)
    rng = as_seed(seed)
    K, nn, q = f.shape
    check_nbytes(8.0 * n_draws * nn + 8.0 * min(batch_size, n_draws) * nn * (K + 4),
                 what=f"n_draws={n_draws:,} Monte Carlo draws of n={nn:,} positions")
    D = np.empty((n_draws, nn))
    for s in range(0, n_draws, batch_size):
        B = min(batch_size, n_draws - s)
        x = _sample_mixture(w, f, B, rng)
        perms = np.argsort(rng.random((B, nn)), axis=1)
        D[s:s + B] = mixture_posterior_draws(w, f, x, perms)
    D /= factor
    return curve_estimate_from_draws(D, level=level, form="entropy")


class ProductMixtureOracle:
    """Exact conditional oracle ``p(X_i = . | x_S)`` of a mixture of products.

    Posterior over the label from the revealed tokens, then the posterior-weighted
    component marginals: ``O(B n K q)`` per call.  ``.sample(size, rng)`` draws from
    the mixture.  For :func:`mdmtheory.montecarlo.estimate_information_curve`.
    """

    def __init__(self, weights, components, n: int | None = None):
        self.weights, self.components = check_mixture(weights, components, n)
        with np.errstate(divide="ignore"):
            self._logf = np.log(self.components)
            self._logw = np.log(self.weights)

    @property
    def n(self) -> int:
        return int(self.components.shape[1])

    @property
    def q(self) -> int:
        return int(self.components.shape[2])

    def __call__(self, x: np.ndarray, revealed_mask: np.ndarray) -> np.ndarray:
        x = as_int_array(x, "x")
        mask = _as_mask(revealed_mask)
        if x.ndim != 2 or x.shape[1] != self.n or mask.shape != x.shape:
            raise ValueError(f"x and revealed_mask must have shape (B, {self.n})")
        if x.size and (x.min() < 0 or x.max() >= self.q):
            raise ValueError(f"x: tokens must lie in [0, {self.q})")
        B, n = x.shape
        lx = self._logf[:, np.arange(n)[None, :], x]  # (K, B, n)
        lk = self._logw[:, None] + np.where(mask[None], lx, 0.0).sum(axis=2)  # (K, B)
        L = logsumexp(lk, axis=0)
        if not np.all(np.isfinite(L)):
            raise ValueError("a revealed context has probability zero under the mixture")
        post = np.exp(lk - L[None])  # (K, B)
        out = np.einsum("kb,kiq->biq", post, self.components)
        rb, rk = np.nonzero(mask)
        out[rb, rk, :] = 0.0
        out[rb, rk, x[rb, rk]] = 1.0
        return out

    def sample(self, size: int, rng=None) -> np.ndarray:
        size = as_int(size, "size", minimum=0)
        _check_sample_size(size, self.n, self.q)
        return _sample_mixture(self.weights, self.components, size, as_seed(rng, "rng"))


# ============================================================================ HMM
def _check_hmm(n, transition, emission, initial):
    from ..families import markov_parameters

    # the emission's shape is checked first: it is the cheaper, more specific error
    h = check_stochastic_matrix(transition, "transition").shape[-1]
    E = check_stochastic_matrix(emission, "emission")
    if E.ndim != 2 or E.shape[0] != h or E.shape[1] < 2:
        raise ValueError(f"emission must have shape (h, q) with h={h}, q >= 2; got {E.shape}")
    n, T, init = markov_parameters(n, transition, initial, min_states=1)
    steps = T if T.ndim == 3 else np.broadcast_to(T, (n - 1, h, h))
    return n, np.ascontiguousarray(steps), E, init


def hmm_information_curve(n: int, transition, emission, initial=None, *,
                          base: float | None = None) -> np.ndarray:
    """``Z`` of a hidden Markov model's observations -- **exact only via the dense table**.

    No polynomial exact method for ``H(X_T)`` of an HMM is known here (the
    observations are not Markov; ``H(X_T)`` needs a sum over ``q^|T|`` values of
    ``x_T``), so this builds ``families.hidden_markov`` (``q^n`` memory, guarded)
    and runs the core sweep.  For longer sequences use
    :func:`hmm_curve_monte_carlo` (Monte Carlo).
    """
    from ..families import hidden_markov
    from ..information import information_curve

    n, steps, E, init = _check_hmm(n, transition, emission, initial)
    T = np.asarray(transition, dtype=np.float64)
    if T.ndim == 3:
        raise ValueError("the dense HMM table (families.hidden_markov) is homogeneous only; "
                         "use hmm_curve_monte_carlo for per-step transitions")
    return information_curve(hidden_markov(n, T, E, init), base=base)


class HMMOracle:
    """Exact conditional oracle of an HMM's observations (masked forward-backward).

    Parameters
    ----------
    n : int
    transition : (h, h) or (n-1, h, h)
    emission : (h, q)
    initial : (h,), optional
        Default: stationary (homogeneous) or uniform (per-step), as
        ``families.hidden_markov``.

    Notes
    -----
    ``__call__(x, mask)`` costs ``O(B n h (h + q))``; ``.sample(size, rng)`` draws
    observation sequences.
    """

    def __init__(self, n: int, transition, emission, initial=None):
        self._n, self._steps, self.emission, self.initial = _check_hmm(
            n, transition, emission, initial)

    @property
    def n(self) -> int:
        return self._n

    @property
    def q(self) -> int:
        return int(self.emission.shape[1])

    def __call__(self, x: np.ndarray, revealed_mask: np.ndarray) -> np.ndarray:
        x = as_int_array(x, "x")
        mask = _as_mask(revealed_mask)
        if x.ndim != 2 or x.shape[1] != self.n or mask.shape != x.shape:
            raise ValueError(f"x and revealed_mask must have shape (B, {self.n})")
        if x.size and (x.min() < 0 or x.max() >= self.q):
            raise ValueError(f"x: tokens must lie in [0, {self.q})")
        return forward_backward_conditionals(x, mask, self.initial, self._steps,
                                             self.emission)

    def sample(self, size: int, rng=None) -> np.ndarray:
        size = as_int(size, "size", minimum=0)
        _check_sample_size(size, self.n, self.q)
        return _sample_chain(self.initial, self._steps, self.emission, self.n, size,
                             as_seed(rng, "rng"))


def hmm_curve_monte_carlo(n: int, transition, emission, initial=None, n_draws: int = 256,
                          seed=None, **kwargs) -> CurveEstimate:
    """**Monte Carlo** ``Z`` of an HMM at any ``n`` (oracle estimator of Lemma 13).

    :func:`mdmtheory.montecarlo.estimate_information_curve` with :class:`HMMOracle`;
    ``O(n^2 h (h+q))`` per draw.  Extra keyword arguments are passed on (``form``,
    ``level``, ``js``, ``batch_size``, ``base``, ...).
    """
    oracle = HMMOracle(n, transition, emission, initial)
    return estimate_information_curve(oracle, oracle.sample, n_draws=n_draws, seed=seed,
                                      **kwargs)
