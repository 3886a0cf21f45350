"""Shared pieces of the command line: errors, argument types, output formatting."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any, Sequence

import numpy as np

PROG = "mdmtheory"
#: Exit status for bad arguments / bad input files.
EXIT_USAGE = 2
#: Exit status for an internal error (a bug) or a failed figure/check.
EXIT_FAILURE = 1

#: Rules accepted by ``schedule --rules`` (see :func:`_named_schedules`).
NAMED_RULES: tuple[str, ...] = ("uniform", "cosine", "loglinear", "linear", "tc", "dtc", "min")
DEFAULT_RULES: tuple[str, ...] = ("uniform", "cosine", "loglinear", "tc", "dtc")

#: Packages a figure script may need that are optional extras of mdmtheory.
OPTIONAL_PACKAGES = {"torch": "torch", "transformers": "torch", "antiberty": "antiberty"}


class CLIError(Exception):
    """A user error: printed as one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise CLIError(f"{self.prog}: {message} (see '{self.prog} --help')")


# --------------------------------------------------------------------------- arguments
def _int_at_least(minimum: int, what: str):
    """An argparse type: an integer ``>= minimum``, described as ``what`` in errors."""

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            v = None
        if v is None or v < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return v

    return parse


_positive_int = _int_at_least(1, "a positive integer")
_nonneg_int = _int_at_least(0, "an integer >= 0")


def _finite_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return v


def _probability(text: str) -> float:
    v = _finite_float(text)
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a probability in [0, 1], got {text!r}")
    return v


def _nonneg_float(text: str) -> float:
    v = _finite_float(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return v


def _lambda(text: str) -> float:
    v = _finite_float(text)
    if not 0.0 < v <= 1.0:
        raise argparse.ArgumentTypeError(f"lambda must be in (0, 1], got {text!r}")
    return v


def _float_list(text: str) -> list[float]:
    try:
        vals = [float(t) for t in text.replace(";", ",").split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}") from None
    if not vals or not all(math.isfinite(v) for v in vals):
        raise argparse.ArgumentTypeError(f"expected comma-separated finite numbers, got {text!r}")
    return vals


def _int_list(text: str) -> list[int]:
    try:
        vals = [int(t) for t in text.replace(";", ",").split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}") from None
    if not vals:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
    return vals


def _rule_list(text: str) -> list[str]:
    names = [t.strip().lower().replace("-", "") for t in text.split(",") if t.strip()]
    if names == ["all"]:
        return list(NAMED_RULES)
    if names == ["none"]:
        return []
    bad = [t for t in names if t not in NAMED_RULES]
    if bad or not names:
        raise argparse.ArgumentTypeError(
            f"unknown rule(s) {', '.join(bad) or text!r}; choose from {', '.join(NAMED_RULES)}, "
            "'all' or 'none'")
    return list(dict.fromkeys(names))


def _base(text: str) -> float | None:
    """``--base``: ``nats``/``e`` (None), ``bits``/``2``, or any positive number other than 1."""
    t = text.strip().lower()
    if t in ("nats", "nat", "e", "ln"):
        return None
    if t in ("bits", "bit", "log2"):
        return 2.0
    try:
        v = float(t)
    except ValueError:
        v = math.nan
    if not math.isfinite(v) or v <= 0 or v == 1.0:
        raise argparse.ArgumentTypeError(
            f"base must be 'nats', 'bits' or a positive number other than 1, got {text!r}")
    return v


def _unit(base: float | None) -> str:
    """Name of the unit of ``base``: ``nats``, ``bits`` or ``base-B`` (e.g. ``base-10``)."""
    if base is None:
        return "nats"
    if base == 2.0:
        return "bits"
    return f"base-{base:g}"


def _unit_base(unit: object) -> float | None:
    """Inverse of :func:`_unit`; raises ``ValueError`` for an unknown unit name."""
    u = str(unit).strip().lower()
    if u in ("nats", "nat"):
        return None
    if u in ("bits", "bit"):
        return 2.0
    if u.startswith("base-"):
        try:
            return _base(u[5:])
        except argparse.ArgumentTypeError:
            pass
    raise ValueError(f"unknown unit {unit!r}: expected 'nats', 'bits' or 'base-B' (e.g. 'base-10')")


# --------------------------------------------------------------------------- output helpers
def _fmt(v: Any, digits: int = 6) -> str:
    """Human formatting: ``digits`` significant digits; ``|v| < 1e-12`` (float64 rounding of an
    exact zero, e.g. ``Z_2`` of a code) prints as ``0``."""
    if v is None:
        return "-"
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if abs(v) < 1e-12:
            return "0"
        if abs(v) < 1e-4 or abs(v) >= 1e6:
            return f"{v:.{digits - 1}e}"
        return f"{v:.{digits}g}" if abs(v) >= 1 else f"{v:.{digits}f}".rstrip("0").rstrip(".")
    return str(v)


def _fixed(v: float, decimals: int = 6) -> str:
    """Fixed-point formatting for columns of comparable numbers (``-0`` printed as ``0``)."""
    out = f"{float(v):.{decimals}f}"
    return out[1:] if out.startswith("-") and float(out) == 0 else out


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]],
                 align: Sequence[str] | None = None) -> str:
    """Plain-text table; ``align`` is a string of ``l``/``r`` per column."""
    cells = [[_fmt(c) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    align = align or "l" + "r" * (len(headers) - 1)

    def line(vals):
        out = [v.ljust(w) if a == "l" else v.rjust(w) for v, w, a in zip(vals, widths, align)]
        return "  ".join(out).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep] + [line(r) for r in cells])


def _abbrev_sizes(sizes: Sequence[int], limit: int = 12) -> str:
    s = [int(x) for x in sizes]
    if len(s) <= limit:
        return "[" + ", ".join(map(str, s)) + "]"
    return "[" + ", ".join(map(str, s[:8])) + ", ..., " + ", ".join(map(str, s[-3:])) + "]"


def _to_jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return f if math.isfinite(f) else None
    return obj


def _json_text(obj: Any, indent: int = 0) -> str:
    """JSON with 2-space indentation, but a list of scalars (a curve, a schedule) on one line.

    ``json.dumps(..., indent=2)`` would print one line per number: thousands of
    lines for the schedule of a long sequence.
    """
    pad = "  " * (indent + 1)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{pad}{json.dumps(str(k))}: {_json_text(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(obj, list):
        if all(not isinstance(v, (dict, list)) for v in obj):
            return json.dumps(obj)
        items = [f"{pad}{_json_text(v, indent + 1)}" for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + "  " * indent + "]"
    return json.dumps(obj)


def _emit_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(_json_text(_to_jsonable(obj)) + "\n")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
