"""Shared input checks, the memory guard and the entropy-unit convention.

Every public entry point of :mod:`mdmtheory` funnels its raw input through one of
these helpers, so that a bad table, a bad base or an over-sized request fails the
same way everywhere: a ``ValueError`` (or ``MemoryError``) whose message names the
problem, before any number is computed.
"""

from __future__ import annotations

import math
import os
from contextlib import contextmanager
from typing import Iterator

import numpy as np

#: Tolerance on ``|sum(p) - 1|`` accepted when validating a probability table.
#: A float64 table built by products/sums of up to ~2**26 terms carries a
#: relative rounding error far below 1e-12; 1e-9 leaves room for tables that were
#: written to disk in a lower precision (e.g. float32 -> ~1e-7 is *rejected*, on
#: purpose: such a table must be renormalised explicitly by the user).
SUM_ATOL: float = 1e-9

_DEFAULT_MAX_BYTES = 4 * 2**30  # 4 GiB: a sixth of the 24 GiB CI machine
_max_bytes: int = int(os.environ.get("MDMTHEORY_MAX_BYTES", _DEFAULT_MAX_BYTES))


def get_max_table_bytes() -> int:
    """Return the current memory budget (bytes) for one dense table."""
    return _max_bytes


def set_max_table_bytes(nbytes: int) -> None:
    """Set the memory budget (bytes) for one dense table.

    The default is 4 GiB, or the value of the environment variable
    ``MDMTHEORY_MAX_BYTES`` at import time.
    """
    global _max_bytes
    nbytes = int(nbytes)
    if nbytes <= 0:
        raise ValueError(f"memory budget must be positive, got {nbytes} bytes")
    _max_bytes = nbytes


@contextmanager
def memory_budget(nbytes: int) -> Iterator[None]:
    """Context manager that temporarily changes the dense-table memory budget."""
    old = get_max_table_bytes()
    set_max_table_bytes(nbytes)
    try:
        yield
    finally:
        set_max_table_bytes(old)


def format_bytes(nbytes: float) -> str:
    """Human-readable byte count (binary prefixes)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(nbytes) < 1024 or unit == "PiB":
            return f"{nbytes:.1f} {unit}" if unit != "B" else f"{int(nbytes)} B"
        nbytes /= 1024
    raise AssertionError("unreachable")


def check_table_size(
    q: int, n: int, *, itemsize: int = 8, copies: float = 1.0, max_bytes: int | None = None,
    what: str = "dense table",
) -> int:
    """Refuse, *before allocating*, a ``q**n`` table that exceeds the budget.

    Parameters
    ----------
    q, n : int
        Alphabet size and number of positions.
    itemsize : int
        Bytes per entry (8 for float64).
    copies : float
        How many tables of that size the caller will hold at once.
    max_bytes : int, optional
        Budget; defaults to :func:`get_max_table_bytes`.
    what : str
        Name of the object, for the error message.

    Returns
    -------
    int
        The number of cells ``q**n``.

    Raises
    ------
    MemoryError
        If ``copies * itemsize * q**n`` exceeds the budget; the message says how
        much memory the request would need.
    """
    budget = get_max_table_bytes() if max_bytes is None else int(max_bytes)
    cells = int(q) ** int(n)  # exact Python int: no overflow for huge n
    need = cells * itemsize * copies
    if need > budget:
        raise MemoryError(
            f"{what} with q={q}, n={n} has {cells:,} cells and would need "
            f"{format_bytes(need)}, over the memory budget of {format_bytes(budget)}; "
            "raise it with mdmtheory.set_max_table_bytes() or the MDMTHEORY_MAX_BYTES "
            "environment variable, or use a structured/Monte Carlo method"
        )
    return cells


def log_base_factor(base: float | None) -> float:
    """Divisor converting nats to the requested unit, as in ``scipy.stats.entropy``.

    ``base=None`` (the default everywhere) means nats; ``base=2`` means bits.
    """
    if base is None:
        return 1.0
    try:
        b = float(base)
    except (TypeError, ValueError):
        raise ValueError(f"base must be a positive number other than 1, got {base!r}") from None
    if not math.isfinite(b) or b <= 0 or b == 1:
        raise ValueError(f"base must be a finite positive number other than 1, got {base!r}")
    return math.log(b)


def unit_name(base: float | None) -> str:
    """Name of the entropy unit for ``base`` ("nats", "bits", or "log_b units")."""
    if base is None or (isinstance(base, (int, float)) and math.isclose(base, math.e)):
        return "nats"
    if base == 2:
        return "bits"
    if base == 10:
        return "hartleys"
    return f"log{base:g} units"


def as_int(value, name: str, *, minimum: int | None = None) -> int:
    """Convert ``value`` to ``int`` or raise a ``ValueError`` naming ``name``."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    try:
        iv = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an integer, got {value!r}") from None
    if iv != value:
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and iv < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {iv}")
    return iv


def check_probability_vector(p, name: str = "p", *, atol: float = SUM_ATOL) -> np.ndarray:
    """Validate a 1-D probability vector (finite, non-negative, sums to 1)."""
    arr = np.asarray(p, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    _check_finite_nonneg(arr, name)
    s = float(arr.sum())
    if abs(s - 1.0) > atol:
        raise ValueError(f"{name} must sum to 1 (tolerance {atol:g}), sums to {s!r}")
    return arr / s


def check_stochastic_matrix(T, name: str = "transition", *, atol: float = SUM_ATOL) -> np.ndarray:
    """Validate a row-stochastic matrix (or a stack of them along axis 0)."""
    arr = np.asarray(T, dtype=np.float64)
    if arr.ndim not in (2, 3) or arr.shape[-1] < 1:
        raise ValueError(f"{name} must have shape (a, b) or (m, a, b), got {arr.shape}")
    _check_finite_nonneg(arr, name)
    rows = arr.sum(axis=-1)
    bad = np.abs(rows - 1.0) > atol
    if np.any(bad):
        where = np.argwhere(bad)[0]
        raise ValueError(
            f"every row of {name} must sum to 1 (tolerance {atol:g}); row {tuple(where)} "
            f"sums to {rows[tuple(where)]!r}"
        )
    return arr / rows[..., None]


def _check_finite_nonneg(arr: np.ndarray, name: str) -> None:
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains infinite values")
    if (arr < 0).any():
        idx = np.unravel_index(int(np.argmin(arr)), arr.shape)
        raise ValueError(f"{name} contains negative probabilities (e.g. {arr[idx]!r} at {idx})")


check_finite_nonnegative = _check_finite_nonneg
