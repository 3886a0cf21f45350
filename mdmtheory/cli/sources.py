"""What ``curve`` and ``schedule`` work on: named families, joint tables, stored curves."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ._common import (
    PROG,
    CLIError,
    _Parser,
    _positive_int,
    _nonneg_int,
    _finite_float,
    _probability,
    _float_list,
    _unit_base,
)

# --------------------------------------------------------------------------- sources
@dataclass
class Source:
    """What ``curve``/``schedule`` work on: a dense distribution or a stored curve."""

    label: str
    n: int
    q: int | None
    build: Callable[[float | None], dict[str, Any]]
    method: str = "dense"


@dataclass
class Family:
    """A family of distributions selectable on the command line."""

    name: str
    help: str
    add: Callable[[argparse.ArgumentParser], None]
    make: Callable[[argparse.Namespace], Any]
    aliases: tuple[str, ...] = ()
    example: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _add_nq(p: argparse.ArgumentParser, q_default: int | None = 2, q_help: str = "alphabet size"):
    p.add_argument("--n", type=_positive_int, required=True, help="sequence length")
    if q_default is not None:
        p.add_argument("--q", type=_positive_int, default=q_default,
                       help=f"{q_help} (default {q_default})")


def _fam():
    from .. import families

    return families


def _make_product(a):
    fam = _fam()
    if a.probs is not None:
        if a.q is not None and a.q != len(a.probs):
            raise CLIError(f"--probs has {len(a.probs)} values but --q is {a.q}: give one "
                           "probability per symbol (or leave out --q)")
        marg = np.tile(np.asarray(a.probs, dtype=np.float64), (a.n, 1))
    else:
        rng = np.random.default_rng(a.seed)
        marg = rng.dirichlet(np.ones(2 if a.q is None else a.q), size=a.n)
    return fam.product(marg, name="product")


def _make_markov(a):
    fam = _fam()
    if a.q == 2:
        return fam.binary_symmetric_chain(a.n, a.flip, name=f"markov(flip={a.flip:g})")
    q = a.q
    T = np.full((q, q), a.flip / (q - 1))
    np.fill_diagonal(T, 1.0 - a.flip)
    return fam.markov_chain(a.n, T, np.full(q, 1.0 / q), name=f"markov(q={q}, flip={a.flip:g})")


def _make_mixture(a):
    fam = _fam()
    b = a.bias
    comp1 = fam.product(np.tile([1 - b, b], (a.n, 1)))
    comp0 = fam.product(np.tile([b, 1 - b], (a.n, 1)))
    return fam.mixture([comp1, comp0], [a.weight, 1 - a.weight],
                       name=f"mixture(bias={b:g}, weight={a.weight:g})")


FAMILIES: dict[str, Family] = {}


def _register(f: Family) -> None:
    FAMILIES[f.name] = f


_register(Family(
    "uniform", "uniform law on Sigma^n (Z = 0)",
    lambda p: _add_nq(p),
    lambda a: _fam().uniform(a.n, a.q),
    example="uniform --n 6 --q 2"))


def _add_product(p):
    p.add_argument("--n", type=_positive_int, required=True, help="sequence length")
    p.add_argument("--q", type=_positive_int, default=None,
                   help="alphabet size (default: the length of --probs, else 2)")
    p.add_argument("--probs", type=_float_list, default=None,
                   help="one marginal used at every position, e.g. 0.2,0.8 (one value per "
                        "symbol, summing to 1)")
    p.add_argument("--seed", type=_nonneg_int, default=0,
                   help="seed for random Dirichlet(1) marginals when --probs is not given")


_register(Family("product", "product measure (Z = 0)", _add_product, _make_product,
                 example="product --n 6 --probs 0.3,0.7"))


def _add_markov(p):
    _add_nq(p, q_help="number of states")
    p.add_argument("--flip", type=_probability, required=True,
                   help="probability of leaving the current state (spread evenly over the "
                        "other q-1 states); uniform start")


_register(Family("markov", "symmetric Markov chain with flip probability", _add_markov,
                 _make_markov, example="markov --n 10 --flip 0.1"))


def _add_mixture(p):
    p.add_argument("--n", type=_positive_int, required=True, help="sequence length")
    p.add_argument("--bias", type=_probability, default=0.9,
                   help="component 1 is Bern(bias)^n, component 2 Bern(1-bias)^n (default 0.9)")
    p.add_argument("--weight", type=_probability, default=0.5,
                   help="weight of component 1 (default 0.5)")


_register(Family("mixture", "mixture of two binary product measures", _add_mixture,
                 _make_mixture, example="mixture --n 6 --bias 0.9"))
_register(Family("repetition", "repetition code: all X_i equal", lambda p: _add_nq(p),
                 lambda a: _fam().repetition(a.n, a.q), example="repetition --n 6 --q 3"))
_register(Family("parity", "sum-zero (parity) code over Z_q", lambda p: _add_nq(p),
                 lambda a: _fam().parity(a.n, a.q), example="parity --n 6 --q 2"))


def _add_rs(p):
    p.add_argument("--n", type=_positive_int, required=True, help="code length (n <= p)")
    p.add_argument("--d", type=_positive_int, required=True, help="code dimension (d <= n)")
    p.add_argument("--p", type=_positive_int, required=True, help="prime field size")


_register(Family("rs", "Reed-Solomon [n, d] (MDS) code over F_p", _add_rs,
                 lambda a: _fam().reed_solomon(a.n, a.d, a.p), aliases=("mds", "reed-solomon"),
                 example="rs --n 5 --d 2 --p 5"))


def _add_ising(p):
    p.add_argument("--n", type=_positive_int, required=True, help="chain length")
    p.add_argument("--coupling", type=_finite_float, required=True, help="coupling J")
    p.add_argument("--field", type=_finite_float, default=0.0, help="field h (default 0)")
    p.add_argument("--periodic", action="store_true", help="add the bond (x_n, x_1)")


_register(Family("ising", "1-D Ising chain", _add_ising,
                 lambda a: _fam().ising_chain(a.n, a.coupling, a.field, periodic=a.periodic),
                 example="ising --n 8 --coupling 0.5"))


def _add_potts(p):
    _add_nq(p, q_default=3, q_help="number of colours")
    p.add_argument("--coupling", type=_finite_float, required=True, help="coupling J")
    p.add_argument("--periodic", action="store_true", help="add the bond (x_n, x_1)")


_register(Family("potts", "1-D Potts chain", _add_potts,
                 lambda a: _fam().potts_chain(a.n, a.q, a.coupling, periodic=a.periodic),
                 example="potts --n 6 --q 3 --coupling 1.0"))


def _add_dirichlet(p):
    _add_nq(p)
    p.add_argument("--alpha", type=_finite_float, default=1.0,
                   help="Dirichlet concentration (default 1)")
    p.add_argument("--seed", type=_nonneg_int, default=0, help="random seed (default 0)")


_register(Family("dirichlet", "random joint table ~ Dirichlet(alpha)", _add_dirichlet,
                 lambda a: _fam().random_dirichlet(a.n, a.q, a.alpha, seed=a.seed),
                 example="dirichlet --n 5 --q 2 --seed 1"))

# File sources (not families): joint tables and stored curves.
TABLE_SUFFIXES = (".npy", ".npz")
CURVE_SUFFIXES = (".json", ".txt", ".csv", ".tsv")


def _unit_name(text: str) -> str:
    """``--unit``: a unit name that :func:`_unit_base` understands."""
    try:
        _unit_base(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip().lower()


def _read_error(path: Path, exc: BaseException) -> CLIError:
    msg = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return CLIError(f"cannot read {str(path)!r}: {msg}")


def _load_array(path: Path, key: str | None, *, want: str) -> np.ndarray:
    """Read one array from ``.npy``/``.npz`` (``key`` selects an ``.npz`` member)."""
    if not path.exists():
        raise CLIError(f"cannot read {str(path)!r}: no such file")
    if path.is_dir():
        raise CLIError(f"cannot read {str(path)!r}: it is a directory")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                keys = list(z.keys())
                if key is not None:
                    if key not in keys:
                        raise CLIError(f"{str(path)!r} has no array {key!r} "
                                       f"(it has: {', '.join(keys) or 'none'})")
                    return np.asarray(z[key])
                for k in (("Z", "z", "curve") if want == "curve" else ("p", "table", "mu")):
                    if k in keys:
                        return np.asarray(z[k])
                if len(keys) == 1:
                    return np.asarray(z[keys[0]])
                raise CLIError(f"{str(path)!r} holds several arrays ({', '.join(keys) or 'none'}); "
                               "choose one with --key")
        if key is not None:
            raise CLIError("--key only applies to .npz files")
        return np.asarray(np.load(path, allow_pickle=False))
    except CLIError:
        raise
    except (OSError, ValueError, EOFError) as exc:
        raise _read_error(path, exc) from None
    except Exception as exc:  # zipfile.BadZipFile, pickle errors...
        raise _read_error(path, exc) from None


def _flat_table_error(path: Path, length: int) -> CLIError:
    """The one-line error for a flat (1-D) table read without ``--n``: its readings."""
    from ..distribution import _flat_readings

    readings = _flat_readings(length)
    if not readings:
        return CLIError(f"{str(path)!r}: a flat table of length {length} has no reading as "
                        "(q,)*n with q >= 2")
    how = ", ".join(f"--n {n} " + ("reads it as " if i == 0 else "as ")
                    + (f"one position over {q} symbols" if n == 1 else f"({q},)*{n}")
                    for i, (q, n) in enumerate(readings))
    what = "is ambiguous: give --n (" if len(readings) > 1 else "needs --n: "
    close = ")" if len(readings) > 1 else ""
    return CLIError(f"{str(path)!r}: a flat table of length {length} {what}{how}{close}, "
                    "or save it reshaped to (q,)*n")


def _table_source(path: Path, key: str | None, n: int | None = None) -> Source:
    from ..distribution import Distribution

    arr = _load_array(path, key, want="table")
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise CLIError(f"{str(path)!r}: expected a numeric probability table, "
                       f"got dtype {arr.dtype}")
    if arr.ndim == 1 and n is None:
        raise _flat_table_error(path, arr.shape[0])
    try:
        dist = Distribution(arr, name=path.name, n=n)
    except (ValueError, MemoryError) as exc:
        raise CLIError(f"{str(path)!r}: {exc}") from None
    return _dense_source(dist)


def _read_curve(path: Path, key: str | None, unit: str | None
                ) -> tuple[np.ndarray, float | None, str]:
    """Read a stored curve; return ``(Z, base, label)`` with ``Z`` in the unit of ``base``."""
    suffix = path.suffix.lower()
    base: float | None = None
    label = path.name
    if suffix in TABLE_SUFFIXES:
        Z = _load_array(path, key, want="curve")
    else:
        if not path.exists():
            raise CLIError(f"cannot read {str(path)!r}: no such file")
        if path.is_dir():
            raise CLIError(f"cannot read {str(path)!r}: it is a directory")
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise _read_error(path, exc) from None
        if suffix == ".json":
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                raise CLIError(f"{str(path)!r} is not valid JSON: {exc}") from None
            if isinstance(obj, dict):
                if "Z" not in obj:
                    raise CLIError(f"{str(path)!r}: a JSON curve needs a key 'Z'")
                Z = obj["Z"]
                if "unit" in obj:
                    try:
                        base = _unit_base(obj["unit"])
                    except ValueError as exc:
                        raise CLIError(f"{str(path)!r}: {exc}") from None
                label = str(obj.get("name") or label)
            else:
                Z = obj
        else:
            try:
                Z = [float(t) for t in text.replace(",", " ").replace(";", " ").split()]
            except ValueError as exc:
                raise CLIError(f"{str(path)!r}: expected numbers: {exc}") from None
    if unit is not None:
        base = _unit_base(unit)
    try:
        Zarr = np.asarray(Z, dtype=np.float64)
    except (TypeError, ValueError):
        raise CLIError(f"{str(path)!r}: the curve must be a list of numbers") from None
    from ..schedule import validate_curve

    try:
        Zarr = validate_curve(Zarr)
    except ValueError as exc:
        raise CLIError(f"{str(path)!r}: {exc}") from None
    return Zarr, base, label


def _curve_source(path: Path, key: str | None, unit: str | None) -> Source:
    Z, file_base, label = _read_curve(path, key, unit)
    n = Z.size

    def build(base: float | None) -> dict[str, Any]:
        # convert from the file's unit to the requested one
        factor = (math.log(file_base) if file_base else 1.0) / (math.log(base) if base else 1.0)
        Zb = Z * factor
        tc = float(Zb.sum())  # Lemma 8: sum_j Z_j = TC
        dtc = float(n * Zb[-1] - tc)  # n Z_n - TC = DTC
        return {"Z": Zb, "TC": tc, "DTC": dtc, "mutual_information_sum": tc + dtc, "H": None}

    return Source(label=label, n=n, q=None, build=build, method="stored curve")


def _dense_source(dist) -> Source:
    from ..information import information_summary

    def build(base: float | None) -> dict[str, Any]:
        s = information_summary(dist, base=base)
        return {"Z": np.asarray(s["Z"], dtype=np.float64), "TC": float(s["TC"]),
                "DTC": float(s["DTC"]),
                "mutual_information_sum": float(s["mutual_information_sum"]),
                "H": float(s["H"])}

    return Source(label=dist.name or "distribution", n=dist.n, q=dist.q, build=build,
                  method="dense")


#: ``--method auto`` uses the structured exact method once the dense table has more
#: cells than this (the dense sweep is the reference; both are exact).
AUTO_STRUCTURED_CELLS = 2 ** 20


def _summary_from_curve(Z: np.ndarray, H: float | None) -> dict[str, Any]:
    tc = float(Z.sum())  # Lemma 8: sum_j Z_j = TC
    dtc = float(Z.size * Z[-1] - tc)  # Lemma 8: n Z_n - TC = DTC
    return {"Z": Z, "TC": tc, "DTC": dtc, "mutual_information_sum": tc + dtc, "H": H}


def _structured_source(args) -> Source | None:
    """An exact structured source (no ``q^n`` table) for the families that have one.

    * ``markov``: :func:`mdmtheory.structured.markov_information_summary` (gap sums);
    * ``mixture`` (exchangeable):
      :func:`mdmtheory.structured.exchangeable_mixture_information_curve`;
    * ``rs``, ``repetition``, ``parity``: the closed form of an MDS code
      (``Z_j = 0`` for ``j <= d``, ``log q`` after; repetition is the
      ``[n, 1]`` and parity the ``[n, n-1]`` MDS code), ``H(X) = d log q``.

    Returns ``None`` where no structured method applies.
    """
    fam = args.family
    if fam not in ("markov", "mixture", "rs", "repetition", "parity"):
        return None
    try:
        st = importlib.import_module("mdmtheory.structured")
    except ImportError:  # not installed (or broken): fall back to the dense table
        return None
    if fam == "markov":
        q, flip, n = args.q, args.flip, args.n
        T = np.full((q, q), flip / (q - 1))
        np.fill_diagonal(T, 1.0 - flip)
        label = f"markov(flip={flip:g})" if q == 2 else f"markov(q={q}, flip={flip:g})"

        def build(base: float | None) -> dict[str, Any]:
            s = st.markov_information_summary(n, T, np.full(q, 1.0 / q), base=base)
            return {"Z": np.asarray(s["Z"], dtype=np.float64), "TC": float(s["TC"]),
                    "DTC": float(s["DTC"]),
                    "mutual_information_sum": float(s["mutual_information_sum"]),
                    "H": float(s["H"])}

        return Source(label=label, n=n, q=q, build=build, method="structured (Markov gap sums)")
    if fam == "mixture":
        n, b, w = args.n, args.bias, args.weight
        comps = np.array([[1 - b, b], [b, 1 - b]])

        def build_mix(base: float | None) -> dict[str, Any]:
            Z = st.exchangeable_mixture_information_curve([w, 1 - w], comps, n, base=base)
            e = st.mixtures.exchangeable_mixture_entropy_profile([w, 1 - w], comps, n, base=base)
            return _summary_from_curve(np.asarray(Z, dtype=np.float64), float(e[-1]))

        return Source(label=f"mixture(bias={b:g}, weight={w:g})", n=n, q=2, build=build_mix,
                      method="structured (exchangeable mixture)")
    if fam == "rs":
        n, d, q = args.n, args.d, args.p
        st.reed_solomon_information_curve(n, d, q)  # validates p prime, d <= n <= p
        label = f"RS[{n},{d}]_{q}"
    elif fam == "repetition":
        n, d, q, label = args.n, 1, args.q, "repetition"
    else:
        n, d, q, label = args.n, max(args.n - 1, 0), args.q, "parity"

    def build_code(base: float | None) -> dict[str, Any]:
        Z = np.asarray(st.mds_information_curve(n, d, q, base=base), dtype=np.float64)
        H = d * math.log(q) / (math.log(base) if base else 1.0)
        return _summary_from_curve(Z, H)

    return Source(label=label, n=n, q=q, build=build_code, method="closed form (MDS code)")


def _dense_cells_exceed(args, limit: int) -> bool:
    """Whether the dense table ``q**n`` has more than ``limit`` cells (no huge integers)."""
    q = getattr(args, "q", None) or getattr(args, "p", None) or 2
    if int(q) <= 1:
        return False
    return int(args.n) * math.log(int(q)) > math.log(limit)


def _refuse_huge_table(args) -> None:
    """Refuse a dense ``q**n`` table over the memory budget, in logarithms (no huge integers)."""
    from .._validation import format_bytes, get_max_table_bytes

    q = getattr(args, "q", None) or getattr(args, "p", None) or 2
    if int(q) <= 1:
        return
    log_bytes = int(args.n) * math.log(int(q)) + math.log(8)
    budget = get_max_table_bytes()
    if log_bytes > math.log(budget):
        need = (format_bytes(math.exp(log_bytes)) if log_bytes < 700
                else f"about 10^{log_bytes / math.log(10):.3g} bytes")
        raise CLIError(f"{args.family}: the dense table of q^n = {q}^{args.n} cells needs {need}, "
                       f"over the memory budget of {format_bytes(budget)} "
                       "(MDMTHEORY_MAX_BYTES); use a smaller --n"
                       + (" or --method structured" if args.family in
                          ("markov", "mixture", "rs", "repetition", "parity") else ""))


def _make_source(args) -> Source:
    if args.family == "table":
        return _table_source(Path(args.path), args.key, args.n)
    if args.family == "zcurve":
        return _curve_source(Path(args.path), args.key, args.unit)
    fam = FAMILIES[args.family]
    method = getattr(args, "method", "auto")
    try:
        if method == "structured" or (method == "auto"
                                      and _dense_cells_exceed(args, AUTO_STRUCTURED_CELLS)):
            src = _structured_source(args)
            if src is not None:
                return src
            if method == "structured":
                raise CLIError(f"no structured exact method for '{args.family}'; "
                               "use --method dense")
        _refuse_huge_table(args)
        dist = fam.make(args)
    except (ValueError, MemoryError) as exc:
        raise CLIError(f"{args.family}: {exc}") from None
    return _dense_source(dist)


def _add_source_parsers(sub_parent: argparse.ArgumentParser, common: argparse.ArgumentParser,
                        what: str, example_suffix: str = "") -> None:
    """Add one sub-subcommand per family, plus ``table`` and ``zcurve``."""
    subs = sub_parent.add_subparsers(dest="family", metavar="SOURCE", required=True,
                                     parser_class=_Parser)
    for fam in FAMILIES.values():
        p = subs.add_parser(fam.name, aliases=list(fam.aliases), parents=[common],
                            help=fam.help, description=f"{what} of the {fam.help}.",
                            epilog=f"example: {PROG} {sub_parent.prog.split()[-1]} {fam.example}"
                                   f"{example_suffix}")
        fam.add(p)
        p.add_argument("--method", choices=("auto", "dense", "structured"), default="auto",
                       help="exact method: the dense table, or a structured formula for long "
                            "sequences where one exists (default auto)")
        p.set_defaults(family=fam.name)
    p = subs.add_parser("table", parents=[common], help="joint probability table in .npy/.npz",
                        description=f"{what} of a joint probability table of shape (q,)*n stored "
                                    "in a .npy or .npz file (a bare file name also works: "
                                    f"'{PROG} {sub_parent.prog.split()[-1]} table.npy').")
    p.add_argument("path", help=".npy or .npz file")
    p.add_argument("--key", default=None, help="array name inside a .npz file")
    p.add_argument("--n", type=_positive_int, default=None,
                   help="number of positions of a flat (1-D) table of length q^n, reshaped to "
                        "(q,)*n; required for a 1-D array (--n 1: one position over all its "
                        "entries); optional and checked for a table of shape (q,)*n")
    p.set_defaults(family="table")
    p = subs.add_parser("zcurve", parents=[common],
                        help="a stored information curve Z (.json from 'curve --json', .npy, "
                             ".npz, .txt, .csv)",
                        description=f"{what} of a stored information curve Z_1..Z_n "
                                    "(.json as written by 'mdmtheory curve --json', or .npy/.npz/"
                                    ".txt/.csv numbers).  TC and DTC follow from Z by the area "
                                    "identities sum_j Z_j = TC and n Z_n - TC = DTC (Lemma 8).")
    p.add_argument("path", help="curve file")
    p.add_argument("--key", default=None, help="array name inside a .npz file")
    p.add_argument("--unit", type=_unit_name, default=None, metavar="{nats,bits,base-B}",
                   help="unit of the stored numbers (default: the JSON's 'unit', else nats)")
    p.set_defaults(family="zcurve")

