"""Rows, violation trackers and the registry behind ``python -m proofs_check``."""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

#: Absolute tolerance of every *numeric* comparison.  The quantities compared
#: are entropies of tables with at most 4096 cells (values <= 6 log 4 < 9 nats),
#: obtained by sums of at most a few thousand float64 terms: their rounding error
#: is below 1e-12, so 1e-9 leaves three orders of magnitude of headroom while a
#: genuine violation (the smallest nonzero gap in the families used is ~1e-3)
#: stays far above it.  Symbolic checks are exact (tolerance 0).
TOL: float = 1e-9

VERIFIED, REFUTED, ERROR = "verified", "refuted", "error"

DEFAULT_CE_DIR = Path(__file__).with_name("counterexamples")


@dataclass
class Config:
    """Run options shared by every check."""

    quick: bool = False
    seed: int = 0
    mutate: frozenset[int] = frozenset()
    ce_dir: Path = DEFAULT_CE_DIR

    def mut(self, item: int) -> bool:
        """Whether to check a deliberately *false* variant of ``item`` (checker self-test)."""
        return item in self.mutate

    def rng(self, item: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, item])


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        v = float(x)
        return v if math.isfinite(v) else str(v)
    if isinstance(x, (int, str, bool)) or x is None:
        return x
    return str(x)


class Tracker:
    """Accumulates cases and the worst violation of one statement.

    ``eq(lhs, rhs)`` records ``|lhs - rhs|``; ``le(lhs, rhs)`` records
    ``max(lhs - rhs, 0)``; ``fact(ok)`` records a yes/no fact (violation 1 if
    false); ``symbolic(residual)`` records an exact identity (violation 0 iff
    the residual expands to 0).  The context of the worst case is kept as the
    counterexample.
    """

    def __init__(self, tol: float = TOL):
        self.tol = tol
        self.cases = 0
        self.worst = 0.0
        self.worst_ctx: dict | None = None
        self.first_bad: dict | None = None
        self.parts: list[str] = []

    def _record(self, viol: float, ctx: dict | None) -> None:
        self.cases += 1
        if not math.isfinite(viol):
            viol = math.inf
        if viol > self.worst:
            self.worst = viol
            self.worst_ctx = ctx
        if viol > self.tol and self.first_bad is None:
            self.first_bad = ctx

    def eq(self, lhs: float, rhs: float, ctx: Callable[[], dict] | dict | None = None) -> None:
        v = abs(float(lhs) - float(rhs))
        self._record(v, _ctx(ctx, v > self.tol, lhs=lhs, rhs=rhs))

    def le(self, lhs: float, rhs: float, ctx: Callable[[], dict] | dict | None = None) -> None:
        v = max(float(lhs) - float(rhs), 0.0)
        self._record(v, _ctx(ctx, v > self.tol, lhs=lhs, rhs=rhs))

    def fact(self, ok: bool, ctx: Callable[[], dict] | dict | None = None) -> None:
        self._record(0.0 if ok else 1.0, _ctx(ctx, not ok))

    def symbolic(self, resid, ctx: Callable[[], dict] | dict | None = None,
                 numeric_value: Callable[[], float] | None = None) -> None:
        """An exact identity; a nonzero residual is a violation (size: its numeric value)."""
        import sympy as sp

        r = sp.expand(resid)
        if r != 0:  # rational functions of symbolic n: bring to one fraction
            r = sp.cancel(sp.together(r))
        if r == 0:
            self._record(0.0, None)
            return
        if numeric_value is not None:
            v = abs(float(numeric_value()))
        else:  # size of the residual at a random point (symbols uniform in (1, 2))
            rng = np.random.default_rng(len(str(r)))
            point = {x: float(rng.uniform(1, 2)) for x in sorted(r.free_symbols, key=str)}
            v = abs(float(r.subs(point)))
        self._record(max(v, 2 * self.tol), _ctx(ctx, True, residual=str(r)))

    def add_method(self, text: str) -> None:
        if text not in self.parts:
            self.parts.append(text)

    @property
    def ok(self) -> bool:
        return self.worst <= self.tol and self.first_bad is None


def _ctx(ctx, bad: bool, **extra) -> dict | None:
    if not bad:
        return None  # only build (possibly costly) contexts for violations
    base = ctx() if callable(ctx) else (ctx or {})
    out = dict(base)
    out.update({k: _jsonable(v) for k, v in extra.items()})
    return out


@dataclass
class Row:
    """One line of the ingredient report (one ingredient check)."""

    item: int
    statement: str
    method: str
    cases: int
    worst: float
    tol: float
    verdict: str
    seconds: float = 0.0
    note: str = ""
    counterexample: str | None = None
    tests: tuple[str, ...] = ()
    doc: str = ""
    mutated: bool = False

    def to_json(self) -> dict:
        d = asdict(self)
        d["worst"] = _jsonable(self.worst)
        return d


@dataclass
class Check:
    item: int
    statement: str
    func: Callable[[Config, Tracker], str | None]
    tests: tuple[str, ...] = field(default_factory=tuple)
    mutation: str = ""

    @property
    def doc(self) -> str:
        return f"docs/theory.md#item-{self.item}"


REGISTRY: dict[int, Check] = {}


def check(item: int, statement: str, *, tests: tuple[str, ...] = (), mutation: str = ""):
    """Register ingredient check number ``item``.

    ``mutation`` describes the deliberately false variant checked under
    ``--mutate`` (to show that the row can fail).
    """

    def deco(func):
        REGISTRY[item] = Check(item, statement, func, tests, mutation)
        return func

    return deco


def save_counterexample(cfg: Config, item: int, statement: str, ctx: dict | None,
                        mutated: bool) -> str:
    """Write the counterexample of a refuted item as JSON; return its path."""
    cfg.ce_dir.mkdir(parents=True, exist_ok=True)
    tag = "mutant-" if mutated else ""
    path = cfg.ce_dir / f"{tag}item{item:02d}.json"
    payload = {"item": item, "statement": statement, "mutated": mutated,
               "counterexample": _jsonable(ctx or {})}
    path.write_text(json.dumps(payload, indent=1) + "\n")
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - different drive on Windows
        return str(path)


def run_check(chk: Check, cfg: Config) -> Row:
    tr = Tracker()
    t0 = time.perf_counter()
    note = ""
    try:
        note = chk.func(cfg, tr) or ""
        verdict = VERIFIED if tr.ok else REFUTED
    except Exception as exc:  # a crash is reported as an error row, never hidden
        verdict = ERROR
        note = f"{type(exc).__name__}: {exc}"
    dt = time.perf_counter() - t0
    mutated = cfg.mut(chk.item)
    statement = chk.statement if not mutated else f"[MUTANT] {chk.mutation}"
    row = Row(chk.item, statement, " + ".join(tr.parts) or "-", tr.cases, tr.worst, tr.tol,
              verdict, dt, note, None, chk.tests, chk.doc, mutated)
    if verdict == REFUTED:
        row.counterexample = save_counterexample(cfg, chk.item, statement,
                                                 tr.first_bad or tr.worst_ctx, mutated)
    return row
