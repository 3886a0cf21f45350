"""A prompted generation as a masked model: the free positions of one prompt.

The bridge's estimators (:func:`~mdmtheory.bridge.estimate_model_curve`,
:func:`~mdmtheory.bridge.sample_rows` with
:func:`~mdmtheory.bridge.estimate_from_rows`) estimate ``Z`` (Def 3) of a
masked model over *all* positions of a sequence.  A prompted generation (clues
revealed, the other ``m`` positions generated) has its own curve: that of the
law of the ``m`` free positions *given the clues*, which is what the sampler
of the paper's §1 runs on once the clues are written.  :class:`PromptedModel`
presents that law as a :class:`~mdmtheory.bridge.models.MaskedModel` of length
``m``: position ``k`` is the ``k``-th free position of the prompt from the
left (optionally only some of the prompt's masked positions are free, the
others stay masked in every pass: the block of a semi-autoregressive
generation, whose law marginalises the later blocks); a pass writes the
clues and the revealed free tokens into a full buffer and calls the
underlying conditional oracle once.  So every bridge estimator
applies unchanged, and ``optimal_schedule`` (Thm 1.4, the DP of Def 2) of the
estimated curve is the optimal oblivious schedule of the prompted generation.

The oracle is any callable of the environment protocol of
:mod:`mdmtheory.montecarlo` (``oracle(x (B, n) int, revealed (B, n) bool) ->
probs (B, n, q)``): a trained denoiser (``mdmtheory.policies.neural.DenoiserOracle``)
or an exact law.
"""

from __future__ import annotations

import numpy as np
import torch

from .._validation import as_int
from .models import check_batch
from .precision import _as_device

__all__ = ["PromptedModel"]


class PromptedModel:
    """The free positions of one prompt as a masked model (module docstring).

    Parameters
    ----------
    oracle : callable
        ``oracle(x, revealed) -> probs`` over sequences of length ``n`` and an
        alphabet of ``q`` tokens (``oracle.n``, ``oracle.q`` are read when
        present).
    prompt : array of int, shape (n,)
        Alphabet indices at the clues, negative at the positions to generate.
    q : int, optional
        Alphabet size (default ``oracle.q``).
    device : str or torch.device
        Device of the returned tensors (default CPU; the oracle runs where it
        runs).
    name : str, optional
    free : array of int or bool, optional
        The masked positions to generate (indices, or a boolean mask of length
        ``n``); the other masked positions stay masked in every pass.  Default:
        every masked position.

    Raises
    ------
    ValueError
        A prompt that is not 1-D, has no free position, a clue outside
        ``[0, q)``, or a ``free`` position that is a clue or out of range.
    """

    def __init__(self, oracle, prompt, *, q: int | None = None, device="cpu",
                 name: str | None = None, free=None):
        if not callable(oracle):
            raise TypeError(f"oracle must be callable, got {type(oracle).__name__}")
        p = np.asarray(prompt)
        if p.ndim != 1 or not np.issubdtype(p.dtype, np.integer):
            raise ValueError(f"prompt must be a 1-D integer array, got shape {p.shape}, "
                             f"dtype {p.dtype}")
        qq = q if q is not None else getattr(oracle, "q", None)
        if qq is None:
            raise ValueError("q must be given when the oracle has no 'q' attribute")
        self.vocab_size = as_int(qq, "q", minimum=1)
        if (p >= self.vocab_size).any():
            raise ValueError(f"prompt has clues outside the alphabet [0, {self.vocab_size})")
        self.prompt = p.astype(np.int64)
        masked = self.prompt < 0
        if free is None:
            self.free = np.flatnonzero(masked)
        else:
            f = np.asarray(free)
            if f.dtype == bool:
                if f.shape != masked.shape:
                    raise ValueError(f"free as a boolean mask must have shape {masked.shape}, "
                                     f"got {f.shape}")
                f = np.flatnonzero(f)
            elif f.ndim != 1 or (f.size and not np.issubdtype(f.dtype, np.integer)):
                raise ValueError(f"free must be 1-D integer indices or a boolean mask, got "
                                 f"shape {f.shape}, dtype {f.dtype}")
            f = np.unique(f.astype(np.int64))
            if ((f < 0) | (f >= p.size)).any() or not masked[f].all():
                raise ValueError("free must name masked (negative) positions of the prompt")
            self.free = f
        if self.free.size == 0:
            raise ValueError("prompt has no free (negative) position to generate")
        self.oracle = oracle
        self.length = int(self.free.size)
        self.name = name or f"prompted(m={self.length} of n={p.size})"
        self._device = _as_device(device)

    @property
    def device(self) -> torch.device:
        return self._device

    def log_probs(self, tokens: torch.Tensor, masked: torch.Tensor,
                  valid: torch.Tensor | None = None) -> torch.Tensor:
        """Float64 log-conditionals ``(B, m, q)`` of the free positions given the
        clues and the revealed free positions; see :class:`MaskedModel`."""
        if tokens.ndim != 2 or tokens.shape[1] != self.length:
            raise ValueError(f"tokens must have shape (B, {self.length}), "
                             f"got {tuple(tokens.shape)}")
        valid = check_batch(tokens, masked, valid, self.vocab_size)
        if not bool(valid.all()):
            raise ValueError("a prompted model has a fixed length; padding is not allowed")
        msk = masked.detach().cpu().numpy()
        tok = np.where(msk, 0, tokens.detach().cpu().numpy()).astype(np.int64)
        B = tok.shape[0]
        x = np.broadcast_to(np.maximum(self.prompt, 0), (B, self.prompt.size)).copy()
        rev = np.broadcast_to(self.prompt >= 0, x.shape).copy()  # non-free masks stay masked
        x[:, self.free] = tok
        rev[:, self.free] = ~msk
        probs = np.asarray(self.oracle(x, rev), dtype=np.float64)[:, self.free, :]
        with np.errstate(divide="ignore"):
            lp = np.log(probs)
        return torch.from_numpy(lp).to(self._device)

    def __repr__(self) -> str:
        return f"<PromptedModel {self.name!r} q={self.vocab_size}>"
