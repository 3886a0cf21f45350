"""Learned unmasking policies on the exact laws of the adaptive-gap table (n = 10, q = 2).

Trains a small :class:`~mdmtheory.policies.learned.DiTPolicyNet` by GRPO
(Jazbec et al., "Learning Unmasking Policies for Diffusion Language Models",
arXiv 2512.09106) with the *exact* law as environment
(:func:`~mdmtheory.policies.learned.train_grpo`), for a few families of the
gap table of ``benchmarks/bench_adaptive.py`` and two speed exponents
``alpha``, then evaluates every trained policy *exactly*
(:func:`~mdmtheory.policies.exact.evaluate_policy`, the evaluation mode with
the fallback) at two test-time beta-scalings, on the gap table's reward
(``E log mu`` nats for full-support laws, ``nu(supp mu)`` for codes).

Run (seeded, torch on ONE thread; a few minutes per policy on one core)::

    OMP_NUM_THREADS=1 python scripts/adaptive_learned.py train   # checkpoints
    OMP_NUM_THREADS=1 python scripts/adaptive_learned.py eval    # exact points

Training rewards: ``correct = mu(x) / max mu`` (``"likelihood"``) on the
full-support laws, ``1[mu(x) > 0]`` (``"support"``) on codes, times
``((L - NFE + 1)/L)^alpha``.  Checkpoints (float16, ~0.2 MB each) go to
``scripts/adaptive_checkpoints/``; the exact points to
``scripts/adaptive_checkpoints/learned_points.json``, which
``benchmarks/bench_adaptive.py`` adds to the gap table as the rule
"learned (GRPO)".  Not run by the tests.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from bench_adaptive import gap_families  # noqa: E402

from mdmtheory.policies.exact import evaluate_policy  # noqa: E402
from mdmtheory.policies.gaps import law_reward  # noqa: E402
from mdmtheory.policies.grpo import load_policy, save_policy  # noqa: E402
from mdmtheory.policies.learned import GRPOConfig, train_grpo  # noqa: E402

OUT = ROOT / "scripts" / "adaptive_checkpoints"
POINTS = OUT / "learned_points.json"
#: Families of the gap table with an adaptivity gain to capture.
FAMILIES = ("Markov chain, flip 0.1", "mixture of two products 0.9/0.1",
            "random linear code [10,5] over F_2")
ALPHAS = (0.5, 2.0)
BETAS = (1.0, 3.0)
ITERATIONS = 150


def slug(label: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in label.split(",")[0].lower()).strip("_")


def laws() -> dict:
    return {lab: (mu, rew) for lab, mu, rew in gap_families() if lab in FAMILIES}


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
    for lab, (mu, rew) in laws().items():
        pts = out.setdefault(lab, [])
        done = {(p["alpha"], p["beta"]) for p in pts}
        for alpha in ALPHAS:
            path = OUT / f"{slug(lab)}_a{alpha:g}_s0.pt"
            if not path.is_file():
                continue
            pol, st = load_policy(path)
            for beta in BETAS:
                if (alpha, beta) in done:
                    continue
                t0 = time.process_time()
                law = evaluate_policy(mu, pol.with_knobs(beta=beta), fallback=True)
                r = law_reward(law, rew)
                pts.append({"alpha": alpha, "beta": beta, "nfe": law.expected_nfe,
                            "reward": r, "accuracy": law.accuracy,
                            "train_cpu_s": st["meta"].get("cpu_seconds"),
                            "eval_cpu_s": time.process_time() - t0})
                print(lab, pts[-1], flush=True)
                POINTS.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "train":
        train()
    elif cmd == "eval":
        evaluate()
    elif cmd == "all":
        train()
        evaluate()
    else:
        sys.exit("usage: adaptive_learned.py train|eval|all")
