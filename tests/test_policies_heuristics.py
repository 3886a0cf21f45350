"""Heuristic rules against hand-worked examples (issue 8 item 6; spec policies.md §3).

Every expected selection below was worked out by hand from the rule as the
spec states it; the numbers are written out, not produced by the code.
"""

import math

import numpy as np
import pytest

from mdmtheory.policies import (
    ConfidenceThreshold,
    EBSampler,
    FactorRule,
    RandomK,
    TopK,
    eb_select,
    factor_select,
    threshold_select,
    topk_select,
)
from mdmtheory.policies.mdp import MASK, Observation, UnmaskingMDP
from mdmtheory import families as F


def obs_from(probs, active=None, nfe=0):
    probs = np.asarray(probs, dtype=float)
    n = probs.shape[0]
    active = np.ones(n, bool) if active is None else np.asarray(active, bool)
    x = np.full((1, n), MASK)
    return Observation(x, probs[None], active[None], np.array([nfe]), n)


def chosen(action_row):
    return set(np.flatnonzero(action_row).tolist())


# ------------------------------------------------------------------ top-k family
def test_topk_skips_inactive_positions():
    # scores 0.7 .95 .4 .95 .8; position 3 is inactive -> the two best active are 1 and 4
    a, p = topk_select([0.7, 0.95, 0.4, 0.95, 0.8], [1, 1, 1, 0, 1], 2)
    assert chosen(a[0]) == {1, 4} and p.tolist() == [1.0]


def test_topk_ties_index_and_random():
    scores = [0.5, 0.9, 0.5, 0.5]
    a, _ = topk_select(scores, [1, 1, 1, 1], 2, tie_break="index")
    assert chosen(a[0]) == {0, 1}  # 0.9 first, then the leftmost of the tied 0.5s
    a, p = topk_select(scores, [1, 1, 1, 1], 2, tie_break="random")
    got = sorted(tuple(sorted(chosen(r))) for r in a)
    assert got == [(0, 1), (1, 2), (1, 3)]
    np.testing.assert_allclose(p, [1 / 3] * 3, rtol=0, atol=1e-15)


def test_llada_low_confidence_scores_are_top1_probabilities():
    # confidences .6 .9 .5 .8 -> top-2 = {1, 3}
    probs = [[0.6, 0.4], [0.1, 0.9], [0.5, 0.5], [0.8, 0.2]]
    a, _ = TopK([2, 2], "confidence").action_distribution(obs_from(probs))
    assert chosen(a[0]) == {1, 3}


def test_margin_and_confidence_disagree():
    # row 0: [.5 .5 0]  -> confidence .5, margin 0
    # row 1: [.4 .3 .3] -> confidence .4, margin .1
    probs = [[0.5, 0.5, 0.0], [0.4, 0.3, 0.3]]
    a, _ = TopK([1, 1], "confidence").action_distribution(obs_from(probs))
    assert chosen(a[0]) == {0}
    a, _ = TopK([1, 1], "margin").action_distribution(obs_from(probs))
    assert chosen(a[0]) == {1}


def test_entropy_and_confidence_disagree():
    # row 0: [.6 .2 .2]  H = .6 ln(1/.6) + .4 ln 5 = 0.3065 + 0.6438 = 0.950, confidence .6
    # row 1: [.55 .45 0] H = .55 ln(1/.55) + .45 ln(1/.45) = 0.3288 + 0.3593 = 0.688, conf .55
    probs = [[0.6, 0.2, 0.2], [0.55, 0.45, 0.0]]
    a, _ = TopK([1, 1], "confidence").action_distribution(obs_from(probs))
    assert chosen(a[0]) == {0}
    a, _ = TopK([1, 1], "entropy").action_distribution(obs_from(probs))
    assert chosen(a[0]) == {1}


def test_count_schedule_is_read_at_the_current_nfe():
    probs = [[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.6, 0.4]]
    pol = TopK([1, 2, 1], "confidence")
    # at nfe = 1 (second forward pass) the schedule asks for 2 tokens: .9 and .8
    a, _ = pol.action_distribution(obs_from(probs, nfe=1))
    assert chosen(a[0]) == {0, 1}
    a, _ = pol.action_distribution(obs_from(probs, nfe=2))
    assert chosen(a[0]) == {0}


def test_random_k_is_uniform_over_subsets():
    pol = RandomK([2, 2])
    a, p = pol.action_distribution(obs_from(np.full((4, 2), 0.5), active=[1, 1, 0, 1]))
    got = sorted(tuple(sorted(chosen(r))) for r in a)
    assert got == [(0, 1), (0, 3), (1, 3)]  # C(3, 2) = 3 subsets of the active {0, 1, 3}
    np.testing.assert_allclose(p, 1 / 3, rtol=0, atol=1e-15)


def test_random_k_action_table_equals_rowwise_law():
    probs = np.full((2, 5, 2), 0.5)
    active = np.array([[1, 1, 1, 0, 1], [0, 1, 1, 1, 1]], bool)
    obs = Observation(np.full((2, 5), MASK), probs, active, np.array([1, 1]), 5)
    pol = RandomK([1, 2, 2])
    rows, acts, pa = pol.action_table(obs)
    for b in range(2):
        a, p = pol.action_distribution(obs.row(b))
        mine = {tuple(r): v for r, v in zip(a.tolist(), p)}
        theirs = {tuple(r): v for r, v in zip(acts[rows == b].tolist(), pa[rows == b])}
        assert mine.keys() == theirs.keys() and len(mine) == math.comb(4, 2)
        for key in mine:
            assert abs(mine[key] - theirs[key]) < 1e-15


def test_random_tie_break_sampling_frequencies():
    # three tied candidates for one slot: each chosen with probability 1/3
    pol = TopK([2, 2], "confidence", tie_break="random")
    probs = np.array([[0.5, 0.5], [0.9, 0.1], [0.5, 0.5], [0.5, 0.5]])
    N = 30000
    obs = Observation(np.full((N, 4), MASK), np.repeat(probs[None], N, 0), np.ones((N, 4), bool),
                      np.zeros(N, dtype=np.int64), 4)
    acts = pol.sample_actions(obs, np.random.default_rng(0))
    assert acts[:, 1].all() and (acts.sum(1) == 2).all()
    freq = acts[:, [0, 2, 3]].mean(0)
    # binomial sd sqrt(1/3 * 2/3 / N) = 0.0027; 5 sd
    np.testing.assert_allclose(freq, 1 / 3, atol=5 * 0.0027)


# ------------------------------------------------------------------ Fast-dLLM threshold
def test_threshold_rule_hand_example():
    conf = [0.95, 0.6, 0.92, 0.3, 0.91]
    active = [1, 1, 1, 1, 0]  # position 4 is outside the block
    assert chosen(threshold_select(conf, active, 0.9)) == {0, 2}
    # nothing but the top passes lambda = 0.99: the most confident is forced
    assert chosen(threshold_select(conf, active, 0.99)) == {0}
    # every active position passes lambda = 0.2
    assert chosen(threshold_select(conf, active, 0.2)) == {0, 1, 2, 3}


def test_threshold_strict_vs_nonstrict_at_equality():
    conf = [0.95, 0.9, 0.5]
    assert chosen(threshold_select(conf, [1, 1, 1], 0.9)) == {0, 1}  # Fast-dLLM: >=
    assert chosen(threshold_select(conf, [1, 1, 1], 0.9, strict=True)) == {0}  # Apple: >


def test_threshold_policy_on_probabilities():
    probs = [[0.2, 0.8], [0.5, 0.5], [0.97, 0.03]]  # confidences .8 .5 .97
    a, p = ConfidenceThreshold(0.75).action_distribution(obs_from(probs))
    assert chosen(a[0]) == {0, 2} and p.tolist() == [1.0]


# ------------------------------------------------------------------ Fast-dLLM factor
def test_factor_rule_hand_example():
    # f = 1: rank r needs c_(r) >= 1 - 1/(r+1): r=2: .6667, r=3: .75, r=4: .8, r=5: .8333
    # sorted confidences .99 .9 .7 .6 .5 (positions 3 1 0 4 2): rank 3 (.7 < .75) fails
    conf = [0.7, 0.9, 0.5, 0.99, 0.6]
    assert chosen(factor_select(conf, [1] * 5, 1.0)) == {3, 1}
    # f = 2: thresholds r=2: 1/3, r=3: .5, r=4: .6, r=5: .6667; .7 .6 pass, .5 fails at r=5,
    # the last rank: Fast-dLLM's code then unmasks all five, the stated rule four
    assert chosen(factor_select(conf, [1] * 5, 2.0, code_quirk=True)) == {0, 1, 2, 3, 4}
    assert chosen(factor_select(conf, [1] * 5, 2.0, code_quirk=False)) == {0, 1, 3, 4}
    # f = 0.1: r=2 needs .9667 -> .9 fails: only the forced top
    assert chosen(factor_select(conf, [1] * 5, 0.1)) == {3}


def test_factor_policy_single_active_position():
    a, _ = FactorRule(0.5).action_distribution(obs_from([[0.5, 0.5], [0.6, 0.4]], [0, 1]))
    assert chosen(a[0]) == {1}


# ------------------------------------------------------------------ EB-sampler
def _h(p):
    return -sum(v * math.log(v) for v in p if v > 0)


def test_eb_sampler_hand_example():
    rows = [[0.8, 0.2], [0.99, 0.01], [0.5, 0.5], [0.9, 0.1]]
    H = [_h(r) for r in rows]  # .5004, .0560, .6931, .3251
    # ascending entropy: positions 1 (.0560), 3 (.3251), 0 (.5004), 2 (.6931)
    # prefix costs sum - max: 0, .0560, .0560 + .3251 = .3811, .3811 + .5004 = .8815
    assert abs(H[1] + H[3] - 0.3811) < 1e-4 and abs(H[1] + H[3] + H[0] - 0.8815) < 1e-4
    assert chosen(eb_select(rows, [1] * 4, 0.05)) == {1}
    assert chosen(eb_select(rows, [1] * 4, 0.1)) == {1, 3}
    assert chosen(eb_select(rows, [1] * 4, 0.4)) == {1, 3, 0}
    assert chosen(eb_select(rows, [1] * 4, 0.9)) == {0, 1, 2, 3}
    assert chosen(eb_select(rows, [1, 0, 1, 1], 0.4)) == {3, 0}  # position 1 inactive
    a, _ = EBSampler(0.1).action_distribution(obs_from(rows))
    assert chosen(a[0]) == {1, 3}


# ------------------------------------------------------------------ errors and alignment
def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="active"):
        topk_select([0.1, 0.2], [0, 0], 1)
    with pytest.raises(ValueError, match="only 2 are active"):
        topk_select([0.1, 0.2, 0.3], [1, 1, 0], 3)
    with pytest.raises(ValueError, match="tie_break"):
        TopK(2, tie_break="left")
    with pytest.raises(ValueError, match="score"):
        TopK(2, "perplexity")
    with pytest.raises(ValueError, match="gamma"):
        EBSampler(-1.0)
    with pytest.raises(ValueError, match="factor"):
        FactorRule(float("nan"))


def test_schedule_must_hit_block_boundaries():
    mdp = UnmaskingMDP(F.uniform(4, 2), block_length=2)
    with pytest.raises(ValueError, match="block boundaries"):
        TopK([1, 3]).check(mdp)
    TopK(2).check(mdp)  # an int is LLaDA's per-block count: always aligned
    TopK([1, 1, 2]).check(mdp)  # cumulative 1, 2, 4 hits the boundary 2
