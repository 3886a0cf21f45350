"""The prompted masked model: the bridge's estimators on the law of the free positions.

Truth is computed independently of the adapter: the law of the free positions
given the clues is the joint table sliced at the clues and renormalised
(numpy indexing), its conditionals are sums over that table, and its curve is
``information_curve`` (Def 3, the exact sweep).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mdmtheory import Distribution, information_curve  # noqa: E402
from mdmtheory.bridge import estimate_from_rows, sample_rows  # noqa: E402
from mdmtheory.bridge.prompted import PromptedModel  # noqa: E402
from mdmtheory.oracle import DistributionOracle  # noqa: E402

N, Q = 5, 3
PROMPT = np.array([-1, 2, -1, 0, -1])  # clues at positions 1 and 3
FREE = [0, 2, 4]


def _law(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = rng.dirichlet(np.full(Q ** N, 0.7)).reshape((Q,) * N)
    return t


def _conditioned(t: np.ndarray) -> np.ndarray:
    c = t[:, 2, :, 0, :]
    return c / c.sum()


def test_log_probs_are_the_conditionals_of_the_sliced_table():
    t = _law()
    c = _conditioned(t)
    pm = PromptedModel(DistributionOracle(Distribution(t)), PROMPT, q=Q)
    rng = np.random.default_rng(3)
    for _ in range(20):
        tok = rng.integers(Q, size=(1, 3))
        msk = rng.random((1, 3)) < 0.6
        lp = pm.log_probs(torch.as_tensor(tok), torch.as_tensor(msk)).numpy()[0]
        for k in np.flatnonzero(msk[0]):  # brute force over the table of the free positions
            p = np.zeros(Q)
            for y in itertools.product(range(Q), repeat=3):
                if all(y[r] == tok[0, r] for r in range(3) if not msk[0, r]):
                    p[y[k]] += c[y]
            np.testing.assert_allclose(np.exp(lp[k]), p / p.sum(), rtol=1e-10, atol=1e-14)


def test_bridge_estimate_of_the_prompted_curve_matches_the_exact_curve():
    t = _law(1)
    Z = information_curve(Distribution(_conditioned(t)))
    pm = PromptedModel(DistributionOracle(Distribution(t)), PROMPT, q=Q)
    est = estimate_from_rows(pm, sample_rows(pm, 1500, 3, seed=0, progress=False),
                             progress=False)
    for form in ("entropy", "cross_entropy"):
        cur = est.curve(form)
        se = (cur.Z_hi - cur.Z_lo) / (2 * 1.96)
        assert cur.Z.shape == Z.shape
        # 5 standard errors: a bound that fails about once in 10^6 per j if unbiased
        assert np.all(np.abs(cur.Z - Z) <= 5 * se + 1e-12), (form, cur.Z, Z)
    # the joint curve (no clues) differs, so the test can tell the two apart
    assert not np.allclose(information_curve(Distribution(t))[:3], Z, atol=0.05)


def test_bad_prompts_raise():
    orc = DistributionOracle(Distribution(_law()))
    with pytest.raises(ValueError, match="free"):
        PromptedModel(orc, np.zeros(N, dtype=int), q=Q)
    with pytest.raises(ValueError, match="alphabet"):
        PromptedModel(orc, np.array([-1, 3, -1, 0, -1]), q=Q)
    with pytest.raises(ValueError, match="prompt"):
        PromptedModel(orc, np.zeros((2, 2), dtype=int), q=Q)
    pm = PromptedModel(orc, PROMPT, q=Q)
    with pytest.raises(ValueError, match="shape"):
        pm.log_probs(torch.zeros((1, 4), dtype=torch.long), torch.ones((1, 4), dtype=torch.bool))
