"""Verified theory: one exact check per item of spec theory.md §7.

Run ``python -m proofs_check`` (options: ``--quick``, ``--seed``, ``--json``,
``--items``, ``--mutate``; see ``--help``).  Each of the 21 rows gives the
statement, the method (symbolic SymPy / exhaustive enumeration / randomized
inputs), the number of cases, the worst violation and the verdict; the exit
status is non-zero unless every row is *verified*.  A refuted statement has its
counterexample written to ``proofs_check/counterexamples/itemNN.json``.

Programmatic use::

    from proofs_check import Config, run
    rows = run(Config(quick=True))

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

__all__ = ["Config", "Row", "run", "REGISTRY", "TOL", "VERIFIED", "REFUTED", "ERROR",
           "DEFAULT_CE_DIR", "ITEMS"]

#: The spec §7 item numbers, in order.
ITEMS: tuple[int, ...] = tuple(sorted(REGISTRY))


def run(cfg: Config | None = None, items: Iterable[int] | None = None,
        progress: bool = False) -> list[Row]:
    """Run the checks of ``items`` (default all 21) and return their rows."""
    cfg = cfg or Config()
    wanted = ITEMS if items is None else tuple(items)
    unknown = [i for i in wanted if i not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown spec §7 item(s) {unknown}; valid: 1..{max(ITEMS)}")
    it = wanted
    if progress:
        from tqdm import tqdm

        it = tqdm(wanted, desc="proofs_check", unit="item", leave=False)
    return [run_check(REGISTRY[i], cfg) for i in it]
