"""Figure: how far unmasking rules are from the optimal adaptive policy (n = 10, q = 2).

One panel per family of the package.  Every curve is exact: the best reward
reachable with an expected number of forward passes ``<= N``
(:func:`mdmtheory.policies.adaptive_optimal.budget_envelope` of the exact
points: mixing two policies reaches every convex combination).  Black: the
optimal adaptive policy (dynamic programming over partial assignments,
vertices marked); grey dashed: the DP-optimal oblivious schedule of Thm 4
(random positions, optimal counts); colours: each heuristic over its parameter
sweep.  Reward: ``E log mu(X)`` (nats) on full-support laws, ``nu(supp mu)``
on codes.  For ``q = 2`` the three top-k scores are increasing functions of
one another, so their curves coincide (one is drawn).

The numbers come from ``figures/fig_adaptive_gaps.json``, written by
``python benchmarks/bench_adaptive.py`` (about 10 minutes on 2 cores); this
script only reads it.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

from mdmtheory.plotting import new_figure, save_figure, style_context
from mdmtheory.policies.adaptive_optimal import budget_envelope

RESULTS = pathlib.Path(__file__).resolve().with_name("fig_adaptive_gaps.json")
STYLES = {
    "random-k": ("#7F7F7F", ":"),
    "top-k confidence": ("#0072B2", "-"),
    "Fast-dLLM threshold": ("#D55E00", "-"),
    "Fast-dLLM factor": ("#E69F00", "--"),
    "EB-sampler": ("#CC79A7", "-."),
}


def _panel(ax, fam: dict, n: int) -> None:
    grid = np.linspace(1, n, 400)

    def env(pts):
        y = np.array([np.nan if v is None else v for v in pts["reward"]], dtype=float)
        y = np.where(np.isnan(y), -np.inf, y)
        return budget_envelope(np.asarray(pts["nfe"], float), y, grid)

    lo = np.inf
    for name, (color, ls) in STYLES.items():
        if name not in fam["rules"]:
            continue
        e = env(fam["rules"][name])
        ok = np.isfinite(e)
        if ok.any():
            ax.plot(grid[ok], e[ok], color=color, linestyle=ls, linewidth=1.2, label=name)
            lo = min(lo, float(e[ok].min()))
    e = env(fam["oblivious"])
    ok = np.isfinite(e)
    ax.plot(grid[ok], e[ok], color="#555555", linestyle="--", linewidth=1.4,
            label="optimal oblivious schedule")
    lo = min(lo, float(e[ok].min()))
    e = env(fam["adaptive"])
    ok = np.isfinite(e)
    ax.plot(grid[ok], e[ok], color="black", linewidth=2.0, label="optimal adaptive")
    ax.plot(fam["adaptive"]["nfe"], fam["adaptive"]["reward"], "o", color="black",
            markersize=3)
    hi = float(np.max(fam["adaptive"]["reward"]))
    pad = 0.05 * max(hi - lo, 0.02 * max(1.0, abs(hi)))
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlim(1, n)
    ax.set_title(fam["label"], fontsize=8)
    ax.set_xlabel("expected forward passes", fontsize=7)
    ax.set_ylabel("E log mu(X) (nats)" if fam["reward"] == "loglik" else "P(output in support)",
                  fontsize=7)
    ax.tick_params(labelsize=6.5)


def main(outdir: pathlib.Path | None = None) -> list[pathlib.Path]:
    """Draw the figure from the cached results; write ``fig_adaptive_gaps.png``/``.pdf``.

    Raises
    ------
    FileNotFoundError
        If ``fig_adaptive_gaps.json`` is missing.
    """
    outdir = pathlib.Path(__file__).resolve().parent if outdir is None else pathlib.Path(outdir)
    if not RESULTS.is_file():
        raise FileNotFoundError(f"{RESULTS} not found: run benchmarks/bench_adaptive.py first")
    data = json.loads(RESULTS.read_text())
    fams = data["families"]
    ncols = 3
    nrows = -(-len(fams) // ncols)
    with style_context():
        fig, axes = new_figure(nrows, ncols, width=10.5, height=2.7 * nrows, squeeze=False)
        for ax, fam in zip(axes.ravel(), fams):
            _panel(ax, fam, int(data["n"]))
        for ax in axes.ravel()[len(fams):]:
            ax.set_visible(False)
        axes[0, 0].legend(fontsize=6, loc="lower right")
        fig.suptitle("Exact reward vs expected forward passes: optimal adaptive policy, "
                     "optimal fixed schedule and heuristics (n = 10, q = 2)", fontsize=10)
        return save_figure(fig, "fig_adaptive_gaps", outdir)


if __name__ == "__main__":
    main()
