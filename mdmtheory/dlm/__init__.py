"""The project's small masked diffusion LMs (dLLMs): architecture, the one trainer,
checkpoint IO, the committed checkpoints and their evaluation.

Importing this package imports torch (the ``torch`` extra).

Interface
---------
``load_checkpoint(name_or_path) -> (denoiser, meta)`` with ``name`` one of
``"code"``, ``"markov"``, ``"sudoku4"``, ``"kjv"``;
``denoiser(tokens: LongTensor (B, L)) -> logits FloatTensor (B, L, V)``
(unshifted: ``logits[b, i]`` predicts token ``i``), with attributes
``mask_id``, ``vocab_size``, ``seq_len`` and ``answer_tokens``.  The task each
model was trained on is ``mdmtheory.tasks.get_task(meta["task"])``.

Modules
-------
model
    :class:`Denoiser` (bidirectional transformer mask-predictor).
config
    :class:`DLMConfig` and the named :data:`CONFIGS`.
train
    :func:`train` (MDLM objective, clue positions never masked), CLI
    ``python -m mdmtheory.dlm --config NAME``.
checkpoint
    :func:`save_checkpoint`, :func:`load_checkpoint` (fp16 safetensors + JSON).
evaluate
    :func:`masked_nll` (vs the exact law, with row-clustered standard errors),
    ``masked_nll_rows`` (the per-row sums, for paired comparisons),
    ``ratio_se``, :func:`greedy_decode`.
oracle
    :class:`OracleDenoiser`: a task's exact law behind the same interface.
kjv_text
    The KJV corpus (fetch, split, encode).
"""

from .checkpoint import CHECKPOINT_DIR, CHECKPOINT_NAMES, load_checkpoint, save_checkpoint
from .config import CONFIGS, DLMConfig
from .evaluate import greedy_decode, masked_nll
from .model import NEG_LOGIT, ArchConfig, Denoiser
from .oracle import OracleDenoiser
from .train import build_denoiser, masked_diffusion_loss, train

__all__ = ["Denoiser", "ArchConfig", "NEG_LOGIT", "DLMConfig", "CONFIGS", "build_denoiser",
           "masked_diffusion_loss", "train", "save_checkpoint", "load_checkpoint",
           "CHECKPOINT_DIR", "CHECKPOINT_NAMES", "masked_nll", "greedy_decode", "OracleDenoiser"]
