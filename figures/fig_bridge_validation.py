"""Figure: information curves of real masked models, and Thm 4 vs the measured loss.

Top row: the estimated information curve ``Z_j`` of each model (Def 3,
estimated from the model's own n-step sampler passes), entropy form ``Z^H`` and
cross-entropy form ``Z^CE``, with pointwise 95 % confidence bands; for the exact
oracle the true curve is drawn too.  Bottom row: for uniform, cosine and
optimal schedules, the **measured** loss of Def 1 (the k-step sampler
scored against the n-step sampler with the same order,
:mod:`mdmtheory.bridge.measured`) against Thm 4's prediction on ``Z^H``
(filled) and on ``Z^CE`` (open), with 95 % intervals both ways.  Points on the
diagonal agree: they do for the exact oracle; the KJV model loses about 1.4x,
AntiBERTy 3-5x what Thm 4 predicts (their conditionals are not one joint law).

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
SECTIONS = (("measured_oracle", "exact oracle (Markov chain, n = 8)"),
            ("measured_antiberty", "AntiBERTy (own sampler, n = 32)"),
            ("measured_kjv", "KJV masked diffusion LM (own sampler, n = 64)"))
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


def _curve_panel(ax, sec: dict) -> None:
    c = _as_curve(sec)
    n = c["n"]
    j = np.arange(1, n + 1)
    for form, color, label in (("entropy", "#0072B2", "$Z^H$ (entropy form)"),
                               ("cross_entropy", "#D55E00", "$Z^{CE}$ (cross-entropy form)")):
        f = c[form]
        ax.fill_between(j, f["Z_lo"], f["Z_hi"], color=color, alpha=0.25, linewidth=0)
        ax.plot(j, f["Z"], color=color, linewidth=1.3, label=label)
    if "exact_Z" in sec:
        ax.plot(j, sec["exact_Z"], "k--", linewidth=1.0, label="exact $Z$")
    ax.set_xlabel("$j$ (revealed + 1)")
    ax.set_ylabel("$Z_j$ (nats)")
    ax.legend(fontsize=7, loc="lower right")
    hw = max(c["entropy"]["max_halfwidth"], 0.0)
    ax.text(0.02, 0.97, f"{c['rows']} sequences, {c['passes']:,} passes\n"
            f"max CI half-width {hw:.3f} nats (entropy form)", transform=ax.transAxes,
            fontsize=7, va="top")


def _validation_panel(ax, sec: dict) -> None:
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
                        ecolor=color, elinewidth=0.7, capsize=1.5, markersize=4.5, label=lbl)
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
    ax.set_xlabel("Thm 4 prediction (nats): filled on $Z^H$, open on $Z^{CE}$")
    ax.set_ylabel("measured loss, Def 1 (nats)")
    ax.legend(fontsize=6.5, loc="upper left", ncol=1, title="k = " + ", ".join(
        sorted({r["name"].split("k=")[1] for r in sec["table"]}, key=int)),
        title_fontsize=6.5)


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
        fig, axes = new_figure(2, len(secs), width=4.2 * len(secs), height=7.2, squeeze=False)
        for col, (key, title) in enumerate(secs):
            _curve_panel(axes[0, col], data[key])
            axes[0, col].set_title(title, fontsize=9)
            _validation_panel(axes[1, col], data[key])
        fig.suptitle("Information curves of real masked models and Thm 4 vs the measured "
                     "loss (Def 1, same-order likelihood ratio)", fontsize=10)
        return save_figure(fig, "fig_bridge_validation", outdir)


if __name__ == "__main__":
    main()
