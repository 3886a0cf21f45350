"""Exact information curve, TC and DTC of a Markov chain at long lengths (Defs 3 and 7 of the paper).

No table over ``Sigma^n`` is ever built: the cost is polynomial in ``n`` and ``q``.
The derivation is written out in ``docs/structured.md``; in short:

**Decomposition.**  For a Markov chain ``X_1 -> ... -> X_n`` and ``T = {t_1 < ... <
t_m}``, ``X_T`` is again a Markov chain, so

    H(X_T) = H(X_{t_1}) + sum_k H(X_{t_{k+1}} | X_{t_k})
           = sum_{t in T} H(X_t) - sum_k I(X_{t_k}; X_{t_{k+1}}).

**Counting.**  Averaging over the ``C(n, m)`` sets with ``|T| = m``: each position is
in a fraction ``m/n`` of them, and a pair ``a < b = a + g`` is *consecutive* in ``T``
iff ``a, b in T`` and no element of ``T`` lies strictly between them, i.e. the other
``m - 2`` elements come from the ``n - g - 1`` positions outside ``[a, b]``:
``C(n-g-1, m-2)`` sets.  With the *gap sums*
``M_g = sum_{a=1}^{n-g} I(X_a; X_{a+g})`` (``g = 1..n-1``),

    e(m) = (m/n) sum_a H(X_a) - sum_g M_g r(g, m),   r(g, m) = C(n-g-1, m-2) / C(n, m).

**Curve.**  Since ``Z_j = d_1 - d_j`` and ``d_j = e(j) - e(j-1)`` (Lemma 13),

    Z_j = sum_g M_g [r(g, j) - r(g, j-1)].

With integer arithmetic the increment has the cancellation-free closed form
``r(g,j) - r(g,j-1) = r(g,j) (2(n+1) - j(g+1)) / (j (n-g-j+2))`` for ``g <= n-j+1``,
``-1/C(n, j-1)`` at ``g = n-j+2`` and ``0`` beyond; ``r(1, j) = j(j-1)/(n(n-1))`` and
``r(g+1, j) = r(g, j) (n-g-j+1)/(n-g-1)``.  Every ratio lies in ``[0, 1]``, so the
recurrence neither overflows nor loses relative accuracy (``~g`` ulps), which is
what a log-binomial (``gammaln``) evaluation would give up for ``n = 10^4``
(``lgamma(10^4) ~ 8e4`` carries an absolute error ``~1e-11``).

**Closed forms** (from ``r(g, n) = [g = 1]`` and ``r(g, n-1) = ((n-2)[g=1] + [g=2])/n``):
``TC = M_1``, ``n Z_n = sum_i I(X_i; X_{-i}) = 2 M_1 - M_2`` and ``DTC = M_1 - M_2``.

**Gap sums.**
* homogeneous chain, stationary start: ``M_g = (n-g) I(X_1; X_{1+g})`` from ``P^g``
  (KL form ``sum pi_x P^g_xy log(P^g_xy / pi_y)``, non-negative and accurate);
* homogeneous chain, any start: ``I(X_a; X_{a+g}) = H(p_{a+g}) - sum_x p_a(x) H(P^g_x.)``
  so ``M_g = sum_{b>g} H(p_b) - sum_x H(P^g_x.) sum_{a<=n-g} p_a(x)``, prefix sums;
* time-inhomogeneous chain: every pair ``(a, b)`` needs its own ``P_{a->b}``.

**Complexity.**  ``O(n q^3)`` for the gap sums of a homogeneous chain plus ``O(n^2)``
scalar operations for the combinatorial kernel (``O(n * min(n, G))`` where ``M_g = 0``
for ``g > G``, and the loop over ``g`` stops once ``r`` underflows below ``1e-300``).
For a homogeneous chain with a stationary law, gaps past the point where
``max_x chi^2(P^g_x. || pi) (n-g)^2/2 <= eps ln q`` are set to exactly zero
(certified change of ``Z`` at most ``eps ln q``; see ``_homogeneous_gap_sums``),
so a chain mixing in ``G`` steps costs ``O(n G)``: ~20 ms at ``n = 10^5``, ``q = 4``;
inhomogeneous: ``O(n^2 q^3)`` time (``O(n^2 q^2)`` logarithms, unavoidable for the
``n^2/2`` exact pair informations), ``O(n q^2)`` memory.  With ``mixing_tol > 0``
the inner loop over ``b`` stops once the Dobrushin coefficient of ``P_{a->b}`` is
``<= mixing_tol``; the dropped pair informations are each ``<= mixing_tol * H(X_a)``
(strong data processing, ``eta_KL <= eta_TV``, and ``eta_TV`` is submultiplicative),
and the returned bound on ``|Z_j - Z_j^exact|`` is
``mixing_tol * max_a H(X_a) * sum_{g >= g_min} (n-g) |r(g,j) - r(g,j-1)|``.

All functions take ``(n, transition, initial)`` exactly as
:func:`mdmtheory.families.markov_chain` (same defaults: the stationary law for a
homogeneous chain, uniform for per-step transitions), and return nats unless
``base`` is given.  The decomposition and counting are derived here;
``tests/test_structured_markov.py`` checks them against the dense sweep for every
``n <= 14``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._validation import (
    as_float,
    as_int,
    as_int_array,
    as_real_array,
    as_seed,
    as_tokens,
    check_nbytes,
    check_probability_vector,
    check_stochastic_matrix,
    log_base_factor,
)
from ..oracle import _as_mask
from ..families import markov_parameters, stationary_distribution

__all__ = [
    "MarkovSpec",
    "markov_spec",
    "markov_marginals",
    "gap_information_sums",
    "curve_from_gap_sums",
    "profile_from_gap_sums",
    "markov_information_curve",
    "markov_entropy_profile",
    "markov_information_summary",
    "markov_total_correlation",
    "markov_dual_total_correlation",
    "markov_sample",
    "MarkovOracle",
    "forward_backward_conditionals",
]


# ============================================================================ validation
class MarkovSpec:
    """A validated Markov chain description (an invariant-carrying container).

    Attributes
    ----------
    n, q : int
    transition : ndarray, shape (q, q) or (n-1, q, q)
        Row-stochastic; 3-D means time-inhomogeneous (``transition[t]`` maps
        ``X_{t+1} -> X_{t+2}`` in 1-based positions, as in ``families.markov_chain``).
    initial : ndarray, shape (q,)
        Law of ``X_1``.
    stationary : bool
        Homogeneous and ``initial P = initial`` (to 1e-13), so all marginals equal.
    """

    __slots__ = ("n", "q", "transition", "initial", "stationary")

    def __init__(self, n: int, transition, initial=None):
        n, T, init = markov_parameters(n, transition, initial)
        q = T.shape[-1]
        # the O(n q) marginals / O(n) gap sums and their temporaries
        check_nbytes(8.0 * n * (4 * q + 8), what=f"Markov chain quantities for n={n:,}")
        self.n, self.q = n, q
        self.transition = np.ascontiguousarray(T)
        self.initial = init
        self.stationary = bool(T.ndim == 2 and np.max(np.abs(init @ T - init)) <= 1e-13)

    @property
    def homogeneous(self) -> bool:
        return self.transition.ndim == 2

    def steps(self) -> np.ndarray:
        """Per-step transitions as an ``(n-1, q, q)`` array (a broadcast view if homogeneous)."""
        T = self.transition
        if T.ndim == 3:
            return T
        return np.broadcast_to(T, (max(self.n - 1, 0), self.q, self.q))


def markov_spec(n: int, transition, initial=None) -> MarkovSpec:
    """Validate ``(n, transition, initial)`` as in :func:`mdmtheory.families.markov_chain`."""
    return MarkovSpec(n, transition, initial)


def markov_marginals(n: int, transition, initial=None) -> np.ndarray:
    """One-position marginals ``p_a = p_1 P_1 ... P_{a-1}`` as an ``(n, q)`` array."""
    s = markov_spec(n, transition, initial)
    return _marginals(s)


#: ``True``: the first release's code paths (Python loop for the marginals, every gap
#: processed however small); kept for the side-by-side benchmark
#: ``benchmarks/bench_perf_v2.py``.
LEGACY = False


def _marginals(s: MarkovSpec) -> np.ndarray:
    if LEGACY:
        out = np.empty((s.n, s.q))
        out[0] = s.initial
        T = s.steps()
        for a in range(1, s.n):
            v = out[a - 1] @ T[a - 1]
            out[a] = v / v.sum()
        return out
    return _marginals_kernel(s.initial, s.transition, s.n)


@njit(cache=True)
def _marginals_kernel(init, T, n):
    """``p_a = p_{a-1} T_{a-1} / sum`` for ``a = 2..n``; ``T`` is ``(q, q)`` or ``(n-1, q, q)``.

    A homogeneous chain whose marginal has reached a fixed point of the
    floating-point map (``p_a == p_{a-1}`` exactly) keeps it: the remaining rows
    are copies, bit-identical to iterating on.
    """
    q = init.size
    out = np.empty((n, q))
    out[0] = init
    v = np.empty(q)
    hom = T.ndim == 2
    for a in range(1, n):
        Ta = T.reshape(-1, q, q)[0 if hom else a - 1]
        tot = 0.0
        for y in range(q):
            acc = 0.0
            for z in range(q):
                acc += out[a - 1, z] * Ta[z, y]
            v[y] = acc
        for y in range(q):
            tot += v[y]
        same = True
        for y in range(q):
            out[a, y] = v[y] / tot
            if out[a, y] != out[a - 1, y]:
                same = False
        if same and hom:
            for b in range(a + 1, n):
                out[b] = out[a]
            break
    return out


def _H(p: np.ndarray) -> np.ndarray:
    """Entropy along the last axis (nats), ``0 log 0 = 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return -t.sum(axis=-1)


# ============================================================================ gap sums
@njit(cache=True)
def _matrix_powers_kernel(P, G):
    """``out[g] = P^(g+1)`` for ``g = 0..G-1`` (one q x q product per power)."""
    q = P.shape[0]
    out = np.empty((G, q, q))
    if G == 0:
        return out
    out[0] = P
    for g in range(1, G):
        prev = out[g - 1]
        cur = out[g]
        for x in range(q):
            for y in range(q):
                s = 0.0
                for z in range(q):
                    s += prev[x, z] * P[z, y]
                cur[x, y] = s
    return out


@njit(cache=True)
def _matrix_powers_until(P, G, pi, tol, n):
    """``P^1..P^G`` as :func:`_matrix_powers_kernel` (same arithmetic), stopping early.

    Stops before the first gap ``g`` with ``c_g (n-g)(n-g+1)/2 <= tol``, where
    ``c_g = max_x chi^2(P^g_x. || pi)``; returns the powers computed so far.
    ``c_g`` bounds every pair information at gap ``>= g`` (see
    :func:`_homogeneous_gap_sums`), so the gaps cut carry a total ``<= tol``.
    """
    q = P.shape[0]
    out = np.empty((G, q, q))
    if G == 0:
        return out
    out[0] = P
    for g in range(1, G + 1):
        cur = out[g - 1]
        if g > 1:
            prev = out[g - 2]
            for x in range(q):
                for y in range(q):
                    s = 0.0
                    for z in range(q):
                        s += prev[x, z] * P[z, y]
                    cur[x, y] = s
        c = 0.0
        for x in range(q):
            cx = 0.0
            for y in range(q):
                d = cur[x, y] - pi[y]
                if pi[y] > 0.0:
                    cx += d * d / pi[y]
                elif cur[x, y] != 0.0:
                    cx = np.inf
            if cx > c:
                c = cx
        rest = float(n - g)
        if c * rest * (rest + 1.0) * 0.5 <= tol:
            return out[: g - 1]
    return out


def _powers(s: MarkovSpec, pi) -> np.ndarray:
    """``Pg[g-1] = P^g`` for the gaps that matter (all ``n - 1`` with ``LEGACY``)."""
    if LEGACY or pi is None:
        return _matrix_powers_kernel(s.transition, s.n - 1)
    tol = np.finfo(np.float64).eps * math.log(s.q)
    return _matrix_powers_until(s.transition, s.n - 1, np.ascontiguousarray(pi, np.float64),
                                tol, s.n)


def _homogeneous_gap_sums(s: MarkovSpec, marg: np.ndarray) -> np.ndarray:
    """Gap sums of a homogeneous chain; gaps past the mixing point are exact zeros.

    Past gap ``g`` every pair information obeys
    ``I(X_a; X_{a+g'}) <= sum_x p_a(x) KL(P^{g'}_x. || pi) <= c_g
    = max_x chi^2(P^g_x. || pi)`` for ``g' >= g`` (the mixture bound on mutual
    information, ``KL <= chi^2``, and the data-processing inequality under
    ``P``, which fixes ``pi``).  Gaps from the first ``g`` with
    ``c_g (n-g)(n-g+1)/2 <= eps ln q`` on are set to zero, so ``Z`` changes by at
    most ``eps ln q`` (``|r(g,j) - r(g,j-1)| <= 1``): below the float rounding
    already in ``Z``.  Without this cut, rounding noise (``~1e-17`` per pair)
    keeps every gap "non-zero" and the curve kernel costs ``O(n^2)``.
    """
    n = s.n
    if n < 2:
        return np.zeros(0)
    if s.stationary:
        pi0 = s.initial
    else:
        try:
            pi0 = stationary_distribution(s.transition)
        except ValueError:
            pi0 = None
    Pg = _powers(s, pi0)  # Pg[g-1] = P^g, g = 1..G
    G = Pg.shape[0]
    g = np.arange(1, G + 1)
    if s.stationary:
        pi = s.initial
        J = pi[None, :, None] * Pg  # joint of (X_a, X_{a+g})
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(J > 0, Pg / np.where(pi > 0, pi, 1.0)[None, None, :], 1.0)
            I = np.where(J > 0, J * np.log(ratio), 0.0).sum(axis=(1, 2))
        return _pad((n - g) * np.maximum(I, 0.0), n - 1)
    # Any start: I(X_a; X_{a+g}) = H(p_{a+g}) - sum_x p_a(x) H(P^g_x.).  Summing these
    # O(1) terms over a loses ~n eps n log q to cancellation, so when a stationary law
    # pi exists we subtract the stationary baseline term by term:
    #   I(X_a; X_{a+g}) = I_g^pi + [H(p_{a+g}) - H(pi)] - sum_x (p_a(x) - pi(x)) H(P^g_x.)
    # (an algebraic identity); the brackets decay with the transient, so their prefix
    # sums carry little rounding, and I_g^pi comes from the accurate KL form.
    hrow = _H(Pg)  # (G, q): H(P^g_x.)
    pi = pi0
    if pi is not None:
        J = pi[None, :, None] * Pg
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(J > 0, Pg / np.where(pi > 0, pi, 1.0)[None, None, :], 1.0)
            I_pi = np.where(J > 0, J * np.log(ratio), 0.0).sum(axis=(1, 2))
        dH = _H(marg) - float(_H(pi))  # H(p_b) - H(pi)
        delta = marg - pi  # p_a - pi
    else:
        I_pi = np.zeros(G)
        dH = _H(marg)
        delta = marg
    Hsuf = np.concatenate([np.cumsum(dH[::-1])[::-1], [0.0]])  # Hsuf[k] = sum_{b>=k} (0-based)
    Dcum = np.cumsum(delta, axis=0)  # Dcum[m-1] = sum_{a<=m} delta_a
    M = (n - g) * I_pi + Hsuf[g] - np.einsum("gx,gx->g", hrow, Dcum[n - g - 1])
    return _pad(np.maximum(M, 0.0), n - 1)


def _pad(M: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros(size)
    out[: M.size] = M
    return out


@njit(cache=True)
def _inhomogeneous_gap_sums_kernel(T, marg, tol):
    """Sum of exact pair informations by gap; optional Dobrushin truncation.

    Returns ``(M, gmin)``: ``gmin`` is the smallest gap that was dropped (``n`` if
    none).  Offset indices are cast to ``uint64`` (see :func:`_fb_kernel`).
    """
    U = np.uint64
    n, q = marg.shape
    M = np.zeros(max(n - 1, 0))
    P = np.empty((q, q))
    tmp = np.empty((q, q))
    gmin = n
    for a in range(n - 1):
        for x in range(q):
            for y in range(q):
                P[x, y] = 1.0 if x == y else 0.0
        pa = marg[a]
        for b in range(a + 1, n):
            Tb = T[U(b - 1)]
            for x in range(q):
                if pa[x] > 0.0:
                    for y in range(q):
                        acc = 0.0
                        for z in range(q):
                            acc += P[x, z] * Tb[z, y]
                        tmp[x, y] = acc
                else:
                    for y in range(q):
                        tmp[x, y] = 0.0
            for x in range(q):
                for y in range(q):
                    P[x, y] = tmp[x, y]
            pb = marg[U(b)]
            I = 0.0
            for x in range(q):
                if pa[x] > 0.0:
                    s = 0.0
                    for y in range(q):
                        v = P[x, y]
                        if v > 0.0:
                            s += v * math.log(v / pb[y])
                    I += pa[x] * s
            if I > 0.0:
                M[U(b - a - 1)] += I
            if tol > 0.0 and b < n - 1:
                # Dobrushin coefficient over the rows reachable from X_a
                eta = 0.0
                for x in range(q):
                    if pa[x] > 0.0:
                        for x2 in range(x + 1, q):
                            if pa[x2] > 0.0:
                                tv = 0.0
                                for y in range(q):
                                    tv += abs(P[x, y] - P[x2, y])
                                tv *= 0.5
                                if tv > eta:
                                    eta = tv
                if eta <= tol:
                    if b - a + 1 < gmin:
                        gmin = b - a + 1
                    break
    return M, gmin


def gap_information_sums(n: int, transition, initial=None, *, mixing_tol: float = 0.0
                         ) -> np.ndarray:
    """Gap sums ``M_g = sum_{a=1}^{n-g} I(X_a; X_{a+g})`` for ``g = 1..n-1`` (nats).

    Parameters
    ----------
    n, transition, initial
        As in :func:`mdmtheory.families.markov_chain`.
    mixing_tol : float
        Inhomogeneous chains only: drop pairs beyond the point where the chain has
        mixed to Dobrushin coefficient ``<= mixing_tol`` (0 = exact, the default).

    Returns
    -------
    ndarray, shape (n-1,)
        ``M[g-1] = M_g``.

    Notes
    -----
    Homogeneous: ``O(n q^3)``.  Inhomogeneous: ``O(n^2 q^3)`` exactly (about
    ``4 s`` per ``10^7`` pairs at ``q = 4``), ``O(n L q^3)`` with truncation at
    mixing length ``L``.
    """
    s = markov_spec(n, transition, initial)
    return _gap_sums(s, mixing_tol)[0]


def _gap_sums(s: MarkovSpec, mixing_tol: float, marg: np.ndarray | None = None
              ) -> tuple[np.ndarray, int]:
    tol = as_float(mixing_tol, "mixing_tol", minimum=0.0, maximum=1.0, strict_maximum=True)
    if marg is None:
        marg = _marginals(s)
    if s.homogeneous:
        return _homogeneous_gap_sums(s, marg), s.n
    M, gmin = _inhomogeneous_gap_sums_kernel(s.transition, marg, tol)
    return M, int(gmin)


# ============================================================================ combinatorial kernel
@njit(cache=True)
def _inv_binom(n, k):
    """``1 / C(n, k)`` as a product of ratios in [0, 1] (exact to ~k ulps; 0 on underflow)."""
    if k < 0 or k > n:
        return 0.0
    if n - k < k:
        k = n - k
    v = 1.0
    for i in range(1, k + 1):
        v *= i / (n - k + i)
        if v < 1e-300:
            return 0.0
    return v


@njit(cache=True)
def _curve_kernel(M, n, absolute, gstart):
    """``Z_j = sum_{g >= gstart} M_g (r(g,j) - r(g,j-1))`` for ``j = 1..n``.

    With ``absolute`` the increments enter by absolute value (used for error bounds).
    """
    Z = np.zeros(n)
    G = 0  # last gap with M_g != 0
    for g in range(n - 1, 0, -1):
        if M[g - 1] != 0.0:
            G = g
            break
    if G == 0:
        return Z
    nf = float(n)
    for j in range(2, n + 1):
        jf = float(j)
        acc = 0.0
        r = jf * (jf - 1.0) / (nf * (nf - 1.0))  # r(1, j)
        gmax = min(n - j + 1, G)
        for g in range(1, gmax + 1):
            if g >= gstart:
                gf = float(g)
                delta = r * (2.0 * (nf + 1.0) - jf * (gf + 1.0)) / (jf * (nf - gf - jf + 2.0))
                acc += M[g - 1] * (abs(delta) if absolute else delta)
            if g < gmax:
                r *= (nf - g - jf + 1.0) / (nf - g - 1.0)
                if r < 1e-300:
                    break
        gb = n - j + 2  # boundary gap where r(g,j) = 0 < r(g,j-1) = 1/C(n, j-1)
        if gb >= gstart and gb <= G:
            acc += M[gb - 1] * (1.0 if absolute else -1.0) * _inv_binom(n, j - 1)
        Z[j - 1] = acc
    return Z


def _check_gap_sums(M) -> np.ndarray:
    M = np.ascontiguousarray(as_real_array(M, "M (gap sums)", finite=False, nonempty=False))
    if M.ndim != 1:
        raise ValueError(f"gap sums must be 1-D of length n-1, got shape {M.shape}")
    if not np.all(np.isfinite(M)) or np.any(M < 0):
        raise ValueError("gap sums must be finite and non-negative")
    return M


def curve_from_gap_sums(M) -> np.ndarray:
    """Information curve of a chain-decomposable law from its gap sums (nats).

    Parameters
    ----------
    M : array_like, shape (n-1,)
        ``M[g-1] = sum_{a} I(X_a; X_{a+g})`` (see the module docstring).  Valid for
        any law with ``H(X_T) = sum_{t in T} H(X_t) - sum_k I(X_{t_k}; X_{t_{k+1}})``,
        i.e. any Markov chain (homogeneous or not).

    Returns
    -------
    ndarray, shape (n,)
        ``Z[j-1] = Z_j = sum_g M_g (r(g,j) - r(g,j-1))``, ``Z[0] = 0``.
    """
    M = _check_gap_sums(M)
    return _curve_kernel(M, M.size + 1, False, 1)


def profile_from_gap_sums(M, marginal_entropies) -> np.ndarray:
    """Entropy profile ``e(m)``, ``m = 0..n``, from gap sums and ``H(X_a)`` (nats).

    ``e(m) = m d_1 - sum_{j <= m} Z_j`` with ``d_1 = mean_a H(X_a)`` (Lemma 13).
    """
    M = _check_gap_sums(M)
    h = as_real_array(marginal_entropies, "marginal_entropies", nonempty=False)
    if (h < 0).any():
        raise ValueError("marginal_entropies must be non-negative")
    if h.shape != (M.size + 1,):
        raise ValueError(f"marginal_entropies must have shape ({M.size + 1},), got {h.shape}")
    Z = _curve_kernel(M, M.size + 1, False, 1)
    d = h.mean() - Z
    return np.concatenate([[0.0], np.cumsum(d)])


# ============================================================================ public curves
def markov_information_curve(n: int, transition, initial=None, *, base: float | None = None,
                             mixing_tol: float = 0.0) -> np.ndarray:
    """Exact information curve ``Z`` (Def. 1.3) of a Markov chain, no ``q^n`` table.

    Parameters
    ----------
    n : int
        Length (tested up to ``10^4``; the combinatorial part is ``O(n^2)``).
    transition : array_like, shape (q, q) or (n-1, q, q)
        Homogeneous or per-step row-stochastic transition matrices.
    initial : array_like, shape (q,), optional
        Law of ``X_1`` (default: stationary / uniform, as ``families.markov_chain``).
    base : float, optional
        Log base of the result (default nats).
    mixing_tol : float
        See :func:`gap_information_sums` (inhomogeneous chains; 0 = exact).

    Returns
    -------
    ndarray, shape (n,)
        ``Z[j-1] = Z_j``, computed as ``sum_g M_g (r(g,j) - r(g,j-1))`` (module
        docstring; entropy-profile form of Lemma 13).  Agrees with
        ``information_curve(families.markov_chain(...))`` to ``1e-12`` for
        ``n <= 14`` (tests).
    """
    return markov_information_summary(n, transition, initial, base=base,
                                      mixing_tol=mixing_tol)["Z"]


def markov_entropy_profile(n: int, transition, initial=None, *, base: float | None = None
                           ) -> np.ndarray:
    """Exact entropy profile ``e(m)``, ``m = 0..n`` (Def 12) of a Markov chain."""
    return markov_information_summary(n, transition, initial, base=base)["profile"]


def markov_total_correlation(n: int, transition, initial=None, *,
                             base: float | None = None) -> float:
    """``TC = sum_{a=1}^{n-1} I(X_a; X_{a+1}) = M_1`` (Def. 1.7; module docstring).

    For a stationary homogeneous chain this is ``(n-1) I(X_1; X_2)``, the classical
    formula ``(n-1)(1 - h(p))`` bits for the binary symmetric chain.
    """
    s = markov_spec(n, transition, initial)
    if s.n < 2:
        return 0.0
    marg = _marginals(s)
    M = _adjacent_informations(s, marg)
    return float(M[0]) / log_base_factor(base)


def markov_dual_total_correlation(n: int, transition, initial=None, *,
                                  base: float | None = None) -> float:
    """``DTC = M_1 - M_2 = sum_a I(X_a;X_{a+1}) - sum_a I(X_a;X_{a+2})``.

    Derivation: ``n Z_n = 2 M_1 - M_2`` and ``TC = M_1`` (module docstring), and
    ``DTC = n Z_n - TC`` (Lemma 8).
    """
    s = markov_spec(n, transition, initial)
    if s.n < 2:
        return 0.0
    marg = _marginals(s)
    M = _adjacent_informations(s, marg)
    M2 = M[1] if M.size > 1 else 0.0
    return float(M[0] - M2) / log_base_factor(base)


def _pair_informations(pa: np.ndarray, P: np.ndarray, pb: np.ndarray) -> np.ndarray:
    """``I(X_a; X_b)`` for stacks: ``pa``, ``pb`` (k, q), ``P`` (k, q, q) = law of X_b | X_a."""
    J = pa[:, :, None] * P
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(J > 0, P, 1.0) / np.where(pb > 0, pb, 1.0)[:, None, :]
        t = np.where(J > 0, J * np.log(np.where(J > 0, ratio, 1.0)), 0.0)
    return np.maximum(t.sum(axis=(1, 2)), 0.0)


def _adjacent_informations(s: MarkovSpec, marg: np.ndarray) -> np.ndarray:
    """``[M_1, M_2]`` (only the first two gaps; vectorised, O(n q^3))."""
    T = s.steps()
    n = s.n
    if s.homogeneous and not LEGACY and n > 2:
        # the marginals are constant from row a0 on (fixed point of the float map, see
        # _marginals_kernel): those pair informations are all equal, count x value
        nz = np.flatnonzero(~np.all(marg == marg[-1], axis=1))
        a0 = int(nz[-1]) + 1 if nz.size else 0
        P2 = s.transition @ s.transition
        v1, v2 = min(a0, n - 1), min(a0, n - 2)
        last = marg[-1:]
        c1 = _pair_informations(last, s.transition[None], last)[0]
        c2 = _pair_informations(last, P2[None], last)[0]
        M1 = float(_pair_informations(marg[:v1], T[:v1], marg[1:v1 + 1]).sum()) \
            + (n - 1 - v1) * float(c1)
        M2 = float(_pair_informations(marg[:v2], np.broadcast_to(P2, (v2, s.q, s.q)),
                                      marg[2:v2 + 2]).sum()) + (n - 2 - v2) * float(c2)
        return np.array([M1, M2])
    M1 = float(_pair_informations(marg[:-1], T, marg[1:]).sum()) if n > 1 else 0.0
    M2 = float(_pair_informations(marg[:-2], np.matmul(T[:-1], T[1:]), marg[2:]).sum()) \
        if n > 2 else 0.0
    return np.array([M1, M2])


def markov_information_summary(n: int, transition, initial=None, *,
                               base: float | None = None, mixing_tol: float = 0.0) -> dict:
    """``Z``, ``e``, TC, DTC, ``sum_i I(X_i; X_-i)``, ``H(X)`` and the gap sums, exactly.

    Returns
    -------
    dict
        ``Z`` (n,), ``profile`` (n+1,), ``TC``, ``DTC``, ``mutual_information_sum``
        (``= n Z_n``), ``H``, ``gap_sums`` (``M_g``), ``n``, ``q``, ``base`` and
        ``Z_error_bound`` (n,): zeros when exact, else the certified bound of the
        ``mixing_tol`` truncation (module docstring).
    """
    s = markov_spec(n, transition, initial)
    fac = log_base_factor(base)
    marg = _marginals(s)
    h = _H(marg)
    M, gmin = _gap_sums(s, mixing_tol, marg)
    n = s.n
    Z = _curve_kernel(M, n, False, 1) if n > 1 else np.zeros(1)
    d = h.mean() - Z
    profile = np.concatenate([[0.0], np.cumsum(d)])
    # TC, DTC from the closed forms (exact even under truncation, which keeps g = 1, 2)
    M12 = _adjacent_informations(s, marg) if n > 1 else np.zeros(2)
    tc = float(M12[0]) if n > 1 else 0.0
    dtc = float(M12[0] - M12[1]) if n > 1 else 0.0
    H = float(h.sum() - tc)
    if gmin < n:
        bound = float(mixing_tol) * float(h.max()) * _curve_kernel(
            (n - np.arange(1, n)).astype(np.float64), n, True, gmin)
    else:
        bound = np.zeros(n)
    return {
        "Z": Z / fac, "profile": profile / fac, "TC": tc / fac, "DTC": dtc / fac,
        "mutual_information_sum": (tc + dtc) / fac, "H": H / fac, "gap_sums": M / fac,
        "n": n, "q": s.q, "base": base, "Z_error_bound": bound / fac,
    }


# ============================================================================ sampling / oracle
def markov_sample(n: int, transition, initial=None, size: int = 1, rng=None) -> np.ndarray:
    """``size`` i.i.d. sequences of the chain, shape ``(size, n)`` int64 (inverse CDF)."""
    s = markov_spec(n, transition, initial)
    size = as_int(size, "size", minimum=0)
    _check_sample_size(size, s.n)
    rng = as_seed(rng, "rng")
    return _sample_chain(s.initial, s.steps(), None, s.n, size, rng)


def _check_sample_size(size: int, n: int, q: int = 1) -> None:
    # states, uniforms and one row of cumulative sums per draw and position
    check_nbytes(8.0 * size * n * (3 + 2 * q), what=f"a sample of size={size:,} with n={n:,}")


def _sample_chain(init: np.ndarray, steps: np.ndarray, emission: np.ndarray | None, n: int,
                  size: int, rng: np.random.Generator) -> np.ndarray:
    """Sample hidden chain (and emissions if given) by inverse CDF, vectorised over size."""
    z = np.empty((size, n), dtype=np.int64)
    u = rng.random((size, n))
    c0 = np.cumsum(init)
    z[:, 0] = np.minimum(np.searchsorted(c0, u[:, 0] * c0[-1], side="right"), init.size - 1)
    for t in range(1, n):
        C = np.cumsum(steps[t - 1][z[:, t - 1]], axis=1)
        z[:, t] = np.minimum((u[:, t, None] * C[:, -1:] >= C).sum(axis=1), init.size - 1)
    if emission is None:
        return z
    v = rng.random((size, n))
    CE = np.cumsum(emission, axis=1)[z]  # (size, n, q)
    return np.minimum((v[..., None] * CE[..., -1:] >= CE).sum(axis=-1),
                      emission.shape[1] - 1).astype(np.int64)


@njit(cache=True)
def _fb_kernel(x, mask, init, steps, E, out):
    """Masked forward-backward; returns 0 on success, 1 + row on a zero-probability context.

    Indices are cast to ``uint64`` where the arrays are read: Numba adds
    negative-index wrap-around code to every signed index it cannot prove
    non-negative (symbols loaded from ``x``, offsets ``t - 1``, ``t + 1``, the
    backward loop's ``t``); all are non-negative, so the cast changes the machine
    code only (the same values bit for bit).
    """
    U = np.uint64  # unsigned indices: see the note above
    B, n = x.shape
    h = init.shape[0]
    q = E.shape[1]
    alpha = np.empty((n, h))
    beta = np.empty((n, h))
    for b in range(B):
        # forward (normalised)
        for z in range(h):
            alpha[0, z] = init[z] * (E[z, U(x[b, 0])] if mask[b, 0] else 1.0)
        s = 0.0
        for z in range(h):
            s += alpha[0, z]
        if not s > 0.0:
            return 1 + b
        for z in range(h):
            alpha[0, z] /= s
        for t in range(1, n):
            ut = U(t)
            Tt = steps[ut - U(1)]
            s = 0.0
            for z2 in range(h):
                acc = 0.0
                for z in range(h):
                    acc += alpha[ut - U(1), z] * Tt[z, z2]
                if mask[b, ut]:
                    acc *= E[z2, U(x[b, ut])]
                alpha[ut, z2] = acc
                s += acc
            if not s > 0.0:
                return 1 + b
            for z2 in range(h):
                alpha[ut, z2] /= s
        # backward (normalised)
        for z in range(h):
            beta[n - 1, z] = 1.0
        for t in range(n - 2, -1, -1):
            ut = U(t)
            Tt = steps[ut]
            s = 0.0
            for z in range(h):
                acc = 0.0
                for z2 in range(h):
                    e = E[z2, U(x[b, ut + U(1)])] if mask[b, ut + U(1)] else 1.0
                    acc += Tt[z, z2] * e * beta[ut + U(1), z2]
                beta[ut, z] = acc
                s += acc
            if not s > 0.0:
                return 1 + b
            for z in range(h):
                beta[ut, z] /= s
        # predictive marginals at masked positions
        for t in range(n):
            if mask[b, t]:
                for a in range(q):
                    out[b, t, a] = 0.0
                out[b, t, U(x[b, t])] = 1.0
                continue
            s = 0.0
            for z in range(h):
                s += alpha[t, z] * beta[t, z]
            if not s > 0.0:
                return 1 + b
            for a in range(q):
                acc = 0.0
                for z in range(h):
                    acc += alpha[t, z] * beta[t, z] * E[z, a]
                out[b, t, a] = acc / s
    return 0


def forward_backward_conditionals(x: np.ndarray, revealed_mask: np.ndarray, initial: np.ndarray,
                                  steps: np.ndarray, emission: np.ndarray) -> np.ndarray:
    """Exact ``p(X_i = . | x_S)`` for a (hidden) Markov chain, batched; ``O(B n h (h+q))``.

    Parameters
    ----------
    x : (B, n) int, revealed_mask : (B, n) bool
    initial : (h,), steps : (n-1, h, h), emission : (h, q)
        A plain Markov chain is the case ``emission = I``.

    Raises
    ------
    ValueError
        If a revealed context has probability zero.
    """
    init = check_probability_vector(initial, "initial")
    h = init.size
    E = check_stochastic_matrix(emission, "emission")
    if E.ndim != 2 or E.shape[0] != h:
        raise ValueError(f"emission must have shape (h, q) with h={h}, got {E.shape}")
    x = as_tokens(x, "x", E.shape[1], ndim=2)
    mask = np.ascontiguousarray(_as_mask(revealed_mask))
    B, n = x.shape
    if mask.shape != x.shape:
        raise ValueError(f"x and revealed_mask must have the same shape, got {x.shape} and "
                         f"{mask.shape}")
    if n - 1 == 0 and np.size(steps) == 0:
        st = np.zeros((0, h, h))
    else:
        st = check_stochastic_matrix(steps, "steps")
        if st.shape[-2:] != (h, h):
            raise ValueError(f"steps must have shape (n-1, h, h) or (h, h) with h={h}, got "
                             f"{st.shape}")
        if st.ndim == 2:
            st = np.broadcast_to(st, (n - 1, h, h))
    if st.shape != (n - 1, h, h):
        raise ValueError(f"steps must have shape (n-1, h, h) = ({n - 1}, {h}, {h}), got "
                         f"{st.shape}")
    check_nbytes(8.0 * B * n * (E.shape[1] + 2 * h), what=f"forward-backward of a batch of {B:,}")
    out = np.empty((B, n, E.shape[1]))
    rc = _fb_kernel(np.ascontiguousarray(x), mask, np.ascontiguousarray(init),
                    np.ascontiguousarray(st), np.ascontiguousarray(E), out)
    if rc:
        raise ValueError(f"the revealed context of batch row {rc - 1} has probability zero; "
                         "its conditionals are undefined")
    return out


class MarkovOracle:
    """Exact conditional oracle of a Markov chain for :mod:`mdmtheory.montecarlo`.

    ``MarkovOracle(n, T, init)(x, mask)`` returns ``p(X_i = . | x_S)`` of shape
    ``(B, n, q)`` by masked forward-backward (``O(B n q^2)`` per call); ``.sample``
    is a matching sampler ``(size, rng) -> (size, n)``.
    """

    def __init__(self, n: int, transition, initial=None):
        self.spec = markov_spec(n, transition, initial)
        self._steps = np.ascontiguousarray(self.spec.steps())
        self._E = np.eye(self.spec.q)

    @property
    def n(self) -> int:
        return self.spec.n

    @property
    def q(self) -> int:
        return self.spec.q

    def __call__(self, x: np.ndarray, revealed_mask: np.ndarray) -> np.ndarray:
        x = as_int_array(x, "x")
        mask = _as_mask(revealed_mask)
        if x.ndim != 2 or x.shape[1] != self.n or mask.shape != x.shape:
            raise ValueError(f"x and revealed_mask must have shape (B, {self.n})")
        if x.size and (x.min() < 0 or x.max() >= self.q):
            raise ValueError(f"x: tokens must lie in [0, {self.q})")
        return forward_backward_conditionals(x, revealed_mask, self.spec.initial, self._steps,
                                             self._E)

    def sample(self, size: int, rng=None) -> np.ndarray:
        size = as_int(size, "size", minimum=0)
        _check_sample_size(size, self.n, self.q)
        rng = as_seed(rng, "rng")
        return _sample_chain(self.spec.initial, self.spec.steps(), None, self.n, size, rng)
