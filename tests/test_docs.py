"""The documentation builds (``mkdocs build --strict``) and says what the code does.

* the site builds in strict mode (skipped when MkDocs is not installed:
  ``pip install -e ".[docs]"``);
* every ``python`` block of the tutorial runs, in order, and its assertions hold;
* the CLI reference documents every subcommand and every option of the parser;
* every page under ``docs/`` is in the navigation, and every figure the pages
  show exists.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"


def _has_mkdocs() -> bool:
    return all(importlib.util.find_spec(m) is not None
               for m in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers"))


@pytest.mark.skipif(not _has_mkdocs(), reason="mkdocs/mkdocs-material/mkdocstrings not installed")
def test_mkdocs_build_strict(tmp_path):
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d",
                        str(tmp_path / "site")], cwd=REPO, capture_output=True, text=True,
                       timeout=600, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    site = tmp_path / "site"
    assert (site / "index.html").is_file()
    assert (site / "figures" / "fig_riemann.png").is_file()  # served by docs/_hooks/figures.py
    api = (site / "api" / "schedules" / "index.html").read_text()
    assert "left_riemann_error" in api and "optimal_schedule" in api


def test_tutorial_snippets_run(monkeypatch, tmp_path):
    text = (DOCS / "tutorial.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 6
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__tutorial__"}
    exec(compile("\n".join(blocks), str(DOCS / "tutorial.md"), "exec"), namespace)
    assert "Z" in namespace and "best" in namespace


def _parser_options() -> dict[str, set[str]]:
    from mdmtheory.cli import build_parser

    out: dict[str, set[str]] = {}

    def walk(parser: argparse.ArgumentParser, name: str) -> None:
        opts = out.setdefault(name, set())
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    walk(sub, sub_name if name == "mdmtheory" else name)
            else:
                opts.update(o for o in action.option_strings if o.startswith("--"))

    walk(build_parser(), "mdmtheory")
    return out


def test_cli_reference_documents_every_command_and_option():
    text = (DOCS / "cli.md").read_text()
    opts = _parser_options()
    for command in ("curve", "schedule", "figures", "check", "estimate"):
        assert f"## `{command}`" in text, command
    missing = sorted({o for cmd, os_ in opts.items() for o in os_
                      if o not in ("--help", "--version") and f"`{o}" not in text
                      and f"{o} " not in text and f"{o}," not in text})
    assert not missing, f"options not documented in docs/cli.md: {missing}"
    from mdmtheory.cli import FAMILIES

    for fam in FAMILIES:
        assert f"| `{fam}`" in text or f"| `{fam}` (" in text, fam


def _nav_pages() -> set[str]:
    text = (REPO / "mkdocs.yml").read_text()
    nav = text[text.index("\nnav:"):]
    return set(re.findall(r"([\w/.-]+\.md)", nav))


def test_every_page_is_in_the_nav():
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")
             if "_hooks" not in p.parts}
    missing = sorted(pages - _nav_pages())
    assert not missing, f"add these pages to the nav in mkdocs.yml: {missing}"
    dangling = sorted(p for p in _nav_pages() if not (DOCS / p).is_file())
    assert not dangling, f"nav entries without a page: {dangling}"


def test_figures_shown_in_the_docs_exist():
    shown = set()
    for page in DOCS.rglob("*.md"):
        shown |= set(re.findall(r"\(figures/(fig_[\w]+\.png)\)", page.read_text()))
    assert shown, "the docs should show the figures"
    missing = sorted(f for f in shown if not (REPO / "figures" / f).is_file())
    assert not missing, f"run `mdmtheory figures`: missing {missing}"


def test_cli_examples_in_the_docs_match_the_real_output(capsys):
    """Each ```console block of docs/cli.md ('$ mdmtheory ...' + output) is reproduced exactly."""
    import shlex

    from mdmtheory.cli import main

    text = (DOCS / "cli.md").read_text()
    blocks = re.findall(r"```console\n\$ (mdmtheory [^\n]*)\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 3
    for command, expected in blocks:
        rc = main(shlex.split(command)[1:])
        out, _ = capsys.readouterr()
        assert rc == 0, command
        assert out.rstrip() == expected.rstrip(), f"docs/cli.md is out of date for: {command}"
