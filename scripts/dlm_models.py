#!/usr/bin/env python
"""Train and evaluate the project's small dLLMs (mdmtheory.dlm) on their tasks.

    python scripts/dlm_models.py train code markov sudoku4   # one thread each, sequentially
    python scripts/dlm_models.py eval [--rows 2048] [--prompts 500] [--json out.json]
    python scripts/dlm_models.py kjv --old A --new B [--json out.json]
    python scripts/dlm_models.py sudoku9 --ckpt PATH [--prompts 500] [--json out.json]
    python scripts/dlm_models.py record [NAMES]   # the regression-test figure of each json

``train`` runs ``python -m mdmtheory.dlm --config NAME --threads 1`` for
each name (the CPU configs finish in about 10-35 minutes each on one thread
of a shared 2-core machine) and overwrites the committed checkpoint.
``eval`` loads every committed task checkpoint and reports: held-out masked
NLL against the exact law on the same masks (nats per masked token), the
exact entropy rate where known, and the accuracy of a greedy one-token-per-step
decode (with a 95 % Wilson interval) for the model and for the exact law.
``kjv`` compares two KJV checkpoints on the same held-out windows and masks
under three protocols (see :func:`kjv_protocols`), with paired differences.
``sudoku9`` evaluates a 9x9 Sudoku checkpoint: held-out masked NLL and the
fraction of valid completions of held-out prompts under top-k confidence
(LLaDA ``low_confidence``) at several step counts, greedy and sampled tokens,
run in the unmasking MDP of :mod:`mdmtheory.policies.mdp`.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time


def wilson(k: int, n: int) -> tuple[float, float]:
    """95 % Wilson score interval for a binomial proportion (pointwise; SciPy's)."""
    from scipy import stats

    ci = stats.binomtest(int(k), int(n)).proportion_ci(0.95, method="wilson")
    return float(ci.low), float(ci.high)


def _one_step_accuracy(net, task, P) -> float:
    """Accuracy when every masked position takes its arg-max token in one forward
    pass (1 NFE): the fully parallel extreme, for contrast with greedy."""
    import torch

    with torch.no_grad():
        tok = net(P).argmax(-1)
    ans = torch.where(P == task.mask_id, tok.cpu(), P)
    return float(task.is_correct(ans, P).float().mean())


LN2 = math.log(2.0)


def legacy_kjv_rows(net, *, windows: int = 512, seed: int = 1234, batch: int = 64):
    """Per-window ``(ce_sum, masked)`` of the original KJV trainer's held-out
    evaluation (the protocol of the 2.245 figure recorded at training): ``windows``
    windows of the held-out text, start positions from ``default_rng(seed)`` drawn
    ``batch`` at a time, window ``w`` masked at ratio ``(w + 1/2) / windows`` on
    all 64 positions (no prefix), masks from a torch generator seeded ``seed``."""
    import numpy as np
    import torch

    from mdmtheory.dlm.kjv_text import encode, load_corpus
    from mdmtheory.tasks.kjv import KJV_OFFSET

    corpus = load_corpus()
    ids = encode(corpus.heldout, corpus.alphabet)
    L = net.seq_len
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    ce_all, m_all = [], []
    with torch.no_grad():
        for w0 in range(0, windows, batch):
            B = min(batch, windows - w0)
            st = rng.integers(0, ids.size - L, size=B)
            x = torch.as_tensor(np.stack([ids[a:a + L] for a in st]) + KJV_OFFSET)
            t = (torch.arange(w0, w0 + B, dtype=torch.float32) + 0.5) / windows
            m = torch.rand(x.shape, generator=gen) < t[:, None]
            inp = torch.where(m, torch.full_like(x, net.mask_id), x)
            ce = torch.nn.functional.cross_entropy(net(inp).float().reshape(B * L, -1),
                                                   x.reshape(-1), reduction="none")
            ce = ce.reshape(B, L) * m
            ce_all.append(ce.sum(1).double().numpy())
            m_all.append(m.sum(1).double().numpy())
    return np.concatenate(ce_all), np.concatenate(m_all)


def kjv_protocols(net, rows: int = 2048):
    """Per-row ``(ce, masked)`` of ``net`` under the three KJV protocols:
    ``legacy512`` (:func:`legacy_kjv_rows`), ``noprefix`` (``masked_nll_rows`` on
    ``KJVTask(prefix=0)``, ``rows`` windows, seed 1234: the 2.224 figure) and
    ``prefix32`` (the default task: first 32 characters are clues)."""
    from mdmtheory.dlm.evaluate import masked_nll_rows
    from mdmtheory.tasks import get_task

    out = {"legacy512": legacy_kjv_rows(net)}
    for key, task in (("noprefix", get_task("kjv", prefix=0)), ("prefix32", get_task("kjv"))):
        r = masked_nll_rows(net, task, rows=rows, seed=1234)
        out[key] = (r["ce"], r["masked"])
    return out


def cmd_kjv(args) -> None:
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    from mdmtheory.dlm import load_checkpoint
    from mdmtheory.dlm.evaluate import ratio_se

    res = {}
    nets = {}
    for tag, path in (("old", args.old), ("new", args.new)):
        net, meta = load_checkpoint(path)
        nets[tag] = kjv_protocols(net, args.rows)
        res[tag] = {"checkpoint": str(path), "config": meta["config"],
                    "parameters": meta["parameters"], "train_seconds": meta["train_seconds"]}
    z = 1.959964
    for proto in nets["old"]:
        for tag in ("old", "new"):
            ce, mm = nets[tag][proto]
            v, se = float(ce.sum() / mm.sum()), ratio_se(ce, mm)
            res[tag][proto] = {"nats": v, "se": se, "ci95": [v - z * se, v + z * se],
                               "bits": v / LN2, "bits_ci95": [(v - z * se) / LN2,
                                                              (v + z * se) / LN2],
                               "windows": int(ce.size), "masked_chars": int(mm.sum())}
        (ca, ma), (cb, mb) = nets["old"][proto], nets["new"][proto]
        assert np.array_equal(ma, mb), "the two models must see the same masks"
        d = float((cb - ca).sum() / ma.sum())
        se = ratio_se(cb - ca, ma)
        res.setdefault("new_minus_old", {})[proto] = {
            "nats": d, "se": se, "ci95": [d - z * se, d + z * se]}
        print(f"{proto}: old {res['old'][proto]['nats']:.4f} +- {res['old'][proto]['se']:.4f}, "
              f"new {res['new'][proto]['nats']:.4f} +- {res['new'][proto]['se']:.4f}, "
              f"paired new-old {d:+.4f} [{d - z * se:+.4f}, {d + z * se:+.4f}] nats/char",
              flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


def _units9():
    rows = [[9 * r + c for c in range(9)] for r in range(9)]
    cols = [[9 * r + c for r in range(9)] for c in range(9)]
    boxes = [[9 * (3 * br + i) + 3 * bc + j for i in range(3) for j in range(3)]
             for br in range(3) for bc in range(3)]
    return rows + cols + boxes


def singles_solver(prompt, mask_id: int = 9):
    """Fill a 9x9 prompt by naked and hidden singles only (no search); returns the
    grid, with ``mask_id`` where propagation got stuck.  A reference for how
    much of the task plain constraint propagation solves."""
    import numpy as np

    units = _units9()
    peers = [set() for _ in range(81)]
    for u in units:
        for i in u:
            peers[i].update(u)
    g = np.array(prompt, dtype=np.int64).copy()
    cand = np.ones((81, 9), dtype=bool)
    changed = True
    while changed:
        changed = False
        for i in range(81):
            if g[i] != mask_id:
                cand[i] = False
                cand[i, g[i]] = True
                for j in peers[i]:
                    if j != i and g[j] == mask_id and cand[j, g[i]]:
                        cand[j, g[i]] = False
                        changed = True
        for i in range(81):
            if g[i] == mask_id and cand[i].sum() == 1:
                g[i] = int(np.argmax(cand[i]))
                changed = True
        for u in units:
            for v in range(9):
                spots = [i for i in u if g[i] == mask_id and cand[i, v]]
                if len(spots) == 1 and not any(g[i] == v for i in u):
                    g[spots[0]] = v
                    changed = True
    return g


def cmd_sudoku9(args) -> None:
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    from mdmtheory.dlm import load_checkpoint, masked_nll
    from mdmtheory.policies.heuristics import TopKConfidence
    from mdmtheory.policies.mdp import MASK, UnmaskingMDP
    from mdmtheory.policies.neural import DenoiserOracle
    from mdmtheory.tasks import get_task

    task = get_task("sudoku9")
    net, meta = load_checkpoint(args.ckpt)
    t0 = time.perf_counter()
    rec = {"checkpoint": str(args.ckpt), "parameters": meta["parameters"],
           "train_seconds": meta["train_seconds"], "config": meta["config"],
           **masked_nll(net, task, rows=args.rows, seed=args.seed),
           "uniform_masked_nll": math.log(task.q)}
    print(f"masked NLL {rec['heldout_masked_nll']:.4f} +- {rec['heldout_masked_nll_se']:.4f} "
          f"(uniform {math.log(task.q):.4f})", flush=True)
    P = task.prompts(args.prompts, seed=args.seed)
    Pm = np.where(P.numpy() == task.mask_id, MASK, P.numpy())
    oracle = DenoiserOracle(net, n=task.length, tokens=task.answer_tokens)
    rec["mean_masked_per_prompt"] = float((P == task.mask_id).sum(1).float().mean())
    rows = []
    for mode in ("argmax", "sample"):
        mdp = UnmaskingMDP(oracle, n=task.length, q=task.q, token_mode=mode)
        for k in args.steps:
            t1 = time.perf_counter()
            ro = mdp.rollout(TopKConfidence(k), prompts=Pm, rng=args.seed)
            ans = torch.as_tensor(np.where(ro.x == MASK, task.mask_id, ro.x))
            ok = int(task.is_correct(ans, P).sum())
            lo, hi = wilson(ok, args.prompts)
            rows.append({"tokens": mode, "k": k, "valid": ok / args.prompts,
                         "valid_ci95": [lo, hi], "mean_nfe": float(np.mean(ro.nfe)),
                         "seconds": time.perf_counter() - t1})
            print(rows[-1], flush=True)
    rec["topk_confidence"] = rows
    solved = torch.as_tensor(np.stack([singles_solver(p) for p in P.numpy()]))
    ok = int(task.is_correct(solved, P).sum())
    rec["singles_solver"] = {"valid": ok / args.prompts,
                             "valid_ci95": list(wilson(ok, args.prompts))}
    print("naked/hidden singles only:", rec["singles_solver"], flush=True)
    rec["eval_seconds"] = time.perf_counter() - t0
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rec, f, indent=1)


#: Fixed small held-out set of the regression test (tests/test_dlm.py): rows, seed.
REGRESSION_ROWS, REGRESSION_SEED = 256, 4321


def regression_task_kwargs(task_name: str) -> dict:
    """Task options of the regression figure: KJV windows without a prefix."""
    return {"prefix": 0} if task_name == "kjv" else {}


def record_regression(path) -> dict:
    """Measure the committed (float16) weights of checkpoint ``path`` on the fixed
    regression set and write the figure into its JSON as ``regression``."""
    from mdmtheory.dlm import load_checkpoint, masked_nll
    from mdmtheory.dlm.checkpoint import checkpoint_path
    from mdmtheory.tasks import get_task

    net, meta = load_checkpoint(path)
    kw = regression_task_kwargs(meta["task"])
    r = masked_nll(net, get_task(meta["task"], **kw), rows=REGRESSION_ROWS,
                   seed=REGRESSION_SEED)
    reg = {"rows": REGRESSION_ROWS, "seed": REGRESSION_SEED, "task_kwargs": kw,
           "masked_nll": r["heldout_masked_nll"], "masked_nll_se": r["heldout_masked_nll_se"],
           "protocol": "mdmtheory.dlm.evaluate.masked_nll on the float16 weights"}
    if "excess_nll" in r:
        reg["excess_nll"] = r["excess_nll"]
    meta["regression"] = reg
    task = get_task(meta["task"])
    if hasattr(task, "entropy_rate"):  # nats per token of the stationary chain
        meta["entropy_rate"] = float(task.entropy_rate())
    if hasattr(task, "entropy"):  # H(X) / L of the exact law, nats per token
        meta["entropy_per_token"] = float(task.entropy()) / task.length
    elif hasattr(task, "grids"):  # uniform on the listed grids
        meta["entropy_per_token"] = math.log(len(task.grids)) / task.length
    if "heldout_masked_nll_se" not in meta:
        # the headline protocol (train(): heldout_windows rows, seed 1234) on the
        # float16 weights, for its row-clustered standard error
        h = masked_nll(net, get_task(meta["task"], **kw), rows=meta["heldout_windows"],
                       seed=1234)
        meta["heldout_masked_nll_se"] = h["heldout_masked_nll_se"]
        meta["heldout_masked_nll_fp16"] = h["heldout_masked_nll"]
    jp = checkpoint_path(path).with_suffix(".json")
    jp.write_text(json.dumps(meta, indent=1) + "\n")
    return reg


def cmd_record(args) -> None:
    import torch

    torch.set_num_threads(args.threads)
    for name in args.names:
        print(name, record_regression(name), flush=True)


def cmd_train(args) -> None:
    for name in args.names:
        subprocess.run([sys.executable, "-m", "mdmtheory.dlm", "--config", name,
                        "--threads", "1", "--no-progress"], check=True)
        from mdmtheory.dlm import CONFIGS

        record_regression(CONFIGS[name].task)


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
    k = sub.add_parser("kjv")
    k.add_argument("--old", required=True)
    k.add_argument("--new", required=True)
    k.add_argument("--rows", type=int, default=2048)
    k.add_argument("--threads", type=int, default=1)
    k.add_argument("--json", default=None)
    s9 = sub.add_parser("sudoku9")
    s9.add_argument("--ckpt", required=True)
    s9.add_argument("--rows", type=int, default=1024)
    s9.add_argument("--prompts", type=int, default=500)
    s9.add_argument("--steps", type=int, nargs="+", default=[8, 16, 32, 81])
    s9.add_argument("--seed", type=int, default=1)
    s9.add_argument("--threads", type=int, default=1)
    s9.add_argument("--json", default=None)
    r = sub.add_parser("record")
    r.add_argument("names", nargs="*", default=["code", "markov", "sudoku4", "kjv"])
    r.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    {"record": cmd_record, "train": cmd_train, "eval": cmd_eval, "kjv": cmd_kjv, "sudoku9": cmd_sudoku9}[args.cmd](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
