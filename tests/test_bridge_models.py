"""Adapters of the torch bridge on tiny random networks (no download).

Every expectation is computed independently of the adapter: input ids are built
by hand, logits read from the raw network, the softmax restricted to the real
ids by hand, and the Dream shift checked with a network whose answer is known.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from mdmtheory import families  # noqa: E402
from mdmtheory.bridge.estimate import (_grid_to_length, autocast_accuracy,  # noqa: E402
                                       estimate_model_curve, row_plan)
from mdmtheory.bridge.models import (HFMaskedLM, OracleModel, bert_masked_lm,  # noqa: E402
                                     dream_style, llada_style, sample_one_token_per_step)

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "A", "C", "D", "E", "F", "G"]
PAD, UNK, CLS, SEP, MASK = range(5)
Q = len(VOCAB) - 5


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    d = tmp_path_factory.mktemp("tok")
    (d / "vocab.txt").write_text("\n".join(VOCAB) + "\n")
    tok = transformers.BertTokenizer.from_pretrained(str(d), do_lower_case=False)
    torch.manual_seed(0)
    cfg = transformers.BertConfig(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2,
                                  num_attention_heads=2, intermediate_size=64,
                                  max_position_embeddings=64, hidden_dropout_prob=0.0,
                                  attention_probs_dropout_prob=0.0)
    net = transformers.BertForMaskedLM(cfg).eval()
    # make the special-token logits large so that dropping them matters
    with torch.no_grad():
        net.cls.predictions.bias[:5] += 3.0
    return net, tok


def _manual(net, ids):
    with torch.no_grad():
        return net(input_ids=torch.tensor([ids])).logits[0].double()


def test_bert_alphabet_and_specials(tiny_bert):
    net, tok = tiny_bert
    m = bert_masked_lm(net, tok)
    assert m.vocab_size == Q
    assert m.tokens == VOCAB[5:]
    assert m.mask_id == MASK and m.prefix_ids == [CLS] and m.suffix_ids == [SEP]


def test_renormalised_over_real_tokens(tiny_bert):
    """exp(log_probs) = softmax of the raw logits restricted to the real ids, renormalised."""
    net, tok = tiny_bert
    m = bert_masked_lm(net, tok)
    x = np.array([[0, 3, 1, 5, 2, 4]])
    masked = np.array([[False, True, False, True, True, False]])
    lp = m.log_probs(torch.as_tensor(x), torch.as_tensor(masked)).double()[0]
    assert lp.shape == (6, Q)
    ids = [CLS] + [MASK if mk else 5 + a for a, mk in zip(x[0], masked[0])] + [SEP]
    raw = _manual(net, ids)[1:-1]  # positions of the sequence
    full = torch.softmax(raw, -1)
    assert float(full[:, :5].sum(-1).min()) > 0.05  # specials carry real mass to remove
    expect = full[:, 5:] / full[:, 5:].sum(-1, keepdim=True)
    np.testing.assert_allclose(lp.exp().numpy(), expect.numpy(), atol=1e-6)
    np.testing.assert_allclose(torch.logsumexp(lp, -1).numpy(), 0.0, atol=1e-6)


def test_padding_is_invisible(tiny_bert):
    """A row's log-probs do not depend on the padding added for longer rows."""
    net, tok = tiny_bert
    m = bert_masked_lm(net, tok)
    rng = np.random.default_rng(1)
    lens = [3, 7, 5]
    L = max(lens)
    x = np.zeros((3, L), dtype=np.int64)
    valid = np.zeros((3, L), dtype=bool)
    masked = np.zeros((3, L), dtype=bool)
    for b, n in enumerate(lens):
        x[b, :n] = rng.integers(Q, size=n)
        valid[b, :n] = True
        masked[b, :n] = rng.random(n) < 0.5
    lp = m.log_probs(*(torch.as_tensor(a) for a in (x, masked, valid)))
    for b, n in enumerate(lens):
        alone = m.log_probs(torch.as_tensor(x[b:b + 1, :n]), torch.as_tensor(masked[b:b + 1, :n]))
        np.testing.assert_allclose(lp[b, :n].numpy(), alone[0].numpy(), atol=2e-5)
    ids, att = m.encode_batch(torch.as_tensor(x), torch.as_tensor(masked), torch.as_tensor(valid))
    # [SEP] right after each row's last token, then [PAD] with attention 0
    for b, n in enumerate(lens):
        assert ids[b, 0] == CLS and ids[b, n + 1] == SEP
        assert att[b, :n + 2].all() and not att[b, n + 2:].any()
        assert (ids[b, n + 2:] == PAD).all()


class _NextTokenCopier(torch.nn.Module):
    """Dream-like toy: the output at position p is a one-hot logit of input token p+1
    (it "predicts the next token" by copying it; the last position predicts id 0)."""

    def __init__(self, V):
        super().__init__()
        self.V = V
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def forward(self, input_ids, attention_mask=None):
        nxt = torch.cat([input_ids[:, 1:], torch.zeros_like(input_ids[:, :1])], 1)
        return 20.0 * torch.nn.functional.one_hot(nxt, self.V).float()


def test_dream_shift_reads_previous_position():
    V = 12
    real = list(range(3, 11))
    net = _NextTokenCopier(V)
    x = torch.tensor([[0, 5, 2, 7, 1]])
    revealed_all = torch.zeros_like(x, dtype=torch.bool)
    m = dream_style(net, real_ids=real, bos_id=1, mask_id=11, pad_id=0)
    lp = m.log_probs(x, revealed_all)
    # shift=1: the prediction of token i comes from output i-1, which copies input i
    assert (lp[0].argmax(-1) == x[0]).all()
    plain = llada_style(net, real_ids=real, mask_id=11, pad_id=0, prefix_ids=[1])
    lp0 = plain.log_probs(x, revealed_all)
    # unshifted reading would predict the *next* token instead
    assert (lp0[0, :-1].argmax(-1) == x[0, 1:]).all()


def test_dream_needs_a_prefix():
    with pytest.raises(ValueError, match="prefix"):
        HFMaskedLM(_NextTokenCopier(5), mask_id=4, real_ids=[0, 1, 2], shift=1)


@pytest.mark.parametrize("kwargs, match", [
    (dict(mask_id=5, real_ids=[5, 6, 7]), "exclude"),
    (dict(mask_id=4, real_ids=[5, 5, 6]), "repeated"),
    (dict(mask_id=4, real_ids=[5]), "at least 2"),
    (dict(mask_id=4, real_ids=[5, 6], shift=2), "shift"),
])
def test_adapter_rejects_bad_configuration(kwargs, match):
    with pytest.raises(ValueError, match=match):
        HFMaskedLM(_NextTokenCopier(12), **kwargs)


def test_log_probs_rejects_bad_batches(tiny_bert):
    net, tok = tiny_bert
    m = bert_masked_lm(net, tok)
    x = torch.zeros((1, 4), dtype=torch.long)
    with pytest.raises(ValueError, match="alphabet"):
        m.log_probs(torch.tensor([[0, Q, 1, 2]]), torch.zeros((1, 4), dtype=torch.bool))
    with pytest.raises(ValueError, match="prefix"):
        m.log_probs(x, torch.zeros((1, 4), dtype=torch.bool),
                    torch.tensor([[True, False, True, True]]))
    with pytest.raises(ValueError, match="bool"):
        m.log_probs(x, torch.zeros((1, 4), dtype=torch.long))


def test_oracle_model_matches_distribution_conditional():
    mu = families.random_dirichlet(4, 3, alpha=0.7, seed=3)
    m = OracleModel(mu)
    rng = np.random.default_rng(0)
    x = mu.sample(20, rng=1)
    masked = rng.random((20, 4)) < 0.5
    lp = m.log_probs(torch.as_tensor(x), torch.as_tensor(masked)).numpy()
    for b in range(20):
        rev = {i: int(x[b, i]) for i in range(4) if not masked[b, i]}
        for i in np.flatnonzero(masked[b]):
            np.testing.assert_allclose(np.exp(lp[b, i]), mu.conditional(int(i), rev), atol=1e-12)


def test_sampler_reproduces_the_oracle_law():
    """The one-token-per-step sampler on an exact oracle samples mu (Thm 4, k = n)."""
    mu = families.random_dirichlet(3, 2, alpha=0.8, seed=5)
    m = OracleModel(mu)
    N = 4000
    xs = sample_one_token_per_step(m, N, 3, seed=0, batch_size=512, progress=False)
    counts = np.zeros(8)
    np.add.at(counts, xs @ np.array([4, 2, 1]), 1)
    p = mu.p.reshape(-1)
    chi2 = float(((counts - N * p) ** 2 / (N * p)).sum())
    assert chi2 < 24.3  # chi^2_7 upper 0.1% quantile
    xs2 = sample_one_token_per_step(m, 60, 3, seed=0, batch_size=7, progress=False)
    np.testing.assert_array_equal(xs[:60], xs2)  # row r depends on neither num nor batch size


def test_row_plan_masks_are_uniform_subsets_and_nested():
    n, ppc = 5, 3
    counts = {}
    for s in range(6000):
        cells, masks = row_plan(n, n, ppc, np.random.default_rng(s))
        for g in range(n):
            m = n - g
            mk = masks[cells == g]
            assert mk.shape[0] == max(1, math.ceil(ppc / m))
            assert (mk.sum(1) == m).all()
            if mk.shape[0] * m <= n:  # stratified: disjoint chunks
                assert mk.sum(0).max() == 1
        first = np.stack([masks[cells == g][0] for g in range(n)])
        assert (first[1:] <= first[:-1]).all()  # c = 0 chunks nested across j
        key = tuple(np.flatnonzero(masks[cells == 3][0]))  # j = 4: m = 2
        counts[key] = counts.get(key, 0) + 1
    obs = np.array([counts.get(k, 0) for k in itertools.combinations(range(n), 2)])
    exp = 6000 / 10
    assert ((obs - exp) ** 2 / exp).sum() < 27.9  # chi^2_9 upper 0.1%


def test_relative_length_grid():
    assert _grid_to_length(5, 9, "relative").tolist() == [1, 3, 5, 7, 9]
    assert _grid_to_length(5, 5, "relative").tolist() == [1, 2, 3, 4, 5]
    assert _grid_to_length(4, 7, "common").tolist() == [1, 2, 3, 4]


def test_estimator_on_padded_batches_and_batch_size(tiny_bert):
    net, tok = tiny_bert
    m = bert_masked_lm(net, tok)
    rng = np.random.default_rng(2)
    seqs = [rng.integers(Q, size=int(n)) for n in rng.integers(6, 11, size=6)]
    e1 = estimate_model_curve(m, seqs, lengths="relative", n_ref=8, batch_size=5,
                                    progress=False, seed=3)
    e2 = estimate_model_curve(m, seqs, lengths="relative", n_ref=8, batch_size=64,
                                    progress=False, seed=3)
    assert e1.n == 8 and e1.n_rows == 6
    np.testing.assert_allclose(e1.draws_entropy, e2.draws_entropy, atol=2e-5)
    np.testing.assert_allclose(e1.draws_cross_entropy, e2.draws_cross_entropy, atol=2e-5)
    with pytest.raises(ValueError, match="different lengths"):
        estimate_model_curve(m, seqs, progress=False)


def test_estimator_row_by_hand(tiny_bert):
    """One row of D recomputed from raw logits with the documented masked sets."""
    net, tok = tiny_bert
    m = bert_masked_lm(net, tok)
    x = np.array([[1, 4, 0, 2, 5], [3, 3, 1, 0, 2]])
    est = estimate_model_curve(m, x, positions_per_cell=2, progress=False, seed=7)
    from numpy.random import SeedSequence, default_rng
    rng = default_rng(SeedSequence(7, spawn_key=(1,)))
    perm = rng.permutation(5)
    rank = np.empty(5, int)
    rank[perm] = np.arange(5)
    for g in range(5):
        mlen = 5 - g
        vals_h, vals_n = [], []
        for c in range(max(1, math.ceil(2 / mlen))):
            mk = ((rank - c * mlen) % 5) < mlen
            ids = [CLS] + [MASK if mk[i] else 5 + x[1, i] for i in range(5)] + [SEP]
            p = torch.softmax(_manual(net, ids)[1:-1, 5:], -1).numpy()
            H = -(p * np.log(p)).sum(-1)
            nll = -np.log(p[np.arange(5), x[1]])
            vals_h.append(H[mk].mean())
            vals_n.append(nll[mk].mean())
        assert est.draws_entropy[1, g] == pytest.approx(np.mean(vals_h), abs=1e-5)
        assert est.draws_cross_entropy[1, g] == pytest.approx(np.mean(vals_n), abs=1e-5)


def test_autocast_check_on_cpu(tiny_bert):
    net, tok = tiny_bert
    m = bert_masked_lm(net, tok)
    x = np.random.default_rng(0).integers(Q, size=(4, 8))
    chk = autocast_accuracy(m, x, "bf16", passes=16)
    assert chk["positions"] > 0
    # bf16 has an 8-bit mantissa: entropies of a 6-token softmax move by < ~0.05 nats
    assert 0 <= chk["mean_abs_dH"] < 0.05 and chk["max_abs_dH"] < 0.2
    with pytest.raises(ValueError, match="fp16"):
        autocast_accuracy(m, x, "fp16", passes=4)


# ---------------------------------------------------------------------------- real models
TRASTUZUMAB_VH = ("EVQLVESGGGLVQPGGSLRLSCAASGFNIKDTYIHWVRQAPGKGLEWVARIYPTNGYTRYADSVKG"
                  "RFTISADTSKNTAYLQMNSLRAEDTAVYYCSRWGGDGFYAMDYWGQGTLVTVSS")


def test_antiberty_predicts_framework_residues():
    """AntiBERTy (if installed) recovers masked framework residues of a real VH domain.

    Fails if the residues were tokenized as [UNK] (lower-casing tokenizer) or the
    special tokens were not excluded."""
    pytest.importorskip("antiberty")
    from mdmtheory.bridge.antiberty import RESIDUES, load_antiberty

    m = load_antiberty("cpu")
    assert m.vocab_size == 20 and "".join(m.tokens) == RESIDUES
    x = torch.as_tensor(m.encode(TRASTUZUMAB_VH))[None].repeat(12, 1)
    pos = torch.tensor([1, 4, 8, 12, 17, 20, 38, 44, 46, 84, 88, 106])  # framework positions
    masked = torch.zeros_like(x, dtype=torch.bool)
    masked[torch.arange(12), pos] = True
    lp = m.log_probs(x, masked)
    np.testing.assert_allclose(torch.logsumexp(lp, -1).numpy(), 0.0, atol=1e-5)
    hits = (lp[torch.arange(12), pos].argmax(-1) == x[0, pos]).float().mean()
    assert hits >= 0.8


def test_kjv_fetch_fails_clearly_without_apt(tmp_path, monkeypatch):
    from mdmtheory.bridge.kjv import KJVUnavailable, fetch_kjv

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(KJVUnavailable, match="apt-get"):
        fetch_kjv(tmp_path / "cache")


def test_kjv_checkpoint_is_a_trained_model():
    from mdmtheory.bridge.train_dlm import DEFAULT_CHECKPOINT, load_kjv_dlm

    if not DEFAULT_CHECKPOINT.with_suffix(".safetensors").is_file():
        pytest.skip("no committed KJV checkpoint")
    m = load_kjv_dlm(device="cpu")
    assert m.vocab_size == len(m.meta["alphabet"]) == 62
    # better than the unigram entropy of KJV characters (2.99 nats)
    assert m.meta["heldout_masked_nll"] < 2.5
    text = "And God said, Let there be light: and there was light."
    x = torch.as_tensor(m.encode(text))[None]
    masked = torch.zeros_like(x, dtype=torch.bool)
    masked[0, [10, 19, 45]] = True  # 'i' of 'said', 'h' of 'there', 'a' of 'was'
    lp = m.log_probs(x, masked)
    assert (lp[0, [10, 19, 45]].argmax(-1) == x[0, [10, 19, 45]]).all()


def test_cli_estimate_on_the_kjv_model(capsys):
    import json as _json

    from mdmtheory.bridge.train_dlm import DEFAULT_CHECKPOINT
    from mdmtheory.cli import main

    if not DEFAULT_CHECKPOINT.with_suffix(".safetensors").is_file():
        pytest.skip("no committed KJV checkpoint")
    rc = main(["estimate", "kjv", "--sample", "4", "--length", "12", "-k", "2", "3", "--json",
               "--no-progress", "--device", "cpu", "--measured", "--band"])
    out = capsys.readouterr().out
    assert rc == 0
    res = _json.loads(out)
    assert res["n"] == 12 and res["rows"] == 4
    assert res["entropy"]["Z"][0] == 0.0 and len(res["entropy"]["Z"]) == 12
    assert res["source"] == "sampling-passes" and res["passes"] == 4 * 12
    assert res["sampling_passes"] == 48 and res["form"] == "cross_entropy"
    for s in res["schedules"]:
        assert sum(s["sizes"]) == 12 and len(s["sizes"]) == s["k"]
        assert s["lo"] <= s["error"] <= s["hi"]
        assert s["measured"] is not None
        # the top-confidence sampler at the same sizes, beside every uniform line
        assert (s["confidence_sampler"] is not None) == s["name"].startswith("uniform")
    band = res["band"]
    assert band["method"] == "bootstrap_t_corrected" and band["crit"] > 0
    assert all(a <= z <= b for a, z, b in zip(band["lo"], res["cross_entropy"]["Z"],
                                              band["hi"]))
    rc = main(["estimate", "kjv", "--no-progress"])  # neither --sequences nor --sample
    assert rc == 2
    assert "exactly one of" in capsys.readouterr().err


def test_core_and_bridge_import_do_not_import_torch():
    """The core never imports torch, and ``import mdmtheory.bridge`` is lazy."""
    import subprocess
    import sys

    code = ("import sys, mdmtheory, mdmtheory.bridge as b; "
            "assert 'torch' not in sys.modules, 'eager torch import'; "
            "b.estimate_model_curve; assert 'torch' in sys.modules; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_cli_estimate_reads_a_sequence_file(tmp_path, capsys):
    import json as _json

    from mdmtheory.bridge.train_dlm import DEFAULT_CHECKPOINT
    from mdmtheory.cli import main

    if not DEFAULT_CHECKPOINT.with_suffix(".safetensors").is_file():
        pytest.skip("no committed KJV checkpoint")
    f = tmp_path / "seqs.txt"
    f.write_text("In the beginning God created\nAnd the earth was without form,\n"
                 "And God said, Let there be\n")
    rc = main(["estimate", "kjv", "--sequences", str(f), "--lengths", "relative", "--n-ref",
               "20", "-k", "3", "--json", "--no-progress", "--device", "cpu"])
    res = _json.loads(capsys.readouterr().out)
    assert rc == 0 and res["n"] == 20 and res["rows"] == 3
    assert (res["lengths_min"], res["lengths_max"]) == (26, 31)
    assert any("too few rows to cross-fit" in s for s in res["notes"])
    f.write_text("In the beginning\nZebedee's 7 sons\n")  # '7' is not a KJV character
    rc = main(["estimate", "kjv", "--sequences", str(f), "--lengths", "relative", "--json",
               "--no-progress", "--device", "cpu"])
    assert rc == 2 and "alphabet" in capsys.readouterr().err
