"""The denoiser network of the project's small masked diffusion LMs.

One architecture serves every model trained here (the KJV text model and the
task models of :mod:`mdmtheory.tasks`): :class:`Denoiser`, a small
bidirectional pre-LayerNorm transformer mask-predictor.  Its contract:

* ``denoiser(tokens)`` with ``tokens`` a ``LongTensor (B, L)`` (``L <= seq_len``,
  masked positions hold ``mask_id``) returns float32 logits ``(B, L, V)``,
  *unshifted*: ``logits[b, i]`` predicts token ``i`` (as LLaDA, not Dream);
* ``denoiser.mask_id``, ``denoiser.vocab_size`` (``V``), ``denoiser.seq_len``;
* ``denoiser.answer_tokens``: the ids a masked position may take.  The logits
  of every other id (the mask id, padding) are set to ``NEG_LOGIT`` (a finite
  ``-1e9``, so that ``softmax`` gives them probability 0 and ``0 * log p`` stays
  ``0`` instead of ``nan``).

The MDM parametrisation is the absorbing-state one of Sahoo et al. (2024),
"Simple and Effective Masked Diffusion Language Models" (MDLM): the network is
time-independent and predicts the clean token at each masked position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch

__all__ = ["ArchConfig", "Denoiser", "NEG_LOGIT"]

#: Logit given to ids that can never fill a masked position (mask id, padding).
NEG_LOGIT = -1e9


@dataclass(frozen=True)
class ArchConfig:
    """Architecture hyper-parameters of :class:`Denoiser`."""

    hidden: int = 128
    layers: int = 4
    heads: int = 4
    intermediate: int = 512
    conv_kernel: int = 5


class Denoiser(torch.nn.Module):
    """A small bidirectional transformer mask-predictor (pre-LayerNorm).

    Token + learned absolute position embeddings, one depthwise-convolution
    mixing block (kernel ``conv_kernel``: a locality bias that gets a small
    model off the unigram plateau in a few hundred CPU steps), then ``layers``
    pre-LN :class:`torch.nn.TransformerEncoderLayer` blocks without a causal
    mask, a final LayerNorm and an output layer tied to the token embedding.

    Parameters
    ----------
    vocab_size : int
        ``V``: every id the network reads or scores (answer tokens, mask, pad).
    seq_len : int
        Number of learned positions (the longest input).
    mask_id : int
        Id of the mask token.
    answer_tokens : sequence of int
        Ids a masked position may take; the other ids get ``NEG_LOGIT``.
    arch : ArchConfig
    """

    def __init__(self, vocab_size: int, seq_len: int, mask_id: int,
                 answer_tokens: Sequence[int], arch: ArchConfig = ArchConfig()):
        super().__init__()
        if not 0 <= mask_id < vocab_size:
            raise ValueError(f"mask_id must lie in [0, vocab_size={vocab_size}), got {mask_id}")
        ans = sorted({int(a) for a in answer_tokens})
        if len(ans) < 2 or ans[0] < 0 or ans[-1] >= vocab_size or mask_id in ans:
            raise ValueError("answer_tokens must hold >= 2 distinct ids in [0, vocab_size) "
                             f"other than mask_id; got {list(answer_tokens)}")
        h = arch.hidden
        self.tok = torch.nn.Embedding(vocab_size, h)
        torch.nn.init.normal_(self.tok.weight, std=0.02)
        self.pos = torch.nn.Parameter(torch.randn(seq_len, h) * 0.1)
        self.ln0 = torch.nn.LayerNorm(h)
        self.conv = torch.nn.Conv1d(h, h, arch.conv_kernel, padding=arch.conv_kernel // 2,
                                    groups=h)
        self.mix = torch.nn.Linear(h, h)
        layer = torch.nn.TransformerEncoderLayer(h, arch.heads, arch.intermediate, dropout=0.0,
                                                 activation="gelu", batch_first=True,
                                                 norm_first=True)
        self.enc = torch.nn.TransformerEncoder(layer, arch.layers, enable_nested_tensor=False)
        self.lnf = torch.nn.LayerNorm(h)
        self.bias = torch.nn.Parameter(torch.zeros(vocab_size))
        allowed = torch.zeros(vocab_size, dtype=torch.bool)
        allowed[ans] = True
        self.register_buffer("_allowed", allowed, persistent=False)
        self.vocab_size = int(vocab_size)
        self.seq_len = int(seq_len)
        self.mask_id = int(mask_id)
        self.answer_tokens = tuple(ans)
        self.arch = arch

    @property
    def max_len(self) -> int:
        """Alias of :attr:`seq_len` (the name used by the torch bridge)."""
        return self.seq_len

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None
                ) -> torch.Tensor:
        """Logits ``(B, L, V)`` (float32, unshifted); keys with ``attention_mask == 0``
        are ignored."""
        if input_ids.ndim != 2:
            raise ValueError(f"tokens must have shape (B, L), got {tuple(input_ids.shape)}")
        L = input_ids.shape[1]
        if L > self.seq_len:
            raise ValueError(f"sequence length {L} exceeds the model's {self.seq_len} positions")
        h = self.tok(input_ids) + self.pos[:L]
        if attention_mask is not None:
            h = h * attention_mask[..., None].to(h.dtype)
        c = self.conv(self.ln0(h).transpose(1, 2)).transpose(1, 2)
        h = h + self.mix(torch.nn.functional.gelu(c))
        kpm = None if attention_mask is None else attention_mask == 0
        h = self.enc(h, src_key_padding_mask=kpm)
        logits = (self.lnf(h) @ self.tok.weight.T + self.bias).float()
        return logits.masked_fill(~self._allowed, NEG_LOGIT)
