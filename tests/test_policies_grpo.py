"""GRPO on a prompted torch environment (Jazbec et al. 2025, §3) and the paper-size policy."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mdmtheory.policies import ConfidenceThreshold  # noqa: E402
from mdmtheory.policies.grpo import (  # noqa: E402
    EnvGRPOConfig,
    load_policy,
    rollout_record,
    save_policy,
    train_grpo_env,
)
from mdmtheory.policies.learned import (  # noqa: E402
    DiTPolicyNet,
    PolicyConfig,
    expert_mixture_log_prob,
)
from mdmtheory.policies.mdp import MASK, UnmaskingMDP  # noqa: E402
from mdmtheory.policies.neural import DenoiserOracle, TableDenoiser  # noqa: E402


def count_params_by_hand(d=128, ffn=512):
    lin = lambda i, o: i * o + o  # noqa: E731
    time_mlp = lin(d, d) * 2                        # 33,024
    block = lin(d, 6 * d) + lin(d, 3 * d) + lin(d, d) + lin(d, ffn) + lin(ffn, d) + 2 * 2 * d
    rest = lin(1, d) + 2 * d + 2 * d + lin(d, 1)    # input, mask embedding, final LN, output
    return time_mlp + block + rest


def test_paper_policy_has_331265_parameters():
    # the anchors' config: time MLP 33.0K + block 297.3K + about 1K = 331,265
    assert count_params_by_hand() == 331_265
    net = DiTPolicyNet(PolicyConfig.paper())
    assert sum(p.numel() for p in net.parameters()) == 331_265
    # smart init (plumbing): zero adaLN projection, output bias -2
    assert net.out.bias.item() == -2.0
    assert not net.ada.weight.any() and not net.ada.bias.any()


def test_expert_mixture_log_prob_hand_value():
    # pi = 0.5, w = E/(G+E) = 1/5 -> log(0.8 * 0.5 + 0.2) = log 0.6
    got = expert_mixture_log_prob(torch.tensor([math.log(0.5)]), 0.2)
    assert float(got) == pytest.approx(math.log(0.6), abs=1e-6)
    with pytest.raises(ValueError, match="weight"):
        expert_mixture_log_prob(torch.zeros(1), 0.0)


def repetition_env(n=6):
    S = np.array([[0] * n, [1] * n])
    return UnmaskingMDP(DenoiserOracle(TableDenoiser(S, 2)), token_mode="sample",
                        fallback=False), S


def test_rollout_record_features_are_the_observed_ones():
    mdp, S = repetition_env()
    P = np.full((4, 6), MASK)
    ro, rec = rollout_record(mdp.with_options(fallback=True), ConfidenceThreshold(0.9), P,
                             np.random.default_rng(0))
    # first pass: all masked, conditionals uniform -> c = 0.5, t = 0, every position active;
    # then the first revealed token fixes the rest (c = 1): 2 passes per rollout
    assert ro.nfe.tolist() == [2, 2, 2, 2]
    first = rec["row"] == np.arange(4)[:, None]
    np.testing.assert_allclose(rec["c"][:4], 0.5, atol=1e-6)
    np.testing.assert_array_equal(rec["t"][:4], 0.0)
    np.testing.assert_allclose(rec["t"][4:], 1 / 6)
    assert first.shape == (4, 8) and rec["act"][:4].sum(axis=1).tolist() == [1, 1, 1, 1]


@pytest.mark.slow  # the first AdamW imports torch._dynamo (~10 s)
def test_save_load_roundtrip(tmp_path):
    mdp, S = repetition_env()

    def prompts(num, rng):
        return np.full((num, 6), MASK)

    def ok(x, p):
        return (x == x[:, :1]).all(axis=1)

    cfg = EnvGRPOConfig(iterations=2, prompts_per_batch=2, group_size=4, expert_rollouts=2)
    res = train_grpo_env(mdp, prompts, ok, cfg, PolicyConfig(d_model=16),
                         expert=ConfidenceThreshold(0.9))
    assert len(res.history["reward"]) == 2
    save_policy(res, tmp_path / "p.pt")
    pol, st = load_policy(tmp_path / "p.pt")
    obs_c, obs_m, obs_t = torch.rand(2, 6), torch.ones(2, 6), torch.zeros(2)
    a = res.policy.net(obs_c, obs_m, obs_t)
    b = pol.net(obs_c, obs_m, obs_t)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=2e-2)  # fp16


@pytest.mark.slow
def test_grpo_learns_the_fast_policy_on_the_repetition_code():
    # reward ((6 - NFE + 1)/6)^3: the best policy reveals one token, then all (NFE 2,
    # always correct: reward (5/6)^3 = 0.579); the initial policy (p = 0.12 per position,
    # empty steps cost a pass) needs ~5 passes (reward <= 0.3)
    mdp, S = repetition_env()

    def prompts(num, rng):
        return np.full((num, 6), MASK)

    def ok(x, p):
        return (x == x[:, :1]).all(axis=1)

    cfg = EnvGRPOConfig(alpha=3.0, iterations=40, prompts_per_batch=4, lr=3e-3, seed=0)
    res = train_grpo_env(mdp, prompts, ok, cfg, PolicyConfig(d_model=32))
    h = res.history
    assert np.mean(h["reward"][-8:]) > np.mean(h["reward"][:8]) + 0.1
    assert np.mean(h["nfe"][-8:]) < np.mean(h["nfe"][:8])
