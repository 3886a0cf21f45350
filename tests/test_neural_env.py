"""The MDP over a torch denoiser (Jazbec et al. 2025: the environment is the dLLM).

The exact-law stand-in :class:`TableDenoiser` is checked against the exact
conditionals of the same law computed by :class:`mdmtheory.Distribution`
(slicing a dense tensor: an independent code path); the MDP on the torch
environment is checked against the MDP on the exact oracle (same seed, same
trajectories), and NFE accounting against hand-counted episodes.
"""

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mdmtheory import Distribution  # noqa: E402
from mdmtheory.policies import ConfidenceThreshold, DUS, KLASS, TopK  # noqa: E402
from mdmtheory.policies.mdp import MASK, UnmaskingMDP  # noqa: E402
from mdmtheory.policies.neural import DenoiserOracle, TableDenoiser  # noqa: E402


def parity_support(n=5):
    """Even-parity binary words of length n (a [n, n-1] code)."""
    return np.array([w for w in itertools.product([0, 1], repeat=n) if sum(w) % 2 == 0])


def dense(support, q, weights=None):
    p = np.zeros((q,) * support.shape[1])
    w = np.ones(len(support)) if weights is None else np.asarray(weights, float)
    for row, wi in zip(support, w):
        p[tuple(row)] += wi
    return Distribution(p / p.sum())


def test_table_denoiser_matches_exact_conditionals():
    rng = np.random.default_rng(0)
    S = parity_support(5)
    w = rng.random(len(S)) + 0.1
    mu = dense(S, 2, w)
    orc = DenoiserOracle(TableDenoiser(S, 2, weights=w))
    for _ in range(30):
        rev = rng.random(5) < 0.5
        x = S[rng.integers(len(S))]  # a support row: the context has positive mass
        got = orc(np.where(rev, x, 0)[None], rev[None])[0]
        want = mu.conditionals((np.flatnonzero(rev), x[rev]))
        np.testing.assert_allclose(got[~rev], want[~rev], atol=1e-6)  # float32 logits
        # revealed positions: point masses on the revealed token
        np.testing.assert_array_equal(got[rev].argmax(-1), x[rev])


def test_mask_column_is_dropped():
    class Den(torch.nn.Module):  # V = 3 logits, mask id 1 inside the vocabulary
        vocab_size, mask_id, seq_len = 3, 1, 2

        def forward(self, t):
            return torch.zeros(t.shape[0], 2, 3)

    orc = DenoiserOracle(Den())
    assert orc.q == 2 and orc.token_ids.tolist() == [0, 2]  # the mask column is dropped
    p = orc(np.zeros((1, 2), int), np.zeros((1, 2), bool))
    np.testing.assert_allclose(p[0], [[0.5, 0.5], [0.5, 0.5]])
    # MDP token 1 is denoiser token 2
    assert orc.tokens(np.array([[1, 0]]), np.array([[True, False]])).tolist() == [[2, 1]]
    with pytest.raises(TypeError, match="mask_id"):
        DenoiserOracle(torch.nn.Identity())


@pytest.mark.parametrize("policy", [ConfidenceThreshold(0.7), TopK(2), DUS(),
                                    KLASS(2, conf_threshold=0.5, kl_threshold=0.1)])
def test_torch_and_exact_environment_give_the_same_rollouts(policy):
    S = parity_support(6)
    mu = dense(S, 2)
    prompts = np.full((40, 6), MASK)
    prompts[::2, 0] = 1
    kw = dict(block_length=3, token_mode="sample")
    a = UnmaskingMDP(mu, **kw).rollout(policy, prompts=prompts, rng=3)
    b = UnmaskingMDP(DenoiserOracle(TableDenoiser(S, 2)), **kw).rollout(
        policy, prompts=prompts, rng=3)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.nfe, b.nfe)


def test_nfe_counts_only_running_rows():
    # row 0 has every position as a clue (0 passes); row 1 one mask (1 pass);
    # row 2 all 6 masked, top-1 per pass in blocks of 3 with TopK(3): 3 + 3 passes
    S = parity_support(6)
    orc = DenoiserOracle(TableDenoiser(S, 2))
    mdp = UnmaskingMDP(orc, block_length=3, token_mode="argmax")
    P = np.array([S[5], S[5], np.full(6, MASK)])
    P[1, 4] = MASK
    calls0 = orc.calls
    ro = mdp.rollout(TopK(3), prompts=P, rng=0, record=True)
    assert ro.nfe.tolist() == [0, 1, 6]
    assert orc.calls - calls0 == 6  # one batched pass per step, finished rows not re-run
    assert [s["rows"].tolist() for s in ro.steps][:2] == [[1, 2], [2]]


@pytest.mark.gpu
def test_cuda_environment_matches_cpu():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    S = parity_support(6)
    den = TableDenoiser(S, 2)
    x = np.zeros((8, 6), int)
    rev = np.random.default_rng(0).random((8, 6)) < 0.4
    x[rev] = 0
    a = DenoiserOracle(den)(x, rev)
    b = DenoiserOracle(den.to("cuda"))(x, rev)
    np.testing.assert_allclose(a, b, atol=1e-6)
