"""Held-out quality of a trained denoiser: masked NLL against the exact law, and a
reference greedy decode (one token per step, most confident position first).
"""

from __future__ import annotations

import numpy as np
import torch

from .._validation import as_int, as_real_array

__all__ = ["masked_nll", "masked_nll_rows", "ratio_se", "greedy_decode"]


def _device(net) -> torch.device:
    for t in list(net.parameters()) + list(net.buffers()):
        return t.device
    return torch.device("cpu")


def ratio_se(num: np.ndarray, den: np.ndarray) -> float:
    """Row-clustered standard error of the ratio estimator ``sum(num) / sum(den)``.

    Delta method with rows as the independent units (Cochran 1977, §6.4):
    ``sqrt(R/(R-1) * sum_r (num_r - ratio * den_r)^2) / sum(den)`` for ``R`` rows.
    Used for per-token figures whose tokens are correlated within a row.
    """
    num = as_real_array(num, "num", ndim=1)
    den = as_real_array(den, "den", ndim=1)
    if num.shape != den.shape:
        raise ValueError(f"num and den must have one length, got {num.size} and {den.size}")
    if (den < 0).any() or not den.sum() > 0:
        raise ValueError("den must be >= 0 with a positive sum")
    R = num.size
    resid = num - num.sum() / den.sum() * den
    return float(np.sqrt(R / max(R - 1, 1) * (resid ** 2).sum()) / den.sum())


@torch.no_grad()
def masked_nll_rows(net, task, *, rows: int = 2048, seed: int = 1234, batch: int = 256
                    ) -> dict[str, np.ndarray]:
    """Per-row sums behind :func:`masked_nll` (same windows, masks and ratios).

    Returns float64 arrays of length ``rows``: ``ce`` (sum over the row's masked
    positions of ``-log p_theta(x_i | x_t)``), ``masked`` (number of masked
    positions), ``free`` (non-clue positions), ``t`` (the row's masking ratio)
    and, where the task has an exact oracle, ``exact`` (the same sum under the
    true law).  Two networks evaluated with the same ``task``, ``rows`` and
    ``seed`` see identical inputs, so their per-row figures can be paired.
    """
    rows = as_int(rows, "rows", minimum=1)
    batch = as_int(batch, "batch", minimum=1)
    dev = _device(net)
    x_all, c_all = task.heldout_batch(rows, seed)
    gen = torch.Generator().manual_seed(seed)
    oracle = getattr(task, "oracle", None)
    ce_rows, ex_rows, m_rows, free_rows, t_rows = [], [], [], [], []
    for w0 in range(0, rows, batch):
        x, c = x_all[w0:w0 + batch], c_all[w0:w0 + batch]
        B, L = x.shape
        t = (torch.arange(w0, w0 + B, dtype=torch.float32) + 0.5) / rows
        m = (torch.rand(x.shape, generator=gen) < t[:, None]) & ~c
        inp = torch.where(m, torch.full_like(x, net.mask_id), x)
        logits = net(inp.to(dev)).float().cpu()
        ce = torch.nn.functional.cross_entropy(logits.reshape(B * L, -1), x.reshape(-1),
                                               reduction="none").reshape(B, L) * m
        ce_rows.append(ce.sum(1).double().numpy())
        m_rows.append(m.sum(1).double().numpy())
        free_rows.append((~c).sum(1).double().numpy())
        t_rows.append(t.double().numpy())
        if oracle is not None:
            probs = oracle(x.numpy(), (~m).numpy())
            p_true = np.take_along_axis(probs, x.numpy()[..., None], axis=2)[..., 0]
            with np.errstate(divide="ignore"):
                ex = np.where(m.numpy(), -np.log(p_true), 0.0)
            ex_rows.append(ex.sum(1))
    out = {"ce": np.concatenate(ce_rows), "masked": np.concatenate(m_rows),
           "free": np.concatenate(free_rows), "t": np.concatenate(t_rows)}
    if oracle is not None:
        out["exact"] = np.concatenate(ex_rows)
    return out


def masked_nll(net, task, *, rows: int = 2048, seed: int = 1234, batch: int = 256) -> dict:
    """Held-out masked NLL of ``net`` on ``task`` and, where the task has an exact
    oracle, of the true law on the *same* masks.

    ``rows`` held-out sequences (:meth:`Task.heldout_batch`), row ``w`` masked at
    ratio ``t_w = (w + 1/2) / rows`` on its non-clue positions (a stratified
    ``t ~ U(0, 1]``).  The model figure is the mean of ``-log p_theta(x_i | x_t)``
    over all masked positions (nats per masked token); the exact figure is
    ``-log mu(x_i | x_t)`` averaged the same way, an unbiased estimate of the
    conditional entropy under this masking law, hence the floor the model
    approaches.  Their paired difference ``excess_nll`` (an average KL, up to
    Monte Carlo error) has a row-clustered standard error (:func:`ratio_se`),
    as has the model figure itself (``heldout_masked_nll_se``; the stratified
    ratios make it slightly conservative).

    Returns
    -------
    dict with ``heldout_masked_nll``, ``heldout_masked_nll_se``, ``heldout_nelbo``
    (nats per non-clue token), ``heldout_windows`` (rows), ``masked_tokens`` and,
    with an oracle, ``exact_masked_nll``, ``excess_nll``, ``excess_nll_se``.
    """
    r = masked_nll_rows(net, task, rows=rows, seed=seed, batch=batch)
    ce, mm = r["ce"], r["masked"]
    out = {"heldout_masked_nll": float(ce.sum() / mm.sum()),
           "heldout_masked_nll_se": ratio_se(ce, mm),
           "heldout_nelbo": float((ce / r["t"]).sum() / r["free"].sum()),
           "heldout_windows": int(ce.size), "masked_tokens": int(mm.sum())}
    if "exact" in r:
        ex = r["exact"]
        out.update({"exact_masked_nll": float(ex.sum() / mm.sum()),
                    "excess_nll": float((ce - ex).sum() / mm.sum()),
                    "excess_nll_se": ratio_se(ce - ex, mm)})
    return out


@torch.no_grad()
def greedy_decode(net, prompts: torch.Tensor, *, batch: int = 512) -> torch.Tensor:
    """Fill every masked position of ``prompts`` one token per forward pass.

    At each step the masked position with the highest top-1 probability is
    revealed with its arg-max token (LLaDA's ``low_confidence`` rule with one
    token per step, temperature 0).  Costs one forward pass (NFE) per masked
    position.  Returns the filled ``(num, L)`` tokens (on CPU).
    """
    if prompts.ndim != 2:
        raise ValueError(f"prompts must have shape (num, L), got {tuple(prompts.shape)}")
    dev = _device(net)
    out = []
    for b0 in range(0, prompts.shape[0], batch):
        x = prompts[b0:b0 + batch].clone().to(dev)
        while True:
            masked = x == net.mask_id
            if not masked.any():
                break
            probs = torch.softmax(net(x).float(), dim=-1)
            conf, tok = probs.max(dim=-1)
            conf = torch.where(masked, conf, torch.full_like(conf, -1.0))
            pos = conf.argmax(dim=1)
            rows = torch.nonzero(masked.any(dim=1)).squeeze(1)
            x[rows, pos[rows]] = tok[rows, pos[rows]]
        out.append(x.cpu())
    return torch.cat(out)
