"""AntiBERTy, a pretrained antibody-protein BERT, as a masked model.

AntiBERTy (Ruffolo et al. 2021; ``pip install antiberty==0.1.3``) ships its
weights in the wheel: an 8-layer, 512-wide ``BertForMaskedLM`` over the 20 amino
acids plus 5 special tokens.  It is loaded with plain ``transformers``
(``BertForMaskedLM.from_pretrained(<pkg>/trained_models/AntiBERTy_md_smooth)``;
its extra species/chain heads are ignored) and wrapped with
:func:`~mdmtheory.bridge.models.bert_masked_lm`: alphabet = the 20 residues,
special tokens excluded and renormalised, input ``[CLS] r_1 ... r_n [SEP]``.

Which sequences?
----------------
:func:`sample_antiberty_sequences` draws sequences **from the model itself**
with the one-token-per-step sampler (Def 1 with k = n: one random
position per forward pass, sampled from the model's conditional).  A BERT's
conditionals are not those of any single joint law, and real antibody sequences
follow yet another law; the n-step sampler's law is the one law the model's
conditionals *generate*, and the measured loss of a k-step schedule
(:mod:`mdmtheory.bridge.measured`) is defined against it.  How far Thm 4's
prediction is from that measured loss shows how far the model is from one law.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from .models import HFMaskedLM, bert_masked_lm, default_device, sample_one_token_per_step

__all__ = ["antiberty_dir", "load_antiberty", "sample_antiberty_sequences", "RESIDUES"]

#: The 20 amino acids in AntiBERTy's vocabulary order (ids 5..24).
RESIDUES = "ACDEFGHIKLMNPQRSTVWY"


def antiberty_dir() -> Path:
    """The installed ``antiberty`` package's ``trained_models`` directory.

    Raises
    ------
    ModuleNotFoundError
        If ``antiberty`` is not installed (``pip install antiberty==0.1.3``).
    FileNotFoundError
        If the wheel's weights are missing.
    """
    import importlib.util

    spec = importlib.util.find_spec("antiberty")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("AntiBERTy is not installed: pip install antiberty==0.1.3",
                                  name="antiberty")
    d = Path(os.path.dirname(spec.origin)) / "trained_models"
    if not (d / "AntiBERTy_md_smooth").is_dir() or not (d / "vocab.txt").is_file():
        raise FileNotFoundError(f"AntiBERTy weights not found under {d}")
    return d


def load_antiberty(device: str | torch.device | None = None, *,
                   dtype: torch.dtype = torch.float32) -> HFMaskedLM:
    """Load AntiBERTy as a :class:`~mdmtheory.bridge.models.HFMaskedLM` (20 residues).

    Parameters
    ----------
    device : str or torch.device, optional
        Default: CUDA when available, else CPU.
    dtype : torch.dtype
        Weight dtype (float32 by default; use autocast for mixed precision).

    Notes
    -----
    The tokenizer is ``BertTokenizer.from_pretrained(<trained_models>,
    do_lower_case=False)``: the vocabulary is upper-case, and the default
    lower-casing would map every residue to ``[UNK]``.  (It is only used for
    its special-token ids; sequences enter as alphabet indices.)
    """
    import transformers
    from transformers.utils import logging as hf_logging

    d = antiberty_dir()
    dev = torch.device(device) if device is not None else default_device()
    verb = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the unused species/chain heads are "unexpected keys"
    try:
        net = transformers.BertForMaskedLM.from_pretrained(str(d / "AntiBERTy_md_smooth"))
        tok = transformers.BertTokenizer.from_pretrained(str(d), do_lower_case=False)
    finally:
        hf_logging.set_verbosity(verb)
    net = net.to(device=dev, dtype=dtype).eval()
    model = bert_masked_lm(net, tok, name="AntiBERTy")
    if "".join(model.tokens) != RESIDUES:
        raise RuntimeError(f"unexpected AntiBERTy alphabet {''.join(model.tokens)!r}")
    return model


def sample_antiberty_sequences(model: HFMaskedLM, num: int, length: int = 120, *,
                               seed: int | np.random.SeedSequence = 0, batch_size: int = 64,
                               autocast: str | None = None, progress: bool = True
                               ) -> np.ndarray:
    """Sequences from AntiBERTy's own one-token-per-step sampler (see module docstring).

    Returns an ``(num, length)`` array of alphabet indices (``RESIDUES[a]``).
    """
    return sample_one_token_per_step(model, num, length, seed=seed, batch_size=batch_size,
                                     autocast=autocast, progress=progress)


def to_strings(seqs: np.ndarray) -> list[str]:
    """Residue strings of alphabet-index rows."""
    return ["".join(RESIDUES[int(a)] for a in row) for row in np.asarray(seqs)]
