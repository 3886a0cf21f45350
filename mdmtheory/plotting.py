"""Plotting: paper-size figure styles and the public plotting functions.

Public functions (all return the matplotlib ``Axes`` they drew on; pass ``ax=``
to draw into your own figure, otherwise a new figure of paper size is made):

* :func:`plot_curve` -- an information curve ``Z`` with a schedule's left-Riemann
  step approximation, in the style of the paper's Figure 1 (Chen, Cong & Li,
  COLT 2026): the curve in blue, the step function ``Z^N`` in red (open circles
  at the right ends, the last step running to ``n + 1``), and the error
  ``sum_j (Z_j - Z^N_j)`` (Thm 4) as light-blue unit rectangles;
* :func:`plot_frontier` -- the optimal error ``OPT_k`` against ``k`` (Thm 4's DP);
* :func:`plot_fronts` -- KL against the expected number of forward passes of
  unmasking policies (Jazbec et al. 2025), one series per policy family;
* :func:`plot_curve_estimate` -- an estimated curve with its pointwise intervals
  (:class:`mdmtheory.montecarlo.CurveEstimate`, or the entropy form of a
  :class:`mdmtheory.bridge.estimate.ModelCurveEstimate`).

Sizes and style: :func:`new_figure` makes a figure of the width of one column
(``size="column"``, 3.4 in) or of the full text width (``size="full"``, 7.0 in) of
a two-column paper; :data:`STYLE` sets every font to at least 8 pt at that print
size (:func:`smallest_font_pt` measures it), and the colours are the Okabe-Ito
colour-blind-safe palette (:data:`PALETTE`) with a distinct marker and line
style per series (:data:`MARKERS`, :data:`LINESTYLES`).

The figure scripts never touch ``matplotlib.pyplot``: they build a figure with
:func:`new_figure`, draw on its axes and write it with :func:`save_figure`, which
writes PNG and PDF without timestamps or software versions.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from ._validation import as_float, as_int, log_base_factor

__all__ = [
    "FAMILY_COLORS",
    "SCHEDULE_COLORS",
    "SCHEDULE_LABELS",
    "SCHEDULE_MARKERS",
    "PALETTE",
    "MARKERS",
    "LINESTYLES",
    "PAPER_WIDTHS",
    "MIN_FONT_PT",
    "STYLE",
    "color_for",
    "unit_label",
    "unit_scale",
    "style_context",
    "new_figure",
    "save_figure",
    "smallest_font_pt",
    "mark_zeros",
    "zero_strip",
    "plot_curve",
    "plot_frontier",
    "plot_fronts",
    "plot_curve_estimate",
    "FIGURE_FORMATS",
]

#: File formats written by :func:`save_figure`, in order.
FIGURE_FORMATS: tuple[str, ...] = ("png", "pdf")

#: Resolution of the PNG files (dots per inch).
PNG_DPI: int = 200

#: Figure widths in inches: one column and the full text width of a two-column
#: paper (PMLR/COLT, NeurIPS, ICML are all close to these).
PAPER_WIDTHS: dict[str, float] = {"column": 3.4, "full": 7.0}

#: The smallest font size (points, at print size) any text of a figure may have.
MIN_FONT_PT: float = 8.0

#: matplotlib rcParams applied while a figure is built and saved.  Sizes are
#: points at print size (the figures are drawn at the width they are printed at,
#: :data:`PAPER_WIDTHS`); ``svg.hashsalt`` and ``pdf.fonttype=42`` make vector
#: output reproducible and editable; ``mathtext.fontset = "cm"`` sets formulas in
#: Computer Modern, as the paper's text.
STYLE: dict[str, object] = {
    "font.size": 8.5,
    "axes.titlesize": 9,
    "axes.labelsize": 8.5,
    "legend.fontsize": 8,
    "legend.title_fontsize": 8,
    "legend.framealpha": 0.9,
    "legend.borderpad": 0.3,
    "legend.handlelength": 2.2,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "figure.titlesize": 9.5,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.7,
    "lines.linewidth": 1.3,
    "lines.markersize": 3.5,
    "mathtext.fontset": "cm",
    "pdf.fonttype": 42,
    "svg.hashsalt": "mdmtheory",
    "savefig.dpi": PNG_DPI,
    "figure.dpi": 100,
    "figure.constrained_layout.h_pad": 0.03,
    "figure.constrained_layout.w_pad": 0.03,
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


#: Okabe-Ito colour-blind-safe palette (black first), for series without a fixed colour.
PALETTE: tuple[str, ...] = ("#000000", "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7",
                            "#56B4E9", "#F0E442")

#: Markers of series drawn in :data:`PALETTE` order (distinct in grey-scale as well).
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "<", ">")

#: Line styles of series drawn in :data:`PALETTE` order.
LINESTYLES: tuple = ("-", (0, (5, 1.5)), (0, (1, 1.2)), (0, (4, 1.2, 1, 1.2)), (0, (2.5, 1)),
                     (0, (6, 1.5, 1, 1.5, 1, 1.5)), "-", (0, (5, 1.5)))

#: The colours of the paper's Figure 1: the curve, the step approximation and
#: the error rectangles.
FIGURE1_COLORS: dict[str, str] = {"curve": "#0072B2", "steps": "#D55E00", "error": "#56B4E9"}


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
    log_base_factor(base)
    if base is None or math.isclose(float(base), math.e):
        return "nats"
    if float(base) == 2.0:
        return "bits"
    return f"log{float(base):g} units"


def unit_scale(base: float | None) -> float:
    """Divisor that converts nats into the unit of ``base`` (``1`` for nats, ``ln 2`` for bits)."""
    return log_base_factor(base)


@contextlib.contextmanager
def style_context(extra: dict[str, object] | None = None) -> Iterator[None]:
    """Apply :data:`STYLE` (plus ``extra``) for the duration of a ``with`` block."""
    import matplotlib as mpl

    params = dict(STYLE)
    if extra:
        params.update(extra)
    with mpl.rc_context(params):
        yield


def new_figure(nrows: int = 1, ncols: int = 1, *, size: str | None = "full",
               width: float | None = None, height: float = 2.6, sharex: bool | str = False,
               sharey: bool | str = False, squeeze: bool = True,
               gridspec_kw: dict | None = None, **subplot_kw):
    """A constrained-layout :class:`~matplotlib.figure.Figure` and its axes, without pyplot.

    Call inside :func:`style_context` so the axes pick up :data:`STYLE`.

    Parameters
    ----------
    nrows, ncols : int
        Grid of axes.
    size : {"full", "column"} or None
        Width from :data:`PAPER_WIDTHS` (full text width or one column of a
        two-column paper); ``None`` to give ``width`` in inches yourself.
    width : float, optional
        Width in inches; overrides ``size``.
    height : float
        Height in inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : Axes or ndarray of Axes
        As :meth:`matplotlib.figure.Figure.subplots` returns them.
    """
    from matplotlib.figure import Figure

    nrows = as_int(nrows, "nrows", minimum=1)
    ncols = as_int(ncols, "ncols", minimum=1)
    height = as_float(height, "height", minimum=0.0, strict_minimum=True)
    if width is not None:
        width = as_float(width, "width", minimum=0.0, strict_minimum=True)
    if width is None:
        if not isinstance(size, str) or size not in PAPER_WIDTHS:
            raise ValueError(f"size must be one of {sorted(PAPER_WIDTHS)} or None, got {size!r}")
        width = PAPER_WIDTHS[size]
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=sharex, sharey=sharey, squeeze=squeeze,
                        subplot_kw=subplot_kw or None, gridspec_kw=gridspec_kw)
    return fig, axes


def smallest_font_pt(fig) -> float:
    """The smallest font size (points) of any visible, non-empty text of ``fig``.

    Tick labels, axis labels, titles, legends and annotations are all
    :class:`matplotlib.text.Text` objects; the figure is drawn first so that
    tick labels exist.  Sizes are at the figure's own size, which is its print
    size for figures made by :func:`new_figure`.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    if fig.canvas is None or not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    sizes = [t.get_fontsize() for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip() and t.get_figure() is not None]
    return float(min(sizes)) if sizes else math.inf


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
               label: str | None = None, offset_pt: float = 0.0, **kw) -> None:
    """On a log-scale ``ax``, show where ``y == 0`` (a log axis cannot draw an exact zero).

    Each run of consecutive zeros is drawn as one filled marker at its first
    ``x``, on the bottom edge (at ``floor``), and a thin line along the edge to
    the end of the run: "exactly 0 from here on".  ``offset_pt`` lifts the row
    by that many points, so that the zero rows of several series are stacked
    rather than drawn over each other.  Captions say so.
    """
    from matplotlib.transforms import ScaledTranslation

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    z = y <= 0
    if not z.any():
        return
    transform = ax.transData + ScaledTranslation(0, offset_pt / 72, ax.figure.dpi_scale_trans)
    idx = np.flatnonzero(z)
    runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
    for r, run in enumerate(runs):
        ax.plot([x[run[0]]], [floor], linestyle="none", marker=marker, color=color,
                markersize=kw.pop("markersize", 3.5), clip_on=False,
                label=label if r == 0 else None, zorder=4, transform=transform, **kw)
        if run.size > 1:
            ax.plot([x[run[0]], x[run[-1]]], [floor, floor], color=color, linewidth=1.5,
                    clip_on=False, solid_capstyle="butt", zorder=4, transform=transform)


def zero_strip(ax, floor: float, top: float, *, height_frac: float = 0.16) -> float:
    """Reserve a strip under ``floor`` on a log-scale ``ax`` for the rows of :func:`mark_zeros`.

    The axis is extended below ``floor`` so that the strip takes about
    ``height_frac`` of the axes; a dotted line separates it from the data and
    a label "0" marks it.  Returns the new bottom of the axis: pass it as
    ``floor`` to :func:`mark_zeros`, with ``offset_pt`` per series.
    """
    from matplotlib.transforms import blended_transform_factory

    decades = max(math.log10(top) - math.log10(floor), 1.0)
    strip = decades * height_frac / (1.0 - height_frac)
    bottom = floor / 10 ** strip
    ax.set_ylim(bottom, top)
    from matplotlib.ticker import NullLocator

    ticks = [t for t in ax.get_yticks() if floor * (1 - 1e-9) <= t <= top * (1 + 1e-9)]
    if len(ticks) > 5:  # at most about five labelled decades
        ticks = ticks[::math.ceil(len(ticks) / 5)]
    ax.set_yticks(ticks)
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_ylim(bottom, top)
    ax.axhline(floor, color="0.45", linewidth=0.6, linestyle=":", zorder=1)
    tr = blended_transform_factory(ax.transAxes, ax.transData)
    ax.text(-0.01, math.sqrt(bottom * floor), "0", transform=tr, ha="right", va="center",
            fontsize=8)
    return bottom


# --------------------------------------------------------------------------- public plots
def _styled(func):
    """Draw under :data:`STYLE` when the function makes its own figure (``ax`` not given)."""
    import functools
    import inspect

    position = list(inspect.signature(func).parameters).index("ax")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        ax = args[position] if len(args) > position else kwargs.get("ax")
        if ax is None:
            with style_context():
                return func(*args, **kwargs)
        return func(*args, **kwargs)

    return wrapper


def _new_axes(ax, size: str = "column", height: float = 2.3):
    if ax is not None:
        return ax
    with style_context():
        _, ax = new_figure(size=size, height=height)
    return ax


@_styled
def plot_curve(Z, schedule=None, ax=None, *, base: float | None = None, unit: str | None = None,
               label_nodes: bool = True, show_error: bool = True, colors: dict | None = None):
    """Draw an information curve and a schedule's left-Riemann approximation (Figure 1 style).

    The paper's Figure 1 (Chen, Cong & Li, COLT 2026): points ``Z_j`` at
    ``j = 1..n`` joined in blue; the step function ``Z^N`` of the schedule in
    red, one horizontal segment per step from its start node ``a_t`` to the
    next start node (the last one to ``n + 1``) at height ``Z_{a_t}``, with an
    open circle at each right end; and light-blue unit rectangles
    ``[j, j+1] x [Z^N_j, Z_j]``, whose total area ``sum_j (Z_j - Z^N_j)`` is the
    schedule's exact expected KL (Thm 4).

    Parameters
    ----------
    Z : array_like, shape (n,)
        The curve, ``Z[j-1] = Z_j``, in any unit (say which with ``base`` or ``unit``).
    schedule : Schedule or sequence of int, optional
        Step sizes ``s_1..s_k`` (positive, summing to ``n``); without one only the
        curve is drawn.
    ax : matplotlib Axes, optional
        Where to draw; default a new one-column figure.
    base, unit : optional
        The entropy unit for the axis label: ``base`` as everywhere in the
        package (``None`` = nats, ``2`` = bits), or the unit's name.
    label_nodes : bool
        Label the values ``Z_{a_t}`` at the start nodes and ``Z_n`` (as the paper does).
    show_error : bool
        Put the shaded area (the exact error) in the legend.
    colors : dict, optional
        Override ``"curve"``, ``"steps"``, ``"error"`` of the paper's colours.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.patches import Rectangle

    from .schedule import as_schedule, left_riemann_approximation, left_riemann_error, \
        validate_curve

    Zarr = validate_curve(Z)
    n = Zarr.size
    col = {**FIGURE1_COLORS, **(colors or {})}
    ax = _new_axes(ax)
    j = np.arange(1, n + 1)
    unit_name = unit if unit is not None else unit_label(base)
    if schedule is not None:
        sched = as_schedule(schedule, n)
        ZN = left_riemann_approximation(Zarr, sched)
        err = left_riemann_error(Zarr, sched)
        shaded = False
        for i in range(n):
            if Zarr[i] - ZN[i] > 1e-12 * max(1.0, abs(Zarr[-1])):
                ax.add_patch(Rectangle((j[i], ZN[i]), 1.0, Zarr[i] - ZN[i], facecolor=col["error"],
                                       alpha=0.45, edgecolor=col["error"], linewidth=0.4,
                                       label=None if shaded else (
                                           f"error area = {err:.3g} {unit_name}" if show_error
                                           else r"error area $\sum_j (Z_j - Z^N_j)$"),
                                       zorder=1))
                shaded = True
        starts = [int(a) for a in sched.starts] + [n + 1]
        for t in range(sched.k):
            a, b = starts[t], starts[t + 1]
            h = Zarr[a - 1]
            ax.plot([a, b], [h, h], color=col["steps"], linewidth=1.6, zorder=3,
                    label=r"$Z^N$ (step approximation)" if t == 0 else None)
            ax.plot([a], [h], "o", color=col["steps"], markersize=3.5, zorder=4)
            ax.plot([b], [h], "o", markerfacecolor="white", markeredgecolor=col["steps"],
                    markersize=4, zorder=4)
            if label_nodes and a > 1:
                ax.annotate(f"$Z_{{{a}}}$", (a, Zarr[a - 1]), xytext=(-3, 4),
                            textcoords="offset points", ha="right", va="bottom", fontsize=8,
                            color=col["curve"])
        ax.set_xticks(starts)
    ax.plot(j, Zarr, "-o", color=col["curve"], markersize=3, linewidth=1.3, zorder=2,
            label=r"$Z_j$")
    if label_nodes:
        ax.annotate(f"$Z_{{{n}}}$", (n, Zarr[-1]), xytext=(1, 5), textcoords="offset points",
                    ha="left", va="bottom", fontsize=8, color=col["curve"])
    if schedule is None:
        ax.set_xticks(j if n <= 16 else np.unique(np.linspace(1, n, 9).round().astype(int)))
    ax.set_xlim(0.5, n + 1.5)
    top = float(Zarr.max()) if Zarr.max() > 0 else 1.0
    ax.set_ylim(-0.03 * top, 1.12 * top)
    ax.set_xlabel("$j$")
    ax.set_ylabel(f"$Z_j$ ({unit_name})")
    ax.grid(False)
    return ax


@_styled
def plot_frontier(frontier, ax=None, *, label: str = r"optimal $\mathrm{OPT}_k$",
                  color: str = "#000000", marker: str = "o", base: float | None = None,
                  unit: str | None = None, logy: bool = True):
    """Draw the optimal error ``OPT_k`` against the number of steps ``k``.

    Parameters
    ----------
    frontier : Frontier or array_like
        A :class:`mdmtheory.optimal.Frontier` (``.errors``) or the errors
        ``OPT_1..OPT_K`` themselves.
    ax : matplotlib Axes, optional
        Where to draw; default a new one-column figure.
    label, color, marker : optional
        Legend label and style of the series.
    base, unit : optional
        The entropy unit for the axis label (see :func:`plot_curve`).
    logy : bool
        Log scale for the error; exact zeros are shown by :func:`mark_zeros`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    errors = np.asarray(getattr(frontier, "errors", frontier), dtype=np.float64)
    if errors.ndim != 1 or errors.size == 0 or not np.all(np.isfinite(errors)):
        raise ValueError("frontier must be a Frontier or a non-empty 1-D array of finite errors")
    ax = _new_axes(ax)
    ks = np.arange(1, errors.size + 1)
    unit_name = unit if unit is not None else unit_label(base)
    positive = errors > 0
    ax.plot(ks[positive], errors[positive], marker=marker, color=color, label=label,
            markersize=3)
    if logy:
        ax.set_yscale("log")
        if positive.any() and not positive.all():
            floor = 10 ** np.floor(np.log10(errors[positive].min() * 0.5))
            ax.set_ylim(bottom=floor)
            mark_zeros(ax, ks, errors, floor=floor, color=color, marker=marker)
    ax.set_xlabel("number of steps $k$")
    ax.set_ylabel(f"expected KL ({unit_name})")
    return ax


@_styled
def plot_fronts(points, ax=None, *, x: str = "expected_nfe", y: str = "kl", logy: bool = True,
                offsets: bool = True):
    """Draw KL-vs-cost fronts of unmasking policies, one series per policy family.

    Parameters
    ----------
    points : sequence of FrontPoint, or dict
        :class:`mdmtheory.policies.exact.FrontPoint` objects (grouped by their
        ``family``, in order of first appearance), or a dict
        ``{name: (x_values, y_values)}``.
    ax : matplotlib Axes, optional
        Where to draw; default a new one-column figure.
    x, y : str
        Attributes of the points for the axes (default: expected number of
        forward passes and KL).
    logy : bool
        Log scale for ``y``.
    offsets : bool
        Shift coinciding series by a few points horizontally (and say so in the
        legend) so that no series is hidden under another.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.transforms import ScaledTranslation

    if isinstance(points, dict):
        series = {str(k): (np.asarray(v[0], float), np.asarray(v[1], float))
                  for k, v in points.items()}
    else:
        groups: dict[str, list] = {}
        for pt in points:
            groups.setdefault(str(getattr(pt, "family")), []).append(pt)
        series = {k: (np.array([getattr(p, x) for p in v], float),
                      np.array([getattr(p, y) for p in v], float)) for k, v in groups.items()}
    if not series:
        raise ValueError("points is empty: nothing to draw")
    ax = _new_axes(ax)
    fig = ax.figure
    drawn: list[tuple[np.ndarray, np.ndarray]] = []
    for i, (name, (xs, ys)) in enumerate(series.items()):
        order = np.argsort(xs, kind="stable")
        xs, ys = xs[order], ys[order]
        dup = sum(1 for (px, py) in drawn if px.shape == xs.shape
                  and np.allclose(px, xs) and np.allclose(py, ys, rtol=1e-9, atol=1e-15))
        transform = ax.transData
        lab = name
        if offsets and dup:
            transform = ax.transData + ScaledTranslation(2.5 * dup / 72, 0, fig.dpi_scale_trans)
            lab = f"{name} (= {list(series)[0] if dup == 1 else 'above'}; shifted)"
        drawn.append((xs, ys))
        ax.plot(xs, ys, color=PALETTE[(i + 1) % len(PALETTE)], marker=MARKERS[i % len(MARKERS)],
                linestyle=LINESTYLES[i % len(LINESTYLES)], label=lab, transform=transform,
                markersize=3.5)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("expected forward passes" if x == "expected_nfe" else x)
    ax.set_ylabel(r"KL$(\mu\,\|\,\nu)$" if y == "kl" else y)
    return ax


@_styled
def plot_curve_estimate(estimate, ax=None, *, color: str = "#0072B2", label: str | None = None,
                        truth=None, base: float | None = None, unit: str | None = None):
    """Draw an estimated information curve with its pointwise confidence band.

    Parameters
    ----------
    estimate : CurveEstimate or ModelCurveEstimate
        A :class:`mdmtheory.montecarlo.CurveEstimate` (``Z``, ``Z_lo``,
        ``Z_hi``, ``level``), or a
        :class:`mdmtheory.bridge.estimate.ModelCurveEstimate` (its ``entropy``
        form is drawn).
    ax : matplotlib Axes, optional
        Where to draw; default a new one-column figure.
    truth : array_like, optional
        The exact curve, drawn as a dashed black line for comparison.
    base, unit : optional
        The entropy unit for the axis label (see :func:`plot_curve`).

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    The band is pointwise (one interval per ``j`` at the estimate's level), not
    simultaneous over ``j``; the legend says so.
    """
    est = getattr(estimate, "entropy", estimate)
    for attr in ("Z", "Z_lo", "Z_hi", "level"):
        if not hasattr(est, attr):
            raise TypeError(f"estimate must be a CurveEstimate or ModelCurveEstimate, "
                            f"got {type(estimate).__name__} (no attribute {attr!r})")
    Zh = np.asarray(est.Z, dtype=np.float64)
    j = np.arange(1, Zh.size + 1)
    ax = _new_axes(ax)
    unit_name = unit if unit is not None else unit_label(base)
    ok = np.isfinite(Zh)
    ax.fill_between(j[ok], np.asarray(est.Z_lo)[ok], np.asarray(est.Z_hi)[ok], color=color,
                    alpha=0.25, linewidth=0,
                    label=f"{100 * float(est.level):.0f}% pointwise interval")
    ax.plot(j[ok], Zh[ok], "-o", color=color, markersize=2.5,
            label=label or f"estimate ({int(getattr(est, 'n_draws', 0))} draws)")
    if truth is not None:
        T = np.asarray(truth, dtype=np.float64)
        ax.plot(np.arange(1, T.size + 1), T, color="#000000", linestyle=(0, (4, 1.5)),
                linewidth=1.0, label="exact")
    ax.set_xlabel("$j$")
    ax.set_ylabel(f"$Z_j$ ({unit_name})")
    return ax
