#!/usr/bin/env python
"""Train and evaluate the project's small dLLMs (mdmtheory.dlm) on their tasks.

    python scripts/dlm_models.py train code markov sudoku4   # one thread each, sequentially
    python scripts/dlm_models.py eval [--rows 2048] [--prompts 500] [--json out.json]

``train`` runs ``python -m mdmtheory.dlm --config NAME --threads 1`` for
each name (the CPU configs finish in about 10-35 minutes each on one thread
of a shared 2-core machine) and overwrites the committed checkpoint.
``eval`` loads every committed task checkpoint and reports: held-out masked
NLL against the exact law on the same masks (nats per masked token), the
exact entropy rate where known, and the accuracy of a greedy one-token-per-step
decode (with a 95 % Wilson interval) for the model and for the exact law.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95 % Wilson score interval for a binomial proportion (pointwise)."""
    p = k / n
    den = 1 + z * z / n
    c = (p + z * z / (2 * n)) / den
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, c - h), min(1.0, c + h)


def _one_step_accuracy(net, task, P) -> float:
    """Accuracy when every masked position takes its arg-max token in one forward
    pass (1 NFE): the fully parallel extreme, for contrast with greedy."""
    import torch

    with torch.no_grad():
        tok = net(P).argmax(-1)
    ans = torch.where(P == task.mask_id, tok.cpu(), P)
    return float(task.is_correct(ans, P).float().mean())


def cmd_train(args) -> None:
    for name in args.names:
        subprocess.run([sys.executable, "-m", "mdmtheory.dlm", "--config", name,
                        "--threads", "1", "--no-progress"], check=True)


def cmd_eval(args) -> None:
    import torch

    torch.set_num_threads(args.threads)
    from mdmtheory.dlm import OracleDenoiser, greedy_decode, load_checkpoint, masked_nll
    from mdmtheory.tasks import get_task

    out = {}
    for name in args.names:
        net, meta = load_checkpoint(name)
        task = get_task(name if name != "kjv" else "kjv")
        t0 = time.perf_counter()
        r = masked_nll(net, task, rows=args.rows, seed=args.seed)
        rec = {"parameters": meta["parameters"], "train_seconds": meta["train_seconds"],
               "steps": meta["config"]["steps"], **r}
        if hasattr(task, "entropy_rate"):
            rec["entropy_rate"] = task.entropy_rate()
        P = task.prompts(args.prompts, seed=args.seed)
        t1 = time.perf_counter()
        ans = greedy_decode(net, P)
        rec["greedy_seconds_per_prompt"] = (time.perf_counter() - t1) / args.prompts
        k = int(task.is_correct(ans, P).sum())
        rec["greedy_accuracy"] = k / args.prompts
        rec["greedy_accuracy_ci95"] = wilson(k, args.prompts)
        rec["greedy_nfe"] = float((P == task.mask_id).sum(1).float().mean())
        rec["one_step_accuracy"] = _one_step_accuracy(net, task, P)
        if getattr(task, "oracle", None) is not None:
            oracle = OracleDenoiser(task)
            ko = int(task.is_correct(greedy_decode(oracle, P), P).sum())
            rec["exact_law_greedy_accuracy"] = ko / args.prompts
            rec["exact_law_one_step_accuracy"] = _one_step_accuracy(oracle, task, P)
        rec["eval_seconds"] = time.perf_counter() - t0
        out[name] = rec
        print(name, json.dumps(rec, indent=1), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("names", nargs="+")
    e = sub.add_parser("eval")
    e.add_argument("names", nargs="*", default=["code", "markov", "sudoku4", "kjv"])
    e.add_argument("--rows", type=int, default=2048)
    e.add_argument("--prompts", type=int, default=500)
    e.add_argument("--seed", type=int, default=1)
    e.add_argument("--threads", type=int, default=1)
    e.add_argument("--json", default=None)
    args = p.parse_args(argv)
    {"train": cmd_train, "eval": cmd_eval}[args.cmd](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
