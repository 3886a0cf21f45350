"""Whole-curve coverage of the bridge's simultaneous band, method by method.

For each setting (rows ``R``, length ``n``) and each seeded trial: a new random
law (``families.random_dirichlet(n, q, alpha)``), its exact curve
(:func:`mdmtheory.information_curve`), ``R`` rows sampled from the exact oracle
(:class:`~mdmtheory.bridge.models.OracleModel`) and their cross-entropy-form
draws (the default form); every method of
:func:`mdmtheory.bridge.crossfit.simultaneous_band` then runs on the *same*
draws with the *same* seed.  A trial is covered when the band contains the
exact ``Z_2..Z_n`` (all of them).  Printed: coverage with a Wilson 95 %
interval, mean critical value, and the pointwise Student-t intervals read
simultaneously for reference.

Run: ``PYTHONPATH=. python benchmarks/bench_bridge_band.py [--trials 1000] [--write]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import machine_line, write_section  # noqa: E402

from mdmtheory import families, information_curve  # noqa: E402
from mdmtheory.bridge.crossfit import BAND_METHODS, simultaneous_band  # noqa: E402
from mdmtheory.bridge.estimate import estimate_from_rows  # noqa: E402
from mdmtheory.bridge.measured import sample_rows  # noqa: E402
from mdmtheory.bridge.models import OracleModel  # noqa: E402


def wilson(k: int, N: int) -> tuple[float, float]:
    """Wilson score 95 % interval for a binomial proportion (scipy)."""
    ci = stats.binomtest(k, N).proportion_ci(0.95, method="wilson")
    return float(ci.low), float(ci.high)


def draws(n: int, q: int, alpha: float, R: int, trial: int, law_seed: int = 20_000):
    mu = families.random_dirichlet(n, q, alpha=alpha, seed=law_seed + trial)
    m = OracleModel(mu)
    r = sample_rows(m, R, n, seed=trial, batch_size=R, progress=False)
    est = estimate_from_rows(m, r, batch_size=R, progress=False)
    return information_curve(mu), est.draws("cross_entropy")


def run_setting(n, q, alpha, R, trials, n_boot, level=0.95, law_seed=20_000):
    hits = {m: 0 for m in BAND_METHODS}
    crit = {m: [] for m in BAND_METHODS}
    point = 0
    for t in range(trials):
        Z, D = draws(n, q, alpha, R, t, law_seed)
        for m in BAND_METHODS:
            lo, hi, c = simultaneous_band(D, level=level, method=m, n_boot=n_boot, seed=t)
            hits[m] += bool(np.all((lo[1:] <= Z[1:]) & (Z[1:] <= hi[1:])))
            crit[m].append(c)
        se = (hi - lo) / (2 * c) if c > 0 else np.zeros_like(lo)
        Zh = (hi + lo) / 2
        tq = stats.t.ppf(0.5 + level / 2, R - 1)
        point += bool(np.all(np.abs(Zh - Z)[1:] <= tq * se[1:]))
    out = {m: {"covered": hits[m], "trials": trials, "coverage": hits[m] / trials,
               "wilson": wilson(hits[m], trials), "mean_crit": float(np.mean(crit[m]))}
           for m in BAND_METHODS}
    out["pointwise"] = {"covered": point, "trials": trials, "coverage": point / trials,
                        "wilson": wilson(point, trials),
                        "mean_crit": float(stats.t.ppf(0.5 + level / 2, R - 1))}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--rows", type=int, nargs="+", default=[30, 60, 200])
    ap.add_argument("--n", type=int, nargs="+", default=[5, 8, 12])
    ap.add_argument("--q", type=int, default=2)
    ap.add_argument("--alpha", type=float, default=0.5)
    ap.add_argument("--law-seed", type=int, default=20_000,
                    help="law of trial t: random_dirichlet(..., seed=LAW_SEED + t)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--merge", type=Path, nargs="+", default=None,
                    help="only tabulate these JSON files (from --json runs)")
    ap.add_argument("--write", action="store_true", help="write the RESULTS.md section")
    a = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    res = {}
    t0 = time.time()
    for path in a.merge or []:
        res.update(json.loads(path.read_text()))
    for n in ([] if a.merge else a.n):
        for R in a.rows:
            r = run_setting(n, a.q, a.alpha, R, a.trials, a.n_boot, law_seed=a.law_seed)
            res[f"n={n},R={R}"] = r
            print(f"n={n} R={R} ({time.time() - t0:.0f} s): " + ", ".join(
                f"{m} {v['coverage']:.3f}/{v['mean_crit']:.2f}" for m, v in r.items()),
                flush=True)
            if a.json:
                a.json.write_text(json.dumps(res, indent=1))
    methods = list(BAND_METHODS) + ["pointwise"]
    lines = ["| n | R | " + " | ".join(methods) + " |",
             "|---|---|" + "---|" * len(methods)]
    for key, r in sorted(res.items(), key=lambda kv: tuple(int(s.split("=")[1])
                                                            for s in kv[0].split(","))):
        n, R = (int(s.split("=")[1]) for s in key.split(","))
        cells = [f"{r[m]['coverage']:.3f} [{r[m]['wilson'][0]:.3f}, {r[m]['wilson'][1]:.3f}]"
                 f" c={r[m]['mean_crit']:.2f}" for m in methods]
        lines.append(f"| {n} | {R} | " + " | ".join(cells) + " |")
    summary = ["", "| method | lowest coverage | settings significantly below 0.95 "
               "(Wilson upper < 0.95) | mean c at R=30 / R=200 |", "|---|---|---|---|"]
    for m in methods:
        cov = [r[m]["coverage"] for r in res.values()]
        below = [k for k, r in res.items() if r[m]["wilson"][1] < 0.95]
        cs = {R: np.mean([r[m]["mean_crit"] for k, r in res.items() if k.endswith(f"R={R}")])
              for R in (30, 200)}
        summary.append(f"| {m} | {min(cov):.3f} | {len(below)} of {len(res)} | "
                       f"{cs[30]:.2f} / {cs[200]:.2f} |")
    table = "\n".join(lines + summary)
    print(table)
    if a.write:
        write_section("bench_bridge_band", (
            "## bench_bridge_band — simultaneous band over j: coverage by method\n\n"
            f"Machine: 2-core shared CPU, no GPU ({machine_line()}).  "
            f"`benchmarks/bench_bridge_band.py --trials {a.trials} --n-boot {a.n_boot}` "
            "(one process per n, then `--merge`).\n\n"
            f"Exact oracles: a new `random_dirichlet(n, q={a.q}, alpha={a.alpha})` law per "
            "trial, rows sampled from it, cross-entropy-form draws; every method on the same "
            "draws and seed.  Cell: whole-curve coverage (all of Z_2..Z_n inside the band) "
            "[Wilson 95 % interval] and the mean critical value c (band Z_hat +- c se).  "
            "Nominal 0.95.  `pointwise`: the per-j Student-t intervals read "
            "simultaneously.\n\n" + table + "\n\n"
            "Default: `bootstrap_t_corrected`, the only method with no setting significantly "
            "below nominal; it is the widest at 30 rows and about as wide as Bonferroni at "
            "200 rows.  Its correction is empirical (no interval for a mean is valid for every "
            "law at fixed R).\n"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
