"""Exact output law of an adaptive unmasking policy (the MDP of Jazbec et al., arXiv 2512.09106).

For a small dense ``mu`` the MDP of :mod:`mdmtheory.policies.mdp` has finitely
many states, and the law of the whole episode can be computed exactly by a
*forward* recursion over partial assignments.

The recursion
-------------
Every transition spends exactly one forward pass, so states are processed
level by level in ``nfe = 0, 1, ..., L-1``.  A level is a set of distinct keys
``(partial assignment, block pointer)`` -- the partial assignment as the integer
code of :class:`~mdmtheory.policies.mdp.ExactOracle` -- with their probability
mass; paths that reach the same key at the same level are merged (this is the
memoisation on (revealed set, values)).  At each state

1. the exact oracle gives the conditionals ``p_i`` (one look-up),
2. the policy gives its exact action law (:meth:`Policy.action_distribution`;
   stochastic policies -- random-k, random tie-breaks, Bernoulli -- are summed
   over all their actions; a :class:`BernoulliPolicy` is expanded in product
   form), with the MDP's fallback applied to empty actions,
3. each action ``A`` is expanded over all token outcomes of its positions
   (independent draws ``prod_{i in A} p_i(y_i)`` in ``token_mode="sample"``, the
   arg-max in ``"argmax"``), zero-probability outcomes dropped.

Terminal states (no masks left, or the horizon reached) accumulate into the
joint law of (final sequence, NFE).  Nothing is sampled: the output law
``nu``, ``KL(mu || nu)``, the NFE distribution and any expected reward are exact
up to float64 rounding (relative error ~1e-15 per operation).

Cost
----
Per NFE level, one batched call each: the oracle's conditionals at all the
level's states, the policy's action law, and the expansion of every action over
its token outcomes (vectorised over states).  The conditionals come from
:class:`~mdmtheory.policies.mdp.ExactOracle`: a walk over the completions of each
state in the ``q^n`` table (``O(|M| q^|M|)`` per state, ``M`` its masked set)
until that work would exceed the cost of building the extended ``(q+1)^n``
marginal tensor, then look-ups in that tensor -- which is never built when it
would not fit the memory budget.  A level has at most ``(q+1)^n`` times the
number of block-pointer values states; deterministic policies visit far fewer.
Measured for top-k confidence with ``k = n`` steps (q = 2, a Dirichlet(0.3)
table, one process on a 2-core shared CPU): ``n = 18`` in 2.1 s (1.4 CPU-s),
``n = 20`` in 10.3 s (6.2 CPU-s) with a peak of 1.15 GiB -- the 28 GB tensor
of ``3^20`` entries is never built.  Fully stochastic policies (random-k,
Bernoulli) branch over all their actions and are practical to ``n ~ 8-10``
(``q = 2``).  ``max_states`` guards memory.

Two KL measures for random-position schedules
---------------------------------------------
For a policy that picks positions at random independently of the values
(random-k with a fixed count schedule), the output law is the mixture
``E_S nu^S`` and its KL is ``KL(mu || E_S nu^S)``; Thm 1.4's error is the
*average* KL of the selection-conditioned laws, ``E_S KL(mu || nu^S)``, an upper
bound by convexity of the KL (Def 1, Thm 4).
:func:`evaluate_policy` gives the first, :func:`selection_laws` /
:func:`expected_selection_kl` the second (the recursion is then keyed also by
the selection history).  For adaptive policies the KL of the output law is the
measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np

from .._validation import as_bool, as_int, as_real_array
from ..distribution import Distribution, as_distribution
from ..information import kl_divergence
from ..optimal import optimal_schedule
from .mdp import (
    MASK,
    BernoulliPolicy,
    ExactOracle,
    Observation,
    Policy,
    UnmaskingMDP,
    argmax_with_ties,
)

__all__ = [
    "PolicyLaw",
    "evaluate_policy",
    "selection_laws",
    "expected_selection_kl",
    "kl_divergence",
    "make_mdp",
    "FrontPoint",
    "pareto_front",
    "optimal_schedule_points",
    "policy_front",
    "default_policy_grid",
    "upper_concave_envelope",
]

DEFAULT_MAX_STATES = 3_000_000


# ============================================================================ result
@dataclass(frozen=True)
class PolicyLaw:
    """Exact law of an episode of a policy in an exact MDP.

    Attributes
    ----------
    mu : Distribution
        The target.
    codes, nfe, mass : ndarray
        The joint law of (final buffer, NFE): final buffers as state codes of
        :class:`~mdmtheory.policies.mdp.ExactOracle` (masked digits only if the
        rollout ended incomplete), NFE spent, probability.
    nu : ndarray, shape (q,)*n
        Output law on complete sequences (sums to ``1 - incomplete``).
    nfe_pmf : ndarray, shape (L+1,)
        ``P(NFE = t)``.
    incomplete : float
        Probability that the episode ends with masks left.
    horizon : int
        ``L``.
    policy_name : str
    """

    mu: Distribution
    codes: np.ndarray
    nfe: np.ndarray
    mass: np.ndarray
    nu: np.ndarray
    nfe_pmf: np.ndarray
    incomplete: float
    horizon: int
    policy_name: str = ""

    def __repr__(self) -> str:
        return (f"PolicyLaw(policy={self.policy_name!r}, mu={self.mu!r}, "
                f"terminal_states={self.codes.size}, E[NFE]={self.expected_nfe:.6g}, "
                f"accuracy={self.accuracy:.6g}, KL={self.kl():.6g} nats, "
                f"incomplete={self.incomplete:.3g}, horizon={self.horizon})")

    def kl(self, base: float | None = None) -> float:
        """``KL(mu || nu)`` (nats by default; ``inf`` if ``nu`` misses part of ``supp mu``)."""
        return kl_divergence(self.mu, self.nu, base=base)

    @property
    def expected_nfe(self) -> float:
        return float(np.arange(self.nfe_pmf.size) @ self.nfe_pmf)

    @property
    def accuracy(self) -> float:
        """``nu(supp mu)``: probability that the output is "correct" (in the support)."""
        return float(self.nu[self.mu.p > 0].sum())

    def expected_reward(self, alpha: float, correct: Callable[[np.ndarray], np.ndarray] | None
                        = None, *, length: int | None = None) -> float:
        """Exact ``E[correct(x) ((L - NFE + 1)/L)^alpha]`` (the reward of Jazbec et al.).

        Parameters
        ----------
        alpha : float
            Speed exponent (``alpha = 0``: accuracy only).
        correct : callable, optional
            Maps complete sequences ``(B, n)`` to rewards in ``[0, 1]``; default
            the support indicator ``1[mu(x) > 0]``.  Incomplete outputs score 0.
        length : int, optional
            ``L`` of the reward (default: the horizon); NFE is clipped at ``L``.
        """
        L = self.horizon if length is None else int(length)
        q, n = self.mu.q, self.mu.n
        digits = (self.codes[:, None] // (q + 1) ** np.arange(n - 1, -1, -1)) % (q + 1)
        done = (digits < q).all(axis=1)
        r = np.zeros(self.codes.size)
        if done.any():
            x = digits[done]
            if correct is None:
                r[done] = (self.mu.p[tuple(x.T)] > 0).astype(float)
            else:
                r[done] = np.asarray(correct(x), dtype=np.float64)
        speed = ((L - np.minimum(self.nfe, L) + 1) / L) ** float(alpha)
        return float(np.sum(self.mass * r * speed))


# ============================================================================ recursion
def make_mdp(mu, *, block_length: int | None = None, token_mode: str = "sample",
             fallback: bool = True, horizon: int | None = None,
             null_context: str = "uniform") -> UnmaskingMDP:
    """An exact MDP over ``mu`` (an :class:`ExactOracle`)."""
    fallback = as_bool(fallback, "fallback")
    return UnmaskingMDP(ExactOracle(as_distribution(mu), null_context=null_context),
                        block_length=block_length, token_mode=token_mode, fallback=fallback,
                        horizon=horizon)


def _as_mdp(mdp_or_mu, **kw) -> UnmaskingMDP:
    if isinstance(mdp_or_mu, UnmaskingMDP):
        if kw:
            raise ValueError(f"options {sorted(kw)} are given by the MDP itself")
        if not isinstance(mdp_or_mu.oracle, ExactOracle):
            raise ValueError("exact evaluation needs an MDP over an ExactOracle (a dense mu)")
        return mdp_or_mu
    return make_mdp(mdp_or_mu, **kw)


def _token_law(mdp: UnmaskingMDP, probs: np.ndarray) -> np.ndarray:
    if mdp.token_mode == "argmax":
        j = argmax_with_ties(probs, axis=-1)
        out = np.zeros_like(probs)
        np.put_along_axis(out, j[..., None], 1.0, axis=-1)
        return out
    return probs


def _expand_bernoulli_batch(codes: np.ndarray, mass: np.ndarray, active: np.ndarray,
                            P: np.ndarray, tok: np.ndarray, strides: np.ndarray, q: int,
                            fbpos: np.ndarray | None
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All children of product-form Bernoulli actions, for a whole level at once.

    Position by position, every partial child of state ``b`` is split into the
    options "skip" (weight ``1 - P[b, i]``) and "reveal ``v``" (``P[b, i] tok[b, i, v]``);
    zero-weight options are dropped as they appear, so the work is proportional
    to the number of children.  With the fallback, the single all-skip child of
    each state is replaced by the reveal of ``fbpos[b]``.

    Returns child codes, masses, parent rows and revealed-position bit masks.
    """
    B, n = active.shape
    row = np.arange(B)
    cc = codes.copy()
    cm = mass.copy()
    bits = np.zeros(B, dtype=np.int64)
    vals = np.arange(q)
    for i in range(n):
        a = active[row, i]
        if not a.any():
            continue
        w = np.empty((row.size, q + 1))
        w[:, 0] = np.where(a, 1.0 - P[row, i], 1.0)
        w[:, 1:] = np.where(a[:, None], P[row, i][:, None] * tok[row, i], 0.0)
        keep = w > 0
        e, o = np.nonzero(keep)
        dc = np.where(o == 0, 0, (o - 1 - q) * strides[i])
        cc = cc[e] + dc
        cm = cm[e] * w[e, o]
        bits = bits[e] + np.where(o == 0, 0, 1 << i)
        row = row[e]
    if fbpos is not None:
        empty = bits == 0
        if empty.any():
            er, em, ec = row[empty], cm[empty], cc[empty]
            j = fbpos[er]
            t = tok[er, j]  # (E, q)
            e, v = np.nonzero(t > 0)
            cc = np.concatenate([cc[~empty], ec[e] + (vals[v] - q) * strides[j[e]]])
            cm = np.concatenate([cm[~empty], em[e] * t[e, v]])
            bits = np.concatenate([bits[~empty], (1 << j[e]).astype(np.int64)])
            row = np.concatenate([row[~empty], er[e]])
    return cc, cm, row, bits


_CHUNK = 1 << 22  # entries per vectorised expansion chunk (bounds temporary memory)


def _action_table(policy: Policy, obs: Observation, mdp: UnmaskingMDP
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact action laws of a whole level: (row, action, probability) triples, fallback applied."""
    table = getattr(policy, "action_table", None)
    if table is not None:
        rows, acts, pa = table(obs)
    else:
        rs, as_, ps = [], [], []
        for b in range(obs.batch):
            a, p = policy.action_distribution(obs.row(b))
            a = np.asarray(a, dtype=bool)
            p = np.asarray(p, dtype=np.float64)
            if a.ndim != 2 or a.shape[1] != obs.n or p.shape != (a.shape[0],):
                raise ValueError(f"{policy!r}.action_distribution returned actions of shape "
                                 f"{a.shape} and probabilities of shape {p.shape}")
            if abs(float(p.sum()) - 1.0) > 1e-9 or (p < 0).any():
                raise ValueError(f"{policy!r} returned action probabilities that do not sum "
                                 "to one")
            rs.append(np.full(a.shape[0], b))
            as_.append(a)
            ps.append(p)
        rows, acts, pa = np.concatenate(rs), np.concatenate(as_), np.concatenate(ps)
    if (acts & ~obs.active[rows]).any():
        raise ValueError(f"{policy!r} returned an action outside the active set")
    empty = ~acts.any(axis=1)
    if empty.any():
        if not mdp.fallback:
            pass  # an empty action spends one NFE and changes nothing
        else:
            e = np.flatnonzero(empty)
            sub = obs.take(rows[e])
            sc = np.where(sub.active, np.asarray(policy.fallback_scores(sub), float), -np.inf)
            acts = acts.copy()
            acts[e, argmax_with_ties(sc, axis=1)] = True
    keep = pa > 0
    return rows[keep], acts[keep], pa[keep]


def _expand_table(codes: np.ndarray, mass: np.ndarray, rows: np.ndarray, acts: np.ndarray,
                  pa: np.ndarray, amask: np.ndarray, tok: np.ndarray, strides: np.ndarray,
                  q: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised children of actions that all reveal ``k`` positions.

    Child of (row, action, token tuple v): code ``codes[row] + sum_j (v_j - q) w_{i_j}``,
    mass ``mass[row] * pa * prod_j tok[row, i_j, v_j]``.
    """
    M = rows.size
    k = int(acts[0].sum()) if M else 0
    base_mass = mass[rows] * pa
    if k == 0:
        return codes[rows], base_mass, rows, amask
    pos = np.nonzero(acts)[1].reshape(M, k)  # positions of each action, increasing
    V = ((np.arange(q ** k)[:, None] // q ** np.arange(k - 1, -1, -1)[None, :]) % q)  # (q^k, k)
    out_c, out_m, out_r, out_a = [], [], [], []
    step = max(1, _CHUNK // (q ** k))
    for lo in range(0, M, step):
        sl = slice(lo, lo + step)
        r, p_ = rows[sl], pos[sl]
        t = tok[r[:, None], p_]  # (m, k, q)
        probs = np.ones((r.size, V.shape[0]))
        dc = np.zeros((r.size, V.shape[0]), dtype=np.int64)
        for j in range(k):
            probs *= t[:, j, :][:, V[:, j]]
            dc += (V[None, :, j] - q) * strides[p_[:, j]][:, None]
        m = base_mass[sl][:, None] * probs
        nz = m > 0
        out_c.append((codes[r][:, None] + dc)[nz])
        out_m.append(m[nz])
        rr = np.broadcast_to(r[:, None], nz.shape)[nz]
        out_r.append(rr)
        out_a.append(np.broadcast_to(amask[sl][:, None], nz.shape)[nz])
    return (np.concatenate(out_c), np.concatenate(out_m), np.concatenate(out_r),
            np.concatenate(out_a))


def _merge(codes, aux, hist, mass, n_aux: int, n_hist: int):
    """Merge equal (code, aux, hist) keys, summing their mass."""
    if codes.size and float(codes.max() + 1) * n_aux * max(n_hist, 1) < 2.0 ** 62:
        key = (codes * n_aux + aux) * max(n_hist, 1) + hist
        uk, inv = np.unique(key, return_inverse=True)
        h = uk % max(n_hist, 1)
        rest = uk // max(n_hist, 1)
        return rest // n_aux, rest % n_aux, h, np.bincount(inv.reshape(-1), weights=mass,
                                                          minlength=uk.size)
    keys = np.stack([codes, aux, hist], axis=1)
    uk, inv = np.unique(keys, axis=0, return_inverse=True)
    return (uk[:, 0].copy(), uk[:, 1].copy(), uk[:, 2].copy(),
            np.bincount(inv.reshape(-1), weights=mass, minlength=uk.shape[0]))


def _run(mdp: UnmaskingMDP, policy: Policy, *, track_history: bool, max_states: int):
    """Forward recursion; returns terminal (codes, nfe, mass[, hist]) and the history table."""
    max_states = as_int(max_states, "max_states", minimum=1)
    if not callable(getattr(policy, "check", None)):
        raise TypeError(f"policy must be a Policy, got {type(policy).__name__}")
    oracle: ExactOracle = mdp.oracle
    n, q, BL, L = mdp.n, mdp.q, mdp.block_length, mdp.horizon
    strides = oracle.strides
    policy.check(mdp)
    product = isinstance(policy, BernoulliPolicy) and getattr(policy, "product_form", False) \
        and not track_history
    # key = (code, aux, hist); aux = block * (BL+1) + iters (0 with the fallback)
    codes = np.array([oracle.full_mask_code], dtype=np.int64)
    aux = np.zeros(1, dtype=np.int64)
    hist = np.zeros(1, dtype=np.int64)
    mass = np.ones(1)
    histories: list[tuple[int, ...]] = [()]
    hist_index: dict[tuple[int, ...], int] = {(): 0}
    term = {"codes": [], "nfe": [], "mass": [], "hist": []}
    pos = np.arange(n)
    n_aux = mdp.n_blocks * (BL + 1) + 1
    block_bits = np.array([((1 << min((b + 1) * BL, n)) - 1) ^ ((1 << (b * BL)) - 1)
                           for b in range(mdp.n_blocks)], dtype=np.int64)
    for level in range(L):
        if codes.size == 0:
            break
        if codes.size > max_states:
            raise MemoryError(f"{codes.size:,} distinct states at NFE level {level} exceed "
                              f"max_states={max_states:,}; use a smaller n, a deterministic "
                              "policy or Monte Carlo rollouts (UnmaskingMDP.rollout)")
        x = oracle.decode(codes)
        pmb = ((x == MASK).astype(np.int64) << pos[None, :]).sum(axis=1)
        probs = oracle.probs_from_codes(codes)
        if mdp.fallback:
            masked = x == MASK
            block = np.where(masked.any(axis=1),
                             np.argmax(masked, axis=1) // BL, mdp.n_blocks)
            iters = np.zeros_like(block)
        else:
            block, iters = aux // (BL + 1), aux % (BL + 1)
        active = mdp.active_mask(x, np.minimum(block, mdp.n_blocks - 1))
        obs = Observation(x, probs, active, np.full(codes.size, level, dtype=np.int64), L)
        tok = _token_law(mdp, probs)
        ch_codes, ch_mass, ch_parent, ch_act = [], [], [], []
        if product:
            P = np.asarray(policy.unmask_probabilities(obs), dtype=np.float64)
            P = np.where(active, P, 0.0)
            fbpos = None
            if mdp.fallback:
                sc = np.where(active, np.asarray(policy.fallback_scores(obs), float), -np.inf)
                fbpos = argmax_with_ties(sc, axis=1)
            c, m, r, rb = _expand_bernoulli_batch(codes, mass, active, P, tok, strides, q,
                                                  fbpos)
            ch_codes.append(c)
            ch_mass.append(m)
            ch_parent.append(r)
            ch_act.append(rb)
        else:
            rows_a, acts, pa = _action_table(policy, obs, mdp)
            sizes = acts.sum(axis=1)
            amask = (acts.astype(np.int64) << pos[None, :]).sum(axis=1)
            for k in np.unique(sizes):
                sel = np.flatnonzero(sizes == k)
                c, m, par_k, a_k = _expand_table(codes, mass, rows_a[sel], acts[sel], pa[sel],
                                                 amask[sel], tok, strides, q)
                ch_codes.append(c)
                ch_mass.append(m)
                ch_parent.append(par_k)
                ch_act.append(a_k)
        if not ch_codes:
            break
        cc = np.concatenate(ch_codes)
        cm = np.concatenate(ch_mass)
        par = np.concatenate(ch_parent)
        ca = np.concatenate(ch_act)
        keep = cm > 0
        cc, cm, par, ca = cc[keep], cm[keep], par[keep], ca[keep]
        if track_history:
            new_hist = np.empty(cc.size, dtype=np.int64)
            for r in range(cc.size):
                h = histories[int(hist[par[r]])] + (int(ca[r]),)
                hid = hist_index.get(h)
                if hid is None:
                    hid = len(histories)
                    histories.append(h)
                    hist_index[h] = hid
                new_hist[r] = hid
        else:
            new_hist = np.zeros(cc.size, dtype=np.int64)
        # masked positions of each child as a bit mask; then the block pointer
        cmb = pmb[par] & ~ca
        if mdp.fallback:
            low = cmb & -cmb  # lowest masked position (as a power of two)
            first = np.round(np.log2(np.where(low > 0, low, 1))).astype(np.int64)
            cblock = np.where(cmb != 0, first // BL, mdp.n_blocks)
            caux = np.zeros_like(cc)
        else:
            cblock = block[par].copy()
            citers = iters[par] + 1
            for _ in range(mdp.n_blocks):
                left = (cmb & block_bits[np.minimum(cblock, mdp.n_blocks - 1)]) != 0
                adv = (cblock < mdp.n_blocks) & (~left | (citers >= BL))
                if not adv.any():
                    break
                cblock[adv] += 1
                citers[adv] = 0
            caux = cblock * (BL + 1) + citers
        done = (cblock >= mdp.n_blocks) | (level + 1 >= L)
        if done.any():
            term["codes"].append(cc[done])
            term["nfe"].append(np.full(int(done.sum()), level + 1))
            term["mass"].append(cm[done])
            term["hist"].append(new_hist[done])
        live = ~done
        if not live.any():
            codes = np.zeros(0, dtype=np.int64)
            break
        codes, aux, hist, mass = _merge(cc[live], caux[live], new_hist[live], cm[live],
                                        n_aux, len(histories))
    cat = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in term.items()}
    return cat, histories


def _law_from_terminal(mdp: UnmaskingMDP, codes, nfe, mass, name: str) -> PolicyLaw:
    oracle: ExactOracle = mdp.oracle
    mu = oracle.dist
    n, q = mu.n, mu.q
    codes = np.asarray(codes, dtype=np.int64)
    nfe = np.asarray(nfe, dtype=np.int64)
    mass = np.asarray(mass, dtype=np.float64)
    key = codes * (mdp.horizon + 1) + nfe
    uk, inv = np.unique(key, return_inverse=True)
    m = np.bincount(inv.reshape(-1), weights=mass, minlength=uk.size)
    codes, nfe = uk // (mdp.horizon + 1), uk % (mdp.horizon + 1)
    x = oracle.decode(codes)
    done = ~(x == MASK).any(axis=1)
    nu = np.zeros(q ** n)
    if done.any():
        flat = np.ravel_multi_index(tuple(x[done].T), (q,) * n)
        np.add.at(nu, flat, m[done])
    pmf = np.bincount(nfe, weights=m, minlength=mdp.horizon + 1)
    return PolicyLaw(mu, codes, nfe, m, nu.reshape((q,) * n), pmf,
                     float(m[~done].sum()), mdp.horizon, name)


def evaluate_policy(mdp_or_mu, policy: Policy, *, max_states: int = DEFAULT_MAX_STATES,
                    **mdp_options) -> PolicyLaw:
    """Exact law of the episodes of ``policy``.

    Parameters
    ----------
    mdp_or_mu : UnmaskingMDP or Distribution
        An MDP over an :class:`ExactOracle`, or a distribution (then
        ``mdp_options`` -- ``block_length``, ``token_mode``, ``fallback``,
        ``horizon``, ``null_context`` -- build one with :func:`make_mdp`).
    policy : Policy
    max_states : int
        Largest number of distinct states allowed at one NFE level.

    Returns
    -------
    PolicyLaw
        ``nu`` (output law), ``kl()``, ``expected_nfe``, ``nfe_pmf``, ``accuracy``,
        ``expected_reward(alpha)``.

    Raises
    ------
    MemoryError
        If a level has more than ``max_states`` states.
    """
    mdp = _as_mdp(mdp_or_mu, **mdp_options)
    t, _ = _run(mdp, policy, track_history=False, max_states=max_states)
    return _law_from_terminal(mdp, t["codes"], t["nfe"], t["mass"], policy.name)


@dataclass(frozen=True)
class SelectionLaw:
    """The episode law conditioned on one selection history ``S = (S_1, ..., S_T)``."""

    selections: tuple[frozenset, ...]
    prob: float
    law: PolicyLaw


def selection_laws(mdp_or_mu, policy: Policy, *, max_states: int = DEFAULT_MAX_STATES,
                   **mdp_options) -> list[SelectionLaw]:
    """Output laws conditioned on the sequence of selected position sets.

    The recursion of :func:`evaluate_policy` keyed also by the selection history
    (the sets actually unmasked, after the fallback).  For a random-position
    policy this returns every ``(S, P(S), nu^S)``; the number of histories grows
    like the number of ordered set partitions, so keep ``n`` small (``<= 7``).
    """
    mdp = _as_mdp(mdp_or_mu, **mdp_options)
    t, histories = _run(mdp, policy, track_history=True, max_states=max_states)
    out = []
    hist = t["hist"].astype(np.int64)
    for h in np.unique(hist):
        sel = hist == h
        p = float(t["mass"][sel].sum())
        law = _law_from_terminal(mdp, t["codes"][sel], t["nfe"][sel], t["mass"][sel] / p,
                                 policy.name)
        sets = tuple(frozenset(int(i) for i in range(mdp.n) if (a >> i) & 1)
                     for a in histories[int(h)])
        out.append(SelectionLaw(sets, p, law))
    return out


def expected_selection_kl(mdp_or_mu, policy: Policy, *, base: float | None = None,
                          **kw) -> float:
    """``E_S KL(mu || nu^S)`` over the policy's selection histories (Thm 1.4's quantity).

    For random-k with a fixed count schedule this equals Thm 1.4's exact error
    :func:`mdmtheory.schedule.left_riemann_error` (checked in the tests).
    """
    return float(sum(s.prob * s.law.kl(base=base) for s in selection_laws(mdp_or_mu, policy,
                                                                          **kw)))


# ============================================================================ fronts
@dataclass(frozen=True)
class FrontPoint:
    """One (policy, parameter) point of a KL-vs-NFE front.

    ``measure`` is ``"KL(mu||nu)"`` (the KL of the policy's true output law) or
    ``"E_S KL(mu||nu^S)"`` (Thm 1.4's expected KL of a random-position schedule).
    """

    family: str
    param: float
    expected_nfe: float
    kl: float
    accuracy: float
    measure: str = "KL(mu||nu)"
    label: str = ""
    schedule: tuple[int, ...] | None = None


def pareto_front(points: Sequence[FrontPoint] | np.ndarray, err: np.ndarray | None = None
                 ) -> list:
    """Non-dominated points (minimise both expected NFE and KL), by increasing NFE.

    Accepts a list of :class:`FrontPoint` (returns the sub-list) or two arrays
    ``(nfe, err)`` (returns the indices).
    """
    if err is None:
        pts = list(points)
        idx = pareto_front(np.array([p.expected_nfe for p in pts]),
                           np.array([p.kl for p in pts]))
        return [pts[i] for i in idx]
    # expected NFEs that differ only by float rounding (~1e-15) count as equal
    x = np.round(as_real_array(points, "points", ndim=1), 9)
    y = as_real_array(err, "err", ndim=1)
    if x.shape != y.shape:
        raise ValueError(f"points and err must have the same length, got {x.size} and "
                         f"{y.size}")
    order = np.lexsort((y, x))
    keep, best = [], np.inf
    for i in order:
        if y[i] < best - 1e-12:
            keep.append(int(i))
            best = y[i]
    return keep


def upper_concave_envelope(x, y, at) -> np.ndarray:
    """Upper concave envelope of points ``(x, y)`` evaluated at ``at`` (``-inf`` outside).

    A randomisation between two policies achieves any convex combination of
    their (expected NFE, accuracy) exactly, so the envelope is the best
    accuracy a mixture of the given policies reaches at a given expected NFE.
    """
    x = as_real_array(x, "x", ndim=1)
    y = as_real_array(y, "y", ndim=1)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}")
    o = np.lexsort((-y, x))
    x, y = x[o], y[o]
    hull: list[int] = []
    for i in range(x.size):
        if hull and x[hull[-1]] == x[i]:
            continue
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            if (y[b] - y[a]) * (x[i] - x[a]) <= (y[i] - y[a]) * (x[b] - x[a]):
                hull.pop()
            else:
                break
        hull.append(i)
    hx, hy = x[hull], y[hull]
    at = np.atleast_1d(as_real_array(at, "at"))
    out = np.interp(at, hx, hy)
    out[(at < hx[0] - 1e-12) | (at > hx[-1] + 1e-12)] = -np.inf
    return out


def _optimal_schedule(Z: np.ndarray, k: int) -> tuple[tuple[int, ...], float]:
    """DP-optimal k-step schedule and its error (Thm 4, :func:`mdmtheory.optimal.optimal_schedule`)."""
    r = optimal_schedule(Z, k)
    return tuple(int(v) for v in r.schedule.sizes), float(r.error)


def optimal_schedule_points(mu, *, ks: Iterable[int] | None = None,
                            max_states: int = DEFAULT_MAX_STATES) -> list[FrontPoint]:
    """The DP-optimal oblivious schedule for every ``k``, with both KL measures.

    For each ``k`` the optimal count schedule ``s*`` (minimising Thm 1.4's error
    on the exact information curve) is run with random positions
    (:class:`~mdmtheory.policies.heuristics.RandomK`).  Two points per ``k``:
    ``"E_S KL(mu||nu^S)"`` = ``OPT_k`` (Thm 1.4) and ``"KL(mu||nu)"`` = the
    exact ``KL(mu || E_S nu^S)`` of the randomised sampler's output law.
    """
    from ..information import information_curve
    from .heuristics import RandomK

    mu = as_distribution(mu)
    max_states = as_int(max_states, "max_states", minimum=1)
    ks = range(1, mu.n + 1) if ks is None else [
        as_int(k, "ks", minimum=1, maximum=mu.n)
        for k in np.atleast_1d(np.asarray(ks, dtype=object)).ravel()]
    Z = information_curve(mu)
    out = []
    for k in ks:
        sizes, err = _optimal_schedule(Z, int(k))
        law = evaluate_policy(mu, RandomK(sizes), max_states=max_states)
        out.append(FrontPoint("optimal schedule", k, float(k), err, law.accuracy,
                              "E_S KL(mu||nu^S)", f"OPT_{k} {list(sizes)}", sizes))
        out.append(FrontPoint("optimal schedule", k, float(k), law.kl(), law.accuracy,
                              "KL(mu||nu)", f"opt k={k} {list(sizes)}", sizes))
    return out


def default_policy_grid(n: int) -> dict[str, list[tuple[float, Policy]]]:
    """The heuristic families and parameter sweeps used for the fronts.

    random-k, top-k confidence / margin / entropy at ``k = 1..n`` (uniform
    counts), the Fast-dLLM threshold ``lambda``, the factor rule ``f`` and the
    EB-sampler ``gamma`` on grids spanning one step to ``n`` steps.
    """
    from .heuristics import (ConfidenceThreshold, EBSampler, FactorRule, RandomK, TopK)

    # the exact MDP encodes masks as int64 bitmasks, so n <= 62 (and far less in practice)
    n = as_int(n, "n", minimum=1, maximum=62)
    ks = range(1, n + 1)
    lams = [0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0]
    factors = [0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0]
    gammas = [0.0, 0.01, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 4.0, 8.0]
    return {
        "random-k": [(k, RandomK(k)) for k in ks],
        "top-k confidence": [(k, TopK(k, "confidence")) for k in ks],
        "top-k margin": [(k, TopK(k, "margin")) for k in ks],
        "top-k entropy": [(k, TopK(k, "entropy")) for k in ks],
        "Fast-dLLM threshold": [(lam, ConfidenceThreshold(lam)) for lam in lams],
        "Fast-dLLM factor": [(f, FactorRule(f)) for f in factors],
        "EB-sampler": [(g, EBSampler(g)) for g in gammas],
    }


def policy_front(mu, policies: dict[str, list[tuple[float, Policy]]] | None = None, *,
                 include_optimal: bool = True, include_thm14: bool = True,
                 max_states: int = DEFAULT_MAX_STATES, progress: bool = False,
                 **mdp_options) -> list[FrontPoint]:
    """Exact (expected NFE, KL, accuracy) of every policy in a grid, plus the optimal schedule.

    Parameters
    ----------
    mu : Distribution
    policies : dict, optional
        ``family -> [(parameter, policy), ...]``; default :func:`default_policy_grid`.
    include_optimal : bool
        Add :func:`optimal_schedule_points` (full diffusion only).
    include_thm14 : bool
        For ``"random-k"`` also add Thm 1.4's ``E_S KL(mu||nu^S)`` (labelled
        measure), from :func:`mdmtheory.schedule.left_riemann_error`.
    mdp_options
        ``block_length``, ``token_mode``, ``fallback``, ``horizon`` (see :func:`make_mdp`).

    Returns
    -------
    list of FrontPoint
        Filter with :func:`pareto_front` per family and measure.
    """
    from ..information import information_curve
    from ..schedule import left_riemann_error

    mu = as_distribution(mu)
    mdp = make_mdp(mu, **mdp_options)
    grid = default_policy_grid(mu.n) if policies is None else policies
    out: list[FrontPoint] = []
    Z = information_curve(mu) if include_thm14 else None
    items = [(fam, par, pol) for fam, lst in grid.items() for par, pol in lst]
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(items, desc=f"policies on {mu.name or 'mu'}")
    for fam, par, pol in items:
        law = evaluate_policy(mdp, pol, max_states=max_states)
        out.append(FrontPoint(fam, float(par), law.expected_nfe, law.kl(), law.accuracy,
                              "KL(mu||nu)", pol.name))
        if include_thm14 and fam == "random-k" and mdp.block_length == mu.n:
            sizes = pol.sizes(mu.n)
            out.append(FrontPoint(fam, float(par), law.expected_nfe,
                                  left_riemann_error(Z, sizes), law.accuracy,
                                  "E_S KL(mu||nu^S)", pol.name, tuple(int(s) for s in sizes)))
    if include_optimal and mdp.block_length == mu.n and mdp.token_mode == "sample":
        out.extend(optimal_schedule_points(mu, max_states=max_states))
    return out
