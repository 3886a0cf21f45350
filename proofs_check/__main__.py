"""``python -m proofs_check``: one row per numbered item of the paper (bits), plus its errata.

Exit status 0 iff every item is verified (or not checkable, with its ingredients
verified) and every erratum is confirmed.  ``--items``/``--mutate`` run the 21
ingredient checks instead (the former table); ``--rows``/``--mutate-rows`` select
or mutate paper rows.
"""

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
        description="The verification table of Chen-Cong-Li: one row per numbered item of the "
                    "paper, in bits, plus the errata (Def 1 ... Lemma 35, Ex. 1-2, Fig. 1, "
                    "App. D), each checked symbolically, exhaustively, on random distributions, "
                    "or in the worst case over all curves.")
    ap.add_argument("--quick", action="store_true", help="smaller ranges (~10-20 s)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random distributions")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    ap.add_argument("-v", "--verbose", action="store_true", help="methods, tests, docs per row")
    ap.add_argument("--items", type=_int_list, default=None,
                    help="run these ingredient checks (1..21) instead of the paper table")
    ap.add_argument("--mutate", type=_int_list, default=[],
                    help="check deliberately FALSE variants of these ingredient checks "
                         "(checker self-test; each must come out refuted)")
    ap.add_argument("--rows", type=lambda t: [x.strip() for x in t.split(",") if x.strip()],
                    default=None, help="paper rows to run, e.g. 'Thm 9,Lemma 33,E6'")
    ap.add_argument("--mutate-rows", type=lambda t: [x.strip() for x in t.split(",")
                                                     if x.strip()], default=[],
                    help="paper rows to run as mutants (each must come out refuted)")
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
    if args.items is None and not args.mutate:
        return _paper_main(args, cfg)
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
                          "errata": [{"key": f.key, "where": f.where, "status": f.status,
                                      "summary": f.summary, "file": f.file} for f in errata]},
                         indent=1))
    else:
        print(format_table(rows, args.verbose))
        print(f"\n{n_ok}/{len(rows)} verified in {dt:.1f} s "
              f"({'quick' if args.quick else 'full'} mode, seed {args.seed}, "
              f"numeric tolerance {rows[0].tol if rows else 0:g})")
    return 0 if n_ok == len(rows) else 1


def _paper_main(args, cfg: Config) -> int:
    from .paper import expected_ok, format_paper_table, run_paper

    t0 = time.perf_counter()
    try:
        rows = run_paper(cfg, args.rows, mutate=frozenset(args.mutate_rows),
                         progress=not args.json)
    except ValueError as exc:
        print(f"python -m proofs_check: error: {exc}", file=sys.stderr)
        return 2
    dt = time.perf_counter() - t0
    ok = expected_ok(rows)
    if args.json:
        print(json.dumps({"rows": [r.to_json() for r in rows], "ok": ok, "seconds": dt,
                          "quick": args.quick, "seed": args.seed, "unit": "bits"}, indent=1))
    else:
        print(format_paper_table(rows, args.verbose))
        items = [r for r in rows if not r.erratum]
        errata = [r for r in rows if r.erratum]
        print(f"\n{sum(r.status == 'verified' for r in items)} verified, "
              f"{sum(r.status == 'not checkable' for r in items)} not checkable "
              f"(ingredients verified), "
              f"{sum(r.status not in ('verified', 'not checkable') for r in items)} failed "
              f"of {len(items)} items; {sum(r.status == 'confirmed' for r in errata)}/"
              f"{len(errata)} errata confirmed; {dt:.1f} s "
              f"({'quick' if args.quick else 'full'} mode, seed {args.seed}, bits)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
