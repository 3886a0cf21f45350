"""Estimate the information curve Z of a real masked model and its optimal schedules.

The ``mdmtheory estimate`` subcommand (:func:`add_arguments`, :func:`run`) and a
``schedule``-from-file command (:func:`add_schedule_arguments`,
:func:`run_schedule`; the main CLI registers it as ``mdmtheory bridge-schedule``
or equivalent).  ``mdmtheory.cli`` imports this module only when these are used,
so the rest of the CLI never imports torch.  A ``ValueError`` is a user error,
printed as one line with exit status 2 by ``mdmtheory.cli``.

MODEL is ``antiberty``, ``kjv`` (or a KJV checkpoint path), or a local Hugging
Face model directory (``--adapter bert|llada|dream``; nothing is downloaded).

Sequences are sampled from the model itself with ``--sample N --length L``: the
n-step sampler's passes are the estimation rows (plus tail passes), and with
``--measured`` the same rows give the measured loss of Def 1 for every
schedule and the top-confidence sampler.  ``--sequences FILE`` (one per line,
read verbatim: spaces are kept, only the line end is removed) estimates on
given data with independent orders instead.

Examples::

    mdmtheory estimate kjv --sample 64 --length 64 -k 4 8 16 --measured
    mdmtheory estimate antiberty --sample 32 --length 120 --dtype fp32 --out ab.npz
    mdmtheory estimate ./my-bert --sequences seqs.txt --lengths relative
    mdmtheory bridge-schedule ab.npz -k 8 --usual-steps 32
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .crossfit import BAND_METHODS

__all__ = ["add_arguments", "run", "load_model", "add_schedule_arguments", "run_schedule"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``estimate`` options to ``p``."""
    p.add_argument("model", help="'antiberty', 'kjv', a KJV-DLM checkpoint path, or a local "
                   "Hugging Face model directory")
    src = p.add_argument_group("sequences")
    src.add_argument("--sequences", type=Path, default=None, metavar="FILE",
                     help="text file, one sequence per line (independent orders)")
    src.add_argument("--sample", type=int, default=None, metavar="N",
                     help="sample N sequences from the model (n-step sampler; its passes "
                          "are the estimation rows)")
    src.add_argument("--length", type=int, default=None,
                     help="length of sampled sequences (default: 120 antiberty, else 64)")
    src.add_argument("--lengths", choices=["common", "relative"], default="common",
                     help="one common length, or map lengths onto a relative grid")
    src.add_argument("--n-ref", type=int, default=None, help="grid size for --lengths relative")
    src.add_argument("--independent-rows", action="store_true",
                     help="with --sample: estimate with new passes on independent orders "
                          "(the earlier path, about twice the passes)")
    mdl = p.add_argument_group("model")
    mdl.add_argument("--adapter", choices=["bert", "llada", "dream"], default="bert",
                     help="convention of a local Hugging Face model (default bert)")
    mdl.add_argument("--mask-id", type=int, default=None, help="mask token id (llada/dream)")
    mdl.add_argument("--trust-remote-code", action="store_true",
                     help="allow custom model code from the local directory (LLaDA/Dream)")
    mdl.add_argument("--device", default=None, help="torch device (default cuda if available)")
    mdl.add_argument("--dtype", choices=["fp32", "bf16", "fp16"], default="fp32",
                     help="weight dtype on load (default fp32; checked against an fp32 "
                          "copy when not fp32)")
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
                     help="sample in rounds of N rows until every CI half-width of Z_j "
                          "(chosen form) is <= EPS (needs --sample)")
    est.add_argument("--max-rows", type=int, default=None)
    _schedule_options(p)
    sch = p.add_argument_group("measured loss")
    sch.add_argument("--measured", action="store_true",
                     help="also report the measured loss (same-order likelihood ratio) of "
                          "every schedule and of the top-confidence sampler (needs --sample)")
    out = p.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    out.add_argument("--out", type=Path, default=None,
                     help="write the estimate (.npz, read by the schedule command) and a "
                          "JSON summary next to it")
    out.add_argument("--no-progress", action="store_true", help="no progress bars")


def _schedule_options(p: argparse.ArgumentParser) -> None:
    sch = p.add_argument_group("schedules")
    sch.add_argument("-k", "--steps", type=int, nargs="+", default=[4, 8, 16],
                     help="numbers of steps for the optimal schedules")
    sch.add_argument("--form", choices=["cross_entropy", "entropy"], default=None,
                     help="curve used for the schedules (default: cross_entropy)")
    sch.add_argument("--usual-steps", type=int, default=None, metavar="K",
                     help="the model's usual number of steps (adds a uniform K-step line)")
    sch.add_argument("--splits", type=int, default=2,
                     help="folds of the cross-fitted error of the optimal schedule")
    sch.add_argument("--band", action="store_true",
                     help="print a band that covers the whole curve Z_2..Z_n at once "
                          "(simultaneous, at --level)")
    sch.add_argument("--band-method", choices=BAND_METHODS, default=BAND_METHODS[0],
                     help="critical value of the band: the bootstrap max-|t| moved to the "
                          "Student-t scale (default; covered at >= 0.95 in every measured "
                          "oracle setting), Bonferroni-t, multiplier bootstraps, ...")


def add_schedule_arguments(p: argparse.ArgumentParser) -> None:
    """Options of the schedule-from-file command."""
    p.add_argument("estimate", type=Path, help="an estimate file written by estimate --out")
    _schedule_options(p)
    p.add_argument("--level", type=float, default=0.95)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")


def load_model(model: str, args: argparse.Namespace):
    """Build a :class:`~mdmtheory.bridge.models.MaskedModel` and an optional tokenizer.

    ``model`` is ``'antiberty'``, ``'kjv'``, a KJV checkpoint path or a local
    Hugging Face model directory (see :func:`mdmtheory.bridge.loading.load`).
    """
    from .loading import load

    return load(model, adapter=args.adapter, dtype=getattr(args, "dtype", "fp32"),
                device=args.device, mask_id=args.mask_id,
                trust_remote_code=args.trust_remote_code)


def read_sequence_lines(path: Path) -> list[str]:
    """The sequences of a text file, one per line, verbatim except the line end.

    Spaces (leading, trailing, inner) are kept: for a character-level model a
    space is a token like any other.  Only the newline (``\\n`` or ``\\r\\n``) is
    removed, and empty lines are skipped.
    """
    text = Path(path).read_text(encoding="utf-8")
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]
    return [ln for ln in lines if ln]


def _read_sequences(model, tok, path: Path) -> list[np.ndarray]:
    lines = read_sequence_lines(path)
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


def _sampled_estimate(model, args, length: int, form: str, progress: bool):
    """n-step sampler rows reused as estimation rows, in rounds when a target is set."""
    from .estimate import estimate_from_rows
    from .measured import SampledRows, sample_rows

    parts = []
    k0 = 0
    cap = args.max_rows
    while True:
        num = args.sample if cap is None else min(args.sample, cap - k0)
        if num < 1:
            break
        parts.append(sample_rows(model, num, length, seed=args.seed, row_offset=k0,
                                 batch_size=args.batch_size, autocast=args.autocast,
                                 progress=progress))
        k0 += num
        rows = SampledRows.concatenate(parts)
        est = estimate_from_rows(model, rows, positions_per_cell=args.positions_per_cell,
                                 batch_size=args.batch_size, level=args.level,
                                 autocast=args.autocast, progress=progress)
        if args.target_halfwidth is None or est.max_halfwidth(form) <= args.target_halfwidth:
            break
    return est, rows


def run(args: argparse.Namespace) -> int:
    """Execute ``mdmtheory estimate``; returns the exit status."""
    import torch

    from .estimate import DEFAULT_FORM, estimate_model_curve
    from .models import sample_one_token_per_step
    from .estimate import autocast_accuracy

    if args.threads:
        torch.set_num_threads(args.threads)
    if (args.sequences is None) == (args.sample is None):
        raise ValueError("give exactly one of --sequences FILE and --sample N")
    if args.target_halfwidth is not None and args.sample is None:
        raise ValueError("--target-halfwidth needs --sample (more sequences are drawn in rounds)")
    if args.measured and (args.sample is None or args.independent_rows):
        raise ValueError("--measured needs --sample (the measured loss is on the model's "
                         "own sampler rows)")
    form = args.form or DEFAULT_FORM
    model, tok = load_model(args.model, args)
    progress = not args.no_progress and not args.json
    rows = None
    if args.sequences is not None:
        if not args.sequences.is_file():
            raise ValueError(f"sequence file {args.sequences} not found")
        est = estimate_model_curve(
            model, _read_sequences(model, tok, args.sequences),
            positions_per_cell=args.positions_per_cell, batch_size=args.batch_size,
            level=args.level, seed=args.seed, autocast=args.autocast, lengths=args.lengths,
            n_ref=args.n_ref, progress=progress)
    else:
        if args.sample < 2:
            raise ValueError("--sample needs at least 2 sequences")
        length = args.length or (120 if args.model == "antiberty" else 64)
        limit = getattr(model, "max_length", None)
        if limit is not None and length > limit:
            raise ValueError(f"--length {length} exceeds the model's {limit} positions")
        if args.independent_rows:
            def source(num_, ss, _L=length):
                return sample_one_token_per_step(model, num_, _L, seed=ss,
                                                 batch_size=args.batch_size,
                                                 autocast=args.autocast, progress=progress)
            est = estimate_model_curve(
                model, source,
                num_sequences=None if args.target_halfwidth is not None else args.sample,
                positions_per_cell=args.positions_per_cell, batch_size=args.batch_size,
                level=args.level, seed=args.seed, autocast=args.autocast,
                target_halfwidth=args.target_halfwidth,
                rows_per_round=max(2, args.sample), max_rows=args.max_rows,
                progress=progress)
        else:
            est, rows = _sampled_estimate(model, args, length, form, progress)
            if args.autocast is not None or est.weights in ("bf16", "fp16"):
                est = _with_check(est, autocast_accuracy(model, rows.x[:8], args.autocast,
                                                         seed=args.seed))
    result, text_lines = _report(est, rows if args.measured else None, args, form,
                                 model if args.measured else None)
    if args.out is not None:
        from .loading import save_estimate

        path = save_estimate(args.out, est, rows)
        path.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        sys.stdout.write("\n".join(text_lines) + "\n")
    return 0


def _with_check(est, check):
    from dataclasses import replace

    return replace(est, autocast_check=check)


def run_schedule(args: argparse.Namespace) -> int:
    """Read an estimate file and print the schedule report; returns the exit status."""
    from .estimate import DEFAULT_FORM
    from .loading import load_estimate

    est, rows = load_estimate(args.estimate)
    form = args.form or DEFAULT_FORM
    result, text_lines = _report(est, rows, args, form, None)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        sys.stdout.write("\n".join(text_lines) + "\n")
    return 0


def _report(est, rows, args, form: str, model) -> tuple[dict[str, Any], list[str]]:
    from .crossfit import schedule_report, simultaneous_band

    bad = sorted({k for k in args.steps if not 1 <= k <= est.n})
    if bad:
        raise ValueError(f"-k/--steps {bad}: the numbers of steps must lie in [1, {est.n}] "
                         f"(n = {est.n} positions)")
    ks = sorted(set(args.steps))
    usual = getattr(args, "usual_steps", None)
    if usual is not None and not 1 <= usual <= est.n:
        raise ValueError(f"--usual-steps {usual}: must lie in [1, {est.n}] (n = {est.n} positions)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lines, notes = schedule_report(est, ks, form=form, level=args.level,
                                       usual_steps=args.usual_steps, seed=args.seed,
                                       n_splits=args.splits, rows=rows, warn=False)
    conf = {}
    if model is not None and rows is not None:
        from .measured import confidence_nll, t_interval

        seq = rows.sequential_nll()
        for ln in lines:
            if ln.name.startswith(("uniform", "usual")):
                cn, _ = confidence_nll(model, rows.x, ln.schedule,
                                       batch_size=getattr(args, "batch_size", 64))
                m, _, lo, hi = t_interval(cn - seq, args.level)
                conf[ln.name] = (m, lo, hi)
    result = est.to_dict()
    result["form"] = form
    result["schedules"] = [ln.as_dict() | {"confidence_sampler": conf.get(ln.name)}
                           for ln in lines]
    result["notes"] = notes
    band = None
    if args.band:
        lo, hi, crit = simultaneous_band(est.draws(form), level=args.level, seed=args.seed,
                                         method=getattr(args, "band_method", BAND_METHODS[0]))
        band = (lo, hi, crit)
        result["band"] = {"lo": lo.tolist(), "hi": hi.tolist(), "crit": crit,
                          "method": getattr(args, "band_method", BAND_METHODS[0])}
    return result, _human(est, lines, notes, conf, form, band)


def _human(est, lines, notes, conf, form, band) -> list[str]:
    out = [f"model {est.model_name} on {est.device} (weights {est.weights or 'n/a'}"
           f"{', autocast ' + est.autocast if est.autocast else ''}): n = {est.n}, "
           f"{est.n_rows} rows, {est.passes} forward passes in {est.seconds:.1f} s "
           f"(sampling {est.sampling_passes} passes / {est.sampling_seconds:.1f} s included; "
           f"rows from {est.source})"]
    if est.autocast_check:
        c = est.autocast_check
        out.append(f"precision check vs an fp32 reference: mean |dH| {c['mean_abs_dH']:.2e}, "
                   f"mean dH {c['mean_dH']:+.2e} nats over {c['positions']} positions")
    lv = int(round(100 * est.entropy.level))
    out.append(f"\n{'j':>5} {'Z^CE_j':>9} {lv}% CI{'':13} {'Z^H_j':>9} {lv}% CI"
               + ("   simultaneous band" if band is not None else ""))
    n = est.n
    js = range(1, n + 1) if n <= 24 else sorted({1, 2, 3, *range(1, n + 1, max(1, n // 16)), n})
    H, C = est.entropy, est.cross_entropy
    for j in js:
        i = j - 1
        b = f"   [{band[0][i]:7.4f}, {band[1][i]:7.4f}]" if band is not None else ""
        out.append(f"{j:>5} {C.Z[i]:9.4f} [{C.Z_lo[i]:7.4f}, {C.Z_hi[i]:7.4f}] "
                   f"{H.Z[i]:9.4f} [{H.Z_lo[i]:7.4f}, {H.Z_hi[i]:7.4f}]{b}")
    out.append(f"max pointwise CI half-width: {est.max_halfwidth('cross_entropy'):.4f} "
               f"(cross-entropy form), {est.max_halfwidth('entropy'):.4f} (entropy form) nats"
               + (f"; simultaneous band critical value {band[2]:.2f}" if band else ""))
    other = "entropy" if form == "cross_entropy" else "cross-entropy"
    out.append(f"\npredicted error (Thm 4 on the {form.replace('_', '-')} curve; "
               f"the optimal schedule's interval is cross-fitted) vs the {other} form"
               + (" and the measured loss (Def 1, same order)"
                  if lines and lines[0].measured is not None else "") + ", nats:")
    for ln in lines:
        sizes = ln.schedule.tolist()
        shown = sizes if len(sizes) <= 10 else sizes[:6] + ["..."] + sizes[-3:]
        s = (f"  {ln.name:<22} {ln.estimate:8.3f} [{ln.lo:8.3f}, {ln.hi:8.3f}]   "
             f"{other}: {ln.other_form[0]:8.3f}")
        if ln.measured is not None:
            s += f"   measured: {ln.measured[0]:8.3f} [{ln.measured[1]:.3f}, {ln.measured[2]:.3f}]"
        if ln.name in conf:
            c = conf[ln.name]
            s += f"   top-confidence sampler: {c[0]:.3f} [{c[1]:.3f}, {c[2]:.3f}]"
        out.append(s + f"   sizes {shown}")
    out.append("\nThese schedules assume the k-step sampler unmasks uniformly random positions "
               "(Def 1); a confidence-ordered sampler is a different sampler.")
    if lines and lines[0].measured is not None:
        out.append("measured / predicted far from 1 means the model's conditionals are not "
                   "those of one joint law and Thm 4 does not transfer as is.")
    for s in notes:
        out.append(f"note: {s}")
    return out
