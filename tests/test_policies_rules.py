"""Dream, Fast-dLLM (Dream), KLASS, DUS, PC-Sampler and LLaDA's per-block counts.

Every expected selection and number below is worked out by hand from the
published rule (the arithmetic is written in the comments); none is produced
by the code under test.
"""

import math

import numpy as np
import pytest

from mdmtheory import families as F
from mdmtheory.policies import (
    DUS,
    KLASS,
    DreamOrigin,
    DreamThreshold,
    DreamTopK,
    PCSampler,
    TopK,
)
from mdmtheory.policies.dream import dream_ratio, gumbel_topk_mask, plackett_luce_set_law
from mdmtheory.policies.more_rules import dus_rounds, klass_kl
from mdmtheory.policies.mdp import MASK, Observation, UnmaskingMDP


def two_point(c):
    """Per-position conditionals (c, 1-c) over q = 2 (top-1 probability max(c, 1-c))."""
    c = np.asarray(c, float)
    return np.stack([c, 1 - c], axis=-1)


def obs(probs, *, active=None, iters=0, m0=None, start=0, history=None, nfe=0):
    probs = np.asarray(probs, float)
    n = probs.shape[0]
    active = np.ones(n, bool) if active is None else np.asarray(active, bool)
    m0 = int(active.sum()) if m0 is None else m0
    h = None if history is None else np.asarray(history, float)[None]
    return Observation(np.full((1, n), MASK), probs[None], active[None], np.array([nfe]), n,
                       np.array([iters]), np.array([start]), np.array([n]), np.array([m0]), h)


def chosen(a):
    return set(np.flatnonzero(np.asarray(a).reshape(-1)).tolist())


# ------------------------------------------------------------------ LLaDA per-block counts
def test_llada_counts_per_block_hand_example():
    # m0 = 7 masks, 3 steps: floor(7/3) = 2 each, first 7 mod 3 = 1 step gets +1 -> 3, 2, 2
    pol = TopK(3)
    p = two_point(np.linspace(0.99, 0.6, 7))
    assert [int(pol.counts(obs(p, iters=i, m0=7))[0]) for i in range(3)] == [3, 2, 2]
    # past the planned steps: everything still active
    act = np.array([1, 0, 1, 0, 0, 0, 0], bool)
    assert int(pol.counts(obs(p, active=act, iters=3, m0=7))[0]) == 2


def test_llada_counts_follow_prompts_and_blocks_in_the_mdp():
    # n = 8, BL = 4, clues at 1 and 6: block 0 masks {0, 2, 3}, block 1 masks {4, 5, 7};
    # 2 steps per block -> counts (2, 1) in each block -> 4 passes
    mdp = UnmaskingMDP(F.uniform(8, 2), block_length=4, token_mode="argmax")
    prompt = np.array([MASK, 1, MASK, MASK, MASK, MASK, 0, MASK])
    ro = mdp.rollout(TopK(2), prompts=np.stack([prompt, prompt]), rng=0, record=True)
    assert ro.nfe.tolist() == [4, 4]
    assert [int(s["executed"][0].sum()) for s in ro.steps] == [2, 1, 2, 1]
    assert (ro.x[:, 1] == 1).all() and (ro.x[:, 6] == 0).all()


# ------------------------------------------------------------------ Dream origin / alg_temp
def test_dream_ratio_hand_values():
    # steps = 4, eps = 1e-3: t_i = 1 - i * 0.999/4 = 1, 0.75025, 0.5005, 0.25075, 0.001
    # i = 0: 1 - 0.75025/1 = 0.24975;  i = 1: 1 - 0.5005/0.75025 = 0.24975/0.75025 = 0.332889...
    # i = 2: 1 - 0.25075/0.5005 = 0.24975/0.5005 = 0.499000...;  i = 3 (last): 1
    r = dream_ratio(np.arange(4), 4)
    np.testing.assert_allclose(r[:3], [0.24975, 0.24975 / 0.75025, 0.24975 / 0.5005],
                               rtol=1e-12)
    assert r[3] == 1.0


def test_dream_origin_is_bernoulli_with_ratio():
    p = two_point([0.9, 0.8, 0.7, 0.6])
    o = obs(p, iters=1)
    u = DreamOrigin(4).unmask_probabilities(o)[0]
    np.testing.assert_allclose(u, 0.24975 / 0.75025, rtol=1e-12)
    # random count: over many draws the revealed count is Binomial(4, 0.3329) (mean 1.3316)
    rng = np.random.default_rng(0)
    big = Observation(*(np.repeat(getattr(o, f), 20000, axis=0) if f != "horizon" else o.horizon
                        for f in ("x", "probs", "active", "nfe", "horizon", "iters",
                                  "block_start", "block_end", "block_masked0")))
    cnt = DreamOrigin(4).sample_actions(big, rng).sum(axis=1)
    assert abs(cnt.mean() - 4 * 0.24975 / 0.75025) < 4 * 0.0034  # 4 sd of the mean
    assert len(np.unique(cnt)) >= 4  # the count is random


def test_dream_topk_counts_and_top_selection():
    # m = 10 active, steps = 4: i = 0 -> int(10 * 0.24975) = 2; i = 1 -> int(3.3289) = 3;
    # i = 3 -> all 10
    p = two_point([0.51, 0.99, 0.6, 0.98, 0.7, 0.8, 0.55, 0.9, 0.65, 0.75])
    pol = DreamTopK(4, "confidence")
    assert [int(pol.counts(obs(p, iters=i))[0]) for i in (0, 1, 3)] == [2, 3, 10]
    # alg_temp = 0: the two most confident: positions 1 (0.99) and 3 (0.98)
    assert chosen(pol.sample_actions(obs(p, iters=0), np.random.default_rng(0))) == {1, 3}


def test_plackett_luce_set_law_hand_example():
    # weights (1/2, 1/3, 1/6), two draws without replacement:
    # P{0,1} = (1/2)(1/3)/(1/2) + (1/3)(1/2)/(2/3) = 1/3 + 1/4 = 7/12
    # P{0,2} = (1/2)(1/6)/(1/2) + (1/6)(1/2)/(5/6) = 1/6 + 1/10 = 4/15
    # P{1,2} = (1/3)(1/6)/(2/3) + (1/6)(1/3)/(5/6) = 1/12 + 1/15 = 3/20
    subs, pr = plackett_luce_set_law(np.array([1 / 2, 1 / 3, 1 / 6]), 2)
    got = {tuple(s): v for s, v in zip(subs.tolist(), pr)}
    assert got[(0, 1)] == pytest.approx(7 / 12, abs=1e-15)
    assert got[(0, 2)] == pytest.approx(4 / 15, abs=1e-15)
    assert got[(1, 2)] == pytest.approx(3 / 20, abs=1e-15)


def test_alg_temp_sampling_matches_the_set_law():
    # softmax(score / T) = (1/2, 1/3, 1/6) with T = 0.5: score = T log w
    T = 0.5
    sc = T * np.log(np.array([[1 / 2, 1 / 3, 1 / 6]]))
    N = 60000
    rng = np.random.default_rng(1)
    a = gumbel_topk_mask(np.repeat(sc, N, 0), np.ones((N, 3), bool), np.full(N, 2), T, rng)
    f01 = np.mean(a[:, 0] & a[:, 1])
    f12 = np.mean(a[:, 1] & a[:, 2])
    # binomial sd of a frequency near 7/12 with N = 60000 is 0.002; allow 4 sd
    assert abs(f01 - 7 / 12) < 0.008 and abs(f12 - 3 / 20) < 0.008


# ------------------------------------------------------------------ Fast-dLLM Dream threshold
def test_dream_threshold_quota_and_carry_over():
    pol = DreamThreshold(0.9, steps=3)
    # block of m0 = 6 masks, 3 steps -> quota 2 per pass.
    # pass 0: current = 2; top-2 are 0 (0.95) and 2 (0.8): 0 always, 2 fails 0.9 -> {0}, carry 1
    p0 = two_point([0.95, 0.5, 0.8, 0.6, 0.55, 0.7])
    assert chosen(pol.select(obs(p0, iters=0, m0=6))) == {0}
    # pass 1: 5 masks left, revealed 1, cumulative quota 4 -> current = 4 - 1 = 3;
    # top-3 of (0.99, 0.95, 0.91, 0.5, 0.4) all >= 0.9 -> three positions
    p1 = two_point([0.99, 0.95, 0.91, 0.5, 0.4, 0.6])
    act1 = np.array([1, 1, 1, 1, 1, 0], bool)
    assert chosen(pol.select(obs(p1, active=act1, iters=1, m0=6))) == {0, 1, 2}
    # extended pass (i = 3 > steps - 1): 2 masks left, quota exhausted -> current = 6 - 4 = 2;
    # confidences 0.6, 0.5: only the first (always accepted)
    p3 = two_point([0.6, 0.5, 0.9, 0.9, 0.9, 0.9])
    act3 = np.array([1, 1, 0, 0, 0, 0], bool)
    assert chosen(pol.select(obs(p3, active=act3, iters=3, m0=6))) == {0}


# ------------------------------------------------------------------ KLASS
def test_klass_kl_hand_value():
    # KL((0.8, 0.2) || (0.5, 0.5)) = 0.8 ln 1.6 + 0.2 ln 0.4 = 0.376003 - 0.183258 = 0.192745
    got = klass_kl(np.array([0.8, 0.2]), np.array([0.5, 0.5]))
    assert got == pytest.approx(0.8 * math.log(1.6) + 0.2 * math.log(0.4), abs=1e-10)
    assert klass_kl(np.array([0.8, 0.2]), np.array([np.nan, np.nan])) == np.inf


def test_klass_ready_and_fallback_hand_example():
    pol = KLASS(steps=3, conf_threshold=0.6, kl_threshold=0.015, history=2)
    # history (oldest first) and current conditionals of 3 positions:
    #   pos 0: 0.9 at every pass -> KLs 0, 0 < 0.015 and conf 0.9 > 0.6 -> ready
    #   pos 1: 0.5, 0.8, then 0.95 -> KL(0.8||0.5) = 0.1927 > 0.015 -> not stable (conf 0.95)
    #   pos 2: 0.55 at every pass -> stable but conf 0.55 < 0.6 -> not ready
    hist = np.stack([two_point([0.9, 0.5, 0.55]), two_point([0.9, 0.8, 0.55])])
    cur = two_point([0.9, 0.95, 0.55])
    assert chosen(pol.select(obs(cur, iters=1, history=hist))) == {0}
    # at the first pass of a block (iters = 0 < H - 1 = 1) nothing is stable: LLaDA top-k,
    # m0 = 3 over 3 steps -> 1 token, the most confident: pos 1 (0.95)
    assert chosen(pol.select(obs(cur, iters=0, history=hist))) == {1}
    # no history yet (NaN): same fallback
    assert chosen(pol.select(obs(cur, iters=1, history=np.full_like(hist, np.nan)))) == {1}
    with pytest.raises(ValueError, match="history"):
        pol.select(obs(cur, iters=1))


def test_klass_runs_in_the_mdp_with_history():
    mdp = UnmaskingMDP(F.binary_symmetric_chain(6, 0.1), block_length=3)
    ro = mdp.rollout(KLASS(steps=3, conf_threshold=0.6, kl_threshold=0.05), 50, rng=0)
    assert ro.complete.all() and (ro.nfe <= 6).all() and (ro.nfe >= 2).all()


# ------------------------------------------------------------------ DUS
def test_dus_rounds_hand_examples():
    # B = 8: R = 3; stride 4 -> {0, 4}; stride 2 -> {2, 6}; stride 1 -> {1, 3, 5, 7}
    assert dus_rounds(8).tolist() == [0, 2, 1, 2, 0, 2, 1, 2]
    # B = 6: R = ceil(log2 6) = 3; stride 3 -> {0, 3}; stride 1 -> {1, 2, 4, 5};
    # stride max(1, 6 // 8) = 1 -> {} (smaller than the round before: merged)
    assert dus_rounds(6).tolist() == [0, 1, 1, 0, 1, 1]
    # B = 5: stride 2 -> {0, 2, 4}; stride 1 -> {1, 3}; third round empty, merged
    assert dus_rounds(5).tolist() == [0, 1, 0, 1, 0]


def test_dus_passes_per_block_and_prompt_skips():
    def uniform16(x, revealed):  # a uniform environment: any callable oracle will do
        return np.full((x.shape[0], 16, 2), 0.5)

    mdp = UnmaskingMDP(uniform16, n=16, q=2, block_length=8, token_mode="argmax")
    # two blocks of 8, log2 8 = 3 passes each
    assert mdp.rollout(DUS(), 3, rng=0).nfe.tolist() == [6, 6, 6]
    # offsets 0 and 4 of block 0 given as clues: round 0 is empty there -> 2 + 3 passes
    prompt = np.full(16, MASK)
    prompt[[0, 4]] = 1
    assert mdp.rollout(DUS(), prompts=prompt[None], rng=0).nfe.tolist() == [5]


# ------------------------------------------------------------------ PC-Sampler
def test_pc_sampler_hand_example():
    # q = 2 uniform background: -log(1/2 + 1e-9) = 0.693147; block offsets 0, 1, 2
    # scores = exp(-0.25 j) * 0.693147 * c:  0.6 * 0.693 = 0.4159; 0.7788 * 0.9 * 0.693 = 0.4858;
    #          0.6065 * 0.95 * 0.693 = 0.3994  -> the top-1 is position 1 (plain confidence: 2)
    p = two_point([0.6, 0.9, 0.95])
    pol = PCSampler(steps=3)
    want = np.array([0.6, math.exp(-0.25) * 0.9, math.exp(-0.5) * 0.95]) * -math.log(0.5 + 1e-9)
    np.testing.assert_allclose(pol.scores(obs(p))[0], want, rtol=1e-12)
    assert chosen(pol.select(obs(p))) == {1}
    # a frequent background token is down-weighted: f_bg = (0.9, 0.1); position 0 proposes
    # token 1 (p = 0.6 on token 1): 0.6 * ln 10 = 1.3816, clipped at alpha = 1 -> 1;
    # position 1 proposes token 0: 0.7788 * 0.9 * ln(1/0.9) = 0.0739
    p2 = np.array([[0.4, 0.6], [0.9, 0.1], [0.95, 0.05]])
    pol2 = PCSampler(steps=3, alpha=1.0, background=[0.9, 0.1])
    s2 = pol2.scores(obs(p2))[0]
    assert s2[0] == pytest.approx(1.0, abs=1e-12)
    assert s2[1] == pytest.approx(math.exp(-0.25) * 0.9 * -math.log(0.9 + 1e-9), rel=1e-12)
    assert chosen(pol2.select(obs(p2))) == {0}


def test_new_rules_bad_input():
    with pytest.raises(ValueError, match="steps"):
        DreamOrigin(0)
    with pytest.raises(ValueError, match="alg_temp"):
        DreamTopK(4, alg_temp=-1)
    with pytest.raises(ValueError, match="kl_threshold"):
        KLASS(3, kl_threshold=0)
    with pytest.raises(ValueError, match="background"):
        PCSampler(3, background=[0.5, 0.6])
    with pytest.raises(ValueError, match="block_length"):
        DreamThreshold(0.9, steps=5).check(UnmaskingMDP(F.uniform(4, 2)))
