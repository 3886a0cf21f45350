"""Figure 1 of the paper as printed (n = 13, s = (4, 5, 2, 2)), and the uniform vs optimal 4-step schedule.

(a) The paper's Figure 1 (Chen, Cong & Li, COLT 2026): an increasing curve Z_j
(blue) at j = 1..13, the left-Riemann step function Z^N of the schedule
s = (4, 5, 2, 2) (red: start nodes 1, 5, 10, 12, each step held to the next
start node, the last one to n + 1 = 14; open circles at the right ends) and the
unit rectangles [j, j+1] x [Z^N_j, Z_j] (light blue), whose total area is the
schedule's exact expected KL E_S KL(mu || nu^S) (Thm 4).  The paper's curve has
no numbers; ours is the exact curve of a binary symmetric Markov chain
(n = 13, flip probability 0.1), in bits, and the script checks that the shaded
area equals ``left_riemann_error(Z, (4, 5, 2, 2))``.
(b), (c) The same construction on a chain of length n = 12 for the uniform and
the optimal (DP of Thm 4) 4-step schedules: the optimal schedule takes short
steps where Z rises steeply.
"""

from __future__ import annotations

import pathlib

import numpy as np

from mdmtheory import families, information_curve
from mdmtheory.optimal import optimal_schedule
from mdmtheory.plotting import new_figure, plot_curve, save_figure, style_context
from mdmtheory.schedule import left_riemann_approximation, left_riemann_error
from mdmtheory.schedule_rules import uniform_schedule

PAPER_N, PAPER_SIZES = 13, (4, 5, 2, 2)
N, FLIP, K, BASE = 12, 0.1, 4, 2


def shaded_area(Z: np.ndarray, sizes) -> float:
    """Total area of the unit rectangles [j, j+1] x [Z^N_j, Z_j], summed one by one."""
    ZN = left_riemann_approximation(Z, sizes)
    return float(sum(max(z - zn, 0.0) * 1.0 for z, zn in zip(Z, ZN)))


def main(outdir: pathlib.Path | None = None) -> list[pathlib.Path]:
    """Draw the figure and write ``fig_riemann.png``/``.pdf`` into ``outdir`` (default figures/)."""
    outdir = pathlib.Path(__file__).resolve().parent if outdir is None else pathlib.Path(outdir)
    Zp = information_curve(families.binary_symmetric_chain(PAPER_N, FLIP), base=BASE)
    area, exact = shaded_area(Zp, PAPER_SIZES), left_riemann_error(Zp, PAPER_SIZES)
    if not np.isclose(area, exact, rtol=1e-12, atol=1e-14):
        raise AssertionError(f"shaded area {area} != left-Riemann error {exact}")
    Z = information_curve(families.binary_symmetric_chain(N, FLIP), base=BASE)
    uni = uniform_schedule(N, K)
    opt = optimal_schedule(Z, K).schedule
    with style_context():
        fig, axes = new_figure(1, 3, size="full", height=2.7,
                               gridspec_kw={"width_ratios": [1.15, 1, 1]})
        plot_curve(Zp, PAPER_SIZES, ax=axes[0], base=BASE, show_error=False)
        axes[0].text(0.97, 0.05, f"error area {exact:.3f} bits", transform=axes[0].transAxes,
                     ha="right", va="bottom", fontsize=8)
        axes[0].set_yticks([])
        axes[0].set_ylabel("$Z_j$")
        axes[0].set_title(f"(a) paper's Fig. 1: $n = {PAPER_N}$, $s = (4,5,2,2)$", loc="left")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles[::-1], labels[::-1], loc="outside lower center", ncol=3)
        for ax, sched, name in ((axes[1], uni, "uniform"), (axes[2], opt, "optimal")):
            plot_curve(Z, sched, ax=ax, base=BASE, label_nodes=False, show_error=False)
            err = left_riemann_error(Z, sched)
            ax.set_title(f"({'b' if name == 'uniform' else 'c'}) {name}, "
                         f"$s = ({','.join(map(str, sched.tolist()))})$", loc="left")
            ax.text(0.97, 0.05, f"error area {err:.3f} bits", transform=ax.transAxes, ha="right",
                    va="bottom", fontsize=8)
        axes[2].set_ylabel("")
        return save_figure(fig, "fig_riemann", outdir)


if __name__ == "__main__":
    main()
