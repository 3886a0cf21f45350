"""Figure: how far unmasking rules are from the optimal adaptive policy (n = 10, q = 2).

One panel per family of the package.  Every curve is exact: the best reward
reachable with an expected number of forward passes ``<= N``
(:func:`mdmtheory.policies.adaptive_optimal.budget_envelope` of the exact
points: mixing two policies reaches every convex combination).  Black: the
optimal adaptive policy (dynamic programming over partial assignments,
vertices marked); grey dashed: the DP-optimal oblivious schedule of Thm 4
(random positions, optimal counts); colours: each heuristic over its parameter
sweep; green: the learned policy (a small network trained by GRPO on the
exact law, two speed exponents and two test-time beta-scalings, evaluated
exactly, or by Monte Carlo where the exact evaluator has not run; on the six
families with an adaptivity gain).  Reward: ``E log mu(X)`` (nats) on
full-support laws, ``nu(supp mu)`` on codes.  For ``q = 2`` the three top-k
scores are increasing functions of one another, so their curves coincide (one
is drawn).  A series that coincides with another one is listed in the panel's
box as ``A = B`` (drawn on top of each other).
``E[NFE]``: expected number of forward passes; ``mu``: the family's law; ``X``: the
sampler's output.

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
    "learned (GRPO)": ("#009E73", "-"),
}


def _panel(ax, fam: dict, n: int) -> None:
    grid = np.linspace(1, n, 400)

    def env(pts):
        y = np.array([np.nan if v is None else v for v in pts["reward"]], dtype=float)
        y = np.where(np.isnan(y), -np.inf, y)
        return budget_envelope(np.asarray(pts["nfe"], float), y, grid)

    curves = {name: env(fam["rules"][name]) for name in STYLES if name in fam["rules"]}
    curves["optimal oblivious schedule"] = env(fam["oblivious"])
    curves["optimal adaptive"] = env(fam["adaptive"])
    # Series that coincide (within 1e-9 everywhere) form classes, named in a box.
    names = list(curves)
    cls = {name: name for name in names}
    for i, x in enumerate(names):
        for y in names[i + 1:]:
            ex, ey = curves[x], curves[y]
            fx, fy = np.isfinite(ex), np.isfinite(ey)
            if (fx == fy).all() and np.allclose(ex[fx], ey[fy], atol=1e-9):
                cls[y] = cls[x]
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(cls[name], []).append(name)
    groups = {k: v for k, v in groups.items() if len(v) > 1}
    lo = np.inf
    for name, e in curves.items():
        ok = np.isfinite(e)
        if not ok.any():
            continue
        lo = min(lo, float(e[ok].min()))
        if name == "optimal adaptive":
            ax.plot(grid[ok], e[ok], color="black", linewidth=2.0, label=name)
        elif name == "optimal oblivious schedule":
            ax.plot(grid[ok], e[ok], color="#555555", linestyle="--", linewidth=1.4, label=name)
        else:
            color, ls = STYLES[name]
            # the learned policy can hug the optimal curve (the code): draw it on top
            ax.plot(grid[ok], e[ok], color=color, linestyle=ls, linewidth=1.2, label=name,
                    zorder=4 if name == "learned (GRPO)" else 2)
    ax.plot(fam["adaptive"]["nfe"], fam["adaptive"]["reward"], "o", color="black",
            markersize=3)
    if groups:
        short = {"optimal adaptive": "adaptive", "optimal oblivious schedule": "oblivious",
                 "top-k confidence": "top-k", "Fast-dLLM threshold": "threshold",
                 "Fast-dLLM factor": "factor", "EB-sampler": "EB", "random-k": "random-k",
                 "learned (GRPO)": "learned"}
        if len(groups) == 1 and len(next(iter(groups.values()))) == len(names):
            text = "all series coincide"
        else:
            lines = []
            for g in groups.values():
                parts = [short[m] for m in g]
                for i in range(0, len(parts), 3):  # at most three names a line
                    lines.append(("= " if i else "") + " = ".join(parts[i:i + 3]))
            text = "\n".join(lines)
        ax.text(0.97, 0.04, text, transform=ax.transAxes, ha="right", va="bottom",
                fontsize=8,
                bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="#BBBBBB", alpha=0.9))
    hi = float(np.max(fam["adaptive"]["reward"]))
    pad = 0.05 * max(hi - lo, 0.02 * max(1.0, abs(hi)))
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlim(1, n)
    ax.set_title(fam["label"].replace("random linear code [10,5] over F_2",
                                      r"random $[10,5]$ code, $\mathbb{F}_2$")
                 .replace("hidden Markov, flip 0.1, noise 0.15", "hidden Markov")
                 .replace("mixture of two products 0.9/0.1", "mixture of 2 products"),
                 fontsize=8)
    ax.set_xlabel(r"$\mathbb{E}[\mathrm{NFE}]$", fontsize=8)
    ax.set_ylabel(r"$\mathbb{E}\,\log\mu(X)$ (nats)" if fam["reward"] == "loglik"
                  else r"$\Pr(X \in \mathrm{supp}\,\mu)$", fontsize=8)
    ax.tick_params(labelsize=8)


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
        fig, axes = new_figure(nrows, ncols, size="full", height=2.3 * nrows + 0.6,
                               squeeze=False)
        for ax, fam in zip(axes.ravel(), fams):
            _panel(ax, fam, int(data["n"]))
        for ax in axes.ravel()[len(fams):]:
            ax.set_visible(False)
        seen: dict = {}
        for ax in axes.ravel()[:len(fams)]:  # the learned policy is drawn on some panels only
            for h, lab in zip(*ax.get_legend_handles_labels()):
                seen.setdefault(lab, h)
        handles, labels = list(seen.values()), list(seen)
        fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=8,
                   frameon=False)
        fig.suptitle(r"Exact reward vs expected forward passes ($n = 10$, $q = 2$)",
                     fontsize=9)
        return save_figure(fig, "fig_adaptive_gaps", outdir)


if __name__ == "__main__":
    main()
