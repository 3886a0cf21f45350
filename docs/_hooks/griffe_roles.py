"""Griffe extension: turn Sphinx roles in docstrings into mkdocstrings cross-references.

The package's docstrings use Sphinx roles (``:func:`x```, ``:class:`~a.b.C```,
``:meth:`C.m```, ``:data:``, ``:mod:``, ``:attr:``, ``:exc:``).  MkDocs does not
understand them and would print them literally.  This extension rewrites them,
at build time and without touching the sources, into

* an optional autorefs cross-reference (a link) when the target resolves to an
  object of :mod:`mdmtheory` -- relative names are looked up the way Python
  would, through the enclosing class, the module and its imports;
* plain inline code otherwise (``numpy.ndarray``, ``matplotlib.figure.Figure``).

"Optional" means: a target that is not rendered on any page becomes plain code
instead of a broken link, so ``mkdocs build --strict`` stays clean.
"""

from __future__ import annotations

import html
import re

import griffe

ROLE_RE = re.compile(
    r":(?:py:)?(?P<role>func|class|meth|data|mod|attr|exc|obj|const|term|ref)?:"
    r"`(?P<body>[^`]+)`")
PACKAGE = "mdmtheory"


def _split_title(body: str) -> tuple[str | None, str]:
    m = re.fullmatch(r"\s*(.*?)\s*<([^<>]+)>\s*", body)
    if m:
        return m.group(1), m.group(2).strip()
    return None, body.strip()


def _lookup(scope, name: str) -> str | None:
    """Full path of dotted ``name`` seen from ``scope`` (a griffe object), else None."""
    first, _, rest = name.partition(".")
    obj = scope
    while obj is not None:
        try:
            member = obj.members.get(first)
        except Exception:  # noqa: BLE001 - aliases that cannot resolve
            member = None
        if member is not None:
            try:
                base = member.target_path if member.is_alias else member.path
            except Exception:  # noqa: BLE001
                base = member.path
            return f"{base}.{rest}" if rest else base
        obj = obj.parent
    return None


def resolve(target: str, obj) -> str | None:
    """Full dotted path of a role target seen from ``obj``, or None if not resolvable."""
    target = target.lstrip("~!").rstrip("()")
    if not target:
        return None
    if target.startswith("."):
        mod = obj if obj.is_module else obj.module
        pkg = mod.path if mod.is_package else mod.path.rpartition(".")[0]
        dots = len(target) - len(target.lstrip("."))
        for _ in range(dots - 1):
            pkg = pkg.rpartition(".")[0]
        return f"{pkg}.{target.lstrip('.')}"
    if target.split(".")[0] == PACKAGE:
        return target
    scope = obj if (obj.is_class or obj.is_module) else obj.parent
    return _lookup(scope, target)


def canonical(path: str, root) -> str:
    """Follow re-exports: ``mdmtheory.x`` -> the path where ``x`` is defined (and documented)."""
    parts = path.split(".")
    if parts[0] != root.path:
        return path
    obj = root
    for part in parts[1:]:
        try:
            obj = obj.members[part]
            if obj.is_alias:
                obj = obj.final_target
        except Exception:  # noqa: BLE001 - unknown or unresolvable: keep the path as written
            return path
    return obj.path


def convert(text: str, obj) -> str:
    """``text`` with every Sphinx role replaced (see the module docstring)."""

    def repl(m: re.Match) -> str:
        title, target = _split_title(m.group("body"))
        shown = target.lstrip("!")
        if shown.startswith("~"):
            shown = shown[1:].rstrip("()").split(".")[-1]
        display = html.escape(title or shown)
        if m.group("role") in ("term", "ref"):
            return f"<em>{display}</em>"
        path = resolve(target, obj)
        if path and path.split(".")[0] == PACKAGE:
            path = canonical(path, obj.package)
        if path and path.split(".")[0] == PACKAGE:
            return (f'<autoref identifier="{html.escape(path)}" optional>'
                    f"<code>{display}</code></autoref>")
        return f"<code>{display}</code>"

    return ROLE_RE.sub(repl, text)


def _walk(obj, seen: set[str]):
    if obj.path in seen:
        return
    seen.add(obj.path)
    yield obj
    for member in list(obj.members.values()):
        if member.is_alias:
            continue
        yield from _walk(member, seen)


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles in every docstring of a loaded package."""

    def on_package(self, *, pkg, **kwargs) -> None:  # noqa: D102 - griffe hook
        for obj in _walk(pkg, set()):
            if obj.docstring is not None and ":" in obj.docstring.value:
                obj.docstring.value = convert(obj.docstring.value, obj)
