"""The torch bridge: information curves and schedules of real masked models.

Nothing here is imported by the core package, and importing
``mdmtheory.bridge`` itself does not import torch: the submodules are loaded on
first attribute access, so ``mdmtheory.bridge.estimate_model_curve``
raises a clear ``ModuleNotFoundError`` naming torch when the ``torch`` extra
(``pip install 'mdmtheory[torch]'``) is missing.

Submodules
----------
- ``models``: The :class:`MaskedModel` protocol and adapters (BERT-like,
  LLaDA-style, Dream-style, exact oracle), and the one-token-per-step sampler.
- ``heads``: LM head and fused entropy only at masked positions.
- ``precision``: Weight dtype and autocast, checked against a real float32
  reference.
- ``measured``: The n-step sampler with its passes kept; the measured loss of
  Def 1 (same-order likelihood ratio) and the top-confidence sampler.
- ``estimate``: The curve estimate (Def 3) from sampling passes or independent
  rows; Thm 4's predicted error of a schedule.
- ``crossfit``: Cross-fitted error of the optimal schedule, simultaneous band,
  diagnostics.
- ``distributed``: Data-parallel rows over ``torch.distributed``, streamed and
  resumable.
- ``loading``: :func:`load` a model from disk; save/load an estimate file.
- ``validate``: The plumbing identity check (sequential vs parallel NLL on
  independent orders equals Thm 4 on ``Z^CE`` by an identity).
- ``antiberty``: AntiBERTy (pretrained antibody BERT).
- ``cli``: ``mdmtheory estimate`` and ``mdmtheory bridge-schedule``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "MaskedModel": "models",
    "HFMaskedLM": "models",
    "OracleModel": "models",
    "bert_masked_lm": "models",
    "llada_style": "models",
    "dream_style": "models",
    "default_device": "models",
    "sample_one_token_per_step": "models",
    "masked_log_probs": "models",
    "masked_entropy_nll": "models",
    "estimate_model_curve": "estimate",
    "estimate_information_curve": "estimate",
    "estimate_from_rows": "estimate",
    "DEFAULT_FORM": "estimate",
    "sample_rows": "measured",
    "SampledRows": "measured",
    "confidence_nll": "measured",
    "compare_schedules": "measured",
    "comparison_table": "measured",
    "crossfit_schedule": "crossfit",
    "simultaneous_band": "crossfit",
    "schedule_report": "crossfit",
    "isotonic_curve": "crossfit",
    "estimate_distributed": "distributed",
    "load": "loading",
    "save_estimate": "loading",
    "load_estimate": "loading",
    "ModelCurveEstimate": "estimate",
    "autocast_accuracy": "estimate",
    "predicted_error": "estimate",
    "schedule_from_estimate": "estimate",
    "ScheduleEstimate": "estimate",
    "ErrorEstimate": "estimate",
    "plumbing_identity_kl": "validate",
    "plumbing_identity_check": "validate",
    "load_antiberty": "antiberty",
    "load_kjv_dlm": "train_dlm",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        mod = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        return getattr(mod, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
