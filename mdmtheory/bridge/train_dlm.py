"""A small masked diffusion LM trained on the King James Bible.

Model and objective
-------------------
A character-level bidirectional transformer (:class:`TinyMDLM`: pre-LN
encoder with learned absolute positions and a convolutional mixing block, no
``[CLS]/[SEP]``, vocabulary ``[PAD] [MASK]`` + the 62 KJV characters) trained
as an MDLM-style absorbing-state diffusion model (Sahoo et al. 2024, linear
schedule ``alpha_t = 1 - t``).  For each training window ``x`` of ``L``
characters draw ``t ~ U(0, 1]`` (antithetic across the batch), mask every
position independently with probability ``t``, and minimise either

* ``objective="nelbo"``: the continuous-time negative ELBO per character,
  ``E_t[(1/t) sum_{i masked} -log p(x_i | x_t)] / L``; or
* ``objective="masked_ce"``: the mean cross-entropy over the masked positions
  of the batch (the same per-``t`` terms, reweighted by about ``t``).  The
  ``1/t`` weights make the NELBO gradient noisy at the small batches of a CPU
  run, so the ``cpu-tiny`` config uses this one.

Both are reported on held-out text.  At inference the network is a plain
mask-predictor: :func:`load_kjv_dlm` wraps it with
:func:`~mdmtheory.bridge.models.llada_style` (mask id, unshifted logits, no
wrapper tokens).

Configs
-------
``cpu-tiny`` (0.83 M parameters, 64-character windows, 3000 steps of 64
windows: 24 minutes on one thread of the shared 2-core project machine) and
``gpu`` (~11 M parameters, 256-character windows, NELBO objective; for a CUDA
device, not run here).  The committed checkpoint
``mdmtheory/data/kjv_dlm.safetensors`` (+ ``kjv_dlm.json`` with the config,
alphabet and training record) is the ``cpu-tiny`` run, so nothing has to be
retrained.

Metrics
-------
:func:`heldout_metrics`: on held-out windows (every 20th chapter, see
:mod:`mdmtheory.bridge.kjv`), the **masked NLL** = mean ``-log p(x_i | x_t)``
over masked positions with ``t`` stratified on ``(0, 1]`` (nats per masked
character), and the **NELBO** (nats per character, an upper bound on the
model's NLL per character).

Usage::

    python -m mdmtheory.bridge.train_dlm --config cpu-tiny [--steps N] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from .models import HFMaskedLM, default_device, llada_style

__all__ = ["DLMConfig", "CONFIGS", "TinyMDLM", "build_network", "mdlm_loss", "train",
           "heldout_metrics",
           "load_kjv_dlm", "DEFAULT_CHECKPOINT", "PAD_ID", "MASK_ID"]

PAD_ID = 0
MASK_ID = 1
_OFFSET = 2  # alphabet index a <-> model id a + 2
DEFAULT_CHECKPOINT = Path(__file__).resolve().parents[1] / "data" / "kjv_dlm"


@dataclass(frozen=True)
class DLMConfig:
    """Architecture and training hyper-parameters."""

    name: str
    seq_len: int = 64
    hidden: int = 128
    layers: int = 4
    heads: int = 4
    intermediate: int = 512
    batch: int = 64
    steps: int = 3000
    lr: float = 2e-3
    warmup: int = 100
    objective: str = "masked_ce"
    conv_kernel: int = 5
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    seed: int = 0
    eval_windows: int = 512


CONFIGS = {
    "cpu-tiny": DLMConfig(name="cpu-tiny"),
    "gpu": DLMConfig(name="gpu", seq_len=256, hidden=384, layers=6, heads=6, intermediate=1536,
                     batch=128, steps=20000, lr=5e-4, warmup=1000, eval_windows=2048,
                     objective="nelbo"),
}


class TinyMDLM(torch.nn.Module):
    """A small bidirectional transformer mask-predictor (pre-LayerNorm).

    Token + learned absolute position embeddings, one depthwise-convolution
    mixing block (kernel ``conv_kernel``: a locality bias that gets a tiny
    character model off the unigram plateau in a few hundred CPU steps), then
    ``layers`` pre-LN ``torch.nn.TransformerEncoderLayer`` blocks (no causal
    mask), a final LayerNorm and an output layer tied to the token embedding.
    ``forward(input_ids, attention_mask=None)`` returns logits ``(B, L, V)``;
    positions with ``attention_mask == 0`` are ignored as keys.
    """

    def __init__(self, vocab_size: int, max_len: int, hidden: int, layers: int, heads: int,
                 intermediate: int, conv_kernel: int = 5):
        super().__init__()
        self.tok = torch.nn.Embedding(vocab_size, hidden)
        torch.nn.init.normal_(self.tok.weight, std=0.02)
        self.pos = torch.nn.Parameter(torch.randn(max_len, hidden) * 0.1)
        self.ln0 = torch.nn.LayerNorm(hidden)
        self.conv = torch.nn.Conv1d(hidden, hidden, conv_kernel, padding=conv_kernel // 2,
                                    groups=hidden)
        self.mix = torch.nn.Linear(hidden, hidden)
        layer = torch.nn.TransformerEncoderLayer(hidden, heads, intermediate, dropout=0.0,
                                                 activation="gelu", batch_first=True,
                                                 norm_first=True)
        self.enc = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.lnf = torch.nn.LayerNorm(hidden)
        self.bias = torch.nn.Parameter(torch.zeros(vocab_size))
        self.max_len = max_len

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None
                ) -> torch.Tensor:
        L = input_ids.shape[1]
        if L > self.max_len:
            raise ValueError(f"sequence length {L} exceeds the model's {self.max_len} positions")
        h = self.tok(input_ids) + self.pos[:L]
        if attention_mask is not None:
            h = h * attention_mask[..., None].to(h.dtype)
        c = self.conv(self.ln0(h).transpose(1, 2)).transpose(1, 2)
        h = h + self.mix(torch.nn.functional.gelu(c))
        kpm = None if attention_mask is None else attention_mask == 0
        h = self.enc(h, src_key_padding_mask=kpm)
        return self.lnf(h) @ self.tok.weight.T + self.bias


def build_network(q: int, cfg: DLMConfig) -> TinyMDLM:
    """An untrained :class:`TinyMDLM` for ``q`` characters under ``cfg``."""
    torch.manual_seed(cfg.seed)
    return TinyMDLM(q + _OFFSET, cfg.seq_len, cfg.hidden, cfg.layers, cfg.heads,
                    cfg.intermediate, cfg.conv_kernel)


def _mask(x: torch.Tensor, t: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    u = torch.rand(x.shape, generator=gen, device="cpu").to(x.device)
    return u < t[:, None]


def mdlm_loss(net, x: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """MDLM NELBO per character and the plain mean masked CE of one batch.

    ``x``: ``(B, L)`` model ids.  ``t_b = (u + b/B) mod 1`` (antithetic), clamped
    to ``[1e-3, 1]``.
    """
    B, L = x.shape
    u = torch.rand((), generator=gen).item()
    t = ((u + torch.arange(B, dtype=torch.float32) / B) % 1.0).clamp_min(1e-3).to(x.device)
    m = _mask(x, t, gen)
    inp = torch.where(m, torch.full_like(x, MASK_ID), x)
    logits = net(input_ids=inp)
    ce = torch.nn.functional.cross_entropy(logits.reshape(B * L, -1), x.reshape(-1),
                                           reduction="none").reshape(B, L)
    ce = ce * m
    nelbo = ((ce.sum(1) / t).sum()) / (B * L)
    masked_ce = ce.sum() / m.sum().clamp_min(1)
    return nelbo, masked_ce


def _windows(ids: np.ndarray, L: int, B: int, rng: np.random.Generator) -> torch.Tensor:
    s = rng.integers(0, ids.size - L, size=B)
    return torch.as_tensor(np.stack([ids[a:a + L] for a in s]) + _OFFSET)


@torch.no_grad()
def heldout_metrics(net, heldout_ids: np.ndarray, L: int, *, windows: int = 512,
                    seed: int = 1234, batch: int = 64) -> dict[str, float]:
    """Held-out masked NLL (nats / masked char) and NELBO (nats / char); see module doc.

    ``windows`` random held-out windows, each with one masking ratio from a
    stratified grid ``t_w = (w + 1/2) / windows``.
    """
    net.eval()
    dev = next(net.parameters()).device
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    tot_ce = tot_m = tot_nelbo = 0.0
    for w0 in range(0, windows, batch):
        B = min(batch, windows - w0)
        x = _windows(heldout_ids, L, B, rng).to(dev)
        t = ((torch.arange(w0, w0 + B, dtype=torch.float32) + 0.5) / windows).to(dev)
        m = _mask(x, t, gen)
        inp = torch.where(m, torch.full_like(x, MASK_ID), x)
        logits = net(input_ids=inp).float()
        ce = torch.nn.functional.cross_entropy(logits.reshape(B * L, -1), x.reshape(-1),
                                               reduction="none").reshape(B, L) * m
        tot_ce += float(ce.sum())
        tot_m += float(m.sum())
        tot_nelbo += float((ce.sum(1) / t).sum())
    return {"heldout_masked_nll": tot_ce / tot_m, "heldout_nelbo": tot_nelbo / (windows * L),
            "heldout_windows": windows}


def train(cfg: DLMConfig, out: str | Path | None = DEFAULT_CHECKPOINT, *,
          device: str | torch.device | None = None, progress: bool = True,
          cache_dir=None) -> dict:
    """Train under ``cfg`` on the KJV training text; save ``out``.safetensors/.json.

    Returns the training record (also stored in the JSON).
    """
    from safetensors.torch import save_model
    from tqdm.auto import tqdm

    from .kjv import encode, load_corpus

    dev = torch.device(device) if device is not None else default_device()
    corpus = load_corpus(cache_dir)
    alphabet = corpus.alphabet
    train_ids = encode(corpus.train, alphabet)
    held_ids = encode(corpus.heldout, alphabet)
    net = build_network(len(alphabet), cfg).to(dev)
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
    bar = tqdm(range(cfg.steps), desc=f"train kjv-dlm ({cfg.name})", disable=not progress)
    ema = None
    for step in bar:
        net.train()
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        x = _windows(train_ids, cfg.seq_len, cfg.batch, rng).to(dev)
        nelbo, mce = mdlm_loss(net, x, gen)
        opt.zero_grad(set_to_none=True)
        (nelbo if cfg.objective == "nelbo" else mce).backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
        opt.step()
        ema = float(mce) if ema is None else 0.98 * ema + 0.02 * float(mce)
        if step % 50 == 0 or step == cfg.steps - 1:
            bar.set_postfix(masked_ce=f"{ema:.3f}")
            history.append({"step": step, "masked_ce_ema": ema, "nelbo": float(nelbo),
                            "seconds": time.perf_counter() - t0})
    seconds = time.perf_counter() - t0
    metrics = heldout_metrics(net, held_ids, cfg.seq_len, windows=cfg.eval_windows)
    record = {"config": asdict(cfg), "alphabet": alphabet, "parameters": nparams,
              "train_seconds": seconds, "device": str(dev),
              "torch_threads": torch.get_num_threads(), "history": history, **metrics,
              "train_chars": int(train_ids.size), "heldout_chars": int(held_ids.size)}
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        # save_model handles the tied input/output embeddings (shared tensors)
        save_model(net.to("cpu"), str(out.with_suffix(".safetensors")))
        out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    return record


def load_kjv_dlm(path: str | Path | None = None, *, device: str | torch.device | None = None
                 ) -> HFMaskedLM:
    """Load the trained KJV model as a LLaDA-style :class:`HFMaskedLM`.

    ``path`` (without suffix) defaults to the committed checkpoint
    ``mdmtheory/data/kjv_dlm``.  The training record is in ``model.meta``.
    """
    from safetensors.torch import load_model

    base = Path(path) if path is not None else DEFAULT_CHECKPOINT
    base = base.with_suffix("") if base.suffix in (".json", ".safetensors") else base
    meta_p, w_p = base.with_suffix(".json"), base.with_suffix(".safetensors")
    if not meta_p.is_file() or not w_p.is_file():
        raise FileNotFoundError(f"KJV DLM checkpoint not found: {meta_p} / {w_p} "
                                "(train one with python -m mdmtheory.bridge.train_dlm)")
    meta = json.loads(meta_p.read_text())
    known = set(DLMConfig.__dataclass_fields__)
    cfg = DLMConfig(**{k: v for k, v in meta["config"].items() if k in known})
    alphabet = meta["alphabet"]
    net = build_network(len(alphabet), cfg)
    missing, unexpected = load_model(net, str(w_p), strict=False)
    if missing or unexpected:
        raise ValueError(f"checkpoint {w_p} does not match its config: missing {missing}, "
                         f"unexpected {unexpected}")
    dev = torch.device(device) if device is not None else default_device()
    net = net.to(dev).eval()
    model = llada_style(net, real_ids=range(_OFFSET, _OFFSET + len(alphabet)), mask_id=MASK_ID,
                        pad_id=PAD_ID, tokens=list(alphabet), name=f"kjv-dlm ({cfg.name})")
    model.meta = meta
    model.max_length = cfg.seq_len
    return model


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Train the KJV masked diffusion LM (MDLM objective)")
    p.add_argument("--config", choices=sorted(CONFIGS), default="cpu-tiny")
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--out", type=Path, default=DEFAULT_CHECKPOINT)
    p.add_argument("--device", default=None)
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = CONFIGS[args.config]
    if args.steps:
        cfg = replace(cfg, steps=args.steps)
    rec = train(cfg, args.out, device=args.device)
    print(f"{rec['parameters']:,} parameters, {rec['train_seconds']:.0f} s; held-out masked "
          f"NLL {rec['heldout_masked_nll']:.4f} nats/char, NELBO {rec['heldout_nelbo']:.4f} "
          f"nats/char")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
