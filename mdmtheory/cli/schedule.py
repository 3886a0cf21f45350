"""``mdmtheory schedule``: the optimal schedule (Thm 4) and the error of named schedules."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any, Sequence

import numpy as np

from ._common import (
    PROG,
    NAMED_RULES,
    DEFAULT_RULES,
    CLIError,
    _Parser,
    _positive_int,
    _nonneg_float,
    _lambda,
    _int_list,
    _rule_list,
    _unit,
    _fmt,
    format_table,
    _abbrev_sizes,
    _emit_json,
)
from .sources import (
    Source,
    _make_source,
    _add_source_parsers,
)


# --------------------------------------------------------------------------- schedule
def _sched_mod():
    from .. import schedule

    return schedule


def _rules_mod():
    """:mod:`mdmtheory.schedule_rules`, imported on first use (keeps ``--help`` fast)."""
    return importlib.import_module("mdmtheory.schedule_rules")


def _optimal_mod():
    """:mod:`mdmtheory.optimal`, imported on first use."""
    return importlib.import_module("mdmtheory.optimal")


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
    for num, sizes in enumerate(args.sizes or [], start=1):
        if sum(sizes) != n or min(sizes) < 1:
            raise CLIError(f"--sizes {','.join(map(str, sizes))}: sizes must be positive and "
                           f"sum to n={n} (they sum to {sum(sizes)})")
        extra.append({"rule": f"custom-{num}", "lambda": None, "note": "", "k": len(sizes),
                      "error": _eval(Z, sizes), "sizes": list(sizes)})
    if args.frontier:
        errors, scheds = _frontier(Z)
        out["frontier"] = [{"k": k + 1, "error": float(errors[k]), "sizes": scheds[k]}
                           for k in range(n)]
        if args.json:
            _emit_json(out)
            return 0
        _print_header(src, res, unit)
        print(f"optimal error OPT_k for every k = 1..{n} (the DP of Thm 4):")
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
    opt_row = {"rule": "optimal", "lambda": None, "note": "DP (Thm 4)", "k": len(sizes),
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
        print(f"target: k = {k} steps; exact expected KL E_S KL(mu || nu^S) by Thm 4 "
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



def add_parser(sub, common) -> None:
    """Add the ``schedule`` subcommand to the subparsers ``sub``."""
    p = sub.add_parser("schedule", help="optimal schedule and the error of named schedules",
                       description="The optimal k-step schedule (the DP of Thm 4) or the smallest "
                                   "k with error <= EPS, and the exact expected KL (Thm 4) of "
                                   "named schedules.",
                       epilog=f"examples: {PROG} schedule markov --n 10 --flip 0.1 --k 3 | "
                              f"{PROG} schedule rs --n 6 --d 3 --p 7 --eps 0.01 --base bits")
    common_sched = _Parser(add_help=False, parents=[common])
    g = common_sched.add_mutually_exclusive_group(required=True)
    g.add_argument("-k", "--k", type=_positive_int, help="number of steps")
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
                              help="also evaluate this schedule, e.g. 2,3,5 (repeatable; shown "
                                   "as custom-1, custom-2, ...)")
    _add_source_parsers(p, common_sched, "Schedules", example_suffix=" --k 3")
    p.set_defaults(func=cmd_schedule)
