"""The trained KJV text model as a masked model of the torch bridge.

The committed checkpoint ``kjv`` (``mdmtheory/dlm/checkpoints/kjv.*``) is the
``cpu-tiny`` run of :mod:`mdmtheory.dlm.train` on the KJV text (0.83 M
parameters, 64-character windows, 3000 steps of 64 windows, masked
cross-entropy objective; 24 minutes on one thread) continued by the
``kjv-cont`` run (700 more steps, learning rate 5e-4; 46 minutes on one thread
of a loaded machine), stored in float16.  Held-out masked NLL 2.214 nats
(3.19 bits) per character; the figures and their protocol are in the JSON.
"""

from __future__ import annotations

from pathlib import Path

import torch

from .checkpoint import CHECKPOINT_DIR, load_checkpoint

__all__ = ["load_kjv_dlm", "DEFAULT_CHECKPOINT", "PAD_ID", "MASK_ID"]

PAD_ID = 0
MASK_ID = 1
_OFFSET = 2  # alphabet index a <-> model id a + 2
#: Base path (no suffix) of the committed KJV checkpoint.
DEFAULT_CHECKPOINT = CHECKPOINT_DIR / "kjv"


def load_kjv_dlm(path: str | Path | None = None, *, device: str | torch.device | None = None):
    """Load the trained KJV model as a LLaDA-style :class:`~mdmtheory.bridge.HFMaskedLM`.

    ``path`` (with or without suffix) defaults to the committed checkpoint.
    The training record is in ``model.meta``; the raw network is ``model.model``
    (or use :func:`mdmtheory.dlm.load_checkpoint` ``("kjv")``).
    """
    from ..bridge.models import default_device, llada_style

    net, meta = load_checkpoint(DEFAULT_CHECKPOINT if path is None else path)
    alphabet = meta["alphabet"]
    dev = torch.device(device) if device is not None else default_device()
    net = net.to(dev)
    model = llada_style(net, real_ids=range(_OFFSET, _OFFSET + len(alphabet)), mask_id=MASK_ID,
                        pad_id=PAD_ID, tokens=list(alphabet),
                        name=f"kjv-dlm ({meta['config']['name']})")
    model.meta = meta
    model.max_length = net.seq_len
    return model
