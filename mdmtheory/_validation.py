"""The one validation layer: input checks, the memory guard and the entropy-unit convention.

Every public entry point of :mod:`mdmtheory` funnels its raw input through the small
functions below, so that bad input fails the same way everywhere: a ``ValueError`` (or
``TypeError`` for a value of the wrong kind altogether, ``MemoryError`` for an over-sized
request) whose message names the argument and shows the offending value as a plain
number, *before* any number is computed.  No check is written twice: a module that needs
one of these checks imports it from here.

Conventions (one decision for the whole package)
------------------------------------------------
* **Integers** (:func:`as_int`): Python and NumPy integers are accepted; so are
  integer-valued finite floats (``3.0``) up to ``2**53`` in magnitude, where a float still
  denotes one integer exactly.  Everything else is refused and nothing is ever truncated:
  ``2.5``, ``nan``, ``inf``, ``True``/``False`` (a bool is not a count), strings, complex
  numbers, arrays.
* **Reals** (:func:`as_float`): finite unless ``allow_inf``; never bool, complex or string.
  Probabilities and confidences (:func:`as_probability`) lie in ``[0, 1]``; a confidence
  *level* (:func:`as_level`) in the open interval ``(0, 1)``; a tolerance
  (:func:`as_tolerance`) is finite and ``>= 0`` (a NaN tolerance would silently disable
  every comparison it guards).
* **Arrays** (:func:`as_real_array`, :func:`as_int_array`): complex, string, object and
  bool arrays are refused (complex input would otherwise lose its imaginary part with only
  a warning).
* **Positions and tokens** (:func:`as_position`, :func:`as_positions`, :func:`as_tokens`):
  range-checked, never wrapped (``-1`` is not "the last position").
* **Curves and profiles** (:func:`check_curve`, :func:`check_profile`): finite,
  nondecreasing within ``atol``; a profile is also concave within ``atol`` (Han's
  inequality: the average entropy of a ``j``-subset is concave in ``j``).
* **Kinds** (:func:`as_choice`): an argument naming a kind (method, form, unit, device,
  fallback) must be one of an explicit set.
* **Sizes** (:func:`check_table_size`, :func:`check_nbytes`): computed in floating point
  from logarithms, never by materialising ``q**n``, so ``n = 10**30`` is refused instantly;
  the message gives the size needed in binary units.
"""

from __future__ import annotations

import math
import numbers
import os
import re
from contextlib import contextmanager
from typing import Iterable, Iterator, Sequence

import numpy as np

#: Tolerance on ``|sum(p) - 1|`` accepted when validating a probability table.
#: A float64 table built by products/sums of up to ~2**26 terms carries a
#: relative rounding error far below 1e-12; 1e-9 leaves room for tables that were
#: written to disk in a lower precision (e.g. float32 -> ~1e-7 is *rejected*, on
#: purpose: such a table must be renormalised explicitly by the user).
SUM_ATOL: float = 1e-9

#: Largest magnitude of a float accepted as an integer (every integer up to it is exact).
_MAX_EXACT_FLOAT_INT = 2**53

# ----------------------------------------------------------------------------- formatting


def show(value) -> str:
    """Plain text for a value in an error message: ``1.5``, not ``np.float64(1.5)``."""
    if isinstance(value, (np.generic,)) and not isinstance(value, np.str_):
        value = value.item()
    if isinstance(value, np.ndarray):
        if value.size <= 8:
            return repr(value.tolist())
        return f"array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > 64:
            return f"an integer of {value.bit_length()} bits (about 10^{_log10_int(value):.0f})"
        return str(value)
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _log10_int(v: int) -> float:
    return (v.bit_length() - 1) * math.log10(2) if v else 0.0


def format_bytes(nbytes: float) -> str:
    """Human-readable byte count (binary prefixes), also for astronomically large counts."""
    nbytes = float(nbytes)
    if not math.isfinite(nbytes):
        return "more than 10^308 B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if abs(nbytes) < 1024 or unit == "EiB":
            if unit == "B":
                return f"{int(nbytes)} B"
            if unit == "EiB" and nbytes >= 1e4:
                return f"{nbytes:.3g} EiB"
            return f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    raise AssertionError("unreachable")


# ----------------------------------------------------------------------------- memory budget

_DEFAULT_MAX_BYTES = 4 * 2**30  # 4 GiB: a sixth of the 24 GiB CI machine
_UNITS = {
    "": 1, "b": 1,
    "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
    "t": 10**12, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}


def parse_bytes(text, name: str = "MDMTHEORY_MAX_BYTES") -> int:
    """Parse a byte count such as ``"4294967296"``, ``"4e9"``, ``"1 GiB"``, ``"512MB"``.

    Decimal units (kB, MB, GB, TB; also k, M, G, T) are powers of 1000, binary units
    (KiB, MiB, GiB, TiB) powers of 1024; the case of the unit does not matter.  The
    result must be a positive whole number of bytes.

    Raises
    ------
    ValueError
        On anything else, with a message naming ``name`` and the accepted forms.
    """
    if isinstance(text, (bool, np.bool_)):
        raise ValueError(f"{name} must be a byte count such as 4e9 or '1 GiB', got {text!r}")
    if isinstance(text, numbers.Real):
        number, unit = float(text), 1
    else:
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*",
                         str(text))
        if m is None or m.group(2).lower() not in _UNITS:
            raise ValueError(
                f"{name} must be a byte count such as 4294967296, 4e9, '4 GB' or '1 GiB', "
                f"got {str(text)!r}")
        number, unit = float(m.group(1)), _UNITS[m.group(2).lower()]
    nbytes = number * unit
    if not math.isfinite(nbytes) or nbytes < 1 or nbytes > 2**62:
        raise ValueError(f"{name} must be between 1 byte and 4 EiB, got {show(text)}")
    return int(nbytes)


def _budget_from_environment() -> int:
    raw = os.environ.get("MDMTHEORY_MAX_BYTES")
    if raw is None or not raw.strip():
        return _DEFAULT_MAX_BYTES
    try:
        return parse_bytes(raw)
    except ValueError as exc:  # never a traceback at import: warn and keep the default
        import warnings

        warnings.warn(f"{exc}; using the default budget of {format_bytes(_DEFAULT_MAX_BYTES)}",
                      RuntimeWarning, stacklevel=2)
        return _DEFAULT_MAX_BYTES


_max_bytes: int = _budget_from_environment()


def get_max_table_bytes() -> int:
    """Return the current memory budget (bytes) for one dense table."""
    return _max_bytes


def set_max_table_bytes(nbytes: int | str) -> None:
    """Set the memory budget (bytes) for one dense table.

    The default is 4 GiB, or the value of the environment variable
    ``MDMTHEORY_MAX_BYTES`` at import time (parsed by :func:`parse_bytes`, so
    ``"1 GiB"`` and ``"4e9"`` work; a value it cannot parse is reported by a
    ``RuntimeWarning`` and the default is kept).  ``nbytes`` may be an integer or
    a string with a unit.
    """
    global _max_bytes
    if isinstance(nbytes, str):
        _max_bytes = parse_bytes(nbytes, "nbytes")
        return
    value = as_int(nbytes, "nbytes (memory budget)")
    if value <= 0:
        raise ValueError(f"memory budget must be positive: nbytes={value}")
    _max_bytes = value


@contextmanager
def memory_budget(nbytes: int | str) -> Iterator[None]:
    """Context manager that temporarily changes the dense-table memory budget."""
    old = get_max_table_bytes()
    set_max_table_bytes(nbytes)
    try:
        yield
    finally:
        set_max_table_bytes(old)


def _budget(max_bytes) -> int:
    if max_bytes is None:
        return get_max_table_bytes()
    value = as_int(max_bytes, "max_bytes")
    if value <= 0:
        raise ValueError(f"max_bytes must be positive, got {value}")
    return value


def check_nbytes(need: float, *, what: str, max_bytes: int | None = None,
                 detail: str = "") -> None:
    """Refuse an allocation of ``need`` bytes (a float, may be astronomically large).

    Use this for every buffer whose size grows with ``q**n`` or with a user-chosen
    count (sample buffers, sequence enumerations); :func:`check_table_size` is the
    shorthand for a ``q**n`` table.
    """
    budget = _budget(max_bytes)
    if not need <= budget:  # also catches need = inf / nan
        extra = f" ({detail})" if detail else ""
        raise MemoryError(
            f"{what}{extra} would need {format_bytes(need)}, over the memory budget of "
            f"{format_bytes(budget)}; raise it with mdmtheory.set_max_table_bytes() or the "
            "MDMTHEORY_MAX_BYTES environment variable, or use a structured/Monte Carlo method"
        )


def table_cells_log2(q: int, n: int) -> float:
    """``log2(q**n)`` computed without forming ``q**n``."""
    return float(n) * math.log2(q) if q > 0 and n > 0 else 0.0


def _held(copies: float) -> str:
    return "" if copies == 1 else f" (with {copies:g} arrays of that size held at once)"


def check_table_size(
    q: int, n: int, *, itemsize: int = 8, copies: float = 1.0, max_bytes: int | None = None,
    what: str = "dense table",
) -> int:
    """Refuse, *before allocating*, a ``q**n`` table that exceeds the budget.

    The size is compared in ``log2`` space, so a huge ``n`` (``10**30``) costs nothing.

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
        The number of cells ``q**n`` (only formed once it is known to fit).

    Raises
    ------
    MemoryError
        If ``copies * itemsize * q**n`` exceeds the budget; the message says how
        much memory the request would need.
    """
    q = as_int(q, "q", minimum=1)
    n = as_int(n, "n", minimum=0)
    budget = _budget(max_bytes)
    log2_need = table_cells_log2(q, n) + math.log2(itemsize * copies)
    if log2_need > math.log2(budget) + 1e-12:
        need = 2.0**log2_need if log2_need < 1023 else math.inf
        cells = (f"{q**n:,} cells" if log2_need < 80
                 else f"about 2^{table_cells_log2(q, n):.4g} cells")
        check_nbytes(need, what=f"{what} with q={show(q)}, n={show(n)} has {cells} and"
                                f"{_held(copies)}", max_bytes=budget)
        # rounding in the log comparison: fall back to the exact product (small here)
    cells = q**n
    if cells * itemsize * copies > budget:
        check_nbytes(cells * itemsize * copies,
                     what=f"{what} with q={q}, n={n} has {cells:,} cells and{_held(copies)}",
                     max_bytes=budget)
    return cells


# ----------------------------------------------------------------------------- scalars


def _kind_error(name: str, expected: str, value) -> TypeError:
    return TypeError(f"{name} must be {expected}, got {type(value).__name__} {show(value)}")


def as_int(value, name: str, *, minimum: int | None = None,
           maximum: int | None = None) -> int:
    """Return ``value`` as a Python ``int`` or raise, naming ``name``.

    Accepts Python/NumPy integers and integer-valued finite floats up to ``2**53``
    (see the module docstring); refuses bools, non-integral or non-finite floats,
    complex numbers, strings and arrays -- nothing is truncated.

    Raises
    ------
    ValueError
        For a non-integral value or one outside ``[minimum, maximum]``.
    """
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be an integer, got the boolean {value!r}")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (int, np.integer)):
        iv = int(value)
    elif isinstance(value, (float, np.floating)):
        fv = float(value)
        if not math.isfinite(fv) or fv != math.floor(fv) or abs(fv) > _MAX_EXACT_FLOAT_INT:
            raise ValueError(f"{name} must be an integer, got {show(fv)}")
        iv = int(fv)
    else:
        raise ValueError(f"{name} must be an integer, got {type(value).__name__} {show(value)}")
    if minimum is not None and iv < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {show(iv)}")
    if maximum is not None and iv > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {show(iv)}")
    return iv


def as_optional_int(value, name: str, *, minimum: int | None = None,
                    maximum: int | None = None) -> int | None:
    """:func:`as_int`, letting ``None`` through."""
    return None if value is None else as_int(value, name, minimum=minimum, maximum=maximum)


def _as_real(value, name: str) -> float:
    """Type check only: a real number (not bool/complex/str/array) as a float, maybe nan/inf."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a real number, got the boolean {value!r}")
    if not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise ValueError(f"{name} must be a real number, got {type(value).__name__} "
                         f"{show(value)}")
    try:
        return float(value)
    except OverflowError:
        return math.copysign(math.inf, value)


def as_float(value, name: str, *, minimum: float | None = None, maximum: float | None = None,
             allow_inf: bool = False, strict_minimum: bool = False,
             strict_maximum: bool = False) -> float:
    """Return ``value`` as a finite Python ``float`` in the given range, or raise naming ``name``.

    Bools, complex numbers, strings and arrays of more than one element are refused.
    ``strict_minimum``/``strict_maximum`` make the corresponding bound exclusive.
    """
    fv = _as_real(value, name)
    if math.isnan(fv) or (not allow_inf and math.isinf(fv)):
        raise ValueError(f"{name} must be a finite number, got {show(fv)}")
    if minimum is not None and (fv < minimum or (strict_minimum and fv == minimum)):
        op = ">" if strict_minimum else ">="
        raise ValueError(f"{name} must be {op} {show(minimum)}, got {show(fv)}")
    if maximum is not None and (fv > maximum or (strict_maximum and fv == maximum)):
        op = "<" if strict_maximum else "<="
        raise ValueError(f"{name} must be {op} {show(maximum)}, got {show(fv)}")
    return fv


def as_probability(value, name: str) -> float:
    """A probability or confidence: a real number in ``[0, 1]``."""
    fv = _as_real(value, name)
    if not 0.0 <= fv <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {show(fv)}")
    return fv


def as_level(value, name: str = "level") -> float:
    """A confidence level of an interval: a real number in the open interval ``(0, 1)``."""
    fv = _as_real(value, name)
    if not 0.0 < fv < 1.0:
        raise ValueError(f"{name} must be in the open interval (0, 1), got {show(fv)}")
    return fv


def as_tolerance(value, name: str = "atol") -> float:
    """A tolerance: finite and ``>= 0`` (NaN would silently disable the check it guards)."""
    fv = as_float(value, name)
    if fv < 0:
        raise ValueError(f"{name} must be >= 0, got {show(fv)}")
    return fv


def as_bool(value, name: str) -> bool:
    """A flag: ``True``/``False`` (Python or NumPy bool) only."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"{name} must be True or False, got {type(value).__name__} {show(value)}")


def as_choice(value, name: str, allowed: Iterable[str]) -> str:
    """An argument naming a kind: ``value`` must be one of ``allowed`` (exact strings)."""
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}; got {show(value)}")
    return value


def as_seed(seed, name: str = "seed") -> np.random.Generator:
    """``np.random.default_rng(seed)`` with a clear error for a bad seed.

    Accepts ``None``, a non-negative integer (not a bool or float), a
    ``SeedSequence``/``BitGenerator`` or a ``Generator`` (returned as is).
    """
    if seed is None or isinstance(seed, (np.random.Generator, np.random.BitGenerator,
                                         np.random.SeedSequence)):
        return np.random.default_rng(seed)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"{name} must be None, a non-negative integer or a "
                         f"numpy Generator, got {type(seed).__name__} {show(seed)}")
    if seed < 0:
        raise ValueError(f"{name} must be >= 0, got {show(seed)}")
    return np.random.default_rng(int(seed))


# ----------------------------------------------------------------------------- arrays


def _check_shape(arr: np.ndarray, name: str, ndim: int | Sequence[int] | None,
                 nonempty: bool) -> None:
    """The number of dimensions (one of ``ndim``) and non-emptiness of an array argument."""
    if ndim is not None:
        dims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in dims:
            want = " or ".join(f"{d}-D" for d in dims)
            raise ValueError(f"{name} must be a {want} array, got shape {arr.shape}")
    if nonempty and arr.size == 0:
        raise ValueError(f"{name} must be non-empty, got shape {arr.shape}")


def _numeric_array(x, name: str, *, shape: str, must: str,
                   must_booleans: str | None = None) -> np.ndarray:
    """The prelude shared by :func:`as_real_array` and :func:`as_int_array`.

    ``x`` as an array of an integer, float or complex dtype (the caller decides about
    complex): ragged input, object arrays that are not all numbers, booleans and
    every other dtype (strings, dates, records) are refused with
    ``"{name} must {must}, got ..."`` (``must_booleans`` for booleans, default
    ``must``; ragged input: ``"{name} must be a rectangular {shape} array"``).  An
    object array of numbers is converted to float64.
    """
    try:
        raw = np.asarray(x)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular {shape} array ({exc})") from None
    if raw.dtype == object:
        try:
            raw = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must {must}, got an object array") from None
    if raw.dtype.kind == "b":
        raise ValueError(f"{name} must {must_booleans or must}, got booleans")
    if raw.dtype.kind not in "iufc":
        raise ValueError(f"{name} must {must}, got dtype {raw.dtype}")
    return raw


def as_real_array(x, name: str, *, ndim: int | Sequence[int] | None = None,
                  finite: bool = True, nonempty: bool = True) -> np.ndarray:
    """``x`` as a float64 array; complex, string, object and bool input refused.

    Parameters
    ----------
    ndim : int or sequence of int, optional
        Required number of dimensions.
    finite : bool
        Also require every entry to be finite.
    nonempty : bool
        Require at least one element.
    """
    raw = _numeric_array(x, name, shape="numeric", must="be real-valued",
                         must_booleans="be real-valued numbers")
    if raw.dtype.kind == "c":
        raise ValueError(f"{name} must be real-valued, got complex input")
    arr = raw.astype(np.float64, copy=False)
    _check_shape(arr, name, ndim, nonempty)
    if finite and not np.isfinite(arr).all():
        bad = "NaN" if np.isnan(arr).any() else "infinite values"
        raise ValueError(f"{name} contains {bad}")
    return arr


def as_int_array(x, name: str, *, minimum: int | None = None, maximum: int | None = None,
                 ndim: int | Sequence[int] | None = None, nonempty: bool = False
                 ) -> np.ndarray:
    """``x`` as an int64 array of integers in ``[minimum, maximum]`` (never truncated).

    Integer dtypes are taken as they are; float arrays are accepted when every entry is
    an exact integer (the :func:`as_int` convention); bool, complex, string and object
    arrays are refused.
    """
    raw = _numeric_array(x, name, shape="integer", must="contain integers")
    if raw.dtype.kind == "f":
        # float16/32 widened first: comparing them with 2^53 would overflow (a warning)
        raw = raw.astype(np.float64, copy=False)
        if not np.isfinite(raw).all() or (raw != np.floor(raw)).any() \
                or (np.abs(raw) > _MAX_EXACT_FLOAT_INT).any():
            bad = raw[~(np.isfinite(raw) & (raw == np.floor(raw)))]
            shown = show(bad.ravel()[0]) if bad.size else "a value beyond 2^53"
            raise ValueError(f"{name} must contain integers, got {shown}")
    elif raw.dtype.kind == "u":
        if raw.size and raw.max() > np.iinfo(np.int64).max:
            raise ValueError(f"{name} contains integers beyond the int64 range")
    elif raw.dtype.kind != "i":
        raise ValueError(f"{name} must contain integers, got dtype {raw.dtype}")
    arr = raw.astype(np.int64)
    _check_shape(arr, name, ndim, nonempty)
    if arr.size:
        if minimum is not None and arr.min() < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {show(arr.min())}")
        if maximum is not None and arr.max() > maximum:
            raise ValueError(f"{name} must be <= {maximum}, got {show(arr.max())}")
    return arr


def as_position(value, name: str, n: int) -> int:
    """A position index ``0 <= i < n`` (never wrapped: ``-1`` is refused)."""
    i = as_int(value, name, minimum=0)
    if i >= n:
        raise ValueError(f"{name}: position {i} out of range for n={n} positions")
    return i


def as_positions(values, name: str, n: int, *, unique: bool = True) -> tuple[int, ...]:
    """A collection of positions in ``[0, n)`` (a scalar counts as one); distinct if ``unique``."""
    if isinstance(values, (str, bytes)) or isinstance(values, dict):
        raise ValueError(f"{name} must be a collection of positions, got {show(values)}")
    try:
        items = np.atleast_1d(np.asarray(values, dtype=object)).ravel().tolist() \
            if not isinstance(values, (set, frozenset)) else sorted(values)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a collection of positions, got {show(values)}") \
            from None
    pos = tuple(as_position(v, name, n) for v in items)
    if unique and len(set(pos)) != len(pos):
        raise ValueError(f"{name} contains a repeated position: {list(pos)}")
    return pos


def as_tokens(x, name: str, q: int, *, ndim: int | Sequence[int] | None = None) -> np.ndarray:
    """Integer tokens in ``[0, q)`` as an int64 array (never wrapped or truncated)."""
    arr = as_int_array(x, name, ndim=ndim)
    if arr.size and (arr.min() < 0 or arr.max() >= q):
        bad = arr.min() if arr.min() < 0 else arr.max()
        raise ValueError(f"{name}: tokens must lie in [0, {q}), got {show(bad)}")
    return arr


# ----------------------------------------------------------------------------- curves


def check_curve(Z, name: str = "Z", *, atol: float = 1e-9, start_at_zero: bool = True,
                concave: bool = False) -> np.ndarray:
    """An information curve (Def. 1.1 in the paper): 1-D, finite, nondecreasing within ``atol``.

    ``start_at_zero`` requires ``Z_1 = 0`` (within ``atol``); ``concave`` also requires
    non-increasing increments within ``atol``.
    """
    atol = as_tolerance(atol, "atol")
    Zarr = as_real_array(Z, name, ndim=1)
    if start_at_zero and abs(Zarr[0]) > atol:
        raise ValueError(f"{name}: Z_1 must be 0, got {name}[0] = {show(Zarr[0])}")
    d = np.diff(Zarr)
    if d.size and d.min() < -atol:
        j = int(np.argmin(d))
        raise ValueError(f"{name} must be nondecreasing: {name}[{j + 1}] < {name}[{j}] by "
                         f"{-d[j]:.3g} (tolerance {atol:g})")
    if concave and d.size > 1:
        dd = np.diff(d)
        if dd.max() > atol:
            j = int(np.argmax(dd))
            raise ValueError(f"{name} must be concave: increment {j + 1} exceeds increment "
                             f"{j} by {dd[j]:.3g} (tolerance {atol:g})")
    return Zarr


def check_profile(H, name: str = "profile", *, atol: float = 1e-9) -> np.ndarray:
    """An entropy profile ``H_0 = 0, H_1, ..., H_n``: finite, starting at 0, non-decreasing
    and concave within ``atol`` (Han's inequality), else ``ValueError``.

    The tolerance is relative to the scale of the profile: ``atol * max(1, |H|_max)``.
    """
    atol = as_tolerance(atol, "atol")
    Harr = as_real_array(H, name, ndim=1)
    scale = max(1.0, float(np.abs(Harr).max()))
    return check_curve(Harr, name, atol=atol * scale, start_at_zero=True, concave=True)


# ----------------------------------------------------------------------------- tables


def log_base_factor(base: float | None) -> float:
    """Divisor converting nats to the requested unit, as in ``scipy.stats.entropy``.

    ``base=None`` (the default everywhere) means nats; ``base=2`` means bits.
    """
    if base is None:
        return 1.0
    if isinstance(base, (bool, np.bool_)) or not isinstance(base, (numbers.Real, np.number)) \
            or isinstance(base, (complex, np.complexfloating)):
        raise ValueError(f"base must be a positive number other than 1, got {show(base)}")
    b = float(base)
    if not math.isfinite(b) or b <= 0 or b == 1:
        raise ValueError(f"base must be a finite positive number other than 1, got {show(b)}")
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


def check_probability_vector(p, name: str = "p", *, atol: float = SUM_ATOL) -> np.ndarray:
    """Validate a 1-D probability vector (finite, non-negative, sums to 1)."""
    atol = as_tolerance(atol, "atol")
    arr = as_real_array(p, name, finite=False, nonempty=False)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    _check_finite_nonneg(arr, name)
    s = float(arr.sum())
    if abs(s - 1.0) > atol:
        raise ValueError(f"{name} must sum to 1 (tolerance {atol:g}), sums to {show(s)}")
    return arr / s


def check_probability_table(p, name: str = "p", *, atol: float = SUM_ATOL) -> np.ndarray:
    """Validate a probability table of any shape (finite, non-negative, sums to 1)."""
    atol = as_tolerance(atol, "atol")
    arr = as_real_array(p, name, finite=False)
    _check_finite_nonneg(arr, name)
    s = float(arr.sum())
    if abs(s - 1.0) > atol:
        raise ValueError(f"{name} must sum to 1 (tolerance {atol:g}), sums to {show(s)}")
    return arr


def check_stochastic_matrix(T, name: str = "transition", *, atol: float = SUM_ATOL) -> np.ndarray:
    """Validate a row-stochastic matrix (or a stack of them along axis 0)."""
    atol = as_tolerance(atol, "atol")
    arr = as_real_array(T, name, finite=False, nonempty=False)
    if arr.ndim not in (2, 3) or arr.shape[-1] < 1:
        raise ValueError(f"{name} must have shape (a, b) or (m, a, b), got {arr.shape}")
    _check_finite_nonneg(arr, name)
    rows = arr.sum(axis=-1)
    bad = np.abs(rows - 1.0) > atol
    if np.any(bad):
        where = tuple(int(w) for w in np.argwhere(bad)[0])
        raise ValueError(
            f"every row of {name} must sum to 1 (tolerance {atol:g}); row {where} "
            f"sums to {show(rows[where])}"
        )
    return arr / rows[..., None]


def _check_finite_nonneg(arr: np.ndarray, name: str) -> None:
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains infinite values")
    if (arr < 0).any():
        idx = tuple(int(i) for i in np.unravel_index(int(np.argmin(arr)), arr.shape))
        raise ValueError(f"{name} contains negative probabilities (e.g. {show(arr[idx])} "
                         f"at {idx})")


check_finite_nonnegative = _check_finite_nonneg


# ----------------------------------------------------------------------------- primes


def is_prime(p) -> bool:
    """Deterministic primality test (Miller--Rabin with the 12 first prime bases).

    Exact for every ``p < 3.3 * 10**24`` (Sorenson & Webster 2015), which covers every
    alphabet size this package can use; larger integers go to :func:`sympy.isprime`
    (BPSW).  Runs in microseconds even for ``2**61 - 1``.
    """
    p = as_int(p, "p")
    if p < 2:
        return False
    small = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)
    for b in small:
        if p % b == 0:
            return p == b
    if p >= 3_317_044_064_679_887_385_961_981:
        from sympy import isprime

        return bool(isprime(p))
    d, s = p - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in small:
        x = pow(a, d, p)
        if x in (1, p - 1):
            continue
        for _ in range(s - 1):
            x = x * x % p
            if x == p - 1:
                break
        else:
            return False
    return True
