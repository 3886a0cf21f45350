"""A trained torch denoiser as the MDP's environment (Jazbec et al. 2025, the MDP's "frozen dLLM").

:class:`DenoiserOracle` turns any masked-diffusion denoiser -- a module mapping
tokens ``(B, n)`` (the mask token where masked) to *unshifted* logits
``(B, n, V)`` with attributes ``mask_id`` and ``vocab_size`` -- into the
environment protocol of :mod:`mdmtheory.policies.mdp` (``callable(x,
revealed) -> probs``), so every policy and the same MDP code run on it.  One
call is one forward pass of the whole batch on the denoiser's device (CPU or
CUDA); the MDP state (buffers, block pointers, NFE) stays on the host, which
costs one ``(B, n, q)`` device-to-host copy per pass.

The alphabet of the MDP is the denoiser's tokens other than the mask, in
order (or an explicit list ``tokens``, e.g. a task's answer tokens): MDP token
``a`` is denoiser token ``tokens[a]``, and the softmax runs over these
columns only.
Probabilities are the float64 softmax of the float32 logits (the anchors'
softmax over clean logits, no Gumbel noise).

:class:`TableDenoiser` is a stand-in denoiser built from an exact law given by
its support (e.g. all valid 4x4 Sudoku grids): its logits are the log of the
exact conditionals, so a policy run on it is run on a *perfect model*.
"""

from __future__ import annotations

import numpy as np

try:
    import torch
    from torch import nn
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ModuleNotFoundError(
        "mdmtheory.policies.neural needs PyTorch, an optional extra: "
        "`pip install mdmtheory[torch]` (torch>=2.1; a CPU build is enough).",
        name="torch") from exc

from .._validation import as_int, as_real_array

__all__ = ["DenoiserOracle", "TableDenoiser"]


class DenoiserOracle:
    """Environment protocol over a torch denoiser (see the module docstring).

    Parameters
    ----------
    denoiser : torch.nn.Module
        ``denoiser(tokens (B, n) long) -> logits (B, n, V)``, with ``mask_id``
        and ``vocab_size`` attributes (``seq_len`` optional).
    n : int, optional
        Sequence length (default ``denoiser.seq_len``).
    device : str or torch.device, optional
        Where the forward pass runs (default: the denoiser's parameters'
        device, CPU for a parameter-free module).
    q : int, optional
        Keep only the logits of tokens ``0..q-1`` (default: all ``vocab_size``
        tokens).
    tokens : sequence of int, optional
        The denoiser's token ids of the MDP alphabet, in order (e.g. a task's
        ``answer_tokens`` when special tokens precede them): MDP token ``a`` is
        denoiser token ``tokens[a]``.  Overrides ``q``.
    batch_limit : int
        Rows per forward pass (larger batches are split).
    """

    def __init__(self, denoiser, *, n: int | None = None, q: int | None = None, tokens=None,
                 device=None, batch_limit: int = 4096):
        for a in ("mask_id", "vocab_size"):
            if not hasattr(denoiser, a):
                raise TypeError(f"denoiser must have a {a!r} attribute")
        self.denoiser = denoiser
        self.mask_id = int(denoiser.mask_id)
        V = int(denoiser.vocab_size)
        self.V = V
        if tokens is not None:
            tok = np.asarray(tokens, dtype=np.int64)
            if tok.ndim != 1 or tok.size < 2 or len(set(tok.tolist())) != tok.size or \
                    tok.min() < 0 or tok.max() >= V or (tok == self.mask_id).any():
                raise ValueError("tokens must be >= 2 distinct ids in [0, vocab_size) other than "
                                 "mask_id")
            q = tok.size
        else:
            tok = np.array([v for v in range(V) if v != self.mask_id])
            if q is not None:
                if not 2 <= int(q) <= tok.size:
                    raise ValueError(f"q must lie in [2, {tok.size}], got {q!r}")
                tok = tok[: int(q)]
            q = tok.size
        self.q = q
        self.token_ids = tok
        self._tok = torch.as_tensor(tok)
        n = getattr(denoiser, "seq_len", None) if n is None else n
        if n is None:
            raise ValueError("pass n: the denoiser has no seq_len attribute")
        self.n = int(n)
        if device is None:
            p = next(iter(denoiser.parameters()), None) if hasattr(denoiser, "parameters") else None
            device = p.device if p is not None else "cpu"
        self.device = torch.device(device)
        self.batch_limit = int(batch_limit)
        self.calls = 0

    def tokens(self, x: np.ndarray, revealed: np.ndarray) -> torch.Tensor:
        """The denoiser's input: ``x`` where revealed, ``mask_id`` elsewhere (on the device)."""
        ids = self.token_ids[np.clip(x, 0, self.q - 1)]
        t = torch.as_tensor(np.where(revealed, ids, self.mask_id), dtype=torch.long)
        return t.to(self.device)

    @torch.no_grad()
    def logits(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits over the ``q`` non-mask tokens, ``(B, n, q)`` float32 on the device."""
        out = []
        for s in range(0, tokens.shape[0], self.batch_limit):
            z = self.denoiser(tokens[s:s + self.batch_limit]).float()
            out.append(z[..., self._tok.to(z.device)])
        return torch.cat(out)

    def __call__(self, x: np.ndarray, revealed: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.n:
            raise ValueError(f"x must have shape (B, {self.n}), got {x.shape}")
        self.calls += 1
        z = self.logits(self.tokens(x, np.asarray(revealed, bool)))
        p = torch.softmax(z.double(), dim=-1).cpu().numpy()
        # revealed positions: point mass on the revealed token (the MDP's convention)
        rv = np.asarray(revealed, bool)
        if rv.any():
            pm = np.zeros_like(p[rv])
            pm[np.arange(pm.shape[0]), x[rv]] = 1.0
            p[rv] = pm
        return p


class TableDenoiser(nn.Module):
    """Exact-law "denoiser": logits = log of the conditionals of the uniform law on a support.

    Parameters
    ----------
    support : array_like of int, shape (S, n)
        The sequences of the law (values in ``[0, q)``), all equally likely
        unless ``weights`` is given.
    q : int
        Alphabet size; ``mask_id = q`` (an extra token).
    weights : array_like, shape (S,), optional
        Unnormalised probabilities of the support rows.

    Notes
    -----
    A context with no consistent support row (possible when the tokens of one
    pass are drawn independently) gets uniform logits.
    """

    def __init__(self, support, q: int, weights=None):
        super().__init__()
        q = as_int(q, "q", minimum=2)
        S = torch.as_tensor(np.asarray(support), dtype=torch.long)
        if S.ndim != 2:
            raise ValueError("support must be 2-D (S, n)")
        if int(S.min()) < 0 or int(S.max()) >= q:
            raise ValueError(f"support values must lie in [0, {q})")
        if weights is None:
            w = torch.ones(S.shape[0], dtype=torch.float64)
        else:
            wa = as_real_array(weights, "weights", ndim=1)
            if wa.shape[0] != S.shape[0] or (wa < 0).any() or not wa.sum() > 0:
                raise ValueError(f"weights must be {S.shape[0]} non-negative numbers with a "
                                 "positive sum (one per support row)")
            w = torch.as_tensor(wa, dtype=torch.float64)
        self.register_buffer("support", S)
        self.register_buffer("weights", w / w.sum())
        self.register_buffer("onehot", torch.nn.functional.one_hot(S, q).double())  # (S, n, q)
        self.vocab_size = int(q)
        self.mask_id = int(q)
        self.seq_len = int(S.shape[1])

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        rev = tokens != self.mask_id  # (B, n)
        match = (tokens[:, None, :] == self.support[None]) | ~rev[:, None, :]  # (B, S, n)
        w = match.all(dim=-1).double() * self.weights[None]  # (B, S)
        num = torch.einsum("bs,snq->bnq", w, self.onehot)
        tot = num.sum(-1, keepdim=True)
        p = torch.where(tot > 0, num / tot.clamp_min(1e-300), torch.full_like(num, 1.0 / num.shape[-1]))
        return torch.log(p.clamp_min(1e-30)).float()

