"""Adapters against real architectures (random tiny networks, no download), the
masked-only LM head against the full forward pass, precision, loading and the
estimate file.  The reference in every comparison is the plain full forward pass of
the network, indexed by hand."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from mdmtheory.bridge.heads import split_network  # noqa: E402
from mdmtheory.bridge.models import (HFMaskedLM, dream_style, entropy_and_nll,  # noqa: E402
                                     llada_style, masked_entropy_nll, masked_log_probs)

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "A", "C", "D", "E", "F", "G"]


def _modernbert(V=40):
    cfg = transformers.ModernBertConfig(vocab_size=V, hidden_size=32, num_hidden_layers=2,
                                        num_attention_heads=2, intermediate_size=64,
                                        max_position_embeddings=64, pad_token_id=0,
                                        bos_token_id=1, eos_token_id=2, cls_token_id=1,
                                        sep_token_id=2, mask_token_id=3)
    torch.manual_seed(0)
    net = transformers.ModernBertForMaskedLM(cfg).eval()
    with torch.no_grad():  # the head norm is zero-initialised: Z would be 0
        for p in net.head.parameters():
            p.add_(0.5 * torch.randn_like(p))
        net.decoder.weight.normal_(0, 0.5)
    return net


class _Body(torch.nn.Module):
    """A bidirectional toy transformer body honouring 2-D and 4-D attention masks
    (the forms LLaDA- and Dream-style models accept)."""

    def __init__(self, V, d=16):
        super().__init__()
        self.emb = torch.nn.Embedding(V, d)
        self.pos = torch.nn.Embedding(64, d)
        self.layer = torch.nn.TransformerEncoderLayer(d, 2, 32, dropout=0.0, batch_first=True)

    def forward(self, input_ids, attention_mask=None):
        T = input_ids.shape[1]
        h = self.emb(input_ids) + self.pos(torch.arange(T))[None]
        pad = None
        if attention_mask is not None:
            am = attention_mask
            if am.ndim == 4:  # (B, 1, T, T) boolean: keys allowed
                am = am[:, 0, 0, :]
            pad = ~am.bool()
        return (self.layer(h, src_key_padding_mask=pad),)


class _StandIn(torch.nn.Module):
    """``model`` + ``lm_head`` like Dream's and LLaDA's HF wrappers; returns ``.logits``."""

    def __init__(self, V, mask4d=False):
        super().__init__()
        torch.manual_seed(1)
        self.model = _Body(V)
        self.lm_head = torch.nn.Linear(16, V)
        self.mask4d = mask4d

    def forward(self, input_ids, attention_mask=None):
        if attention_mask is not None and self.mask4d:
            a = attention_mask.bool()
            attention_mask = (a[:, None, :, None] & a[:, None, None, :])
        h = self.model(input_ids, attention_mask)[0]
        return transformers.modeling_outputs.MaskedLMOutput(logits=self.lm_head(h))


def _adapters():
    V = 40
    real = list(range(5, 37))
    yield "modernbert", HFMaskedLM(_modernbert(V), mask_id=3, real_ids=real, pad_id=0,
                                   prefix_ids=[1], suffix_ids=[2], name="modernbert")
    yield "llada", llada_style(_StandIn(V), real_ids=real, mask_id=38, pad_id=0)
    yield "dream", dream_style(_StandIn(V, mask4d=True), real_ids=real, bos_id=1,
                               mask_id=39, pad_id=0)


def _batch(q, B=3, L=7, seed=0):
    rng = np.random.default_rng(seed)
    x = torch.as_tensor(rng.integers(q, size=(B, L)))
    mk = torch.as_tensor(rng.random((B, L)) < 0.5)
    mk[:, 0] = True
    lens = [L, L - 2, L - 4]
    valid = torch.zeros((B, L), dtype=torch.bool)
    for b, n in enumerate(lens):
        valid[b, :n] = True
    return x, mk, valid, lens


@pytest.mark.parametrize("name,model", list(_adapters()), ids=lambda v: v if
                         isinstance(v, str) else "")
def test_masked_only_head_equals_full_forward_on_padded_batches(name, model):
    assert split_network(model.model) is not None
    x, mk, valid, lens = _batch(model.vocab_size)
    full = model.log_probs(x, mk, valid).double()
    sel = mk & valid
    got = masked_log_probs(model, x, mk, valid).double()
    np.testing.assert_allclose(got.numpy(), full[sel].numpy(), atol=1e-5)
    H, N = masked_entropy_nll(model, x, mk, valid)
    Hr, Nr = entropy_and_nll(full, x)
    np.testing.assert_allclose(H.numpy(), Hr[sel].numpy(), atol=1e-5)
    np.testing.assert_allclose(N.numpy(), Nr[sel].numpy(), atol=1e-5)
    # padding is invisible: each row alone, unpadded, gives the same numbers
    for b, n in enumerate(lens):
        alone = model.log_probs(x[b:b + 1, :n], mk[b:b + 1, :n]).double()[0]
        np.testing.assert_allclose(alone.numpy(), full[b, :n].numpy(), atol=1e-5)
    assert torch.allclose(full[valid].exp().sum(-1), torch.ones(()).double(), atol=1e-5)


def test_modernbert_curve_is_not_zero():
    """With the perturbed head norm the predictive depends on the context."""
    _, m = next(iter(_adapters()))
    x, mk, _, _ = _batch(m.vocab_size, L=6)
    a = m.log_probs(x, torch.ones_like(mk))
    b = m.log_probs(x, mk)
    assert float((a - b).abs().max()) > 1e-3


def test_bf16_weights_are_checked_against_a_real_fp32_copy():
    from mdmtheory.bridge.estimate import autocast_accuracy
    from mdmtheory.bridge.precision import float32_reference, weights_dtype

    _, m = next(iter(_adapters()))
    m16 = m.with_network(_modernbert().to(torch.bfloat16))
    ref = float32_reference(m16)
    assert weights_dtype(m16) == torch.bfloat16 and weights_dtype(ref) == torch.float32
    assert weights_dtype(m16) == torch.bfloat16  # the run itself is untouched
    x = np.random.default_rng(0).integers(m.vocab_size, size=(4, 8))
    chk = autocast_accuracy(m16, x, None, passes=8)
    assert chk["run"]["weights"] == "bf16" and chk["reference"] == "fp32"
    assert chk["mean_abs_dH"] > 1e-4  # bf16 vs fp32 is not bf16 vs bf16 (which gives 0)
    same = autocast_accuracy(m, x, None, passes=8)
    assert same["max_abs_dH"] == 0.0


@pytest.fixture(scope="module")
def bert_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("bert")
    (d / "vocab.txt").write_text("\n".join(VOCAB) + "\n")
    tok = transformers.BertTokenizer.from_pretrained(str(d), do_lower_case=False)
    cfg = transformers.BertConfig(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=1,
                                  num_attention_heads=2, intermediate_size=64,
                                  max_position_embeddings=64)
    torch.manual_seed(0)
    net = transformers.BertForMaskedLM(cfg).to(torch.bfloat16)  # a bf16 checkpoint
    net.save_pretrained(str(d))
    tok.save_pretrained(str(d))
    return d


def test_load_enforces_the_requested_dtype(bert_dir):
    from mdmtheory.bridge import load
    from mdmtheory.bridge.precision import weights_dtype

    m, tok = load(bert_dir, dtype="fp32", device="cpu")
    assert weights_dtype(m) == torch.float32 and m.vocab_size == 6
    m16, _ = load(bert_dir, dtype="bf16", device="cpu")
    assert weights_dtype(m16) == torch.bfloat16
    with pytest.raises(ValueError, match="dtype"):
        load(bert_dir, dtype="int8")
    with pytest.raises(ValueError, match="adapter"):
        load(bert_dir, adapter="gpt")
    with pytest.raises(ValueError, match="neither"):
        load(bert_dir / "missing")


def test_estimate_file_round_trip_and_schedule_command(bert_dir, tmp_path, capsys):
    from mdmtheory.bridge import cli, load
    from mdmtheory.bridge.estimate import estimate_from_rows
    from mdmtheory.bridge.loading import load_estimate, save_estimate
    from mdmtheory.bridge.measured import sample_rows

    m, _ = load(bert_dir, device="cpu")
    rows = sample_rows(m, 6, 5, seed=0, progress=False)
    est = estimate_from_rows(m, rows, progress=False)
    path = save_estimate(tmp_path / "e.npz", est, rows)
    est2, rows2 = load_estimate(path)
    np.testing.assert_array_equal(est2.draws_cross_entropy, est.draws_cross_entropy)
    np.testing.assert_array_equal(rows2.nll, rows.nll)
    assert est2.passes == est.passes and est2.weights == "fp32"
    p = argparse.ArgumentParser()
    cli.add_schedule_arguments(p)
    args = p.parse_args([str(path), "-k", "2", "3", "--usual-steps", "5"])
    assert cli.run_schedule(args) == 0
    out = capsys.readouterr().out
    assert "optimal k=2" in out and "usual (uniform) k=5" in out and "measured" in out
    with pytest.raises(ValueError, match="not an estimate file"):
        (tmp_path / "bad.npz").write_bytes(b"nope")
        load_estimate(tmp_path / "bad.npz")


@pytest.mark.slow  # about a minute on the shared 2-core machine
def test_docs_hugging_face_example_runs(bert_dir, capsys):
    """The Python example of the bridge documentation ("A Hugging Face model on disk"),
    run as written on a tiny local BERT directory; only the directory and the sizes are
    replaced (the tiny model has 64 positions)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "bridge.md").read_text()
    section = text.split("A Hugging Face model on disk", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    subs = {'"./my-masked-lm"': repr(str(bert_dir)), "sample_rows(model, 64, 128, seed=0)":
            "sample_rows(model, 8, 6, seed=0, progress=False)",
            "positions_per_cell=4)": "positions_per_cell=2, progress=False)",
            "usual_steps=32": "usual_steps=4", "[8]": "[3]"}
    for old, new in subs.items():
        assert old in code, old
        code = code.replace(old, new)
    exec(compile(code, "docs/bridge.md", "exec"), {})
    out = capsys.readouterr().out
    assert "optimal k=3" in out and "usual (uniform) k=4" in out and "measured" in out
