"""Benchmark: exact structured curves vs the dense sweep.

Run: ``python benchmarks/bench_structured.py``  (about 1-2 minutes on 2 cores).

* Markov chains, q = 2 and q = 4: dense (table + all-subsets sweep) vs structured
  (gap sums + exact counting), side by side where the dense sweep is feasible, with
  the agreement; structured alone for n = 10^2 .. 10^4 (homogeneous fast / slow
  mixing, non-stationary start, per-step exact and truncated).
* The issue's "Must reach": q = 4, n = 10^4, exact Z in < 2 s (cold = first call in the
  process, including loading Numba's cache; warm = median of 5).
* Codes: enumeration vs dense; exchangeable mixtures: type sum vs dense, and at long n.

Writes the ``bench_structured`` section of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _results import machine_line, markdown_table, write_section  # noqa: E402

from mdmtheory import families, information_curve  # noqa: E402
from mdmtheory.structured import codes, markov, mixtures  # noqa: E402


def timed(fn, repeat: int = 1):
    """(result, median seconds over ``repeat`` calls)."""
    ts = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return out, statistics.median(ts)


def fmt(t: float) -> str:
    return f"{t * 1e3:.1f} ms" if t < 1 else f"{t:.2f} s"


def main() -> None:
    rng = np.random.default_rng(0)
    lines = [f"Machine: {machine_line()}. Timings taken on a shared, loaded machine; "
             "to be re-measured on a quiet one.", ""]

    # ---------------------------------------------------------------- must reach
    P4 = rng.dirichlet(np.ones(4), size=4)
    t0 = time.perf_counter()
    markov.markov_information_curve(10_000, P4)
    cold = time.perf_counter() - t0
    _, warm = timed(lambda: markov.markov_information_curve(10_000, P4), repeat=5)
    lines += ["### Must reach: Markov chain q = 4, n = 10^4, exact Z", "",
              markdown_table(["target", "cold (1st call, incl. Numba cache load)",
                              "warm (median of 5)", "met"],
                             [["< 2 s", fmt(cold), fmt(warm), "yes" if warm < 2 else "NO"]]),
              ""]
    print(lines[-2])

    # ---------------------------------------------------------------- dense vs structured
    # warm up every kernel once (Numba cache load) before the timed comparisons
    information_curve(families.markov_chain(4, P4))
    codes.code_information_curve(np.eye(3, dtype=int), 2)
    mixtures.exchangeable_mixture_information_curve([0.5, 0.5], [[0.1, 0.9], [0.9, 0.1]], 4)
    markov.markov_information_curve(5, rng.dirichlet(np.ones(4), size=(4, 4)))
    rows = []
    cases = [(2, n) for n in (8, 12, 16, 18)] + [(4, n) for n in (6, 8, 10)]
    for q, n in cases:
        T = rng.dirichlet(np.ones(q), size=q)
        init = rng.dirichlet(np.ones(q))
        Zs, ts = timed(lambda: markov.markov_information_curve(n, T, init), repeat=3)
        Zd, td = timed(lambda: information_curve(families.markov_chain(n, T, init)))
        rows.append([q, n, fmt(td), fmt(ts), f"{td / ts:,.0f}x", f"{np.abs(Zs - Zd).max():.1e}"])
        print(rows[-1])
    lines += ["### Markov chain: dense sweep vs structured (non-stationary start)", "",
              markdown_table(["q", "n", "dense (table + sweep)", "structured", "speed-up",
                              "max |Z_dense - Z_struct|"], rows), ""]

    # ---------------------------------------------------------------- structured at scale
    rows = []
    kinds = {
        "homogeneous, fast mixing": lambda n: (P4, None),
        "homogeneous, slow mixing (stay 0.999)": lambda n: (0.999 * np.eye(4) + 0.00025, None),
        "homogeneous, non-stationary start": lambda n: (P4, np.array([1.0, 0, 0, 0])),
        "per-step (exact, O(n^2 q^3))": lambda n: (rng.dirichlet(np.ones(4), size=(n - 1, 4)),
                                                   None),
    }
    for name, make in kinds.items():
        for n in (100, 1000, 3000, 10_000):
            T, init = make(n)
            rep = 1 if (T.ndim == 3 and n >= 3000) else 3
            s, t = timed(lambda: markov.markov_information_summary(n, T, init), repeat=rep)
            rows.append([name, n, fmt(t), f"{abs(s['Z'].sum() - s['TC']):.1e}",
                         f"{s['Z'][-1]:.4f}"])
            print(rows[-1])
    for n in (1000, 10_000):
        T = rng.dirichlet(np.ones(4), size=(n - 1, 4))
        s, t = timed(lambda: markov.markov_information_summary(n, T, mixing_tol=1e-12))
        rows.append([f"per-step, mixing_tol=1e-12 (bound {s['Z_error_bound'].max():.0e})", n,
                     fmt(t), f"{abs(s['Z'].sum() - s['TC']):.1e}", f"{s['Z'][-1]:.4f}"])
        print(rows[-1])
    lines += ["### Markov chain, structured only (q = 4)", "",
              "Check column: |sum_j Z_j - TC| (Lemma 8; TC = M_1 computed separately).", "",
              markdown_table(["chain", "n", "time", "|sum Z - TC|", "Z_n (nats)"], rows), ""]

    # ---------------------------------------------------------------- codes
    rows = []
    for p, d, n in [(2, 6, 12), (2, 8, 16), (3, 5, 12), (2, 10, 20), (2, 12, 24)]:
        G = rng.integers(0, p, size=(d, n))
        Zs, ts = timed(lambda: codes.code_information_curve(G, p))
        if (p + 1) ** n <= 3 ** 16:
            Zd, td = timed(lambda: information_curve(families.linear_code(G, p)))
            rows.append([p, d, n, fmt(td), fmt(ts), f"{td / ts:,.0f}x",
                         f"{np.abs(Zs - Zd).max():.1e}"])
        else:
            rows.append([p, d, n, "-", fmt(ts), "-", "-"])
        print(rows[-1])
    G = rng.integers(0, 2, size=(100, 200))
    est, t = timed(lambda: codes.code_curve_monte_carlo(G, 2, 500, seed=0))
    lines += ["### Linear codes: rank enumeration vs dense sweep", "",
              markdown_table(["p", "d", "n", "dense", "enumeration", "speed-up", "max diff"],
                             rows), "",
              f"Monte Carlo, random binary [200, 100] code, 500 permutations: {fmt(t)}, "
              f"max per-j s.e. {est.Z_se.max():.4f} nats.", ""]

    # ---------------------------------------------------------------- mixtures
    rows = []
    w, f = [0.5, 0.5], np.array([[0.1, 0.9], [0.9, 0.1]])
    for n in (10, 14):
        Zs, ts = timed(lambda: mixtures.exchangeable_mixture_information_curve(w, f, n))
        comps = np.broadcast_to(f[:, None], (2, n, 2))
        Zd, td = timed(lambda: information_curve(mixtures.mixture_of_products_table(w, comps)))
        rows.append([n, fmt(td), fmt(ts), f"{td / ts:,.0f}x", f"{np.abs(Zs - Zd).max():.1e}"])
    for n in (100, 1000, 10_000):
        Zs, ts = timed(lambda: mixtures.exchangeable_mixture_information_curve(w, f, n))
        rows.append([n, "-", fmt(ts), "-", f"Z_n = {Zs[-1]:.4f}"])
        print(rows[-1])
    lines += ["### Exchangeable mixture 1/2 Bern(0.1)^n + 1/2 Bern(0.9)^n: type sum vs dense",
              "", markdown_table(["n", "dense", "type sum (exact)", "speed-up", "max diff"],
                                 rows), ""]

    body = "\n".join(lines)
    print(body)
    write_section("bench_structured", "## bench_structured\n\n" + body)


if __name__ == "__main__":
    main()
