"""Steps needed for the same guarantee: the paper's Thm 9 schedules vs our greedy rules.

For a target ``E KL <= eps`` (expected KL error of Def 1) valid for *every*
distribution on n positions with total correlation ``TC <= T`` (left) or dual
total correlation ``DTC <= T`` (right; Def 7), the figure plots, against ``n``
(log-log), the number of queries ``k`` of the paper's Thm 9 schedule (empty
steps counted, as the paper does), the same schedule with its empty steps
removed, the greedy rules of :mod:`mdmtheory.schedule_rules` with
``lam = eps/T`` (fewest steps among schedules satisfying the rule), and Thm 9's
bound ``2 + (1 + ln n)(1 + ceil(T/eps))``; solid lines for ``T/eps = 10``,
dashed for ``T/eps = 100``.
Both constructions carry the same guarantee (checked in exact arithmetic by
:func:`mdmtheory.paper_schedules.guarantee_holds`).
"""

from __future__ import annotations

import pathlib

import numpy as np

from mdmtheory import paper_schedules as P
from mdmtheory.plotting import SCHEDULE_COLORS, new_figure, save_figure, style_context
from mdmtheory.schedule_rules import dtc_greedy_schedule, tc_greedy_schedule

NS = np.unique(np.round(np.logspace(1, 5, 17)).astype(int))
RATIOS = (10, 100)


def table(kind: str, ratio: float, ns=NS) -> dict[str, np.ndarray]:
    """Step counts for each ``n``: paper (with/without empty steps), greedy, Thm 9 bound."""
    build = P.thm9_tc_schedule if kind == "tc" else P.thm9_dtc_schedule
    greedy = tc_greedy_schedule if kind == "tc" else dtc_greedy_schedule
    out = {k: np.zeros(len(ns)) for k in ("paper", "paper_nonempty", "greedy", "bound")}
    for i, n in enumerate(ns):
        sch = build(int(n), ratio, 1.0)
        g = greedy(int(n), 1.0 / ratio)
        assert P.guarantee_holds(sch.sizes, kind, ratio, 1.0)
        assert P.guarantee_holds(g.sizes, kind, ratio, 1.0)
        out["paper"][i] = sch.k
        out["paper_nonempty"][i] = sch.k - sch.empty_steps
        out["greedy"][i] = g.k
        out["bound"][i] = P.thm9_step_bound(int(n), ratio, 1.0)
    return out


def main(outdir: pathlib.Path | None = None) -> list[pathlib.Path]:
    """Write ``fig_paper_schedules.png``/``.pdf`` (default: figures/)."""
    outdir = pathlib.Path(__file__).resolve().parent if outdir is None else pathlib.Path(outdir)
    with style_context():
        from matplotlib.lines import Line2D

        fig, axes = new_figure(1, 2, size="full", height=3.6, sharey=True)
        for ax, kind in zip(axes, ("tc", "dtc")):
            for ratio, ls in zip(RATIOS, ("-", "--")):
                T = table(kind, ratio)
                first = ratio == RATIOS[0]
                ax.plot(NS, T["paper"], ls, color=SCHEDULE_COLORS["uniform"], marker="o",
                        markersize=3, label="paper's Thm 9 schedule" if first else None)
                ax.plot(NS, T["paper_nonempty"], ls, color=SCHEDULE_COLORS["cosine"],
                        marker="^", markersize=3,
                        label="the same, empty steps removed" if first else None)
                ax.plot(NS, T["greedy"], ls, color=SCHEDULE_COLORS["tc"], marker="s",
                        markersize=3, label=r"greedy rule, $\lambda = \varepsilon/T$"
                        if first else None)
                ax.plot(NS, T["bound"], ls, color="0.5", linewidth=1,
                        label="Thm 9 bound" if first else None)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("$n$")
            K = kind.upper()
            ax.set_title(rf"$\mathbb{{E}}\,\mathrm{{KL}} \leq \varepsilon$ whenever "
                         rf"$\mathrm{{{K}}} \leq T$")
        axes[0].set_ylabel("queries $k$")
        handles, labels = axes[0].get_legend_handles_labels()
        for ratio, ls in zip(RATIOS, ("-", "--")):
            handles.append(Line2D([], [], color="0.2", linestyle=ls))
            labels.append(rf"$T/\varepsilon = {ratio}$")
        fig.legend(handles, labels, loc="outside lower center", ncol=3, frameon=False)
        return save_figure(fig, "fig_paper_schedules", outdir)


if __name__ == "__main__":
    for p in main():
        print(p)
