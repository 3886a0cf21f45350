"""Train the small GRPO policies drawn in the policy figures and commit them (float16).

The figures ``fig_policy_fronts`` and ``fig_policy_order`` load these files and never
retrain, so that the drawn learned-policy points do not move between CPUs (a GRPO run
is seeded, but its float32 torch kernels are not bit-identical across CPU types, and a
few hundred optimiser steps amplify the difference).  Run this script only to
regenerate the checkpoints on purpose::

    OMP_NUM_THREADS=1 python figures/make_policy_checkpoints.py
"""

from __future__ import annotations

import pathlib

import torch

from mdmtheory.policies.grpo import save_policy
from mdmtheory.policies.learned import train_code_family_policy

HERE = pathlib.Path(__file__).resolve().parent / "policy_checkpoints"

#: (code length n, field size p, alpha): the runs drawn in the figures.
RUNS = ((4, 5, 0.0), (4, 5, 1.0), (4, 5, 3.0), (5, 5, 1.0))


def checkpoint_path(n: int, p: int, alpha: float) -> pathlib.Path:
    """Where the checkpoint of the code-family run ``(n, p, alpha)`` lives."""
    return HERE / f"code_rs{n}_p{p}_alpha{alpha:g}.pt"


def main() -> None:
    torch.set_num_threads(1)
    HERE.mkdir(exist_ok=True)
    for n, p, alpha in RUNS:
        res = train_code_family_policy(n, p, alpha=alpha, iterations=40, seed=0)
        save_policy(res, checkpoint_path(n, p, alpha),
                    meta={"family": f"RS[{n},d]_{p}, d=1..{n - 1}", "iterations": 40, "seed": 0,
                          "torch": torch.__version__})
        print("saved", checkpoint_path(n, p, alpha))


if __name__ == "__main__":
    main()
