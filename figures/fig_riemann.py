"""Figure 1: the information curve Z and its left-Riemann step approximation (Thm 1.4).

The curve is drawn as bars of width 1 on ``[j, j+1)`` (spec §2, Def. 1.2); a
k-step schedule replaces each block ``B_t = {a_t..b_t}`` by one rectangle of
height ``Z_{a_t}`` spanning ``[a_t, b_t + 1)`` -- the last one runs to ``n + 1``.
The shaded area between the bars and the rectangles is the exact expected KL of
the schedule, ``E_S KL(mu || nu^S) = sum_j (Z_j - Z^N_j)`` (Thm 1.4).  Left: the
uniform 4-step schedule; right: the optimal 4-step schedule (DP of spec §3), on
a binary symmetric Markov chain (n = 12, flip 0.1), in bits.
"""

from __future__ import annotations

import pathlib

import numpy as np

from mdmtheory import families, information_curve
from mdmtheory.optimal import optimal_schedule
from mdmtheory.plotting import (
    SCHEDULE_COLORS,
    new_figure,
    save_figure,
    style_context,
    unit_label,
)
from mdmtheory.schedule import Schedule, left_riemann_approximation, left_riemann_error
from mdmtheory.schedule_rules import uniform_schedule

N, FLIP, K, BASE = 12, 0.1, 4, 2
ERROR_COLOR = "#D55E00"


def _panel(ax, Z: np.ndarray, sched: Schedule, color: str, title: str, unit: str) -> float:
    n = Z.size
    j = np.arange(1, n + 1)
    ZN = left_riemann_approximation(Z, sched)
    err = left_riemann_error(Z, sched)
    # the approximation: one rectangle per step, [a_t, b_t + 1) at height Z_{a_t}
    for t, (a, b) in enumerate(zip(sched.starts, sched.ends)):
        h = Z[a - 1]
        ax.add_patch(_rect(a, 0.0, b + 1 - a, h, facecolor=color, alpha=0.22, edgecolor=color,
                           linewidth=1.4, label="step approximation $Z^N$" if t == 0 else None))
        ax.text((a + b + 1) / 2, 0.012 * Z.max(), f"$s_{{{t + 1}}}={b + 1 - a}$",
                ha="center", va="bottom", fontsize=8, color=color)
    # the error: Z_j - Z^N_j on [j, j+1)
    for i in range(n):
        if Z[i] - ZN[i] > 1e-12:
            ax.add_patch(_rect(j[i], ZN[i], 1.0, Z[i] - ZN[i], facecolor=ERROR_COLOR, alpha=0.45,
                               edgecolor="none", label="error $Z_j - Z^N_j$" if i == 1 else None))
    # the curve itself: bars of width 1 drawn as a step line, values at the left ends
    ax.stairs(Z, np.arange(1, n + 2), color="black", linewidth=1.5, label="$Z_j$ on $[j, j+1)$")
    ax.plot(j, Z, "o", color="black", markersize=3.5)
    # the extra final rectangle to n + 1
    a_k = int(sched.starts[-1])
    h_k = Z[a_k - 1]
    ax.annotate("last rectangle\nruns to $n+1$", xy=(n + 1, 0.55 * h_k),
                xytext=((a_k + n + 1) / 2 - 0.15, 0.55 * h_k), fontsize=7.5,
                arrowprops=dict(arrowstyle="->", color="0.25", lw=0.9), ha="center", va="center")
    ax.set_xlim(0.8, n + 1.4)
    ax.set_ylim(0, Z.max() * 1.12)
    ax.set_xticks(np.arange(1, n + 2))
    ax.set_xlabel("position $j$ (1 + number of revealed tokens)")
    ax.set_ylabel(f"$Z_j$ ({unit})")
    ax.set_title(f"{title}: sizes {sched.tolist()}\nerror $= \\sum_j (Z_j - Z^N_j)$ = "
                 f"{err:.4f} {unit}")
    ax.grid(False)
    return err


def _rect(x, y, w, h, **kw):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, **kw)


def main(outdir: pathlib.Path | None = None) -> list[pathlib.Path]:
    """Draw Figure 1 and write ``fig_riemann.png``/``.pdf`` into ``outdir`` (default figures/)."""
    outdir = pathlib.Path(__file__).resolve().parent if outdir is None else pathlib.Path(outdir)
    mu = families.binary_symmetric_chain(N, FLIP)
    Z = information_curve(mu, base=BASE)
    unit = unit_label(BASE)
    uni = uniform_schedule(N, K)
    opt = optimal_schedule(Z, K).schedule
    with style_context():
        fig, axes = new_figure(1, 2, width=10.0, height=3.9, sharey=True)
        _panel(axes[0], Z, uni, SCHEDULE_COLORS["uniform"], f"uniform, k = {K}", unit)
        _panel(axes[1], Z, opt, SCHEDULE_COLORS["optimal"], f"optimal (DP), k = {K}", unit)
        axes[1].set_ylabel("")
        axes[0].legend(loc="upper left", fontsize=7.5)
        fig.suptitle(f"Left-Riemann approximation of the information curve (Thm 1.4): "
                     f"binary Markov chain, n = {N}, flip {FLIP}", fontsize=10)
        return save_figure(fig, "fig_riemann", outdir)


if __name__ == "__main__":
    main()
