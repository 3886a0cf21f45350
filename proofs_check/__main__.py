"""``python -m proofs_check``: print one row per spec §7 item; exit 1 unless all verified."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import DEFAULT_CE_DIR, ITEMS, REGISTRY, VERIFIED, Config, Row, run


def _int_list(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            out += list(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def _label(method: str) -> str:
    words = []
    for part in method.split(" + "):
        w = part.split(":", 1)[0].strip()
        if w and w not in words:
            words.append(w)
    return "+".join(words)


def _fmt_worst(r: Row) -> str:
    return "0" if r.worst == 0 else f"{r.worst:.1e}"


def format_table(rows: list[Row], verbose: bool = False) -> str:
    head = f"{'#':>2}  {'verdict':<9} {'worst':>8} {'cases':>7}  {'method':<30} statement"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r.item:>2}  {r.verdict:<9} {_fmt_worst(r):>8} {r.cases:>7}  "
                     f"{_label(r.method):<30} {r.statement}")
        if verbose:
            for part in r.method.split(" + "):
                lines.append(f"{'':>4}- {part}")
            lines.append(f"{'':>4}tests: {', '.join(r.tests)}; docs: {r.doc}; {r.seconds:.1f}s")
        if r.note:
            lines.append(f"{'':>4}note: {r.note}")
        if r.counterexample:
            lines.append(f"{'':>4}counterexample: {r.counterexample}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m proofs_check",
        description="Check every statement of spec theory.md §7 (symbolically with SymPy, "
                    "by exhaustive enumeration, on seeded random distributions).")
    ap.add_argument("--quick", action="store_true", help="smaller ranges (~10-20 s)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random distributions")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    ap.add_argument("-v", "--verbose", action="store_true", help="methods, tests, docs per row")
    ap.add_argument("--items", type=_int_list, default=None,
                    help="comma-separated items/ranges to run (default: all 21)")
    ap.add_argument("--mutate", type=_int_list, default=[],
                    help="check deliberately FALSE variants of these items (checker self-test; "
                         "each must come out refuted)")
    ap.add_argument("--counterexample-dir", type=Path, default=DEFAULT_CE_DIR,
                    help="where refuted items write their counterexample "
                         f"(default {DEFAULT_CE_DIR})")
    args = ap.parse_args(argv)
    if args.seed < 0:
        ap.error(f"--seed must be >= 0, got {args.seed}")
    bad = [i for i in (args.items or []) + args.mutate if i not in REGISTRY]
    if bad:
        ap.error(f"unknown item(s) {bad}; valid items are {ITEMS[0]}..{ITEMS[-1]}")
    cfg = Config(quick=args.quick, seed=args.seed, mutate=frozenset(args.mutate),
                 ce_dir=args.counterexample_dir)
    t0 = time.perf_counter()
    rows = run(cfg, args.items, progress=not args.json)
    dt = time.perf_counter() - t0
    n_ok = sum(r.verdict == VERIFIED for r in rows)
    from .errata import collect

    errata = collect()
    if args.json:
        print(json.dumps({"rows": [r.to_json() for r in rows], "verified": n_ok,
                          "total": len(rows), "seconds": dt, "quick": args.quick,
                          "seed": args.seed,
                          "errata": [{"key": f.key, "spec": f.spec, "status": f.status,
                                      "summary": f.summary, "file": f.file} for f in errata]},
                         indent=1))
    else:
        print(format_table(rows, args.verbose))
        print(f"\n{n_ok}/{len(rows)} verified in {dt:.1f} s "
              f"({'quick' if args.quick else 'full'} mode, seed {args.seed}, "
              f"numeric tolerance {rows[0].tol if rows else 0:g})")
        print("\nspec statements outside §7 (python -m proofs_check.errata):")
        for f in errata:
            print(f"  [{f.status}] {f.spec}: {f.summary} ({f.file})")
    return 0 if n_ok == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
