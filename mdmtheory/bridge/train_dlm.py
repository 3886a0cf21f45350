"""Re-export of the KJV model's trainer and loader, now in :mod:`mdmtheory.dlm`.

``python -m mdmtheory.bridge.train_dlm --config cpu-tiny`` still trains the
KJV model (it runs :func:`mdmtheory.dlm.train.main`).
"""

from ..dlm.config import CONFIGS, DLMConfig  # noqa: F401
from ..dlm.kjv_model import DEFAULT_CHECKPOINT, MASK_ID, PAD_ID, load_kjv_dlm  # noqa: F401
from ..dlm.train import main, train  # noqa: F401

__all__ = ["DLMConfig", "CONFIGS", "train", "load_kjv_dlm", "DEFAULT_CHECKPOINT", "PAD_ID",
           "MASK_ID", "main"]

if __name__ == "__main__":
    raise SystemExit(main())
