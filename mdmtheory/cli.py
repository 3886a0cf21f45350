"""The ``mdmtheory`` command line (issue 6).

Subcommands
-----------
``curve``
    The information curve ``Z`` (Def. 1.3), TC and DTC (Def. 1.7) of a family
    with parameters (``mdmtheory curve markov --n 10 --flip 0.1``), of a joint
    table stored in ``.npy``/``.npz`` (``mdmtheory curve table.npy``), or of a
    stored curve.
``schedule``
    The optimal ``k``-step schedule (spec §3 DP) or the smallest ``k`` that
    reaches an error target, next to the exact error (Thm 1.4) of named
    schedules: uniform, cosine, log-linear and the TC/DTC greedy rules (§5).
``figures``
    Reproduce every figure: run each ``figures/fig_*.py`` script's
    ``main(outdir)``, print a summary table and write ``SUMMARY.md``.
``check``
    Run the verified-theory checks (``python -m proofs_check``).
``estimate``
    Estimate ``Z`` of a real masked model with the torch bridge (needs the
    ``torch`` extra).

Conventions: human-readable tables on stdout by default, ``--json`` for
machines; entropies in nats unless ``--base bits``.  A bad argument or a bad
input file prints one line on stderr and exits with status 2 (never a
traceback); an internal error exits with status 1 (set ``MDMTHEORY_DEBUG=1``
for the traceback).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import os
import platform
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["main", "build_parser", "CLIError", "FAMILIES", "NAMED_RULES"]

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
    t = text.strip().lower()
    if t in ("nats", "nat", "e", "ln"):
        return None
    if t in ("bits", "bit", "2", "log2"):
        return 2.0
    raise argparse.ArgumentTypeError(f"base must be 'nats' or 'bits', got {text!r}")


def _unit(base: float | None) -> str:
    return "nats" if base is None else "bits"


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
    from . import families

    return families


def _make_product(a):
    fam = _fam()
    if a.probs is not None:
        marg = np.tile(np.asarray(a.probs, dtype=np.float64), (a.n, 1))
    else:
        rng = np.random.default_rng(a.seed)
        marg = rng.dirichlet(np.ones(a.q), size=a.n)
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
    _add_nq(p)
    p.add_argument("--probs", type=_float_list, default=None,
                   help="one marginal used at every position, e.g. 0.2,0.8 (length q)")
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


def _table_source(path: Path, key: str | None) -> Source:
    from .distribution import Distribution

    arr = _load_array(path, key, want="table")
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise CLIError(f"{str(path)!r}: expected a numeric probability table, "
                       f"got dtype {arr.dtype}")
    try:
        dist = Distribution(arr, name=path.name)
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
                if obj.get("unit") in ("bits", "nats"):
                    base = 2.0 if obj["unit"] == "bits" else None
                label = str(obj.get("name") or label)
            else:
                Z = obj
        else:
            try:
                Z = [float(t) for t in text.replace(",", " ").replace(";", " ").split()]
            except ValueError as exc:
                raise CLIError(f"{str(path)!r}: expected numbers: {exc}") from None
    if unit is not None:
        base = 2.0 if unit == "bits" else None
    try:
        Zarr = np.asarray(Z, dtype=np.float64)
    except (TypeError, ValueError):
        raise CLIError(f"{str(path)!r}: the curve must be a list of numbers") from None
    from .schedule import validate_curve

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
        tc = float(Zb.sum())  # Lemma 1.8 (derived): sum_j Z_j = TC
        dtc = float(n * Zb[-1] - tc)  # n Z_n - TC = DTC
        return {"Z": Zb, "TC": tc, "DTC": dtc, "mutual_information_sum": tc + dtc, "H": None}

    return Source(label=label, n=n, q=None, build=build, method="stored curve")


def _dense_source(dist) -> Source:
    from .information import information_summary

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
    tc = float(Z.sum())  # spec item 3: sum_j Z_j = TC
    dtc = float(Z.size * Z[-1] - tc)  # spec item 4: n Z_n - TC = DTC
    return {"Z": Z, "TC": tc, "DTC": dtc, "mutual_information_sum": tc + dtc, "H": H}


def _structured_source(args) -> Source | None:
    """An exact structured source (no ``q^n`` table) for the families that have one.

    * ``markov``: :func:`mdmtheory.structured.markov_information_summary` (gap sums);
    * ``mixture`` (exchangeable):
      :func:`mdmtheory.structured.exchangeable_mixture_information_curve`;
    * ``rs``, ``repetition``, ``parity``: the closed form of an MDS code
      (``Z_j = 0`` for ``j <= d``, ``log q`` after; spec §4; repetition is the
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


def _dense_cells(args) -> int:
    q = getattr(args, "q", None) or getattr(args, "p", None) or 2
    return int(q) ** int(args.n)


def _make_source(args) -> Source:
    if args.family == "table":
        return _table_source(Path(args.path), args.key)
    if args.family == "zcurve":
        return _curve_source(Path(args.path), args.key, args.unit)
    fam = FAMILIES[args.family]
    method = getattr(args, "method", "auto")
    try:
        if method == "structured" or (method == "auto"
                                      and _dense_cells(args) > AUTO_STRUCTURED_CELLS):
            src = _structured_source(args)
            if src is not None:
                return src
            if method == "structured":
                raise CLIError(f"no structured exact method for '{args.family}'; "
                               "use --method dense")
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
    p.set_defaults(family="table")
    p = subs.add_parser("zcurve", parents=[common],
                        help="a stored information curve Z (.json from 'curve --json', .npy, "
                             ".npz, .txt, .csv)",
                        description=f"{what} of a stored information curve Z_1..Z_n "
                                    "(.json as written by 'mdmtheory curve --json', or .npy/.npz/"
                                    ".txt/.csv numbers).  TC and DTC follow from Z by the area "
                                    "identities sum_j Z_j = TC and n Z_n - TC = DTC (spec §5).")
    p.add_argument("path", help="curve file")
    p.add_argument("--key", default=None, help="array name inside a .npz file")
    p.add_argument("--unit", choices=("nats", "bits"), default=None,
                   help="unit of the stored numbers (default: the JSON's 'unit', else nats)")
    p.set_defaults(family="zcurve")


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


def _emit_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(_to_jsonable(obj), indent=2) + "\n")


# --------------------------------------------------------------------------- curve
def cmd_curve(args) -> int:
    src = _make_source(args)
    res = src.build(args.base)
    Z = np.asarray(res["Z"], dtype=np.float64)
    unit = _unit(args.base)
    out = {"name": src.label, "source": args.family, "method": src.method, "n": src.n,
           "q": src.q, "unit": unit, "Z": Z, "TC": res["TC"], "DTC": res["DTC"],
           "mutual_information_sum": res["mutual_information_sum"], "H": res["H"]}
    if args.json:
        _emit_json(out)
        return 0
    q = f", q={src.q}" if src.q else ""
    print(f"{src.label}: n={src.n}{q}  [{src.method}; entropies in {unit}]")
    summary = [("TC  (= sum_j Z_j)", res["TC"]), ("DTC (= n Z_n - TC)", res["DTC"]),
               ("sum_i I(X_i; X_-i) = n Z_n", res["mutual_information_sum"])]
    if res["H"] is not None:
        summary.append(("H(X)", res["H"]))
    for k, v in summary:
        print(f"  {k:<28} {_fmt(v, 10)}")
    print()
    n = Z.size
    delta = np.append(np.diff(Z), np.nan)
    idx = list(range(n))
    omitted = 0
    if not args.all and n > 40:
        idx = list(range(20)) + list(range(n - 10, n))
        omitted = n - 30
    rows = []
    for pos, i in enumerate(idx):
        if omitted and pos == 20:
            rows.append(["...", "...", "..."])
        rows.append([i + 1, _fixed(Z[i]), "-" if i == n - 1 else _fixed(delta[i])])
    print(format_table(["j", f"Z_j ({unit})", "Z_{j+1} - Z_j"], rows))
    if omitted:
        print(f"({omitted} rows omitted; use --all or --json for every j)")
    return 0


# --------------------------------------------------------------------------- schedule
def _sched_mod():
    from . import schedule

    return schedule


def _rules_mod():
    try:
        return importlib.import_module("mdmtheory.schedule_rules")
    except ModuleNotFoundError as exc:
        if exc.name == "mdmtheory.schedule_rules":
            raise CLIError("named schedules need mdmtheory.schedule_rules, which is not "
                           "installed in this checkout") from None
        raise


def _optimal_mod():
    try:
        return importlib.import_module("mdmtheory.optimal")
    except ModuleNotFoundError as exc:
        if exc.name == "mdmtheory.optimal":
            raise CLIError("optimal schedules need mdmtheory.optimal, which is not installed "
                           "in this checkout") from None
        raise


def _sizes_of(sched) -> list[int]:
    if hasattr(sched, "tolist"):
        return [int(x) for x in sched.tolist()]
    return [int(x) for x in sched]


def _greedy(rule: str, n: int, lam: float):
    R = _rules_mod()
    fn = {"tc": "tc_greedy_schedule", "dtc": "dtc_greedy_schedule", "min": "min_greedy_schedule"}
    return getattr(R, fn[rule])(n, lam)


def _lambda_for_k(rule: str, n: int, k: int) -> tuple[float, Any]:
    """Smallest ``lambda`` in (0, 1] whose greedy schedule has at most ``k`` steps.

    The number of steps of the greedy rules is nonincreasing in ``lambda`` (the
    position reached after each step is nondecreasing in ``lambda``), so a
    bisection finds it; if even ``lambda = 1`` needs more than ``k`` steps, the
    ``lambda = 1`` schedule is returned (it then has more than ``k`` steps).
    """
    hi_s = _greedy(rule, n, 1.0)
    if len(_sizes_of(hi_s)) > k:
        return 1.0, hi_s
    lo, hi = 0.0, 1.0
    best = hi_s
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if mid <= 0:
            break
        s = _greedy(rule, n, mid)
        if len(_sizes_of(s)) <= k:
            hi, best = mid, s
        else:
            lo = mid
        if hi - lo < 1e-12:
            break
    return hi, best


def _rule_schedule_k(rule: str, n: int, k: int, lam: float | None):
    """Schedule of a named rule with (about) ``k`` steps; returns (schedule, lambda)."""
    R = _rules_mod()
    if rule == "uniform":
        return R.uniform_schedule(n, k), None
    if rule in ("cosine", "loglinear", "linear"):
        return R.masking_schedule(n, k, rule), None
    if lam is not None:
        return _greedy(rule, n, lam), lam
    lam_k, s = _lambda_for_k(rule, n, k)
    return s, lam_k


def _eval(Z: np.ndarray, sched) -> float:
    return float(_sched_mod().left_riemann_error(Z, sched))


def _named_rows(Z: np.ndarray, rules: Sequence[str], k: int | None, eps: float | None,
                lam: float | None, tc: float, dtc: float, k_start: int = 1
                ) -> list[dict[str, Any]]:
    """Rows for the named schedules: at ``k`` steps, or the fewest steps reaching ``eps``.

    With ``eps``, the fixed schedules are scanned upwards from ``k_start``: a valid
    start is the optimal ``k`` for ``eps``, since any ``k``-step schedule has error
    ``>= OPT_k > eps`` below it.  The scan cannot bisect: the error of a fixed
    family need not be monotone in ``k``.
    """
    n = Z.size
    rows = []
    for rule in rules:
        row: dict[str, Any] = {"rule": rule, "lambda": None, "note": ""}
        if k is not None:
            s, lam_used = _rule_schedule_k(rule, n, k, lam)
            row["lambda"] = lam_used
            if len(_sizes_of(s)) > k:
                row["note"] = f"needs > {k} steps even at lambda = 1"
        else:
            assert eps is not None
            if rule in ("tc", "dtc", "min"):
                R = _rules_mod()
                budget_name = {"tc": "TC", "dtc": "DTC", "min": "min(TC,DTC)"}[rule]
                if lam is not None:
                    lam_used = lam
                elif eps > 0:
                    lam_used = {"tc": lambda: R.tc_rule_lambda(eps, tc),
                                "dtc": lambda: R.dtc_rule_lambda(eps, dtc),
                                "min": lambda: R.min_rule_lambda(eps, tc, dtc)}[rule]()
                else:  # eps = 0: only lambda < 1/n (all steps of size 1) is certified
                    lam_used = 1.0 / (n + 1)
                s = _greedy(rule, n, lam_used)
                row["lambda"] = lam_used
                row["note"] = f"certified: error <= lambda*{budget_name}"
            else:
                s = None
                for kk in range(max(1, k_start), n + 1):
                    cand, _ = _rule_schedule_k(rule, n, kk, None)
                    if _eval(Z, cand) <= eps:
                        s = cand
                        break
                assert s is not None  # k = n is always exact
        sizes = _sizes_of(s)
        row.update(k=len(sizes), error=_eval(Z, sizes), sizes=sizes)
        rows.append(row)
    return rows


def _optimal(Z: np.ndarray, k: int):
    O = _optimal_mod()
    res = O.optimal_schedule(Z, k)
    return _sizes_of(res.schedule), float(res.error)


def _min_steps(Z: np.ndarray, eps: float) -> int:
    O = _optimal_mod()
    res = O.min_steps(Z, eps)
    if isinstance(res, (int, np.integer)):
        return int(res)
    for attr in ("k", "steps"):
        if hasattr(res, attr):
            return int(getattr(res, attr))
    return len(_sizes_of(res.schedule))


def _frontier(Z: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
    O = _optimal_mod()
    fr = O.optimal_frontier(Z)
    errors = None
    for attr in ("errors", "error", "opt"):
        if hasattr(fr, attr):
            errors = np.asarray(getattr(fr, attr), dtype=np.float64)
            break
    if errors is None:
        raise RuntimeError("optimal_frontier returned an object without errors")
    scheds = []
    for k in range(1, Z.size + 1):
        if hasattr(fr, "schedule"):
            scheds.append(_sizes_of(fr.schedule(k)))
        elif hasattr(fr, "schedules"):
            scheds.append(_sizes_of(fr.schedules[k - 1]))
        else:
            scheds.append(_optimal(Z, k)[0])
    return errors, scheds


def cmd_schedule(args) -> int:
    src = _make_source(args)
    res = src.build(args.base)
    Z = np.asarray(res["Z"], dtype=np.float64)
    n = Z.size
    unit = _unit(args.base)
    out: dict[str, Any] = {"name": src.label, "source": args.family, "method": src.method,
                           "n": n, "q": src.q, "unit": unit, "TC": res["TC"], "DTC": res["DTC"]}
    if args.k is not None and args.k > n:
        raise CLIError(f"--k {args.k} is larger than the sequence length n={n}")
    extra = []
    for sizes in args.sizes or []:
        if sum(sizes) != n or min(sizes) < 1:
            raise CLIError(f"--sizes {','.join(map(str, sizes))}: sizes must be positive and "
                           f"sum to n={n} (they sum to {sum(sizes)})")
        extra.append({"rule": "custom", "lambda": None, "note": "", "k": len(sizes),
                      "error": _eval(Z, sizes), "sizes": list(sizes)})
    if args.frontier:
        errors, scheds = _frontier(Z)
        out["frontier"] = [{"k": k + 1, "error": float(errors[k]), "sizes": scheds[k]}
                           for k in range(n)]
        if args.json:
            _emit_json(out)
            return 0
        _print_header(src, res, unit)
        print(f"optimal error OPT_k for every k = 1..{n} (Thm 1.4 + DP, spec §3):")
        rows = [[r["k"], r["error"], _abbrev_sizes(r["sizes"])] for r in out["frontier"]]
        print(format_table(["k", f"OPT_k ({unit})", "optimal sizes"], rows, "rrl"))
        return 0
    if args.k is not None:
        k = args.k
        sizes, err = _optimal(Z, k)
        out["target"] = {"k": k}
    else:
        eps = args.eps
        k = _min_steps(Z, eps)
        sizes, err = _optimal(Z, k)
        out["target"] = {"eps": eps}
    opt_row = {"rule": "optimal", "lambda": None, "note": "DP (spec §3)", "k": len(sizes),
               "error": err, "sizes": sizes}
    named = _named_rows(Z, args.rules, args.k, args.eps, args.lam, res["TC"], res["DTC"],
                        k_start=len(sizes))
    out["optimal"] = {"k": len(sizes), "error": err, "sizes": sizes}
    out["schedules"] = [opt_row] + named + extra
    if args.json:
        _emit_json(out)
        return 0
    _print_header(src, res, unit)
    if args.k is not None:
        print(f"target: k = {k} steps; exact expected KL E_S KL(mu || nu^S) by Thm 1.4 "
              f"(in {unit})")
    else:
        print(f"target: error <= {_fmt(args.eps)} {unit}; fewest steps for each fixed schedule; "
              f"greedy rules: the lambda whose bound certifies the target")
    # errors below this are float64 rounding of an exact 0 (differences of entropies)
    zero_tol = 1e-12 * max(1.0, abs(res["TC"]))
    rows = []
    for r in out["schedules"]:
        if args.k is not None:
            if err <= zero_tol:
                rel = "-" if r["error"] <= zero_tol else "inf"
            else:
                rel = f"{r['error'] / err:.3g}"
        else:
            rel = f"{r['k'] / len(sizes):.3g}"
        rows.append([r["rule"], r["k"], r["lambda"], r["error"], rel,
                     _abbrev_sizes(r["sizes"]), r["note"]])
    rel_head = "error/optimal" if args.k is not None else "k/k_optimal"
    print(format_table(["schedule", "k", "lambda", f"error ({unit})", rel_head, "sizes", "note"],
                       rows, "lrrrrll"))
    return 0


def _print_header(src: Source, res: dict[str, Any], unit: str) -> None:
    q = f", q={src.q}" if src.q else ""
    print(f"{src.label}: n={src.n}{q}  [{src.method}]  TC = {_fmt(res['TC'])} {unit}, "
          f"DTC = {_fmt(res['DTC'])} {unit}")


# --------------------------------------------------------------------------- figures
def find_figures_dir(explicit: str | None = None) -> Path:
    """Folder holding the ``fig_*.py`` scripts.

    Order: ``explicit``; ``figures/`` next to the installed package (a clone
    installed with ``pip install -e .``); ``./figures``.
    """
    if explicit is not None:
        p = Path(explicit)
        if not p.is_dir():
            raise CLIError(f"--scripts {explicit!r}: no such directory")
        return p
    here = Path(__file__).resolve().parent.parent / "figures"
    if here.is_dir() and any(here.glob("fig_*.py")):
        return here
    cwd = Path.cwd() / "figures"
    if cwd.is_dir() and any(cwd.glob("fig_*.py")):
        return cwd
    raise CLIError("no figures/fig_*.py scripts found: run from a clone of the repository "
                   "(pip install -e .) or pass --scripts DIR")


def discover_figures(folder: Path) -> list[Path]:
    """The ``fig_*.py`` scripts of ``folder``, sorted by name."""
    return sorted(p for p in folder.glob("fig_*.py") if p.is_file())


def _load_script(path: Path):
    name = f"_mdmtheory_figure_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return mod


def _describe(path: Path) -> str:
    """First paragraph of a script's module docstring (one line), without importing it."""
    import ast

    try:
        doc = ast.get_docstring(ast.parse(path.read_text()))
    except (OSError, SyntaxError, UnicodeDecodeError):
        doc = None
    if not doc:
        return ""
    first = doc.strip().split("\n\n", 1)[0]
    return " ".join(first.split()).rstrip(".")


def _missing_optional(exc: BaseException) -> str | None:
    e: BaseException | None = exc
    while e is not None:
        if isinstance(e, ModuleNotFoundError) and e.name:
            top = e.name.split(".")[0]
            if top in OPTIONAL_PACKAGES:
                return top
        e = e.__cause__ or e.__context__
    return None


def run_figure(path: Path, outdir: Path) -> dict[str, Any]:
    """Run one script's ``main(outdir)``; return a summary row (never raises)."""
    import matplotlib as mpl

    row: dict[str, Any] = {"script": path.name, "figure": path.stem,
                           "description": _describe(path), "files": [], "seconds": 0.0,
                           "status": "ok"}
    t0 = time.perf_counter()
    try:
        with mpl.rc_context():
            mod = _load_script(path)
            if not hasattr(mod, "main"):
                raise RuntimeError(f"{path.name} defines no main(outdir)")
            files = mod.main(outdir)
        files = [Path(f) for f in (files or [])]
        row["files"] = [str(f.relative_to(outdir)) if f.is_relative_to(outdir) else str(f)
                        for f in files]
        missing = [str(f) for f in files if not f.is_file() or f.stat().st_size == 0]
        if not files:
            row["status"] = "FAILED: main() returned no files"
        elif missing:
            row["status"] = f"FAILED: missing or empty: {', '.join(missing)}"
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # a failing script must not stop the others
        pkg = _missing_optional(exc)
        if pkg is not None:
            extra = OPTIONAL_PACKAGES[pkg]
            row["status"] = f"skipped (needs {pkg}: pip install 'mdmtheory[{extra}]')"
        else:
            msg = " ".join(str(exc).split()) or type(exc).__name__
            row["status"] = f"FAILED: {type(exc).__name__}: {msg}"
            if os.environ.get("MDMTHEORY_DEBUG"):
                traceback.print_exc()
    finally:
        sys.modules.pop(f"_mdmtheory_figure_{path.stem}", None)
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
    row["seconds"] = round(time.perf_counter() - t0, 2)
    return row


def _summary_markdown(rows: list[dict[str, Any]], total: float, outdir: Path) -> str:
    lines = [
        "# Figures: summary of the last `mdmtheory figures` run",
        "",
        "Regenerate with `mdmtheory figures` (or `python figures/<script>.py` for one figure).",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU(s), Python "
        f"{platform.python_version()}; total wall time {total:.1f} s.",
        "",
        "| figure | what it shows | files | time (s) | status |",
        "|---|---|---|---:|---|",
    ]
    for r in rows:
        files = ", ".join(f"[{f}]({f})" for f in r["files"]) or "-"
        lines.append(f"| `{r['figure']}` | {r['description'] or '-'} | {files} | "
                     f"{r['seconds']:.1f} | {r['status']} |")
    return "\n".join(lines) + "\n"


def cmd_figures(args) -> int:
    folder = find_figures_dir(args.scripts)
    scripts = discover_figures(folder)
    if args.only:
        wanted = [w.lower().removesuffix(".py") for w in args.only]
        scripts = [s for s in scripts
                   if any(w in (s.stem.lower(), s.stem.lower().removeprefix("fig_"))
                          for w in wanted)]
        unknown = [w for w in wanted
                   if not any(w in (s.stem.lower(), s.stem.lower().removeprefix("fig_"))
                              for s in discover_figures(folder))]
        if unknown:
            names = ", ".join(s.stem for s in discover_figures(folder))
            raise CLIError(f"unknown figure(s): {', '.join(unknown)} (available: {names})")
    if not scripts:
        raise CLIError(f"no fig_*.py scripts in {folder}")
    if args.list:
        if args.json:
            _emit_json({"scripts": [{"figure": s.stem, "path": str(s),
                                     "description": _describe(s)} for s in scripts]})
        else:
            print(format_table(["figure", "what it shows"],
                               [[s.stem, _describe(s)] for s in scripts], "ll"))
        return 0
    outdir = Path(args.outdir) if args.outdir else folder
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CLIError(f"cannot create output folder {str(outdir)!r}: "
                       f"{exc.strerror or exc}") from None
    outdir = outdir.resolve()
    rows = []
    t0 = time.perf_counter()
    progress = not args.json and not args.quiet
    for s in scripts:
        if progress:
            print(f"[{len(rows) + 1}/{len(scripts)}] {s.stem} ...", end="", flush=True)
        row = run_figure(s, outdir)
        rows.append(row)
        if progress:
            print(f" {row['status']} ({row['seconds']:.1f} s)", flush=True)
    total = time.perf_counter() - t0
    summary_path = outdir / "SUMMARY.md"
    if not args.no_summary:
        summary_path.write_text(_summary_markdown(rows, total, outdir))
    failed = [r for r in rows if r["status"].startswith("FAILED")]
    if args.json:
        _emit_json({"outdir": str(outdir), "total_seconds": round(total, 2), "figures": rows,
                    "summary": None if args.no_summary else str(summary_path),
                    "failed": len(failed)})
    else:
        print()
        table_rows = [[r["figure"], len(r["files"]), f"{r['seconds']:.1f}", r["status"]]
                      for r in rows]
        print(format_table(["figure", "files", "time (s)", "status"], table_rows, "lrrl"))
        print(f"\n{len(rows) - len(failed)}/{len(rows)} figure scripts done in {total:.1f} s; "
              f"files in {outdir}" + ("" if args.no_summary else f"; summary: {summary_path}"))
    return EXIT_FAILURE if failed else 0


# --------------------------------------------------------------------------- check / estimate
def cmd_check(args) -> int:
    import subprocess

    try:
        found = importlib.util.find_spec("proofs_check.__main__") is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        raise CLIError("the proofs_check package is not installed (install mdmtheory from a "
                       "clone of the repository: pip install -e .)")
    cmd = [sys.executable, "-m", "proofs_check", *args.check_args]
    return subprocess.call(cmd)


def _bridge_cli():
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


def cmd_estimate(args) -> int:
    mod = args._bridge
    try:
        return int(mod.run(args) or 0)
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".")[0]
        if top in ("torch", "transformers"):
            raise CLIError(f"'{PROG} estimate' needs PyTorch ({top} is not installed): "
                           "pip install 'mdmtheory[torch]'") from None
        raise


# --------------------------------------------------------------------------- parser
def build_parser(*, with_estimate: bool = False) -> argparse.ArgumentParser:
    """The argument parser.

    ``with_estimate`` imports :mod:`mdmtheory.bridge.cli` to add the
    ``estimate`` options (only done when that subcommand is used, so the rest of
    the CLI never imports torch).
    """
    from . import __version__

    parser = _Parser(prog=PROG, description="Exact theory of inference schedules for masked "
                     "diffusion models: information curves, optimal schedules, figures.",
                     epilog=f"'{PROG} COMMAND --help' shows the options of a command.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=_Parser)

    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    common.add_argument("--base", type=_base, default=None, metavar="{nats,bits}",
                        help="entropy unit (default nats)")

    p = sub.add_parser("curve", help="information curve Z, TC and DTC",
                       description="Information curve Z_j (Def. 1.3), TC and DTC (Def. 1.7) of a "
                                   "family of distributions, a joint table or a stored curve.",
                       epilog=f"examples: {PROG} curve markov --n 10 --flip 0.1 | "
                              f"{PROG} curve rs --n 5 --d 2 --p 5 | {PROG} curve table.npy")
    common_curve = _Parser(add_help=False, parents=[common])
    common_curve.add_argument("--all", action="store_true",
                              help="print every j (default: the first 20 and last 10 for n > 40)")
    _add_source_parsers(p, common_curve, "Information curve")
    p.set_defaults(func=cmd_curve)

    p = sub.add_parser("schedule", help="optimal schedule and the error of named schedules",
                       description="The optimal k-step schedule (DP of spec §3) or the smallest k "
                                   "with error <= EPS, and the exact expected KL (Thm 1.4) of "
                                   "named schedules.",
                       epilog=f"examples: {PROG} schedule markov --n 10 --flip 0.1 --k 3 | "
                              f"{PROG} schedule rs --n 6 --d 3 --p 7 --eps 0.01 --base bits")
    common_sched = _Parser(add_help=False, parents=[common])
    g = common_sched.add_mutually_exclusive_group(required=True)
    g.add_argument("--k", type=_positive_int, help="number of steps")
    g.add_argument("--eps", type=_nonneg_float, help="error target (in the --base unit)")
    g.add_argument("--frontier", action="store_true", help="OPT_k and its schedule for every k")
    common_sched.add_argument("--rules", type=_rule_list, default=list(DEFAULT_RULES),
                              help="comma-separated named schedules to compare: "
                                   f"{', '.join(NAMED_RULES)}, all, none "
                                   f"(default {','.join(DEFAULT_RULES)})")
    common_sched.add_argument("--lam", type=_lambda, default=None,
                              help="lambda of the tc/dtc/min greedy rules (default: the smallest "
                                   "lambda with <= k steps, or eps/TC etc. with --eps)")
    common_sched.add_argument("--sizes", type=_int_list, action="append", default=None,
                              help="also evaluate this schedule, e.g. 2,3,5 (repeatable)")
    _add_source_parsers(p, common_sched, "Schedules", example_suffix=" --k 3")
    p.set_defaults(func=cmd_schedule)

    p = sub.add_parser("figures", help="reproduce every figure (figures/fig_*.py)",
                       description="Run every figures/fig_*.py script (its main(outdir)), print a "
                                   "summary table and write SUMMARY.md next to the figures.")
    p.add_argument("--outdir", default=None, help="output folder (default: the figures/ folder)")
    p.add_argument("--only", action="append", default=None, metavar="NAME",
                   help="run only this figure (e.g. riemann or fig_riemann; repeatable)")
    p.add_argument("--scripts", default=None, metavar="DIR",
                   help="folder holding the fig_*.py scripts (default: the clone's figures/)")
    p.add_argument("--list", action="store_true", help="list the figure scripts and exit")
    p.add_argument("--no-summary", action="store_true", help="do not write SUMMARY.md")
    p.add_argument("--quiet", action="store_true", help="no per-figure progress lines")
    p.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    p.set_defaults(func=cmd_figures)

    p = sub.add_parser("check", help="run the verified-theory checks (proofs_check)",
                       description="Run 'python -m proofs_check' (one row per item of spec §7); "
                                   "arguments after 'check' are passed on.",
                       prefix_chars="\0")
    p.add_argument("check_args", nargs=argparse.REMAINDER, help="arguments for proofs_check")
    p.set_defaults(func=cmd_check)

    if with_estimate:
        mod = _bridge_cli()
        p = sub.add_parser("estimate", help="estimate Z of a real masked model (torch)",
                           description=(mod.__doc__ or "").strip().splitlines()[0]
                           if mod.__doc__ else None)
        mod.add_arguments(p)
        p.set_defaults(func=cmd_estimate, _bridge=mod)
    else:
        sub.add_parser("estimate", help="estimate Z of a real masked model (needs the torch "
                       "extra)", add_help=False)
    return parser


def _preprocess(argv: list[str]) -> list[str]:
    """``mdmtheory curve FILE`` -> ``curve table FILE`` / ``curve zcurve FILE``."""
    if len(argv) >= 2 and argv[0] in ("curve", "schedule"):
        tok = argv[1]
        if tok not in FAMILIES and tok not in ("table", "zcurve") and not tok.startswith("-") \
                and not any(tok in f.aliases for f in FAMILIES.values()):
            suffix = Path(tok).suffix.lower()
            if suffix in TABLE_SUFFIXES:
                return [argv[0], "table", *argv[1:]]
            if suffix in CURVE_SUFFIXES:
                return [argv[0], "zcurve", *argv[1:]]
    return argv


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mdmtheory`` console script; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        args_list = _preprocess(args_list)
        parser = build_parser(with_estimate=bool(args_list) and args_list[0] == "estimate")
        args = parser.parse_args(args_list)
        return int(args.func(args) or 0)
    except CLIError as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0) if isinstance(exc.code, int) else 0
    except (ValueError, MemoryError, OSError) as exc:
        if isinstance(exc, BrokenPipeError):
            return 0
        msg = _one_line(str(exc)) or type(exc).__name__
        print(f"{PROG}: error: {msg}", file=sys.stderr)
        if os.environ.get("MDMTHEORY_DEBUG"):
            traceback.print_exc()
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line, unless debugging
        if os.environ.get("MDMTHEORY_DEBUG"):
            traceback.print_exc()
        print(f"{PROG}: internal error: {type(exc).__name__}: {_one_line(exc)} "
              "(set MDMTHEORY_DEBUG=1 for the traceback)", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
