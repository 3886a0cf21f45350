"""The torch bridge on a CUDA device (issue 7 item 7); skipped without CUDA.

The CPU float32 computation is the reference: the same tiny network, the same
sequences and masks on CUDA must give the same log-probabilities and the same
draw matrix (float32 tolerance), and bf16/fp16 autocast must stay within the
documented accuracy of :func:`mdmtheory.bridge.estimate.autocast_accuracy`.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]

from mdmtheory import families, information_curve  # noqa: E402
from mdmtheory.bridge.estimate import autocast_accuracy, estimate_model_curve  # noqa: E402
from mdmtheory.bridge.models import HFMaskedLM, OracleModel  # noqa: E402


def _tiny_pair():
    torch.manual_seed(0)
    cfg = transformers.BertConfig(vocab_size=12, hidden_size=64, num_hidden_layers=2,
                                  num_attention_heads=4, intermediate_size=128,
                                  max_position_embeddings=64, hidden_dropout_prob=0.0,
                                  attention_probs_dropout_prob=0.0)
    net = transformers.BertForMaskedLM(cfg).eval()
    kw = dict(mask_id=4, real_ids=list(range(5, 12)), pad_id=0, prefix_ids=[2], suffix_ids=[3])
    cpu = HFMaskedLM(net, name="tiny-cpu", **kw)
    gpu = HFMaskedLM(copy.deepcopy(net).to("cuda"), name="tiny-cuda", **kw)
    return cpu, gpu


def test_cuda_log_probs_match_cpu():
    cpu, gpu = _tiny_pair()
    assert gpu.device.type == "cuda"
    rng = np.random.default_rng(0)
    x = torch.as_tensor(rng.integers(7, size=(8, 20)))
    m = torch.as_tensor(rng.random((8, 20)) < 0.5)
    v = torch.ones_like(m)
    v[3, 15:] = False
    a = cpu.log_probs(x, m, v)
    b = gpu.log_probs(x, m, v)
    assert b.device.type == "cuda"
    np.testing.assert_allclose(b.cpu()[v].numpy(), a[v].numpy(), atol=1e-4)


def test_cuda_estimator_matches_cpu_and_autocast_is_accurate():
    cpu, gpu = _tiny_pair()
    x = np.random.default_rng(1).integers(7, size=(16, 24))
    ec = estimate_model_curve(cpu, x, positions_per_cell=4, progress=False, seed=2)
    eg = estimate_model_curve(gpu, x, positions_per_cell=4, progress=False, seed=2)
    assert eg.device.startswith("cuda")
    np.testing.assert_allclose(eg.draws_entropy, ec.draws_entropy, atol=1e-4)
    for dt in ("bf16", "fp16"):
        chk = autocast_accuracy(gpu, x, dt, passes=64)
        assert chk["mean_abs_dH"] < 0.02 and abs(chk["mean_dH"]) < 0.01, chk
        e16 = estimate_model_curve(gpu, x, positions_per_cell=4, progress=False, seed=2,
                                         autocast=dt, autocast_tolerance=0.01)
        assert np.abs(e16.entropy.Z - ec.entropy.Z).max() < 0.02


def test_oracle_on_cuda_converges():
    mu = families.binary_symmetric_chain(6, 0.1)
    est = estimate_model_curve(OracleModel(mu, device="cuda"), mu.sample(3000, rng=0),
                                     seed=1, progress=False, batch_size=1024)
    Z = information_curve(mu)
    assert np.all(np.abs(est.entropy.Z - Z) <= 4 * est.entropy.Z_se + 1e-12)
