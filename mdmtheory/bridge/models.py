"""The masked-model protocol and its adapters.

A *masked model* is anything that, given a batch of token sequences with some
positions masked, returns for every position a probability vector over the
model's **real** tokens (the alphabet Sigma of Def 1).  Special tokens
(``[CLS]``, ``[SEP]``, ``[PAD]``, ``[MASK]``, ``[UNK]``, EOS, ...) are not in
Sigma: their logits are dropped and the remaining ones renormalised, which is the
conditional of the model's prediction given "the token is a real token".

Token convention
----------------
Everything in :mod:`mdmtheory.bridge` speaks **alphabet indices** ``0..q-1``
(``q = model.vocab_size``), never the model's own vocabulary ids: an adapter
maps index ``a`` to the model id ``real_ids[a]``, adds its prefix/suffix
special tokens, puts its mask id at masked positions and its pad id (with
attention mask 0) after the end of a shorter sequence.

Adapters
--------
* :class:`HFMaskedLM` -- one class for every Hugging Face-style network that
  maps ``input_ids`` (and optionally ``attention_mask``) to logits, with three
  constructors for the public conventions of the three families:

  - :func:`bert_masked_lm`: BERT-like ``*ForMaskedLM`` (``[CLS] x [SEP]``,
    tokenizer's mask id, plain logits);
  - :func:`llada_style`: LLaDA-style (mask id 126336 by default, no wrapper
    tokens unless given, plain logits: the output at position p predicts token p);
  - :func:`dream_style`: Dream-style (mask id 151666 by default, logits **shifted
    by one**: the output at position p predicts token p+1, so the prediction of
    token p is read at p-1; a BOS prefix is therefore required).
* :class:`OracleModel` -- the exact conditional oracle of a small
  :class:`~mdmtheory.Distribution` (the exact conditionals assumed by
  Def 1), used to
  validate the estimator against exact curves.

:func:`sample_one_token_per_step` draws sequences from any masked model with the
one-token-per-step sampler (random order, one forward pass per token).

Masked positions only
---------------------
Besides :meth:`MaskedModel.log_probs` (all positions), an adapter may offer
``masked_log_probs`` (log-probabilities at the masked positions only) and
``masked_entropy_nll`` (entropy and NLL there, fused and chunked, see
:mod:`mdmtheory.bridge.heads`); :func:`masked_log_probs` and
:func:`masked_entropy_nll` use them when present and fall back to
:meth:`~MaskedModel.log_probs` otherwise.
"""

from __future__ import annotations

from typing import Any, Iterable, Protocol, Sequence, runtime_checkable

import numpy as np
import torch

from ..distribution import Distribution
from .precision import _as_device, autocast_context

__all__ = [
    "MaskedModel",
    "HFMaskedLM",
    "bert_masked_lm",
    "llada_style",
    "dream_style",
    "OracleModel",
    "default_device",
    "check_batch",
    "entropy_and_nll",
    "sample_one_token_per_step",
    "masked_log_probs",
    "masked_entropy_nll",
]

#: LLaDA-8B's mask token id (Nie et al. 2025, the public LLaDA-8B tokenizer).
LLADA_MASK_ID = 126336
#: Dream-v0-7B's mask token id (Ye et al. 2025, the public Dream-v0 tokenizer).
DREAM_MASK_ID = 151666


def default_device() -> torch.device:
    """CUDA when a CUDA device is visible, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@runtime_checkable
class MaskedModel(Protocol):
    """Protocol of a masked model over an alphabet of ``q`` real tokens.

    Attributes
    ----------
    vocab_size : int
        ``q``, the number of real tokens (alphabet indices ``0..q-1``).
    device : torch.device
        Where :meth:`log_probs` wants its input tensors.
    name : str
        A label for reports.

    Methods
    -------
    log_probs(tokens, masked, valid=None) -> Tensor
        ``tokens``: ``(B, L)`` int64 alphabet indices (values at masked or
        invalid positions are ignored); ``masked``: ``(B, L)`` bool, True where
        the position is masked; ``valid``: ``(B, L)`` bool, True on the first
        ``len_b`` positions of row ``b`` and False on padding (``None`` = all
        valid).  Returns ``(B, L, q)`` floating log-probabilities of
        ``X_i = a`` given the revealed positions, normalised over the ``q``
        real tokens at every valid position (rows at invalid positions are
        unspecified).  At revealed positions a BERT-like network returns its
        "copy" prediction; callers only read masked positions.
    """

    vocab_size: int
    name: str

    @property
    def device(self) -> torch.device: ...

    def log_probs(self, tokens: torch.Tensor, masked: torch.Tensor,
                  valid: torch.Tensor | None = None) -> torch.Tensor: ...


def check_batch(tokens: torch.Tensor, masked: torch.Tensor, valid: torch.Tensor | None,
                q: int) -> torch.Tensor:
    """Validate one batch for :meth:`MaskedModel.log_probs`; return ``valid`` filled in.

    Raises
    ------
    ValueError
        Wrong shapes/dtypes, a token outside ``[0, q)`` at a revealed valid
        position, or a ``valid`` row that is not a prefix (padding must be on
        the right).
    """
    if tokens.ndim != 2:
        raise ValueError(f"tokens must have shape (B, L), got {tuple(tokens.shape)}")
    if masked.shape != tokens.shape:
        raise ValueError(f"masked has shape {tuple(masked.shape)}, tokens {tuple(tokens.shape)}")
    if masked.dtype != torch.bool:
        raise ValueError(f"masked must be a bool tensor, got {masked.dtype}")
    if tokens.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"tokens must be an integer tensor, got {tokens.dtype}")
    if valid is None:
        valid = torch.ones_like(masked)
    elif valid.shape != tokens.shape or valid.dtype != torch.bool:
        raise ValueError("valid must be a bool tensor with the shape of tokens")
    if valid.shape[1] > 1 and bool((valid[:, 1:] & ~valid[:, :-1]).any()):
        raise ValueError("valid must be a prefix mask per row (right padding only)")
    need = valid & ~masked
    if bool(need.any()):
        t = tokens[need]
        if int(t.min()) < 0 or int(t.max()) >= q:
            raise ValueError(f"revealed tokens must be alphabet indices in [0, {q}); "
                             f"got range [{int(t.min())}, {int(t.max())}]")
    return valid


def entropy_and_nll(logp: torch.Tensor, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-position entropy ``-sum_a p_a log p_a`` (0 log 0 = 0) and NLL ``-log p_{x_i}``.

    Parameters
    ----------
    logp : Tensor, shape (B, L, q)
        Normalised log-probabilities (entries may be ``-inf``).
    tokens : Tensor, shape (B, L)
        The true alphabet indices (clamped into range; callers read only
        positions where they are meaningful).

    Returns
    -------
    (H, nll) : Tensors of shape (B, L) in the dtype of ``logp``.
    """
    p = logp.exp()
    plogp = torch.where(p > 0, p * logp, torch.zeros((), dtype=logp.dtype, device=logp.device))
    H = -plogp.sum(-1)
    idx = tokens.clamp(0, logp.shape[-1] - 1).unsqueeze(-1)
    nll = -logp.gather(-1, idx).squeeze(-1)
    return H, nll


# ---------------------------------------------------------------------------- HF adapters
class HFMaskedLM:
    """Adapter from a Hugging Face-style network to :class:`MaskedModel`.

    Parameters
    ----------
    model : torch.nn.Module
        Called as ``model(input_ids=..., attention_mask=...)`` (or without the
        attention mask, see ``pass_attention_mask``); the output must be a
        logits tensor ``(B, T, V)`` or have a ``.logits`` attribute.
    mask_id : int
        Model id of the mask token.
    real_ids : sequence of int
        Model ids of the real tokens; alphabet index ``a`` is ``real_ids[a]``.
        Must be distinct and must not contain ``mask_id``/``pad_id`` or the
        prefix/suffix ids.
    pad_id : int, optional
        Id written at padding positions (attention mask 0 there); default
        ``mask_id`` (never attended to, so its value does not matter).
    prefix_ids, suffix_ids : sequence of int
        Special tokens placed before/after each sequence (``[CLS]``/``[SEP]``
        for BERT, a BOS for Dream).  The suffix follows each row's last valid
        token, before the padding.
    shift : {0, 1}
        0: the output at position p predicts token p (BERT, LLaDA).  1: the
        output at position p predicts token p+1 (Dream's shifted logits);
        needs ``len(prefix_ids) >= 1``.
    pass_attention_mask : bool
        Pass ``attention_mask`` to the network (needed for padded batches).
        If False, padded batches are refused.
    tokens : sequence of str, optional
        Printable form of each real token (for :meth:`decode`).
    name : str
        Label for reports.

    Notes
    -----
    Renormalisation over real tokens: ``log_softmax`` is taken
    over ``logits[..., real_ids]`` only, i.e. the model's distribution
    conditioned on the token being real.  Logits are upcast to float32 before
    the softmax, so autocast (bf16/fp16) affects only the network body.
    """

    def __init__(self, model: torch.nn.Module, *, mask_id: int, real_ids: Sequence[int],
                 pad_id: int | None = None, prefix_ids: Sequence[int] = (),
                 suffix_ids: Sequence[int] = (), shift: int = 0,
                 pass_attention_mask: bool = True, tokens: Sequence[str] | None = None,
                 name: str = "hf-masked-lm"):
        real = [int(r) for r in real_ids]
        if len(real) < 2:
            raise ValueError(f"need at least 2 real tokens, got {len(real)}")
        if len(set(real)) != len(real):
            raise ValueError("real_ids contains repeated ids")
        specials = {int(mask_id), *map(int, prefix_ids), *map(int, suffix_ids)}
        if pad_id is not None:
            specials.add(int(pad_id))
        clash = specials.intersection(real)
        if clash:
            raise ValueError("real_ids must exclude the mask/pad/prefix/suffix ids; "
                             f"found {sorted(clash)}")
        if shift not in (0, 1):
            raise ValueError(f"shift must be 0 (plain logits) or 1 (Dream-style), got {shift!r}")
        if shift == 1 and len(prefix_ids) == 0:
            raise ValueError("a shifted-logits (Dream-style) model needs at least one prefix "
                             "token (BOS): the prediction of token 0 is read at position -1")
        if tokens is not None and len(tokens) != len(real):
            raise ValueError(f"{len(tokens)} token strings for {len(real)} real ids")
        self.model = model
        self.mask_id = int(mask_id)
        self.pad_id = int(mask_id if pad_id is None else pad_id)
        self.prefix_ids = [int(t) for t in prefix_ids]
        self.suffix_ids = [int(t) for t in suffix_ids]
        self.shift = int(shift)
        self.pass_attention_mask = bool(pass_attention_mask)
        self.tokens = list(tokens) if tokens is not None else None
        self.name = name
        self.vocab_size = len(real)
        self._real_cpu = torch.tensor(real, dtype=torch.long)
        self._real: dict[torch.device, torch.Tensor] = {}

    @property
    def device(self) -> torch.device:
        try:
            return next(self.model.parameters()).device
        except (StopIteration, AttributeError):
            return torch.device("cpu")

    def _real_on(self, device: torch.device) -> torch.Tensor:
        if device not in self._real:
            self._real[device] = self._real_cpu.to(device)
        return self._real[device]

    def encode_batch(self, tokens: torch.Tensor, masked: torch.Tensor, valid: torch.Tensor
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        """Model ``input_ids`` and ``attention_mask`` ``(B, P + L + S)`` for one batch."""
        B, L = tokens.shape
        P, S = len(self.prefix_ids), len(self.suffix_ids)
        dev = tokens.device
        real = self._real_on(dev)
        ids = torch.full((B, P + L + S), self.pad_id, dtype=torch.long, device=dev)
        att = torch.zeros((B, P + L + S), dtype=torch.long, device=dev)
        if P:
            ids[:, :P] = torch.tensor(self.prefix_ids, device=dev)
            att[:, :P] = 1
        body = real[tokens.clamp(0, self.vocab_size - 1)]
        body = torch.where(masked, torch.full_like(body, self.mask_id), body)
        body = torch.where(valid, body, torch.full_like(body, self.pad_id))
        ids[:, P:P + L] = body
        att[:, P:P + L] = valid.long()
        if S:
            lengths = valid.sum(1)
            for s, sid in enumerate(self.suffix_ids):
                pos = (P + lengths + s).unsqueeze(1)
                ids.scatter_(1, pos, sid)
                att.scatter_(1, pos, 1)
        return ids, att

    def log_probs(self, tokens: torch.Tensor, masked: torch.Tensor,
                  valid: torch.Tensor | None = None) -> torch.Tensor:
        """See :class:`MaskedModel`; returns float32 ``(B, L, q)`` log-probabilities."""
        valid = check_batch(tokens, masked, valid, self.vocab_size)
        dev = self.device
        tokens, masked, valid = tokens.to(dev), masked.to(dev), valid.to(dev)
        ids, att = self.encode_batch(tokens, masked, valid)
        padded = bool((att == 0).any())
        if padded and not self.pass_attention_mask:
            raise ValueError(f"{self.name}: padded batch but pass_attention_mask=False")
        with torch.inference_mode():
            if self.pass_attention_mask:
                out = self.model(input_ids=ids, attention_mask=att)
            else:
                out = self.model(input_ids=ids)
            logits = out.logits if hasattr(out, "logits") else (
                out[0] if isinstance(out, (tuple, list)) else out)
            if logits.ndim != 3 or logits.shape[:2] != ids.shape:
                raise ValueError(f"{self.name}: expected logits of shape (B, T, V) with "
                                 f"(B, T) = {tuple(ids.shape)}, got {tuple(logits.shape)}")
            P, L = len(self.prefix_ids), tokens.shape[1]
            start = P - self.shift
            sel = logits[:, start:start + L, :].index_select(-1, self._real_on(dev))
            return torch.log_softmax(sel.float(), dim=-1)

    # ------------------------------------------------------------ masked positions only
    def with_network(self, net: torch.nn.Module) -> "HFMaskedLM":
        """The same adapter around another network (e.g. a float32 copy)."""
        out = HFMaskedLM(net, mask_id=self.mask_id, real_ids=self._real_cpu.tolist(),
                         pad_id=self.pad_id, prefix_ids=self.prefix_ids,
                         suffix_ids=self.suffix_ids, shift=self.shift,
                         pass_attention_mask=self.pass_attention_mask, tokens=self.tokens,
                         name=self.name)
        for attr in ("meta", "max_length"):
            if hasattr(self, attr):
                setattr(out, attr, getattr(self, attr))
        return out

    def _excluded_on(self, device: torch.device, V: int) -> torch.Tensor:
        key = (device, V)
        cache = self.__dict__.setdefault("_excl", {})
        if key not in cache:
            keep = torch.zeros(V, dtype=torch.bool)
            keep[self._real_cpu[self._real_cpu < V]] = True
            cache[key] = torch.nonzero(~keep).squeeze(1).to(device)
        return cache[key]

    def _masked_hidden(self, tokens, masked, valid):
        """Checked inputs, then ``(sel_b, sel_p, logits_of, V)`` for the masked positions.

        ``logits_of(a, b)`` returns the model logits ``(b - a, V)`` of masked
        positions ``a..b-1`` (row-major order of ``masked & valid``): the head
        runs only there when :func:`~mdmtheory.bridge.heads.split_network` knows
        the network, else the full logits are computed once and indexed.
        """
        from .heads import split_network

        valid = check_batch(tokens, masked, valid, self.vocab_size)
        dev = self.device
        tokens, masked, valid = tokens.to(dev), masked.to(dev), valid.to(dev)
        ids, att = self.encode_batch(tokens, masked, valid)
        padded = bool((att == 0).any())
        if padded and not self.pass_attention_mask:
            raise ValueError(f"{self.name}: padded batch but pass_attention_mask=False")
        sel = masked & valid
        bb, pp = torch.nonzero(sel, as_tuple=True)
        hpos = pp + (len(self.prefix_ids) - self.shift)
        split = self.__dict__.get("_split", False)
        if split is False:
            split = split_network(self.model)
            self._split = split
        am = att if self.pass_attention_mask else None
        if split is not None:
            hidden = split.body(ids, am)
            hsel = hidden[bb, hpos]
            del hidden
            probe = split.head(hsel[:1]) if hsel.shape[0] else None
            V = int(probe.shape[-1]) if probe is not None else 0

            def logits_of(a, b, _h=hsel, _head=split.head):
                return _head(_h[a:b])
        else:
            out = self.model(input_ids=ids, attention_mask=am) if am is not None else \
                self.model(input_ids=ids)
            logits = out.logits if hasattr(out, "logits") else (
                out[0] if isinstance(out, (tuple, list)) else out)
            if logits.ndim != 3 or logits.shape[:2] != ids.shape:
                raise ValueError(f"{self.name}: expected logits of shape (B, T, V) with "
                                 f"(B, T) = {tuple(ids.shape)}, got {tuple(logits.shape)}")
            V = int(logits.shape[-1])

            def logits_of(a, b, _l=logits):
                return _l[bb[a:b], hpos[a:b]]
        return tokens, bb, pp, logits_of, V

    def masked_log_probs(self, tokens: torch.Tensor, masked: torch.Tensor,
                         valid: torch.Tensor | None = None) -> torch.Tensor:
        """Float32 log-probabilities ``(P, q)`` at the ``P`` masked valid positions
        (row-major order of ``masked & valid``), the head run only there."""
        with torch.inference_mode():
            tokens, bb, pp, logits_of, V = self._masked_hidden(tokens, masked, valid)
            if bb.numel() == 0:
                return torch.zeros((0, self.vocab_size), dtype=torch.float32,
                                   device=tokens.device)
            sel = logits_of(0, bb.numel()).index_select(-1, self._real_on(tokens.device))
            return torch.log_softmax(sel.float(), dim=-1)

    def masked_entropy_nll(self, tokens: torch.Tensor, masked: torch.Tensor,
                           valid: torch.Tensor | None = None, *,
                           chunk_bytes: int | None = None
                           ) -> tuple[torch.Tensor, torch.Tensor]:
        """Float64 entropy and NLL ``(P,)`` at the masked valid positions, fused and
        chunked (:func:`mdmtheory.bridge.heads.fused_entropy_nll`)."""
        from .heads import DEFAULT_CHUNK_BYTES, fused_entropy_nll

        with torch.inference_mode():
            tokens, bb, pp, logits_of, V = self._masked_hidden(tokens, masked, valid)
            dev = tokens.device
            targets = self._real_on(dev)[tokens[bb, pp].clamp(0, self.vocab_size - 1)]
            return fused_entropy_nll(logits_of, int(bb.numel()), V,
                                     self._excluded_on(dev, V), targets,
                                     chunk_bytes=chunk_bytes or DEFAULT_CHUNK_BYTES)

    def decode(self, seq: Iterable[int], sep: str = "") -> str:
        """Join the token strings of alphabet indices (needs ``tokens``)."""
        if self.tokens is None:
            raise ValueError(f"{self.name} has no token strings")
        return sep.join(self.tokens[int(a)] for a in seq)

    def encode(self, text: str | Sequence[str]) -> np.ndarray:
        """Alphabet indices of a string / list of token strings (needs ``tokens``)."""
        if self.tokens is None:
            raise ValueError(f"{self.name} has no token strings")
        lookup = {t: a for a, t in enumerate(self.tokens)}
        items = list(text)
        bad = sorted({t for t in items if t not in lookup})
        if bad:
            raise ValueError(f"{self.name}: tokens not in the alphabet: {bad[:10]}")
        return np.array([lookup[t] for t in items], dtype=np.int64)

    def __repr__(self) -> str:
        return (f"<HFMaskedLM {self.name!r} q={self.vocab_size} mask_id={self.mask_id} "
                f"shift={self.shift} device={self.device}>")


def bert_masked_lm(model: torch.nn.Module, tokenizer: Any, *,
                   exclude_ids: Iterable[int] = (), name: str = "bert") -> HFMaskedLM:
    """Adapter for a BERT-like ``*ForMaskedLM`` and its tokenizer.

    Real tokens are all vocabulary ids except ``tokenizer.all_special_ids``
    (``[PAD] [UNK] [CLS] [SEP] [MASK]``) and ``exclude_ids``.  Sequences are
    wrapped as ``[CLS] x [SEP]``; the logits are not shifted.
    """
    special = set(int(i) for i in tokenizer.all_special_ids) | set(int(i) for i in exclude_ids)
    vocab = tokenizer.get_vocab()
    inv = {int(i): t for t, i in vocab.items()}
    V = int(getattr(getattr(model, "config", None), "vocab_size", len(vocab)))
    real = [i for i in range(V) if i not in special and i in inv]
    if tokenizer.mask_token_id is None:
        raise ValueError("the tokenizer has no mask token")
    prefix = [tokenizer.cls_token_id] if tokenizer.cls_token_id is not None else []
    suffix = [tokenizer.sep_token_id] if tokenizer.sep_token_id is not None else []
    return HFMaskedLM(model, mask_id=tokenizer.mask_token_id, real_ids=real,
                      pad_id=tokenizer.pad_token_id, prefix_ids=prefix, suffix_ids=suffix,
                      shift=0, tokens=[inv[i] for i in real], name=name)


def llada_style(model: torch.nn.Module, *, real_ids: Sequence[int],
                mask_id: int = LLADA_MASK_ID, pad_id: int | None = None,
                prefix_ids: Sequence[int] = (), suffix_ids: Sequence[int] = (),
                pass_attention_mask: bool = True, tokens: Sequence[str] | None = None,
                name: str = "llada-style") -> HFMaskedLM:
    """Adapter for a LLaDA-style model: a mask id and plain (unshifted) logits.

    ``real_ids`` must list the ordinary tokens (for LLaDA-8B: every id except
    its special and reserved ids, e.g. EOS 126081, EoT 126348, mask 126336).
    """
    return HFMaskedLM(model, mask_id=mask_id, real_ids=real_ids, pad_id=pad_id,
                      prefix_ids=prefix_ids, suffix_ids=suffix_ids, shift=0,
                      pass_attention_mask=pass_attention_mask, tokens=tokens, name=name)


def dream_style(model: torch.nn.Module, *, real_ids: Sequence[int], bos_id: int,
                mask_id: int = DREAM_MASK_ID, pad_id: int | None = None,
                suffix_ids: Sequence[int] = (), pass_attention_mask: bool = True,
                tokens: Sequence[str] | None = None, name: str = "dream-style") -> HFMaskedLM:
    """Adapter for a Dream-style model: logits shifted by one.

    Dream's output at position p is its prediction for token p+1 (its sampler
    does ``logits = cat([logits[:, :1], logits[:, :-1]], 1)``).  The sequence is
    prefixed with ``bos_id`` so that token 0 is predicted by the BOS output.
    """
    return HFMaskedLM(model, mask_id=mask_id, real_ids=real_ids, pad_id=pad_id,
                      prefix_ids=[bos_id], suffix_ids=suffix_ids, shift=1,
                      pass_attention_mask=pass_attention_mask, tokens=tokens, name=name)


# ---------------------------------------------------------------------------- exact oracle
class OracleModel:
    """The exact MDM of a small :class:`~mdmtheory.Distribution` as a masked model.

    ``log_probs`` returns the exact conditionals ``mu(X_i = . | X_U = x_U)``
    (the exact conditionals of Def 1, no training error) in float64.  The
    look-ups are done by :class:`mdmtheory.montecarlo.DistributionOracle`
    (the numpy Monte Carlo engine's oracle), so the torch estimator and the
    numpy estimator query the very same conditionals.

    Parameters
    ----------
    dist : Distribution
        The joint law; sequences must have length ``dist.n`` (no padding).
    device : str or torch.device
        Device of the returned tensors (default CPU).

    Raises
    ------
    ValueError
        (from :meth:`log_probs`) on padding, wrong shapes, or a revealed context
        of probability zero.
    """

    def __init__(self, dist: Distribution, *, device: str | torch.device = "cpu",
                 name: str | None = None):
        from ..montecarlo import DistributionOracle

        if not isinstance(dist, Distribution):
            dist = Distribution(dist)
        self.dist = dist
        self.vocab_size = dist.q
        self.name = name or (dist.name or f"oracle(n={dist.n}, q={dist.q})")
        self._device = _as_device(device)
        self._oracle = DistributionOracle(dist)

    @property
    def device(self) -> torch.device:
        return self._device

    def log_probs(self, tokens: torch.Tensor, masked: torch.Tensor,
                  valid: torch.Tensor | None = None) -> torch.Tensor:
        """Exact float64 log-conditionals; see :class:`MaskedModel`."""
        n, q = self.dist.n, self.dist.q
        if tokens.ndim != 2 or tokens.shape[1] != n:
            raise ValueError(f"oracle of n={n}: tokens must have shape (B, {n}), "
                             f"got {tuple(tokens.shape)}")
        valid = check_batch(tokens, masked, valid, q)
        if not bool(valid.all()):
            raise ValueError("the exact oracle has a fixed length n; padding is not allowed")
        msk = masked.detach().cpu().numpy()
        # values at masked positions are irrelevant; keep them in range for the oracle
        tok = np.where(msk, 0, tokens.detach().cpu().numpy())
        probs = self._oracle(tok, ~msk)
        with np.errstate(divide="ignore"):
            lp = np.log(probs)
        return torch.from_numpy(lp).to(self._device)

    def __repr__(self) -> str:
        return f"<OracleModel {self.name!r} n={self.dist.n} q={self.dist.q}>"


# ---------------------------------------------------------------------------- masked-only
def masked_log_probs(model: MaskedModel, tokens: torch.Tensor, masked: torch.Tensor,
                     valid: torch.Tensor | None = None) -> torch.Tensor:
    """Log-probabilities ``(P, q)`` at the masked valid positions (row-major order).

    Uses ``model.masked_log_probs`` when the adapter has it (head only at masked
    positions), else selects from :meth:`MaskedModel.log_probs`.
    """
    f = getattr(model, "masked_log_probs", None)
    if f is not None:
        return f(tokens, masked, valid)
    lp = model.log_probs(tokens, masked, valid)
    sel = masked.to(lp.device) & (valid.to(lp.device) if valid is not None else True)
    return lp[sel]


def masked_entropy_nll(model: MaskedModel, tokens: torch.Tensor, masked: torch.Tensor,
                       valid: torch.Tensor | None = None, *, fused: bool = True
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """Entropy and NLL (float64, ``(P,)``) at the masked valid positions.

    ``fused=True`` uses the adapter's ``masked_entropy_nll`` when present;
    ``fused=False`` is the plain path (full :meth:`MaskedModel.log_probs`, then
    :func:`entropy_and_nll` at every position), kept for comparison.
    """
    f = getattr(model, "masked_entropy_nll", None) if fused else None
    if f is not None:
        return f(tokens, masked, valid)
    lp = model.log_probs(tokens, masked, valid)
    H, N = entropy_and_nll(lp, tokens.to(lp.device))
    sel = masked.to(lp.device)
    if valid is not None:
        sel = sel & valid.to(lp.device)
    return H[sel].double(), N[sel].double()


# ---------------------------------------------------------------------------- sampling
def sample_one_token_per_step(model: MaskedModel, num: int, length: int, *,
                              seed: int | np.random.SeedSequence | None = 0,
                              batch_size: int = 64, temperature: float = 1.0,
                              autocast: str | None = None, progress: bool = True
                              ) -> np.ndarray:
    """Draw sequences with the one-token-per-step sampler (Def 1 with k = n).

    Each sequence starts fully masked; a uniform random order of the positions
    is drawn, and at step t one forward pass gives the model's conditional at
    the next position in that order, from which its token is sampled.  For an
    exact oracle this is exact sampling from ``mu`` (Thm 4 with k = n: zero
    error); for a learned model it *defines* the model's sequential law.
    (:func:`mdmtheory.bridge.measured.sample_rows` is the same sampler that also
    keeps its passes for the measured loss and the curve estimate.)

    Parameters
    ----------
    model : MaskedModel
    num, length : int
        Number of sequences and their length.
    seed : int or SeedSequence
        Per-sequence generators are spawned from it, so sequence ``r`` does not
        depend on ``batch_size``.
    batch_size : int
        Sequences per forward pass.
    temperature : float
        Sampling temperature (1 = the model's conditionals).
    autocast : {None, 'bf16', 'fp16'}
        Autocast dtype for the forward passes.

    Returns
    -------
    ndarray of int64, shape (num, length)
        Alphabet indices.
    """
    from tqdm.auto import tqdm

    from .._validation import as_float, as_int, check_nbytes

    if not hasattr(model, "vocab_size") or not hasattr(model, "device"):
        raise TypeError(f"model must be a MaskedModel, got {type(model).__name__}")
    num = as_int(num, "num", minimum=1)
    length = as_int(length, "length", minimum=1)
    batch_size = as_int(batch_size, "batch_size", minimum=1)
    check_nbytes(8.0 * num * length, what=f"{num} samples of length {length}")
    temperature = as_float(temperature, "temperature", minimum=0.0, strict_minimum=True)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    rngs = [np.random.default_rng(s) for s in ss.spawn(num)]
    out = np.zeros((num, length), dtype=np.int64)
    dev = model.device
    bar = tqdm(total=num * length, desc=f"sampling {model.name}", unit="tok",
               disable=not progress, leave=False)
    for b0 in range(0, num, batch_size):
        rows = list(range(b0, min(num, b0 + batch_size)))
        orders = np.stack([rngs[r].permutation(length) for r in rows])
        u = np.stack([rngs[r].random(length) for r in rows])
        tok = torch.zeros((len(rows), length), dtype=torch.long, device=dev)
        masked = torch.ones((len(rows), length), dtype=torch.bool, device=dev)
        ar = torch.arange(len(rows), device=dev)
        for t in range(length):
            with autocast_context(dev, autocast):
                lp = model.log_probs(tok, masked)
            pos = torch.as_tensor(orders[:, t], device=lp.device)
            logits = lp[ar.to(lp.device), pos].double() / temperature
            probs = torch.softmax(logits, -1).cpu().numpy()
            cdf = np.cumsum(probs, axis=1)
            draw = (cdf < (u[:, t] * cdf[:, -1])[:, None]).sum(1)
            draw = np.minimum(draw, probs.shape[1] - 1)
            tok[ar, torch.as_tensor(orders[:, t], device=dev)] = torch.as_tensor(draw, device=dev)
            masked[ar, torch.as_tensor(orders[:, t], device=dev)] = False
            bar.update(len(rows))
        out[rows] = tok.cpu().numpy()
    bar.close()
    return out
