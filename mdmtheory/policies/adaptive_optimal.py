"""Exactly optimal adaptive unmasking policies by dynamic programming over partial assignments.

The sampler (Def 1, with the position sets chosen adaptively)
--------------------------------------------------------------
At a partial assignment ``x`` (revealed positions ``U`` and their values) a
policy chooses a non-empty set ``A`` of masked positions; one forward pass of
the exact oracle (Def 11) gives the conditionals ``p_i = mu(X_i = . | x_U)``
and every ``i`` in ``A`` is filled by an *independent* draw from ``p_i`` (the
model's sampler: the tokens of one step are drawn from the product of their
conditionals, not from their joint law).  The policy may depend on everything
revealed so far.  The episode ends when no position is masked; ``NFE`` is the
number of steps.

Terminal rewards
----------------
``"correct"``   ``1[mu(x) > 0]`` (the sample lies in the support);
``"loglik"``    ``log mu(x)`` (``-inf`` outside the support; ``base`` as
                everywhere in the package, nats by default);
``"speed"``     ``1[mu(x) > 0] * ((L - NFE + 1) / L)^alpha``, the multiplicative
                reward of Jazbec et al. (arXiv 2512.09106) with horizon ``L``
                (default ``n``).

The dynamic program
-------------------
With a price ``lam >= 0`` per forward pass (the Lagrangian of the expected
NFE) and an optional hard budget ``B`` (``NFE <= B`` almost surely)::

    V(x, t) = R(x, t)                                           x complete
    V(x, t) = -inf                                              x incomplete, t >= B
    V(x, t) = max_{A != {}} [ -lam + sum_{y_A} prod_{i in A} p_i(y_i) V(x + y_A, t + 1) ]

``t`` (the NFE spent) is part of the state only when the reward or the
budget needs it.  States of zero mass under ``mu`` ("dead": an independent
draw left the support) all have the same future -- the reward of an outcome
outside the support, after one more step that reveals the rest -- so they are
merged into one closed-form value and never expanded.

For each live state the value of *every* action ``A`` (subset of the masked
set ``M``) is the sum over its outcomes ``y_A``, enumerated depth first with
branches of probability zero pruned (a compiled kernel).  The total work is
at most ``sum_{live x} (q+1)^{m(x)}`` products (``<= (2q+1)^n``; ``5^10 ~ 1e7``
for ``n = 10, q = 2``), times the number of NFE values when ``t`` is in the
state.  Memory: the value table has ``(q+1)^n`` entries per NFE value (the
exact oracle's extended marginal tensor has the same size).

Ties are broken towards the largest set (fewest forward passes), then the
smallest bit mask, within :data:`TIE_RTOL` (relative).

Trade-off with NFE
------------------
:func:`adaptive_front` returns the exact upper concave envelope of the
achievable ``(E NFE, E R)`` pairs: ``f(lam) = max_pi (E R - lam E NFE)`` is
convex and piecewise linear in ``lam`` and each of its pieces is a vertex of the
envelope; the vertices are found by the chord search of Eisner & Severance
(1976) -- solve at the slope of the chord between two known vertices; a value
above the chord is a new vertex -- in ``2V - 1`` solves for ``V`` vertices.
The search runs breadth first: the chords of one round are independent, so
their prices share one pass of the DP (every enumerated outcome product
serves all prices of the batch; a round costs little more than one solve
while the per-outcome work is dominated by the enumeration).  Each price
gets exactly the operations of a single solve, so the front is the same bit
for bit; about ``log2 V`` rounds instead of ``2V - 1`` passes.
Mixing the two deterministic policies at the ends of an edge achieves every
point of the envelope, and nothing achieves more (the achievable set of a
finite MDP is the convex hull of its deterministic policies), so the envelope
is also the exact optimum under an *expected*-NFE budget.
:func:`budget_front` solves the hard budgets ``B = 1..n``.

References
----------
Chen, Cong & Li, "Optimal Inference Schedules for Masked Diffusion Models"
(COLT 2026): Def 1 (the sampler), Def 11 (the oracle), Thm 4 (the optimal
*oblivious* schedule, the baseline of the gaps).  Jazbec et al., "Learning
Unmasking Policies for Diffusion Language Models", arXiv 2512.09106 (reward).
J. Eisner & M. Severance, "Mathematical techniques for efficient record
segmentation in large shared databases", J. ACM 23(4), 1976 (the chord search).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numba import njit

from .._validation import as_float, as_int, as_real_array, as_tolerance, log_base_factor
from ..distribution import Distribution, as_distribution
from .mdp import MASK, ExactOracle, Observation, Policy, UnmaskingMDP

__all__ = [
    "REWARDS",
    "TIE_RTOL",
    "AdaptiveSolution",
    "AdaptiveFront",
    "OptimalAdaptivePolicy",
    "solve_adaptive",
    "adaptive_front",
    "budget_front",
    "budget_envelope",
]

Reward = Literal["correct", "loglik", "speed"]
#: Terminal rewards understood by the solver.
REWARDS = ("correct", "loglik", "speed")

#: Two action values within ``TIE_RTOL * max(1, |value|)`` are a tie.  Values are
#: sums of at most ``(2q+1)^n`` products of float64 conditionals, each correct to
#: ~1e-16 relative, so rounding stays below ~1e-13 for the sizes handled here;
#: genuine differences between distinct actions on these laws are far larger.
TIE_RTOL = 1e-11


# ============================================================================ problem
class _Problem:
    """Validated data of one DP: oracle, dense tables, terminal rewards.  Private."""

    def __init__(self, mu: Distribution, reward: str, alpha: float, length: int | None,
                 base: float | None):
        if reward not in REWARDS:
            raise ValueError(f"reward must be one of {REWARDS}, got {reward!r}")
        alpha = as_float(alpha, "alpha", minimum=0.0)
        self.mu = mu
        self.n, self.q = mu.n, mu.q
        self.reward = reward
        self.alpha = alpha
        self.length = self.n if length is None else as_int(length, "length", minimum=1)
        self.factor = log_base_factor(base)
        self.base = base
        self.oracle = ExactOracle(mu)
        n, q = self.n, self.q
        self.C = (q + 1) ** n
        self.strides = self.oracle.strides
        self.mass = self.oracle._tensor()
        codes = np.arange(self.C, dtype=np.int64)
        digits = (codes[:, None] // self.strides[None, :]) % (q + 1)
        self.maskbits = ((digits == q).astype(np.int64) << np.arange(n)[None, :]).sum(axis=1)
        self.live = self.mass > 0
        self.complete = self.maskbits == 0
        # base terminal value of complete codes (before the speed factor)
        base_r = np.zeros(self.C)
        if reward == "loglik":
            with np.errstate(divide="ignore"):
                base_r = np.where(self.live, np.log(np.where(self.live, self.mass, 1.0)),
                                  -np.inf) / self.factor
        else:
            base_r = self.live.astype(np.float64)
        self.base_reward = base_r
        self.dead_reward = -np.inf if reward == "loglik" else 0.0
        inc = np.flatnonzero(self.live & ~self.complete)
        #: live incomplete codes, children first (by increasing number of masked positions)
        self.inc_codes = inc[np.argsort(_popcount(self.maskbits[inc]), kind="stable")]

    @property
    def time_dependent(self) -> bool:
        return self.reward == "speed"

    def speed(self, t) -> np.ndarray:
        """``((L - t + 1)/L)^alpha`` for NFE ``t`` (1 when the reward has no speed term)."""
        t = np.asarray(t, dtype=np.float64)
        if self.reward != "speed":
            return np.ones_like(t)
        L = self.length
        return ((L - np.minimum(t, L) + 1) / L) ** self.alpha


def _popcount(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.int64)
    c = np.zeros_like(a)
    while True:
        nz = a != 0
        if not nz.any():
            return c
        c += nz
        a = a & (a - 1)


@njit(cache=True, inline="always")
def _set_bits(M, n, pos):
    """Write the positions ``i < n`` of the set bits of ``M`` to ``pos`` (increasing);
    return how many.  Private."""
    m = 0
    for i in range(n):
        if (M >> i) & 1:
            pos[m] = i
            m += 1
    return m


@njit(cache=True, error_model="numpy")
def _dp_kernel(codes, maskbits, mass, strides, q, n, V, act, lam, mode, budget, rtol):
    """Fill ``V``/``act`` at the live incomplete ``codes`` (children first).  Private.

    Preconditions: ``codes`` sorted by increasing number of masked positions,
    ``mass > 0`` at every code in ``codes``, ``V`` already holds the values of
    complete and dead codes on every slice.  ``mode`` 0: one slice; 1: slice =
    NFE spent (children one slice up); 2: slice = passes left (children one
    slice down).  For every action ``A`` the value is
    ``sum_{y_A} prod_{i in A} p_i(y_i) V[child]`` over the outcomes of positive
    probability (a ``-inf`` child of probability zero is skipped).

    Indices are cast to ``uint64`` where the arrays are read: Numba adds
    negative-index wrap-around code to every signed index it cannot prove
    non-negative (the DFS depth ``r``, digits and codes loaded from arrays); all
    indices here are non-negative, so the cast changes the machine code only
    (the same tables bit for bit).  ``D[j, v]`` is the code offset of outcome ``v``
    at masked position ``j`` (exact integers, precomputed per state).
    """
    U = np.uint64  # unsigned indices: see the note above
    Tn = V.shape[0]
    P = np.empty((n, q))
    D = np.empty((n, q), np.int64)
    pos = np.empty(n, np.int64)
    sel = np.empty(n, np.int64)
    digit = np.empty(n + 1, np.int64)
    pp = np.empty(n + 1)
    pc = np.empty(n + 1, np.int64)
    for idx in range(codes.size):
        c = codes[idx]
        M = maskbits[U(c)]
        m = _set_bits(M, n, pos)
        den = mass[U(c)]
        for j in range(m):
            for v in range(q):
                D[j, v] = (v - q) * strides[U(pos[j])]
                P[j, v] = mass[U(c + D[j, v])] / den
        if mode == 0:
            p0, p1, shift = 0, 0, 0
        elif mode == 1:
            if m == n:
                p0, p1 = 0, 0
            else:
                p0, p1 = 1, min(n - m, budget - 1)
            shift = 1
        else:
            p0, p1, shift = 1, m, -1
        if mode != 0:
            for t in range(Tn):
                V[t, U(c)] = -np.inf
                act[t, U(c)] = M
        if p1 < p0:
            continue
        ns = p1 - p0 + 1
        nA = 1 << m
        Q = np.zeros((ns, nA))
        bits = np.zeros(nA, np.int64)
        size = np.zeros(nA, np.int64)
        for a in range(1, nA):
            k = 0
            ab = 0
            for j in range(m):
                if (a >> j) & 1:
                    sel[k] = j
                    k += 1
                    ab |= 1 << pos[j]
            bits[a] = ab
            size[a] = k
            # depth-first over the outcomes y_A, pruning branches of probability zero
            pp[0] = 1.0
            pc[0] = c
            r = 0
            digit[0] = -1
            while r >= 0:
                ur = U(r)
                v = digit[ur] + 1
                digit[ur] = v
                if v == q:
                    r -= 1
                    continue
                j = sel[ur]
                pr = pp[ur] * P[U(j), U(v)]
                if pr == 0.0:
                    continue
                cc = pc[ur] + D[U(j), U(v)]
                if r + 1 == k:
                    for s in range(ns):
                        Q[s, a] += pr * V[U(p0 + s + shift), U(cc)]
                else:
                    pp[ur + U(1)] = pr
                    pc[ur + U(1)] = cc
                    r += 1
                    digit[U(r)] = -1
        for s in range(ns):
            best = -np.inf
            for a in range(1, nA):
                if Q[s, a] - lam > best:
                    best = Q[s, a] - lam
            tol = rtol * max(1.0, abs(best)) if np.isfinite(best) else 0.0
            ba, bk, bb = 1, -1, 0
            for a in range(1, nA):
                val = Q[s, a] - lam
                if val >= best - tol or (not np.isfinite(best)):
                    if size[a] > bk or (size[a] == bk and bits[a] < bb):
                        ba, bk, bb = a, size[a], bits[a]
            V[U(p0 + s), U(c)] = best
            act[U(p0 + s), U(c)] = bits[ba]
        if mode == 2 and m < n:
            for t in range(m + 1, Tn):
                V[t, U(c)] = V[m, U(c)]
                act[t, U(c)] = act[m, U(c)]


@njit(cache=True, error_model="numpy")
def _dp_kernel_lams(codes, maskbits, mass, strides, q, n, V, act, lams, rtol):
    """The one-slice DP of :func:`_dp_kernel` for many prices at once.  Private.

    ``V`` and ``act`` have shape ``(C, L)`` (one column per price in ``lams``,
    contiguous per code, so the inner loop over prices is unit-stride).  The
    outcomes of every action are enumerated once and each product
    ``prod_i p_i(y_i)`` serves all ``L`` prices; every column receives exactly
    the floating-point operations, in the same order, as a single-price solve
    with :func:`_dp_kernel` (so the tables agree bit for bit).  Unsigned indices
    and the offset table ``D``: as in :func:`_dp_kernel`.
    """
    U = np.uint64  # unsigned indices (no wrap-around code): see _dp_kernel
    L = lams.size
    P = np.empty((n, q))
    D = np.empty((n, q), np.int64)
    pos = np.empty(n, np.int64)
    sel = np.empty(n, np.int64)
    digit = np.empty(n + 1, np.int64)
    pp = np.empty(n + 1)
    pc = np.empty(n + 1, np.int64)
    for idx in range(codes.size):
        c = codes[idx]
        M = maskbits[U(c)]
        m = _set_bits(M, n, pos)
        den = mass[U(c)]
        for j in range(m):
            for v in range(q):
                D[j, v] = (v - q) * strides[U(pos[j])]
                P[j, v] = mass[U(c + D[j, v])] / den
        nA = 1 << m
        Q = np.zeros((nA, L))
        bits = np.zeros(nA, np.int64)
        size = np.zeros(nA, np.int64)
        for a in range(1, nA):
            k = 0
            ab = 0
            for j in range(m):
                if (a >> j) & 1:
                    sel[k] = j
                    k += 1
                    ab |= 1 << pos[j]
            bits[a] = ab
            size[a] = k
            Qa = Q[a]
            pp[0] = 1.0
            pc[0] = c
            r = 0
            digit[0] = -1
            while r >= 0:
                ur = U(r)
                v = digit[ur] + 1
                digit[ur] = v
                if v == q:
                    r -= 1
                    continue
                j = sel[ur]
                pr = pp[ur] * P[U(j), U(v)]
                if pr == 0.0:
                    continue
                cc = pc[ur] + D[U(j), U(v)]
                if r + 1 == k:
                    Vc = V[U(cc)]
                    for s in range(L):
                        Qa[s] += pr * Vc[s]
                else:
                    pp[ur + U(1)] = pr
                    pc[ur + U(1)] = cc
                    r += 1
                    digit[U(r)] = -1
        for s in range(L):
            lam = lams[s]
            best = -np.inf
            for a in range(1, nA):
                if Q[a, s] - lam > best:
                    best = Q[a, s] - lam
            tol = rtol * max(1.0, abs(best)) if np.isfinite(best) else 0.0
            ba, bk, bb = 1, -1, 0
            for a in range(1, nA):
                val = Q[a, s] - lam
                if val >= best - tol or (not np.isfinite(best)):
                    if size[a] > bk or (size[a] == bk and bits[a] < bb):
                        ba, bk, bb = a, size[a], bits[a]
            V[U(c), s] = best
            act[U(c), s] = bits[ba]


def _backward_lams(pb: _Problem, lams: np.ndarray):
    """Value and action tables of the unbudgeted DP for every price in ``lams``.  Private.

    Returns ``V, act`` of shape ``(C, L)``; column ``l`` equals the one-slice
    tables of ``_backward(pb, lams[l], None, "none")`` bit for bit.
    """
    lams = np.ascontiguousarray(lams, dtype=np.float64)
    C, L = pb.C, lams.size
    V = np.empty((C, L))
    act = np.zeros((C, L), dtype=np.int64)
    comp = pb.complete
    with np.errstate(invalid="ignore"):
        V[comp, :] = pb.base_reward[comp][:, None]
    dead_inc = ~pb.live & ~comp
    V[dead_inc, :] = pb.dead_reward - lams[None, :]
    act[dead_inc, :] = pb.maskbits[dead_inc][:, None]
    _dp_kernel_lams(pb.inc_codes, pb.maskbits, pb.mass, np.ascontiguousarray(pb.strides), pb.q,
                    pb.n, V, act, lams, TIE_RTOL)
    return V, act


def _backward(pb: _Problem, lam: float, budget: int | None, mode: str):
    """The DP; returns the value and action tables, shape ``(T, C)``.  Private.

    ``mode`` is ``"none"`` (one slice), ``"time"`` (slice ``t`` = NFE spent,
    ``t = 0..n``; needed by the speed reward) or ``"remaining"`` (slice ``r`` =
    forward passes left, ``r = 0..n``: every hard budget at once, for rewards
    without a speed term).  A state with ``m`` of ``n`` positions masked is only
    reachable at ``t`` in ``[1, n - m]`` (``t = 0`` for the root), and its value
    does not depend on ``r >= m``; only those slices are computed.
    """
    n, C = pb.n, pb.C
    T = 1 if mode == "none" else n + 1
    B = n if budget is None else budget
    V = np.empty((T, C))
    act = np.zeros((T, C), dtype=np.int64)
    comp = pb.complete
    for t in range(T):
        sp = pb.speed(t) if mode == "time" else 1.0
        with np.errstate(invalid="ignore"):
            V[t, comp] = pb.base_reward[comp] * sp
    # dead incomplete codes: reveal the rest in one step (the dead reward is 0 or
    # -inf, so the speed factor does not matter)
    dead_inc = ~pb.live & ~comp
    for t in range(T):
        infeasible = (mode == "time" and t >= B) or (mode == "remaining" and t == 0)
        V[t, dead_inc] = -np.inf if infeasible else pb.dead_reward - lam
        act[t, dead_inc] = pb.maskbits[dead_inc]
    _dp_kernel(pb.inc_codes, pb.maskbits, pb.mass, np.ascontiguousarray(pb.strides), pb.q, n, V,
               act, float(lam), {"none": 0, "time": 1, "remaining": 2}[mode], B, TIE_RTOL)
    return V, act


@njit(cache=True, error_model="numpy")
def _children_kernel(codes, mass, a, T, strides, n, q):
    """The outcomes of one step of the forward pass: child codes and their masses.  Private.

    State ``codes[b]`` (mass ``mass[b]``) reveals the set ``a[b]``; every outcome
    ``y`` of it gives the child ``codes[b] + sum_j (y_j - q) stride_j`` with mass
    ``mass[b] * prod_j p_j(y_j)``, ``p_j(v) = T[child digit] / T[codes[b]]`` (the
    exact oracle's conditionals).  Outcomes of mass zero are dropped.  Order: states
    grouped by increasing action (stable), outcomes in lexicographic order, first
    revealed position most significant; the product is formed left to right from
    1.0.  (The order and the arithmetic of the vectorised numpy version it
    replaced, so the merged masses are the same bit for bit.)
    """
    U = np.uint64  # unsigned indices (no wrap-around code): see _dp_kernel
    B = codes.size
    order = np.argsort(a, kind="mergesort")
    total = 0
    for b in range(B):
        k = 0
        A = a[b]
        while A:
            k += A & 1
            A >>= 1
        total += q ** k
    cc = np.empty(total, np.int64)
    mm = np.empty(total)
    pos = np.empty(n, np.int64)
    dig = np.empty(n, np.int64)
    out = 0
    for ii in range(B):
        b = order[ii]
        A = a[U(b)]
        c = codes[U(b)]
        k = _set_bits(A, n, pos)
        den = T[U(c)]
        mb = mass[U(b)]
        for idx in range(q ** k):
            r = idx
            for j in range(k - 1, -1, -1):
                dig[U(j)] = r % q
                r //= q
            pr = 1.0
            dc = 0
            for j in range(k):
                off = (dig[j] - q) * strides[U(pos[j])]
                pr *= T[U(c + off)] / den
                dc += off
            m = mb * pr
            if m > 0:
                cc[out] = c + dc
                mm[out] = m
                out += 1
    return cc[:out], mm[:out]


def _forward(pb: _Problem, act: np.ndarray, timed: bool):
    """Exact law of the episode under the action table.  Private.

    Returns the reached states ``(codes, t, mass, action)`` and the terminal
    law ``(codes, t, mass)``.
    """
    n, q = pb.n, pb.q
    root = int(pb.oracle.full_mask_code)
    codes = np.array([root], dtype=np.int64)
    mass = np.ones(1)
    reached = []
    term_c, term_t, term_m = [], [], []
    for t in range(n + 1):
        if codes.size == 0:
            break
        done = pb.complete[codes]
        if done.any():
            term_c.append(codes[done])
            term_t.append(np.full(int(done.sum()), t))
            term_m.append(mass[done])
        codes, mass = codes[~done], mass[~done]
        if codes.size == 0:
            break
        a = act[t if timed else 0, codes]
        reached.append((codes, np.full(codes.size, t), mass, a))
        cc, mm = _children_kernel(codes, mass, a, pb.mass, np.ascontiguousarray(pb.strides),
                                  n, q)
        codes, inv = np.unique(cc, return_inverse=True)
        mass = np.bincount(inv.reshape(-1), weights=mm, minlength=codes.size)
    cat = (lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt))
    return reached, (cat(term_c, np.int64), cat(term_t, np.int64), cat(term_m, np.float64))


# ============================================================================ results
@dataclass(frozen=True)
class AdaptiveSolution:
    """An optimal adaptive policy for one price ``lam`` (and budget), with its exact law.

    Attributes
    ----------
    reward : str
        ``"correct"``, ``"loglik"`` or ``"speed"``.
    lam : float
        Price of one forward pass in the objective ``E R - lam E NFE``.
    budget : int or None
        Hard NFE budget (``NFE <= budget`` almost surely), if any.
    value : float
        Optimal ``E R - lam E NFE`` (from the backward DP).
    expected_reward, expected_nfe : float
        Of the returned policy (from an exact forward pass).
    nfe_pmf : ndarray, shape (n+1,)
        ``P(NFE = t)``.
    support_mass : float
        ``nu(supp mu)``: probability that the output lies in the support.
    n, q : int
    alpha : float
        Speed exponent (``"speed"`` only).
    length : int
        ``L`` of the speed reward.
    """

    reward: str
    lam: float
    budget: int | None
    value: float
    expected_reward: float
    expected_nfe: float
    nfe_pmf: np.ndarray = field(repr=False)
    support_mass: float
    n: int
    q: int
    alpha: float
    length: int
    _actions: np.ndarray = field(repr=False)
    _timed: bool = field(repr=False)
    _reached: tuple = field(repr=False)
    _problem: _Problem = field(repr=False, compare=False)

    @property
    def mu(self) -> Distribution:
        return self._problem.mu

    def action(self, x, nfe: int = 0) -> tuple[int, ...]:
        """Positions the policy reveals at partial assignment ``x`` after ``nfe`` passes.

        ``x`` is a length-``n`` sequence with :data:`~mdmtheory.oracle.MASK`
        (-1) at masked positions, or a string such as ``"1??0"`` (``?`` masked).
        """
        code = self._code(x)
        if self._problem.complete[code]:
            raise ValueError(f"x={x!r} has no masked position")
        t = as_int(nfe, "nfe", minimum=0) if self._timed else 0
        if t > self.n:
            raise ValueError(f"nfe must be <= n={self.n}, got {nfe}")
        A = int(self._actions[t, code])
        return tuple(int(i) for i in range(self.n) if (A >> i) & 1)

    def _code(self, x) -> int:
        if isinstance(x, str):
            if len(x) != self.n:
                raise ValueError(f"x must have length n={self.n}, got {len(x)}")
            x = [MASK if ch in "?*_" else int(ch) for ch in x]
        arr = np.asarray(x, dtype=np.int64)
        if arr.shape != (self.n,) or ((arr != MASK) & ((arr < 0) | (arr >= self.q))).any():
            raise ValueError(f"x must be n={self.n} tokens in [0, {self.q}) or MASK (-1)")
        return int(self._problem.oracle.encode(arr[None, :])[0])

    def table(self) -> list[dict]:
        """Every state the policy reaches with positive probability, with its action.

        Returns a list of dicts ``{"x": "1?0?", "nfe": t, "prob": P(reach),
        "reveal": (positions...)}`` in order of NFE, then state code.
        """
        out = []
        q = self.q
        for codes, ts, mass, acts in self._reached:
            x = self._problem.oracle.decode(codes)
            for r in np.argsort(codes, kind="stable"):
                s = "".join("?" if v == MASK else (str(v) if q <= 10 else f"[{v}]")
                            for v in x[r])
                A = int(acts[r])
                out.append({"x": s, "nfe": int(ts[r]), "prob": float(mass[r]),
                            "reveal": tuple(i for i in range(self.n) if (A >> i) & 1)})
        return out

    def policy(self) -> "OptimalAdaptivePolicy":
        """The policy as a :class:`~mdmtheory.policies.mdp.Policy` (for the MDP and evaluators)."""
        return OptimalAdaptivePolicy(self)


class OptimalAdaptivePolicy(Policy):
    """A DP-optimal policy acting in an :class:`~mdmtheory.policies.mdp.UnmaskingMDP`.

    Deterministic: at every state it reveals the set stored in its
    :class:`AdaptiveSolution`.  Valid in the MDP of the same ``mu`` with full
    diffusion (``block_length = n``), ``token_mode="sample"`` and a horizon of
    at least ``n``.
    """

    def __init__(self, solution: AdaptiveSolution):
        if not isinstance(solution, AdaptiveSolution):
            raise TypeError(f"solution must be an AdaptiveSolution (from solve_adaptive), got "
                            f"{type(solution).__name__}")
        self.solution = solution
        self.name = (f"optimal adaptive ({solution.reward}, lam={solution.lam:.4g}"
                     + (f", B={solution.budget}" if solution.budget is not None else "") + ")")

    def check(self, mdp: UnmaskingMDP) -> None:
        s = self.solution
        if mdp.n != s.n or mdp.q != s.q:
            raise ValueError(f"the policy is for n={s.n}, q={s.q}; the MDP has n={mdp.n}, "
                             f"q={mdp.q}")
        if mdp.block_length != mdp.n or mdp.token_mode != "sample" or mdp.horizon < mdp.n:
            raise ValueError("the optimal adaptive policy assumes full diffusion, "
                             "token_mode='sample' and a horizon >= n")

    def _masks(self, obs: Observation) -> np.ndarray:
        s = self.solution
        codes = s._problem.oracle.encode(obs.x)
        t = np.minimum(obs.nfe, s.n) if s._timed else np.zeros_like(obs.nfe)
        A = s._actions[t, codes]
        return ((A[:, None] >> np.arange(s.n)[None, :]) & 1).astype(bool) & obs.active

    def action_distribution(self, obs: Observation) -> tuple[np.ndarray, np.ndarray]:
        return self._masks(obs), np.ones(1)

    def sample_actions(self, obs: Observation, rng: np.random.Generator) -> np.ndarray:
        return self._masks(obs)


def _finish(pb: _Problem, lam: float, budget: int | None, value: float, act: np.ndarray,
            timed: bool) -> AdaptiveSolution:
    """Forward pass of an action table and the result record.  Private."""
    reached, (tc, tt, tm) = _forward(pb, act, timed)
    r = pb.base_reward[tc] * pb.speed(tt)
    with np.errstate(invalid="ignore"):
        er = float(np.sum(np.where(tm > 0, tm * r, 0.0)))
    pmf = np.bincount(tt, weights=tm, minlength=pb.n + 1)
    en = float(np.arange(pmf.size) @ pmf)
    return AdaptiveSolution(pb.reward, float(lam), budget, float(value), er, en, pmf,
                            float(tm[pb.live[tc]].sum()), pb.n, pb.q, pb.alpha, pb.length,
                            act, timed, tuple(reached), pb)


def _time_table(act_r: np.ndarray, budget: int, n: int) -> np.ndarray:
    """Remaining-budget actions -> NFE-indexed actions for budget ``B``: ``a_t = a_r[B - t]``."""
    t = np.arange(n + 1)
    return act_r[np.clip(budget - t, 0, n)]


def _solution(pb: _Problem, lam: float, budget: int | None) -> AdaptiveSolution:
    root = int(pb.oracle.full_mask_code)
    if pb.time_dependent:
        V, act = _backward(pb, lam, budget, "time")
        return _finish(pb, lam, budget, V[0, root], act, True)
    if budget is None:
        V, act = _backward(pb, lam, None, "none")
        return _finish(pb, lam, None, V[0, root], act, False)
    V, act = _backward(pb, lam, None, "remaining")
    return _finish(pb, lam, budget, V[budget, root], _time_table(act, budget, pb.n), True)


#: Largest value-table workspace of one batched solve (float64 entries): the
#: prices of a front are solved in batches of ``max(1, _BATCH_ENTRIES // C)``.
_BATCH_ENTRIES = 1 << 23


def _solutions(pb: _Problem, lams) -> list[AdaptiveSolution]:
    """Unbudgeted optimal solutions for several prices (one batched DP when possible).  Private.

    For rewards without a speed term the prices share one pass of the DP
    (:func:`_dp_kernel_lams`), in batches that keep the tables under
    ``_BATCH_ENTRIES`` entries; each solution is identical to
    ``_solution(pb, lam, None)``.
    """
    lams = [float(x) for x in lams]
    if pb.time_dependent:
        return [_solution(pb, lam, None) for lam in lams]
    out = []
    root = int(pb.oracle.full_mask_code)
    step = max(1, _BATCH_ENTRIES // pb.C)
    for i in range(0, len(lams), step):
        chunk = np.array(lams[i:i + step])
        V, act = _backward_lams(pb, chunk)
        for j, lam in enumerate(chunk):
            out.append(_finish(pb, float(lam), None, V[root, j],
                               np.ascontiguousarray(act[:, j])[None, :], False))
    return out


def _check_lam(lam) -> float:
    return as_float(lam, "lam", minimum=0.0)


def solve_adaptive(mu, reward: Reward = "correct", *, lam: float = 0.0,
                   budget: int | None = None, alpha: float = 1.0, length: int | None = None,
                   base: float | None = None) -> AdaptiveSolution:
    """The optimal adaptive policy for ``max E R - lam E NFE`` (subject to ``NFE <= budget``).

    Parameters
    ----------
    mu : Distribution
        A small dense law (the value table has ``(q+1)^n`` entries).
    reward : {"correct", "loglik", "speed"}
        Terminal reward (module docstring).
    lam : float
        Price of one forward pass (``>= 0``).
    budget : int, optional
        Hard budget ``1 <= B <= n`` on the number of forward passes.
    alpha : float
        Speed exponent of ``"speed"``.
    length : int, optional
        ``L`` of ``"speed"`` (default ``n``).
    base : float, optional
        Log base of ``"loglik"`` (default nats).

    Returns
    -------
    AdaptiveSolution
        The optimal value, the policy (``.action(x)``, ``.table()``,
        ``.policy()``) and its exact ``E R``, ``E NFE`` and NFE law.

    Notes
    -----
    Cost ``O(sum_{live x} (q+1)^{m(x)})`` vectorised numpy operations, times
    ``n + 1`` when the reward is ``"speed"`` or a budget is given.

    Examples
    --------
    >>> from mdmtheory import families
    >>> sol = solve_adaptive(families.repetition(4, 2), "correct", lam=0.01)
    >>> sol.action("????"), sol.action("1???", nfe=1)
    ((0,), (1, 2, 3))
    >>> round(sol.expected_reward, 6), round(sol.expected_nfe, 6)
    (1.0, 2.0)
    """
    mu = as_distribution(mu)
    lam = _check_lam(lam)
    if budget is not None:
        budget = as_int(budget, "budget", minimum=1)
        if budget > mu.n:
            raise ValueError(f"budget must be <= n={mu.n}, got {budget}")
    return _solution(_Problem(mu, reward, alpha, length, base), lam, budget)


# ============================================================================ fronts
@dataclass(frozen=True)
class AdaptiveFront:
    """The exact reward-vs-NFE front of optimal adaptive policies.

    Attributes
    ----------
    expected_nfe, expected_reward : ndarray
        The front's points by increasing ``E NFE`` (vertices of the upper concave
        envelope for ``kind="lagrangian"``; the budget optima for ``"budget"``).
    solutions : tuple of AdaptiveSolution
        The optimal policy at each point.
    kind : str
        ``"lagrangian"`` (expected-NFE trade-off) or ``"budget"`` (hard budgets).
    reward : str
    solves : int
        Number of DP solves used.
    """

    expected_nfe: np.ndarray
    expected_reward: np.ndarray
    solutions: tuple = field(repr=False)
    kind: str
    reward: str
    solves: int

    def envelope(self, at) -> np.ndarray:
        """Best reward with expected NFE at most ``at`` (:func:`budget_envelope` of the points).

        For ``kind="budget"`` this is what mixing the budget-optimal policies achieves.
        """
        return budget_envelope(self.expected_nfe, self.expected_reward, at)

    def __len__(self) -> int:
        return int(self.expected_nfe.size)


def budget_envelope(nfe, reward, at) -> np.ndarray:
    """Best ``E R`` reachable with ``E NFE <= at`` by mixing the given policies.

    The upper concave envelope of the non-dominated points, extended flat to
    the right of the last one (a larger budget need not be spent) and ``-inf``
    to the left of the first (no given policy is that fast).  Non-finite
    rewards are ignored.
    """
    from .exact import upper_concave_envelope

    x = as_real_array(nfe, "nfe", finite=False)
    y = as_real_array(reward, "reward", finite=False)
    if x.shape != y.shape:
        raise ValueError(f"nfe and reward must have the same shape, got {x.shape} and "
                         f"{y.shape}")
    ok = np.isfinite(y) & np.isfinite(x)
    at = np.atleast_1d(as_real_array(at, "at"))
    if not ok.any():
        return np.full(at.shape, -np.inf)
    x, y = x[ok], y[ok]
    o = np.lexsort((-y, x))
    x, y = x[o], y[o]
    keep = y > np.concatenate([[-np.inf], np.maximum.accumulate(y)[:-1]])
    x, y = x[keep], y[keep]
    out = upper_concave_envelope(x, y, np.minimum(at, x[-1]))
    out[at < x[0] - 1e-12] = -np.inf
    return out


def _pareto(points: list[AdaptiveSolution]) -> list[AdaptiveSolution]:
    pts = sorted(points, key=lambda s: (round(s.expected_nfe, 9), -s.expected_reward))
    out, best = [], -np.inf
    for s in pts:
        if s.expected_reward > best + 1e-12 * max(1.0, abs(best) if np.isfinite(best) else 1.0):
            out.append(s)
            best = s.expected_reward
    return out


def adaptive_front(mu, reward: Reward = "correct", *, alpha: float = 1.0,
                   length: int | None = None, base: float | None = None,
                   lam_max: float | None = None, tol: float | None = None) -> AdaptiveFront:
    """All vertices of the exact ``(E NFE, E R)`` front of adaptive policies (Lagrangian).

    Parameters
    ----------
    mu, reward, alpha, length, base
        As in :func:`solve_adaptive`.
    lam_max : float, optional
        Largest price searched.  Default: the reward range (``1`` for
        ``"correct"``/``"speed"``: then the one-step policy, ``NFE = 1``, is
        optimal and the front is complete); for ``"loglik"``, where unsafe
        policies score ``-inf``, ``1e6`` times the range of ``log mu`` on the
        support -- edges steeper than ``lam_max`` are not resolved.
    tol : float, optional
        A solve whose value exceeds the chord by at most ``tol`` (reward units)
        adds no vertex.  Default ``1e-10 * max(1, |value|)``: every vertex
        (exact up to DP rounding).  With a larger ``tol`` the returned envelope
        is below the true one by at most ``tol`` everywhere (a skipped vertex
        lies within ``tol`` of the chord it would split), in far fewer solves
        when the front has many nearly collinear vertices (e.g. ``"loglik"``
        on a hidden Markov law: 180 vertices at ``n = 10``).

    Returns
    -------
    AdaptiveFront
        Vertices by increasing expected NFE, each with its optimal policy.

    Notes
    -----
    Chord search (module docstring): ``2V - 1`` solves for ``V`` vertices,
    batched per round of the breadth-first search (``solves`` counts prices).
    A value above the chord by more than ``1e-10 * max(1, |value|)`` counts as a
    new vertex (DP rounding is ~1e-13).
    """
    mu = as_distribution(mu)
    pb = _Problem(mu, reward, alpha, length, base)
    if lam_max is None:
        if reward == "loglik":
            lp = pb.base_reward[pb.complete & pb.live]
            rng = float(lp.max() - lp.min()) if lp.size else 1.0
            lam_max = 1e6 * max(rng, 1.0)
        else:
            lam_max = 1.0 + 1e-9
    lam_max = as_float(lam_max, "lam_max", minimum=0.0, strict_minimum=True)
    if tol is not None:
        tol = as_tolerance(tol, "tol")
    solves = 0
    lo, hi = _solutions(pb, [0.0, lam_max])
    solves += 2
    found = [lo, hi]
    # chord search, breadth first: the chords of one round are solved in one batched DP
    pending = [(lo, hi, 0)]  # (a, b, depth), a has the larger expected NFE
    while pending:
        jobs = []
        for a, b, depth in pending:
            dn = a.expected_nfe - b.expected_nfe
            if dn <= 1e-12 or not (np.isfinite(a.expected_reward)
                                   and np.isfinite(b.expected_reward)):
                continue
            lam = (a.expected_reward - b.expected_reward) / dn
            if lam <= 0 or lam >= lam_max or depth > 60:
                continue
            jobs.append((a, b, depth, lam))
        sols = _solutions(pb, [j[3] for j in jobs])
        solves += len(sols)
        pending = []
        for (a, b, depth, lam), s in zip(jobs, sols):
            line = a.expected_reward - lam * a.expected_nfe
            thr = (1e-10 * max(1.0, abs(line)) if tol is None
                   else max(tol, 1e-10 * max(1.0, abs(line))))
            if s.value > line + thr:
                found.append(s)
                pending += [(a, s, depth + 1), (s, b, depth + 1)]
    found.sort(key=lambda s: s.lam)
    front = _pareto(found)
    # keep only the vertices of the upper concave envelope
    keep = []
    for s in front:
        while len(keep) >= 2:
            a, b = keep[-2], keep[-1]
            cross = ((b.expected_reward - a.expected_reward) * (s.expected_nfe - a.expected_nfe)
                     - (s.expected_reward - a.expected_reward) * (b.expected_nfe - a.expected_nfe))
            if np.isfinite(cross) and cross <= 1e-12:
                keep.pop()
            else:
                break
        keep.append(s)
    return AdaptiveFront(np.array([s.expected_nfe for s in keep]),
                         np.array([s.expected_reward for s in keep]), tuple(keep), "lagrangian",
                         reward, solves)


def budget_front(mu, reward: Reward = "correct", *, budgets=None, alpha: float = 1.0,
                 length: int | None = None, base: float | None = None) -> AdaptiveFront:
    """The optimal reward under each hard budget ``NFE <= B`` (almost surely).

    Parameters
    ----------
    budgets : iterable of int, optional
        Default ``1..n``.

    Returns
    -------
    AdaptiveFront
        One point per budget (``kind="budget"``); ``expected_nfe`` is the
        expected NFE of the returned optimal policy (ties broken towards large
        sets), ``expected_reward`` the optimum.
    """
    mu = as_distribution(mu)
    pb = _Problem(mu, reward, alpha, length, base)
    bs = range(1, mu.n + 1) if budgets is None else [as_int(b, "budgets", minimum=1)
                                                       for b in budgets]
    for b in bs:
        if b > mu.n:
            raise ValueError(f"budgets must be <= n={mu.n}, got {b}")
    if pb.time_dependent:
        sols = [_solution(pb, 0.0, b) for b in bs]
        solves = len(sols)
    else:  # one DP over the remaining budget serves every budget
        V, act = _backward(pb, 0.0, None, "remaining")
        root = int(pb.oracle.full_mask_code)
        sols = [_finish(pb, 0.0, b, V[b, root], _time_table(act, b, pb.n), True) for b in bs]
        solves = 1
    return AdaptiveFront(np.array([s.expected_nfe for s in sols]),
                         np.array([s.expected_reward for s in sols]), tuple(sols), "budget",
                         reward, solves)
