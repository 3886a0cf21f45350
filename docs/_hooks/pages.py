"""MkDocs hook: the figure gallery and clean tables of contents.

* ``<!-- gallery -->`` in a page becomes a grid of every committed figure
  (``figures/fig_*.png``, in name order), each thumbnail a link to the
  full-size PNG, with the PDF linked beside it and the first paragraph of the
  figure script's docstring as caption.  A new figure joins the gallery without
  editing any page.
* Headings that hold math (``\\(Z_1 = 0\\)``) appear in the table of contents and
  the page title as plain text (``Z₁ = 0``): the navigation is not typeset.
"""

from __future__ import annotations

import ast
import html
import posixpath
import re
from pathlib import Path

GALLERY_MARK = "<!-- gallery -->"

_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ",
    "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ", "chi": "χ",
    "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ",
    "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "le": "≤", "leq": "≤", "ge": "≥",
    "geq": "≥", "ne": "≠", "neq": "≠", "to": "→", "infty": "∞", "cdot": "·", "times": "×",
    "in": "∈", "sum": "Σ", "log": "log", "ln": "ln", "approx": "≈", "ldots": "…",
    "dots": "…", "mid": "|", "|": "‖", "Vert": "‖", "lVert": "‖", "rVert": "‖",
}
_SUB = str.maketrans("0123456789+-=()aeijklmnopstx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑᵢⱼₖₗₘₙₒₚₛₜₓ")
_SUP = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")


def tex_to_text(tex: str) -> str:
    """A readable plain-text form of a short TeX formula (for navigation, not typesetting)."""
    s = re.sub(r"\\(?:mathrm|mathbf|mathit|mathcal|mathbb|operatorname|text|textrm)\{([^{}]*)\}",
               r"\1", tex)
    s = re.sub(r"\\([A-Za-z]+|\|)", lambda m: _GREEK.get(m.group(1), m.group(1)), s)
    s = re.sub(r"\\[,;:! ]", " ", s)

    s = re.sub(r"_\{([^{}]*)\}|_(\w)", lambda m: _script(m, _SUB, "_"), s)
    s = re.sub(r"\^\{([^{}]*)\}|\^(\w)", lambda m: _script(m, _SUP, "^"), s)
    s = s.replace("{", "").replace("}", "")
    return " ".join(s.split())


def _script(m: re.Match, table, mark: str) -> str:
    body = m.group(1) if m.group(1) is not None else m.group(2)
    out = body.translate(table)
    if any(ch == orig and not ch.isspace() for ch, orig in zip(out, body)):
        return f"{mark}{body}" if len(body) == 1 else f"{mark}({body})"
    return out


_MATH_RE = re.compile(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", re.S)


def clean_title(title: str) -> str:
    """``title`` with each ``\\( … \\)`` formula replaced by :func:`tex_to_text`."""
    if "\\(" not in title and "\\[" not in title:
        return title
    return _MATH_RE.sub(lambda m: tex_to_text(m.group(1) or m.group(2) or ""), title)


def _fix_toc(items) -> None:
    for item in items:
        item.title = clean_title(item.title)
        _fix_toc(item.children)


def _caption(script: Path) -> str:
    try:
        doc = ast.get_docstring(ast.parse(script.read_text()))
    except (OSError, SyntaxError, UnicodeDecodeError):
        doc = None
    if not doc:
        return script.stem
    first = " ".join(doc.strip().split("\n\n", 1)[0].split())
    return first


def gallery_html(root: Path, page_url_dir: str) -> str:
    """HTML grid of every ``figures/fig_*.png`` under ``root``, links relative to the page."""
    items = []
    for png in sorted((root / "figures").glob("fig_*.png")):
        href = posixpath.relpath(f"figures/{png.name}", page_url_dir or ".")
        pdf = png.with_suffix(".pdf")
        script = png.with_suffix(".py")
        cap = html.escape(_caption(script) if script.is_file() else png.stem)
        pdf_link = (f' (<a href="{posixpath.relpath(f"figures/{pdf.name}", page_url_dir or ".")}">'
                    "PDF</a>)" if pdf.is_file() else "")
        items.append(
            f'<figure markdown="0"><a href="{href}" title="{png.stem}: full size">'
            f'<img src="{href}" alt="{png.stem}" loading="lazy"></a>'
            f"<figcaption><code>{png.stem}</code>{pdf_link}: {cap}</figcaption></figure>")
    return '<div class="gallery" markdown="0">\n' + "\n".join(items) + "\n</div>"


def on_page_markdown(markdown, page, config, files):  # noqa: D103 - MkDocs hook API
    if GALLERY_MARK in markdown:
        root = Path(config.config_file_path).resolve().parent
        page_dir = posixpath.dirname(page.file.src_uri)
        markdown = markdown.replace(GALLERY_MARK, gallery_html(root, page_dir))
    return markdown


def on_page_content(html_text, page, config, files):  # noqa: D103 - MkDocs hook API
    _fix_toc(page.toc)
    if page.title:
        page.title = clean_title(page.title)
    return html_text
