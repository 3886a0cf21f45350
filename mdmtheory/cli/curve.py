"""``mdmtheory curve``: the information curve Z (Def 3), TC and DTC (Def 7)."""

from __future__ import annotations


import numpy as np

from ._common import (
    PROG,
    _Parser,
    _unit,
    _fmt,
    _fixed,
    format_table,
    _emit_json,
)
from .sources import (
    _make_source,
    _add_source_parsers,
)


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



def add_parser(sub, common) -> None:
    """Add the ``curve`` subcommand to the subparsers ``sub``."""
    p = sub.add_parser("curve", help="information curve Z, TC and DTC",
                       description="Information curve Z_j (Def 3), TC and DTC (Def 7) of a "
                                   "family of distributions, a joint table or a stored curve.",
                       epilog=f"examples: {PROG} curve markov --n 10 --flip 0.1 | "
                              f"{PROG} curve rs --n 5 --d 2 --p 5 | {PROG} curve table.npy")
    common_curve = _Parser(add_help=False, parents=[common])
    common_curve.add_argument("--all", action="store_true",
                              help="print every j (default: the first 20 and last 10 for n > 40)")
    _add_source_parsers(p, common_curve, "Information curve")
    p.set_defaults(func=cmd_curve)
