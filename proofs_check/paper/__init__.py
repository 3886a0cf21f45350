"""One row per numbered item of Chen–Cong–Li (COLT 2026), plus Fig. 1, App. D and the errata.

Each row has a status:

* ``verified`` -- checked by the method(s) named, no violation above tolerance;
* ``not checkable`` -- the statement quantifies over objects no program can
  enumerate (all algorithms, informal asymptotics); the row says why and checks
  its executable ingredients, which must all hold;
* ``refuted`` -- a violation; its counterexample is stored as JSON.

An *erratum* row checks that the paper's printed statement is wrong:
``confirmed`` (a counterexample or the arithmetic is stored) or ``rejected``
(the printed statement survived -- then the claimed erratum is wrong).

Values are in **bits**, as in the paper: every entropy-type number a row
computes is in bits, and the ``worst`` column (largest violation) is in bits for
entropy-valued statements (exact rational checks report 0 or 1).

Rows reuse the 21 ingredient checks of :mod:`proofs_check.items` (computed once
per run; their violations are converted from nats to bits) and add their own.
"""

from __future__ import annotations

import json
import os
import time

from .._core import REGISTRY, TOL, Config, _jsonable, run_check
from ._base import (CONFIRMED, ERROR, LN2, NOT_CHECKABLE, PAPER, REFUTED, REJECTED, VERIFIED,
                    EvidenceTracker, PaperCheck, PaperRow)
# importing the row modules registers their rows in PAPER
from . import appendix, errata_rows, lower_bounds, result1, samplers  # noqa: F401

__all__ = ["PAPER", "PaperRow", "PaperCheck", "run_paper", "expected_ok", "format_paper_table",
           "VERIFIED", "REFUTED", "NOT_CHECKABLE", "ERROR", "CONFIRMED", "REJECTED"]

# ============================================================================ runner
KEYS: tuple[str, ...] = ()


def _order() -> list[PaperCheck]:
    order = ["Def 1", "Def 2", "Def 3", "Thm 4", "Fig. 1", "Thm 5", "Thm 6", "Def 7", "Lemma 8",
             "Thm 9", "App. D", "Thm 10", "Def 11", "Ex. 1", "Ex. 2", "Def 12", "Lemma 13",
             "Def 14", "Def 15", "Thm 16", "Def 17", "Def 18", "Def 19", "Prop 20", "Lemma 21",
             "Def 22", "Def 23", "Thm 24", "Thm 25", "Def 26", "Def 27", "Lemma 28", "Lemma 29",
             "Thm 30", "Thm 31", "Rem 32", "Lemma 33", "Cor 34", "Lemma 35"]
    order += [f"E{i}" for i in range(1, 16)]
    by = {c.key: c for c in PAPER}
    missing = [k for k in order if k not in by]
    if missing:  # pragma: no cover - registry bug
        raise AssertionError(f"paper rows missing: {missing}")
    return [by[k] for k in order]


def run_paper(cfg: Config | None = None, keys=None, *, mutate: frozenset[str] = frozenset(),
              progress: bool = False) -> list[PaperRow]:
    """Run the paper table (all rows, or ``keys``); ``mutate`` names rows to run as mutants."""
    cfg = cfg or Config()
    checks = _order()
    if keys is not None:
        unknown = [k for k in keys if k not in {c.key for c in checks}]
        if unknown:
            raise ValueError(f"unknown paper row(s) {unknown}")
        checks = [c for c in checks if c.key in keys]
    cache: dict[int, object] = {}
    it = checks
    if progress:
        from tqdm import tqdm

        it = tqdm(checks, desc="paper", unit="row", leave=False)
    return [_run_one(c, cfg, cache, c.key in mutate) for c in it]


def _run_one(c: PaperCheck, cfg: Config, cache: dict, mut: bool) -> PaperRow:
    t0 = time.perf_counter()
    tr = EvidenceTracker(TOL)
    note, parts, cases, worst = "", [], 0, 0.0
    status = VERIFIED
    try:
        for item in (() if mut else c.uses):  # a mutant row checks only its own part
            if item not in cache:
                cache[item] = run_check(REGISTRY[item], Config(quick=cfg.quick, seed=cfg.seed,
                                                               ce_dir=cfg.ce_dir))
            row = cache[item]
            known = ("symbolic", "exhaustive", "randomized", "tightness")
            kinds = "+".join(dict.fromkeys(x.split(":")[0].strip()
                                           for x in row.method.split(" + ")
                                           if x.split(":")[0].strip() in known))
            parts.append(f"ingredient check {item} ({kinds}): {row.statement}")
            cases += row.cases
            worst = max(worst, row.worst / LN2)
            if row.verdict != "verified":
                status = REFUTED
                note = f"ingredient check {item} {row.verdict}"
        if c.func is not None:
            if mut:
                note = c.func(cfg, tr, mut=True) or ""
            else:
                note = c.func(cfg, tr) or note
            parts = tr.parts + parts
            cases += tr.cases
            worst = max(worst, tr.worst)
            if not tr.ok:
                status = REFUTED
    except Exception as exc:  # a crash is an error row, never hidden
        status, note = ERROR, f"{type(exc).__name__}: {exc}"
    if c.erratum:
        status = {VERIFIED: CONFIRMED, REFUTED: REJECTED}.get(status, status)
    elif status == VERIFIED and c.not_checkable:
        status = NOT_CHECKABLE
        note = c.not_checkable
    row = PaperRow(c.key, c.statement if not mut else f"[MUTANT] {c.mutation}", status,
                   "\n".join(parts) or "exact: counterexample or arithmetic", cases, worst,
                   c.functions, note, None,
                   time.perf_counter() - t0, c.erratum, mut)
    bad = (status in (REFUTED, ERROR)) or (c.erratum and status == CONFIRMED)
    if bad and status != ERROR:
        ctx = tr.first_bad or tr.worst_ctx
        if c.erratum and status == CONFIRMED:
            ctx = {"evidence": tr.evidence or [{"finding": note}]}
        row.counterexample = _save(cfg, c, ctx, status, note, mut)
    return row


def _save(cfg: Config, c: PaperCheck, ctx, status: str, note: str, mut: bool) -> str:
    cfg.ce_dir.mkdir(parents=True, exist_ok=True)
    name = ("mutant-" if mut else "") + "paper-" + c.key.replace(" ", "").replace(".", "")
    path = cfg.ce_dir / f"{name}.json"
    path.write_text(json.dumps(_jsonable({"row": c.key, "statement": c.statement,
                                          "status": status, "note": note, "mutated": mut,
                                          "counterexample": ctx or {}}), indent=1) + "\n")
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover
        return str(path)


def expected_ok(rows: list[PaperRow]) -> bool:
    """Every item verified or not checkable (with its ingredients verified); every erratum
    confirmed."""
    return all((r.status == CONFIRMED) if r.erratum else r.status in (VERIFIED, NOT_CHECKABLE)
               for r in rows)


def format_paper_table(rows: list[PaperRow], verbose: bool = False) -> str:
    head = f"{'row':<9} {'status':<14} {'worst[bits]':>11} {'cases':>7}  {'method':<40} statement"
    lines = [head, "-" * len(head)]
    for r in rows:
        words = [p.split(":")[0].strip() for p in r.method.split("\n")]
        ing = [w.split()[2] for w in words if w.startswith("ingredient check")]
        for w in words:
            if w.startswith("ingredient check") and "(" in w:
                kinds_here = w[w.index("(") + 1:w.index(")")].split("+")
                words = words + kinds_here
        kinds = [w.split(" (")[0] for w in words if not w.startswith("ingredient check")]
        kinds = ["worst-case" if k.startswith("worst case") else k for k in kinds]
        meth = "+".join(dict.fromkeys(kinds + ([f"checks {','.join(ing)}"] if ing else [])))
        w = "0" if r.worst_bits == 0 else f"{r.worst_bits:.1e}"
        lines.append(f"{r.key:<9} {r.status:<14} {w:>11} {r.cases:>7}  {meth[:40]:<40} "
                     f"{r.statement}")
        if verbose:
            for part in r.method.split("\n"):
                lines.append(f"{'':>10}- {part}")
            lines.append(f"{'':>10}computed by: {r.functions}; {r.seconds:.1f}s")
        if r.note:
            lines.append(f"{'':>10}note: {r.note}")
        if r.counterexample:
            lines.append(f"{'':>10}counterexample: {r.counterexample}")
    return "\n".join(lines)
