"""Gap reports (mdmtheory.policies.gaps): the optimal adaptive front dominates every rule."""

from __future__ import annotations

import numpy as np
import pytest

from mdmtheory import families
from mdmtheory.policies.adaptive_optimal import budget_envelope
from mdmtheory.policies.exact import evaluate_policy
from mdmtheory.policies.gaps import gap_report, law_reward
from mdmtheory.policies.heuristics import RandomK


@pytest.mark.parametrize("name,mu,reward", [
    pytest.param("chain", families.binary_symmetric_chain(5, 0.15), "loglik",
                 marks=pytest.mark.slow),
    ("parity", families.parity(5, 2), "correct"),
    ("mixture", families.mixture([families.product(np.tile([0.2, 0.8], (5, 1))),
                                  families.product(np.tile([0.7, 0.3], (5, 1)))]), "speed"),
])
def test_optimal_adaptive_front_dominates_every_rule_and_the_oblivious_schedule(name, mu, reward):
    """Every heuristic is an adaptive policy, evaluated by independent code: none may beat the
    DP's envelope at its own expected NFE (tolerance 1e-12)."""
    rep = gap_report(mu, reward, name=name)
    for rf in list(rep.rules.values()) + [rep.oblivious]:
        ok = np.isfinite(rf.expected_reward)
        best = rep.adaptive.envelope(rf.expected_nfe[ok])
        assert np.all(rf.expected_reward[ok] <= best + 1e-12), (rf.name, rf.expected_reward,
                                                                best)
    for gap in rep.gaps.values():
        g = gap[np.isfinite(gap)]
        assert np.all(g >= -1e-12)
    summ = rep.summary()
    assert set(summ) == set(rep.rules) | {"optimal oblivious schedule"}


def test_law_reward_matches_direct_sums():
    mu = families.binary_symmetric_chain(4, 0.2)
    law = evaluate_policy(mu, RandomK((2, 2)))
    nu, p = law.nu.ravel(), mu.p.ravel()
    assert abs(law_reward(law, "loglik") - float(np.sum(nu * np.log(p)))) < 1e-14
    assert abs(law_reward(law, "correct") - float(nu[p > 0].sum())) < 1e-15
    with pytest.raises(ValueError, match="reward"):
        law_reward(law, "kl")


def test_budget_envelope_is_concave_nondecreasing_and_flat_after_the_last_point():
    x = np.array([1.0, 2.0, 3.0, 5.0, 4.0])
    y = np.array([0.1, 0.6, 0.7, 0.65, 0.9])
    at = np.linspace(0.5, 7, 50)
    e = budget_envelope(x, y, at)
    assert np.all(np.isneginf(e[at < 1]))
    f = e[at >= 1]
    assert np.all(np.diff(f) >= -1e-15)
    assert np.all(np.diff(f, 2) <= 1e-12)
    assert np.allclose(e[at >= 4], 0.9)
    # never below any given point at or after its abscissa
    for xi, yi in zip(x, y):
        assert np.all(e[at >= xi] >= yi - 1e-15)


def test_committed_learned_policies_never_beat_the_optimal_adaptive_front():
    """The GRPO policies committed under scripts/adaptive_checkpoints are stochastic adaptive
    policies: evaluated exactly (independent evaluator, with the fallback) on a chain of
    n = 5 -- a law they were not trained on -- none may lie above the DP's envelope."""
    import pathlib

    pytest.importorskip("torch")
    from mdmtheory.policies.adaptive_optimal import adaptive_front
    from mdmtheory.policies.grpo import load_policy

    ckpts = sorted((pathlib.Path(__file__).resolve().parents[1] / "scripts"
                    / "adaptive_checkpoints").glob("*.pt"))
    if not ckpts:
        pytest.skip("no committed checkpoint")
    mu = families.binary_symmetric_chain(5, 0.1)
    front = adaptive_front(mu, "loglik")
    for path in ckpts[:1]:
        pol, _ = load_policy(path)
        law = evaluate_policy(mu, pol, fallback=True)
        r = law_reward(law, "loglik")
        assert np.isfinite(r)
        assert r <= front.envelope(law.expected_nfe)[0] + 1e-12, (path.name, r)
