"""Checkpoint IO of the small masked diffusion LMs: ``<base>.safetensors`` + ``<base>.json``.

Weights are stored in float16 (halving the files; they are upcast to float32
on load), the JSON holds everything needed to rebuild the network
(``vocab_size``, ``seq_len``, ``mask_id``, ``answer_tokens``, the config) and
the training record (held-out metrics, history).  The committed checkpoints
live in ``mdmtheory/dlm/checkpoints/`` and are loaded by name::

    denoiser, meta = load_checkpoint("sudoku4")
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from .config import DLMConfig
from .model import Denoiser

__all__ = ["CHECKPOINT_DIR", "CHECKPOINT_NAMES", "save_checkpoint", "load_checkpoint",
           "checkpoint_path"]

#: Directory of the committed checkpoints.
CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"
#: Names of the committed checkpoints (tasks of :func:`mdmtheory.tasks.get_task`).
CHECKPOINT_NAMES = ("code", "markov", "sudoku4", "kjv")


def checkpoint_path(name_or_path: str | Path) -> Path:
    """Base path (no suffix) of a committed checkpoint name or of a path."""
    s = str(name_or_path)
    if "/" not in s and "\\" not in s and not s.endswith((".json", ".safetensors")):
        return CHECKPOINT_DIR / s
    p = Path(s)
    return p.with_suffix("") if p.suffix in (".json", ".safetensors") else p


def save_checkpoint(net: Denoiser, record: dict, out: str | Path) -> Path:
    """Write ``net`` (float16) and ``record`` + the network's shape to ``out``; returns the base."""
    from safetensors.torch import save_file

    base = checkpoint_path(out)
    base.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu", torch.float16).contiguous()
             for k, v in net.state_dict().items()}
    save_file(state, str(base.with_suffix(".safetensors")))
    base.with_suffix(".safetensors").chmod(0o644)  # save_file writes owner-only files
    meta = {**record, "vocab_size": net.vocab_size, "seq_len": net.seq_len,
            "mask_id": net.mask_id, "answer_tokens": list(net.answer_tokens),
            "weights_dtype": "float16"}
    base.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    return base


def load_checkpoint(name_or_path: str | Path, *, device: str | torch.device | None = None
                    ) -> tuple[Denoiser, dict]:
    """Load a trained denoiser: ``(denoiser, meta)``.

    Parameters
    ----------
    name_or_path : str or Path
        A committed checkpoint name (``"code"``, ``"markov"``, ``"sudoku4"``,
        ``"kjv"``) or a path with or without the ``.json``/``.safetensors`` suffix.
    device : optional
        Where to put the network (default CPU).

    Returns
    -------
    denoiser : Denoiser
        float32, eval mode; ``denoiser(tokens (B, L)) -> logits (B, L, V)``
        (unshifted), with ``mask_id``, ``vocab_size``, ``seq_len``,
        ``answer_tokens``.
    meta : dict
        The training record (config, held-out metrics, ...).
    """
    from safetensors.torch import load_file

    base = checkpoint_path(name_or_path)
    meta_p, w_p = base.with_suffix(".json"), base.with_suffix(".safetensors")
    if not meta_p.is_file() or not w_p.is_file():
        raise FileNotFoundError(f"checkpoint not found: {meta_p} / {w_p} (committed names: "
                                f"{', '.join(CHECKPOINT_NAMES)})")
    meta = json.loads(meta_p.read_text())
    known = set(DLMConfig.__dataclass_fields__)
    cfg = DLMConfig(**{k: v for k, v in meta["config"].items() if k in known})
    net = Denoiser(meta["vocab_size"], meta["seq_len"], meta["mask_id"], meta["answer_tokens"],
                   cfg.arch)
    state = {k: v.float() for k, v in load_file(str(w_p)).items()}
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ValueError(f"checkpoint {w_p} does not match its config: {exc}") from None
    net = net.to(torch.device(device) if device is not None else torch.device("cpu")).eval()
    return net, meta
