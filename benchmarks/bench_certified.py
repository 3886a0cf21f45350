"""Benchmark: random-count schedules (exact) and certified schedules (coverage).

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_certified.py`` (a few minutes on 2 cores).

* Random-count schedules on the binary symmetric chain (flip 0.1) and a
  mixture of two products, ``n = 64``: Dream ``origin``, the linear noise
  schedule, the optimal Bernoulli noise schedule for each ``k``, the best fixed
  schedule ``OPT_k`` and the convex hull of ``OPT`` at the expected number of
  non-empty steps -- all exact (DP over counts).
* Worst case over all laws with ``TC <= T``: the best fixed ``k``-step ratio
  against the best random one (LP over compositions).
* Certified schedules: coverage of ``E KL(s_cert) <= bound`` over seeded trials
  on exact oracles, both band kinds (Bonferroni), with the median tightness
  ``bound / true error``.

Writes the ``bench_certified`` section of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from _results import machine_line, markdown_table, write_section  # noqa: E402

from mdmtheory import families  # noqa: E402
from mdmtheory.certified import certified_schedule, simultaneous_band  # noqa: E402
from mdmtheory.information import information_curve  # noqa: E402
from mdmtheory.montecarlo import prefix_draws  # noqa: E402
from mdmtheory.optimal import optimal_schedule  # noqa: E402
from mdmtheory.oracle import DistributionOracle  # noqa: E402
from mdmtheory.random_schedules import (  # noqa: E402
    dream_origin_process,
    expected_kl,
    minimax_ratio_fixed,
    minimax_ratio_random,
    noise_schedule_process,
    opt_hull,
    optimal_noise_schedule,
)
from mdmtheory.schedule import left_riemann_error  # noqa: E402
from mdmtheory.structured.markov import markov_information_curve  # noqa: E402
from mdmtheory.structured.mixtures import exchangeable_mixture_information_curve  # noqa: E402


def random_schedule_rows(n: int = 64) -> list[list]:
    curves = {
        "Markov chain flip 0.1": markov_information_curve(n, [[0.9, 0.1], [0.1, 0.9]]),
        "mixture 0.9/0.1": exchangeable_mixture_information_curve(
            [0.5, 0.5], [[0.1, 0.9], [0.9, 0.1]], n),
    }
    rows = []
    for name, Z in curves.items():
        for k in (2, 4, 8):
            dream = dream_origin_process(n, k)
            lin = noise_schedule_process(n, lambda t: 1.0 - t, k)
            t0 = time.perf_counter()
            best = optimal_noise_schedule(Z, k, starts=1)
            dt = time.perf_counter() - t0
            rows.append([name, k, f"{expected_kl(Z, dream):.4f}",
                         f"{dream.expected_nonempty_steps():.2f}",
                         f"{expected_kl(Z, lin):.4f}", f"{best.expected_kl:.4f}",
                         f"{best.expected_nonempty_steps:.2f}",
                         f"{float(opt_hull(Z, best.expected_nonempty_steps)):.4f}",
                         f"{optimal_schedule(Z, k).error:.4f}", f"{dt:.1f} s"])
            print(rows[-1], flush=True)
    return rows


def minimax_rows() -> list[list]:
    rows = []
    for n, k in ((8, 2), (8, 3), (12, 3), (12, 4)):
        f, s = minimax_ratio_fixed(n, k)
        r, mix = minimax_ratio_random(n, k)
        rows.append([n, k, f"{f:.4f}", str(list(s)), f"{r:.4f}", len(mix),
                     f"{100 * (1 - r / f):.1f} %"])
        print(rows[-1], flush=True)
    return rows


def coverage_rows(trials: int = 200, R: int = 200, k: int = 3) -> list[list]:
    n = 7
    laws = {
        "Markov chain flip 0.1 (n=7)": families.binary_symmetric_chain(n, 0.1),
        "mixture 0.9/0.1 (n=7)": families.mixture(
            [families.product(np.tile([0.1, 0.9], (n, 1))),
             families.product(np.tile([0.9, 0.1], (n, 1)))]),
        "Dirichlet(0.5) (n=7)": families.random_dirichlet(n, 2, 0.5, seed=3),
        "parity code (n=7)": families.parity(n, 2),
    }
    rows = []
    for name, mu in laws.items():
        Z = information_curve(mu)
        orc = DistributionOracle(mu)
        for kind in ("increments", "curve"):
            hit = band_hit = 0
            ratios = []
            for seed in range(trials):
                rng = np.random.default_rng(seed)
                x = mu.sample(R, rng)
                perms = np.argsort(rng.random((R, n)), axis=1)
                band = simultaneous_band(prefix_draws(orc, x, perms), delta=0.05, kind=kind)
                cert = certified_schedule(band, k)
                true = left_riemann_error(Z, cert.schedule)
                hit += true <= cert.bound
                band_hit += band.covers(Z)
                ratios.append(cert.bound / true if true > 0 else np.inf)
            opt = optimal_schedule(Z, k).error
            med = float(np.median(ratios))
            rows.append([name, kind, f"{100 * hit / trials:.1f} %",
                         f"{100 * band_hit / trials:.1f} %",
                         f"{med:.2f}" if np.isfinite(med) else "n/a (true error 0)",
                         f"{max(opt, 0.0):.4f}"])
            print(rows[-1], flush=True)
    return rows


def main() -> None:
    lines = [f"Machine: {machine_line()} (2-core shared CPU, no GPU).", ""]
    lines += ["### Random-count schedules, exact (n = 64, nats)", "",
              "`E KL` by the DP over counts.  `E steps>0`: expected number of non-empty "
              "steps (forward passes with caching).  `hull`: the best mixture of fixed "
              "schedules with that expected number of steps; `OPT_k`: the best fixed "
              "k-step schedule (Thm 4).  Every random schedule is >= both (proved; "
              "checked here).", "",
              markdown_table(["law", "k", "Dream origin", "E steps>0", "linear alpha",
                              "best alpha", "E steps>0", "hull at that", "OPT_k",
                              "optimiser time"], random_schedule_rows()), ""]
    lines += ["### Worst case over all laws with TC <= T: fixed vs random k-step schedules",
              "", "`sup E KL / T`; random: LP over all distributions on compositions.", "",
              markdown_table(["n", "k", "best fixed", "fixed schedule", "best random",
                              "support", "gain"], minimax_rows()), ""]
    lines += ["### Certified schedules: coverage over 200 seeded trials (delta = 0.05, k = 3, "
              "R = 200 draws, Bonferroni)", "",
              "`covers`: E KL(certified schedule) <= printed bound; `band covers`: the exact "
              "curve (or its increments) lies in the simultaneous band; `bound/true`: "
              "median tightness.", "",
              markdown_table(["law", "band", "covers", "band covers", "bound/true",
                              "OPT_3 (exact)"], coverage_rows())]
    write_section("bench_certified", "## Random-count and certified schedules "
                  "(bench_certified.py)\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
