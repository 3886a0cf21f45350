"""Dream's unmasking rules and Fast-dLLM's Dream threshold (Ye et al. 2025; Wu et al. 2025).

Dream (``DreamGenerationMixin.diffusion_generate``) runs ``steps`` passes on
the time grid ``t_i = linspace(1, eps, steps + 1)[i]`` (``eps = 1e-3``), with
``s = t_{i+1}``; here the grid restarts in every block and ``i`` is the number
of passes already spent in the block (one block = Dream's own setting).

* :class:`DreamOrigin` (``alg='origin'``): every active position is revealed
  independently with probability ``1 - s/t`` (so the count per pass is
  random); the last pass reveals all.  A product-form Bernoulli policy, so the
  exact evaluator handles it.
* :class:`DreamTopK` (``alg='maskgit_plus' | 'topk_margin' | 'entropy'``):
  ``k = int(m (1 - s/t))`` positions, ``m`` = active masks, the last pass takes
  all; with ``alg_temp = 0`` the ``k`` best scores, with ``alg_temp > 0`` ``k``
  positions drawn *without replacement* from ``softmax(score / alg_temp)``
  over the active set (``torch.multinomial``; sampled here with the
  Gumbel-top-k trick, which has the same law).  Dream's ``k`` may be 0: the
  pass then reveals nothing (the MDP's fallback, if on, forces one).
* :class:`DreamThreshold` (Fast-dLLM's Dream ``alg='confidence_threshold'``):
  a per-pass quota ``m0/steps`` (``m0`` = masks of the block at entry; LLaDA's
  split when it does not divide); a pass takes the ``current`` most confident
  positions, ``current`` = quota plus every unused quota of earlier passes,
  accepts the first always and the others only if their confidence is
  ``>= lambda``; what is not accepted carries over.  After the last planned
  pass the quota is 0 and the carried amount (= the masks left) continues, one
  extra pass at a time, as in Fast-dLLM (``steps += 1``).  The carried amount
  is a function of the state: ``current = Q_i - (m0 - m)``, ``Q_i`` the
  cumulative quota of passes ``0..i`` and ``m`` the masks left.

Scores are computed at temperature 0 (``confidence`` = top-1 probability), as
everywhere in :mod:`mdmtheory.policies.heuristics`.
"""

from __future__ import annotations

from itertools import combinations, permutations
from math import comb, factorial
from typing import Literal

import numpy as np

from .._validation import as_choice, as_float, as_int, as_probability, as_real_array
from ..schedule_rules import llada_transfer_counts
from .heuristics import _SCORES, ordered_ranks, topk_mask, topk_select
from .mdp import TIE_ATOL, BernoulliPolicy, Observation, Policy, UnmaskingMDP

__all__ = ["dream_ratio", "DreamOrigin", "DreamTopK", "DreamThreshold", "gumbel_topk_mask",
           "plackett_luce_set_law"]

_MAX_PL_TERMS = 2_000_000


def dream_ratio(step: np.ndarray, steps: int, eps: float = 1e-3) -> np.ndarray:
    """``1 - s/t`` of Dream's grid at pass ``step`` (0-based); 1 from the last pass on."""
    steps, eps = _check_steps(steps, eps)
    i = np.asarray(step, dtype=np.float64)
    t = 1.0 - i * (1.0 - eps) / steps
    s = 1.0 - (i + 1.0) * (1.0 - eps) / steps
    with np.errstate(divide="ignore", invalid="ignore"):
        r = 1.0 - s / t
    return np.where(i >= steps - 1, 1.0, r)


def _check_steps(steps, eps) -> tuple[int, float]:
    steps = as_int(steps, "steps", minimum=1)
    eps = as_float(eps, "eps", minimum=0.0, maximum=1.0, strict_minimum=True,
                   strict_maximum=True)
    return steps, eps


class DreamOrigin(BernoulliPolicy):
    """Dream ``alg='origin'`` (MDLM's sampler): reveal each active position w.p. ``1 - s/t``.

    Parameters
    ----------
    steps : int
        Dream's ``steps`` (per block).
    eps : float
        The end of the time grid (Dream default ``1e-3``).
    """

    def __init__(self, steps: int, *, eps: float = 1e-3):
        self.steps, self.eps = _check_steps(steps, eps)
        self.name = f"dream-origin(steps={self.steps})"

    def unmask_probabilities(self, obs: Observation) -> np.ndarray:
        r = dream_ratio(obs.step_in_block, self.steps, self.eps)
        return np.where(obs.active, r[:, None], 0.0)

    def fallback_scores(self, obs: Observation) -> np.ndarray:
        return obs.confidence


def gumbel_topk_mask(scores: np.ndarray, active: np.ndarray, k: np.ndarray,
                     temperature: float, rng: np.random.Generator) -> np.ndarray:
    """``k_b`` active positions per row drawn without replacement from ``softmax(score/T)``.

    Gumbel-top-k: the ``k`` largest of ``score/T + Gumbel`` are a successive
    (Plackett--Luce) sample without replacement (Kool et al. 2019).
    """
    temperature = as_float(temperature, "temperature", minimum=0.0, strict_minimum=True)
    g = -np.log(-np.log(rng.random(scores.shape)))
    keys = np.where(active, np.asarray(scores, np.float64) / temperature + g, -np.inf)
    return topk_mask(keys, active, k, atol=0.0)


def plackett_luce_set_law(weights: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Law of the *set* of ``k`` items drawn without replacement with probabilities ``prop. weights``.

    Sums the Plackett--Luce probability over the ``k!`` orders of every
    ``k``-subset (exact; for small problems).

    Returns
    -------
    subsets : ndarray of int64, shape (C, k)
    probs : ndarray, shape (C,)
    """
    w = as_real_array(weights, "weights", ndim=1)
    if (w < 0).any() or not w.sum() > 0:
        raise ValueError("weights must be non-negative with a positive sum")
    m = w.size
    k = as_int(k, "k", minimum=1, maximum=m)
    if comb(m, k) * factorial(k) > _MAX_PL_TERMS:
        raise MemoryError(f"the set law of {k} draws among {m} items needs "
                          f"{comb(m, k) * factorial(k):,} terms")
    total = w.sum()
    subs = np.array(list(combinations(range(m), k)), dtype=np.int64).reshape(-1, k)
    pr = np.zeros(subs.shape[0])
    for c, sub in enumerate(subs):
        for perm in permutations(sub.tolist()):
            p, left = 1.0, total
            for j in perm:
                p *= w[j] / left
                left -= w[j]
            pr[c] += p
    return subs, pr


class DreamTopK(Policy):
    """Dream ``maskgit_plus`` / ``topk_margin`` / ``entropy`` with ``alg_temp`` (Ye et al. 2025).

    Parameters
    ----------
    steps : int
        Dream's ``steps`` (per block).
    score : {"confidence", "margin", "entropy"}
        ``maskgit_plus`` (top-1 probability), ``topk_margin``, ``entropy``.
    alg_temp : float
        0: the ``k`` best scores; > 0: ``k`` positions sampled without
        replacement from ``softmax(score / alg_temp)``.
    eps : float
    """

    def __init__(self, steps: int, score: Literal["confidence", "margin", "entropy"] = "confidence",
                 *, alg_temp: float = 0.0, eps: float = 1e-3):
        self.steps, self.eps = _check_steps(steps, eps)
        self.score = as_choice(score, "score", sorted(_SCORES))
        self.alg_temp = as_float(alg_temp, "alg_temp", minimum=0.0)
        self.name = f"dream-{score}(steps={self.steps}, alg_temp={self.alg_temp:g})"

    def counts(self, obs: Observation) -> np.ndarray:
        """``int(m (1 - s/t))``, all at the last pass, ``(B,)``."""
        m = obs.active.sum(axis=1)
        r = dream_ratio(obs.step_in_block, self.steps, self.eps)
        # float64 product as in Dream (num_mask_token * (1 - s/t)), truncated
        return np.where(r >= 1.0, m, np.floor(m * r + 1e-12).astype(np.int64))

    def sample_actions(self, obs: Observation, rng: np.random.Generator) -> np.ndarray:
        sc = _SCORES[self.score](obs.probs)
        k = self.counts(obs)
        if self.alg_temp == 0:
            return topk_mask(sc, obs.active, k)
        return gumbel_topk_mask(sc, obs.active, k, self.alg_temp, rng)

    def action_distribution(self, obs: Observation) -> tuple[np.ndarray, np.ndarray]:
        k = int(self.counts(obs)[0])
        n = obs.n
        if k == 0:
            return np.zeros((1, n), dtype=bool), np.ones(1)
        sc = _SCORES[self.score](obs.probs)[0]
        if self.alg_temp == 0:
            return topk_select(sc, obs.active[0], k)
        act = np.flatnonzero(obs.active[0])
        z = sc[act] / self.alg_temp
        subs, pr = plackett_luce_set_law(np.exp(z - z.max()), k)
        acts = np.zeros((subs.shape[0], n), dtype=bool)
        np.put_along_axis(acts, act[subs], True, axis=1)
        return acts, pr


class DreamThreshold(Policy):
    """Fast-dLLM's confidence threshold for Dream, with the per-pass quota carried over.

    Parameters
    ----------
    lam : float
        The threshold (Fast-dLLM default 0.9).
    steps : int
        Planned passes per block (the quota is ``m0 / steps``).
    """

    def __init__(self, lam: float = 0.9, steps: int = 1):
        self.lam = as_probability(lam, "lam")
        self.steps = as_int(steps, "steps", minimum=1)
        self.name = f"dream-threshold(lambda={self.lam:g}, steps={self.steps})"

    def current(self, obs: Observation) -> np.ndarray:
        """Quota of this pass plus the carried-over quota, ``(B,)`` (capped at the active count)."""
        m0 = obs.start_count.astype(np.int64)
        m = obs.active.sum(axis=1)
        i = obs.step_in_block.astype(np.int64)
        cum = np.array([np.concatenate([[0], np.cumsum(llada_transfer_counts(int(a), self.steps))])
                        [min(int(b) + 1, self.steps)] for a, b in zip(m0, i)], dtype=np.int64)
        return np.clip(cum - (m0 - m), 0, m)

    def select(self, obs: Observation) -> np.ndarray:
        c = obs.confidence
        rank = ordered_ranks(c, obs.active)
        cur = self.current(obs)
        cand = rank < cur[:, None]
        return cand & ((rank == 0) | (c >= self.lam - TIE_ATOL))

    def sample_actions(self, obs: Observation, rng: np.random.Generator) -> np.ndarray:
        return self.select(obs)

    def action_distribution(self, obs: Observation) -> tuple[np.ndarray, np.ndarray]:
        return self.select(obs)[:1], np.ones(1)

    def check(self, mdp: UnmaskingMDP) -> None:
        if self.steps > mdp.block_length:
            raise ValueError(f"steps={self.steps} exceeds block_length={mdp.block_length}: the "
                             "MDP leaves a block after block_length passes")
