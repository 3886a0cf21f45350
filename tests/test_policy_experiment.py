"""The experiment script's oblivious schedule: the bridge's estimate of a prompted
law picks the schedule that Thm 1.4's DP picks on the exact curve of that law, and
the schedule policy unmasks exactly its counts.

Truth: the law of the free positions given the clues is the joint table sliced
at the clues (numpy indexing); its curve is ``information_curve`` (Def 3) and
the optimum is ``optimal_schedule`` on it -- neither touches the bridge.
"""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mdmtheory import Distribution, information_curve  # noqa: E402
from mdmtheory.optimal import optimal_schedule  # noqa: E402
from mdmtheory.oracle import DistributionOracle  # noqa: E402
from mdmtheory.policies.mdp import MASK, UnmaskingMDP  # noqa: E402
from mdmtheory.schedule import left_riemann_error  # noqa: E402

SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "scripts" / "policy_experiment.py"


def _script():
    spec = importlib.util.spec_from_file_location("policy_experiment", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _law():
    rng = np.random.default_rng(5)
    t = rng.dirichlet(np.full(2 ** 5, 0.3)).reshape((2,) * 5)
    return t


def test_bridge_schedule_matches_the_exact_optimum():
    pe = _script()
    t = _law()
    cond = t[:, 1, :, 0, :]
    cond = cond / cond.sum()
    Z = information_curve(Distribution(cond))
    orc = DistributionOracle(Distribution(t))
    prompt = np.array([MASK, 1, MASK, 0, MASK])
    plan = pe.bridge_schedules(orc, np.tile(prompt, (400, 1)), ks=(2,), seed=0)
    assert list(plan) == [3]
    exact = optimal_schedule(Z, 2)
    errs = {s: left_riemann_error(Z, list(s)) for s in ((1, 2), (2, 1))}
    gap = abs(errs[(1, 2)] - errs[(2, 1)])
    assert gap > 0.02, "test law must separate the two schedules"  # guard on the fixture
    assert tuple(plan[3]["sizes"][2]) == tuple(int(v) for v in exact.schedule.sizes), (
        plan[3], errs)


def test_oblivious_schedule_unmasks_its_counts():
    pe = _script()
    orc = DistributionOracle(Distribution(_law()))
    mdp = UnmaskingMDP(orc, n=5, q=2, block_length=None, token_mode="argmax", fallback=True)
    P = np.tile(np.array([MASK, 1, MASK, 0, MASK]), (50, 1))
    ro = mdp.rollout(pe.ObliviousSchedule({3: np.array([1, 2])}, 2), prompts=P, rng=0)
    assert np.all(ro.nfe == 2) and np.all(ro.complete)
    # 4 free cells with counts (3, 1): 2 passes (1 per pass would take 4, all at once 1)
    P2 = np.tile(np.array([MASK, MASK, MASK, 0, MASK]), (50, 1))
    ro = mdp.rollout(pe.ObliviousSchedule({4: np.array([3, 1])}, 2), prompts=P2, rng=0)
    assert np.all(ro.nfe == 2) and np.all(ro.complete)


def _law6():
    rng = np.random.default_rng(84)  # seed picked: optimum (1, 2), not (2, 1), by a wide gap
    return rng.dirichlet(np.full(2 ** 6, 0.3)).reshape((2,) * 6)


def test_semi_ar_bridge_schedule_matches_the_exact_block_optimum():
    """Two blocks of 3 (BL=3, n=6, all masked): block 0's law marginalises block 1;
    block 1's law is conditioned on block 0 drawn from the model.  Both have m = 3
    free cells, so the pooled curve is the mean of block 0's curve and the
    block-0-averaged curve of block 1 -- computed here from the table alone."""
    pe = _script()
    t = _law6()
    p0 = t.sum(axis=(3, 4, 5))
    Z0 = np.asarray(information_curve(Distribution(p0 / p0.sum())))
    Z1 = sum(p0[v] * np.asarray(information_curve(Distribution(t[v] / t[v].sum())))
             for v in np.ndindex(2, 2, 2))
    Z = (Z0 + Z1) / 2
    orc = DistributionOracle(Distribution(t))
    plan = pe.bridge_schedules(orc, np.full((400, 6), MASK), ks=(1, 2, 3), seed=0, bl=3)
    assert list(plan) == [3] and plan[3]["rows"] == 800
    errs = {s: left_riemann_error(Z, list(s)) for s in ((1, 2), (2, 1))}
    assert abs(errs[(1, 2)] - errs[(2, 1)]) > 0.05, "test law must separate the schedules"
    exact = optimal_schedule(Z, 2)
    assert tuple(plan[3]["sizes"][2]) == tuple(int(v) for v in exact.schedule.sizes), (
        plan[3], errs)
    assert tuple(plan[3]["sizes"][1]) == (3,) and tuple(plan[3]["sizes"][3]) == (1, 1, 1)
    # the pooled estimate covers the exact pooled curve (pointwise 95 % intervals, seeded)
    lo, hi = np.asarray(plan[3]["Z_lo"]), np.asarray(plan[3]["Z_hi"])
    assert lo.shape == Z.shape and np.all((lo <= Z + 1e-12) & (Z <= hi + 1e-12)), (lo, Z, hi)


def test_oblivious_schedule_unmasks_its_per_block_counts_in_semi_ar():
    """BL=3: block 0 has 2 masked cells (one clue), block 1 has 3; every pass must
    unmask exactly the schedule's count of the current block's ``m``."""
    pe = _script()
    orc = DistributionOracle(Distribution(_law6()))
    mdp = UnmaskingMDP(orc, n=6, q=2, block_length=3, token_mode="argmax", fallback=True)
    P = np.tile(np.array([MASK, 1, MASK, MASK, MASK, MASK]), (20, 1))
    for sizes, want in (({2: [2], 3: [1, 2]}, [2, 1, 2]), ({2: [1, 1], 3: [3]}, [1, 1, 3])):
        pol = pe.ObliviousSchedule({m: np.array(s) for m, s in sizes.items()}, len(want))
        st, rng, got = mdp.initial_state(20, P), np.random.default_rng(0), []
        while not st.done.all():
            obs = mdp.observe(st)
            act = mdp.apply_fallback(pol, obs, pol.sample_actions(obs, rng))
            got.append(act.sum(axis=1))
            lo = obs.block_start[:, None]
            assert np.all(np.flatnonzero(act[0]) < obs.block_end[0])  # inside the block
            assert np.all(act.nonzero()[1] >= np.repeat(lo[:, 0], act.sum(axis=1)))
            st = mdp.step(st, act, obs.probs, rng)
        assert np.array_equal(np.array(got), np.tile(want, (20, 1)).T), got
        assert np.all(st.x != MASK)
        ro = mdp.rollout(pol, prompts=P, rng=0)
        assert np.all(ro.nfe == len(want)) and np.all(ro.complete)


def test_prompted_model_free_subset_rejects_bad_input():
    from mdmtheory.bridge.prompted import PromptedModel

    orc = DistributionOracle(Distribution(_law6()))
    prompt = np.array([-1, 1, -1, -1, -1, -1])
    assert PromptedModel(orc, prompt, q=2, free=[3, 5]).length == 2
    for bad in ([1], [7], [[0, 2]], np.ones(5, bool)):  # a clue, out of range, 2-D, bad shape
        with pytest.raises(ValueError, match="free"):
            PromptedModel(orc, prompt, q=2, free=bad)
