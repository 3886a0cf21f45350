"""The one trainer of the project's masked diffusion LMs (MDLM objective).

For each training sequence ``x`` with clue mask ``c`` (from
:meth:`mdmtheory.tasks.Task.training_batch`; no clues for text) draw a masking
ratio ``t ~ U(0, 1]`` (antithetic across the batch: ``t_b = (u + b/B) mod 1``,
clamped to ``[1e-3, 1]``), mask every *non-clue* position independently with
probability ``t`` (clue positions are never masked, so the model learns the
law of the answer given the clues), and minimise the cross-entropy on the
masked positions: either the mean over the masked positions of the batch
(``objective="masked_ce"``) or the MDLM negative ELBO per token
(``objective="nelbo"``, weights ``1/t``; Sahoo et al. 2024, "Simple and
Effective Masked Diffusion Language Models").  AdamW, linear warm-up, cosine
decay, gradient clipping.

Usage::

    python -m mdmtheory.dlm --config sudoku4 --threads 1 [--steps N] [--out PATH]
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch

from .checkpoint import CHECKPOINT_DIR, save_checkpoint
from .config import CONFIGS, DLMConfig
from .evaluate import masked_nll
from .model import Denoiser

__all__ = ["build_denoiser", "masked_diffusion_loss", "train", "main"]


def build_denoiser(task, cfg: DLMConfig) -> Denoiser:
    """An untrained :class:`Denoiser` for ``task`` under ``cfg`` (seeded by ``cfg.seed``)."""
    if cfg.seq_len < task.length:
        raise ValueError(f"cfg.seq_len={cfg.seq_len} is shorter than the task's length "
                         f"{task.length}")
    torch.manual_seed(cfg.seed)
    return Denoiser(task.vocab_size, cfg.seq_len, task.mask_id, task.answer_tokens, cfg.arch)


def _warm_start(net: Denoiser, init: str) -> dict:
    """Copy the weights of checkpoint ``init`` into ``net`` (same shapes); return a
    summary of ``init``'s training record (kept in the new record: the
    continued run's full cost is the sum of both runs)."""
    from .checkpoint import load_checkpoint

    src, meta = load_checkpoint(init)
    try:
        net.load_state_dict(src.state_dict(), strict=True)
    except RuntimeError as exc:
        raise ValueError(f"init: checkpoint {init!r} does not match the config's "
                         f"architecture: {exc}") from None
    keep = ("name", "parameters", "train_seconds", "heldout_masked_nll", "heldout_windows")
    return {"init": str(init), "config": meta.get("config"),
            **{k: meta[k] for k in keep if k in meta}}


def _mask(x: torch.Tensor, clue: torch.Tensor, t: torch.Tensor, gen: torch.Generator
          ) -> torch.Tensor:
    u = torch.rand(x.shape, generator=gen).to(x.device)
    return (u < t[:, None]) & ~clue


def masked_diffusion_loss(net: Denoiser, x: torch.Tensor, clue: torch.Tensor,
                          gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``(nelbo, masked_ce)`` of one batch (see the module docstring).

    ``x``: ``(B, L)`` token ids; ``clue``: ``(B, L)`` bool, never masked.
    """
    B, L = x.shape
    u = torch.rand((), generator=gen).item()
    t = ((u + torch.arange(B, dtype=torch.float32) / B) % 1.0).clamp_min(1e-3).to(x.device)
    m = _mask(x, clue.to(x.device), t, gen)
    inp = torch.where(m, torch.full_like(x, net.mask_id), x)
    logits = net(inp)
    ce = torch.nn.functional.cross_entropy(logits.reshape(B * L, -1), x.reshape(-1),
                                           reduction="none").reshape(B, L) * m
    nelbo = (ce.sum(1) / t).sum() / (B * L)
    masked_ce = ce.sum() / m.sum().clamp_min(1)
    return nelbo, masked_ce


def train(cfg: DLMConfig, out: str | Path | None = None, *, task=None,
          device: str | torch.device | None = None, progress: bool = True,
          eval_seed: int = 1234) -> tuple[Denoiser, dict]:
    """Train under ``cfg`` on ``task`` (default ``get_task(cfg.task)``).

    Saves ``out`` (``.safetensors`` + ``.json``, fp16 weights) unless ``out`` is
    None.  Returns the trained denoiser (float32, eval mode) and its training
    record (config, parameters, seconds, loss history, held-out metrics of
    :func:`~mdmtheory.dlm.evaluate.masked_nll`).
    """
    from tqdm.auto import tqdm

    from ..tasks import get_task

    task = get_task(cfg.task) if task is None else task
    if cfg.objective not in ("masked_ce", "nelbo"):
        raise ValueError(f"objective must be 'masked_ce' or 'nelbo', got {cfg.objective!r}")
    dev = torch.device(device) if device is not None else torch.device("cpu")
    net = build_denoiser(task, cfg)
    init_record = None
    if cfg.init is not None:
        init_record = _warm_start(net, cfg.init)
    net = net.to(dev)
    nparams = sum(p.numel() for p in net.parameters())
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay,
                            betas=(0.9, 0.98))

    def lr_at(step: int) -> float:
        if step < cfg.warmup:
            return cfg.lr * (step + 1) / cfg.warmup
        frac = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
        return cfg.lr * 0.5 * (1 + math.cos(math.pi * frac))

    rng = np.random.default_rng(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    history = []
    t0 = time.perf_counter()
    bar = tqdm(range(cfg.steps), desc=f"train dlm ({cfg.name})", disable=not progress,
               mininterval=30)
    ema = None
    for step in bar:
        net.train()
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        x, clue = task.training_batch(cfg.batch, rng)
        nelbo, mce = masked_diffusion_loss(net, x.to(dev), clue.to(dev), gen)
        opt.zero_grad(set_to_none=True)
        (nelbo if cfg.objective == "nelbo" else mce).backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
        opt.step()
        mce = float(mce.detach())
        ema = mce if ema is None else 0.98 * ema + 0.02 * mce
        if step % 50 == 0 or step == cfg.steps - 1:
            bar.set_postfix(masked_ce=f"{ema:.3f}")
            history.append({"step": step, "masked_ce_ema": ema, "nelbo": float(nelbo.detach()),
                            "seconds": time.perf_counter() - t0})
    seconds = time.perf_counter() - t0
    net.eval()
    metrics = masked_nll(net, task, rows=cfg.eval_windows, seed=eval_seed)
    record = {"name": cfg.name, "task": cfg.task, "config": asdict(cfg), "parameters": nparams,
              "train_seconds": seconds, "device": str(dev),
              "torch_threads": torch.get_num_threads(), "history": history, **metrics}
    if init_record is not None:
        record["init_record"] = init_record
    if cfg.task == "kjv":  # the KJV loader (kjv_model.load_kjv_dlm) reads it
        record["alphabet"] = task.alphabet
    if out is not None:
        save_checkpoint(net, record, out)
    return net, record


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m mdmtheory.dlm",
                                description="Train a small masked diffusion LM (MDLM objective)")
    p.add_argument("--config", choices=sorted(CONFIGS), required=True)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--out", type=Path, default=None,
                   help="checkpoint path without suffix (default: the committed checkpoint "
                        "of the config's task under mdmtheory/dlm/checkpoints/)")
    p.add_argument("--device", default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = CONFIGS[args.config]
    if args.steps:
        cfg = replace(cfg, steps=args.steps)
    out = args.out if args.out is not None else CHECKPOINT_DIR / cfg.task
    _, rec = train(cfg, out, device=args.device, progress=not args.no_progress)
    print(f"{cfg.name}: {rec['parameters']:,} parameters, {rec['train_seconds']:.0f} s; "
          f"held-out masked NLL {rec['heldout_masked_nll']:.4f} nats/token"
          + (f" (exact law {rec['exact_masked_nll']:.4f})" if "exact_masked_nll" in rec else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
