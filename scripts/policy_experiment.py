"""Learned unmasking policies vs every heuristic on small trained dLLMs (and on the exact law).

Reproduces, at small scale, the two findings of Jazbec et al. (2025): a policy
trained by GRPO with the dLLM as environment (i) matches the heuristics in
semi-autoregressive generation (small blocks) and (ii) beats them in full
diffusion (one block).

Sub-commands (all seeded, torch on ONE thread)::

    python scripts/policy_experiment.py train --task sudoku4 --bl 4 --alpha 1
    python scripts/policy_experiment.py eval  --task sudoku4 --bl 4 --env neural
    python scripts/policy_experiment.py eval  --task sudoku4 --bl 4 --env exact

``train`` runs GRPO on the *neural* environment (the trained denoiser of
:func:`mdmtheory.dlm.load_checkpoint`, greedy tokens, training mode without
the fallback) with training prompts of the task, and writes a float16
checkpoint to ``scripts/policy_checkpoints/``.  ``eval`` runs every heuristic
(hyper-parameters swept), the learned policies (alpha swept) and the
optimal oblivious schedule on held-out prompts, in the
evaluation mode (fallback on, greedy tokens), and writes
``scripts/policy_results/<task>_<env>_bl<BL>.json``: per policy the accuracy
with its 95 % Wilson interval and the mean NFE with a 95 % normal interval
(both pointwise; the prompts are the same for all policies).

The oblivious schedule: the information curve ``Z`` (Def 3)
of the *prompted* generation is the bridge's estimate
(:func:`mdmtheory.bridge.estimate_from_rows` on rows drawn by
:func:`mdmtheory.bridge.sample_rows` from the environment's own law of the free
positions given the clues, :class:`mdmtheory.bridge.prompted.PromptedModel`;
one row per held-out prompt, pooled per number ``m`` of free positions), and
the schedule is :func:`mdmtheory.bridge.schedule_from_estimate` (the DP of
Thm 1.4) of that estimate; positions in random order (the sampler of the
paper's §1).  Semi-autoregressive (``BL`` < length): the same per block, the
curve being that of the block's masked cells given the prompt and the blocks
before it (drawn by the model itself), pooled per number of masked cells of
the block; a total budget ``k`` is split evenly, ``k / num_blocks`` passes per
block (swept over 1..BL).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402
import torch  # noqa: E402

from mdmtheory.policies import (  # noqa: E402
    DUS,
    KLASS,
    ConfidenceThreshold,
    DreamOrigin,
    DreamThreshold,
    DreamTopK,
    EBSampler,
    FactorRule,
    PCSampler,
    RandomK,
    TopK,
)
from mdmtheory.policies.grpo import EnvGRPOConfig, load_policy, save_policy, train_grpo_env  # noqa: E402
from mdmtheory.policies.mdp import MASK, Observation, Policy, UnmaskingMDP  # noqa: E402

HERE = Path(__file__).resolve().parent
CKPT = HERE / "policy_checkpoints"
RES = HERE / "policy_results"
ALPHAS = (0.0, 0.3, 1.0, 3.0, 10.0)


# ============================================================================ environment
def get_task(name: str):
    from mdmtheory.tasks import get_task as gt

    return gt(name)


def make_oracle(task, env: str, device: str = "cpu"):
    """The environment: the trained denoiser ('neural') or the exact task law ('exact')."""
    if env == "neural":
        from mdmtheory.dlm import load_checkpoint
        from mdmtheory.policies.neural import DenoiserOracle

        den, _ = load_checkpoint(task.name, device=device)
        den.eval()
        return SafeOracle(DenoiserOracle(den, n=task.length, tokens=task.answer_tokens))
    if env == "exact":
        orc = task.oracle
        if orc is None:
            raise ValueError(f"task {task.name!r} has no exact law")
        return SafeOracle(orc)
    raise ValueError(f"env must be 'neural' or 'exact', got {env!r}")


class SafeOracle:
    """An oracle wrapper: a context of probability zero (the tokens of one pass are
    drawn independently and may be jointly impossible) gets uniform conditionals."""

    def __init__(self, oracle):
        self.oracle, self.n, self.q = oracle, oracle.n, oracle.q
        if hasattr(oracle, "null_context"):
            oracle.null_context = "uniform"

    def __call__(self, x, revealed):
        try:
            return self.oracle(x, revealed)
        except ValueError:
            out = np.empty((x.shape[0], self.n, self.q))
            for b in range(x.shape[0]):
                try:
                    out[b] = self.oracle(x[b:b + 1], revealed[b:b + 1])[0]
                except ValueError:
                    out[b] = 1.0 / self.q
            return out


def _maps(task):
    tok = np.asarray(task.answer_tokens, dtype=np.int64)
    inv = np.full(max(int(tok.max()), task.mask_id, task.vocab_size) + 1, MASK, dtype=np.int64)
    inv[tok] = np.arange(tok.size)
    return tok, inv


def to_mdp_prompts(task, P) -> np.ndarray:
    """Task prompts (vocabulary ids, ``mask_id`` where generated) -> MDP alphabet, ``MASK``."""
    _, inv = _maps(task)
    P = np.asarray(P)
    return np.where(P == task.mask_id, MASK, inv[P]).astype(np.int64)


def to_task_tokens(task, x: np.ndarray) -> np.ndarray:
    tok, _ = _maps(task)
    return np.where(x == MASK, task.mask_id, tok[np.clip(x, 0, tok.size - 1)])


def train_prompt_sampler(task):
    def sample(num: int, rng: np.random.Generator) -> np.ndarray:
        x, c = task.training_batch(num, rng)
        return to_mdp_prompts(task, np.where(c.numpy(), x.numpy(), task.mask_id))

    return sample


def correct_fn(task):
    def ok(x: np.ndarray, prompts: np.ndarray) -> np.ndarray:
        return task.is_correct(torch.as_tensor(to_task_tokens(task, x)),
                               torch.as_tensor(to_task_tokens(task, prompts))).numpy()

    return ok


# ============================================================================ statistics
def wilson(k: int, n: int) -> tuple[float, float]:
    """95 % Wilson score interval for a binomial proportion (pointwise; SciPy's)."""
    if n == 0:
        return (0.0, 1.0)
    ci = stats.binomtest(int(k), int(n)).proportion_ci(0.95, method="wilson")
    return (float(ci.low), float(ci.high))


def summarize(name: str, family: str, ok: np.ndarray, nfe: np.ndarray, **extra) -> dict:
    k, n = int(ok.sum()), ok.size
    lo, hi = wilson(k, n)
    se = float(nfe.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
    return {"name": name, "family": family, "acc": k / n, "acc_lo": lo, "acc_hi": hi,
            "nfe": float(nfe.mean()), "nfe_lo": float(nfe.mean() - 1.96 * se),
            "nfe_hi": float(nfe.mean() + 1.96 * se), "n": n, **extra}


# ============================================================================ oblivious schedule
def bridge_schedules(oracle, prompts: np.ndarray, ks, seed: int, bl: int | None = None) -> dict:
    """The optimal oblivious schedule of the prompted generation from the bridge's estimate.

    Full diffusion (``bl`` None or at least the length): for every held-out
    prompt, the environment's law of its free positions given the clues
    (:class:`mdmtheory.bridge.prompted.PromptedModel`) draws one row with the
    bridge's n-step sampler (:func:`mdmtheory.bridge.sample_rows`).

    Semi-autoregressive (``bl`` smaller than the length): the blocks of ``bl``
    positions are taken left to right; block ``b``'s law is that of its masked
    positions given the prompt and the blocks before it, the later blocks
    staying masked (``PromptedModel(..., free=block cells)``); one row is drawn
    from it and written into the clues of block ``b + 1`` -- so the prefix of
    every block is the model's own sample.

    The rows of all (prompt, block) pairs with the same number ``m`` of free
    positions give the bridge's estimate of ``Z`` (Def 3;
    :func:`mdmtheory.bridge.estimate_from_rows`, i.i.d. rows, one per prompt
    and block) -- the prompt-averaged curve, which is all an oblivious schedule
    may depend on -- and :func:`mdmtheory.bridge.schedule_from_estimate`
    (Thm 1.4's DP on the monotone estimate, default form) the optimal
    ``min(k, m)``-step schedule for every budget ``k`` of ``ks`` (in
    semi-autoregressive mode ``k`` is the budget of one block).

    Returns ``{m: {"sizes": {k: sizes}, "pred_kl": {k: (value, lo, hi)}, "rows": R,
    "passes": P, "Z": [...], "Z_lo": [...], "Z_hi": [...]}}``.
    """
    from mdmtheory.bridge import estimate_from_rows, sample_rows, schedule_from_estimate
    from mdmtheory.bridge.measured import SampledRows
    from mdmtheory.bridge.prompted import PromptedModel

    n = prompts.shape[1]
    bl = n if bl is None else min(int(bl), n)
    groups: dict[int, list] = {}  # m -> [(model, rows), ...]
    for i in range(prompts.shape[0]):
        clues = np.where(prompts[i] == MASK, -1, prompts[i])
        for lo in range(0, n, bl):
            cells = lo + np.flatnonzero(clues[lo:lo + bl] < 0)
            if cells.size == 0:
                continue
            pm = PromptedModel(oracle, clues, q=oracle.q, free=cells)
            rid = i + prompts.shape[0] * (lo // bl)  # full diffusion: row i, as before
            r = sample_rows(pm, 1, int(cells.size), seed=seed, row_ids=[rid], progress=False)
            groups.setdefault(int(cells.size), []).append((pm, r))
            clues = clues.copy()
            clues[cells] = r.x[0]
    out: dict[int, dict] = {}
    for m, parts in sorted(groups.items()):
        if len(parts) < 2:
            continue
        est = estimate_from_rows(parts[-1][0], SampledRows.concatenate([r for _, r in parts]),
                                 progress=False)
        entry = {"sizes": {}, "pred_kl": {}, "rows": est.n_rows, "passes": est.passes}
        cur = est.curve()
        entry.update(Z=cur.Z.tolist(), Z_lo=cur.Z_lo.tolist(), Z_hi=cur.Z_hi.tolist())
        for k in ks:
            kk = min(int(k), int(m))
            se = schedule_from_estimate(est, kk, n_boot=50, seed=seed)
            entry["sizes"][int(k)] = [int(v) for v in se.schedule.sizes]
            entry["pred_kl"][int(k)] = (float(se.error.value), float(se.error.lo),
                                        float(se.error.hi))
        out[int(m)] = entry
    return out


class ObliviousSchedule(Policy):
    """Random positions with a fixed schedule of sizes per number ``m`` of masked cells.

    ``m`` is the count of the current block when it was entered (the whole
    buffer in full diffusion); pass ``t`` of the block unmasks ``sizes_by_m[m][t]``
    positions drawn uniformly among the block's masked ones (the sampler of the
    paper's §1 run block by block).
    """

    def __init__(self, sizes_by_m: dict[int, np.ndarray], k: int):
        self.sizes_by_m = {m: np.asarray(s) for m, s in sizes_by_m.items()}
        self.k = k
        self.name = f"oblivious-opt(k={k})"

    def sample_actions(self, obs: Observation, rng) -> np.ndarray:
        m0 = obs.start_count
        cnt = np.array([self.sizes_by_m[int(m)][min(int(t), len(self.sizes_by_m[int(m)]) - 1)]
                        if t < len(self.sizes_by_m[int(m)]) else a
                        for m, t, a in zip(m0, obs.step_in_block, obs.active.sum(axis=1))])
        u = np.where(obs.active, rng.random(obs.x.shape), -1.0)
        rank = np.argsort(np.argsort(-u, axis=1), axis=1)
        return (rank < cnt[:, None]) & obs.active


# ============================================================================ policies
def heuristic_grid(bl: int, n: int, small: bool = False) -> list[tuple[str, Policy]]:
    """Every heuristic with its hyper-parameter sweep (``small``: a coarser sweep)."""
    if small:
        S = sorted({s for s in (2, 8, bl) if s <= bl})
        out = []
        for s in S:
            out += [("random", RandomK(s)), ("top-k confidence", TopK(s, "confidence")),
                    ("top-k margin", TopK(s, "margin")), ("top-k entropy", TopK(s, "entropy")),
                    ("PC-sampler", PCSampler(s)), ("Dream origin", DreamOrigin(s)),
                    ("Dream alg_temp", DreamTopK(s, "confidence", alg_temp=0.1))]
        out += [("Fast-dLLM threshold", ConfidenceThreshold(lam)) for lam in (0.5, 0.7, 0.9)]
        out += [("Fast-dLLM (Dream)", DreamThreshold(lam, steps=min(bl, 4))) for lam in (0.7, 0.9)]
        out += [("Fast-dLLM factor", FactorRule(f)) for f in (1.0, 2.0)]
        out += [("EB-sampler", EBSampler(g)) for g in (0.1, 1.0)]
        out += [("KLASS", KLASS(steps=bl, conf_threshold=0.6, kl_threshold=0.015)), ("DUS", DUS())]
        return out
    S = sorted({s for s in (1, 2, 3, 4, 6, 8, 12, 16) if s <= bl})
    out: list[tuple[str, Policy]] = []
    for s in S:
        out += [("random", RandomK(s)), ("top-k confidence", TopK(s, "confidence")),
                ("top-k margin", TopK(s, "margin")), ("top-k entropy", TopK(s, "entropy")),
                ("PC-sampler", PCSampler(s)), ("Dream origin", DreamOrigin(s)),
                ("Dream alg_temp", DreamTopK(s, "confidence", alg_temp=0.1))]
    for lam in (0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99):
        out += [("Fast-dLLM threshold", ConfidenceThreshold(lam)),
                ("Fast-dLLM (Dream)", DreamThreshold(lam, steps=max(1, min(bl, 4))))]
    for f in (0.25, 0.5, 1.0, 2.0, 4.0):
        out.append(("Fast-dLLM factor", FactorRule(f)))
    for g in (0.001, 0.01, 0.1, 0.3, 1.0, 3.0):
        out.append(("EB-sampler", EBSampler(g)))
    for kap in (0.001, 0.015, 0.1, 0.5):
        out.append(("KLASS", KLASS(steps=bl, conf_threshold=0.6, kl_threshold=kap, history=2)))
    out.append(("DUS", DUS()))
    return out


def evaluate(policy: Policy, mdp: UnmaskingMDP, prompts: np.ndarray, ok_fn, seed: int):
    ro = mdp.rollout(policy, prompts=prompts, rng=seed)
    ok = ok_fn(ro.x, prompts) & ro.complete
    return ok, ro.nfe


def ckpt_name(task: str, env: str, bl: int, alpha: float, seed: int, tag: str = "") -> Path:
    return CKPT / f"{task}_{env}_bl{bl}_a{alpha:g}_s{seed}{tag}.pt"


# ============================================================================ commands
def cmd_train(a) -> None:
    torch.set_num_threads(1)
    task = get_task(a.task)
    mdp = UnmaskingMDP(make_oracle(task, a.env), n=task.length, q=task.q, block_length=a.bl,
                       token_mode="argmax", fallback=False)
    cfg = EnvGRPOConfig(alpha=a.alpha, iterations=a.iters, prompts_per_batch=a.prompts,
                        lr=a.lr, seed=a.seed, expert_rollouts=a.expert,
                        policy_temperature=a.tau)
    expert = ConfidenceThreshold(0.9) if a.expert else None
    t0 = time.perf_counter()
    res = train_grpo_env(mdp, train_prompt_sampler(task), correct_fn(task), cfg, expert=expert)
    dt = time.perf_counter() - t0
    CKPT.mkdir(exist_ok=True)
    path = ckpt_name(a.task, a.env, a.bl, a.alpha, a.seed, "_es" if a.expert else "")
    save_policy(res, path, meta={"task": a.task, "env": a.env, "block_length": a.bl,
                                 "seconds": dt, "torch_threads": 1})
    h = res.history
    print(f"{path.name}: {dt:.0f}s; last-10 reward {np.mean(h['reward'][-10:]):.3f} "
          f"acc {np.mean(h['accuracy'][-10:]):.3f} nfe {np.mean(h['nfe'][-10:]):.2f}")


def learned_name(pol, st, path: Path) -> tuple[str, str]:
    """Row name and family of a learned-policy checkpoint (env, seed, expert steering)."""
    tenv = st["meta"].get("env", "neural")
    es = " +ES" if "_es" in path.name else ""
    seed = st["config"].get("seed", 0)
    return f"{pol.name} [{tenv}{es}, seed {seed}]", f"learned ({tenv}-trained{es})"


def cmd_eval(a) -> None:
    torch.set_num_threads(1)
    task = get_task(a.task)
    orc = make_oracle(task, a.env)
    mdp = UnmaskingMDP(orc, n=task.length, q=task.q, block_length=a.bl, token_mode="argmax",
                       fallback=True)
    prompts = to_mdp_prompts(task, task.prompts(a.num, seed=a.seed))
    ok_fn = correct_fn(task)
    out = RES / f"{a.task}_{a.env}_bl{a.bl}.json"
    old = json.loads(out.read_text()) if out.exists() else None
    redo = {"heuristics": not (a.learned_only or a.oblivious_only) or old is None,
            "learned": not a.oblivious_only or old is None,
            "oblivious": a.oblivious and not a.learned_only}
    keep = {"heuristics": lambda f: not f.startswith("learned") and f != "oblivious optimal",
            "learned": lambda f: f.startswith("learned"),
            "oblivious": lambda f: f == "oblivious optimal"}
    rows: list[dict] = []
    extra = {k: v for k, v in (old or {}).items()
             if k in ("heuristics_seconds", "bridge_z", "bridge_z_seconds")}
    if old is not None:
        rows = [r for r in old["rows"] if not any(keep[k](r["family"]) for k in redo if redo[k])]
    t0 = time.perf_counter()
    if redo["heuristics"]:
        for fam, pol in heuristic_grid(a.bl, task.length, small=a.small):
            ok, nfe = evaluate(pol, mdp, prompts, ok_fn, a.seed)
            rows.append(summarize(pol.name, fam, ok, nfe))
        extra["heuristics_seconds"] = time.perf_counter() - t0
    if redo["learned"]:
        done = set()
        if a.new_only and old is not None:  # keep the stored rows of checkpoints already evaluated
            for r in old["rows"]:
                if r["family"].startswith("learned") and (CKPT / r.get("ckpt", "?")).exists():
                    if "seed" not in r:  # rows written before the seed was recorded
                        r["seed"] = 0
                        r["name"] = r["name"][:-1] + ", seed 0]"
                    rows.append(r)
                    done.add(r["ckpt"])
        for path in sorted(CKPT.glob(f"{a.task}_*_bl{a.bl}_a*.pt")):
            if path.name in done:
                continue
            pol, st = load_policy(path)
            name, fam = learned_name(pol, st, path)
            ok, nfe = evaluate(pol, mdp, prompts, ok_fn, a.seed)
            rows.append(summarize(name, fam, ok, nfe, alpha=st["config"]["alpha"],
                                  seed=st["config"].get("seed", 0), ckpt=path.name))
    if redo["oblivious"]:  # optimal oblivious schedule from the bridge's Z of this environment
        nb = -(-task.length // a.bl)  # blocks; full diffusion: nb = 1
        # budgets k: full diffusion the fixed list; semi-AR k = nb * k_b, k_b = 1..BL passes
        # per block (a total k split evenly, at least one pass per block; a block with
        # m < k_b masked cells takes m)
        kbs = (1, 2, 3, 4, 6, 8) if nb == 1 else tuple(range(1, a.bl + 1))
        t1 = time.perf_counter()
        Pz = to_mdp_prompts(task, task.prompts(a.num_z, seed=a.seed + 1000))
        plan = bridge_schedules(orc, Pz, kbs, a.seed, bl=a.bl)
        extra["bridge_z_seconds"] = time.perf_counter() - t1
        cells = prompts == MASK  # free cells per block of every held-out prompt
        m_all = sorted({int(cells[:, lo:lo + a.bl].sum(axis=1)[i])
                        for lo in range(0, task.length, a.bl) for i in range(len(prompts))} - {0})
        # an m not drawn among the held-out Z prompts takes the nearest m's schedule
        near = {m: (m if m in plan else min(plan, key=lambda u: abs(u - m))) for m in m_all}
        for kb in kbs:
            sizes = {m: np.asarray(plan[near[m]]["sizes"][kb]) for m in m_all}
            name = f"oblivious-opt(k={kb})" if nb == 1 else \
                f"oblivious-opt(k={nb * kb}: {kb}/block)"
            ok, nfe = evaluate(ObliviousSchedule(sizes, nb * kb), mdp, prompts, ok_fn, a.seed)
            rows.append(summarize(name, "oblivious optimal", ok, nfe,
                                  pred_kl={str(m): plan[m]["pred_kl"][kb] for m in plan}))
        extra["bridge_z"] = {str(m): {**{kk: v for kk, v in e.items() if kk != "sizes"},
                                      "sizes": {str(k): s for k, s in e["sizes"].items()}}
                             for m, e in plan.items()}
    # table order: heuristics, oblivious, learned (stable within each group)
    rows.sort(key=lambda r: (r["family"] == "oblivious optimal")
              + 2 * r["family"].startswith("learned"))
    RES.mkdir(exist_ok=True)
    out.write_text(json.dumps({"task": a.task, "env": a.env, "block_length": a.bl,
                               "num_prompts": a.num, "seed": a.seed, "length": task.length,
                               **extra, "rows": rows}, indent=1))
    print(f"wrote {out} ({len(rows)} rows, {time.perf_counter() - t0:.0f}s)")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--task", required=True)
    t.add_argument("--env", default="neural", choices=("neural", "exact"))
    t.add_argument("--bl", type=int, required=True)
    t.add_argument("--alpha", type=float, default=1.0)
    t.add_argument("--iters", type=int, default=60)
    t.add_argument("--prompts", type=int, default=4)
    t.add_argument("--lr", type=float, default=3e-4)
    t.add_argument("--tau", type=float, default=1.0)
    t.add_argument("--expert", type=int, default=0)
    t.add_argument("--seed", type=int, default=0)
    e = sub.add_parser("eval")
    e.add_argument("--task", required=True)
    e.add_argument("--env", default="neural", choices=("neural", "exact"))
    e.add_argument("--bl", type=int, required=True)
    e.add_argument("--num", type=int, default=400)
    e.add_argument("--num-z", dest="num_z", type=int, default=400)
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--small", action="store_true", help="coarser heuristic sweep")
    e.add_argument("--no-oblivious", dest="oblivious", action="store_false")
    e.add_argument("--learned-only", dest="learned_only", action="store_true",
                   help="keep the stored heuristic and oblivious rows, redo the learned ones")
    e.add_argument("--new-only", dest="new_only", action="store_true",
                   help="with --learned-only: evaluate only checkpoints without a stored row")
    e.add_argument("--oblivious-only", dest="oblivious_only", action="store_true",
                   help="keep the stored heuristic and learned rows, redo the oblivious ones")
    a = ap.parse_args(argv)
    {"train": cmd_train, "eval": cmd_eval}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
