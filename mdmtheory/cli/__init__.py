"""The ``mdmtheory`` command line: one module per command.

Subcommands
-----------
- ``curve`` (:mod:`mdmtheory.cli.curve`): The information curve ``Z`` (Def 3),
  TC and DTC (Def 7) of a family with parameters (``mdmtheory curve markov --n
  10 --flip 0.1``), of a joint table stored in ``.npy``/``.npz`` (``mdmtheory
  curve table.npy``), or of a stored curve.
- ``schedule`` (:mod:`mdmtheory.cli.schedule`): The optimal ``k``-step schedule
  (the DP of Thm 4) or the smallest ``k`` that reaches an error target, next to
  the exact error (Thm 4) of named schedules: uniform, cosine, log-linear and
  the TC/DTC greedy rules (our sharper form of Thm 9).
- ``figures`` (:mod:`mdmtheory.cli.figures`): Reproduce every figure: run each
  ``figures/fig_*.py`` script's ``main(outdir)``, print a summary table and
  write ``SUMMARY.md``.
- ``check`` (:mod:`mdmtheory.cli.check`): Run the verification table (``python
  -m proofs_check`` from a checkout).
- ``estimate`` (:mod:`mdmtheory.cli.estimate`): Estimate ``Z`` of a real masked
  model with the torch bridge (needs the ``torch`` extra).
- ``bridge-schedule`` (:mod:`mdmtheory.cli.bridge_schedule`): The schedule
  report of an estimate stored by ``estimate --out``, without running the model
  again (needs the ``torch`` extra).

Conventions: human-readable tables on stdout by default, ``--json`` for
machines (lists of numbers on one line); entropies in nats unless ``--base``
says otherwise (``bits``, or any positive number other than 1); ``-k``/``--k``
is the number of steps everywhere.  A bad argument or a bad input file prints
one line on stderr and exits with status 2 (never a traceback); an internal
error exits with status 1 (set ``MDMTHEORY_DEBUG=1`` for the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path
from typing import Sequence

from . import bridge_schedule, check, curve, estimate, figures, schedule
from ._common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    NAMED_RULES,
    PROG,
    CLIError,
    _base,
    _one_line,
    _Parser,
    format_table,
)
from .figures import discover_figures, find_figures_dir, run_figure
from .sources import CURVE_SUFFIXES, FAMILIES, TABLE_SUFFIXES

__all__ = ["main", "build_parser", "CLIError", "FAMILIES", "NAMED_RULES", "format_table",
           "find_figures_dir", "discover_figures", "run_figure"]


def build_parser(*, with_estimate: bool = False) -> argparse.ArgumentParser:
    """The argument parser.

    ``with_estimate`` imports ``mdmtheory.bridge.cli`` to add the options of
    ``estimate`` and ``bridge-schedule`` (only done when one of these is used,
    so the rest of the CLI never imports torch).
    """
    from .._validation import as_bool

    with_estimate = as_bool(with_estimate, "with_estimate")
    from .. import __version__

    parser = _Parser(prog=PROG, description="Exact theory of inference schedules for masked "
                     "diffusion models: information curves, optimal schedules, figures.",
                     epilog=f"'{PROG} COMMAND --help' shows the options of a command.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=_Parser)

    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    common.add_argument("--base", type=_base, default=None, metavar="{nats,bits,B}",
                        help="entropy unit: nats (default), bits, or the logarithm base B > 0, "
                             "B != 1 (e.g. 10)")

    curve.add_parser(sub, common)
    schedule.add_parser(sub, common)
    figures.add_parser(sub, common)
    check.add_parser(sub, common)
    estimate.add_parser(sub, common, with_bridge=with_estimate)
    bridge_schedule.add_parser(sub, common, with_bridge=with_estimate)
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


_PARSERS: dict[bool, argparse.ArgumentParser] = {}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mdmtheory`` console script; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        args_list = _preprocess(args_list)
        with_estimate = bool(args_list) and args_list[0] in ("estimate",
                                                             bridge_schedule.COMMAND)
        if with_estimate:
            args_list = estimate.normalise_argv(args_list)
        parser = _PARSERS.get(with_estimate)
        if parser is None:  # built once per process: parsing does not change a parser
            parser = _PARSERS[with_estimate] = build_parser(with_estimate=with_estimate)
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
