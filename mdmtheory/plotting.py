"""Shared style for the figures of ``figures/fig_*.py`` (issue 6).

The figure scripts never touch :mod:`matplotlib.pyplot`: they build a
:class:`matplotlib.figure.Figure` with :func:`new_figure`, draw on its axes and
write it with :func:`save_figure`.  That keeps them free of global pyplot state
(any backend works, nothing is shown on screen) and makes the output files
byte-for-byte reproducible: the PNG and PDF carry no timestamp and no software
version (see :func:`save_figure`).

Colours are fixed per family and per schedule (:data:`FAMILY_COLORS`,
:data:`SCHEDULE_COLORS`), so the same family or schedule has the same colour in
every figure; :func:`color_for` looks a name up in both.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

__all__ = [
    "FAMILY_COLORS",
    "SCHEDULE_COLORS",
    "SCHEDULE_LABELS",
    "SCHEDULE_MARKERS",
    "STYLE",
    "color_for",
    "unit_label",
    "unit_scale",
    "style_context",
    "new_figure",
    "save_figure",
    "mark_zeros",
    "FIGURE_FORMATS",
]

#: File formats written by :func:`save_figure`, in order.
FIGURE_FORMATS: tuple[str, ...] = ("png", "pdf")

#: Resolution of the PNG files (dots per inch).
PNG_DPI: int = 150

#: matplotlib rcParams applied while a figure is built and saved.  Sizes are for
#: a figure about 7 inches wide shown at 100 %; ``svg.hashsalt`` and
#: ``pdf.fonttype=42`` make vector output reproducible and editable.
STYLE: dict[str, object] = {
    "font.size": 9.5,
    "axes.titlesize": 10,
    "axes.labelsize": 9.5,
    "legend.fontsize": 8,
    "legend.framealpha": 0.9,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.6,
    "lines.markersize": 4.5,
    "pdf.fonttype": 42,
    "svg.hashsalt": "mdmtheory",
    "savefig.dpi": PNG_DPI,
    "figure.dpi": 100,
}

# Okabe-Ito and Tol-like colour-blind-safe colours.
_BLUE, _ORANGE, _GREEN, _RED = "#0072B2", "#E69F00", "#009E73", "#D55E00"
_PURPLE, _SKY, _YELLOW, _GREY, _BLACK = "#CC79A7", "#56B4E9", "#F0E442", "#7F7F7F", "#000000"
_BROWN, _TEAL, _OLIVE = "#8C564B", "#117733", "#999933"

#: Colour of each family of distributions (keys as used in the figures and the CLI).
FAMILY_COLORS: dict[str, str] = {
    "product": _GREY,
    "uniform": _GREY,
    "markov": _BLUE,
    "mixture": _ORANGE,
    "repetition": _GREEN,
    "parity": _RED,
    "rs": _PURPLE,
    "mds": _PURPLE,
    "code": _PURPLE,
    "ising": _SKY,
    "potts": _TEAL,
    "hmm": _BROWN,
    "dirichlet": _OLIVE,
}

#: Colour of each schedule or rule (keys as in :mod:`mdmtheory.cli` ``schedule``).
SCHEDULE_COLORS: dict[str, str] = {
    "optimal": _BLACK,
    "uniform": _BLUE,
    "cosine": _ORANGE,
    "loglinear": _GREEN,
    "linear": _SKY,
    "tc": _RED,
    "dtc": _PURPLE,
    "min": _BROWN,
    "geometric": _OLIVE,
}

#: Legend label of each schedule or rule.
SCHEDULE_LABELS: dict[str, str] = {
    "optimal": "optimal (DP)",
    "uniform": "uniform",
    "cosine": "cosine",
    "loglinear": "log-linear",
    "linear": "linear",
    "tc": "TC-greedy rule",
    "dtc": "DTC-greedy rule",
    "min": "min(TC, DTC) rule",
    "geometric": "geometric",
}

#: Marker of each schedule or rule (so curves stay distinguishable in grey-scale).
SCHEDULE_MARKERS: dict[str, str] = {
    "optimal": "o",
    "uniform": "s",
    "cosine": "^",
    "loglinear": "v",
    "linear": "<",
    "tc": "D",
    "dtc": "P",
    "min": "X",
    "geometric": ">",
}


def color_for(name: str, default: str = _GREY) -> str:
    """Colour of a schedule or family ``name`` (schedules first), else ``default``.

    The lookup is on the lower-cased name up to the first ``"("``, ``"["`` or
    space, so ``"markov(flip=0.1)"`` and ``"RS[6,2]_7"`` find their family.
    """
    key = name.lower()
    for sep in ("(", "[", " "):
        key = key.split(sep, 1)[0]
    return SCHEDULE_COLORS.get(key, FAMILY_COLORS.get(key, default))


def unit_label(base: float | None) -> str:
    """Name of the entropy unit for ``base``: ``None``/``e`` -> ``"nats"``, ``2`` -> ``"bits"``."""
    if base is None or math.isclose(float(base), math.e):
        return "nats"
    if float(base) == 2.0:
        return "bits"
    return f"log{float(base):g} units"


def unit_scale(base: float | None) -> float:
    """Divisor that converts nats into the unit of ``base`` (``1`` for nats, ``ln 2`` for bits)."""
    return 1.0 if base is None else math.log(float(base))


@contextlib.contextmanager
def style_context(extra: dict[str, object] | None = None) -> Iterator[None]:
    """Apply :data:`STYLE` (plus ``extra``) for the duration of a ``with`` block."""
    import matplotlib as mpl

    params = dict(STYLE)
    if extra:
        params.update(extra)
    with mpl.rc_context(params):
        yield


def new_figure(nrows: int = 1, ncols: int = 1, *, width: float = 7.0, height: float = 3.2,
               sharex: bool | str = False, sharey: bool | str = False, squeeze: bool = True,
               **subplot_kw):
    """A constrained-layout :class:`~matplotlib.figure.Figure` and its axes, without pyplot.

    Call inside :func:`style_context` so the axes pick up :data:`STYLE`.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : Axes or ndarray of Axes
        As :meth:`matplotlib.figure.Figure.subplots` returns them.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=sharex, sharey=sharey, squeeze=squeeze,
                        subplot_kw=subplot_kw or None)
    return fig, axes


def save_figure(fig, stem: str, outdir: str | Path | None = None, *,
                formats: Sequence[str] = FIGURE_FORMATS) -> list[Path]:
    """Write ``fig`` as ``<outdir>/<stem>.png`` and ``.pdf`` reproducibly; return the paths.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to save.
    stem : str
        File name without extension (no directory part).
    outdir : str or Path, optional
        Output folder (created if needed); default the current directory.
    formats : sequence of str
        Subset of ``("png", "pdf")``.

    Returns
    -------
    list of Path
        The written files, in the order of ``formats``.

    Notes
    -----
    Determinism: the PDF is written without ``CreationDate``, ``Creator`` and
    ``Producer`` (the two latter name the matplotlib version), the PNG without
    its ``Software`` text chunk, and both under :data:`STYLE` (``svg.hashsalt``
    fixed).  Saving the same figure twice therefore gives identical bytes.
    """
    if not stem or Path(stem).name != stem:
        raise ValueError(f"stem must be a bare file name, got {stem!r}")
    out = Path(outdir) if outdir is not None else Path.cwd()
    out.mkdir(parents=True, exist_ok=True)
    metadata = {
        "png": {"Software": None},
        "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
    }
    paths: list[Path] = []
    with style_context():
        for fmt in formats:
            if fmt not in metadata:
                raise ValueError(f"unsupported figure format {fmt!r}; use one of {FIGURE_FORMATS}")
            path = out / f"{stem}.{fmt}"
            fig.savefig(path, format=fmt, metadata=metadata[fmt], dpi=PNG_DPI)
            paths.append(path)
    return paths


def mark_zeros(ax, x, y, *, floor: float, color: str, marker: str = "v",
               label: str | None = None, **kw) -> None:
    """On a log-scale ``ax``, draw the points where ``y == 0`` as markers at ``floor``.

    A log axis cannot show an exact zero error; the figures draw such points as
    hollow markers on the bottom edge (at ``floor``) and say so in the caption.
    """
    x = np.asarray(x)
    y = np.asarray(y)
    z = y <= 0
    if z.any():
        ax.plot(x[z], np.full(int(z.sum()), floor), linestyle="none", marker=marker,
                markerfacecolor="none", markeredgecolor=color, clip_on=False, label=label,
                **kw)
