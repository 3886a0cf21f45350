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
