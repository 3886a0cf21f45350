"""Upper bounds vs the exact error (Thm 4) of the uniform k-step schedules.

For each family (n = 16, bits) and each number of steps k, the uniform
schedule's exact expected KL (blue squares) is compared with the bounds it
certifies (broken lines): the TC rule lambda TC, the DTC rule lambda DTC and the
min rule lambda min(TC, DTC) with the smallest lambda the schedule satisfies
(our sharper, derived forms of Thm 9), the uniform-step bound
(max_t s_t - 1) Z_n, and the Li-Cai form (TC + DTC)/k (Thm 31 / Remark 32); the
optimal k-step error (the DP of Thm 4) is the black line.  Order of tightness:
exact <= uniform-step < Li-Cai, and the rule bounds win where min(TC, DTC) is
small (repetition: DTC, parity: TC).  Series that coincide at every k (and so
hide each other) are listed in the box of each panel.  A log axis cannot show an exact zero: the
strip under the dotted line is "error = 0", one row per series (a marker where
the error becomes 0, a line while it stays 0).
"""

from __future__ import annotations

import pathlib

import numpy as np

from mdmtheory import bounds, families, information_curve
from mdmtheory.optimal import optimal_schedule
from mdmtheory.plotting import (
    SCHEDULE_COLORS,
    mark_zeros,
    new_figure,
    zero_strip,
    save_figure,
    style_context,
    unit_label,
)
from mdmtheory.schedule import left_riemann_error
from mdmtheory.schedule_rules import uniform_schedule

N, BASE = 16, 2

#: (key, legend label, colour, line style) of each bound.
BOUNDS = (
    ("tc", r"TC rule $\lambda\,\mathrm{TC}$", SCHEDULE_COLORS["tc"], (0, (5, 2))),
    ("dtc", r"DTC rule $\lambda\,\mathrm{DTC}$", SCHEDULE_COLORS["dtc"], (0, (2, 1.2))),
    ("min", r"min rule $\lambda \min(\mathrm{TC}, \mathrm{DTC})$", SCHEDULE_COLORS["min"],
     (0, (1, 1.5))),
    ("step", r"uniform-step $(\max_t s_t - 1)\,Z_n$", SCHEDULE_COLORS["geometric"],
     (0, (3, 1, 1, 1))),
    ("licai", r"Li-Cai form $(\mathrm{TC}+\mathrm{DTC})/k$", "#56B4E9",
     (0, (6, 1.5, 1, 1.5, 1, 1.5))),
)


def _mixture(n: int, b: float):
    c1 = families.product(np.tile([1 - b, b], (n, 1)))
    c2 = families.product(np.tile([b, 1 - b], (n, 1)))
    return families.mixture([c1, c2])


def family_list():
    """The four panels: (title, distribution)."""
    return [
        ("(a) Markov chain, flip 0.1", families.binary_symmetric_chain(N, 0.1)),
        (r"(b) $\frac{1}{2}\mathrm{Bern}(0.9)^{\otimes n} + \frac{1}{2}\mathrm{Bern}(0.1)^{\otimes n}$",
         _mixture(N, 0.9)),
        ("(c) repetition code, $q = 2$", families.repetition(N, 2)),
        ("(d) parity code, $q = 2$", families.parity(N, 2)),
    ]


def table(Z: np.ndarray) -> dict[str, np.ndarray]:
    """Exact error, optimal error and every bound of the uniform k-step schedule, k = 1..n."""
    n = Z.size
    ks = np.arange(1, n + 1)
    out = {key: np.empty(n) for key in ("exact", "optimal", "tc", "dtc", "min", "step", "licai")}
    for i, k in enumerate(ks):
        s = uniform_schedule(n, int(k))
        out["exact"][i] = left_riemann_error(Z, s)
        out["optimal"][i] = optimal_schedule(Z, int(k)).error
        out["tc"][i] = bounds.tc_rule_bound(Z, s, curve=True)
        out["dtc"][i] = bounds.dtc_rule_bound(Z, s, curve=True)
        out["min"][i] = bounds.min_rule_bound(Z, s, curve=True)
        out["step"][i] = bounds.uniform_step_bound(Z, s, curve=True)
        out["licai"][i] = bounds.li_cai_bound(Z, s, curve=True)
    # Exact zeros come out as float64 rounding noise (~1e-14: differences of
    # averaged entropies); snap |x| <= 1e-9 * max(1, TC) to 0 so they are drawn as zeros.
    tol = 1e-9 * max(1.0, float(Z.sum()))
    for key in ("exact", "optimal"):
        out[key][np.abs(out[key]) <= tol] = 0.0
    out["k"] = ks
    return out


SHORT = {"exact": "exact", "optimal": "optimal", "tc": "TC rule", "dtc": "DTC rule",
         "min": "min rule", "step": "uniform-step", "licai": "Li-Cai"}


def coincidences(T: dict[str, np.ndarray]) -> str:
    """Lines "A = B = C" for series that coincide at every k (so one hides the others)."""
    keys = ["exact", "optimal", "tc", "dtc", "min", "step", "licai"]
    groups: list[list[str]] = []
    for key in keys:
        for g in groups:
            if np.allclose(T[g[0]], T[key], rtol=1e-9, atol=1e-12):
                g.append(key)
                break
        else:
            groups.append([key])
    return "\n".join(" = ".join(SHORT[k] for k in g) for g in groups if len(g) > 1)


def main(outdir: pathlib.Path | None = None) -> list[pathlib.Path]:
    """Draw the bounds figure and write ``fig_bounds.png``/``.pdf`` (default: figures/)."""
    outdir = pathlib.Path(__file__).resolve().parent if outdir is None else pathlib.Path(outdir)
    unit = unit_label(BASE)
    panels = [(title, information_curve(mu, base=BASE)) for title, mu in family_list()]
    with style_context():
        fig, axes = new_figure(2, 2, size="full", height=5.2)
        for ax, (title, Z) in zip(axes.ravel(), panels):
            T = table(Z)
            ks = T["k"]
            positive = np.concatenate([T[key][T[key] > 0] for key in T if key != "k"])
            floor = 10 ** np.floor(np.log10(positive.min() * 0.3))
            ax.set_yscale("log")
            ax.set_xscale("log", base=2)
            bottom = zero_strip(ax, floor, 10 ** np.ceil(np.log10(positive.max() * 1.5)))
            for row, (key, label, color, marker) in enumerate((
                    ("exact", "uniform schedule: exact error (Thm 4)",
                     SCHEDULE_COLORS["uniform"], "s"),
                    ("optimal", "optimal $k$-step error (DP)", SCHEDULE_COLORS["optimal"], "o"))):
                y = np.where(T[key] > 0, T[key], np.nan)
                ax.plot(ks, y, marker=marker, color=color, label=label, linewidth=1.5,
                        markersize=3)
                mark_zeros(ax, ks, T[key], floor=bottom, color=color, marker=marker,
                           offset_pt=2.0 + 3.0 * row)
            # bounds on top, so a bound that equals the exact error stays visible (dashes)
            for key, label, color, ls in BOUNDS:
                y = np.where(T[key] > 0, T[key], np.nan)
                ax.plot(ks, y, linestyle=ls, color=color, label=label, linewidth=1.2, zorder=3)
            note = coincidences(T)
            if note:
                ax.text(0.98, 0.97, note, transform=ax.transAxes, ha="right", va="top",
                        fontsize=8, bbox=dict(boxstyle="round,pad=0.2", facecolor="white",
                                              edgecolor="0.8", alpha=0.9))
            tc, dtc = Z.sum(), N * Z[-1] - Z.sum()
            ax.set_xticks([1, 2, 4, 8, 16])
            ax.set_xticklabels(["1", "2", "4", "8", "16"])
            ax.set_xlabel("number of steps $k$")
            ax.set_ylabel(f"expected KL ({unit})")
            ax.set_title(f"{title}\n$n = {N}$, TC = {tc:.2f}, DTC = {dtc:.2f} {unit}", loc="left")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=3, columnspacing=1.0)
        return save_figure(fig, "fig_bounds", outdir)


if __name__ == "__main__":
    main()
