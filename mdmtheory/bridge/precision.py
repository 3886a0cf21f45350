"""Numerical precision of a masked model's forward passes: weight dtype and autocast.

Two separate knobs, both explicit:

* the **weight dtype** chosen when a network is loaded (``dtype="fp32" | "bf16" |
  "fp16"``).  Hugging Face ``from_pretrained`` keeps a bf16 checkpoint in bf16
  unless told otherwise, so :func:`mdmtheory.bridge.load` always passes the
  requested dtype;
* **autocast** (``"bf16"``/``"fp16"``) of the forward passes of a float32 network.

:func:`mdmtheory.bridge.estimate.autocast_accuracy` measures what a
reduced-precision run costs against a *real* float32 reference
(:func:`float32_reference`): when the network's weights are not float32 it makes a
float32 copy for the reference, so it never compares bf16 with bf16.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import torch

__all__ = ["DTYPES", "AutocastWarning", "as_dtype", "dtype_name", "autocast_context",
           "weights_dtype", "float32_reference"]

def _as_device(device, name: str = "device") -> torch.device:
    """``torch.device(device)`` with a clear ``ValueError`` naming ``name``."""
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, (str, int)) or isinstance(device, bool):
        raise ValueError(f"{name} must be a torch device or its name ('cpu', 'cuda', "
                         f"'cuda:0', ...), got {device!r}")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ValueError(f"{name}: {device!r} is not a torch device ({exc})") from None


#: Accepted names of the weight dtypes.
DTYPES: dict[str, torch.dtype] = {
    "fp32": torch.float32, "float32": torch.float32,
    "bf16": torch.bfloat16, "bfloat16": torch.bfloat16,
    "fp16": torch.float16, "float16": torch.float16,
    "fp64": torch.float64, "float64": torch.float64,
}
_AUTOCAST = {"bf16": torch.bfloat16, "bfloat16": torch.bfloat16,
             "fp16": torch.float16, "float16": torch.float16}


class AutocastWarning(UserWarning):
    """Reduced-precision forward passes moved the per-position entropies by more
    than the stated tolerance (see :func:`autocast_accuracy`)."""


def as_dtype(dtype: str | torch.dtype, name: str = "dtype") -> torch.dtype:
    """``torch.dtype`` for ``'fp32'``, ``'bf16'``, ``'fp16'`` (or a ``torch.dtype``).

    Raises
    ------
    ValueError
        For any other value, naming the argument ``name``.
    """
    if isinstance(dtype, torch.dtype):
        if dtype not in DTYPES.values():
            raise ValueError(f"{name} must be one of fp32, bf16, fp16, fp64; got {dtype}")
        return dtype
    if isinstance(dtype, str) and dtype.lower() in DTYPES:
        return DTYPES[dtype.lower()]
    raise ValueError(f"{name} must be one of 'fp32', 'bf16', 'fp16', 'fp64'; got {dtype!r}")


def dtype_name(dtype: torch.dtype | None) -> str | None:
    """Short name (``'fp32'``, ``'bf16'``, ...) of a torch dtype."""
    if dtype is None:
        return None
    return {torch.float32: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16",
            torch.float64: "fp64"}.get(dtype, str(dtype))


def autocast_context(device: torch.device | str, autocast: str | None
                     ) -> contextlib.AbstractContextManager:
    """``torch.autocast`` for ``'bf16'``/``'fp16'``, a null context for ``None``.

    Raises
    ------
    ValueError
        Unknown ``autocast`` name or ``device``, or fp16 autocast on CPU.
    """
    dev = _as_device(device)
    if autocast is None:
        return contextlib.nullcontext()
    if autocast not in _AUTOCAST:
        raise ValueError(f"autocast must be None, 'bf16' or 'fp16'; got {autocast!r}")
    if dev.type == "cpu" and _AUTOCAST[autocast] is torch.float16:
        raise ValueError("autocast='fp16' is not supported on CPU; use 'bf16'")
    return torch.autocast(device_type=dev.type, dtype=_AUTOCAST[autocast])


def weights_dtype(model: Any) -> torch.dtype | None:
    """Floating dtype of the adapter's network weights (``None`` for a model with
    no torch parameters, e.g. the exact oracle, which computes in float64)."""
    net = getattr(model, "model", None)
    if not isinstance(net, torch.nn.Module):
        return None
    for p in net.parameters():
        if p.is_floating_point():
            return p.dtype
    return None


def float32_reference(model: Any) -> Any:
    """The model itself when its weights are float32 (or it has none), else a
    float32 copy (an adapter built by ``model.with_network``)."""
    wd = weights_dtype(model)
    if wd is None or wd in (torch.float32, torch.float64):
        return model
    if not hasattr(model, "with_network"):
        raise TypeError(f"{type(model).__name__} has {wd} weights and no with_network(); "
                        "cannot build the float32 reference of the autocast check")
    return model.with_network(copy.deepcopy(model.model).float())
