#!/usr/bin/env python
"""Predicted vs measured loss on a real model, and passes to a given CI half-width.

For one model (``antiberty`` or ``kjv``), in one run with one seed:

1. ``R`` rows of the model's n-step sampler with all their passes
   (:func:`mdmtheory.bridge.measured.sample_rows`);
2. the curve from those passes plus tail passes (``estimate_from_rows``, the new
   path) and, on the **same sequences**, the earlier path (independent orders,
   ``sum_j b_j`` new passes per row, full log-probabilities: ``fused=False``);
3. passes needed to reach a given max CI half-width of ``Z_j``:
   ``passes * (halfwidth / target)^2`` (half-width ~ 1/sqrt(rows)), for each path;
   the ratio old / new is independent of the target;
4. for uniform, cosine and optimal schedules at several ``k``: Thm 1.4 on ``Z^H``
   and on ``Z^CE`` beside the measured loss (arXiv Def 1.1, same-order likelihood
   ratio) and the top-confidence sampler with the same sizes.

Writes section ``measured_<model>`` of ``figures/fig_bridge_validation.json``.
CPU runs: ``OMP_NUM_THREADS=1 nice python benchmarks/bench_bridge_measured.py antiberty``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "figures" / "fig_bridge_validation.json"


def passes_to_target(passes: int, halfwidth: float, target: float) -> float:
    return passes * (halfwidth / target) ** 2


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", choices=["antiberty", "kjv", "oracle"])
    p.add_argument("--rows", type=int, default=48)
    p.add_argument("--length", type=int, default=48)
    p.add_argument("--ppc", type=int, default=1, help="positions per cell (both paths)")
    p.add_argument("--ks", type=int, nargs="+", default=[4, 8, 16])
    p.add_argument("--batch", type=int, default=24)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no-confidence", action="store_true")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    from benchmarks._results import machine_line
    from mdmtheory.bridge.estimate import estimate_from_rows, estimate_model_curve
    from mdmtheory.bridge.measured import compare_schedules, comparison_table, sample_rows
    from mdmtheory.optimal import optimal_schedule
    from mdmtheory.schedule_rules import masking_schedule, uniform_schedule

    if args.model == "antiberty":
        from mdmtheory.bridge.antiberty import load_antiberty
        model = load_antiberty("cpu")
    elif args.model == "kjv":
        from mdmtheory.bridge import load_kjv_dlm
        model = load_kjv_dlm(device="cpu")
    else:  # the exact oracle of a binary symmetric Markov chain
        from mdmtheory import families
        from mdmtheory.bridge.models import OracleModel
        model = OracleModel(families.binary_symmetric_chain(args.length, 0.1))
    n = args.length
    t0 = time.perf_counter()
    rows = sample_rows(model, args.rows, n, seed=args.seed, batch_size=args.batch)
    new = estimate_from_rows(model, rows, positions_per_cell=args.ppc, batch_size=args.batch)
    t_new = time.perf_counter() - t0
    t1 = time.perf_counter()
    old = estimate_model_curve(model, rows.x, positions_per_cell=args.ppc,
                                     batch_size=args.batch, seed=args.seed + 1, fused=False)
    t_old_est = time.perf_counter() - t1
    old_passes = rows.passes + old.passes  # today: sample, then estimate from scratch
    eff = {}
    for form in ("entropy", "cross_entropy"):
        hw_new = new.max_halfwidth(form)
        hw_old = old.max_halfwidth(form)
        c_new, c_old = new.curve(form), old.curve(form)
        mh_new = float(np.mean(((c_new.Z_hi - c_new.Z_lo) / 2)[1:] ** 2))
        mh_old = float(np.mean(((c_old.Z_hi - c_old.Z_lo) / 2)[1:] ** 2))
        eff[form] = {
            "halfwidth_new": hw_new, "halfwidth_old": hw_old,
            "passes_new": new.passes, "passes_old": old_passes,
            "passes_to_0.01_new": passes_to_target(new.passes, hw_new, 0.01),
            "passes_to_0.01_old": passes_to_target(old_passes, hw_old, 0.01),
            "ratio_max_halfwidth": (old_passes * hw_old ** 2) / (new.passes * hw_new ** 2),
            "ratio_mean_sq_halfwidth": (old_passes * mh_old) / (new.passes * mh_new),
        }
    print(json.dumps(eff, indent=1))
    sch = {}
    for k in args.ks:
        sch[f"uniform k={k}"] = uniform_schedule(n, k)
        sch[f"cosine k={k}"] = masking_schedule(n, k, "cosine")
        sch[f"optimal(Z^CE) k={k}"] = optimal_schedule(new.curve("cross_entropy").monotone(),
                                                        k).schedule
        sch[f"optimal(Z^H) k={k}"] = optimal_schedule(new.curve("entropy").monotone(),
                                                       k).schedule
    t2 = time.perf_counter()
    cmp = compare_schedules(rows, new, sch, model=None if args.no_confidence else model,
                            batch_size=args.batch,
                            confidence_names=[f"uniform k={k}" for k in args.ks])
    t_cmp = time.perf_counter() - t2
    table = comparison_table(cmp)
    print(table)
    payload = {
        "model": model.name, "n": n, "rows": args.rows, "ppc": args.ppc, "seed": args.seed,
        "machine": f"{machine_line()}; torch {torch.__version__}, "
                   f"{torch.get_num_threads()} thread(s); no GPU",
        "seconds": {"sampling": rows.seconds, "new_total": t_new, "old_estimate": t_old_est,
                    "compare_incl_confidence": t_cmp},
        "passes": {"sampling": rows.passes, "new_total": new.passes,
                   "old_estimate": old.passes, "old_total": old_passes},
        "efficiency": eff, "table": [r.as_dict() for r in cmp], "table_md": table,
        "curve_new": {f: {"Z": new.curve(f).Z.tolist(), "Z_lo": new.curve(f).Z_lo.tolist(),
                          "Z_hi": new.curve(f).Z_hi.tolist()} for f in ("entropy",
                                                                        "cross_entropy")},
    }
    if args.model == "oracle":
        from mdmtheory import information_curve
        from mdmtheory.schedule import left_riemann_error

        payload["exact_Z"] = information_curve(model.dist).tolist()
        for row, c in zip(payload["table"], cmp):
            row["exact"] = left_riemann_error(np.asarray(payload["exact_Z"]), c.schedule)
    np.savez_compressed(ROOT / ".data" / f"bridge_measured_{args.model}.npz"
                        if (ROOT / ".data").is_dir() else
                        Path("/tmp") / f"bridge_measured_{args.model}.npz",
                        x=rows.x, order=rows.order, nll=rows.nll, ent=rows.ent,
                        DH=new.draws_entropy, DN=new.draws_cross_entropy,
                        oDH=old.draws_entropy, oDN=old.draws_cross_entropy)
    data = json.loads(args.out.read_text()) if args.out.exists() else {}
    data[f"measured_{args.model}" + (f"_ppc{args.ppc}" if args.ppc != 1 else "")] = payload
    args.out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote measured_{args.model} to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
