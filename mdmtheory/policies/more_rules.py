"""KLASS, dilated unmasking (DUS) and PC-Sampler, with their published rules.

* :class:`KLASS` (Kim et al. 2025, arXiv 2511.05664, ``llada_klass.py``): a
  position is *ready* when its confidence is ``> tau`` and the KL divergence
  between its consecutive conditionals, ``KL(p_t || p_{t-1})``, has been
  ``< kappa`` at each of the last ``H`` passes (and at least ``H - 1`` passes
  were already spent in the block).  All ready positions are revealed; if none
  is ready the pass falls back to LLaDA's top-k confidence with the per-block
  count.  The KL uses the released code's smoothing,
  ``sum_v p (log(p + 1e-12) - log(p' + 1e-12))``; before the first pass the
  previous conditional is the zero vector (so nothing is stable yet).  The
  policy needs the conditionals of the previous ``H`` passes
  (``history_length = H``): the Monte Carlo MDP supplies them, the exact
  evaluator (which merges states with different pasts) cannot.
  Published settings: LLaDA ``tau = 0.6``, ``kappa = 0.015`` (GSM8K), ``H = 2``.
* :class:`DUS` (Luxembourg et al. 2025, arXiv 2506.19037): deterministic
  dilated groups.  In a block of ``B`` positions there are
  ``R = ceil(log_a B)`` rounds (``a = 2``); round ``t`` has stride
  ``s_t = max(1, floor(B / a^t))`` and takes the offsets ``k`` with
  ``k mod s_t = 0`` not taken before; a last round smaller than the one before
  is merged into it.  A pass reveals the masked positions of the earliest
  round that still has one (positions already revealed by a prompt are
  skipped without spending a pass), so ``R`` passes per block without prompts.
* :class:`PCSampler` (Huang et al. 2025, arXiv 2508.13021, ``pc_sampler_function``):
  score ``exp(-lambda * j) * min(alpha, -p_i(x0_i) log(f_bg(x0_i) + 1e-9))``
  with ``j`` the offset of position ``i`` in its block and ``f_bg`` a
  background token frequency; the top ``s_t`` (LLaDA's per-block count).
  Released defaults ``lambda = 0.25``, ``alpha = 10``.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .._validation import as_float, as_int, as_probability, check_nbytes
from .heuristics import SelectionRule, llada_counts, topk_mask
from .heuristics import _confidence as confidence_scores  # unvalidated: on the oracle's own rows
from .mdp import Observation, UnmaskingMDP

__all__ = ["KLASS", "klass_kl", "DUS", "dus_rounds", "PCSampler", "pc_scores"]

_KL_EPS = 1e-12


def klass_kl(p: np.ndarray, p_prev: np.ndarray) -> np.ndarray:
    """``sum_v p (log(p + 1e-12) - log(p_prev + 1e-12))`` over the last axis (KLASS's KL).

    NaN entries of ``p_prev`` (no previous pass) give ``+inf``.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(p_prev, dtype=np.float64)
    kl = (p * (np.log(p + _KL_EPS) - np.log(np.nan_to_num(q, nan=0.0) + _KL_EPS))).sum(axis=-1)
    return np.where(np.isnan(q).any(axis=-1), np.inf, kl)


class KLASS(SelectionRule):
    """KL-adaptive stability sampling (see the module docstring).

    Parameters
    ----------
    steps : int
        LLaDA steps per block for the top-k fallback.
    conf_threshold : float
        ``tau``.
    kl_threshold : float
        ``kappa``.
    history : int
        ``H``, passes over which the KL must stay below ``kappa``.
    """

    def __init__(self, steps: int, conf_threshold: float = 0.6, kl_threshold: float = 0.015,
                 history: int = 2):
        self.steps = as_int(steps, "steps", minimum=1)
        self.history_length = as_int(history, "history", minimum=1)
        self.tau = as_probability(conf_threshold, "conf_threshold")
        self.kappa = as_float(kl_threshold, "kl_threshold", minimum=0.0, strict_minimum=True)
        self.name = (f"KLASS(tau={self.tau:g}, kappa={self.kappa:g}, H={self.history_length}, "
                     f"steps={self.steps})")

    def ready(self, obs: Observation) -> np.ndarray:
        """Active positions that are confident and stable, ``(B, n)`` bool."""
        if obs.history is None or obs.history.shape[1] < self.history_length:
            raise ValueError("KLASS needs the conditionals of the previous passes "
                             f"(Observation.history with H >= {self.history_length}); the exact "
                             "evaluator merges states with different pasts and cannot give them")
        H = self.history_length
        seq = np.concatenate([obs.history[:, -H:], obs.probs[:, None]], axis=1)  # oldest first
        kls = np.stack([klass_kl(seq[:, j + 1], seq[:, j]) for j in range(H)], axis=1)
        stable = (kls < self.kappa).all(axis=1) & (obs.step_in_block >= H - 1)[:, None]
        return stable & (confidence_scores(obs.probs) > self.tau) & obs.active

    def select(self, obs: Observation) -> np.ndarray:
        rd = self.ready(obs)
        top = topk_mask(confidence_scores(obs.probs), obs.active, llada_counts(obs, self.steps))
        return np.where(rd.any(axis=1)[:, None], rd, top)


@lru_cache(maxsize=256)
def _dus_round_table(B: int, base: int) -> tuple[int, ...]:
    R = max(1, math.ceil(math.log(B) / math.log(base) - 1e-12)) if B > 1 else 1
    rounds: list[list[int]] = []
    taken: set[int] = set()
    for t in range(1, R + 1):
        s = max(1, B // base ** t)
        P = [k for k in range(B) if k not in taken and k % s == 0]
        if t == R and rounds and len(P) < len(rounds[-1]):
            rounds[-1].extend(P)
        else:
            rounds.append(P)
        taken.update(P)
    left = [k for k in range(B) if k not in taken]  # defensive: every offset gets a round
    if left:
        rounds.append(left)
    out = [0] * B
    for r, P in enumerate(rounds):
        for k in P:
            out[k] = r
    return tuple(out)


def dus_rounds(block_size: int, base: int = 2) -> np.ndarray:
    """Round index (0-based) of every offset of a block of ``block_size`` (DUS groups)."""
    block_size = as_int(block_size, "block_size", minimum=1)
    check_nbytes(16.0 * block_size, what=f"the DUS rounds of a block of {block_size} positions")
    return np.array(_dus_round_table(block_size, as_int(base, "base", minimum=2)),
                    dtype=np.int64)


class DUS(SelectionRule):
    """Dilated unmasking scheduler (see the module docstring).

    Parameters
    ----------
    base : int
        ``a``; 2 gives ``ceil(log2 B)`` passes per block.
    """

    def __init__(self, base: int = 2):
        self.base = as_int(base, "base", minimum=2)
        self.name = f"DUS(a={self.base})"

    def select(self, obs: Observation) -> np.ndarray:
        B, n = obs.x.shape
        lo = np.zeros(B, np.int64) if obs.block_start is None else obs.block_start
        hi = np.full(B, n, np.int64) if obs.block_end is None else obs.block_end
        rnd = np.full((B, n), np.iinfo(np.int64).max)
        for b in range(B):
            rnd[b, lo[b]:hi[b]] = dus_rounds(int(hi[b] - lo[b]), self.base)
        rnd = np.where(obs.active, rnd, np.iinfo(np.int64).max)
        return obs.active & (rnd == rnd.min(axis=1, keepdims=True))


def _pc_parameters(lam, alpha) -> tuple[float, float]:
    """PC-Sampler's position decay ``lam >= 0`` and clip ``alpha > 0``."""
    return (as_float(lam, "lam", minimum=0.0),
            as_float(alpha, "alpha", minimum=0.0, strict_minimum=True))


def pc_scores(probs: np.ndarray, offsets: np.ndarray, background: np.ndarray, lam: float,
              alpha: float) -> np.ndarray:
    """PC-Sampler's ``exp(-lam j) min(alpha, -p(x0) log(f_bg(x0) + 1e-9))``, ``x0`` = arg-max."""
    lam, alpha = _pc_parameters(lam, alpha)
    p = np.asarray(probs, dtype=np.float64)
    x0 = p.argmax(axis=-1)
    c = np.take_along_axis(p, x0[..., None], axis=-1)[..., 0]
    f = np.asarray(background, dtype=np.float64)[x0]
    return np.exp(-lam * offsets) * np.minimum(alpha, -c * np.log(f + 1e-9))


class PCSampler(SelectionRule):
    """PC-Sampler: position-aware weight times a background-calibrated confidence.

    Parameters
    ----------
    steps : int
        LLaDA steps per block (the count schedule).
    lam, alpha : float
        Position decay and clipping (released defaults 0.25 and 10).
    background : array_like, shape (q,), optional
        Background token frequencies ``f_bg`` (a distribution); default uniform.
    """

    def __init__(self, steps: int, lam: float = 0.25, alpha: float = 10.0, background=None):
        self.steps = as_int(steps, "steps", minimum=1)
        self.lam, self.alpha = _pc_parameters(lam, alpha)
        if background is not None:
            bg = np.asarray(background, dtype=np.float64)
            if bg.ndim != 1 or (bg < 0).any() or abs(bg.sum() - 1) > 1e-9:
                raise ValueError("background must be a probability vector over the tokens")
            background = bg
        self.background = background
        self.name = f"PC-sampler(lambda={self.lam:g}, alpha={self.alpha:g}, steps={self.steps})"

    def scores(self, obs: Observation) -> np.ndarray:
        bg = np.full(obs.q, 1.0 / obs.q) if self.background is None else self.background
        if bg.size != obs.q:
            raise ValueError(f"background has {bg.size} tokens, the MDP has q={obs.q}")
        lo = np.zeros(obs.batch, np.int64) if obs.block_start is None else obs.block_start
        off = np.arange(obs.n)[None, :] - lo[:, None]
        return pc_scores(obs.probs, off, bg, self.lam, self.alpha)

    def select(self, obs: Observation) -> np.ndarray:
        return topk_mask(self.scores(obs), obs.active, llada_counts(obs, self.steps))

    def check(self, mdp: UnmaskingMDP) -> None:
        if self.background is not None and self.background.size != mdp.q:
            raise ValueError(f"background has {self.background.size} tokens, the MDP has "
                             f"q={mdp.q}")

