"""Exact error vs number of steps k: the optimal schedule (DP) against uniform, cosine, log-linear and the TC/DTC greedy rules.

Six families of length n = 256, in bits.  Every point is the exact expected KL
of Thm 4 on the exact curve Z: Markov chains (structured gap-sum formula),
exchangeable mixtures of product measures (exact structured formula) and the
repetition and parity codes (closed-form curves of MDS codes).  Optimal: the
whole DP frontier OPT_k (Thm 4); uniform / cosine / log-linear: the schedule
with exactly k steps for every k; TC/DTC greedy rules (our sharper form of
Thm 9): one point per distinct schedule as lambda runs over (0, 1].  A log axis
cannot show an exact zero: the strip under the dotted line is "error = 0", with
one row per series (a marker where its error becomes exactly 0, a line while it
stays 0).  On the parity code the uniform, cosine and log-linear schedules all
have error TC = 1 bit for every k < n: their lines coincide.
"""

from __future__ import annotations

import math
import pathlib

import numpy as np

from mdmtheory.optimal import optimal_frontier
from mdmtheory.plotting import (
    LINESTYLES,
    SCHEDULE_COLORS,
    SCHEDULE_LABELS,
    SCHEDULE_MARKERS,
    mark_zeros,
    new_figure,
    zero_strip,
    save_figure,
    style_context,
    unit_label,
)
from mdmtheory.schedule import left_riemann_error
from mdmtheory.schedule_rules import (
    dtc_greedy_schedule,
    masking_schedule,
    tc_greedy_schedule,
    uniform_schedule,
)
from mdmtheory.structured import (
    exchangeable_mixture_information_curve,
    markov_information_curve,
    mds_information_curve,
)

N, BASE = 256, 2
LAMBDAS = np.geomspace(1e-4, 1.0, 240)
FIXED_RULES = ("uniform", "cosine", "loglinear")
GREEDY_RULES = {"tc": tc_greedy_schedule, "dtc": dtc_greedy_schedule}


def _bsc(flip: float) -> np.ndarray:
    return np.array([[1 - flip, flip], [flip, 1 - flip]])


def family_curves(n: int = N, base: float | None = BASE) -> list[tuple[str, np.ndarray]]:
    """(title, exact Z) of each panel."""
    mix = np.array([[0.1, 0.9], [0.9, 0.1]])
    mix3 = np.array([[0.95, 0.05], [0.5, 0.5], [0.05, 0.95]])
    return [
        ("(a) Markov chain, flip 0.1",
         markov_information_curve(n, _bsc(0.1), [0.5, 0.5], base=base)),
        ("(b) Markov chain, flip 0.01",
         markov_information_curve(n, _bsc(0.01), [0.5, 0.5], base=base)),
        ("(c) mixture of 2 products",
         exchangeable_mixture_information_curve([0.5, 0.5], mix, n, base=base)),
        ("(d) repetition code, $q = 2$", mds_information_curve(n, 1, 2, base=base)),
        ("(e) parity code, $q = 2$", mds_information_curve(n, n - 1, 2, base=base)),
        ("(f) mixture of 3 products",
         exchangeable_mixture_information_curve([1 / 3, 1 / 3, 1 / 3], mix3, n, base=base)),
    ]


def _snap(err: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """Snap errors below the float64 resolution of the curve to 0.

    Each block cost sums at most ``n`` terms ``Z_j - Z_a`` of a curve known to
    ~``eps * max Z`` per entry, so values below ``4 n eps max(1, max Z)``
    (about ``2e-13`` here) are indistinguishable from an exact 0.
    """
    err = np.asarray(err, dtype=np.float64).copy()
    tol = 4 * Z.size * np.finfo(np.float64).eps * max(1.0, float(Z.max()))
    err[np.abs(err) <= tol] = 0.0
    return err


def error_curves(Z: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{rule: (k values, exact errors)}`` for the optimal, fixed and greedy schedules."""
    n = Z.size
    ks = np.arange(1, n + 1)
    out = {"optimal": (ks, _snap(optimal_frontier(Z).errors, Z))}
    for rule in FIXED_RULES:
        errs = []
        for k in ks:
            s = uniform_schedule(n, int(k)) if rule == "uniform" else \
                masking_schedule(n, int(k), rule)
            errs.append(left_riemann_error(Z, s))
        out[rule] = (ks, _snap(errs, Z))
    for rule, fn in GREEDY_RULES.items():
        seen: dict[tuple[int, ...], float] = {}
        for lam in LAMBDAS:
            s = fn(n, float(lam))
            key = tuple(s.tolist())
            if key not in seen:
                seen[key] = left_riemann_error(Z, s)
        pts = sorted((len(key), err) for key, err in seen.items())
        out[rule] = (np.array([p[0] for p in pts]), _snap([p[1] for p in pts], Z))
    return out


def main(outdir: pathlib.Path | None = None) -> list[pathlib.Path]:
    """Draw error vs k per family; write ``fig_error_vs_steps.png``/``.pdf`` (default figures/)."""
    outdir = pathlib.Path(__file__).resolve().parent if outdir is None else pathlib.Path(outdir)
    unit = unit_label(BASE)
    with style_context():
        fig, axes = new_figure(2, 3, size="full", height=4.9)
        for ax, (title, Z) in zip(axes.ravel(), family_curves()):
            curves = error_curves(Z)
            pos = np.concatenate([e[e > 0] for _, e in curves.values()])
            floor = 10.0 ** math.floor(math.log10(pos.min() * 0.3)) if pos.size else 1e-3
            ax.set_xscale("log")
            ax.set_yscale("log")
            bottom = zero_strip(ax, floor, 10 ** math.ceil(math.log10(pos.max() * 1.5)))
            order = list(FIXED_RULES) + list(GREEDY_RULES) + ["optimal"]
            for row, rule in enumerate(order):
                ks, err = curves[rule]
                color = SCHEDULE_COLORS[rule]
                y = np.where(err > 0, err, np.nan)
                if rule in GREEDY_RULES:
                    ax.plot(ks, y, linestyle="none", marker=SCHEDULE_MARKERS[rule], color=color,
                            markersize=2.2, alpha=0.9, label=SCHEDULE_LABELS[rule],
                            markevery=max(1, len(ks) // 40))
                else:
                    ax.plot(ks, y, color=color, linewidth=1.8 if rule == "optimal" else 1.1,
                            linestyle=LINESTYLES[row % len(LINESTYLES)] if rule != "optimal"
                            else "-", label=SCHEDULE_LABELS[rule],
                            zorder=4 if rule == "optimal" else 2)
                mark_zeros(ax, ks, err, floor=bottom, color=color,
                           marker=SCHEDULE_MARKERS[rule], offset_pt=2.0 + 2.6 * row)
            tc = float(Z.sum())
            dtc = float(Z.size * Z[-1] - tc)
            ax.set_xlim(0.8, Z.size * 1.25)
            ax.set_xlabel("number of steps $k$")
            ax.set_ylabel(f"expected KL ({unit})")
            ax.set_title(f"{title}\nTC = {tc:.3g}, DTC = {dtc:.3g} {unit}", loc="left")
            if "parity" in title:
                ax.text(0.5, 0.86, "uniform, cosine, log-linear coincide:\n"
                        "error = TC = 1 bit for every $k < n$",
                        transform=ax.transAxes, ha="center", va="center", fontsize=8)
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=6, columnspacing=1.0,
                   handlelength=1.8)
        return save_figure(fig, "fig_error_vs_steps", outdir)


if __name__ == "__main__":
    main()
