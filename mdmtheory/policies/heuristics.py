"""Heuristic unmasking policies with the anchors' exact rules (spec policies.md §3).

Every rule acts on the *active* positions (masked, inside the current block)
and reads only the oracle's conditionals ``p_i`` at the current buffer.  The
proposed token of position ``i`` is ``x0_i = argmax_v p_i(v)`` (the anchors'
dLLM at temperature 0), so the score ``p_i(x0_i)`` of LLaDA's
``low_confidence`` is the top-1 probability ``c_i = max_v p_i(v)``.  In the
MDP's ``token_mode="sample"`` the *selection* still uses these temperature-0
scores while the revealed tokens are drawn from ``p_i`` (Dream's
``maskgit_plus`` at ``alg_temp = 0``); LLaDA's variant at temperature > 0, which
scores the *sampled* token, is not implemented.

Rules (numbers refer to spec §3)
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

from .._validation import as_int
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
def confidence_scores(probs: np.ndarray) -> np.ndarray:
    """``c_i = max_v p_i(v)`` (spec §3 item 2/7 at temperature 0)."""
    return np.asarray(probs, dtype=np.float64).max(axis=-1)


def margin_scores(probs: np.ndarray) -> np.ndarray:
    """``p_(1) - p_(2)``, the gap between the two largest probabilities (spec §3 item 5)."""
    s = np.sort(np.asarray(probs, dtype=np.float64), axis=-1)
    return s[..., -1] - s[..., -2]


def entropies(probs: np.ndarray) -> np.ndarray:
    """Shannon entropy ``-sum_v p log p`` in nats, ``0 log 0 = 0``."""
    p = np.asarray(probs, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return -t.sum(axis=-1)


def neg_entropy_scores(probs: np.ndarray) -> np.ndarray:
    """``sum_v p log p`` (negative entropy; higher = more certain; spec §3 item 6)."""
    return -entropies(probs)


_SCORES = {"confidence": confidence_scores, "margin": margin_scores,
           "entropy": neg_entropy_scores}


# ============================================================================ pure rules
def _check_vec(scores, active) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64)
    a = np.asarray(active, dtype=bool)
    if s.ndim != 1 or a.shape != s.shape:
        raise ValueError(f"scores and active must be 1-D of the same length; got {s.shape} "
                         f"and {a.shape}")
    if not a.any():
        raise ValueError("no active position to unmask")
    if np.isnan(s[a]).any():
        raise ValueError("scores of active positions contain NaN")
    return s, a


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
    pos = np.flatnonzero(a)
    sc = s[pos]
    o = np.lexsort((pos, -sc))  # by score desc, then index
    pos, sc = pos[o], sc[o]
    gaps = np.concatenate([[False], (sc[:-1] - sc[1:]) > atol])
    group = np.cumsum(gaps)
    o2 = np.lexsort((pos, group))  # within a tie group: by index
    return pos[o2], group[o2]


def topk_select(scores, active, k: int, *, tie_break: TieBreak = "index",
                atol: float = TIE_ATOL) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` highest-scoring active positions (spec §3 items 1, 2, 5, 6).

    Returns
    -------
    actions : ndarray of bool, shape (A, n)
        One action for ``tie_break="index"``; all equally likely tie resolutions
        for ``"random"``.
    probs : ndarray, shape (A,)
    """
    s, a = _check_vec(scores, active)
    k = as_int(k, "k", minimum=1)
    order, group = ordered_positions(s, a, atol=atol)
    if k > order.size:
        raise ValueError(f"cannot unmask k={k} positions: only {order.size} are active "
                         "(is the count schedule aligned with the blocks?)")
    n = s.size
    if tie_break == "index":
        act = np.zeros((1, n), dtype=bool)
        act[0, order[:k]] = True
        return act, np.ones(1)
    if tie_break != "random":
        raise ValueError(f"tie_break must be 'index' or 'random', got {tie_break!r}")
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


def threshold_select(conf, active, lam: float, *, strict: bool = False) -> np.ndarray:
    """Fast-dLLM's confidence-threshold rule (spec §3 item 3), one boolean action.

    Accept every active ``i`` with ``conf_i >= lam`` (``> lam`` if ``strict``,
    Apple's version) and always the most confident active position (ties: the
    smallest index, like ``torch.argmax``).  Comparisons allow
    :data:`~mdmtheory.policies.mdp.TIE_ATOL` of rounding (an exact conditional
    of 0.9 computed as 0.8999999999999999 passes ``lam = 0.9``).
    """
    c, a = _check_vec(conf, active)
    if not np.isfinite(lam):
        raise ValueError(f"lambda must be finite, got {lam!r}")
    sel = a & ((c > lam + TIE_ATOL) if strict else (c >= lam - TIE_ATOL))
    order, _ = ordered_positions(c, a)
    sel[order[0]] = True
    return sel


def factor_select(conf, active, factor: float, *, code_quirk: bool = True) -> np.ndarray:
    """Fast-dLLM's factor rule (spec §3 item 4), one boolean action.

    Sort the active confidences ``c_(1) >= c_(2) >= ... >= c_(m)``.  Rank ``r``
    (1-based) passes if ``c_(r) >= 1 - factor/(r+1)``; rank 1 always passes.
    The ranks before the first failing one are unmasked.

    ``code_quirk=True`` (default) reproduces Fast-dLLM's
    ``get_transfer_index_dynamic``: when the first failing rank is the *last*
    one (``r = m``) it still unmasks all ``m`` positions (its ``top_i`` is
    bumped at the end of the list).
    """
    c, a = _check_vec(conf, active)
    if not (np.isfinite(factor) and factor >= 0):
        raise ValueError(f"factor must be finite and >= 0, got {factor!r}")
    order, _ = ordered_positions(c, a)
    m = order.size
    cs = c[order]
    ranks = np.arange(1, m + 1)
    ok = cs >= 1.0 - factor / (ranks + 1.0) - TIE_ATOL
    ok[0] = True
    fail = np.flatnonzero(~ok)
    take = m if fail.size == 0 else int(fail[0])  # number of ranks before the failure
    if code_quirk and fail.size and int(fail[0]) == m - 1:
        take = m
    sel = np.zeros(c.size, dtype=bool)
    sel[order[:take]] = True
    return sel


def eb_select(probs, active, gamma: float, *, proxy: Literal["entropy", "confidence"] = "entropy"
              ) -> np.ndarray:
    """EB-sampler's entropy-bounded rule (spec §3 item 8), one boolean action.

    Sort the active positions by the error proxy (lowest entropy first, or
    highest confidence first) and take the longest prefix ``P`` with
    ``sum_{i in P} H_i - max_{i in P} H_i <= gamma`` (entropies in nats; this
    bounds the mutual information among the tokens unmasked together).  The
    first position always qualifies.
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2:
        raise ValueError(f"probs must have shape (n, q), got {p.shape}")
    if not (np.isfinite(gamma) and gamma >= 0):
        raise ValueError(f"gamma must be finite and >= 0, got {gamma!r}")
    H = entropies(p)
    if proxy == "entropy":
        order, _ = ordered_positions(-H, active)
    elif proxy == "confidence":
        order, _ = ordered_positions(confidence_scores(p), active)
    else:
        raise ValueError(f"proxy must be 'entropy' or 'confidence', got {proxy!r}")
    h = H[order]
    cost = np.cumsum(h) - np.maximum.accumulate(h)
    take = int(np.searchsorted(cost > gamma + TIE_ATOL, True))  # cost is nondecreasing
    take = max(take, 1)
    sel = np.zeros(p.shape[0], dtype=bool)
    sel[order[:take]] = True
    return sel


# ============================================================================ policies
def _one(action: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return action[None, :], np.ones(1)


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
        The count schedule (an ``int`` ``k`` = the uniform k-step schedule with
        LLaDA's split; full diffusion only).
    tie_break : {"index", "random"}
    """

    def __init__(self, schedule: Schedule | Sequence[int] | int, *,
                 tie_break: TieBreak = "index"):
        if tie_break not in ("index", "random"):
            raise ValueError(f"tie_break must be 'index' or 'random', got {tie_break!r}")
        self.tie_break = tie_break
        if isinstance(schedule, (int, np.integer)) and not isinstance(schedule, bool):
            self.k = as_int(schedule, "k", minimum=1)
            self._schedule: Schedule | None = None
        else:
            self._schedule = as_schedule(schedule)
            self.k = self._schedule.k

    def sizes(self, n: int) -> np.ndarray:
        """The step sizes for sequence length ``n``."""
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
        if self._schedule is None and mdp.block_length < mdp.n:
            raise ValueError("an int k is the full-diffusion uniform schedule; in semi-AR mode "
                             "pass a schedule aligned with the blocks, e.g. "
                             "mdmtheory.schedule_rules.llada_schedule(n, steps, block_length)")
        s = self.sizes(mdp.n)
        cum = set(np.cumsum(s).tolist())
        missing = [b for b in range(mdp.block_length, mdp.n, mdp.block_length) if b not in cum]
        if missing:
            raise ValueError(f"the count schedule {s.tolist()} does not stop at the block "
                             f"boundaries {missing} (block_length={mdp.block_length})")
        if s.size > mdp.horizon:
            raise ValueError(f"the schedule has {s.size} steps, over the horizon L={mdp.horizon}")

    def count(self, obs: Observation) -> int:
        """``s_t`` for the step about to be taken (``t = nfe + 1``)."""
        s = self.sizes(obs.n)
        t = int(obs.nfe[0])
        if t >= s.size:
            raise ValueError(f"the count schedule has only {s.size} steps; step {t + 1} asked")
        return int(s[t])

    def scores(self, obs: Observation) -> np.ndarray:
        raise NotImplementedError

    def action_distribution(self, obs: Observation) -> tuple[np.ndarray, np.ndarray]:
        return topk_select(self.scores(obs)[0], obs.active[0], self.count(obs),
                           tie_break=self.tie_break)

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
        s = self.sizes(n)
        if (obs.nfe >= s.size).any():
            raise ValueError(f"the count schedule has only {s.size} steps; step "
                             f"{int(obs.nfe.max()) + 1} asked")
        k = s[obs.nfe]
        act = np.asarray(obs.active, dtype=bool)
        nact = act.sum(axis=1)
        if (nact == 0).any():
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
    """Random-k (spec §3 item 1): a uniform random ``s_t``-subset of the active positions.

    With full diffusion this is exactly the sampler of theory.md §1, whose
    output law is ``E_S nu^S`` and whose expected KL ``E_S KL(mu || nu^S)`` is
    Thm 1.4's left-Riemann error.
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
        s = self.sizes(obs.n)
        if (obs.nfe >= s.size).any():
            raise ValueError(f"the count schedule has only {s.size} steps")
        ks = s[obs.nfe]
        ms = obs.active.sum(axis=1)
        if (ks > ms).any():
            raise ValueError("a step asks for more positions than are active "
                             "(is the count schedule aligned with the blocks?)")
        R, A, P = [], [], []
        for m, k in set(zip(ms.tolist(), ks.tolist())):
            rows = np.flatnonzero((ms == m) & (ks == k))
            act_pos = np.nonzero(obs.active[rows])[1].reshape(rows.size, m)
            combos = np.array(list(combinations(range(m), k)), dtype=np.int64)  # (C, k)
            C = combos.shape[0]
            acts = np.zeros((rows.size, C, obs.n), dtype=bool)
            chosen = act_pos[:, combos]  # (rows, C, k)
            np.put_along_axis(acts, chosen, True, axis=2)
            R.append(np.repeat(rows, C))
            A.append(acts.reshape(-1, obs.n))
            P.append(np.full(rows.size * C, 1.0 / C))
        return np.concatenate(R), np.concatenate(A), np.concatenate(P)

    def sample_actions(self, obs: Observation, rng: np.random.Generator) -> np.ndarray:
        s = self.sizes(obs.n)
        if (obs.nfe >= s.size).any():
            raise ValueError(f"the count schedule has only {s.size} steps")
        k = s[obs.nfe]
        if (k > obs.active.sum(axis=1)).any():
            raise ValueError("a step asks for more positions than are active "
                             "(is the count schedule aligned with the blocks?)")
        # a uniform random k-subset: the k largest of i.i.d. uniforms over the active set
        u = np.where(obs.active, rng.random(obs.x.shape), -1.0)
        rank = np.argsort(np.argsort(-u, axis=1), axis=1)
        return rank < k[:, None]


class TopK(ScheduledPolicy):
    """Top-k by a score (spec §3 items 2, 5, 6).

    ``score`` is ``"confidence"`` (LLaDA ``low_confidence``), ``"margin"`` (Dream
    ``topk_margin``) or ``"entropy"`` (Dream ``entropy``); see the module docstring.
    """

    def __init__(self, schedule: Schedule | Sequence[int] | int,
                 score: Literal["confidence", "margin", "entropy"] = "confidence", *,
                 tie_break: TieBreak = "index"):
        if score not in _SCORES:
            raise ValueError(f"score must be one of {sorted(_SCORES)}, got {score!r}")
        super().__init__(schedule, tie_break=tie_break)
        self.score = score
        lab = f"k={self.k}" if self._schedule is None else f"s={self._schedule.tolist()}"
        self.name = f"top-k {score}({lab})"

    def scores(self, obs: Observation) -> np.ndarray:
        return _SCORES[self.score](obs.probs)


def TopKConfidence(schedule, *, tie_break: TieBreak = "index") -> TopK:
    """LLaDA ``low_confidence`` (spec §3 item 2): top ``s_t`` by ``p_i(x0_i)``."""
    return TopK(schedule, "confidence", tie_break=tie_break)


def TopKMargin(schedule, *, tie_break: TieBreak = "index") -> TopK:
    """Dream ``topk_margin`` (spec §3 item 5): top ``s_t`` by ``p_(1) - p_(2)``."""
    return TopK(schedule, "margin", tie_break=tie_break)


def TopKEntropy(schedule, *, tie_break: TieBreak = "index") -> TopK:
    """Dream ``entropy`` (spec §3 item 6): top ``s_t`` by ``sum p log p``."""
    return TopK(schedule, "entropy", tie_break=tie_break)


class ConfidenceThreshold(Policy):
    """Fast-dLLM confidence threshold ``lambda`` (spec §3 item 3); NFE adapts to the input.

    Parameters
    ----------
    lam : float
        The threshold (Fast-dLLM default 0.9).
    strict : bool
        ``c > lambda`` (Apple's version) instead of ``c >= lambda`` (Fast-dLLM).
    """

    def __init__(self, lam: float = 0.9, *, strict: bool = False):
        if not np.isfinite(lam):
            raise ValueError(f"lambda must be finite, got {lam!r}")
        self.lam = float(lam)
        self.strict = bool(strict)
        self.name = f"threshold(lambda={self.lam:g})"

    def action_distribution(self, obs: Observation) -> tuple[np.ndarray, np.ndarray]:
        return _one(threshold_select(obs.confidence[0], obs.active[0], self.lam,
                                     strict=self.strict))


class FactorRule(Policy):
    """Fast-dLLM factor rule ``f`` (spec §3 item 4); see :func:`factor_select`."""

    def __init__(self, factor: float = 1.0, *, code_quirk: bool = True):
        if not (np.isfinite(factor) and factor >= 0):
            raise ValueError(f"factor must be finite and >= 0, got {factor!r}")
        self.factor = float(factor)
        self.code_quirk = bool(code_quirk)
        self.name = f"factor(f={self.factor:g})"

    def action_distribution(self, obs: Observation) -> tuple[np.ndarray, np.ndarray]:
        return _one(factor_select(obs.confidence[0], obs.active[0], self.factor,
                                  code_quirk=self.code_quirk))


class EBSampler(Policy):
    """EB-sampler ``gamma`` (spec §3 item 8); see :func:`eb_select`."""

    def __init__(self, gamma: float = 0.1, *, proxy: Literal["entropy", "confidence"] = "entropy"):
        if not (np.isfinite(gamma) and gamma >= 0):
            raise ValueError(f"gamma must be finite and >= 0, got {gamma!r}")
        if proxy not in ("entropy", "confidence"):
            raise ValueError(f"proxy must be 'entropy' or 'confidence', got {proxy!r}")
        self.gamma = float(gamma)
        self.proxy = proxy
        self.name = f"EB(gamma={self.gamma:g})"

    def action_distribution(self, obs: Observation) -> tuple[np.ndarray, np.ndarray]:
        return _one(eb_select(obs.probs[0], obs.active[0], self.gamma, proxy=self.proxy))
