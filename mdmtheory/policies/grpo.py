"""GRPO for an unmasking policy on any environment with prompts (Jazbec et al. 2025, §3).

The environment is an :class:`~mdmtheory.policies.mdp.UnmaskingMDP` over any
oracle -- typically a trained denoiser through
:class:`~mdmtheory.policies.neural.DenoiserOracle` -- and a *task*: a prompt
sampler and a correctness check.  Each iteration draws ``P`` prompts, runs
``G`` rollouts of the current policy on each (one batch), scores them with
``R = correct * ((L - NFE + 1)/L)^alpha`` (NFE clipped at ``L``), centres the
rewards within each group (no std division), and takes ``inner_steps``
clipped-ratio steps (no KL term) on the per-step Bernoulli log-likelihood of
the executed actions (:func:`~mdmtheory.policies.learned._grpo_update`).
The denoiser is frozen and run greedily (``token_mode="argmax"``, the
anchors' temperature 0), so the variance within a group is the policy's.

Expert steering (optional): ``E`` rollouts of an expert heuristic (Fast-dLLM's
threshold in the anchors) join every group; the advantage is centred over the
``G + E`` rollouts and the expert's actions are scored with the mixture
likelihood ``(G/(G+E)) pi + E/(G+E)``.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, ClassVar

import numpy as np
import torch

from .grpo_config import GRPOBaseConfig
from .learned import (
    DiTPolicyNet,
    LearnedPolicy,
    PolicyConfig,
    _grpo_update,
    _threads,
    grpo_advantages,
    speed_reward,
)
from .mdp import Policy, UnmaskingMDP

__all__ = ["EnvGRPOConfig", "EnvTrainResult", "train_grpo_env", "rollout_record",
           "save_policy", "load_policy"]


@dataclass(frozen=True, kw_only=True)
class EnvGRPOConfig(GRPOBaseConfig):
    """GRPO hyper-parameters on a prompted environment (:func:`train_grpo_env`).

    The fields shared with :class:`~mdmtheory.policies.learned.GRPOConfig`, their
    meaning, their checks and the anchors' values are those of
    :class:`~mdmtheory.policies.grpo_config.GRPOBaseConfig`.  The defaults keep the
    anchors' group size, clip, inner steps, betas and weight decay, and scale the
    learning rate, warm-up, gradient clip and number of iterations to CPU runs of
    minutes: ``iterations = 100``, ``lr = 3e-4``, ``grad_clip = 1``, ``warmup = 10``
    (the anchors: lr ``3e-5``, warm-up 100, clip 0.2).

    ``fallback`` only chooses the likelihood that scores the executed actions; the
    environment's own ``fallback`` runs the rollouts, and the two should agree.

    Attributes
    ----------
    prompts_per_batch : int
        ``P``, prompts per rollout batch (one group each), ``>= 1``.  Default 4.
    policy_temperature : float
        Temperature ``tau`` of the policy, ``p_i = sigmoid(b_i / tau)``, ``> 0``, in
        training and in the returned policy.  Default 1.
    expert_rollouts : int
        ``E``, expert rollouts added to every group, ``>= 0`` (0: no expert
        steering).
    """

    prompts_per_batch: int = 4
    iterations: int = 100
    lr: float = 3e-4
    grad_clip: float = 1.0
    warmup: int = 10
    policy_temperature: float = 1.0
    expert_rollouts: int = 0

    _counts: ClassVar[tuple[str, ...]] = ("group_size", "prompts_per_batch", "iterations",
                                          "inner_steps")
    _non_negative_ints: ClassVar[tuple[str, ...]] = ("warmup", "expert_rollouts", "seed")
    _positive: ClassVar[tuple[str, ...]] = ("clip_eps", "lr", "grad_clip",
                                            "policy_temperature")


@dataclass
class EnvTrainResult:
    """The trained policy, its configs and the training curve."""

    policy: LearnedPolicy
    config: EnvGRPOConfig
    policy_config: PolicyConfig
    history: dict = field(default_factory=dict)


def rollout_record(mdp: UnmaskingMDP, policy: Policy, prompts: np.ndarray,
                   rng: np.random.Generator):
    """Roll out ``policy`` from ``prompts`` and collect the GRPO features of every step.

    Returns the :class:`~mdmtheory.policies.mdp.Rollout` and a dict of
    concatenated arrays ``c, m, t, active, act, row`` (executed actions).
    """
    ro = mdp.rollout(policy, prompts=prompts, rng=rng, record=True)
    rec = {"c": [], "m": [], "t": [], "active": [], "act": [], "row": []}
    for s in ro.steps:
        o = s["obs"]
        rec["c"].append(o.confidence)
        rec["m"].append(o.mask)
        rec["t"].append(o.time)
        rec["active"].append(o.active)
        rec["act"].append(s["executed"])
        rec["row"].append(s["rows"])
    return ro, {k: np.concatenate(v) for k, v in rec.items()}


def train_grpo_env(mdp: UnmaskingMDP, sample_prompts: Callable[[int, np.random.Generator], np.ndarray],
                   is_correct: Callable[[np.ndarray, np.ndarray], np.ndarray],
                   config: EnvGRPOConfig = EnvGRPOConfig(),
                   policy_config: PolicyConfig | None = None, *,
                   expert: Policy | None = None, progress: bool = False) -> EnvTrainResult:
    """Train a :class:`~mdmtheory.policies.learned.DiTPolicyNet` by GRPO on ``mdp``.

    Parameters
    ----------
    mdp : UnmaskingMDP
        The environment (its ``fallback`` is the training mode; the anchors
        train with ``fallback=False`` and evaluate with the fallback on).
    sample_prompts : callable ``(num, rng) -> (num, n) int``
        Training prompts (``MASK`` where generated).
    is_correct : callable ``(answers (B, n), prompts (B, n)) -> (B,) bool``
    config : EnvGRPOConfig
    policy_config : PolicyConfig, optional
        Default :meth:`PolicyConfig.paper` (331,265 parameters).
    expert : Policy, optional
        Expert-steering policy, used when ``config.expert_rollouts > 0``.

    Returns
    -------
    EnvTrainResult
        ``history`` has per iteration the mean reward, NFE, accuracy, loss and
        wall time.
    """
    cfg = config
    pc = PolicyConfig.paper() if policy_config is None else policy_config
    if cfg.group_size < 2:
        raise ValueError("group_size must be >= 2 (advantages are centred within a group)")
    if cfg.expert_rollouts and expert is None:
        raise ValueError("expert_rollouts > 0 needs an expert policy")
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    net = DiTPolicyNet(pc)
    net.eval()
    policy = LearnedPolicy(net, temperature=cfg.policy_temperature)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, betas=cfg.betas,
                            weight_decay=cfg.weight_decay)
    total = cfg.iterations * cfg.inner_steps

    def lr_lambda(step: int) -> float:
        if step < cfg.warmup:
            return (step + 1) / cfg.warmup
        return 0.5 * (1 + math.cos(math.pi * (step - cfg.warmup) / max(1, total - cfg.warmup)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)
    G, E, P = cfg.group_size, cfg.expert_rollouts, cfg.prompts_per_batch
    L = mdp.horizon
    hist = {"reward": [], "nfe": [], "accuracy": [], "loss": [], "seconds": [], "skipped": 0}
    it = range(cfg.iterations)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc=f"GRPO alpha={cfg.alpha:g}")
    with _threads(1):
        for _ in it:
            t0 = time.perf_counter()
            pr = np.asarray(sample_prompts(P, rng))
            rows_p = np.repeat(pr, G, axis=0)
            ro, rec = rollout_record(mdp, policy, rows_p, rng)
            x, nfe = ro.x, ro.nfe
            ok = np.asarray(is_correct(x, rows_p), dtype=np.float64) * ro.complete
            expert_rows = None
            if E:
                rows_e = np.repeat(pr, E, axis=0)
                ro_e, rec_e = rollout_record(mdp, expert, rows_e, rng)
                ok_e = np.asarray(is_correct(ro_e.x, rows_e), dtype=np.float64) * ro_e.complete
                # interleave: group g = G policy rows then E expert rows
                n_pol = P * G
                rec_e = dict(rec_e)
                rec_e["row"] = n_pol + rec_e["row"]
                rec = {k: np.concatenate([rec[k], rec_e[k]]) for k in rec}
                Rp = speed_reward(ok, nfe, L, cfg.alpha).reshape(P, G)
                Re = speed_reward(ok_e, ro_e.nfe, L, cfg.alpha).reshape(P, E)
                mean = np.concatenate([Rp, Re], axis=1).mean(axis=1, keepdims=True)
                A = np.concatenate([(Rp - mean).ravel(), (Re - mean).ravel()])
                expert_rows = np.arange(n_pol, n_pol + P * E)
                R_all = np.concatenate([Rp.ravel(), Re.ravel()])
            else:
                R_all = speed_reward(ok, nfe, L, cfg.alpha)
                A = grpo_advantages(R_all, G)
            hist["reward"].append(float(speed_reward(ok, nfe, L, cfg.alpha).mean()))
            hist["nfe"].append(float(nfe.mean()))
            hist["accuracy"].append(float(ok.mean()))
            if np.all(np.abs(A) < 1e-12):
                hist["skipped"] += 1
                hist["loss"].append(0.0)
            else:
                hist["loss"].append(_grpo_update(net, opt, sched, cfg, rec, A, R_all.size,
                                                 expert_rows, E / (G + E) if E else 0.0))
            hist["seconds"].append(time.perf_counter() - t0)
    net.eval()
    return EnvTrainResult(LearnedPolicy(net, temperature=cfg.policy_temperature,
                                        name=f"learned(alpha={cfg.alpha:g})"), cfg, pc, hist)


def save_policy(result: EnvTrainResult, path, *, meta: dict | None = None) -> None:
    """Save the weights in float16 with the configs and ``meta`` (a few hundred KB)."""
    sd = {k: v.detach().to(torch.float16) for k, v in result.policy.net.state_dict().items()}
    torch.save({"weights": sd, "config": asdict(result.config),
                "policy_config": asdict(result.policy_config),
                "history": result.history, "meta": meta or {}}, path)


def load_policy(path, *, temperature: float | None = None, name: str | None = None
                ) -> tuple[LearnedPolicy, dict]:
    """Load a policy saved by :func:`save_policy` (weights back in float32)."""
    st = torch.load(path, map_location="cpu", weights_only=False)
    net = DiTPolicyNet(PolicyConfig(**st["policy_config"]))
    net.load_state_dict({k: v.float() for k, v in st["weights"].items()})
    net.eval()
    tau = st["config"].get("policy_temperature", 1.0) if temperature is None else temperature
    nm = name or f"learned(alpha={st['config']['alpha']:g})"
    return LearnedPolicy(net, temperature=tau, name=nm), st

