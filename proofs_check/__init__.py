"""Verified theory: one row per numbered item of Chen–Cong–Li, on 21 ingredient checks.

Run ``python -m proofs_check`` (or ``mdmtheory check``; options ``--quick``,
``--seed``, ``--json``, ``--rows``, ``--mutate-rows``; see ``--help``).  It prints
one row per numbered item of the paper (Def 1 ... Lemma 35, Ex. 1-2), Fig. 1,
App. D and one per erratum (E1-E15), in bits: status (verified / not checkable /
refuted; errata: confirmed / rejected), method (symbolic, exhaustive,
randomized, worst case over all curves), cases and worst violation.  The exit
status is 0 iff every item is verified or not checkable and every erratum is
confirmed.  Counterexamples go to ``proofs_check/counterexamples/``.

``--items`` / ``--mutate`` run the 21 ingredient checks (:mod:`proofs_check.items`)
on which the paper rows build.

Programmatic use::

    from proofs_check import Config, run_paper
    rows = run_paper(Config(quick=True))

See ``docs/theory.md`` for each statement in words and its status, and
``docs/mutations.md`` for the mutation self-tests.
"""

from __future__ import annotations

from typing import Iterable

from ._core import (
    DEFAULT_CE_DIR,
    ERROR,
    REFUTED,
    REGISTRY,
    TOL,
    VERIFIED,
    Config,
    Row,
    run_check,
)
from . import items as _items  # noqa: F401  (registers the 21 checks)
from .paper import PaperRow, run_paper

__all__ = ["Config", "Row", "run", "REGISTRY", "TOL", "VERIFIED", "REFUTED", "ERROR",
           "DEFAULT_CE_DIR", "ITEMS", "run_paper", "PaperRow"]

#: The ingredient check numbers, in order.
ITEMS: tuple[int, ...] = tuple(sorted(REGISTRY))


def run(cfg: Config | None = None, items: Iterable[int] | None = None,
        progress: bool = False) -> list[Row]:
    """Run the ingredient checks ``items`` (default all 21) and return their rows."""
    cfg = cfg or Config()
    wanted = ITEMS if items is None else tuple(items)
    unknown = [i for i in wanted if i not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown ingredient check(s) {unknown}; valid: 1..{max(ITEMS)}")
    it = wanted
    if progress:
        from tqdm import tqdm

        it = tqdm(wanted, desc="proofs_check", unit="item", leave=False)
    return [run_check(REGISTRY[i], cfg) for i in it]
