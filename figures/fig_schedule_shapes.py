"""Shape of the optimal k-step schedules: step size vs step index, per family.

Top row: the exact information curve ``Z`` of each family (n = 256, bits; log
position axis) with the block boundaries ``N_t`` of its optimal 8-step schedule
(4-step for the staircase), dashed (the DP of Thm 4; ties broken towards big
steps first, see ``mdmtheory.optimal``).  Bottom row:
the optimal schedules for k = 4, 8, 16, 32, each step drawn at its relative
position ``(t - 1/2)/k`` with its size relative to the uniform step,
``s_t / (n/k)`` (1 = uniform).  Where Z rises steeply the optimal schedule takes
small steps; on flat stretches it takes big ones: concave curves (Markov
chains, mixtures) give growing steps, and a staircase curve (a product of three
independent MDS codes, jumps after j = 32, 128, 192) puts its boundaries at the
jumps (error 0 from k = 4 on; for k > 4 the tie-break puts the extra steps at
the end).  Families: (a) binary Markov chain, flip 0.1; (b) the mixture
1/2 Bern(0.9)^n + 1/2 Bern(0.1)^n; (c) the equal mixture of Bern(0.05)^n,
Bern(0.5)^n and Bern(0.95)^n; (d) three independent MDS-code layers.
"""

from __future__ import annotations

import pathlib

import numpy as np

from mdmtheory.optimal import optimal_frontier
from mdmtheory.plotting import MARKERS
from mdmtheory.plotting import new_figure, save_figure, style_context, unit_label
from mdmtheory.structured import (
    exchangeable_mixture_information_curve,
    markov_information_curve,
    mds_information_curve,
)

N, BASE = 256, 2
KS = (4, 8, 16, 32)
LAYER_DIMS, LAYER_P = (32, 128, 192), 257


def family_curves(n: int = N, base: float | None = BASE) -> list[tuple[str, np.ndarray]]:
    """(title, exact Z) of each column."""
    bsc = np.array([[0.9, 0.1], [0.1, 0.9]])
    mix2 = np.array([[0.1, 0.9], [0.9, 0.1]])
    mix3 = np.array([[0.95, 0.05], [0.5, 0.5], [0.05, 0.95]])
    # Independent layers: entropies add, so Z adds (the curve of
    # mdmtheory.hardness.realize_step_curve): one jump of log p per MDS layer.
    stair = sum(mds_information_curve(n, d, LAYER_P, base=base) for d in LAYER_DIMS)
    return [
        ("(a) Markov chain", markov_information_curve(n, bsc, [0.5, 0.5], base=base)),
        ("(b) 2-mixture",
         exchangeable_mixture_information_curve([0.5, 0.5], mix2, n, base=base)),
        ("(c) 3-mixture",
         exchangeable_mixture_information_curve([1 / 3] * 3, mix3, n, base=base)),
        ("(d) MDS layers", np.asarray(stair, dtype=np.float64)),
    ]


def main(outdir: pathlib.Path | None = None) -> list[pathlib.Path]:
    """Draw the schedule shapes; write ``fig_schedule_shapes.png``/``.pdf`` (default: figures/)."""
    from matplotlib import colormaps

    outdir = pathlib.Path(__file__).resolve().parent if outdir is None else pathlib.Path(outdir)
    unit = unit_label(BASE)
    cmap = colormaps["viridis"]
    colors = {k: cmap(x) for k, x in zip(KS, np.linspace(0.05, 0.8, len(KS)))}
    markers = dict(zip(KS, MARKERS))
    with style_context():
        fig, axes = new_figure(2, 4, size="full", height=4.3)
        for col, (title, Z) in enumerate(family_curves()):
            n = Z.size
            fr = optimal_frontier(Z, kmax=max(KS))
            top, bot = axes[0, col], axes[1, col]
            k_top = 4 if col == 3 else 8
            top.plot(np.arange(1, n + 1), Z, color="black", linewidth=1.3)
            for N_t in fr.schedule(k_top).cumulative[1:-1]:
                top.axvline(N_t + 0.5, color=colors[k_top], linewidth=0.9, linestyle="--")
            top.set_title(title, loc="left")
            top.text(0.97, 0.05, f"$k = {k_top}$", transform=top.transAxes, ha="right",
                     va="bottom", fontsize=8, color=colors[k_top],
                     bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none"))
            top.set_xscale("log")
            top.set_xlim(1, n * 1.05)
            top.set_xlabel("$j$ (log scale)")
            for k in KS:
                s = fr.schedule(k).sizes
                t = (np.arange(1, k + 1) - 0.5) / k
                bot.plot(t, s * k / n, marker=markers[k], color=colors[k], markersize=2.5,
                         linewidth=1.0, label=f"$k = {k}$")
            bot.axhline(1.0, color="0.5", linestyle=":", linewidth=1)
            bot.set_yscale("log")
            bot.set_xlim(0, 1)
            bot.set_xlabel("$(t - 1/2)/k$")
        axes[0, 0].set_ylabel(f"$Z_j$ ({unit})")
        axes[1, 0].set_ylabel("$s_t\\,k/n$")
        handles, labels = axes[1, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=len(KS),
                   title="optimal $k$-step schedule: step size relative to the uniform step",
                   title_fontsize=8)
        return save_figure(fig, "fig_schedule_shapes", outdir)


if __name__ == "__main__":
    main()
