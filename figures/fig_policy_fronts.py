r"""Unmasking policies vs the optimal schedule: exact KL-vs-NFE fronts, per family.

Caption.  Every point is *exact* (:func:`mdmtheory.policies.exact.evaluate_policy`:
the output law :math:`\nu` of the policy summed over all its actions and token
draws, no sampling).  :math:`\mu` is the target distribution of the panel,
:math:`n` its length and :math:`q` its alphabet size; "NFE" is the number of
forward passes (function evaluations) of the denoiser.  Per family, each heuristic
family's Pareto front of :math:`\mathrm{KL}(\mu\,\|\,\nu)` (nats) against the
expected NFE is drawn over its parameter sweep: top-:math:`k` rules and
random-:math:`k` over the uniform counts :math:`k = 1..n`; Fast-dLLM threshold
:math:`\lambda`, Fast-dLLM factor rule :math:`f`, EB-sampler :math:`\gamma` (Wu et
al. 2025; Ben-Hamu et al. 2025).  The DP-optimal *oblivious* schedule (random
positions, optimal step sizes; the paper's Thm 4 and Prop 1.5) appears twice:
the expected KL :math:`\mathbb{E}_S\,\mathrm{KL}(\mu\,\|\,\nu^S)` over the random
position sets :math:`S` (Thm 4; dashed, hollow) and the KL of its true output law
:math:`\mathrm{KL}(\mu\,\|\,\mathbb{E}_S\,\nu^S)` (solid), smaller by convexity.
For :math:`q = 2` the three top-:math:`k` scores (confidence, margin, negative
entropy) are increasing functions of one another, so their fronts coincide: they
are drawn with nested markers (large ring: confidence, medium triangle: margin,
small dot: entropy) so that all three stay visible.  The KL axis is symmetric-log
(linear below 0.01 nats) so that exact zeros show.  Where a heuristic's front
reaches the optimal schedule's point (e.g. the repetition code at NFE 2), its marker
lies under the black one.

The last panel is the code family :math:`\mathrm{RS}[4, d]_5` (Reed-Solomon codes of
length 4 and dimension :math:`d = 1, 2, 3` over :math:`\mathbb{F}_5`; :math:`d` is
not shown to the policies): mean accuracy :math:`\nu(\text{code})` (probability that
the output is a codeword) vs mean expected NFE over the three codes, for policies
learned by GRPO with speed weight :math:`\alpha` in the reward
:math:`R = \mathbb{1}[\text{correct}]\,((L - \mathrm{NFE} + 1)/L)^{\alpha}`
(Jazbec et al. 2025), random-:math:`k`, the threshold rule and the optimal schedule
of each :math:`d` (the thresholds :math:`\lambda = 0.5` and 0.9 give the same
point: every conditional is uniform over 5 symbols or a point mass; the optimal schedule
knows :math:`d`: two steps of sizes :math:`d, n - d` are
exact).  The learned policies are the committed float16 checkpoints in
``figures/policy_checkpoints/`` (made by ``figures/make_policy_checkpoints.py``),
never retrained here, so the drawn points do not depend on the CPU.
"""

from __future__ import annotations

import pathlib

import numpy as np

from mdmtheory import families
from mdmtheory.plotting import MARKERS, PALETTE, new_figure, save_figure, style_context
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
CHECKPOINTS = pathlib.Path(__file__).resolve().parent / "policy_checkpoints"

#: family -> (legend label, colour, marker, marker size, filled)
STYLES = {
    "random-k": (r"random-$k$", PALETTE[6], "s", 3.5, True),
    "top-k confidence": (r"top-$k$ confidence", PALETTE[1], "o", 7.0, False),
    "top-k margin": (r"top-$k$ margin", PALETTE[3], "^", 4.8, False),
    "top-k entropy": (r"top-$k$ neg. entropy", PALETTE[1], "o", 2.2, True),
    "Fast-dLLM threshold": (r"Fast-dLLM threshold $\lambda$", PALETTE[4], "D", 3.5, True),
    "Fast-dLLM factor": (r"Fast-dLLM factor $f$", PALETTE[2], "P", 4.0, True),
    "EB-sampler": (r"EB-sampler $\gamma$", PALETTE[5], "X", 4.0, True),
}
LINESTYLES = {"top-k confidence": "-", "top-k margin": (0, (4, 1.5)), "top-k entropy": ":"}


def _families():
    n = 8
    mix = families.mixture([families.product(np.tile([0.1, 0.9], (n, 1))),
                            families.product(np.tile([0.9, 0.1], (n, 1)))])
    return [
        (r"Markov chain, flip 0.1 ($n{=}8$, $q{=}2$)", families.binary_symmetric_chain(n, 0.1)),
        (r"mixture of 2 products ($n{=}8$, $q{=}2$)", mix),
        (r"repetition code ($n{=}8$, $q{=}2$)", families.repetition(n, 2)),
        (r"parity code ($n{=}8$, $q{=}2$)", families.parity(n, 2)),
        (r"Reed-Solomon $\mathrm{RS}[5,2]_5$", families.reed_solomon(5, 2, 5)),
        (r"Dirichlet(0.5) table ($n{=}7$, $q{=}2$)",
         families.random_dirichlet(7, 2, 0.5, seed=3)),
        (r"Ising chain $J{=}0.6$, $h{=}0.3$ ($n{=}8$)", families.ising_chain(n, 0.6, 0.3)),
    ]


def _family_panel(ax, title, mu) -> None:
    pts = policy_front(mu, default_policy_grid(mu.n), include_optimal=False, include_thm14=False)
    for fam, (label, color, marker, size, filled) in STYLES.items():
        front = pareto_front([p for p in pts if p.family == fam and np.isfinite(p.kl)])
        ax.plot([p.expected_nfe for p in front], [max(p.kl, 0.0) for p in front],
                marker=marker, color=color, markersize=size, linewidth=1.0,
                linestyle=LINESTYLES.get(fam, "-"), label=label,
                markerfacecolor=color if filled else "none", markeredgewidth=0.9)
    opt = optimal_schedule_points(mu)
    for meas, ls, lab in (
            ("E_S KL(mu||nu^S)", "--",
             r"optimal schedule: $\mathbb{E}_S\,\mathrm{KL}(\mu\|\nu^S)$ (Thm 4)"),
            ("KL(mu||nu)", "-", r"optimal schedule: $\mathrm{KL}(\mu\|\mathbb{E}_S\,\nu^S)$")):
        sel = [p for p in opt if p.measure == meas]
        ax.plot([p.expected_nfe for p in sel], [max(p.kl, 0.0) for p in sel], linestyle=ls,
                color=PALETTE[0], marker="o", markersize=3, linewidth=1.2, label=lab,
                markerfacecolor="none" if ls == "--" else PALETTE[0])
    ax.set_yscale("symlog", linthresh=1e-2)
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    ax.set_xlabel("expected NFE")
    ax.set_ylabel(r"$\mathrm{KL}(\mu\|\nu)$ [nats]")


def load_code_policy(n: int, p: int, alpha: float):
    """The committed GRPO policy of the code family ``RS[n, d]_p`` at ``alpha`` (no training)."""
    from mdmtheory.policies.grpo import load_policy

    path = CHECKPOINTS / f"code_rs{n}_p{p}_alpha{alpha:g}.pt"
    return load_policy(path)[0]


def _code_panel(ax) -> None:
    envs = [families.reed_solomon(4, d, 5) for d in (1, 2, 3)]

    def mean_point(policies):
        laws = [evaluate_policy(mu, pol) for mu, pol in zip(envs, policies)]
        return (float(np.mean([law.expected_nfe for law in laws])),
                float(np.mean([law.accuracy for law in laws])))

    rk = [mean_point([RandomK(k)] * 3) for k in range(1, 5)]
    ax.plot(*zip(*rk), "s-", color=STYLES["random-k"][1], markersize=3.5,
            label=r"random-$k$")
    thr = [mean_point([ConfidenceThreshold(lam)] * 3) for lam in (0.1, 0.5, 0.9)]
    ax.plot(*zip(*thr), "D", color=STYLES["Fast-dLLM threshold"][1], markersize=6,
            markerfacecolor="none", label=r"threshold $\lambda{=}.1,.5,.9$")
    ax.plot([2.0], [1.0], "*", color=PALETTE[0], markersize=10,
            label=r"opt. schedule per $d$")
    try:
        import torch  # noqa: F401
    except ModuleNotFoundError:
        ax.text(0.5, 0.08, "learned policy: torch not installed", transform=ax.transAxes,
                ha="center")
    else:
        for i, a in enumerate(ALPHAS):
            x, y = mean_point([load_code_policy(4, 5, a)] * 3)
            ax.plot([x], [y], MARKERS[2 + i], color=(PALETTE[3], PALETTE[1], PALETTE[5])[i],
                    markersize=6.5, markeredgecolor=PALETTE[0], markeredgewidth=0.6,
                    label=rf"GRPO, $\alpha={a:g}$")
    ax.set_title(r"code family $\mathrm{RS}[4,d]_5$, $d=1,2,3$")
    ax.set_xlabel("mean expected NFE")
    ax.set_ylabel(r"mean accuracy $\nu(\mathrm{code})$")
    ax.set_ylim(0, 1.1)
    ax.set_xlim(0.8, 4.2)
    ax.legend(loc="lower right", fontsize=8, handlelength=1.0, borderpad=0.2, labelspacing=0.2,
              handletextpad=0.4)


def main(outdir: pathlib.Path | None = None) -> list[pathlib.Path]:
    """Draw the figure into ``outdir`` (default: this folder); return the PNG and PDF paths."""
    outdir = pathlib.Path(__file__).resolve().parent if outdir is None else pathlib.Path(outdir)
    with style_context():
        fig, axes = new_figure(4, 2, size="full", height=9.4)
        axes = axes.ravel()
        for ax, (title, mu) in zip(axes, _families()):
            _family_panel(ax, title, mu)
        _code_panel(axes[7])
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=3)
        return save_figure(fig, STEM, outdir)


if __name__ == "__main__":
    main()
