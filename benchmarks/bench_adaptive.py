"""Benchmark: exact optimal adaptive fronts and the gaps of every rule (n = 10, q = 2).

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_adaptive.py [--resume | --cpu]`` (about 10
minutes on 2 quiet cores; ``--resume`` keeps the families already in the JSON file).

* For every family of the package at ``n = 10, q = 2``: the optimal adaptive
  front (Lagrangian chord search, timed: the must-reach is < 1 minute each),
  the DP-optimal oblivious schedule and every heuristic, all exact; the table
  "how far from optimal" per rule and family.  Reward: ``"correct"``
  (``nu(supp mu)``) where the support is a proper subset of ``{0,1}^n``,
  ``"loglik"`` (``E_nu log mu``, nats) on full-support laws (where correctness
  is always 1).
* How the cost grows with ``n``: one DP solve and the whole front on the
  binary symmetric chain (flip 0.1, loglik) and on the parity code (correct).

Writes ``figures/fig_adaptive_gaps.json`` (read by ``figures/fig_adaptive_gaps.py``)
and the ``bench_adaptive`` section of ``benchmarks/RESULTS.md``.  The learned
policy (:mod:`mdmtheory.policies.learned`, GRPO on the exact law) enters the
table as the rule "learned (GRPO)" on the families it was trained for: its
exact points are read from ``scripts/adaptive_checkpoints/learned_points.json``,
Monte Carlo estimates from ``learned_points_mc.json`` where no exact point
exists (both written by ``scripts/adaptive_learned.py``).  With ``--resume``
and every family already in the JSON file, only the gap table is rebuilt from
the stored points (about a second).

``--cpu`` measures CPU seconds (one process, one thread) of every family's
front at ``n = 6, 8, 10, 12`` (``n = 12`` where the ``n = 10`` front and
the ~x25 growth per two positions keep it under a few minutes) and writes the
``bench_adaptive_cpu`` section.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from _results import machine_line, markdown_table, write_section  # noqa: E402

from mdmtheory import families  # noqa: E402
from mdmtheory.policies.adaptive_optimal import adaptive_front, solve_adaptive  # noqa: E402
from mdmtheory.policies.exact import default_policy_grid  # noqa: E402
from mdmtheory.policies.gaps import gap_report, gaps_from_points, summarize_gaps  # noqa: E402

N = 10
#: Fronts are computed to within TOL of the exact envelope (reward units), see
#: adaptive_front; families run before this option existed (product, Markov chain,
#: hidden Markov, Ising, mixture) were computed exactly (TOL = 0 in the JSON).
TOL = 1e-6
JSON = ROOT / "figures" / "fig_adaptive_gaps.json"
LEARNED = ROOT / "scripts" / "adaptive_checkpoints" / "learned_points.json"
LEARNED_MC = ROOT / "scripts" / "adaptive_checkpoints" / "learned_points_mc.json"
LEARNED_RULE = "learned (GRPO)"
#: CPU seconds of each front at n = 10 with the previous solver (one DP pass per
#: price, depth-first chord search), measured by ``--cpu`` at commit 0cb268f.
BEFORE_CPU_N10 = {"product (random marginals)": 0.4, "Markov chain, flip 0.1": 2.4,
                  "hidden Markov, flip 0.1, noise 0.15": 24.6,
                  "Ising chain J=0.6, h=0.3": 1.7, "mixture of two products 0.9/0.1": 5.5,
                  "random Dirichlet(0.5)": 72.1, "repetition code": 0.1,
                  "parity code": 0.4, "random linear code [10,5] over F_2": 0.2}


def _learned_raw() -> dict:
    """``label -> {(alpha, beta): {"exact": point, "mc": point}}`` from the script's files."""
    out: dict = {}
    for key, path in (("exact", LEARNED), ("mc", LEARNED_MC)):
        if path.is_file():
            for lab, pts in json.loads(path.read_text()).items():
                for p in pts:
                    out.setdefault(lab, {}).setdefault((p["alpha"], p["beta"]), {})[key] = p
    return out


def learned_points() -> dict:
    """``label -> {"nfe": [...], "reward": [...]}`` of the trained policies (empty if none).

    Exact points where the exact evaluator has run, Monte Carlo means elsewhere."""
    out = {}
    for lab, d in _learned_raw().items():
        pts = [v.get("exact", v.get("mc")) for _, v in sorted(d.items())]
        out[lab] = {"nfe": [p["nfe"] for p in pts],
                    "reward": [p["reward"] if np.isfinite(p["reward"]) else None for p in pts]}
    return out


def learned_rows() -> list[list]:
    """One row per trained policy and beta: the points, their source, exact-vs-MC agreement."""
    rows = []
    for lab, d in _learned_raw().items():
        for (alpha, beta), v in sorted(d.items()):
            ex, mc = v.get("exact"), v.get("mc")
            mc_s = (f"{mc['nfe']:.3f} ± {mc['nfe_hw']:.3f} / {mc['reward']:.3f} ± "
                    f"{mc['reward_hw']:.3f}") if mc else "-"
            ex_s = f"{ex['nfe']:.4f} / {ex['reward']:.4f}" if ex else "-"
            inside = "-"
            if ex and mc:
                inside = "yes" if (abs(ex["nfe"] - mc["nfe"]) <= mc["nfe_hw"] and abs(
                    ex["reward"] - mc["reward"]) <= mc["reward_hw"]) else "no"
            rows.append([lab, alpha, beta, ex_s, mc_s, inside])
    return rows


def gap_families(n: int = N) -> list[tuple[str, object, str]]:
    """(label, law, reward) for every family of the package at ``q = 2``."""
    rng = np.random.default_rng(7)
    G = rng.integers(0, 2, size=(n // 2, n))
    mix = families.mixture([families.product(np.tile([0.1, 0.9], (n, 1))),
                            families.product(np.tile([0.9, 0.1], (n, 1)))])
    hmm = families.hidden_markov(n, [[0.9, 0.1], [0.1, 0.9]], [[0.85, 0.15], [0.15, 0.85]])
    u = rng.uniform(0.05, 0.95, n)
    return [
        ("product (random marginals)", families.product(np.stack([u, 1 - u], axis=1)),
         "loglik"),
        ("Markov chain, flip 0.1", families.binary_symmetric_chain(n, 0.1), "loglik"),
        ("hidden Markov, flip 0.1, noise 0.15", hmm, "loglik"),
        ("Ising chain J=0.6, h=0.3", families.ising_chain(n, 0.6, 0.3), "loglik"),
        ("mixture of two products 0.9/0.1", mix, "loglik"),
        ("random Dirichlet(0.5)", families.random_dirichlet(n, 2, 0.5, seed=3), "loglik"),
        ("repetition code", families.repetition(n, 2), "correct"),
        ("parity code", families.parity(n, 2), "correct"),
        (f"random linear code [{n},{n // 2}] over F_2", families.linear_code(G, 2), "correct"),
    ]


def _num(x: float, d: int = 3) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:.{d}f}"


def _add_learned(fam: dict, points: dict) -> dict:
    """Add the learned policy's points to a stored family and recompute its gap summary
    from the stored fronts (the same numbers ``gap_report`` gives on the live objects)."""
    fam["rules"][LEARNED_RULE] = points
    gain, gaps = gaps_from_points(
        (fam["adaptive"]["nfe"], fam["adaptive"]["reward"]),
        (fam["oblivious"]["nfe"], fam["oblivious"]["reward"]),
        {k: (v["nfe"], [-np.inf if r is None else r for r in v["reward"]])
         for k, v in fam["rules"].items()}, N)
    fam["summary"] = summarize_gaps(gain, gaps)
    return fam["summary"]


def main(resume: bool = False) -> None:
    out = {"n": N, "families": []}
    if resume and JSON.is_file():  # keep the families already computed
        out["families"] = json.loads(JSON.read_text())["families"]
    done = {f["label"]: f for f in out["families"]}
    rows, lines = [], [f"Machine: {machine_line()} (2-core shared CPU, no GPU; other jobs "
                       "were running, so timings are upper bounds).", ""]
    time_rows = []
    learned = learned_points()
    for label, mu, reward in gap_families():
        if label in done:
            fam = done[label]
            if label in learned:
                _add_learned(fam, learned[label])
            for name, s in fam["summary"].items():
                rows.append([label, reward, name, _num(s["mean_gap"]), _num(s["max_gap"]),
                             _num(s["captured"], 2)])
            time_rows.append([label, reward, fam.get("tol", 0), len(fam["adaptive"]["nfe"]),
                              fam["solves"]])
            continue
        # for q = 2 the margin (2c - 1) and entropy (h(c), decreasing on c >= 1/2) scores are
        # increasing functions of the confidence c, so the three top-k rules coincide:
        # evaluate one of them
        grid = {k: v for k, v in default_policy_grid(N).items()
                if k not in ("top-k margin", "top-k entropy")}
        rep = gap_report(mu, reward, name=label, policies=grid, tol=TOL)
        summ = rep.summary()
        fam = {"label": label, "reward": reward,
               "adaptive": {"nfe": rep.adaptive.expected_nfe.tolist(),
                            "reward": rep.adaptive.expected_reward.tolist()},
               "oblivious": {"nfe": rep.oblivious.expected_nfe.tolist(),
                             "reward": rep.oblivious.expected_reward.tolist()},
               "rules": {k: {"nfe": v.expected_nfe.tolist(),
                             "reward": [float(r) if np.isfinite(r) else None
                                        for r in v.expected_reward]}
                         for k, v in rep.rules.items()},
               "gain": [float(g) if np.isfinite(g) else None for g in rep.gain],
               "summary": summ, "seconds": rep.seconds, "solves": rep.adaptive.solves,
               "tol": TOL}
        if label in learned:
            summ = _add_learned(fam, learned[label])
        out["families"].append(fam)
        for name, s in summ.items():
            rows.append([label, reward, name, _num(s["mean_gap"]), _num(s["max_gap"]),
                         _num(s["captured"], 2)])
        time_rows.append([label, reward, TOL, len(rep.adaptive), rep.adaptive.solves])
        print(label, rep.seconds, flush=True)
        JSON.write_text(json.dumps(out, indent=1, default=float))
    lines += ["### Optimal adaptive fronts, n = 10, q = 2: size per family", "",
              "`tol`: vertices above a chord by less than this are not resolved (the "
              "envelope is then within `tol` of the exact one); 0 = every vertex.  "
              "CPU times: the `bench_adaptive_cpu` section below.", "",
              markdown_table(["family", "reward", "tol", "vertices", "DP solves (prices)"],
                             time_rows), ""]
    lines += ["### How far from optimal (n = 10, q = 2)", "",
              "Gaps are `F*(N) - F_rule(N)` between upper concave envelopes of exact "
              "points at N = 1..10 expected forward passes (reward units: nats of "
              "`E log mu` for loglik, probability for correct); `captured` is the "
              "share of the adaptivity gain `F* - F_obl` the rule recovers, as a ratio "
              "of sums over N (negative: "
              "worse than the optimal oblivious schedule; n/a: no gain to capture).", "",
              markdown_table(["family", "reward", "rule", "mean gap", "max gap", "captured"],
                             rows), ""]
    lr = learned_rows()
    if lr:
        lines += ["### The learned policy (GRPO on the exact law)", "",
                  "A small `DiTPolicyNet` (d = 32) trained by GRPO on each law "
                  "(`scripts/adaptive_learned.py`: reward `mu(x)/max mu` or `1[mu(x) > 0]` "
                  "times `((L - NFE + 1)/L)^alpha`, 150 iterations of 128 episodes, seed 0, "
                  "13-38 CPU s each), evaluated with the fallback at two test-time "
                  "beta-scalings.  Exact: `evaluate_policy` (~80-90 CPU s per point); MC: "
                  "8,000 seeded episodes, 95 % pointwise normal intervals.  The gap table "
                  "uses the exact point where there is one, the MC mean otherwise (so "
                  "the learned policy's `captured` is an estimate there).", "",
                  markdown_table(["family", "alpha", "beta", "exact E NFE / E R",
                                  "MC E NFE / E R", "exact inside MC CI"], lr), ""]
    JSON.write_text(json.dumps(out, indent=1, default=float))
    write_section("bench_adaptive", "## Optimal adaptive policies and gaps (bench_adaptive.py)"
                  "\n\n" + "\n".join(lines))


def cpu_times(sizes=(6, 8, 10, 12), budget_s: float = 240.0) -> None:
    """CPU seconds (``time.process_time``, one thread) of each family's front at several ``n``:
    the cost on a quiet machine, unaffected by other jobs sharing the cores.  ``n = 12`` is
    skipped where 25x the ``n = 10`` time exceeds ``budget_s``."""
    solve_adaptive(families.repetition(3, 2), "loglik")  # JIT warm-up (cached kernels)
    adaptive_front(families.repetition(3, 2), "loglik")
    rows, grow = [], []
    for label, _, reward in gap_families():
        cells, prev = [], None
        for n in sizes:
            mu = dict((lab, m) for lab, m, _ in gap_families(n))[label.replace(
                "[10,5]", f"[{n},{n // 2}]")]
            if prev is not None and n > 10 and 25 * prev > budget_s:
                cells.append(f"not run (~{25 * prev:.0f} s)")
                continue
            t0 = time.process_time()
            fr = adaptive_front(mu, reward, tol=TOL)
            sec = time.process_time() - t0
            prev = sec
            cells.append(f"{sec:.2f} s ({len(fr)} v)")
            if n == N:
                rows.append([label, reward, TOL, len(fr), fr.solves,
                             f"{BEFORE_CPU_N10.get(label, float('nan')):.1f} s", f"{sec:.2f} s"])
            print(label, n, cells[-1], flush=True)
        grow.append([label, reward] + cells)
    write_section("bench_adaptive_cpu", "### Optimal adaptive fronts: CPU time "
                  "(bench_adaptive.py --cpu)\n\n"
                  f"Machine: {machine_line()} (2-core shared CPU, no GPU); CPU seconds of one "
                  "process (one thread), so other jobs on the shared cores do not inflate "
                  "them (they still share caches and memory bandwidth).  'before': the "
                  "previous solver (one DP pass per price, depth-first chord search), same "
                  "script; 'after': the chord search breadth first with each round's prices "
                  "in one batched DP pass, unsigned indices in the DP kernel and the forward "
                  "pass in a kernel (identical fronts bit for bit; the last two: the "
                  "`bench_unsigned_indices` section).\n\n"
                  "n = 10, q = 2:\n\n"
                  + markdown_table(["family", "reward", "tol", "vertices", "DP solves (prices)",
                                    "before", "after"], rows)
                  + "\n\nGrowth with n (whole front, tol = 1e-6; `v` = vertices).  One DP "
                  "pass enumerates `sum over live partial assignments of (q+1)^(masked)` "
                  "outcome products, at most `(2q+1)^n = 5^n` (x25 per two positions on "
                  "full-support laws), each multiplied into every price of the batch; the "
                  "number of vertices grows too.\n\n"
                  + markdown_table(["family", "reward"] + [f"n = {n}" for n in sizes], grow))


if __name__ == "__main__":
    if "--cpu" in sys.argv[1:]:
        cpu_times()
        sys.exit(0)
    main(resume="--resume" in sys.argv[1:])
