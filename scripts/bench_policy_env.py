"""Benchmark: unmasking-MDP steps per second on a torch environment, and one GRPO update.

    OMP_NUM_THREADS=1 python scripts/bench_policy_env.py [--task sudoku4] [--env neural|exact]

Environment steps/s = (sum over rollouts of the passes they spent) / wall time,
for a batch of ``B`` rollouts in lock-step (one batched forward pass of the
denoiser per MDP step); reported for a heuristic (Fast-dLLM threshold 0.9) and
the paper-size learned policy (331,265 parameters, its own forward pass per
step).  GRPO update = the two clipped-ratio optimiser steps of one iteration on
``4 prompts x 8 rollouts`` (rollout time reported separately).  Torch on one
thread; median of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from mdmtheory.policies import ConfidenceThreshold  # noqa: E402
from mdmtheory.policies.grpo import EnvGRPOConfig, rollout_record  # noqa: E402
from mdmtheory.policies.learned import (  # noqa: E402
    DiTPolicyNet,
    LearnedPolicy,
    PolicyConfig,
    _grpo_update,
    grpo_advantages,
    speed_reward,
)
from mdmtheory.policies.mdp import UnmaskingMDP  # noqa: E402


def main(argv=None) -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from policy_experiment import correct_fn, get_task, make_oracle, to_mdp_prompts

    ap = argparse.ArgumentParser()
    ap.add_argument("--task", default="sudoku4")
    ap.add_argument("--env", default="neural")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    task = get_task(a.task)
    orc = make_oracle(task, a.env)
    res = {"task": a.task, "env": a.env, "threads": 1, "rows": []}
    torch.manual_seed(0)
    net = DiTPolicyNet(PolicyConfig.paper())
    net.eval()
    learned = LearnedPolicy(net)
    for bl in (4, task.length):
        mdp = UnmaskingMDP(orc, n=task.length, q=task.q, block_length=bl, token_mode="argmax")
        for B in (64, 256):
            prompts = to_mdp_prompts(task, task.prompts(B, seed=0))
            for name, pol in (("threshold 0.9", ConfidenceThreshold(0.9)), ("learned", learned)):
                ts, steps = [], 0
                for r in range(a.repeats):
                    t0 = time.perf_counter()
                    ro = mdp.rollout(pol, prompts=prompts, rng=r)
                    ts.append(time.perf_counter() - t0)
                    steps = int(ro.nfe.sum())
                t = float(np.median(ts))
                res["rows"].append({"kind": "env", "bl": bl, "batch": B, "policy": name,
                                    "seconds": t, "row_steps": steps,
                                    "row_steps_per_s": steps / t})
                print(f"BL={bl:3d} B={B:4d} {name:14s} {steps / t:9.0f} row-steps/s ({t:.2f}s)")
    # one GRPO update (4 prompts x 8 rollouts, training mode without fallback)
    mdp = UnmaskingMDP(orc, n=task.length, q=task.q, block_length=task.length,
                       token_mode="argmax", fallback=False)
    cfg = EnvGRPOConfig()
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, betas=cfg.betas,
                            weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    ok_fn = correct_fn(task)
    tr, tu = [], []
    rng = np.random.default_rng(0)
    for r in range(a.repeats):
        P = np.repeat(to_mdp_prompts(task, task.prompts(4, seed=r)), 8, axis=0)
        t0 = time.perf_counter()
        ro, rec = rollout_record(mdp, learned, P, rng)
        tr.append(time.perf_counter() - t0)
        R = speed_reward(ok_fn(ro.x, P) * ro.complete, ro.nfe, mdp.horizon, 1.0)
        A = grpo_advantages(R + 1e-3 * rng.standard_normal(R.size), 8)  # never all-zero
        t0 = time.perf_counter()
        _grpo_update(net, opt, sched, cfg, rec, A, R.size)
        tu.append(time.perf_counter() - t0)
        steps = int(rec["row"].size)
    res["grpo"] = {"rollout_seconds": float(np.median(tr)), "update_seconds": float(np.median(tu)),
                   "recorded_steps": steps, "rollouts": 32, "inner_steps": cfg.inner_steps}
    print(f"GRPO iteration (32 rollouts): rollouts {np.median(tr):.2f}s, update "
          f"({cfg.inner_steps} optimiser steps on {steps} recorded steps) {np.median(tu):.2f}s")
    if a.out:
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
