"""The torch bridge: information curves and schedules of real masked models (issue 7).

Nothing here is imported by the core package, and importing
``mdmtheory.bridge`` itself does not import torch: the submodules are loaded on
first attribute access, so ``mdmtheory.bridge.estimate_information_curve``
raises a clear ``ModuleNotFoundError`` naming torch when the ``torch`` extra
(``pip install 'mdmtheory[torch]'``) is missing.

Submodules
----------
models
    The :class:`MaskedModel` protocol and adapters (BERT-like, LLaDA-style,
    Dream-style, exact oracle), and the one-token-per-step sampler.
estimate
    :func:`estimate_information_curve` (spec theory.md §2), the predicted error of
    a schedule (Thm 1.4) and :func:`schedule_from_estimate` (spec §3).
validate
    Predicted vs directly measured expected KL on real models (issue 7 item 6).
antiberty, kjv, train_dlm
    The two real models: AntiBERTy (pretrained antibody BERT) and a small
    masked diffusion LM trained on the King James Bible.
cli
    ``mdmtheory estimate``.
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
    "estimate_information_curve": "estimate",
    "ModelCurveEstimate": "estimate",
    "autocast_accuracy": "estimate",
    "predicted_error": "estimate",
    "schedule_from_estimate": "estimate",
    "ScheduleEstimate": "estimate",
    "ErrorEstimate": "estimate",
    "direct_expected_kl": "validate",
    "validate_schedules": "validate",
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
