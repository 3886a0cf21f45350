"""Heuristic unmasking policies with the anchors' exact rules (LLaDA, Dream, Fast-dLLM, EB).

Every rule acts on the *active* positions (masked, inside the current block)
and reads only the oracle's conditionals ``p_i`` at the current buffer.  The
proposed token of position ``i`` is ``x0_i = argmax_v p_i(v)`` (the anchors'
dLLM at temperature 0), so the score ``p_i(x0_i)`` of LLaDA's
``low_confidence`` is the top-1 probability ``c_i = max_v p_i(v)``.  In the
MDP's ``token_mode="sample"`` the *selection* still uses these temperature-0
scores while the revealed tokens are drawn from ``p_i`` (Dream's
``maskgit_plus`` at ``alg_temp = 0``); LLaDA's variant at temperature > 0, which
scores the *sampled* token, is not implemented.

Rules
--------------------------------
* :class:`RandomK` (item 1, LLaDA ``remasking='random'``): a uniform random
  ``s_t``-subset of the active positions.
* :class:`TopK` with ``score="confidence"`` (item 2, LLaDA ``low_confidence``),
  ``"margin"`` (item 5, Dream ``topk_margin``: ``p_(1) - p_(2)``) or
  ``"entropy"`` (item 6, Dream ``entropy``: ``sum_v p log p``): the ``s_t``
  highest scores.
* :class:`ConfidenceThreshold` (item 3, Fast-dLLM ``threshold=lambda``): every
  active position with ``c_i >= lambda`` (``> lambda`` with ``strict=True``, Apple's
  version) plus the most confident one.
* :class:`FactorRule` (item 4, Fast-dLLM ``factor=f``): rank ``r`` of the sorted
  confidences is accepted while ``c_(r) >= 1 - f/(r+1)``; rank 1 always.
* :class:`EBSampler` (item 8, Ben-Hamu et al.): the longest prefix of the
  positions sorted by an error proxy with ``sum H_i - max H_i <= gamma``.

Count schedules
---------------
The rules that take a number of tokens per step (random-k and the top-k
family) take it from a *count schedule* ``s_1, ..., s_k`` (a
:class:`~mdmtheory.schedule.Schedule` or a sequence of sizes; an ``int`` ``k``
means the uniform k-step schedule with LLaDA's split,
:func:`mdmtheory.schedule_rules.uniform_schedule`): step ``t`` (the ``t``-th
forward pass) unmasks ``s_t`` positions.  Any schedule works, e.g. the
DP-optimal one of :mod:`mdmtheory.optimal`; in semi-AR mode its cumulative
counts must hit every block boundary (LLaDA's per-block split does:
:func:`mdmtheory.schedule_rules.llada_schedule`).

Ties
----
Scores closer than :data:`~mdmtheory.policies.mdp.TIE_ATOL` are tied.
``tie_break="index"`` (default) orders tied positions left to right (a stable
sort; ``torch.topk`` leaves the order of ties unspecified);
``tie_break="random"`` chooses uniformly among the tied positions that straddle
the cut -- the exact evaluator enumerates those choices.
"""

from __future__ import annotations

from itertools import combinations
from math import comb
from typing import Literal, Sequence

import numpy as np

from .._validation import (
    as_bool,
    as_choice,
    as_float,
    as_int,
    as_int_array,
    as_probability,
    as_real_array,
    as_tolerance,
    check_stochastic_matrix,
    show,
)
from ..schedule import Schedule, as_schedule
from .mdp import TIE_ATOL, Observation, Policy, UnmaskingMDP

__all__ = [
    "ordered_positions",
    "topk_select",
    "threshold_select",
    "factor_select",
    "eb_select",
    "confidence_scores",
    "margin_scores",
    "neg_entropy_scores",
    "entropies",
    "ScheduledPolicy",
    "RandomK",
    "TopK",
    "TopKConfidence",
    "TopKMargin",
    "TopKEntropy",
    "ConfidenceThreshold",
    "FactorRule",
    "EBSampler",
]

TieBreak = Literal["index", "random"]
_MAX_TIE_ACTIONS = 200_000


# ============================================================================ scores
def _probs(probs) -> np.ndarray:
    """Conditionals ``(n, q)`` or ``(B, n, q)``: finite, non-negative rows summing to 1."""
    return check_stochastic_matrix(probs, "probs")


def _confidence(p: np.ndarray) -> np.ndarray:
    return np.asarray(p, dtype=np.float64).max(axis=-1)


def _margin(p: np.ndarray) -> np.ndarray:
    s = np.sort(np.asarray(p, dtype=np.float64), axis=-1)
    return s[..., -1] - s[..., -2]


def _entropies(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return -t.sum(axis=-1)


def _neg_entropy(p: np.ndarray) -> np.ndarray:
    return -_entropies(p)


def confidence_scores(probs: np.ndarray) -> np.ndarray:
    """``c_i = max_v p_i(v)`` (LLaDA ``low_confidence`` / Dream ``maskgit_plus`` at temperature 0).

    ``probs`` has shape ``(n, q)`` or ``(B, n, q)``, every row a probability vector.
    """
    return _confidence(_probs(probs))


def margin_scores(probs: np.ndarray) -> np.ndarray:
    """``p_(1) - p_(2)``, the gap between the two largest probabilities (Dream ``topk_margin``)."""
    return _margin(_probs(probs))


def entropies(probs: np.ndarray) -> np.ndarray:
    """Shannon entropy ``-sum_v p log p`` in nats, ``0 log 0 = 0``."""
    return _entropies(_probs(probs))


def neg_entropy_scores(probs: np.ndarray) -> np.ndarray:
    """``sum_v p log p`` (negative entropy; higher = more certain; Dream ``entropy``)."""
    return _neg_entropy(_probs(probs))


#: The unvalidated score functions used on the MDP's own observations (already
#: conditionals of the oracle; a model oracle's float32 rows need not sum to 1 within
#: the table tolerance).
_SCORES = {"confidence": _confidence, "margin": _margin, "entropy": _neg_entropy}


# ============================================================================ pure rules
def _as_mask(active, name: str = "active") -> np.ndarray:
    """A boolean mask; 0/1 integers are read as False/True, anything else is refused."""
    raw = np.asarray(active)
    if raw.dtype.kind == "b":
        return raw
    return as_int_array(raw, name, minimum=0, maximum=1).astype(bool)


def _check_vec(scores, active, name: str = "scores", *, confidences: bool = False
               ) -> tuple[np.ndarray, np.ndarray]:
    """One row of finite scores (confidences in ``[0, 1]`` if ``confidences``) and its mask."""
    s = as_real_array(scores, name, ndim=1)
    if confidences and ((s < 0).any() or (s > 1).any()):
        bad = s[(s < 0) | (s > 1)][0]
        raise ValueError(f"{name} must be confidences in [0, 1], got {show(bad)}")
    a = _as_mask(active)
    if a.shape != s.shape:
        raise ValueError(f"{name} and active must be 1-D of the same length; got {s.shape} "
                         f"and {a.shape}")
    if not a.any():
        raise ValueError("active has no active position to unmask")
    return s, a


def ordered_ranks(scores, active, *, atol: float = TIE_ATOL) -> np.ndarray:
    """Rank of every active position by decreasing score, row by row (0 = best).

    Scores within ``atol`` of their neighbour in the sorted order form one tie
    chain; inside a chain positions are ranked left to right (a stable,
    deterministic tie-break; ``torch.topk`` leaves it unspecified).  Inactive
    positions get rank ``n``.

    Parameters
    ----------
    scores : array_like, shape (B, n)
    active : array_like of bool, shape (B, n)

    Returns
    -------
    ndarray of int64, shape (B, n)
    """
    s = np.asarray(scores, dtype=np.float64)
    a = np.asarray(active, dtype=bool)
    if s.ndim != 2 or a.shape != s.shape:
        raise ValueError(f"scores and active must be 2-D of the same shape; got {s.shape} "
                         f"and {a.shape}")
    if np.isnan(s[a]).any():
        raise ValueError("scores of active positions contain NaN")
    B, n = s.shape
    pos = np.broadcast_to(np.arange(n), (B, n))
    key = np.where(a, -s, np.inf)
    o = np.lexsort((pos, key), axis=-1)          # by score desc, then index
    ks = np.take_along_axis(key, o, axis=1)
    fin = np.isfinite(ks)
    gaps = np.zeros((B, n), dtype=bool)
    with np.errstate(invalid="ignore"):
        gaps[:, 1:] = ~(np.abs(ks[:, 1:] - ks[:, :-1]) <= atol)
    group = np.cumsum(gaps, axis=1) + np.where(fin, 0, n + 1)
    o2 = np.lexsort((np.take_along_axis(pos, o, axis=1), group), axis=-1)
    order = np.take_along_axis(o, o2, axis=1)
    rank = np.empty((B, n), dtype=np.int64)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(n), (B, n)), axis=1)
    return np.where(a, rank, n)


def ordered_positions(scores, active, *, atol: float = TIE_ATOL
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Active positions by decreasing score, ties (chains within ``atol``) by index.

    Returns
    -------
    order : ndarray of int64
        The active positions, best first.
    group : ndarray of int64
        Tie-group id of each entry of ``order`` (0 = best group).
    """
    s, a = _check_vec(scores, active)
    atol = as_tolerance(atol, "atol")
    rank = ordered_ranks(s[None], a[None], atol=atol)[0]
    order = np.argsort(rank)[: int(a.sum())]
    sc = s[order]
    gaps = np.concatenate([[False], np.abs(sc[:-1] - sc[1:]) > atol])
    return order, np.cumsum(gaps)


def topk_mask(scores, active, k, *, atol: float = TIE_ATOL) -> np.ndarray:
    """Row-wise top-``k_b`` of the active scores (ties by index), ``(B, n)`` bool.

    ``k`` (scalar or ``(B,)``) is capped at the number of active positions.
    """
    rank = ordered_ranks(scores, active, atol=atol)
    k = np.broadcast_to(np.asarray(k, dtype=np.int64), (rank.shape[0],))
    return rank < k[:, None]


def topk_select(scores, active, k: int, *, tie_break: TieBreak = "index",
                atol: float = TIE_ATOL) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` highest-scoring active positions (LLaDA ``random`` / ``low_confidence``, Dream ``topk_margin`` / ``entropy``).

    Returns
    -------
    actions : ndarray of bool, shape (A, n)
        One action for ``tie_break="index"``; all equally likely tie resolutions
        for ``"random"``.
    probs : ndarray, shape (A,)
    """
    s, a = _check_vec(scores, active)
    k = as_int(k, "k", minimum=1)
    tie_break = as_choice(tie_break, "tie_break", ("index", "random"))
    order, group = ordered_positions(s, a, atol=atol)
    if k > order.size:
        raise ValueError(f"cannot unmask k={k} positions: only {order.size} are active "
                         "(is the count schedule aligned with the blocks?)")
    n = s.size
    if tie_break == "index":
        act = np.zeros((1, n), dtype=bool)
        act[0, order[:k]] = True
        return act, np.ones(1)
    g = group[k - 1]
    above = order[group < g]
    tied = order[group == g]
    need = k - above.size
    count = comb(tied.size, need)
    if count > _MAX_TIE_ACTIONS:
        raise MemoryError(f"random tie-break among C({tied.size}, {need}) = {count:,} "
                          "equally likely actions is too many to enumerate")
    acts = np.zeros((count, n), dtype=bool)
    acts[:, above] = True
    for r, c in enumerate(combinations(tied.tolist(), need)):
        acts[r, list(c)] = True
    return acts, np.full(count, 1.0 / count)


def _rows(conf, active) -> tuple[np.ndarray, np.ndarray]:
    c = np.asarray(conf, dtype=np.float64)
    a = np.asarray(active, dtype=bool)
    if c.ndim != 2 or a.shape != c.shape:
        raise ValueError(f"scores and active must be 2-D of the same shape; got {c.shape} "
                         f"and {a.shape}")
    return c, a


def threshold_mask(conf, active, lam: float, *, strict: bool = False) -> np.ndarray:
    """Batched Fast-dLLM threshold rule, ``(B, n)`` bool; see :func:`threshold_select`."""
    c, a = _rows(conf, active)
    lam = as_probability(lam, "lam")
    rank = ordered_ranks(c, a)
    with np.errstate(invalid="ignore"):
        sel = a & ((c > lam + TIE_ATOL) if strict else (c >= lam - TIE_ATOL))
    return sel | (a & (rank == 0))


def threshold_select(conf, active, lam: float, *, strict: bool = False) -> np.ndarray:
    """Fast-dLLM's confidence-threshold rule (Wu et al. 2025, ``threshold=lambda``), one action.

    Accept every active ``i`` with ``conf_i >= lam`` (``> lam`` if ``strict``,
    Apple's version) and always the most confident active position (ties: the
    smallest index, like ``torch.argmax``).  Comparisons allow
    :data:`~mdmtheory.policies.mdp.TIE_ATOL` of rounding (an exact conditional
    of 0.9 computed as 0.8999999999999999 passes ``lam = 0.9``).
    """
    c, a = _check_vec(conf, active, "conf", confidences=True)
    strict = as_bool(strict, "strict")
    return threshold_mask(c[None], a[None], lam, strict=strict)[0]


def _sorted_by_rank(values: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """``values`` re-ordered by ``rank`` per row (inactive entries, rank n, last)."""
    order = np.argsort(rank, axis=1, kind="stable")
    return np.take_along_axis(values, order, axis=1)


def factor_mask(conf, active, factor: float, *, code_quirk: bool = True) -> np.ndarray:
    """Batched Fast-dLLM factor rule, ``(B, n)`` bool; see :func:`factor_select`."""
    c, a = _rows(conf, active)
    factor = as_float(factor, "factor", minimum=0.0)
    rank = ordered_ranks(c, a)
    m = a.sum(axis=1)
    cs = _sorted_by_rank(np.where(a, c, -np.inf), rank)
    r = np.arange(1, c.shape[1] + 1)[None, :]
    ok = cs >= 1.0 - factor / (r + 1.0) - TIE_ATOL
    ok[:, 0] = True
    ok |= r > m[:, None]  # past the active list: no failure there
    first_fail = np.where((~ok).any(axis=1), np.argmax(~ok, axis=1), m)
    take = first_fail.copy()
    if code_quirk:
        take = np.where(first_fail == m - 1, m, take)
    return rank < take[:, None]


def factor_select(conf, active, factor: float, *, code_quirk: bool = True) -> np.ndarray:
    """Fast-dLLM's factor rule (Wu et al. 2025, ``factor=f``), one boolean action.

    Sort the active confidences ``c_(1) >= c_(2) >= ... >= c_(m)``.  Rank ``r``
    (1-based) passes if ``c_(r) >= 1 - factor/(r+1)``; rank 1 always passes.
    The ranks before the first failing one are unmasked.

    ``code_quirk=True`` (default) reproduces Fast-dLLM's
    ``get_transfer_index_dynamic``: when the first failing rank is the *last*
    one (``r = m``) it still unmasks all ``m`` positions (its ``top_i`` is
    bumped at the end of the list).
    """
    c, a = _check_vec(conf, active, "conf", confidences=True)
    code_quirk = as_bool(code_quirk, "code_quirk")
    return factor_mask(c[None], a[None], factor, code_quirk=code_quirk)[0]


def eb_mask(probs, active, gamma: float, *, proxy: Literal["entropy", "confidence"] = "entropy"
            ) -> np.ndarray:
    """Batched EB-sampler rule on ``probs (B, n, q)``, ``(B, n)`` bool; see :func:`eb_select`."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 3:
        raise ValueError(f"probs must have shape (B, n, q), got {p.shape}")
    gamma = as_float(gamma, "gamma", minimum=0.0)
    proxy = as_choice(proxy, "proxy", ("entropy", "confidence"))
    a = np.asarray(active, dtype=bool)
    H = _entropies(p)
    if proxy == "entropy":
        rank = ordered_ranks(-H, a)
    else:
        rank = ordered_ranks(_confidence(p), a)
    h = _sorted_by_rank(np.where(a, H, np.inf), rank)
    with np.errstate(invalid="ignore"):
        cost = np.cumsum(h, axis=1) - np.maximum.accumulate(h, axis=1)
    ok = cost <= gamma + TIE_ATOL  # cost is nondecreasing (NaN/inf past the active list)
    take = np.maximum(np.argmin(ok, axis=1) + ok.all(axis=1) * ok.shape[1], 1)
    return rank < take[:, None]


def eb_select(probs, active, gamma: float, *, proxy: Literal["entropy", "confidence"] = "entropy"
              ) -> np.ndarray:
    """EB-sampler's entropy-bounded rule (Ben-Hamu et al. 2025), one boolean action.

    Sort the active positions by the error proxy (lowest entropy first, or
    highest confidence first) and take the longest prefix ``P`` with
    ``sum_{i in P} H_i - max_{i in P} H_i <= gamma`` (entropies in nats; this
    bounds the mutual information among the tokens unmasked together).  The
    first position always qualifies.
    """
    p = _probs(probs)
    if p.ndim != 2:
        raise ValueError(f"probs must have shape (n, q), got {p.shape}")
    _, a = _check_vec(np.zeros(p.shape[0]), active)
    return eb_mask(p[None], a[None], gamma, proxy=proxy)[0]


# ============================================================================ policies
def _one(action: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return action[None, :], np.ones(1)


def llada_counts(obs: Observation, steps: int) -> np.ndarray:
    """LLaDA's per-block count at the current step, capped at the active count, ``(B,)``.

    ``get_num_transfer_tokens``: the block's masks at entry ``m0`` are split
    over ``steps`` passes, ``floor(m0/steps)`` each and one more for the first
    ``m0 mod steps`` passes (Nie et al. 2025, ``generate``); step ``i`` is the
    number of passes already spent in the block.  Past the last step the
    count is everything still active.  Without block bookkeeping
    (``obs.iters is None``) ``m0 = n`` and ``i = nfe``.
    """
    m0 = obs.start_count.astype(np.int64)
    i = obs.step_in_block.astype(np.int64)
    act = obs.active.sum(axis=1)
    k = m0 // steps + (i < m0 % steps)
    return np.where(i >= steps, act, np.minimum(k, act))


class SelectionRule(Policy):
    """A rule whose action is a function of the observation (one batched implementation).

    Subclasses implement :meth:`select` on a whole batch; the exact action law
    (a point mass) and the Monte Carlo sampler both call it.
    """

    def select(self, obs: Observation) -> np.ndarray:
        """``(B, n)`` boolean actions."""
        raise NotImplementedError

    def action_distribution(self, obs: Observation) -> tuple[np.ndarray, np.ndarray]:
        return _one(self.select(obs)[0])

    def sample_actions(self, obs: Observation, rng: np.random.Generator) -> np.ndarray:
        return self.select(obs) & obs.active


def _rowwise_action_table(policy: Policy, obs: Observation
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, actions, probs)`` from :meth:`Policy.action_distribution`, row by row."""
    rs, as_, ps = [], [], []
    for b in range(obs.batch):
        a, p = policy.action_distribution(obs.row(b))
        a = np.asarray(a, dtype=bool)
        rs.append(np.full(a.shape[0], b))
        as_.append(a)
        ps.append(np.asarray(p, dtype=np.float64))
    return np.concatenate(rs), np.concatenate(as_), np.concatenate(ps)


class ScheduledPolicy(Policy):
    """A rule that unmasks ``s_t`` positions at the ``t``-th forward pass.

    Parameters
    ----------
    schedule : Schedule, sequence of int, or int
        The count schedule.  An ``int`` ``k`` is LLaDA's: ``k`` passes *per
        block*, the block's masks at entry split by :func:`llada_counts` (with
        one block and no prompt: the uniform k-step schedule
        :func:`mdmtheory.schedule_rules.uniform_schedule`).  A schedule gives
        global sizes indexed by the pass number (full diffusion or aligned
        with the blocks; no prompts).
    tie_break : {"index", "random"}
    """

    def __init__(self, schedule: Schedule | Sequence[int] | int, *,
                 tie_break: TieBreak = "index"):
        tie_break = as_choice(tie_break, "tie_break", ("index", "random"))
        self.tie_break = tie_break
        if isinstance(schedule, (int, np.integer)) and not isinstance(schedule, bool):
            self.k = as_int(schedule, "k", minimum=1)
            self._schedule: Schedule | None = None
        else:
            self._schedule = as_schedule(schedule)
            self.k = self._schedule.k

    def sizes(self, n: int) -> np.ndarray:
        """The step sizes for sequence length ``n`` (one block, no prompt)."""
        if self._schedule is None:
            cache = self.__dict__.setdefault("_sizes_cache", {})
            if n not in cache:  # built once per n, not once per state
                from ..schedule_rules import uniform_schedule

                cache[n] = uniform_schedule(n, self.k).sizes
            return cache[n]
        if self._schedule.n != n:
            raise ValueError(f"schedule covers {self._schedule.n} positions, the MDP has n={n}")
        return self._schedule.sizes

    def check(self, mdp: UnmaskingMDP) -> None:
        if self._schedule is None:
            return
        s = self.sizes(mdp.n)
        cum = set(np.cumsum(s).tolist())
        missing = [b for b in range(mdp.block_length, mdp.n, mdp.block_length) if b not in cum]
        if missing:
            raise ValueError(f"the count schedule {s.tolist()} does not stop at the block "
                             f"boundaries {missing} (block_length={mdp.block_length})")
        if s.size > mdp.horizon:
            raise ValueError(f"the schedule has {s.size} steps, over the horizon L={mdp.horizon}")

    def counts(self, obs: Observation) -> np.ndarray:
        """``s_t`` of every row for the step about to be taken, ``(B,)``."""
        if self._schedule is None:
            return llada_counts(obs, self.k)
        s = self.sizes(obs.n)
        if (obs.nfe >= s.size).any():
            raise ValueError(f"the count schedule has only {s.size} steps; step "
                             f"{int(obs.nfe.max()) + 1} asked")
        k = s[obs.nfe]
        if (k > obs.active.sum(axis=1)).any():
            raise ValueError("a step asks for more positions than are active "
                             "(is the count schedule aligned with the blocks?)")
        return k

    def count(self, obs: Observation) -> int:
        """``s_t`` for the step about to be taken (batch of one)."""
        return int(self.counts(obs)[0])

    def scores(self, obs: Observation) -> np.ndarray:
        raise NotImplementedError

    def action_distribution(self, obs: Observation) -> tuple[np.ndarray, np.ndarray]:
        k = self.count(obs)
        if k == 0:
            return _one(np.zeros(obs.n, dtype=bool))
        return topk_select(self.scores(obs)[0], obs.active[0], k, tie_break=self.tie_break)

    def sample_actions(self, obs: Observation, rng: np.random.Generator) -> np.ndarray:
        k = self.counts(obs)
        if self.tie_break == "random":
            return Policy.sample_actions(self, obs, rng)
        return topk_mask(self.scores(obs), obs.active, k)

    def action_table(self, obs: Observation) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Exact action laws of a whole batch: ``(rows, actions, probs)``.

        With ``tie_break="index"`` (one action per state) this is
        :func:`topk_select` applied to every row at once -- the same order
        (score descending, tie chains within ``TIE_ATOL`` by index) by two
        batched lexsorts; otherwise (or for a subclass with its own
        :meth:`action_distribution`) it asks :meth:`action_distribution` row by row.
        """
        if self.tie_break != "index" or \
                type(self).action_distribution is not ScheduledPolicy.action_distribution:
            return _rowwise_action_table(self, obs)
        B, n = obs.x.shape
        k = np.asarray(self.counts(obs), dtype=np.int64)  # the same counts as count()
        act = np.asarray(obs.active, dtype=bool)
        nact = act.sum(axis=1)
        if ((nact == 0) & (k > 0)).any():
            raise ValueError("no active position to unmask")
        if (k > nact).any():
            b = int(np.flatnonzero(k > nact)[0])
            raise ValueError(f"cannot unmask k={int(k[b])} positions: only {int(nact[b])} are "
                             "active (is the count schedule aligned with the blocks?)")
        sc = np.asarray(self.scores(obs), dtype=np.float64)
        if np.isnan(sc[act]).any():
            raise ValueError("scores of active positions contain NaN")
        # active first by score descending, then by index (a stable sort); inactive last
        o = np.argsort(np.where(act, -sc, np.inf), axis=1, kind="stable")
        so = np.take_along_axis(sc, o, axis=1)
        ao = np.take_along_axis(act, o, axis=1)
        gaps = np.zeros((B, n), dtype=np.int64)
        with np.errstate(invalid="ignore"):
            gaps[:, 1:] = (so[:, :-1] - so[:, 1:]) > TIE_ATOL
        group = np.where(ao, np.cumsum(gaps, axis=1), n + 1)
        # within a tie group by index: sort on the unique key (group, position)
        order = np.take_along_axis(o, np.argsort(group * (n + 1) + o, axis=1), axis=1)
        acts = np.zeros((B, n), dtype=bool)
        np.put_along_axis(acts, order, np.arange(n)[None, :] < k[:, None], axis=1)
        return np.arange(B), acts, np.ones(B)


class RandomK(ScheduledPolicy):
    """Random-k (LLaDA ``remasking='random'``): a uniform random ``s_t``-subset of the active set.

    With full diffusion this is exactly the sampler of the paper's §1, whose
    output law is ``E_S nu^S`` and whose expected KL ``E_S KL(mu || nu^S)`` is
    the left-Riemann error of Thm 1.4.
    """

    def __init__(self, schedule: Schedule | Sequence[int] | int):
        super().__init__(schedule, tie_break="random")
        self.name = f"random-k({self._label()})"

    def _label(self) -> str:
        return f"k={self.k}" if self._schedule is None else f"s={self._schedule.tolist()}"

    def scores(self, obs: Observation) -> np.ndarray:
        return np.zeros(obs.x.shape)

    def action_table(self, obs: Observation) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Exact action laws of a batch at once: every ``s_t``-subset, each ``1/C(m, s_t)``.

        Returns ``(rows, actions, probs)`` with one entry per (row, subset); the
        same law as :meth:`action_distribution` row by row, vectorised.
        """
        ks = self.counts(obs)
        ms = obs.active.sum(axis=1)
        R, A, P = [], [], []
        for m, k in set(zip(ms.tolist(), ks.tolist())):
            rows = np.flatnonzero((ms == m) & (ks == k))
            act_pos = np.nonzero(obs.active[rows])[1].reshape(rows.size, m)
            combos = np.array(list(combinations(range(m), k)), dtype=np.int64).reshape(-1, k)
            C = combos.shape[0]
            acts = np.zeros((rows.size, C, obs.n), dtype=bool)
            if k:
                chosen = act_pos[:, combos]  # (rows, C, k)
                np.put_along_axis(acts, chosen, True, axis=2)
            R.append(np.repeat(rows, C))
            A.append(acts.reshape(-1, obs.n))
            P.append(np.full(rows.size * C, 1.0 / C))
        return np.concatenate(R), np.concatenate(A), np.concatenate(P)

    def sample_actions(self, obs: Observation, rng: np.random.Generator) -> np.ndarray:
        k = self.counts(obs)
        # a uniform random k-subset: the k largest of i.i.d. uniforms over the active set
        u = np.where(obs.active, rng.random(obs.x.shape), -1.0)
        rank = np.argsort(np.argsort(-u, axis=1), axis=1)
        return (rank < k[:, None]) & obs.active


class TopK(ScheduledPolicy):
    """Top-k by a score: LLaDA ``low_confidence``, Dream ``topk_margin``, Dream ``entropy``.

    ``score`` is ``"confidence"`` (``p_i(x0_i)``, the top-1 probability),
    ``"margin"`` (``p_(1) - p_(2)``) or ``"entropy"`` (``sum p log p``); the
    counts come from the schedule (LLaDA's per-block split for an ``int``).
    """

    def __init__(self, schedule: Schedule | Sequence[int] | int,
                 score: Literal["confidence", "margin", "entropy"] = "confidence", *,
                 tie_break: TieBreak = "index"):
        score = as_choice(score, "score", sorted(_SCORES))
        super().__init__(schedule, tie_break=tie_break)
        self.score = score
        lab = f"k={self.k}" if self._schedule is None else f"s={self._schedule.tolist()}"
        self.name = f"top-k {score}({lab})"

    def scores(self, obs: Observation) -> np.ndarray:
        return _SCORES[self.score](obs.probs)


def TopKConfidence(schedule, *, tie_break: TieBreak = "index") -> TopK:
    """LLaDA ``low_confidence`` (Nie et al. 2025): top ``s_t`` by ``p_i(x0_i)``."""
    return TopK(schedule, "confidence", tie_break=tie_break)


def TopKMargin(schedule, *, tie_break: TieBreak = "index") -> TopK:
    """Dream ``topk_margin`` (Ye et al. 2025): top ``s_t`` by ``p_(1) - p_(2)``."""
    return TopK(schedule, "margin", tie_break=tie_break)


def TopKEntropy(schedule, *, tie_break: TieBreak = "index") -> TopK:
    """Dream ``entropy`` (Ye et al. 2025): top ``s_t`` by ``sum p log p``."""
    return TopK(schedule, "entropy", tie_break=tie_break)


class ConfidenceThreshold(SelectionRule):
    """Fast-dLLM confidence threshold ``lambda``, LLaDA variant (Wu et al. 2025).

    Parameters
    ----------
    lam : float
        The threshold (Fast-dLLM default 0.9).
    strict : bool
        ``c > lambda`` (Apple's version) instead of ``c >= lambda`` (Fast-dLLM).
    """

    def __init__(self, lam: float = 0.9, *, strict: bool = False):
        self.lam = as_probability(lam, "lam")
        self.strict = as_bool(strict, "strict")
        self.name = f"threshold(lambda={self.lam:g})"

    def select(self, obs: Observation) -> np.ndarray:
        return threshold_mask(obs.confidence, obs.active, self.lam, strict=self.strict)


class FactorRule(SelectionRule):
    """Fast-dLLM factor rule ``f`` (Wu et al. 2025); see :func:`factor_select`."""

    def __init__(self, factor: float = 1.0, *, code_quirk: bool = True):
        self.factor = as_float(factor, "factor", minimum=0.0)
        self.code_quirk = as_bool(code_quirk, "code_quirk")
        self.name = f"factor(f={self.factor:g})"

    def select(self, obs: Observation) -> np.ndarray:
        return factor_mask(obs.confidence, obs.active, self.factor, code_quirk=self.code_quirk)


class EBSampler(SelectionRule):
    """EB-sampler ``gamma`` (Ben-Hamu et al. 2025); see :func:`eb_select`."""

    def __init__(self, gamma: float = 0.1, *, proxy: Literal["entropy", "confidence"] = "entropy"):
        self.gamma = as_float(gamma, "gamma", minimum=0.0)
        self.proxy = as_choice(proxy, "proxy", ("entropy", "confidence"))
        self.name = f"EB(gamma={self.gamma:g})"

    def select(self, obs: Observation) -> np.ndarray:
        return eb_mask(obs.probs, obs.active, self.gamma, proxy=self.proxy)
