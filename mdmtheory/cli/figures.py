"""``mdmtheory figures``: run every ``figures/fig_*.py`` script and summarise."""

from __future__ import annotations

import importlib
import importlib.util
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any


from ._common import (
    EXIT_FAILURE,
    OPTIONAL_PACKAGES,
    CLIError,
    format_table,
    _emit_json,
)


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
    here = Path(__file__).resolve().parents[2] / "figures"
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



def add_parser(sub, common) -> None:
    """Add the ``figures`` subcommand to the subparsers ``sub``."""
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
