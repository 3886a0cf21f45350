"""The unmasking MDP (issue 8 item 1; spec policies.md §1).

The exact oracle is checked against ``Distribution.conditionals`` (a separate
slicing code path); the transition rules (blocks, fallback, BL-iteration cap,
horizon, NFE count, token modes) against hand-derived trajectories.
"""

import itertools

import numpy as np
import pytest

from mdmtheory import families as F
from mdmtheory.policies import BernoulliPolicy, RandomK, TopK
from mdmtheory.policies.mdp import MASK, ExactOracle, Observation, UnmaskingMDP


class ConstBernoulli(BernoulliPolicy):
    def __init__(self, p, fallback_order=None):
        self.p = float(p)
        self.order = fallback_order
        self.name = f"bernoulli({p})"

    def unmask_probabilities(self, obs):
        return np.where(obs.active, self.p, 0.0)

    def logits(self, obs):
        if self.order is None:
            return np.zeros(obs.x.shape)
        return np.broadcast_to(np.asarray(self.order, float), obs.x.shape)


# ------------------------------------------------------------------ exact oracle
def test_exact_oracle_matches_distribution_conditionals():
    mu = F.random_dirichlet(4, 3, alpha=0.7, seed=2)
    orc = ExactOracle(mu)
    rng = np.random.default_rng(0)
    for _ in range(40):
        revealed = rng.random(4) < 0.5
        x = rng.integers(0, 3, size=4)
        if mu.marginal(list(np.flatnonzero(revealed)))[tuple(x[revealed])] == 0 \
                if revealed.any() else False:
            continue
        got = orc(x[None], revealed[None])[0]
        want = mu.conditionals((np.flatnonzero(revealed), x[revealed]))
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-13)


def test_encode_decode_roundtrip_and_mass():
    mu = F.binary_symmetric_chain(5, 0.3)
    orc = ExactOracle(mu)
    xs = np.array(list(itertools.product([MASK, 0, 1], repeat=5)))
    codes = orc.encode(xs)
    assert len(set(codes.tolist())) == 3 ** 5
    np.testing.assert_array_equal(orc.decode(codes), xs)
    # mass of a partial assignment = marginal probability
    x = np.array([[1, MASK, 0, MASK, 1]])
    assert orc.mass(orc.encode(x))[0] == pytest.approx(mu.marginal([0, 2, 4])[1, 0, 1],
                                                       abs=1e-15)


def test_null_context_conventions():
    mu = F.repetition(3, 2)
    x = np.array([[0, 1, 0]])
    rev = np.array([[True, True, False]])  # (0, 1, .) has probability 0 under repetition
    np.testing.assert_allclose(ExactOracle(mu)(x, rev)[0, 2], [0.5, 0.5])
    with pytest.raises(ValueError, match="probability zero"):
        ExactOracle(mu, null_context="raise")(x, rev)
    with pytest.raises(ValueError, match="null_context"):
        ExactOracle(mu, null_context="ignore")


def test_oracle_and_mdp_input_errors():
    mu = F.uniform(3, 2)
    with pytest.raises(ValueError, match="shape"):
        ExactOracle(mu)(np.zeros((1, 4), int), np.zeros((1, 4), bool))
    with pytest.raises(ValueError, match="token_mode"):
        UnmaskingMDP(mu, token_mode="greedy")
    with pytest.raises(ValueError, match="block_length"):
        UnmaskingMDP(mu, block_length=4)
    with pytest.raises(ValueError, match="n and q"):
        UnmaskingMDP(lambda x, m: None)


# ------------------------------------------------------------------ transitions
def test_observation_features():
    mu = F.binary_symmetric_chain(4, 0.1)
    mdp = UnmaskingMDP(mu, block_length=2, horizon=8)
    st = mdp.initial_state(1)
    obs = mdp.observe(st)
    np.testing.assert_allclose(obs.confidence, 0.5)
    np.testing.assert_array_equal(obs.mask, 1.0)
    np.testing.assert_array_equal(obs.active[0], [True, True, False, False])
    assert obs.time[0] == 0.0
    acts = np.array([[True, False, False, False]])
    st = mdp.step(st, acts, obs.probs, np.random.default_rng(0))
    obs = mdp.observe(st)
    # flip 0.1: after revealing X_0, X_1 agrees with probability .9, X_2 with .82
    np.testing.assert_allclose(obs.confidence[0], [1.0, 0.9, 0.82, 0.756], atol=1e-12)
    assert obs.time[0] == 1 / 8 and obs.mask[0].tolist() == [0, 1, 1, 1]


def test_random_k_spends_exactly_k_passes_and_fills_everything():
    mdp = UnmaskingMDP(F.random_dirichlet(6, 2, seed=1))
    r = mdp.rollout(RandomK([1, 3, 2]), 500, rng=0)
    assert (r.nfe == 3).all() and r.complete.all() and (r.x >= 0).all()


def test_blocks_are_filled_left_to_right():
    mdp = UnmaskingMDP(F.random_dirichlet(6, 2, seed=4), block_length=2)
    r = mdp.rollout(TopK([1, 1, 2, 1, 1]), 50, rng=0, record=True)
    assert (r.nfe == 5).all()
    allowed = [{0, 1}, {0, 1}, {2, 3}, {4, 5}, {4, 5}]
    for t, step in enumerate(r.steps):
        sel = set(np.flatnonzero(step["actions"].any(axis=0)).tolist())
        assert sel <= allowed[t]


def test_fallback_unmasks_the_argmax_logit_one_per_pass():
    mdp = UnmaskingMDP(F.random_dirichlet(4, 2, seed=0), fallback=True)
    # p = 0: every action is empty; the fallback takes the largest logit, here position 2,
    # then 0, then 3, then 1
    pol = ConstBernoulli(0.0, fallback_order=[2.0, 0.0, 5.0, 1.0])
    r = mdp.rollout(pol, 3, rng=0, record=True)
    assert (r.nfe == 4).all() and r.complete.all()
    st = mdp.initial_state(1)
    order = []
    for _ in range(4):
        obs = mdp.observe(st)
        a = mdp.apply_fallback(pol, obs, np.zeros((1, 4), bool))
        order.append(int(np.flatnonzero(a[0])[0]))
        st = mdp.step(st, a, obs.probs, np.random.default_rng(0))
    assert order == [2, 0, 3, 1]


def test_no_fallback_block_iteration_cap_and_horizon():
    # p = 0 without fallback: nothing is ever unmasked.  Each block of 2 is left after
    # BL = 2 iterations, so 2 blocks end after 4 passes with everything still masked.
    mdp = UnmaskingMDP(F.uniform(4, 2), block_length=2, fallback=False, horizon=10)
    r = mdp.rollout(ConstBernoulli(0.0), 5, rng=0)
    assert (r.nfe == 4).all() and not r.complete.any() and (r.x == MASK).all()
    # the horizon L = 3 stops the episode after 3 passes
    r = mdp.with_options(horizon=3).rollout(ConstBernoulli(0.0), 5, rng=0)
    assert (r.nfe == 3).all()
    # p = 1: each block is filled in one pass -> 2 passes
    r = mdp.rollout(ConstBernoulli(1.0), 5, rng=0)
    assert (r.nfe == 2).all() and r.complete.all()


def test_argmax_tokens_take_the_mode_and_ties_go_low():
    mu = F.product([[0.3, 0.7], [0.5, 0.5], [0.9, 0.1]])
    mdp = UnmaskingMDP(mu, token_mode="argmax")
    r = mdp.rollout(RandomK(1), 100, rng=0)
    assert (r.x == [1, 0, 0]).all()


def test_sample_tokens_are_independent_draws_from_the_conditionals():
    # one pass unmasking all of the repetition code: tokens are drawn independently from
    # the uniform marginals, so all 8 words are equally likely (not only 000 and 111)
    mdp = UnmaskingMDP(F.repetition(3, 2))
    N = 40_000
    r = mdp.rollout(RandomK([3]), N, rng=1)
    freq = np.bincount(r.x @ [4, 2, 1], minlength=8) / N
    # binomial sd sqrt(1/8 * 7/8 / N) = 0.00165; 5 sd
    np.testing.assert_allclose(freq, 1 / 8, atol=5 * 0.00165)


def test_observation_row_and_take():
    obs = Observation(np.full((3, 2), MASK), np.full((3, 2, 2), 0.5), np.ones((3, 2), bool),
                      np.array([0, 1, 2]), 4)
    assert obs.row(2).nfe.tolist() == [2] and obs.take(np.array([0, 2])).batch == 2
    np.testing.assert_allclose(obs.time, [0, 0.25, 0.5])
