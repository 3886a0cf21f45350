"""The dLLM package: denoiser contract, the trainer, checkpoint IO, evaluation."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mdmtheory.dlm import (  # noqa: E402
    CHECKPOINT_DIR,
    CHECKPOINT_NAMES,
    CONFIGS,
    NEG_LOGIT,
    Denoiser,
    OracleDenoiser,
    greedy_decode,
    load_checkpoint,
    masked_diffusion_loss,
    masked_nll,
    save_checkpoint,
    train,
)
from mdmtheory.tasks import get_task  # noqa: E402

TINY = dict(hidden=16, layers=1, heads=2, intermediate=32, batch=16, warmup=2,
            eval_windows=32)


def _tiny(name: str, steps: int = 3):
    return replace(CONFIGS[name], steps=steps, **TINY)


def test_trainer_runs_and_checkpoint_round_trips(tmp_path):
    torch.set_num_threads(1)
    net, rec = train(_tiny("sudoku4"), tmp_path / "m", progress=False)
    assert rec["parameters"] == sum(p.numel() for p in net.parameters())
    assert math.isfinite(rec["heldout_masked_nll"]) and "exact_masked_nll" in rec
    net2, meta = load_checkpoint(tmp_path / "m.json")
    assert meta["task"] == "sudoku4" and meta["weights_dtype"] == "float16"
    assert (net2.mask_id, net2.vocab_size, net2.seq_len) == (4, 5, 16)
    # the loaded weights are the trained ones rounded to float16
    ref = Denoiser(5, 16, 4, range(4), CONFIGS["sudoku4"].__class__(**meta["config"]).arch)
    ref.load_state_dict({k: v.half().float() for k, v in net.state_dict().items()})
    x = get_task("sudoku4").prompts(8, seed=0)
    torch.testing.assert_close(net2(x), ref.eval()(x), rtol=0, atol=0)


def test_loss_never_masks_clues_and_matches_a_direct_computation():
    """The loss's masked CE equals cross-entropy recomputed from the inputs the
    network actually saw; clue positions are never masked."""
    torch.manual_seed(0)
    task = get_task("sudoku4")
    net = Denoiser(5, 16, 4, range(4), CONFIGS["sudoku4"].arch)
    seen = []
    net.register_forward_hook(lambda m, a, out: seen.append((a[0].clone(), out.detach())))
    x, c = task.training_batch(64, np.random.default_rng(0))
    nelbo, mce = masked_diffusion_loss(net, x, c, torch.Generator().manual_seed(3))
    inp, logits = seen[0]
    m = inp == 4
    assert not (m & c).any() and m.any() and (inp[~m] == x[~m]).all()
    lp = torch.log_softmax(logits, -1).gather(-1, x[..., None])[..., 0]
    torch.testing.assert_close(mce, -(lp[m]).mean(), rtol=1e-5, atol=1e-6)
    assert float(nelbo.detach()) >= 0


def test_denoiser_contract_and_bad_input():
    net = Denoiser(5, 16, 4, range(4))
    logits = net(torch.full((2, 16), 4))
    assert logits.shape == (2, 16, 5) and logits.dtype == torch.float32
    assert (logits[..., 4] == NEG_LOGIT).all()  # the mask id is never proposed
    assert torch.isfinite(torch.log_softmax(logits, -1)).all()
    with pytest.raises(ValueError, match="exceeds"):
        net(torch.zeros((1, 17), dtype=torch.long))
    with pytest.raises(ValueError, match="shape"):
        net(torch.zeros(16, dtype=torch.long))
    with pytest.raises(ValueError, match="mask_id"):
        Denoiser(5, 16, 5, range(4))
    with pytest.raises(ValueError, match="answer_tokens"):
        Denoiser(5, 16, 4, range(5))
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        load_checkpoint("no-such-model")


def test_masked_nll_of_the_exact_law_has_zero_excess():
    task = get_task("sudoku4")
    r = masked_nll(OracleDenoiser(task), task, rows=256, seed=0)
    # the oracle's logits are float32: |log p| rounding ~1e-7 per token
    assert abs(r["excess_nll"]) < 1e-6 and r["excess_nll_se"] < 1e-6
    assert 0 < r["exact_masked_nll"] < math.log(4)


def test_masked_nll_of_a_uniform_model_is_log_q():
    """A network whose logits are all equal scores log q per masked token."""
    task = get_task("code")
    net = Denoiser(task.vocab_size, 16, task.mask_id, task.answer_tokens)
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
    r = masked_nll(net, task, rows=128, seed=0)
    np.testing.assert_allclose(r["heldout_masked_nll"], math.log(task.q), rtol=1e-6)
    assert r["excess_nll"] > 0


@pytest.mark.parametrize("name", ["sudoku4", "code", "markov"])
def test_greedy_decode_on_the_exact_law_is_always_correct(name):
    """Revealing one arg-max token of an exact conditional at a time never leaves
    the support, so every answer is correct and keeps the clues."""
    task = get_task(name)
    P = task.prompts(32, seed=2)
    out = greedy_decode(OracleDenoiser(task), P)
    assert (out != task.mask_id).all() and task.is_correct(out, P).all()


def test_save_checkpoint_writes_fp16(tmp_path):
    net = Denoiser(5, 16, 4, range(4))
    base = save_checkpoint(net, {"config": {"name": "x", "task": "sudoku4", "seq_len": 16}},
                           tmp_path / "x")
    from safetensors.torch import load_file

    assert all(v.dtype == torch.float16 for v in load_file(str(base) + ".safetensors").values())


@pytest.mark.parametrize("name", CHECKPOINT_NAMES)
def test_committed_checkpoint_loads_with_the_interface(name):
    if not (CHECKPOINT_DIR / f"{name}.safetensors").is_file():
        pytest.skip(f"checkpoint {name} not committed")
    net, meta = load_checkpoint(name)
    assert (CHECKPOINT_DIR / f"{name}.safetensors").stat().st_size < 4 * 2**20
    assert meta["task"] == name
    x = torch.full((2, net.seq_len), net.mask_id)
    assert net(x).shape == (2, net.seq_len, net.vocab_size)
    if name == "kjv":
        assert net.mask_id == 1 and net.vocab_size == 64
        assert meta["heldout_masked_nll"] < 2.5  # the unigram entropy is 2.99 nats
        return
    task = get_task(name)
    assert (net.mask_id, net.vocab_size) == (task.mask_id, task.vocab_size)
    assert net.seq_len >= task.length
    # learned something: well below the uniform log q per masked token, and its
    # recorded excess over the exact law is below half of the uniform model's
    assert meta["heldout_masked_nll"] < math.log(task.q)
    assert meta["excess_nll"] < 0.5 * (math.log(task.q) - meta["exact_masked_nll"])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["code", "markov", "sudoku4"])
def test_committed_task_model_quality(name):
    """Re-measure the held-out figures (fresh seed) and a greedy decode."""
    if not (CHECKPOINT_DIR / f"{name}.safetensors").is_file():
        pytest.skip(f"checkpoint {name} not committed")
    net, meta = load_checkpoint(name)
    task = get_task(name)
    r = masked_nll(net, task, rows=512, seed=99)
    assert r["excess_nll"] < 0.5 * (math.log(task.q) - r["exact_masked_nll"])
    P = task.prompts(200, seed=5)
    acc = task.is_correct(greedy_decode(net, P), P).float().mean()
    assert acc >= 0.5
