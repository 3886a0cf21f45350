"""Hardness (Thms 5, 24): on Reed-Solomon codes of every dimension d no schedule with few steps is good for all d.

Heat map of the exact expected KL (Thm 4), in units of ln p, of fixed schedules (rows) on the
uniform law over the [n, d] Reed-Solomon code over F_p, for every dimension
d = 1..n (columns; d = n is the uniform law).  The curve of the [n, d] code is a
single jump of log p after j = d, so a schedule pays log p for every token of
the block that crosses d after position d (Prop 20): the cell value is an
integer number of log p.  A schedule whose largest step is s has worst case
(s - 1) log p, so being within < log p of exact on every d forces all steps to
be 1 (n rounds), although each single code needs only the 2 steps (d, n - d)
and the uniform law 1 (bottom row).  Errors come from
``mdmtheory.hardness.family_errors`` (closed form), which the top panel checks
against Thm 4 on the exact curves of the codes for a small n.
"""

from __future__ import annotations

import itertools
import math
import pathlib

import numpy as np

from mdmtheory import hardness, information_curve
from mdmtheory.plotting import new_figure, save_figure, style_context
from mdmtheory.schedule import Schedule, left_riemann_error
from mdmtheory.schedule_rules import (
    dtc_greedy_schedule,
    masking_schedule,
    min_greedy_schedule,
    tc_greedy_schedule,
    uniform_schedule,
)

N, P = 16, 17
CHECK_N, CHECK_P = 5, 5  # exact cross-check on the dense code tables


def schedules(n: int = N) -> list[tuple[str, Schedule]]:
    """The rows of the heat map: (label, schedule); the figure appends ``[k = ...]``."""
    rows: list[tuple[str, Schedule]] = []
    for k in (1, 2, 4, 8):
        rows.append(("uniform", uniform_schedule(n, k)))
    for k in (4, 8):
        rows.append(("cosine", masking_schedule(n, k, "cosine")))
    rows.append(("log-linear", masking_schedule(n, 8, "loglinear")))
    for lam in (0.5, 0.25):
        rows.append((f"TC rule, $\\lambda = {lam:g}$", tc_greedy_schedule(n, lam)))
    for lam in (0.5, 0.25):
        rows.append((f"DTC rule, $\\lambda = {lam:g}$", dtc_greedy_schedule(n, lam)))
    rows.append((r"min rule, $\lambda = 0.25$", min_greedy_schedule(n, 0.25)))
    rows.append((f"(4, {n - 4}): optimal for d = 4", Schedule([4, n - 4])))
    rows.append((f"({n // 2}, {n - n // 2}): optimal for d = {n // 2}",
                 Schedule([n // 2, n - n // 2])))
    rows.append(("uniform", uniform_schedule(n, n - 1)))
    rows.append(("uniform (all steps 1)", uniform_schedule(n, n)))
    return rows


def error_matrix(n: int = N, p: int = P) -> tuple[list[str], list[int], np.ndarray]:
    """``(labels, ks, E)`` with ``E[r, d-1]`` the error of row ``r`` on the [n, d] code, in nats."""
    rows = schedules(n)
    E = np.array([hardness.family_errors(s, p) for _, s in rows])
    return [lab for lab, _ in rows], [s.k for _, s in rows], E


def _cross_check() -> float:
    """Max |closed form - Thm 4 on the exact code curves| over every schedule of n=5, p=5."""
    fam = hardness.code_family(CHECK_N, CHECK_P)
    Zs = {d: information_curve(mu) for d, mu in fam.items()}
    worst = 0.0
    for cuts in itertools.product((0, 1), repeat=CHECK_N - 1):  # all 2^(n-1) compositions
        ends = [i + 1 for i, c in enumerate(cuts) if c] + [CHECK_N]
        s = Schedule(np.diff([0] + ends))
        closed = hardness.family_errors(s, CHECK_P)
        exact = [left_riemann_error(Zs[d], s) for d in range(1, CHECK_N + 1)]
        worst = max(worst, float(np.max(np.abs(closed - exact))))
    return worst


def main(outdir: pathlib.Path | None = None) -> list[pathlib.Path]:
    """Draw the hardness heat map and write ``fig_hardness.png``/``.pdf`` (default: figures/)."""
    from matplotlib.colors import BoundaryNorm
    from matplotlib import colormaps

    outdir = pathlib.Path(__file__).resolve().parent if outdir is None else pathlib.Path(outdir)
    worst_gap = _cross_check()
    if worst_gap > 1e-9:  # the figure must not show numbers that disagree with Thm 4
        raise RuntimeError(f"closed-form code errors disagree with Thm 4 by {worst_gap:.3g}")
    labels, ks, E = error_matrix()
    logp = math.log(P)
    M = E / logp  # integer multiples of log p
    worst = M.max(axis=1)
    vmax = int(np.ceil(M.max()))
    with style_context():
        fig, ax = new_figure(1, 1, size="full", height=4.6)
        cmap = colormaps["YlOrRd"].resampled(vmax + 1)
        norm = BoundaryNorm(np.arange(-0.5, vmax + 1.5), cmap.N)
        full = np.column_stack([M, np.full(len(labels), np.nan), worst])
        im = ax.imshow(np.ma.masked_invalid(full), cmap=cmap, norm=norm, aspect="auto")
        for r in range(M.shape[0]):
            for c in range(full.shape[1]):
                v = full[r, c]
                if np.isnan(v):
                    continue
                ax.text(c, r, f"{v:.0f}", ha="center", va="center", fontsize=8,
                        color="white" if v > 0.6 * vmax else "black")
        ax.set_xticks(list(range(N)) + [N + 1])
        ax.set_xticklabels([str(d) for d in range(1, N + 1)] + ["worst"])
        ax.set_yticks(range(len(labels)))
        ax.set_yticklabels([f"{lab}  [$k = {k}$]" for lab, k in zip(labels, ks)])
        ax.set_xlabel(f"dimension $d$ of the Reed-Solomon $[{N}, d]$ code over "
                      f"$\\mathbb{{F}}_{{{P}}}$ ($d = {N}$: uniform law)")
        ax.grid(False)
        for side in ("top", "right"):
            ax.spines[side].set_visible(True)
        cb = fig.colorbar(im, ax=ax, shrink=0.85, pad=0.01, ticks=range(0, vmax + 1, 3))
        cb.set_label(f"expected KL / $\\ln {P}$")
        return save_figure(fig, "fig_hardness", outdir)


if __name__ == "__main__":
    main()
