"""Learned unmasking policies on the exact laws of the adaptive-gap table (n = 10, q = 2).

Trains a small :class:`~mdmtheory.policies.learned.DiTPolicyNet` by GRPO
(Jazbec et al., "Learning Unmasking Policies for Diffusion Language Models",
arXiv 2512.09106) with the *exact* law as environment
(:func:`~mdmtheory.policies.learned.train_grpo`), for every family of the
gap table of ``benchmarks/bench_adaptive.py`` with an adaptivity gain to
capture (:data:`FAMILIES`) and two speed exponents
``alpha``, then evaluates every trained policy *exactly*
(:func:`~mdmtheory.policies.exact.evaluate_policy`, the evaluation mode with
the fallback) at two test-time beta-scalings, on the gap table's reward
(``E log mu`` nats for full-support laws, ``nu(supp mu)`` for codes).

Run (seeded, torch on ONE thread; a few minutes per policy on one core)::

    OMP_NUM_THREADS=1 python scripts/adaptive_learned.py train   # checkpoints
    OMP_NUM_THREADS=1 python scripts/adaptive_learned.py eval    # exact points
    OMP_NUM_THREADS=1 python scripts/adaptive_learned.py mc      # Monte Carlo points

Further arguments restrict a command to the families whose label contains one of
them, e.g. ``train "hidden Markov" Ising``.

Training rewards: ``correct = mu(x) / max mu`` (``"likelihood"``) on the
full-support laws, ``1[mu(x) > 0]`` (``"support"``) on codes, times
``((L - NFE + 1)/L)^alpha``.  Checkpoints (float16, ~0.2 MB each) go to
``scripts/adaptive_checkpoints/``; the exact points to
``scripts/adaptive_checkpoints/learned_points.json``, which
``benchmarks/bench_adaptive.py`` adds to the gap table as the rule
"learned (GRPO)"; ``mc`` writes Monte Carlo estimates (8,000 seeded episodes
per point, 95 % pointwise normal intervals) to ``learned_points_mc.json``,
used for the points the exact evaluator (~80 CPU s per point at n = 10) has
not reached.  Not run by the tests.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from bench_adaptive import gap_families  # noqa: E402

from mdmtheory.policies.exact import evaluate_policy, make_mdp  # noqa: E402
from mdmtheory.policies.gaps import law_reward  # noqa: E402
from mdmtheory.policies.grpo import load_policy, save_policy  # noqa: E402
from mdmtheory.policies.learned import GRPOConfig, train_grpo  # noqa: E402

OUT = ROOT / "scripts" / "adaptive_checkpoints"
POINTS = OUT / "learned_points.json"
POINTS_MC = OUT / "learned_points_mc.json"
#: Families of the gap table with an adaptivity gain to capture (the product law,
#: the repetition code and the parity code have none: their optimal oblivious
#: schedule is on the optimal adaptive front at every budget).
FAMILIES = ("Markov chain, flip 0.1", "mixture of two products 0.9/0.1",
            "random linear code [10,5] over F_2", "hidden Markov, flip 0.1, noise 0.15",
            "Ising chain J=0.6, h=0.3", "random Dirichlet(0.5)")
ALPHAS = (0.5, 2.0)
BETAS = (1.0, 3.0)
ITERATIONS = 150


def slug(label: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in label.split(",")[0].lower()).strip("_")


#: Restricts every command to the families whose label contains one of these
#: substrings (set from the command line; empty = all of FAMILIES).
ONLY: list[str] = []


def laws() -> dict:
    return {lab: (mu, rew) for lab, mu, rew in gap_families()
            if lab in FAMILIES and (not ONLY or any(o in lab for o in ONLY))}


def train() -> None:
    torch.set_num_threads(1)
    OUT.mkdir(exist_ok=True)
    for lab, (mu, rew) in laws().items():
        for alpha in ALPHAS:
            path = OUT / f"{slug(lab)}_a{alpha:g}_s0.pt"
            if path.is_file():
                continue
            cfg = GRPOConfig(alpha=alpha, iterations=ITERATIONS, seed=0,
                             reward="support" if rew == "correct" else "likelihood")
            t0 = time.process_time()
            res = train_grpo(mu, cfg)
            sec = time.process_time() - t0
            save_policy(res, path, meta={"family": lab, "cpu_seconds": sec})
            h = res.history
            print(f"{lab} alpha={alpha}: {sec:.0f} CPU s, last reward {h['reward'][-1]:.4f}, "
                  f"nfe {h['nfe'][-1]:.2f}", flush=True)


def evaluate() -> None:
    torch.set_num_threads(1)
    out = json.loads(POINTS.read_text()) if POINTS.is_file() else {}
    # beta = 1 (the trained policy as is) for every policy first, then the rescaled ones
    for beta in BETAS:
        for lab, (mu, rew) in laws().items():
            pts = out.setdefault(lab, [])
            done = {(p["alpha"], p["beta"]) for p in pts}
            for alpha in ALPHAS:
                path = OUT / f"{slug(lab)}_a{alpha:g}_s0.pt"
                if not path.is_file() or (alpha, beta) in done:
                    continue
                pol, st = load_policy(path)
                t0 = time.process_time()
                law = evaluate_policy(mu, pol.with_knobs(beta=beta), fallback=True)
                r = law_reward(law, rew)
                pts.append({"alpha": alpha, "beta": beta, "nfe": law.expected_nfe,
                            "reward": r, "accuracy": law.accuracy,
                            "train_cpu_s": st["meta"].get("cpu_seconds"),
                            "eval_cpu_s": time.process_time() - t0})
                print(lab, pts[-1], flush=True)
                POINTS.write_text(json.dumps(out, indent=1))


def evaluate_mc(episodes: int = 8000) -> None:
    """Monte Carlo points with 95 % normal intervals (pointwise), seeded; ~10x cheaper than
    the exact evaluator at n = 10 (which takes ~80 CPU s per policy)."""
    torch.set_num_threads(1)
    out = json.loads(POINTS_MC.read_text()) if POINTS_MC.is_file() else {}
    for beta in BETAS:
        for lab, (mu, rew) in laws().items():
            pts = out.setdefault(lab, [])
            done = {(p["alpha"], p["beta"]) for p in pts}
            mdp = make_mdp(mu, fallback=True)
            p = mu.p
            for alpha in ALPHAS:
                path = OUT / f"{slug(lab)}_a{alpha:g}_s0.pt"
                if not path.is_file() or (alpha, beta) in done:
                    continue
                pol, _ = load_policy(path)
                t0 = time.process_time()
                ro = mdp.rollout(pol.with_knobs(beta=beta), episodes,
                                 rng=np.random.default_rng([int(alpha * 10), int(beta)]))
                m = p[tuple(ro.x.T)]
                if rew == "correct":
                    r = (m > 0).astype(float)
                else:
                    with np.errstate(divide="ignore"):
                        r = np.log(m)
                nfe = ro.nfe.astype(float)
                z = 1.959963984540054
                pts.append({"alpha": alpha, "beta": beta, "episodes": episodes,
                            "nfe": float(nfe.mean()),
                            "nfe_hw": float(z * nfe.std(ddof=1) / np.sqrt(episodes)),
                            "reward": float(r.mean()),
                            "reward_hw": float(z * r.std(ddof=1) / np.sqrt(episodes)),
                            "mc_cpu_s": time.process_time() - t0})
                print(lab, pts[-1], flush=True)
                POINTS_MC.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    ONLY.extend(sys.argv[2:])
    if cmd == "train":
        train()
    elif cmd == "eval":
        evaluate()
    elif cmd == "mc":
        evaluate_mc()
    elif cmd == "all":
        train()
        evaluate()
    else:
        sys.exit("usage: adaptive_learned.py train|eval|mc|all [label substring ...]")
