"""The unmasking MDP over any conditional oracle (Jazbec et al. 2025, §3; paper §1 sampler).

A *policy* decides, at every forward pass of a masked diffusion model, which
masked positions to unmask; this module is the environment it acts in.

State
    The response buffer ``x`` of ``n`` positions (``x[i] = MASK = -1`` while
    position ``i`` is masked), the number ``nfe`` of forward passes spent so
    far, and the semi-autoregressive block pointer (block index, iterations
    spent in the block).
Observation (what a policy may use: the anchors' state features)
    The oracle's conditionals ``probs[i] = p(X_i = . | x_revealed)`` at the
    current buffer (one forward pass), from which the anchors' features are
    read: the per-position top-1 probability ``c_i = max_v probs[i, v]``, the
    mask bit ``m_i`` and the time feature ``t = nfe / L`` (forward passes spent
    *before* this step, divided by the horizon ``L``); plus the ``active`` set
    = masked positions inside the current block (the only ones a policy may
    unmask).
Action
    A set ``A`` of active positions (a boolean vector).  Learned policies draw
    it as independent Bernoulli variables (:class:`BernoulliPolicy`).  With
    ``fallback=True`` (the anchors' evaluation mode ``bernoulli-argmax``) an
    empty action is replaced by the single active position with the largest
    fallback score; with ``fallback=False`` (their training mode
    ``bernoulli``) an empty action spends one NFE and changes nothing.
Transition
    One forward pass (``nfe += 1``).  Every ``i`` in ``A`` receives a token:
    ``token_mode="sample"`` draws the tokens of one step *independently* from
    the oracle's conditionals ``probs[i]`` (the sampler of the paper's §1, the
    anchors' dLLM at temperature 1); ``token_mode="argmax"`` writes
    ``argmax_v probs[i, v]`` (the anchors' greedy dLLM, temperature 0; ties go
    to the smallest token within :data:`TIE_ATOL`).  Nothing is remasked.
Blocks
    Positions are cut into blocks of length ``block_length = BL`` (the last
    one may be shorter), taken left to right.  The next block starts when the
    current one has no masks left or after ``BL`` iterations in it (the
    anchors' released code); ``BL = n`` is full diffusion.
Horizon and termination
    At most ``L = horizon`` forward passes in total (default ``L = n``).  A
    rollout ends when the last block is left or ``nfe = L``; positions still
    masked then make the rollout *incomplete* (possible only with
    ``fallback=False`` or ``L < n``).

Prompts
    ``rollout(..., prompts=P)`` starts each row from a prompt: ``P[b, i] >= 0``
    is a clue (revealed before the first pass, never an action), ``MASK`` a
    position to generate.  Blocks still cut the whole buffer; a block with no
    masks is skipped without spending a pass.  Without prompts every position
    starts masked.
Per-row bookkeeping (for rules with a per-block schedule or a memory)
    ``iters`` (passes spent in the current block), ``block_masked0`` (masks of
    the block when it was entered: LLaDA's ``get_num_transfer_tokens`` input)
    and, when the policy asks for it (``policy.history_length = H > 0``, KLASS),
    the conditionals of the last ``H`` passes.

Environment (oracle) protocol
-----------------------------
An environment is any ``callable(x, revealed_mask) -> probs`` with ``x`` of shape
``(B, n)`` (int, values in ``[0, q)``; masked entries are passed as 0 and must be
ignored), ``revealed_mask`` ``(B, n)`` bool and ``probs`` ``(B, n, q)`` float -- the
protocol of :mod:`mdmtheory.montecarlo` (so its ``DistributionOracle`` and the
torch bridge's model wrappers plug in).  :class:`ExactOracle` is the exact
oracle of a dense :class:`~mdmtheory.Distribution` with O(1) look-ups by state
code, used by the exact evaluator (:mod:`mdmtheory.policies.exact`);
:class:`mdmtheory.policies.neural.DenoiserOracle` is a trained torch denoiser
(one batched forward pass on its device per call).  The MDP logic below is the
same for both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal

import numpy as np

from .._validation import as_bool, as_choice, as_int, as_real_array, as_tolerance, check_nbytes
from ..distribution import Distribution
from ..oracle import MASK, DistributionOracle

__all__ = [
    "MASK",
    "TIE_ATOL",
    "Oracle",
    "ExactOracle",
    "Observation",
    "Policy",
    "BernoulliPolicy",
    "UnmaskingMDP",
    "MDPState",
    "Rollout",
    "argmax_with_ties",
    "confidence",
]

#: Two scores (or probabilities) closer than this are a tie.  Exact conditionals
#: are ratios of sums of at most ``q^n`` float64 terms, accurate to ~1e-15; real
#: differences between conditionals of the small distributions studied here are
#: far larger than 1e-12, so 1e-12 separates rounding noise from genuine order.
TIE_ATOL: float = 1e-12

#: ``oracle(x (B, n) int, revealed_mask (B, n) bool) -> (B, n, q) probabilities``.
Oracle = Callable[[np.ndarray, np.ndarray], np.ndarray]

TokenMode = Literal["sample", "argmax"]


def argmax_with_ties(values: np.ndarray, axis: int = -1, atol: float = TIE_ATOL) -> np.ndarray:
    """Index of the maximum along ``axis``; ties (within ``atol``) go to the smallest index."""
    v = as_real_array(values, "values", finite=False)
    if np.isnan(v).any() or (v == np.inf).any():
        raise ValueError("values must not contain NaN or +inf (-inf marks an excluded entry)")
    axis = as_int(axis, "axis", minimum=-v.ndim, maximum=v.ndim - 1) if v.ndim else axis
    atol = as_tolerance(atol, "atol")
    top = v.max(axis=axis, keepdims=True)
    return np.argmax(v >= top - atol, axis=axis)


def confidence(probs: np.ndarray) -> np.ndarray:
    """Top-1 probability ``c_i = max_v p_i(v)`` (the policy feature and LLaDA's confidence).

    ``probs`` has shape ``(n, q)`` or ``(B, n, q)``, every row a probability vector.
    """
    from .._validation import check_stochastic_matrix

    return check_stochastic_matrix(probs, "probs").max(axis=-1)


# ============================================================================ exact oracle
class ExactOracle(DistributionOracle):
    """The exact oracle of :mod:`mdmtheory.oracle`, always with state codes.

    A partial assignment is one integer (digit ``i`` in base ``q+1`` is ``x_i``
    if revealed, ``q`` if masked): the index of the extended marginal tensor,
    which the exact evaluator uses to merge identical states.  The tensor is
    built whatever its size (memory-guarded by
    :func:`mdmtheory.extended_marginal_tensor`).

    Parameters
    ----------
    dist : Distribution or array_like
    null_context : {"uniform", "raise"}
        Default ``"uniform"``: the tokens of one step are drawn independently
        and can form a context outside the support of ``mu``; see
        :class:`mdmtheory.oracle.DistributionOracle`.
    """

    def __init__(self, dist, *, null_context: Literal["uniform", "raise"] = "uniform"):
        # the tensor is built on first need (_tensor), not here: until then the
        # conditionals of a batch of codes are read straight off the table
        super().__init__(dist, null_context=null_context, max_cells=1)
        self._direct_spent = 0.0

    #: ``False``: build the extended tensor at the first code look-up, as the first
    #: release did (kept for the side-by-side benchmark ``bench_perf_v2.py``).
    lazy: bool = True

    def _tensor(self) -> np.ndarray:
        """The extended marginal tensor, built on first use (memory-guarded)."""
        if self._T is None:
            from ..information import extended_marginal_tensor

            self._T = np.ascontiguousarray(extended_marginal_tensor(self.dist)).ravel()
        return self._T

    def probs_from_codes(self, codes: np.ndarray) -> np.ndarray:
        """Conditionals ``(B, n, q)`` at the partial assignments ``codes``.

        Two exact back-ends: look-ups in the extended ``(q+1)^n`` marginal tensor,
        or one walk over the completions of each state in the ``q^n`` table
        (:mod:`mdmtheory._conditionals`, ``O(|M| q^|M|)`` per state with ``M`` its
        masked set).  The walk is used until its accumulated work exceeds the cost
        of building the tensor (``~4 (q+1)^n``) -- and always when the tensor would
        not fit the memory budget -- so a deterministic policy on ``n = 20`` never
        builds the 28 GB tensor, while a policy visiting most of the ``(q+1)^n``
        states switches to look-ups after at most twice the work.  The two agree
        to float rounding (different summation orders; tests compare them).
        """
        codes = np.asarray(codes, dtype=np.int64)
        n, q = self.n, self.q
        if self._T is None and self.lazy:
            from .._conditionals import conditionals_from_codes, direct_cost
            from .._validation import check_table_size

            cost = direct_cost(codes, n, q)
            tensor_cost = 4.0 * float(q + 1) ** n
            fits = True
            try:
                check_table_size(q + 1, n, what="extended (q+1)^n marginal tensor")
            except MemoryError:
                fits = False
            if not fits or self._direct_spent + cost <= tensor_cost:
                self._direct_spent += cost
                out, den = conditionals_from_codes(self.dist.p, codes, n, q)
                self._dead(den)  # raises for null_context="raise"
                return out
        self._tensor()
        return super().probs_from_codes(codes)


# ============================================================================ observation
@dataclass(frozen=True)
class Observation:
    """A batch of MDP observations (the state features of Jazbec et al. 2025).

    Attributes
    ----------
    x : ndarray of int64, shape (B, n)
        Buffers, ``MASK`` (-1) where masked.
    probs : ndarray of float64, shape (B, n, q)
        Oracle conditionals at ``x`` (point masses on revealed positions).
    active : ndarray of bool, shape (B, n)
        Masked positions inside the current block: the positions a policy may unmask.
    nfe : ndarray of int64, shape (B,)
        Forward passes spent *before* this step.
    horizon : int
        ``L``, the NFE budget (the time feature is ``nfe / L``).
    iters : ndarray of int64, shape (B,), optional
        Passes spent in the current block before this step (``None`` when the
        caller does not track blocks, e.g. the exact evaluator: then ``nfe``).
    block_start, block_end : ndarray of int64, shape (B,), optional
        Bounds of the current block (``None``: the whole buffer).
    block_masked0 : ndarray of int64, shape (B,), optional
        Masked positions of the current block when it was entered (``None``:
        the active count at ``iters = 0`` is unknown, rules use ``n``).
    history : ndarray of float64, shape (B, H, n, q), optional
        Conditionals of the previous ``H`` passes, oldest first; NaN where the
        row has had fewer than ``H`` passes.  Filled only for policies with
        ``history_length = H > 0``.
    """

    x: np.ndarray
    probs: np.ndarray
    active: np.ndarray
    nfe: np.ndarray
    horizon: int
    iters: np.ndarray | None = None
    block_start: np.ndarray | None = None
    block_end: np.ndarray | None = None
    block_masked0: np.ndarray | None = None
    history: np.ndarray | None = None

    @property
    def batch(self) -> int:
        return int(self.x.shape[0])

    @property
    def n(self) -> int:
        return int(self.x.shape[1])

    @property
    def q(self) -> int:
        return int(self.probs.shape[2])

    @property
    def mask(self) -> np.ndarray:
        """Mask bit ``m_i`` (1 = still masked), float64 ``(B, n)``."""
        return (self.x == MASK).astype(np.float64)

    @property
    def confidence(self) -> np.ndarray:
        """Top-1 probability ``c_i`` (``(B, n)``; 1 on revealed positions)."""
        return self.probs.max(axis=-1)

    @property
    def time(self) -> np.ndarray:
        """Fraction of the NFE budget used, ``t = nfe / L`` (``(B,)``)."""
        return self.nfe / float(self.horizon)

    @property
    def step_in_block(self) -> np.ndarray:
        """``iters`` if tracked, else ``nfe`` (one block from the start), ``(B,)``."""
        return self.nfe if self.iters is None else self.iters

    @property
    def start_count(self) -> np.ndarray:
        """``block_masked0`` if tracked, else the block size ``n``, ``(B,)``."""
        if self.block_masked0 is None:
            return np.full(self.batch, self.n, dtype=np.int64)
        return self.block_masked0

    @property
    def positions_from_start(self) -> np.ndarray:
        """Position index minus the first generated position of the row, ``(B, n)``.

        The first generated position is the first position masked at the
        prompt; without bookkeeping it is taken as 0.
        """
        return np.broadcast_to(np.arange(self.n), self.x.shape)

    def take(self, rows) -> "Observation":
        """A sub-batch (``rows``: indices, a slice or a boolean mask)."""
        def t(a):
            return None if a is None else a[rows]

        return Observation(self.x[rows], self.probs[rows], self.active[rows], self.nfe[rows],
                           self.horizon, t(self.iters), t(self.block_start), t(self.block_end),
                           t(self.block_masked0), t(self.history))

    def row(self, b: int) -> "Observation":
        """The ``b``-th observation as a batch of one."""
        return self.take(slice(b, b + 1))


# ============================================================================ policies
class Policy:
    """Base class of unmasking policies (heuristic rules and learned policies).

    Subclasses implement :meth:`action_distribution` -- the exact law of the
    action at one state, used by the exact evaluator -- and may override
    :meth:`sample_actions` with a vectorised sampler.

    Attributes
    ----------
    name : str
        A label for tables and figures.
    """

    name: str = "policy"
    #: Number of previous passes' conditionals the policy reads (``Observation.history``).
    history_length: int = 0

    def action_distribution(self, obs: Observation) -> tuple[np.ndarray, np.ndarray]:
        """Exact action law at the single state ``obs`` (batch of one).

        Returns
        -------
        actions : ndarray of bool, shape (A, n)
            Distinct subsets of ``obs.active[0]``.
        probs : ndarray of float64, shape (A,)
            Their probabilities (positive, summing to one).
        """
        raise NotImplementedError

    def sample_actions(self, obs: Observation, rng: np.random.Generator) -> np.ndarray:
        """Draw one action per row, ``(B, n)`` bool.

        The default groups identical states, asks :meth:`action_distribution`
        once per distinct state and samples from it.
        """
        B, n = obs.x.shape
        key = np.concatenate([obs.x, obs.active.astype(np.int64), obs.nfe[:, None]], axis=1)
        uniq, inv = np.unique(key, axis=0, return_inverse=True)
        inv = inv.reshape(-1)
        out = np.zeros((B, n), dtype=bool)
        for g in range(uniq.shape[0]):
            rows = np.flatnonzero(inv == g)
            acts, pr = self.action_distribution(obs.row(int(rows[0])))
            pick = rng.choice(len(pr), size=rows.size, p=pr / pr.sum())
            out[rows] = acts[pick]
        return out

    def fallback_scores(self, obs: Observation) -> np.ndarray:
        """Scores whose arg-max (over active positions) replaces an empty action.

        Default: the top-1 probability (Fast-dLLM's "always unmask the most
        confident").  :class:`BernoulliPolicy` uses its logits (Apple's
        ``bernoulli-argmax``).
        """
        return obs.confidence

    def check(self, mdp: "UnmaskingMDP") -> None:
        """Raise ``ValueError`` if the policy cannot act in ``mdp`` (default: no check)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class BernoulliPolicy(Policy):
    """A policy that unmasks each active position independently (the anchors' action model).

    Subclasses implement :meth:`unmask_probabilities`.  The action law is the
    product ``prod_{i active} p_i^{a_i} (1 - p_i)^{1 - a_i}``; the exact
    evaluator uses this product form directly (all ``(1+q)^m`` children of a
    state in one vectorised pass).
    """

    product_form: bool = True

    def unmask_probabilities(self, obs: Observation) -> np.ndarray:
        """``(B, n)`` probabilities ``p_i``, zero outside ``obs.active``."""
        raise NotImplementedError

    def logits(self, obs: Observation) -> np.ndarray:
        """``(B, n)`` logits used by the fallback (default: ``logit(p)``)."""
        p = np.clip(self.unmask_probabilities(obs), 1e-300, 1 - 1e-16)
        return np.log(p) - np.log1p(-p)

    def fallback_scores(self, obs: Observation) -> np.ndarray:
        return self.logits(obs)

    def action_distribution(self, obs: Observation) -> tuple[np.ndarray, np.ndarray]:
        """All ``2^m`` subsets of the ``m`` active positions with their product probabilities."""
        p = self.unmask_probabilities(obs)[0]
        act = np.flatnonzero(obs.active[0])
        m = act.size
        bits = ((np.arange(2 ** m)[:, None] >> np.arange(m)[None, :]) & 1).astype(bool)
        pa = np.prod(np.where(bits, p[act][None, :], 1.0 - p[act][None, :]), axis=1)
        actions = np.zeros((2 ** m, obs.n), dtype=bool)
        actions[:, act] = bits
        keep = pa > 0
        return actions[keep], pa[keep]

    def sample_actions(self, obs: Observation, rng: np.random.Generator) -> np.ndarray:
        p = self.unmask_probabilities(obs)
        return (rng.random(p.shape) < p) & obs.active


# ============================================================================ the MDP
@dataclass(frozen=True)
class MDPState:
    """Batched MDP state: buffers, NFE, block pointer, iterations in the block, done flag.

    ``masked0`` is the number of masks of the current block when it was
    entered; ``history`` the last conditionals (``(B, H, n, q)``, oldest first,
    NaN-padded) or ``None``.
    """

    x: np.ndarray
    nfe: np.ndarray
    block: np.ndarray
    iters: np.ndarray
    done: np.ndarray
    masked0: np.ndarray | None = None
    history: np.ndarray | None = None


@dataclass(frozen=True)
class Rollout:
    """Result of :meth:`UnmaskingMDP.rollout`.

    Attributes
    ----------
    x : ndarray (B, n)
        Final buffers (``MASK`` where a rollout ended incomplete).
    nfe : ndarray (B,)
        Forward passes spent.
    complete : ndarray of bool (B,)
        No position left masked.
    steps : list of dict
        With ``record=True``: per step, ``obs`` (the :class:`Observation` of the
        rows still running), ``rows`` (their indices) and ``actions`` (the
        actions as drawn by the policy, before the fallback).
    """

    x: np.ndarray
    nfe: np.ndarray
    complete: np.ndarray
    steps: list = field(default_factory=list)

    def __repr__(self) -> str:
        B, n = self.x.shape
        return (f"Rollout(batch={B}, n={n}, mean NFE={float(np.mean(self.nfe)):.6g}, "
                f"complete={int(np.sum(self.complete))}/{B}, recorded steps={len(self.steps)})")


class UnmaskingMDP:
    """The unmasking MDP (Jazbec et al. 2025) over one oracle.

    Parameters
    ----------
    oracle : Oracle or Distribution
        The conditional oracle (a :class:`~mdmtheory.Distribution` is wrapped in
        an :class:`ExactOracle`).
    n, q : int, optional
        Sequence length and alphabet size; read from the oracle's ``n``/``q``
        attributes when omitted.
    block_length : int, optional
        ``BL``; default ``n`` (full diffusion).
    token_mode : {"sample", "argmax"}
        How the tokens of a step are drawn (module docstring).
    fallback : bool
        Replace an empty action by the arg-max of the policy's fallback score
        (default ``True``, the anchors' evaluation mode).
    horizon : int, optional
        ``L``, the NFE budget; default ``n``.
    """

    def __init__(self, oracle, *, n: int | None = None, q: int | None = None,
                 block_length: int | None = None, token_mode: TokenMode = "sample",
                 fallback: bool = True, horizon: int | None = None):
        if isinstance(oracle, Distribution):
            oracle = ExactOracle(oracle)
        if not callable(oracle):
            raise ValueError("oracle must be a callable(x, revealed_mask) -> probs or a "
                             "Distribution")
        self.oracle = oracle
        n = getattr(oracle, "n", None) if n is None else n
        q = getattr(oracle, "q", None) if q is None else q
        if n is None or q is None:
            raise ValueError("pass n and q: the oracle has no n/q attributes")
        self.n = as_int(n, "n", minimum=1)
        for key, given in (("n", self.n), ("q", as_int(q, "q", minimum=2))):
            own = getattr(oracle, key, None)
            if own is not None and own != given:
                raise ValueError(f"{key}={given} does not match the oracle's {key}={own}")
        check_nbytes(16.0 * self.n, what=f"a buffer of n={self.n} positions")
        self.q = as_int(q, "q", minimum=2)
        self.block_length = self.n if block_length is None else \
            as_int(block_length, "block_length", minimum=1)
        if self.block_length > self.n:
            raise ValueError(f"block_length={self.block_length} exceeds n={self.n}")
        self.token_mode: TokenMode = as_choice(token_mode, "token_mode", ("sample", "argmax"))
        self.fallback = as_bool(fallback, "fallback")
        self.horizon = self.n if horizon is None else as_int(horizon, "horizon", minimum=1)
        self.n_blocks = -(-self.n // self.block_length)

    def __repr__(self) -> str:
        return (f"UnmaskingMDP(n={self.n}, q={self.q}, BL={self.block_length}, "
                f"tokens={self.token_mode!r}, fallback={self.fallback}, L={self.horizon})")

    # -------------------------------------------------------------- helpers
    def block_bounds(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First and one-past-last position of blocks ``block``."""
        b = np.asarray(block, dtype=np.int64)
        lo = b * self.block_length
        return lo, np.minimum(lo + self.block_length, self.n)

    def active_mask(self, x: np.ndarray, block: np.ndarray) -> np.ndarray:
        """Masked positions inside each row's current block, ``(B, n)`` bool."""
        lo, hi = self.block_bounds(block)
        pos = np.arange(self.n)[None, :]
        return (x == MASK) & (pos >= lo[:, None]) & (pos < hi[:, None])

    def query(self, x: np.ndarray) -> np.ndarray:
        """One forward pass of the oracle on buffers ``x`` -> ``(B, n, q)``."""
        revealed = x != MASK
        probs = np.asarray(self.oracle(np.where(revealed, x, 0), revealed), dtype=np.float64)
        if probs.shape != (x.shape[0], self.n, self.q):
            raise ValueError(f"oracle returned shape {probs.shape}, expected "
                             f"({x.shape[0]}, {self.n}, {self.q})")
        return probs

    def _check_prompts(self, prompts, batch: int | None) -> np.ndarray:
        P = np.asarray(prompts)
        if P.ndim == 1:
            P = np.broadcast_to(P, (1 if batch is None else batch, P.size))
        if P.ndim != 2 or P.shape[1] != self.n:
            raise ValueError(f"prompts must have shape (B, {self.n}), got {np.shape(prompts)}")
        if not np.issubdtype(P.dtype, np.integer):
            raise TypeError(f"prompts must be integers (MASK={MASK} for a masked position), "
                            f"got dtype {P.dtype}")
        if ((P < MASK) | (P >= self.q)).any():
            raise ValueError(f"prompts entries must be MASK ({MASK}) or tokens in [0, {self.q})")
        if batch is not None and P.shape[0] != batch:
            raise ValueError(f"prompts has {P.shape[0]} rows, size={batch}")
        return P.astype(np.int64)

    def _enter_blocks(self, x, block, iters, masked0, rows) -> None:
        """Advance ``rows`` past full blocks (in place); reset ``iters``/``masked0`` on entry."""
        pos = np.arange(self.n)[None, :]
        for _ in range(self.n_blocks + 1):
            cur = block[rows]
            lo, hi = self.block_bounds(np.minimum(cur, self.n_blocks - 1))
            inblk = (pos >= lo[:, None]) & (pos < hi[:, None])
            left = ((x[rows] == MASK) & inblk).sum(axis=1)
            adv = (cur < self.n_blocks) & ((left == 0) | (iters[rows] >= self.block_length))
            if not adv.any():
                masked0[rows] = np.where(iters[rows] == 0, left, masked0[rows])
                return
            r = rows[adv]
            block[r] += 1
            iters[r] = 0

    def initial_state(self, batch: int, prompts=None, *, history_length: int = 0) -> MDPState:
        """All-masked buffers, or the given ``prompts`` (clues revealed, ``MASK`` elsewhere)."""
        B = as_int(batch, "batch", minimum=1)
        H = as_int(history_length, "history_length", minimum=0)
        x = np.full((B, self.n), MASK, dtype=np.int64) if prompts is None else \
            self._check_prompts(prompts, B).copy()
        z = np.zeros(B, dtype=np.int64)
        block, iters, masked0 = z.copy(), z.copy(), z.copy()
        self._enter_blocks(x, block, iters, masked0, np.arange(B))
        hist = np.full((B, H, self.n, self.q), np.nan) if H else None
        done = (block >= self.n_blocks) | (self.horizon <= 0)
        return MDPState(x, z.copy(), block, iters, done, masked0, hist)

    def observe(self, state: MDPState, rows: np.ndarray | None = None) -> Observation:
        """Observation of the (running) rows ``rows`` (default: all rows)."""
        rows = np.arange(state.x.shape[0]) if rows is None else rows
        x = state.x[rows]
        blk = np.minimum(state.block[rows], self.n_blocks - 1)
        lo, hi = self.block_bounds(blk)
        m0 = None if state.masked0 is None else state.masked0[rows]
        hist = None if state.history is None else state.history[rows]
        return Observation(x, self.query(x), self.active_mask(x, state.block[rows]),
                           state.nfe[rows], self.horizon, state.iters[rows], lo, hi, m0, hist)

    def apply_fallback(self, policy: Policy, obs: Observation, actions: np.ndarray) -> np.ndarray:
        """Replace empty actions by the active arg-max of ``policy.fallback_scores``."""
        actions = actions & obs.active
        if not self.fallback:
            return actions
        empty = ~actions.any(axis=1) & obs.active.any(axis=1)
        if empty.any():
            sc = np.asarray(policy.fallback_scores(obs.take(np.flatnonzero(empty))),
                            dtype=np.float64)
            sc = np.where(obs.active[empty], sc, -np.inf)
            j = argmax_with_ties(sc, axis=1)
            actions = actions.copy()
            actions[np.flatnonzero(empty), j] = True
        return actions

    def draw_tokens(self, probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One token per position: independent draws from ``probs`` or the arg-max."""
        if self.token_mode == "argmax":
            return argmax_with_ties(probs, axis=-1).astype(np.int64)
        cdf = np.cumsum(probs, axis=-1)
        u = rng.random(probs.shape[:-1])[..., None] * cdf[..., -1:]
        return np.minimum((u >= cdf).sum(axis=-1), self.q - 1).astype(np.int64)

    def step(self, state: MDPState, actions: np.ndarray, probs: np.ndarray,
             rng: np.random.Generator, rows: np.ndarray | None = None) -> MDPState:
        """Apply (already fallback-corrected) ``actions`` of the running ``rows``.

        ``probs`` are the conditionals of the forward pass these actions were
        chosen at; the pass is counted here (``nfe += 1``) for these rows only.
        """
        rows = np.arange(state.x.shape[0]) if rows is None else rows
        x, nfe = state.x.copy(), state.nfe.copy()
        block, iters, done = state.block.copy(), state.iters.copy(), state.done.copy()
        masked0 = np.zeros_like(nfe) if state.masked0 is None else state.masked0.copy()
        hist = state.history
        if hist is not None and hist.shape[1]:
            hist = hist.copy()
            hr = hist[rows]
            hr[:, :-1] = hr[:, 1:]
            hr[:, -1] = probs
            hist[rows] = hr
        toks = self.draw_tokens(probs, rng)
        xr = x[rows]
        xr[actions] = toks[actions]
        x[rows] = xr
        nfe[rows] += 1
        iters[rows] += 1
        # block pointer: leave a block when it is full or after BL iterations in it
        self._enter_blocks(x, block, iters, masked0, rows)
        done[rows] = (block[rows] >= self.n_blocks) | (nfe[rows] >= self.horizon)
        return MDPState(x, nfe, block, iters, done, masked0, hist)

    def rollout(self, policy: Policy, size: int | None = None,
                rng: np.random.Generator | int | None = None, *, record: bool = False,
                prompts=None) -> Rollout:
        """Run independent episodes of ``policy`` (Monte Carlo), all rows in one batch.

        Parameters
        ----------
        policy : Policy
        size : int, optional
            Number of episodes; default ``len(prompts)``.
        rng : Generator or seed
        record : bool
            Keep the per-step observations and actions (for GRPO).
        prompts : array_like of int, shape (size, n) or (n,), optional
            Clues (``MASK`` where generated); a 1-D prompt is repeated.
        """
        rng = np.random.default_rng(rng)
        policy.check(self)
        if size is None:
            if prompts is None:
                raise ValueError("pass size or prompts")
            size = int(np.shape(prompts)[0]) if np.ndim(prompts) == 2 else 1
        st = self.initial_state(size, prompts,
                                history_length=int(getattr(policy, "history_length", 0)))
        steps = []
        while not st.done.all():
            rows = np.flatnonzero(~st.done)
            obs = self.observe(st, rows)
            raw = np.asarray(policy.sample_actions(obs, rng), dtype=bool) & obs.active
            acts = self.apply_fallback(policy, obs, raw)
            if record:
                steps.append({"obs": obs, "rows": rows, "actions": raw, "executed": acts})
            st = self.step(st, acts, obs.probs, rng, rows)
        complete = ~(st.x == MASK).any(axis=1)
        return Rollout(st.x, st.nfe, complete, steps)

    def with_options(self, **kw) -> "UnmaskingMDP":
        """A copy with some options changed (same oracle)."""
        opts = dict(n=self.n, q=self.q, block_length=self.block_length,
                    token_mode=self.token_mode, fallback=self.fallback, horizon=self.horizon)
        opts.update(kw)
        return UnmaskingMDP(self.oracle, **opts)
