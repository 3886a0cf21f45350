"""Figure: information curves of real masked models, and Thm 4 vs the measured loss.

Columns: an exact oracle (a binary symmetric Markov chain with flip probability
0.1, n = 8 positions, 2,000 rows), AntiBERTy (n = 32, 32 rows) and the
project's KJV masked diffusion LM (character level, n = 64, 64 rows); the rows
are the model's own n-step sampler passes.  All values are in nats.

Top row: the estimated information curve Z_j (Def 3) against j = 1..n, the
number of revealed positions plus one, in two forms: Z^H (entropy form: the
entropy of the model's predictive at a masked position, blue) and Z^CE
(cross-entropy form: -log p of the true token, orange), each with its pointwise
95 % confidence band (one Student-t interval per j, not simultaneous over j).
For the oracle the exact Z is drawn dashed.

Bottom row: for each k-step schedule (k = 2, 3, 4 on the oracle; 4, 8 on
AntiBERTy; 4, 8, 16 on the KJV model; marker = schedule family: uniform,
cosine, and the optimal schedule (DP of Thm 4) of Z^H or of Z^CE), the
**measured** loss of Def 1 (the k-step sampler scored against the n-step
sampler with the same order, :mod:`mdmtheory.bridge.measured`) on the vertical
axis against Thm 4's prediction, the area between Z and its left-Riemann step
function of the schedule, on the horizontal axis: computed on Z^H (filled
markers) and on Z^CE (open markers), with 95 % intervals both ways; log-log
axes.  On the grey diagonal prediction = measurement: the oracle's points lie
on it; the KJV model loses about 1.4x, AntiBERTy 3-5x what Thm 4 predicts
(their conditionals are not those of one joint law).

The numbers come from ``figures/fig_bridge_validation.json`` (sections
``measured_*``), written by ``benchmarks/bench_bridge_measured.py``; this script
only reads it, so it runs in seconds.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

from mdmtheory.plotting import SCHEDULE_COLORS, new_figure, save_figure, style_context

RESULTS = pathlib.Path(__file__).resolve().with_name("fig_bridge_validation.json")
SECTIONS = (("measured_oracle", "exact oracle, $n = 8$"),
            ("measured_antiberty", "AntiBERTy, $n = 32$"),
            ("measured_kjv", "KJV model, $n = 64$"))
_MARKERS = {"uniform": "s", "cosine": "^", "optimal(Z^H)": "o", "optimal(Z^CE)": "D"}
_LABELS = {"uniform": "uniform", "cosine": "cosine", "optimal(Z^H)": "optimal for $Z^H$",
           "optimal(Z^CE)": "optimal for $Z^{CE}$"}
_COLORS = {"optimal(Z^CE)": "#CC79A7"}


def _kind(name: str) -> str:
    return name.split(" k=")[0]


def _as_curve(sec: dict) -> dict:
    """The ``curve`` record of a ``measured_*`` section."""
    c = {"n": sec["n"], "rows": sec["rows"], "passes": sec["passes"]["new_total"]}
    for form in ("entropy", "cross_entropy"):
        f = dict(sec["curve_new"][form])
        f["max_halfwidth"] = float(np.max((np.asarray(f["Z_hi"]) - np.asarray(f["Z_lo"])) / 2))
        c[form] = f
    return c


def _curve_panel(ax, sec: dict, *, first: bool) -> None:
    c = _as_curve(sec)
    n = c["n"]
    j = np.arange(1, n + 1)
    for form, color, label in (("entropy", "#0072B2", "$Z^{H}_j$"),
                               ("cross_entropy", "#D55E00", "$Z^{CE}_j$")):
        f = c[form]
        ax.fill_between(j, f["Z_lo"], f["Z_hi"], color=color, alpha=0.25, linewidth=0)
        ax.plot(j, f["Z"], color=color, linewidth=1.3, label=label)
    if "exact_Z" in sec:
        ax.plot(j, sec["exact_Z"], "k--", linewidth=1.0, label="exact $Z_j$")
    ax.set_xlabel("$j$")
    if first:
        ax.set_ylabel("$Z_j$ (nats)")
    ax.legend(loc="lower right", handlelength=1.2, borderaxespad=0.3)


def _validation_panel(ax, sec: dict, *, first: bool) -> dict:
    lo_all, hi_all = [], []
    seen = set()
    for row in sec["table"]:
        kind = _kind(row["name"])
        base = kind.split("(")[0]
        color = _COLORS.get(kind, SCHEDULE_COLORS.get(base, "0.3"))
        mk = _MARKERS.get(kind, "o")
        d = row["measured"]
        for key, fill in (("pred_entropy", color), ("pred_cross_entropy", "none")):
            p = row[key]
            lbl = None
            if kind not in seen and key == "pred_entropy":
                seen.add(kind)
                lbl = _LABELS.get(kind, kind)
            ax.errorbar(p[0], d[0], xerr=[[p[0] - p[1]], [p[2] - p[0]]],
                        yerr=[[d[0] - d[1]], [d[2] - d[0]]], fmt=mk, mfc=fill, mec=color,
                        ecolor=color, elinewidth=0.7, capsize=1.5, markersize=4, label=lbl)
            lo_all += [p[1], d[1]]
            hi_all += [p[2], d[2]]
    pos = [v for v in lo_all + hi_all if v > 0]
    lo = min(pos) * 0.7 if pos else 1e-3
    hi = max(hi_all) * 1.3
    ax.plot([lo, hi], [lo, hi], color="0.5", linewidth=0.8, zorder=0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("Thm 4 prediction (nats)")
    if first:
        ax.set_ylabel("measured loss, Def 1 (nats)")
    handles, labels = ax.get_legend_handles_labels()
    return dict(zip(labels, handles))


def main(outdir: pathlib.Path | None = None) -> list[pathlib.Path]:
    """Draw the figure from the cached results; write ``fig_bridge_validation.png``/``.pdf``.

    Raises
    ------
    FileNotFoundError
        If ``fig_bridge_validation.json`` is missing or has no section.
    """
    outdir = pathlib.Path(__file__).resolve().parent if outdir is None else pathlib.Path(outdir)
    if not RESULTS.is_file():
        raise FileNotFoundError(f"{RESULTS} not found: run benchmarks/bench_bridge_measured.py")
    data = json.loads(RESULTS.read_text())
    secs = [(k, t) for k, t in SECTIONS if k in data]
    if not secs:
        raise FileNotFoundError(f"{RESULTS} has no model section")
    with style_context():
        fig, axes = new_figure(2, len(secs), size="full", height=5.0, squeeze=False)
        legend: dict = {}
        for col, (key, title) in enumerate(secs):
            _curve_panel(axes[0, col], data[key], first=col == 0)
            axes[0, col].set_title(title)
            legend |= _validation_panel(axes[1, col], data[key], first=col == 0)
        order = [v for v in _LABELS.values() if v in legend]
        fig.legend([legend[k] for k in order], order, loc="outside lower center",
                   ncol=len(order), title="schedule (filled: predicted on $Z^H$, open: on "
                   "$Z^{CE}$)", frameon=False)
        return save_figure(fig, "fig_bridge_validation", outdir)


if __name__ == "__main__":
    main()
