#!/usr/bin/env python
"""Run the torch-bridge experiments and cache their results.

Usage (from the repository root, with the ``torch`` extra installed)::

    python scripts/bridge_experiments.py oracle
    python scripts/bridge_experiments.py antiberty [--rows 256 --val-rows 128 ...]
    python scripts/bridge_experiments.py kjv [--rows 256 ...]

Each subcommand writes its section of ``figures/fig_bridge_validation.json``
(read by ``figures/fig_bridge_validation.py`` and ``docs/bridge.md``) and keeps
its raw intermediate arrays under ``.data/bridge/`` (git-ignored) so an
interrupted run resumes where it stopped.  Long runs on a shared CPU: use
``nice -n 10`` and ``--threads 1``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "figures" / "fig_bridge_validation.json"
CACHE = ROOT / ".data" / "bridge"


def _update(section: str, payload: dict) -> None:
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data[section] = payload
    RESULTS.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote section {section!r} of {RESULTS.relative_to(ROOT)}")


def _machine() -> str:
    import torch

    from benchmarks._results import machine_line

    dev = "CUDA " + torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU"
    return f"{dev}; {machine_line()}; torch {torch.__version__}, " \
           f"{torch.get_num_threads()} thread(s)"


def _schedules(n: int, ks, est) -> dict:
    from mdmtheory.optimal import optimal_schedule
    from mdmtheory.schedule_rules import masking_schedule, uniform_schedule

    out = {}
    for k in ks:
        out[f"uniform k={k}"] = uniform_schedule(n, k)
        out[f"cosine k={k}"] = masking_schedule(n, k, "cosine")
        out[f"optimal(Z^H) k={k}"] = optimal_schedule(est.curve("entropy").monotone(), k).schedule
        out[f"optimal(Z^CE) k={k}"] = optimal_schedule(est.curve("cross_entropy").monotone(),
                                                       k).schedule
    return out


def _analyse(name: str, model, seqs: np.ndarray, val_seqs: np.ndarray, args,
             extra: dict) -> None:
    from mdmtheory.bridge.estimate import estimate_model_curve, schedule_from_estimate
    from mdmtheory.bridge.validate import sequential_passes, validate_schedules, validation_table

    t0 = time.perf_counter()
    est = estimate_model_curve(model, seqs, positions_per_cell=args.ppc,
                                     batch_size=args.batch_size, seed=args.seed + 1,
                                     autocast=args.autocast, progress=True)
    np.savez_compressed(CACHE / f"{name}_draws.npz", H=est.draws_entropy,
                        CE=est.draws_cross_entropy)
    print(f"curve: {est.n_rows} rows, {est.passes} passes, {est.seconds:.0f} s, "
          f"max half-width H {est.max_halfwidth('entropy'):.4f} "
          f"CE {est.max_halfwidth('cross_entropy'):.4f}")
    sched = {}
    for form in ("entropy", "cross_entropy"):
        for k in args.ks:
            se = schedule_from_estimate(est, k, form=form, n_boot=args.n_boot, seed=args.seed)
            sched[f"{form} k={k}"] = {
                "form": form, "k": k, "sizes": se.schedule.tolist(),
                "error": se.error.value, "error_mean": se.error.mean,
                "error_lo": se.error.lo, "error_hi": se.error.hi,
                "opt_boot_lo": se.opt_lo, "opt_boot_hi": se.opt_hi}
    t1 = time.perf_counter()
    vp = sequential_passes(model, val_seqs, seed=args.seed + 2, batch_size=args.batch_size,
                           autocast=args.autocast, progress=True)
    t_val = time.perf_counter() - t1
    rows = validate_schedules(est, vp, _schedules(est.n, args.val_ks, est))
    table = validation_table(rows)
    print(table)
    payload = {
        "model": model.name, "machine": _machine(), "n": est.n, "q": model.vocab_size,
        "curve": est.to_dict(), "schedules": sched,
        "validation": [r.as_dict() for r in rows], "validation_table": table,
        "validation_rows": int(val_seqs.shape[0]), "validation_seconds": t_val,
        "sequential_nll_mean": float(vp.sequential_nll().mean() / est.n),
        "total_seconds": time.perf_counter() - t0, "args": vars(args), **extra,
    }
    _update(name, payload)


def cmd_antiberty(args) -> None:
    from mdmtheory.bridge.antiberty import load_antiberty, sample_antiberty_sequences, to_strings

    model = load_antiberty()
    path = CACHE / f"antiberty_samples_n{args.length}_seed{args.seed}.npy"
    need = args.rows + args.val_rows if args.separate_val else max(args.rows, args.val_rows)
    t_sample = None
    if path.exists() and np.load(path).shape[0] >= need:
        seqs = np.load(path)
        print(f"reusing {seqs.shape[0]} cached samples from {path}")
    else:
        t0 = time.perf_counter()
        seqs = sample_antiberty_sequences(model, need, args.length, seed=args.seed,
                                          batch_size=args.batch_size, autocast=args.autocast)
        t_sample = time.perf_counter() - t0
        np.save(path, seqs)
        (CACHE / f"antiberty_samples_n{args.length}_seed{args.seed}.time").write_text(
            f"{t_sample}\n")
    tf = CACHE / f"antiberty_samples_n{args.length}_seed{args.seed}.time"
    if t_sample is None and tf.exists():
        t_sample = float(tf.read_text())
    est_seqs = seqs[:args.rows]
    val_seqs = seqs[args.rows:args.rows + args.val_rows] if args.separate_val \
        else seqs[:args.val_rows]
    _analyse("antiberty", model, est_seqs, val_seqs, args,
             {"sampling_seconds": t_sample, "sampled_sequences": int(need),
              "examples": to_strings(seqs[:5])})


def cmd_kjv(args) -> None:
    from mdmtheory.bridge.kjv import heldout_windows
    from mdmtheory.bridge.train_dlm import load_kjv_dlm

    model = load_kjv_dlm()
    windows = heldout_windows(model, args.length, args.rows + args.val_rows, seed=args.seed)
    _analyse("kjv", model, windows[:args.rows], windows[args.rows:], args,
             {"data": "held-out KJV text windows", "checkpoint": model.name,
              "heldout_masked_nll": model.meta.get("heldout_masked_nll")})


def cmd_oracle(args) -> None:
    from mdmtheory import families, information_curve
    from mdmtheory.bridge.models import OracleModel
    from mdmtheory.schedule import left_riemann_error

    mu = families.binary_symmetric_chain(8, 0.1)
    model = OracleModel(mu, name="oracle: binary symmetric chain n=8, flip 0.1")
    rng_seed = args.seed
    seqs = mu.sample(args.rows, rng=rng_seed)
    val = mu.sample(args.val_rows, rng=rng_seed + 100)
    Z = information_curve(mu)
    args.ks = [k for k in args.ks if k <= mu.n] or [2, 4]
    args.val_ks = [k for k in args.val_ks if k <= mu.n] or [2, 4]
    from mdmtheory.bridge.estimate import estimate_model_curve

    est = estimate_model_curve(model, seqs, seed=args.seed + 1, progress=False)
    exact = {name: left_riemann_error(Z, s) for name, s in _schedules(mu.n, args.val_ks,
                                                                      est).items()}
    _analyse("oracle", model, seqs, val, args, {"exact_Z": Z.tolist(), "exact_error": exact})


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, rows, val, length in (("antiberty", 256, 128, 120), ("kjv", 256, 128, 64),
                                    ("oracle", 4000, 4000, 8)):
        q = sub.add_parser(name)
        q.add_argument("--rows", type=int, default=rows)
        q.add_argument("--val-rows", type=int, default=val)
        q.add_argument("--length", type=int, default=length)
        q.add_argument("--ppc", type=int, default=10, help="positions per cell")
        q.add_argument("--batch-size", type=int, default=64)
        q.add_argument("--autocast", choices=["bf16", "fp16"], default=None)
        q.add_argument("--seed", type=int, default=0)
        q.add_argument("--ks", type=int, nargs="+", default=[2, 4, 8, 16, 32, 64])
        q.add_argument("--val-ks", type=int, nargs="+", default=[4, 8, 16, 32])
        q.add_argument("--n-boot", type=int, default=200)
        q.add_argument("--threads", type=int, default=None)
        q.add_argument("--separate-val", action="store_true",
                       help="validate on sequences not used for the curve")
    args = p.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    CACHE.mkdir(parents=True, exist_ok=True)
    print(platform.platform(), flush=True)
    {"antiberty": cmd_antiberty, "kjv": cmd_kjv, "oracle": cmd_oracle}[args.cmd](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
