"""The task protocol shared by every generation task, the held-out split, and
the exact oracle of a law given by its (small) support.

A task is a law over sequences of ``length`` tokens together with a law of
*prompts* (which positions are clues), a checker of answers and, where the law
is small enough, its exact conditionals.  Token ids are the ids of the
denoiser trained on the task (:mod:`mdmtheory.dlm`): the ``q`` answer tokens
and one ``mask_id``.  For the synthetic tasks the answer tokens are
``0..q-1`` and ``mask_id = q``, so a task's sequences are also valid inputs of
the exact oracles of :mod:`mdmtheory.oracle` / :mod:`mdmtheory.montecarlo`
(protocol ``oracle(x, revealed_mask) -> probs (B, n, q)``).

Held-out split
--------------
A prompt is the pair (clue positions, clue values).  It is *held out* iff a
fixed hash of it is ``0 mod HELDOUT_MODULUS`` (one prompt in eight); training
batches never contain a held-out prompt and :meth:`Task.prompts` returns only
held-out ones, so evaluation prompts are disjoint from the training prompts
by construction (the full sequences behind them may coincide, e.g. the 288
Sudoku grids).  The text task splits by chapter instead (its own docstring).
"""

from __future__ import annotations

import numpy as np
import torch

from .._validation import as_int, as_int_array, check_table_size
from ..distribution import Distribution

__all__ = ["Task", "SupportOracle", "prompt_hash", "HELDOUT_MODULUS"]

#: A prompt is held out iff ``prompt_hash(...) % HELDOUT_MODULUS == 0``.
HELDOUT_MODULUS = 8
_HASH_PRIME = 2_147_483_647  # 2^31 - 1
_HASH_MULT = np.random.default_rng(20261130).integers(1, _HASH_PRIME, size=4096)


def prompt_hash(x: np.ndarray, clue: np.ndarray) -> np.ndarray:
    """A deterministic hash of each row's prompt (clue positions and values).

    ``h = sum_i (c_i + 2) a_i mod (2^31 - 1)`` with ``c_i`` the clue value at a
    clue position and ``-1`` elsewhere, and fixed pseudo-random multipliers
    ``a_i``.  Only the clues enter, so a prompt's split does not depend on the
    hidden answer.  Exact in int64 for tokens ``< 2^20`` and ``L <= 4096``.
    """
    x = as_int_array(x, "x", minimum=0, maximum=2**20 - 1, ndim=2)
    clue = np.asarray(clue)
    if clue.dtype != bool or clue.shape != x.shape:
        raise ValueError(f"clue must be a boolean mask of shape {x.shape}, got dtype "
                         f"{clue.dtype} and shape {clue.shape}")
    L = x.shape[1]
    if L > _HASH_MULT.size:
        raise ValueError(f"sequences longer than {_HASH_MULT.size} are not supported")
    enc = np.where(clue, x, -1) + 2
    return (enc % _HASH_PRIME * _HASH_MULT[:L]).sum(axis=1) % _HASH_PRIME


def _as_numpy_tokens(tokens, length: int, name: str = "tokens") -> np.ndarray:
    if isinstance(tokens, torch.Tensor):
        tokens = tokens.detach().cpu().numpy()
    arr = np.asarray(tokens)
    if arr.ndim != 2 or arr.shape[1] != length:
        raise ValueError(f"{name} must have shape (num, {length}), got {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integer token ids, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


class Task:
    """Base class of a generation task (see the module docstring).

    Subclasses set ``name``, ``length``, ``q`` (number of answer tokens),
    ``vocab_size``, ``mask_id``, ``answer_tokens`` and implement
    :meth:`_sample` (full sequences and their clue masks) and :meth:`_valid`
    (the hard constraints of an answer).

    Attributes
    ----------
    oracle : callable or None
        Exact conditionals ``oracle(x, revealed_mask) -> (B, length, q)`` of the
        task law (before conditioning on a prompt), in the protocol of
        :mod:`mdmtheory.oracle`; ``None`` where unknown (text).
    """

    name: str = "task"
    length: int
    q: int
    vocab_size: int
    mask_id: int
    answer_tokens: tuple[int, ...]
    oracle = None

    # ------------------------------------------------------------------ to implement
    def _sample(self, num: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``num`` sequences ``(num, L)`` int64 and their clue masks ``(num, L)`` bool."""
        raise NotImplementedError

    def _valid(self, x: np.ndarray) -> np.ndarray:
        """Whether each fully filled row satisfies the task's hard constraints."""
        raise NotImplementedError

    # ------------------------------------------------------------------ split
    def _is_heldout(self, x: np.ndarray, clue: np.ndarray) -> np.ndarray:
        return prompt_hash(x, clue) % HELDOUT_MODULUS == 0

    def _draw(self, num: int, rng: np.random.Generator, heldout: bool
              ) -> tuple[np.ndarray, np.ndarray]:
        xs, cs, have = [], [], 0
        while have < num:
            x, c = self._sample(max(2 * (num - have), 16), rng)
            keep = self._is_heldout(x, c) == heldout
            xs.append(x[keep])
            cs.append(c[keep])
            have += int(keep.sum())
        return np.concatenate(xs)[:num], np.concatenate(cs)[:num]

    # ------------------------------------------------------------------ public API
    def training_batch(self, batch: int, rng: np.random.Generator
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        """A training batch: sequences ``(batch, L)`` long and clue masks ``(batch, L)``
        bool, never with a held-out prompt."""
        x, c = self._draw(as_int(batch, "batch", minimum=1), rng, heldout=False)
        return torch.as_tensor(x), torch.as_tensor(c)

    def heldout_batch(self, num: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """``num`` held-out sequences and their clue masks (the answers behind
        :meth:`prompts` with the same ``seed``)."""
        num = as_int(num, "num", minimum=1)
        rng = np.random.default_rng([as_int(seed, "seed", minimum=0), 7919])
        x, c = self._draw(num, rng, heldout=True)
        return torch.as_tensor(x), torch.as_tensor(c)

    def prompts(self, num: int, seed: int = 0) -> torch.LongTensor:
        """``num`` held-out prompts ``(num, L)``: clues filled, every position to
        generate set to ``mask_id``.  Deterministic in ``seed``."""
        x, c = self.heldout_batch(num, seed)
        return torch.where(c, x, torch.full_like(x, self.mask_id))

    def is_correct(self, tokens, prompts=None) -> torch.BoolTensor:
        """Whether each row is a correct answer: no mask left, every token an
        answer token, the task's hard constraints hold, and (if ``prompts`` is
        given) every clue of the prompt is kept."""
        x = _as_numpy_tokens(tokens, self.length)
        ok = np.isin(x, np.asarray(self.answer_tokens)).all(axis=1)
        if prompts is not None:
            p = _as_numpy_tokens(prompts, self.length, "prompts")
            if p.shape != x.shape:
                raise ValueError(f"prompts must have the shape of tokens {x.shape}, got {p.shape}")
            ok &= ((p == self.mask_id) | (p == x)).all(axis=1)
        out = np.zeros(x.shape[0], dtype=bool)
        if ok.any():
            out[ok] = self._valid(x[ok])
        return torch.as_tensor(out)

    def exact_distribution(self, prompt) -> Distribution:
        """The exact law of the free (masked) positions of one prompt, as a
        :class:`~mdmtheory.Distribution` over ``(q,)*n_free`` (axis ``k`` = the
        ``k``-th masked position from the left).

        Raises
        ------
        NotImplementedError
            If the task has no exact law (text).
        MemoryError
            If ``q**n_free`` cells exceed the memory budget.
        """
        raise NotImplementedError(f"task {self.name!r} has no exact distribution")

    def _prompt_vector(self, prompt) -> np.ndarray:
        """One prompt as a flat int64 vector of ``length`` tokens."""
        p = np.asarray(prompt, dtype=np.int64).reshape(-1)
        if p.size != self.length:
            raise ValueError(f"prompt must have {self.length} tokens, got {p.size}")
        return p

    def _support_distribution(self, prompt) -> Distribution:
        """:meth:`exact_distribution` of a task whose ``oracle`` is a
        :class:`SupportOracle`: its law given the prompt's revealed tokens."""
        p = self._prompt_vector(prompt)
        rev = p != self.mask_id
        return self.oracle.distribution(np.where(rev, p, 0), rev)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(name={self.name!r}, length={self.length}, "
                f"q={self.q}, mask_id={self.mask_id})")


class SupportOracle:
    """Exact conditionals of the uniform law on a finite support (rows of ``support``).

    ``oracle(x, revealed_mask)`` returns ``probs (B, n, q)`` with
    ``probs[b, i, v] = #{s consistent with x_U, s_i = v} / #{s consistent}``:
    the conditional marginals of ``Unif(support)`` given the revealed
    positions (protocol of :mod:`mdmtheory.oracle`).  Cost ``O(B S n q)`` for
    ``S`` support rows.

    Parameters
    ----------
    support : (S, n) int array
        Distinct rows with values in ``[0, q)``.
    q : int
    null_context : {"raise", "uniform"}
        A revealed context no support row matches: raise ``ValueError`` (default)
        or answer the uniform law, as :class:`mdmtheory.oracle.DistributionOracle`.
    """

    def __init__(self, support, q: int, *, null_context: str = "raise"):
        s = as_int_array(support, "support")
        q = as_int(q, "q", minimum=2)
        if s.ndim != 2 or s.shape[0] < 1:
            raise ValueError(f"support must have shape (S, n) with S >= 1, got {s.shape}")
        if s.min() < 0 or s.max() >= q:
            raise ValueError(f"support values must lie in [0, q={q})")
        if null_context not in ("raise", "uniform"):
            raise ValueError(f"null_context must be 'raise' or 'uniform', got {null_context!r}")
        self.support = s
        self.q = q
        self.n = s.shape[1]
        self.null_context = null_context
        self._onehot = np.eye(q)[s]  # (S, n, q)

    def consistent(self, x: np.ndarray, revealed_mask: np.ndarray) -> np.ndarray:
        """``(B, S)`` bool: support rows that agree with ``x`` on the revealed positions."""
        x = np.asarray(x, dtype=np.int64)
        m = np.asarray(revealed_mask, dtype=bool)
        if x.ndim != 2 or x.shape[1] != self.n or m.shape != x.shape:
            raise ValueError(f"x and revealed_mask must have shape (B, {self.n})")
        return ((self.support[None] == x[:, None]) | ~m[:, None]).all(axis=2)

    def __call__(self, x: np.ndarray, revealed_mask: np.ndarray) -> np.ndarray:
        cons = self.consistent(x, revealed_mask).astype(np.float64)
        tot = cons.sum(axis=1)
        dead = tot == 0
        if dead.any():
            if self.null_context == "raise":
                raise ValueError(f"the revealed context of batch row {int(np.argmax(dead))} "
                                 "has probability zero; its conditionals are undefined")
            cons[dead] = 1.0
            tot = cons.sum(axis=1)
        probs = np.einsum("bs,snq->bnq", cons, self._onehot) / tot[:, None, None]
        return probs

    def distribution(self, x: np.ndarray, revealed_mask: np.ndarray) -> Distribution:
        """Exact law of the masked positions of one row as a dense Distribution."""
        x = np.asarray(x, dtype=np.int64).reshape(1, -1)
        m = np.asarray(revealed_mask, dtype=bool).reshape(1, -1)
        cons = self.consistent(x, m)[0]
        if not cons.any():
            raise ValueError("the prompt has probability zero under the task law")
        free = np.flatnonzero(~m[0])
        if free.size == 0:
            raise ValueError("the prompt has no masked position")
        check_table_size(self.q, free.size, what="exact law of the free positions")
        rows = self.support[cons][:, free]
        flat = np.ravel_multi_index(tuple(rows.T), (self.q,) * free.size)
        w = np.bincount(flat, minlength=self.q ** free.size).astype(np.float64)
        return Distribution.from_weights(w.reshape((self.q,) * free.size), n=free.size)
