"""A small learned unmasking policy trained by GRPO (Jazbec et al. 2025, ``DiTConfidencePolicy``).

The anchors' design (Jazbec et al., ``DiTConfidencePolicy`` + GRPO) at toy scale,
on an exact environment (:class:`~mdmtheory.policies.mdp.UnmaskingMDP` over a
dense ``mu``):

Policy network
    Per position the inputs are the top-1 probability ``c_i`` (a
    ``Linear(1 -> d)``), and a conditioning vector ``Embedding(2, d)[m_i] +
    MLP(sinusoid(t))`` built from the mask bit and the time feature
    ``t = NFE/L`` (sinusoidal features with ``max_period = 1`` as in the
    anchors' config).  One DiT block -- pre-LayerNorm with adaLN modulation
    (shift, scale, gate for attention and FFN, gates applied as ``1 + g``),
    bidirectional multi-head self-attention with RoPE on the position index,
    a GELU FFN -- then LayerNorm and ``Linear(d -> 1)`` give one logit ``b_i``
    per position.  "Smart init": all adaLN projections start at zero and the
    output bias at ``-2`` (initial unmask probability ``sigmoid(-2) = 0.12``).
    Defaults are ``d = 32``, 2 heads, FFN ``4d`` (the anchors use ``d = 128``).
Action
    ``p_i = sigmoid(b_i / tau)`` on active positions, 0 elsewhere; independent
    Bernoulli draws.  Test-time knobs: temperature ``tau`` and
    "beta-scaling" ``p -> min(1, beta p)``.  Training uses the MDP without the
    fallback (empty actions spend an NFE); evaluation uses the fallback to the
    arg-max logit (``bernoulli-argmax``).
GRPO
    ``G`` rollouts per start ("prompt" = one distribution of a training family,
    e.g. one code dimension ``d``), reward ``R = correct * ((L - NFE + 1)/L)^alpha``
    with ``NFE`` clipped at ``L``; advantage ``A = R - mean_group(R)`` (no std
    division); per step the action log-likelihood is the sum of the Bernoulli
    log-probabilities over the active positions; loss per trajectory
    ``-mean_steps min(rho A, clip(rho, 1-eps, 1+eps) A)``, averaged over
    trajectories; no KL term; each rollout batch is used for ``inner_steps``
    optimiser steps (old log-probabilities stored at rollout time); AdamW with
    betas (0.9, 0.99), weight decay 0.1, gradient-norm clip, cosine schedule
    with warm-up; batches whose advantages are all ~0 are skipped.
"Correct" on an exact environment
    ``reward="support"`` (default): the output is complete and ``mu(x) > 0``
    (a codeword for the code family).  For a full-support ``mu`` the support
    indicator is always 1, so ``reward="likelihood"`` uses the normalised
    likelihood ``mu(x) / max_y mu(y)`` in ``[0, 1]`` (1 at the mode); any callable
    ``(B, n) -> [0, 1]`` may be given.

Exact evaluation of the trained policy is :func:`mdmtheory.policies.exact.evaluate_policy`
(the policy is a :class:`~mdmtheory.policies.mdp.BernoulliPolicy`: the
evaluator sums over all its actions exactly).

This module needs PyTorch, an optional extra (``pip install "mdmtheory[torch]"``, which asks
for ``torch>=2.1`` and keeps a torch you already have; a CPU build is enough); the
rest of :mod:`mdmtheory` never imports it.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Callable, ClassVar, Sequence

import numpy as np

try:
    import torch
    from torch import nn
    import torch.nn.functional as Fnn
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ModuleNotFoundError(
        "mdmtheory.policies.learned needs PyTorch, an optional extra: install it with "
        "`pip install mdmtheory[torch]` (any torch at or above the extra's lower bound; a "
        "CPU-only build is enough, see the README for the install line); the exact "
        "evaluation and heuristics in mdmtheory.policies work without it.",
        name="torch",
    ) from exc

from .._validation import (
    as_bool,
    as_choice,
    as_float,
    as_int,
    as_int_array,
    as_optional_int,
    as_real_array,
    show,
)
from ..distribution import Distribution, as_distribution
from .grpo_config import GRPOBaseConfig
from .mdp import BernoulliPolicy, ExactOracle, Observation, UnmaskingMDP

__all__ = [
    "PolicyConfig",
    "DiTPolicyNet",
    "LearnedPolicy",
    "GRPOConfig",
    "TrainResult",
    "train_grpo",
    "support_reward",
    "likelihood_reward",
    "reward_fn",
    "speed_reward",
    "grpo_advantages",
    "action_log_prob",
    "expert_mixture_log_prob",
    "code_family",
    "train_code_family_policy",
]


@contextmanager
def _threads(k: int = 1):
    """Run torch on ``k`` intra-op threads (tiny tensors: threading costs more than it gives)."""
    old = torch.get_num_threads()
    torch.set_num_threads(k)
    try:
        yield
    finally:
        torch.set_num_threads(old)


# ============================================================================ network
@dataclass(frozen=True)
class PolicyConfig:
    """Architecture of :class:`DiTPolicyNet` (default scaled down; :meth:`paper` = the anchors')."""

    d_model: int = 32
    n_heads: int = 2
    ffn_mult: int = 4
    smart_init: float = -2.0
    max_period: float = 1.0
    rope_base: float = 10_000.0
    norm_affine: bool = False

    def __post_init__(self):
        as_int(self.d_model, "d_model", minimum=2)
        as_int(self.n_heads, "n_heads", minimum=1)
        as_int(self.ffn_mult, "ffn_mult", minimum=1)
        as_float(self.smart_init, "smart_init")
        as_float(self.max_period, "max_period", minimum=0.0)
        as_float(self.rope_base, "rope_base", minimum=0.0)
        for key in ("max_period", "rope_base"):
            if not getattr(self, key) > 0:
                raise ValueError(f"{key} must be > 0, got {getattr(self, key)!r}")
        as_bool(self.norm_affine, "norm_affine")
        if self.d_model % self.n_heads or (self.d_model // self.n_heads) % 2:
            raise ValueError(f"d_model={self.d_model} must split into n_heads={self.n_heads} "
                             "heads of even size")

    @classmethod
    def paper(cls) -> "PolicyConfig":
        """The anchors' ``DiTConfidencePolicy``: d = 128, 2 heads, FFN 512, affine
        pre-norms -- 331,265 parameters (Jazbec et al. 2025, released config)."""
        return cls(d_model=128, n_heads=2, ffn_mult=4, norm_affine=True)


def _sinusoid(t: torch.Tensor, dim: int, max_period: float) -> torch.Tensor:
    """DiT timestep features ``[cos(t f_k), sin(t f_k)]``, ``f_k = max_period^(-k/half)``."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=t.dtype) / half)
    ang = t[:, None] * freqs[None, :]
    return torch.cat([torch.cos(ang), torch.sin(ang)], dim=-1)


def _rope(x: torch.Tensor, base: float) -> torch.Tensor:
    """Rotary position embedding over the sequence axis of ``(B, H, n, dh)``."""
    n, dh = x.shape[-2], x.shape[-1]
    half = dh // 2
    inv = base ** (-torch.arange(half, dtype=x.dtype) / half)
    ang = torch.arange(n, dtype=x.dtype)[:, None] * inv[None, :]
    cos, sin = torch.cos(ang), torch.sin(ang)
    x1, x2 = x[..., :half], x[..., half: 2 * half]
    rot = torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
    return torch.cat([rot, x[..., 2 * half:]], dim=-1)


class DiTPolicyNet(nn.Module):
    """One DiT block over positions: features ``(c, m, t)`` -> one logit per position."""

    def __init__(self, config: PolicyConfig = PolicyConfig()):
        super().__init__()
        d, h = config.d_model, config.n_heads
        if d % h or (d // h) % 2:
            raise ValueError(f"d_model={d} must split into {h} heads of even size")
        self.config = config
        self.inp = nn.Linear(1, d)
        self.mask_emb = nn.Embedding(2, d)
        self.time_mlp = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, d))
        self.ada = nn.Linear(d, 6 * d)
        self.ln1 = nn.LayerNorm(d, elementwise_affine=config.norm_affine)
        self.ln2 = nn.LayerNorm(d, elementwise_affine=config.norm_affine)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ffn = nn.Sequential(nn.Linear(d, config.ffn_mult * d), nn.GELU(),
                                 nn.Linear(config.ffn_mult * d, d))
        self.ln_out = nn.LayerNorm(d)
        self.out = nn.Linear(d, 1)
        # smart init: identity modulation, output bias -2
        nn.init.zeros_(self.ada.weight)
        nn.init.zeros_(self.ada.bias)
        nn.init.constant_(self.out.bias, config.smart_init)

    def forward(self, c: torch.Tensor, m: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """``c``, ``m``: ``(B, n)``; ``t``: ``(B,)`` -> logits ``(B, n)``."""
        cfg = self.config
        B, n = c.shape
        d, H = cfg.d_model, cfg.n_heads
        x = self.inp(c[..., None])
        cond = self.mask_emb(m.long()) + self.time_mlp(_sinusoid(t, d, cfg.max_period))[:, None]
        sh1, sc1, g1, sh2, sc2, g2 = self.ada(Fnn.silu(cond)).chunk(6, dim=-1)
        y = self.ln1(x) * (1 + sc1) + sh1
        q, k, v = self.qkv(y).view(B, n, 3, H, d // H).permute(2, 0, 3, 1, 4)
        q, k = _rope(q, cfg.rope_base), _rope(k, cfg.rope_base)
        a = Fnn.scaled_dot_product_attention(q, k, v)  # bidirectional: no mask
        x = x + (1 + g1) * self.proj(a.transpose(1, 2).reshape(B, n, d))
        y = self.ln2(x) * (1 + sc2) + sh2
        x = x + (1 + g2) * self.ffn(y)
        return self.out(self.ln_out(x))[..., 0]


def _features(obs: Observation) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return (torch.as_tensor(obs.confidence, dtype=torch.float32),
            torch.as_tensor(obs.mask, dtype=torch.float32),
            torch.as_tensor(obs.time, dtype=torch.float32))


class LearnedPolicy(BernoulliPolicy):
    """A :class:`DiTPolicyNet` as an MDP policy (numpy in, probabilities out; no gradients).

    Parameters
    ----------
    net : DiTPolicyNet
    temperature : float
        ``tau``: ``p = sigmoid(logit / tau)``.
    beta : float
        Beta-scaling ``p -> min(1, beta p)`` (the anchors' test-time knob).
    """

    def __init__(self, net: DiTPolicyNet, *, temperature: float = 1.0, beta: float = 1.0,
                 name: str = "learned"):
        if not (temperature > 0 and beta > 0):
            raise ValueError(f"temperature and beta must be positive, got {temperature}, {beta}")
        self.net = net
        self.temperature = float(temperature)
        self.beta = float(beta)
        self.name = name

    def logits(self, obs: Observation) -> np.ndarray:
        with torch.no_grad(), _threads(1):
            z = self.net(*_features(obs)).double().numpy()
        return z / self.temperature

    def unmask_probabilities(self, obs: Observation) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self.logits(obs)))
        return np.where(obs.active, np.minimum(1.0, self.beta * p), 0.0)

    def with_knobs(self, *, temperature: float | None = None, beta: float | None = None
                   ) -> "LearnedPolicy":
        t = self.temperature if temperature is None else temperature
        b = self.beta if beta is None else beta
        return LearnedPolicy(self.net, temperature=t, beta=b,
                             name=f"{self.name.split('[')[0]}[tau={t:g},beta={b:g}]")


# ============================================================================ rewards
def support_reward(mu: Distribution) -> Callable[[np.ndarray], np.ndarray]:
    """``correct(x) = 1[mu(x) > 0]`` (a codeword, for the code family)."""
    p = as_distribution(mu).p

    def f(x: np.ndarray) -> np.ndarray:
        return (p[tuple(np.asarray(x).T)] > 0).astype(np.float64)

    return f


def likelihood_reward(mu: Distribution) -> Callable[[np.ndarray], np.ndarray]:
    """``correct(x) = mu(x) / max_y mu(y)`` in ``[0, 1]`` (for full-support ``mu``)."""
    p = as_distribution(mu).p
    top = float(p.max())

    def f(x: np.ndarray) -> np.ndarray:
        return p[tuple(np.asarray(x).T)] / top

    return f


def reward_fn(mu: Distribution, kind: str | Callable = "support"):
    """The reward ``correct(x)`` named by ``kind`` ("support" or "likelihood"), or ``kind`` itself."""
    if callable(kind):
        return kind
    kind = as_choice(kind, "kind", ("support", "likelihood"))
    return support_reward(mu) if kind == "support" else likelihood_reward(mu)


# ============================================================================ GRPO
@dataclass(frozen=True, kw_only=True)
class GRPOConfig(GRPOBaseConfig):
    """GRPO hyper-parameters on exact environments (:func:`train_grpo`).

    The fields shared with :class:`~mdmtheory.policies.grpo.EnvGRPOConfig`, their
    meaning, their checks and the anchors' values are those of
    :class:`~mdmtheory.policies.grpo_config.GRPOBaseConfig`.  The defaults keep the
    anchors' group size, clip, inner steps, betas and weight decay, and scale the rest
    to a toy problem: ``iterations = 150``, ``lr = 3e-3``, ``grad_clip = 1``,
    ``warmup = 10``.

    ``fallback`` also sets the training MDP's mode: ``False`` trains in the anchors'
    ``bernoulli`` mode (an empty action spends an NFE); ``True`` trains in the
    evaluation mode ``bernoulli-argmax``, with the exact likelihood of the executed
    action (a singleton ``{j}`` at the arg-max logit has probability
    ``P(Bernoulli = {j}) + P(Bernoulli = {})``).

    Attributes
    ----------
    groups_per_batch : int
        Groups per rollout batch, ``>= 1``; each group runs in one training
        distribution drawn uniformly.  Default 16.
    block_length : int or None
        Semi-autoregressive block length of the training MDP (``None``: one block).
    token_mode : {"sample", "argmax"}
        How the oracle fills an unmasked position: a draw from its conditional, or
        its arg-max.
    reward : {"support", "likelihood"} or callable
        ``correct(x)``: see :func:`reward_fn`.
    """

    groups_per_batch: int = 16
    iterations: int = 150
    lr: float = 3e-3
    grad_clip: float = 1.0
    warmup: int = 10
    block_length: int | None = None
    token_mode: str = "sample"
    reward: str | Callable[[np.ndarray], np.ndarray] = "support"

    _counts: ClassVar[tuple[str, ...]] = ("group_size", "groups_per_batch", "iterations",
                                          "inner_steps")

    def __post_init__(self):
        super().__post_init__()
        as_optional_int(self.block_length, "block_length", minimum=1)
        as_choice(self.token_mode, "token_mode", ("sample", "argmax"))
        if not callable(self.reward):
            as_choice(self.reward, "reward", ("support", "likelihood"))


@dataclass
class TrainResult:
    """Trained policy plus the training curve (mean reward, NFE, accuracy per iteration)."""

    policy: LearnedPolicy
    config: GRPOConfig
    policy_config: PolicyConfig
    history: dict = field(default_factory=dict)

    def state(self) -> dict:
        """A picklable snapshot (weights as numpy arrays + configs)."""
        return {"weights": {k: v.detach().numpy().copy()
                            for k, v in self.policy.net.state_dict().items()},
                "config": asdict(self.config), "policy_config": asdict(self.policy_config)}

    @staticmethod
    def policy_from_state(state: dict, name: str = "learned") -> LearnedPolicy:
        net = DiTPolicyNet(PolicyConfig(**state["policy_config"]))
        net.load_state_dict({k: torch.as_tensor(v) for k, v in state["weights"].items()})
        net.eval()
        return LearnedPolicy(net, name=name)


def speed_reward(correct: np.ndarray, nfe: np.ndarray, length: int, alpha: float) -> np.ndarray:
    """``R = correct * ((L - NFE + 1)/L)^alpha``, ``NFE`` clipped at ``L`` (the anchors' reward).

    ``correct`` lies in ``[0, 1]`` (a 0/1 success or a likelihood ratio), ``nfe`` holds
    positive integers, ``length`` (``L``) is a positive integer up to ``2**53`` (where
    ``L - NFE + 1`` is still exact in float64) and ``alpha >= 0``.
    """
    length = as_int(length, "length", minimum=1, maximum=2**53)
    alpha = as_float(alpha, "alpha", minimum=0.0)
    c = as_real_array(correct, "correct", nonempty=False)
    if c.size and ((c < 0).any() or (c > 1).any()):
        raise ValueError(f"correct must lie in [0, 1], got {show(c[(c < 0) | (c > 1)][0])}")
    nfe = np.minimum(as_int_array(nfe, "nfe", minimum=1).astype(np.float64), length)
    return c * ((length - nfe + 1) / length) ** alpha


def grpo_advantages(rewards: np.ndarray, group_size: int) -> np.ndarray:
    """``A = R - mean_group(R)`` over consecutive groups of ``group_size`` (no std division)."""
    R = as_real_array(rewards, "rewards", ndim=1)
    group_size = as_int(group_size, "group_size", minimum=1)
    if R.size % group_size:
        raise ValueError(f"{R.size} rewards do not split into groups of {group_size}")
    g = R.reshape(-1, group_size)
    return (g - g.mean(axis=1, keepdims=True)).ravel()


def action_log_prob(logits: torch.Tensor, actions: torch.Tensor, active: torch.Tensor,
                    fallback: bool) -> torch.Tensor:
    """Log-probability of the executed actions, ``(S,)`` (the anchors' per-step likelihood).

    The sum over active positions of ``log Bernoulli(a_i | sigmoid(b_i))``; with
    the fallback, a singleton at the arg-max active logit also collects the
    probability of the empty draw.
    """
    lp = -Fnn.binary_cross_entropy_with_logits(logits, actions, reduction="none")
    out = (lp * active).sum(dim=-1)
    if not fallback:
        return out
    log_empty = (Fnn.logsigmoid(-logits) * active).sum(dim=-1)
    masked_logits = torch.where(active > 0, logits, torch.full_like(logits, -torch.inf))
    j = masked_logits.argmax(dim=-1)
    single = (actions.sum(dim=-1) == 1) & (actions.gather(1, j[:, None])[:, 0] > 0)
    return torch.where(single, torch.logaddexp(out, log_empty), out)


def _rollout_groups(mdp: UnmaskingMDP, oracles: Sequence[ExactOracle], env_of_row: np.ndarray,
                    policy: LearnedPolicy, rng: np.random.Generator):
    """Lock-step rollouts of all rows (each row in its own environment), recording steps."""
    B = env_of_row.size
    st = mdp.initial_state(B)
    rec = {"c": [], "m": [], "t": [], "active": [], "act": [], "row": []}
    while not st.done.all():
        rows = np.flatnonzero(~st.done)
        x = st.x[rows]
        probs = np.empty((rows.size, mdp.n, mdp.q))
        for e in np.unique(env_of_row[rows]):
            sel = env_of_row[rows] == e
            probs[sel] = oracles[e].probs_from_codes(oracles[e].encode(x[sel]))
        obs = Observation(x, probs, mdp.active_mask(x, st.block[rows]), st.nfe[rows],
                          mdp.horizon)
        acts = policy.sample_actions(obs, rng)
        acts = mdp.apply_fallback(policy, obs, acts)
        rec["c"].append(obs.confidence)
        rec["m"].append(obs.mask)
        rec["t"].append(obs.time)
        rec["active"].append(obs.active)
        rec["act"].append(acts)
        rec["row"].append(rows)
        st = mdp.step(st, acts, probs, rng, rows)
    cat = {k: np.concatenate(v) for k, v in rec.items()}
    return st, cat


def train_grpo(envs: Distribution | Sequence[Distribution], config: GRPOConfig = GRPOConfig(),
               policy_config: PolicyConfig = PolicyConfig(), *, progress: bool = False
               ) -> TrainResult:
    """Train a :class:`DiTPolicyNet` by GRPO on exact environments (Jazbec et al. 2025).

    Parameters
    ----------
    envs : Distribution or sequence of Distribution
        The training "prompts": each group of ``G`` rollouts runs in one of them
        (chosen uniformly).  All must share ``(n, q)``.
    config : GRPOConfig
    policy_config : PolicyConfig
    progress : bool
        Show a tqdm bar.

    Returns
    -------
    TrainResult
        ``policy`` (with the fallback at evaluation, use
        :func:`~mdmtheory.policies.exact.evaluate_policy` on it), ``history``.
    """
    mus = [as_distribution(envs)] if isinstance(envs, Distribution) or not isinstance(
        envs, Sequence) else [as_distribution(e) for e in envs]
    if not mus:
        raise ValueError("envs must contain at least one distribution")
    if len({(m.n, m.q) for m in mus}) != 1:
        raise ValueError("all training distributions must share (n, q)")
    cfg = config
    if cfg.group_size < 2:
        raise ValueError("group_size must be >= 2 (advantages are centred within a group)")
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    oracles = [ExactOracle(m) for m in mus]
    rewards = [reward_fn(m, cfg.reward) for m in mus]
    # training MDP: no fallback (Apple's sampling_mode=bernoulli)
    mdp = UnmaskingMDP(oracles[0], block_length=cfg.block_length, token_mode=cfg.token_mode,
                       fallback=cfg.fallback)
    L = mdp.horizon
    net = DiTPolicyNet(policy_config)
    policy = LearnedPolicy(net)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, betas=cfg.betas,
                            weight_decay=cfg.weight_decay)
    total = cfg.iterations * cfg.inner_steps

    def lr_lambda(step: int) -> float:
        if step < cfg.warmup:
            return (step + 1) / cfg.warmup
        return 0.5 * (1 + math.cos(math.pi * (step - cfg.warmup) / max(1, total - cfg.warmup)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)
    hist = {"reward": [], "nfe": [], "accuracy": [], "skipped": 0}
    it = range(cfg.iterations)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc=f"GRPO alpha={cfg.alpha:g}")
    G, P = cfg.group_size, cfg.groups_per_batch
    with _threads(1):
        _grpo_loop(it, cfg, mus, oracles, rewards, mdp, net, policy, opt, sched, hist, rng, G, P, L)
    net.eval()
    return TrainResult(LearnedPolicy(net, name=f"learned(alpha={cfg.alpha:g})"), cfg,
                       policy_config, hist)


def _grpo_loop(it, cfg, mus, oracles, rewards, mdp, net, policy, opt, sched, hist, rng, G, P, L
               ) -> None:
    """The GRPO iterations of :func:`train_grpo` (updates ``net`` and ``hist`` in place)."""
    for _ in it:
        env_of_group = rng.integers(len(mus), size=P)
        env_of_row = np.repeat(env_of_group, G)
        net.eval()
        st, rec = _rollout_groups(mdp, oracles, env_of_row, policy, rng)
        # rewards
        complete = ~(st.x < 0).any(axis=1)
        corr = np.zeros(P * G)
        for e in np.unique(env_of_row):
            sel = np.flatnonzero((env_of_row == e) & complete)
            if sel.size:
                corr[sel] = rewards[e](st.x[sel])
        R = speed_reward(corr, st.nfe, L, cfg.alpha)
        A = grpo_advantages(R, G)
        hist["reward"].append(float(R.mean()))
        hist["nfe"].append(float(st.nfe.mean()))
        hist["accuracy"].append(float(corr.mean()))
        if np.all(np.abs(A) < 1e-12):
            hist["skipped"] += 1
            continue
        _grpo_update(net, opt, sched, cfg, rec, A, P * G)


def expert_mixture_log_prob(log_pi: torch.Tensor, weight: float) -> torch.Tensor:
    """``log((1 - w) pi + w)``: an expert action's likelihood under the steering mixture.

    With ``G`` policy and ``E`` expert rollouts per group, ``w = E / (G + E)``
    (Jazbec et al. 2025, expert steering); the expert's own action has
    probability one under the expert.
    """
    weight = as_float(weight, "weight", minimum=0.0, maximum=1.0, strict_minimum=True,
                      strict_maximum=True)
    return torch.logaddexp(log_pi + math.log1p(-weight),
                           torch.full_like(log_pi, math.log(weight)))


def _grpo_update(net, opt, sched, cfg, rec: dict, A: np.ndarray, n_rows: int,
                 expert_rows: np.ndarray | None = None, expert_weight: float = 0.0) -> float:
    """``cfg.inner_steps`` clipped-ratio GRPO steps on one recorded rollout batch.

    ``rec`` holds per executed step the features ``c, m, t``, the ``active``
    set, the executed action ``act`` and the rollout index ``row``.  Rows in
    ``expert_rows`` were produced by an expert; their action likelihood is the
    mixture ``(1 - w) pi + w`` with ``w = expert_weight = E / (G + E)`` (the
    expert's action has probability one under the expert).  Returns the last loss.
    """
    c = torch.as_tensor(rec["c"], dtype=torch.float32)
    m = torch.as_tensor(rec["m"], dtype=torch.float32)
    t = torch.as_tensor(rec["t"], dtype=torch.float32)
    act = torch.as_tensor(rec["act"], dtype=torch.float32)
    active = torch.as_tensor(rec["active"], dtype=torch.float32)
    row = torch.as_tensor(rec["row"], dtype=torch.long)
    adv = torch.as_tensor(A, dtype=torch.float32)[row]
    steps_per_row = torch.bincount(row, minlength=n_rows).clamp(min=1).float()
    tau = float(getattr(cfg, "policy_temperature", 1.0))
    is_exp = None
    if expert_rows is not None and len(expert_rows):
        is_exp = torch.as_tensor(np.isin(rec["row"], expert_rows))

    def loglik():
        lp = action_log_prob(net(c, m, t) / tau, act, active, cfg.fallback)
        if is_exp is None:
            return lp
        return torch.where(is_exp, expert_mixture_log_prob(lp, expert_weight), lp)

    with torch.no_grad():
        old = loglik()
    net.train()
    loss = torch.zeros(())
    for _ in range(cfg.inner_steps):
        ratio = torch.exp(loglik() - old)
        obj = torch.minimum(ratio * adv,
                            torch.clamp(ratio, 1 - cfg.clip_eps, 1 + cfg.clip_eps) * adv)
        per_row = torch.zeros(n_rows).index_add(0, row, obj) / steps_per_row
        loss = -per_row.mean()
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
        opt.step()
        sched.step()
    net.eval()
    return float(loss.detach())


def code_family(n: int = 4, p: int = 5) -> list[Distribution]:
    """The MDS code family ``RS[n, d]_p``, ``d = 1..n-1`` (the paper's MDS example); one "prompt" per ``d``."""
    from .. import families

    n = as_int(n, "n", minimum=2)
    return [families.reed_solomon(n, d, p) for d in range(1, n)]


def train_code_family_policy(n: int = 4, p: int = 5, *, alpha: float = 1.0,
                             iterations: int = 40, fallback: bool = True, seed: int = 0,
                             groups_per_batch: int = 12) -> TrainResult:
    """A quick seeded GRPO run on :func:`code_family` (about 10 s on one CPU core).

    The settings of the tests and figures: the policy never sees ``d``; the
    best it can do without knowing ``d`` is to unmask one position per pass
    until the conditionals become point masses, then everything (``d + 1``
    passes, no error) -- what Fast-dLLM's threshold rule does on this family.
    """
    cfg = GRPOConfig(alpha=alpha, iterations=iterations, fallback=fallback, seed=seed,
                     groups_per_batch=groups_per_batch)
    return train_grpo(code_family(n, p), cfg)
