"""Unmasking policies vs the optimal schedule: exact KL-vs-NFE fronts, per family.

Every point is *exact* (:func:`mdmtheory.policies.exact.evaluate_policy`: the
output law of the policy summed over all its actions and token draws, no
sampling).  Per family, each heuristic family's Pareto front of
``KL(mu || nu)`` against the expected number of forward passes is drawn over
its parameter sweep (top-k rules and random-k: ``k = 1..n`` uniform counts;
Fast-dLLM threshold ``lambda``, factor rule ``f``, EB-sampler ``gamma``).  The
DP-optimal *oblivious* schedule (random positions, optimal counts, theory.md
§3) appears twice: Thm 1.4's expected KL ``E_S KL(mu || nu^S)`` = ``OPT_k``
(dashed) and the KL of its true output law ``KL(mu || E_S nu^S)`` (solid), which
is smaller by convexity.  The last panel is the code family ``RS[4, d]_5``
(``d = 1, 2, 3``, unknown to the policies): mean accuracy ``nu(code)`` vs mean
expected NFE for policies learned by GRPO at several ``alpha`` (needs torch),
random-k, the threshold rule, and the optimal schedule of each ``d`` (which
knows ``d``).  The KL axis is symmetric-log (linear below 0.01 nats) so that
exact zeros show.  For ``q = 2`` the three top-k scores (confidence, margin,
negative entropy) are increasing functions of one another, so their fronts
coincide (the confidence curve is hidden under the entropy curve).
"""

from __future__ import annotations

import pathlib

import numpy as np

from mdmtheory import families
from mdmtheory.plotting import new_figure, save_figure, style_context
from mdmtheory.policies.exact import (
    default_policy_grid,
    evaluate_policy,
    optimal_schedule_points,
    pareto_front,
    policy_front,
)
from mdmtheory.policies.heuristics import ConfidenceThreshold, RandomK

STEM = "fig_policy_fronts"
ALPHAS = (0.0, 1.0, 3.0)

STYLES = {
    "random-k": ("#7F7F7F", "s"),
    "top-k confidence": ("#0072B2", "o"),
    "top-k margin": ("#56B4E9", "^"),
    "top-k entropy": ("#117733", "v"),
    "Fast-dLLM threshold": ("#D55E00", "D"),
    "Fast-dLLM factor": ("#E69F00", "P"),
    "EB-sampler": ("#CC79A7", "X"),
    "optimal schedule": ("#000000", "o"),
}


def _families():
    n = 8
    mix = families.mixture([families.product(np.tile([0.1, 0.9], (n, 1))),
                            families.product(np.tile([0.9, 0.1], (n, 1)))])
    return [
        ("Markov chain, flip 0.1 (n=8, q=2)", families.binary_symmetric_chain(n, 0.1)),
        ("mixture of two products (n=8, q=2)", mix),
        ("repetition code (n=8, q=2)", families.repetition(n, 2)),
        ("parity code (n=8, q=2)", families.parity(n, 2)),
        ("Reed-Solomon RS[5,2] over F_5", families.reed_solomon(5, 2, 5)),
        ("random Dirichlet(0.5) (n=7, q=2)", families.random_dirichlet(7, 2, 0.5, seed=3)),
        ("Ising chain J=0.6, h=0.3 (n=8)", families.ising_chain(n, 0.6, 0.3)),
    ]


def _family_panel(ax, title, mu) -> None:
    pts = policy_front(mu, default_policy_grid(mu.n), include_optimal=False, include_thm14=False)
    for fam, (color, marker) in STYLES.items():
        if fam == "optimal schedule":
            continue
        front = pareto_front([p for p in pts if p.family == fam and np.isfinite(p.kl)])
        big = fam == "top-k confidence"  # drawn large and hollow: it coincides with the
        # other top-k fronts when q = 2
        ax.plot([p.expected_nfe for p in front], [max(p.kl, 0.0) for p in front], marker=marker,
                color=color, markersize=6.5 if big else 3.5, linewidth=1.1, label=fam,
                markerfacecolor="none" if big else color, zorder=1 if big else 2)
    opt = optimal_schedule_points(mu)
    for meas, ls, lab in (("E_S KL(mu||nu^S)", "--", "optimal schedule: E_S KL (Thm 1.4)"),
                          ("KL(mu||nu)", "-", "optimal schedule: KL(mu || E_S nu^S)")):
        sel = [p for p in opt if p.measure == meas]
        ax.plot([p.expected_nfe for p in sel], [max(p.kl, 0.0) for p in sel], ls, color="black",
                marker="o", markersize=3, linewidth=1.3, label=lab,
                markerfacecolor="none" if ls == "--" else "black")
    ax.set_yscale("symlog", linthresh=1e-2)
    ax.set_ylim(bottom=0)
    ax.set_title(title, fontsize=8.5)
    ax.set_xlabel("expected NFE (forward passes)")
    ax.set_ylabel("KL(mu || nu)  [nats]")


def _code_panel(ax) -> None:
    envs = [families.reed_solomon(4, d, 5) for d in (1, 2, 3)]

    def mean_point(policies):
        laws = [evaluate_policy(mu, pol) for mu, pol in zip(envs, policies)]
        return (float(np.mean([law.expected_nfe for law in laws])),
                float(np.mean([law.accuracy for law in laws])))

    rk = [mean_point([RandomK(k)] * 3) for k in range(1, 5)]
    ax.plot(*zip(*rk), "s-", color=STYLES["random-k"][0], label="random-k, k=1..4")
    thr = [mean_point([ConfidenceThreshold(lam)] * 3) for lam in (0.1, 0.5, 0.9)]
    ax.plot(*zip(*thr), "D", color=STYLES["Fast-dLLM threshold"][0], markersize=6,
            label="threshold, lambda=.1/.5/.9")
    # the d-aware optimum: 2 steps (d, n-d) are exact (theory.md §4)
    ax.plot([2.0], [1.0], "*", color="black", markersize=10, label="opt. schedule per d (knows d)")
    try:
        from mdmtheory.policies.learned import train_code_family_policy
    except ModuleNotFoundError:
        ax.text(0.5, 0.08, "learned policy: torch not installed", transform=ax.transAxes,
                ha="center", fontsize=8)
    else:
        for i, a in enumerate(ALPHAS):
            pol = train_code_family_policy(4, 5, alpha=a, iterations=40, seed=0).policy
            x, y = mean_point([pol] * 3)
            ax.plot([x], [y], "o", color=("#009E73", "#0072B2", "#D55E00")[i], markersize=7,
                    markeredgecolor="black", label=f"learned (GRPO), alpha={a:g}")
    ax.set_title("code family RS[4,d]_5, d=1,2,3 (mean over d)", fontsize=8.5)
    ax.set_xlabel("mean expected NFE (forward passes)")
    ax.set_ylabel("accuracy nu(code)")
    ax.set_ylim(0, 1.08)
    ax.legend(fontsize=6.5, loc="center left", bbox_to_anchor=(0.0, 0.72))


def main(outdir: pathlib.Path | None = None) -> list[pathlib.Path]:
    """Draw the figure into ``outdir`` (default: this folder); return the PNG and PDF paths."""
    outdir = pathlib.Path(__file__).resolve().parent if outdir is None else pathlib.Path(outdir)
    with style_context():
        fig, axes = new_figure(2, 4, width=14.0, height=6.8)
        axes = axes.ravel()
        for ax, (title, mu) in zip(axes, _families()):
            _family_panel(ax, title, mu)
        _code_panel(axes[7])
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=5, fontsize=7.5)
        fig.suptitle("Exact KL vs expected NFE: heuristic unmasking policies (Pareto fronts) "
                     "vs the DP-optimal oblivious schedule", fontsize=10)
        return save_figure(fig, STEM, outdir)


if __name__ == "__main__":
    main()
