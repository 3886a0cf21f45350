"""The LM head and a fused entropy/NLL only at masked positions.

A masked-model estimate reads the model's prediction at *masked* positions only
(the estimator of ``d_j``, Def 3 via ``Z_j = d_1 - d_j``), yet a Hugging
Face ``*ForMaskedLM`` forward pass applies its LM head -- a ``(d, V)`` matrix --
at every position, and a ``log_softmax`` in float32 follows.  At a vocabulary of
126k, batch 8 and length 1024 that is several 4 GB tensors.  This module

* splits a known network into its **body** (input ids -> hidden states) and its
  **head** (hidden states -> logits) (:func:`split_network`), so that the head
  runs on the hidden states of masked positions only;
* computes the entropy ``H = lse - sum_a p_a l_a`` and the NLL
  ``lse - l_x`` of the renormalised real-token distribution in **float64**, in
  chunks of positions whose size is set by a byte budget
  (:func:`fused_entropy_nll`), never materialising a ``(positions, V)`` tensor
  larger than the budget.

Networks whose head cannot be split (custom code such as LLaDA's) fall back to the
full forward pass; the fused statistics still run only at the masked positions.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import torch

__all__ = ["NetworkSplit", "split_network", "fused_entropy_nll", "DEFAULT_CHUNK_BYTES"]

#: Byte budget of the transient ``(chunk, V)`` float64 tensors of :func:`fused_entropy_nll`.
DEFAULT_CHUNK_BYTES = 128 * 2**20

#: Logit written at the ids that are not real tokens (``exp`` of it is exactly 0 in
#: float64, and ``0 * -1e30`` is 0, unlike ``0 * -inf``).
_EXCLUDED = -1e30


class NetworkSplit(NamedTuple):
    """``body(input_ids, attention_mask) -> hidden (B, T, d)``; ``head(hidden) -> logits``."""

    body: Callable[..., torch.Tensor]
    head: Callable[[torch.Tensor], torch.Tensor]
    kind: str


def _first(out: Any) -> torch.Tensor:
    if isinstance(out, torch.Tensor):
        return out
    if hasattr(out, "last_hidden_state"):
        return out.last_hidden_state
    return out[0]


def split_network(net: torch.nn.Module) -> NetworkSplit | None:
    """Body/head split of a known architecture, or ``None``.

    Known: BERT-like ``*ForMaskedLM`` (``bert`` + ``cls``), RoBERTa-like
    (``roberta`` + ``lm_head``), ``ModernBertForMaskedLM`` (``model`` +
    ``head`` + ``decoder``) and causal-LM-shaped networks (``model`` +
    ``lm_head``, e.g. Dream).  The head applied to any subset of positions gives
    the same logits as the full forward pass at those positions (tested per
    architecture).
    """
    def body_of(mod):
        def body(input_ids, attention_mask=None):
            if attention_mask is None:
                return _first(mod(input_ids=input_ids))
            return _first(mod(input_ids=input_ids, attention_mask=attention_mask))
        return body

    if hasattr(net, "bert") and hasattr(net, "cls"):
        return NetworkSplit(body_of(net.bert), net.cls, "bert")
    if hasattr(net, "roberta") and hasattr(net, "lm_head"):
        return NetworkSplit(body_of(net.roberta), net.lm_head, "roberta")
    if hasattr(net, "model") and hasattr(net, "head") and hasattr(net, "decoder"):
        head, dec = net.head, net.decoder
        return NetworkSplit(body_of(net.model), lambda h: dec(head(h)), "modernbert")
    if hasattr(net, "model") and hasattr(net, "lm_head") and isinstance(net.model,
                                                                         torch.nn.Module):
        return NetworkSplit(body_of(net.model), net.lm_head, "causal-lm")
    return None


def fused_entropy_nll(logits_of: Callable[[int, int], torch.Tensor], num: int, V: int,
                      excluded: torch.Tensor | None, targets: torch.Tensor | None, *,
                      chunk_bytes: int = DEFAULT_CHUNK_BYTES
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """Entropy and NLL of the real-token distribution at ``num`` positions, chunked.

    Parameters
    ----------
    logits_of : callable ``(start, stop) -> Tensor (stop - start, V)``
        Model logits of positions ``start..stop-1`` (any float dtype).
    num, V : int
        Number of positions and vocabulary size.
    excluded : LongTensor or None
        Vocabulary ids that are not real tokens (dropped, the rest renormalised).
    targets : LongTensor (num,) or None
        Vocabulary id of the true token at each position (``None``: NLL is NaN).
    chunk_bytes : int
        Budget of the two ``(chunk, V)`` float64 temporaries.

    Returns
    -------
    (H, nll) : float64 tensors of shape ``(num,)``.
    """
    chunk = max(1, int(chunk_bytes) // (2 * 8 * max(V, 1)))
    Hs, Ns = [], []
    for a in range(0, num, chunk):
        b = min(num, a + chunk)
        lg = logits_of(a, b).double()
        if excluded is not None and excluded.numel():
            lg.index_fill_(1, excluded.to(lg.device), _EXCLUDED)
        lse = torch.logsumexp(lg, dim=-1)
        p = torch.exp(lg - lse[:, None])
        H = lse - (p * lg).sum(-1)
        del p
        if targets is not None:
            N = lse - lg.gather(1, targets[a:b].to(lg.device)[:, None]).squeeze(1)
        else:
            N = torch.full_like(lse, float("nan"))
        Hs.append(H.clamp_min(0.0))
        Ns.append(N)
        del lg
    if not Hs:
        z = torch.zeros(0, dtype=torch.float64)
        return z, z.clone()
    return torch.cat(Hs), torch.cat(Ns)
