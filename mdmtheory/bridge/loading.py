"""Load a masked model from disk, and save/load an estimate for later scheduling.

:func:`load` turns a name or a path into a :class:`~mdmtheory.bridge.models.MaskedModel`:

* ``"antiberty"`` -- AntiBERTy (``pip install antiberty==0.1.3``);
* ``"kjv"`` or a ``.safetensors``/``.json`` checkpoint -- the project's KJV model;
* a local Hugging Face model directory with ``adapter="bert" | "llada" | "dream"``
  (nothing is downloaded: ``local_files_only=True``).

The weight dtype is always explicit (``dtype="fp32"`` by default): Hugging Face
keeps a bf16 checkpoint in bf16 unless told otherwise.

:func:`save_estimate` writes a curve estimate (and, optionally, the sampled rows
of its measured loss) to one ``.npz`` file that :func:`load_estimate` reads back,
so ``mdmtheory estimate ... --out FILE`` and ``mdmtheory schedule FILE -k 8``
can run at different times and places.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["load", "save_estimate", "load_estimate"]


def load(path: str | Path, *, adapter: str = "bert", dtype: str | torch.dtype = "fp32",
         device: str | torch.device | None = None, mask_id: int | None = None,
         trust_remote_code: bool = False) -> tuple[Any, Any]:
    """Load a masked model; returns ``(model, tokenizer_or_None)``.

    Parameters
    ----------
    path : str or Path
        ``"antiberty"``, ``"kjv"``, a KJV checkpoint, or a local Hugging Face
        model directory.
    adapter : {'bert', 'llada', 'dream'}
        Convention of a Hugging Face directory (see
        :mod:`mdmtheory.bridge.models`).
    dtype : {'fp32', 'bf16', 'fp16'}
        Weight dtype, passed to ``from_pretrained`` and enforced after loading.
    device : optional
        Default CUDA when available, else CPU.
    mask_id : int, optional
        Mask token id for ``llada``/``dream`` when the tokenizer has none.
    trust_remote_code : bool
        Allow the directory's own model code (LLaDA/Dream ship custom code).

    Raises
    ------
    ValueError
        Unknown name, missing directory, bad adapter/dtype, no mask/BOS token.
    """
    from .models import bert_masked_lm, default_device, dream_style, llada_style
    from .precision import as_dtype

    dt = as_dtype(dtype)
    if adapter not in ("bert", "llada", "dream"):
        raise ValueError(f"adapter must be 'bert', 'llada' or 'dream', got {adapter!r}")
    dev = torch.device(device) if device is not None else default_device()
    spec = str(path)
    if spec == "antiberty":
        from .antiberty import load_antiberty

        try:
            return load_antiberty(dev, dtype=dt), None
        except ModuleNotFoundError as exc:
            raise ValueError(str(exc)) from None
    p = Path(spec)
    if spec == "kjv" or p.suffix in (".safetensors", ".json") or \
            p.with_suffix(".safetensors").is_file():
        from . import load_kjv_dlm

        m = load_kjv_dlm(None if spec == "kjv" else p, device=dev)
        if dt != torch.float32:
            m = m.with_network(m.model.to(dt))
        return m, None
    if not p.is_dir():
        raise ValueError(f"path {spec!r} is neither 'antiberty', 'kjv', a checkpoint nor a "
                         "local model directory")
    import transformers

    kw = dict(local_files_only=True, trust_remote_code=trust_remote_code, dtype=dt)
    tok = transformers.AutoTokenizer.from_pretrained(str(p), local_files_only=True,
                                                     trust_remote_code=trust_remote_code)
    cls = transformers.AutoModelForMaskedLM if adapter == "bert" else transformers.AutoModel
    try:
        net = cls.from_pretrained(str(p), **kw)
    except TypeError:  # older transformers spell it torch_dtype
        kw["torch_dtype"] = kw.pop("dtype")
        net = cls.from_pretrained(str(p), **kw)
    net = net.to(device=dev, dtype=dt).eval()
    if adapter == "bert":
        return bert_masked_lm(net, tok, name=p.name), tok
    mid = mask_id if mask_id is not None else tok.mask_token_id
    if mid is None:
        raise ValueError("mask_id is required: the tokenizer defines no mask token")
    special = set(tok.all_special_ids) | {int(mid)}
    V = int(getattr(net.config, "vocab_size", len(tok)))
    real = [i for i in range(min(V, len(tok))) if i not in special]
    tokens = tok.convert_ids_to_tokens(real)
    if adapter == "llada":
        return llada_style(net, real_ids=real, mask_id=mid, pad_id=tok.pad_token_id,
                           tokens=tokens, name=p.name), tok
    if tok.bos_token_id is None:
        raise ValueError("a Dream-style model needs a BOS token in its tokenizer")
    return dream_style(net, real_ids=real, bos_id=tok.bos_token_id, mask_id=mid,
                       pad_id=tok.pad_token_id, tokens=tokens, name=p.name), tok


_META_KEYS = ("n", "length_mode", "positions_per_cell", "passes", "positions", "seconds",
              "device", "model_name", "autocast", "autocast_check", "seed", "sampling_passes",
              "sampling_seconds", "source", "weights")


def save_estimate(path: str | Path, est, rows=None) -> Path:
    """Write ``est`` (its rows ``D`` and provenance) and optional sampled rows to ``.npz``."""
    path = Path(path)
    meta = {k: getattr(est, k) for k in _META_KEYS}
    meta["level"] = est.entropy.level
    arrays = {"DH": est.draws_entropy, "DN": est.draws_cross_entropy, "lengths": est.lengths,
              "row_ids": est.row_ids if est.row_ids is not None else np.arange(est.n_rows)}
    if rows is not None:
        arrays.update(x=rows.x, order=rows.order, ent=rows.ent, nll=rows.nll,
                      rows_row_ids=rows.row_ids, rows_passes=rows.passes,
                      rows_seconds=rows.seconds, rows_seed=rows.seed)
    np.savez_compressed(path, meta=json.dumps(meta), **arrays)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def load_estimate(path: str | Path):
    """Read a file of :func:`save_estimate`: ``(ModelCurveEstimate, SampledRows or None)``.

    Raises
    ------
    ValueError
        The file is missing or is not an estimate file.
    """
    from ..montecarlo import curve_estimate_from_draws
    from .estimate import ModelCurveEstimate
    from .measured import SampledRows

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"estimate file {path} not found")
    try:
        z = np.load(path, allow_pickle=False)
        meta = json.loads(str(z["meta"]))
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad file
        raise ValueError(f"{path} is not an estimate file written by save_estimate "
                         f"({exc})") from None
    lv = meta.pop("level")
    DH, DN = z["DH"], z["DN"]
    est = ModelCurveEstimate(
        entropy=curve_estimate_from_draws(DH, level=lv, form="entropy"),
        cross_entropy=curve_estimate_from_draws(DN, level=lv, form="cross_entropy"),
        draws_entropy=DH, draws_cross_entropy=DN, lengths=z["lengths"],
        row_ids=z["row_ids"], **meta)
    rows = None
    if "x" in z.files:
        rows = SampledRows(z["x"], z["order"], z["ent"], z["nll"], z["rows_row_ids"],
                           int(z["rows_seed"]), int(z["rows_passes"]),
                           float(z["rows_seconds"]))
    return est, rows
