"""``mdmtheory estimate``: the information curve of a real masked model (torch bridge).

The options are those of :mod:`mdmtheory.bridge.cli` (imported only when this
subcommand is used, so the rest of the command line never imports torch), made
strict here: every count must be a positive integer (``--length 0`` or
``--threads 0`` is an error, not a silent default), ``--level`` lies in (0, 1),
``--device`` must name a device that exists on this machine, and every option
has a help text.  ``-k``, ``--k`` and ``--steps`` are the same option, as ``-k``/``--k``
in ``mdmtheory schedule``.
"""

from __future__ import annotations

import argparse
import importlib
import os
from pathlib import Path

from ._common import (
    PROG,
    CLIError,
    _finite_float,
    _nonneg_int,
    _positive_int,
)


def _level(text: str) -> float:
    v = _finite_float(text)
    if not 0.0 < v < 1.0:
        raise argparse.ArgumentTypeError(f"expected a confidence level in (0, 1), got {text!r}")
    return v


def _positive_float(text: str) -> float:
    v = _finite_float(text)
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return v


def _device(text: str) -> str:
    """``--device``: ``cpu``, ``cuda``, ``cuda:N`` or ``mps``, and available here."""
    import torch

    try:
        dev = torch.device(text)
    except (RuntimeError, ValueError, TypeError):
        raise argparse.ArgumentTypeError(
            f"expected a torch device such as cpu, cuda or cuda:0, got {text!r}") from None
    if dev.type == "cpu":
        return text
    if dev.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise argparse.ArgumentTypeError(f"device {text!r}: no CUDA device on this machine")
        if dev.index is not None and dev.index >= count:
            raise argparse.ArgumentTypeError(
                f"device {text!r}: this machine has {count} CUDA device(s), 0..{count - 1}")
        return text
    if dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise argparse.ArgumentTypeError(f"device {text!r}: MPS is not available here")
        return text
    raise argparse.ArgumentTypeError(f"device {text!r}: expected cpu, cuda, cuda:N or mps")


def _existing_file(text: str) -> Path:
    """``--sequences``: a readable file."""
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text!r} is not a file")
    return path


def _output_file(text: str) -> Path:
    """``--out``: a file in an existing folder."""
    path = Path(text)
    if not text or path.is_dir() or not path.resolve().parent.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: not a file in an existing folder")
    return path


#: Strict argument types of the bridge's options (option -> (type, help if it has none)).
STRICT: dict[str, tuple] = {
    "--sequences": (_existing_file, None),
    "--out": (_output_file, None),
    "--sample": (_positive_int, None),
    "--length": (_positive_int, None),
    "--n-ref": (_positive_int, None),
    "--mask-id": (_nonneg_int, None),
    "--device": (_device, None),
    "--threads": (_positive_int, None),
    "--positions-per-cell": (_positive_int, None),
    "--batch-size": (_positive_int, "rows per forward pass (default 64)"),
    "--seed": (_nonneg_int, "random seed of the sampling and the estimator (default 0)"),
    "--level": (_level, "confidence level of the intervals (default 0.95)"),
    "--target-halfwidth": (_positive_float, None),
    "--max-rows": (_positive_int, "stop after this many sequences (default: no limit)"),
    "--steps": (_positive_int, None),
    "--n-boot": (_positive_int, None),
    "--usual-steps": (_positive_int, None),
    "--splits": (_positive_int, None),
}


def bridge_cli():
    """Import :mod:`mdmtheory.bridge.cli`, or raise a one-line :class:`CLIError`."""
    try:
        return importlib.import_module("mdmtheory.bridge.cli")
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".")[0]
        if top in ("torch", "transformers"):
            raise CLIError(f"'{PROG} estimate' needs PyTorch ({top} is not installed): "
                           "pip install 'mdmtheory[torch]'") from None
        if (exc.name or "").startswith("mdmtheory.bridge"):
            raise CLIError(f"'{PROG} estimate' needs mdmtheory.bridge, which is not "
                           "available in this installation") from None
        raise


def make_strict(p: argparse.ArgumentParser) -> None:
    """Tighten the types of the bridge's options and give every option a help text."""
    for action in p._actions:  # noqa: SLF001 - argparse keeps its actions here
        strict = next((STRICT[o] for o in action.option_strings if o in STRICT), None)
        if strict is not None:
            action.type = strict[0]
            if not action.help and strict[1]:
                action.help = strict[1]
        if "--steps" in action.option_strings:
            action.help = ("numbers of steps of the optimal schedules (-k, --k and --steps "
                           "are one option)")
        if not action.help and action.dest != "help":
            action.help = action.dest.replace("_", " ")


def normalise_argv(argv: list[str]) -> list[str]:
    """``--k`` (the spelling of ``mdmtheory schedule``) is the bridge's ``-k/--steps``."""
    out = []
    for a in argv:
        if a == "--k":
            out.append("--steps")
        elif a.startswith("--k="):
            out.append("--steps=" + a[4:])
        else:
            out.append(a)
    return out


def _quiet_progress() -> None:
    """Silence the progress bars of transformers / huggingface_hub (``--no-progress``)."""
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.disable_progress_bar()


def cmd_estimate(args) -> int:
    mod = args._bridge
    if getattr(args, "no_progress", False) or getattr(args, "json", False):
        _quiet_progress()
    try:
        return int(mod.run(args) or 0)
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".")[0]
        if top in ("torch", "transformers"):
            raise CLIError(f"'{PROG} estimate' needs PyTorch ({top} is not installed): "
                           "pip install 'mdmtheory[torch]'") from None
        raise


def add_parser(sub, common, *, with_bridge: bool) -> None:
    """Add ``estimate``; its options only when ``with_bridge`` (that imports torch)."""
    if not with_bridge:
        sub.add_parser("estimate", help="estimate Z of a real masked model (needs the torch "
                       "extra)", add_help=False)
        return
    mod = bridge_cli()
    p = sub.add_parser("estimate", help="estimate Z of a real masked model (torch)",
                       description=(mod.__doc__ or "").strip().splitlines()[0]
                       if mod.__doc__ else None)
    mod.add_arguments(p)
    make_strict(p)
    p.set_defaults(func=cmd_estimate, _bridge=mod)
