"""Estimate the information curve Z of a real masked model and its optimal schedules.

The ``mdmtheory estimate`` subcommand (issue 7 item 8).  ``mdmtheory.cli``
imports this module only when ``estimate`` is used, so the rest of the CLI
never imports torch.  :func:`add_arguments` fills the subparser and
:func:`run` executes it (returns the exit status; a ``ValueError`` is a user
error, printed as one line with exit status 2 by ``mdmtheory.cli``).

MODEL is one of

* ``antiberty``: the AntiBERTy antibody BERT (``pip install antiberty==0.1.3``);
* ``kjv``: the project's KJV masked diffusion LM (committed checkpoint), or a
  path to another ``.safetensors``/``.json`` checkpoint of
  :mod:`mdmtheory.bridge.train_dlm`;
* a local Hugging Face model directory (``--adapter bert|llada|dream``;
  nothing is downloaded).

Sequences come from ``--sequences FILE`` (one per line; split into characters
for character/residue alphabets, tokenized without special tokens otherwise)
or are sampled from the model itself with ``--sample N --length L`` (the
one-token-per-step sampler).

Examples::

    mdmtheory estimate kjv --sample 64 --length 64 -k 4 8 16
    mdmtheory estimate antiberty --sample 32 --length 120 --autocast bf16 --json
    mdmtheory estimate ./my-bert --sequences seqs.txt --lengths relative
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["add_arguments", "run", "load_model"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``estimate`` options to ``p``."""
    p.add_argument("model", help="'antiberty', 'kjv', a KJV-DLM checkpoint path, or a local "
                   "Hugging Face model directory")
    src = p.add_argument_group("sequences")
    src.add_argument("--sequences", type=Path, default=None, metavar="FILE",
                     help="text file, one sequence per line")
    src.add_argument("--sample", type=int, default=None, metavar="N",
                     help="sample N sequences from the model (one token per step)")
    src.add_argument("--length", type=int, default=None,
                     help="length of sampled sequences (default: 120 antiberty, else 64)")
    src.add_argument("--lengths", choices=["common", "relative"], default="common",
                     help="one common length, or map lengths onto a relative grid")
    src.add_argument("--n-ref", type=int, default=None, help="grid size for --lengths relative")
    mdl = p.add_argument_group("model")
    mdl.add_argument("--adapter", choices=["bert", "llada", "dream"], default="bert",
                     help="convention of a local Hugging Face model (default bert)")
    mdl.add_argument("--mask-id", type=int, default=None, help="mask token id (llada/dream)")
    mdl.add_argument("--trust-remote-code", action="store_true",
                     help="allow custom model code from the local directory (LLaDA/Dream)")
    mdl.add_argument("--device", default=None, help="torch device (default cuda if available)")
    mdl.add_argument("--autocast", choices=["bf16", "fp16"], default=None,
                     help="reduced-precision forward passes (checked against fp32)")
    mdl.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    est = p.add_argument_group("estimator")
    est.add_argument("--positions-per-cell", type=int, default=1, metavar="P",
                     help="masked positions evaluated per (row, j) at least (default 1)")
    est.add_argument("--batch-size", type=int, default=64)
    est.add_argument("--seed", type=int, default=0)
    est.add_argument("--level", type=float, default=0.95)
    est.add_argument("--target-halfwidth", type=float, default=None, metavar="EPS",
                     help="sample in rounds until every CI half-width of Z_j is <= EPS "
                          "(needs --sample; then N is the round size)")
    est.add_argument("--max-rows", type=int, default=None)
    sch = p.add_argument_group("schedules")
    sch.add_argument("-k", "--steps", type=int, nargs="+", default=[4, 8, 16],
                     help="numbers of steps for the optimal schedules")
    sch.add_argument("--form", choices=["entropy", "cross_entropy"], default="entropy",
                     help="curve used for the schedules (default: entropy form)")
    sch.add_argument("--n-boot", type=int, default=100,
                     help="bootstrap resamples for the interval of OPT_k")
    out = p.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    out.add_argument("--out", type=Path, default=None, help="also write the JSON to this file")
    out.add_argument("--no-progress", action="store_true", help="no progress bars")


def load_model(spec: str, args: argparse.Namespace):
    """Build a :class:`~mdmtheory.bridge.models.MaskedModel` and an optional tokenizer."""
    import torch

    dev = torch.device(args.device) if args.device else None
    if spec == "antiberty":
        from .antiberty import load_antiberty

        try:
            return load_antiberty(dev), None
        except ModuleNotFoundError as exc:
            raise ValueError(str(exc)) from None
    if spec == "kjv":
        from .train_dlm import load_kjv_dlm

        return load_kjv_dlm(device=dev), None
    path = Path(spec)
    if path.suffix in (".safetensors", ".json") or path.with_suffix(".safetensors").is_file():
        from .train_dlm import load_kjv_dlm

        return load_kjv_dlm(path, device=dev), None
    if not path.is_dir():
        raise ValueError(f"model {spec!r} is neither 'antiberty', 'kjv', a checkpoint nor a "
                         "local model directory")
    import transformers

    from .models import bert_masked_lm, default_device, dream_style, llada_style

    kw = dict(local_files_only=True, trust_remote_code=args.trust_remote_code)
    tok = transformers.AutoTokenizer.from_pretrained(str(path), **kw)
    if args.adapter == "bert":
        net = transformers.AutoModelForMaskedLM.from_pretrained(str(path), **kw)
    else:
        net = transformers.AutoModel.from_pretrained(str(path), **kw)
    net = net.to(dev or default_device()).eval()
    if args.adapter == "bert":
        return bert_masked_lm(net, tok, name=path.name), tok
    mask_id = args.mask_id if args.mask_id is not None else tok.mask_token_id
    if mask_id is None:
        raise ValueError("--mask-id is required: the tokenizer defines no mask token")
    special = set(tok.all_special_ids) | {int(mask_id)}
    V = int(getattr(net.config, "vocab_size", len(tok)))
    real = [i for i in range(min(V, len(tok))) if i not in special]
    tokens = tok.convert_ids_to_tokens(real)
    if args.adapter == "llada":
        return llada_style(net, real_ids=real, mask_id=mask_id, pad_id=tok.pad_token_id,
                           tokens=tokens, name=path.name), tok
    if tok.bos_token_id is None:
        raise ValueError("a Dream-style model needs a BOS token in its tokenizer")
    return dream_style(net, real_ids=real, bos_id=tok.bos_token_id, mask_id=mask_id,
                       pad_id=tok.pad_token_id, tokens=tokens, name=path.name), tok


def _read_sequences(model, tok, path: Path) -> list[np.ndarray]:
    lines = [ln.strip() for ln in path.read_text().splitlines() if ln.strip()]
    if not lines:
        raise ValueError(f"{path} has no sequences")
    tokens = getattr(model, "tokens", None)
    if tok is None or (tokens is not None and all(len(t) == 1 for t in tokens)):
        if tokens is None:
            raise ValueError(f"{model.name} has no token strings to encode {path}")
        return [model.encode(ln) for ln in lines]
    inv = {int(r): a for a, r in enumerate(model._real_cpu.tolist())}
    out = []
    for k, ln in enumerate(lines):
        ids = tok(ln, add_special_tokens=False)["input_ids"]
        bad = [i for i in ids if i not in inv]
        if bad:
            raise ValueError(f"line {k + 1} of {path} tokenizes to special ids {bad[:5]}")
        out.append(np.array([inv[i] for i in ids], dtype=np.int64))
    return out


def run(args: argparse.Namespace) -> int:
    """Execute ``mdmtheory estimate``; returns the exit status."""
    import torch

    from .estimate import estimate_information_curve, schedule_from_estimate
    from .models import sample_one_token_per_step

    if args.threads:
        torch.set_num_threads(args.threads)
    if (args.sequences is None) == (args.sample is None):
        raise ValueError("give exactly one of --sequences FILE and --sample N")
    if args.target_halfwidth is not None and args.sample is None:
        raise ValueError("--target-halfwidth needs --sample (more sequences are drawn in rounds)")
    model, tok = load_model(args.model, args)
    progress = not args.no_progress and not args.json
    if args.sequences is not None:
        if not args.sequences.is_file():
            raise ValueError(f"sequence file {args.sequences} not found")
        source: Any = _read_sequences(model, tok, args.sequences)
        num = None
    else:
        if args.sample < 2:
            raise ValueError("--sample needs at least 2 sequences")
        length = args.length or (120 if args.model == "antiberty" else 64)
        limit = getattr(model, "max_length", None)
        if limit is not None and length > limit:
            raise ValueError(f"--length {length} exceeds the model's {limit} positions")

        def source(num_, ss, _L=length):
            return sample_one_token_per_step(model, num_, _L, seed=ss, batch_size=args.batch_size,
                                             autocast=args.autocast, progress=progress)
        num = None if args.target_halfwidth is not None else args.sample
    est = estimate_information_curve(
        model, source, num_sequences=num, positions_per_cell=args.positions_per_cell,
        batch_size=args.batch_size, level=args.level, seed=args.seed, autocast=args.autocast,
        lengths=args.lengths, n_ref=args.n_ref, target_halfwidth=args.target_halfwidth,
        rows_per_round=max(2, args.sample or 32), max_rows=args.max_rows, progress=progress)
    ks = sorted({k for k in args.steps if 1 <= k <= est.n})
    if not ks:
        raise ValueError(f"no valid -k: steps must lie in [1, {est.n}]")
    scheds = [schedule_from_estimate(est, k, form=args.form, n_boot=args.n_boot, seed=args.seed)
              for k in ks]
    result = est.to_dict()
    result["schedules"] = [{"k": s.k, "sizes": s.schedule.tolist(), "form": args.form,
                            "error": s.error.value, "error_mean": s.error.mean,
                            "error_lo": s.error.lo, "error_hi": s.error.hi,
                            "opt_boot_lo": s.opt_lo, "opt_boot_hi": s.opt_hi} for s in scheds]
    text = json.dumps(result, indent=1)
    if args.out is not None:
        args.out.write_text(text + "\n")
    if args.json:
        print(text)
        return 0
    _print_human(est, scheds, args)
    return 0


def _print_human(est, scheds, args) -> None:
    w = sys.stdout.write
    w(f"model {est.model_name} on {est.device}"
      f"{' (autocast ' + est.autocast + ')' if est.autocast else ''}: n = {est.n}, "
      f"{est.n_rows} sequences, {est.passes} forward passes in {est.seconds:.1f} s "
      f"({est.positions_per_second:.0f} positions/s)\n")
    if est.autocast_check:
        c = est.autocast_check
        w(f"autocast check vs fp32: mean |dH| {c['mean_abs_dH']:.2e}, mean dH "
          f"{c['mean_dH']:+.2e} nats over {c['positions']} positions\n")
    lv = int(round(100 * est.entropy.level))
    w(f"\n{'j':>5} {'Z^H_j':>9} {lv}% CI{'':13} {'Z^CE_j':>9} {lv}% CI\n")
    n = est.n
    js = range(1, n + 1) if n <= 24 else sorted({1, 2, 3, *range(1, n + 1, max(1, n // 16)), n})
    H, C = est.entropy, est.cross_entropy
    for j in js:
        i = j - 1
        w(f"{j:>5} {H.Z[i]:9.4f} [{H.Z_lo[i]:7.4f}, {H.Z_hi[i]:7.4f}] "
          f"{C.Z[i]:9.4f} [{C.Z_lo[i]:7.4f}, {C.Z_hi[i]:7.4f}]\n")
    w(f"max CI half-width: {est.max_halfwidth('entropy'):.4f} (entropy form), "
      f"{est.max_halfwidth('cross_entropy'):.4f} (cross-entropy form) nats\n")
    w(f"\noptimal schedules on the monotone {args.form} curve (Thm 1.4 error, nats):\n")
    for s in scheds:
        sizes = s.schedule.tolist()
        shown = sizes if len(sizes) <= 12 else sizes[:8] + ["..."] + sizes[-3:]
        w(f"  k={s.k:<4} error {s.error.value:.4f}  [{s.error.lo:.4f}, {s.error.hi:.4f}]  "
          f"OPT_k bootstrap [{s.opt_lo:.4f}, {s.opt_hi:.4f}]  sizes {shown}\n")
