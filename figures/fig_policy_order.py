"""Unmasking order of policies on examples: which positions each forward pass reveals.

Each panel is one seeded episode of a policy (exact oracle, tokens drawn from
the conditionals).  Row ``t`` is the buffer after the ``t``-th forward pass:
positions revealed at that pass are dark, earlier ones light, masked ones blank;
each revealed cell shows its token.  Top: the Reed-Solomon code RS[5,2] over F_5
(any 2 symbols determine the word; the conditionals stay uniform until 2 are
revealed, then become point masses -- theory.md §4): random-k with the uniform
2-step schedule reveals 3 symbols at once (right only with probability 1/5);
Fast-dLLM's threshold and the GRPO-learned policy (trained on RS[5,d], d=1..4,
without being told d; needs torch) reveal one symbol per pass until the rest is
determined, then everything.  Bottom: a binary symmetric Markov chain (n=8,
flip 0.1): top-k confidence grows a contiguous run from the left (ties broken
by index), the threshold and EB rules add the neighbours of revealed positions.
Panel titles give the exact ``E[NFE]`` and ``KL(mu || nu)`` of each policy.
"""

from __future__ import annotations

import pathlib

import numpy as np

from mdmtheory import families
from mdmtheory.plotting import new_figure, save_figure, style_context
from mdmtheory.policies.exact import evaluate_policy
from mdmtheory.policies.heuristics import ConfidenceThreshold, EBSampler, RandomK, TopK
from mdmtheory.policies.mdp import MASK, UnmaskingMDP

STEM = "fig_policy_order"
DARK, LIGHT = "#0072B2", "#B7D7EE"


def _episode(mu, policy, seed: int) -> list[np.ndarray]:
    """Buffers after each forward pass of one seeded episode."""
    mdp = UnmaskingMDP(mu)
    r = mdp.rollout(policy, 1, rng=seed, record=True)
    bufs = [s["obs"].x[0] for s in r.steps[1:]] + [r.x[0]]
    return bufs


def _panel(ax, mu, policy, seed: int, title: str) -> None:
    bufs = _episode(mu, policy, seed)
    T, n = len(bufs), mu.n
    prev = np.full(n, MASK)
    for t, x in enumerate(bufs):
        for i in range(n):
            if x[i] == MASK:
                color, txt = "white", ""
            elif prev[i] == MASK:
                color, txt = DARK, str(int(x[i]))
            else:
                color, txt = LIGHT, str(int(x[i]))
            ax.add_patch(_rect(i, t, color))
            if txt:
                ax.text(i + 0.5, t + 0.5, txt, ha="center", va="center", fontsize=8,
                        color="white" if color == DARK else "black")
        prev = x
    ok = mu.p[tuple(int(v) for v in bufs[-1])] > 0
    law = evaluate_policy(mu, policy)
    ax.set_xlim(0, n)
    ax.set_ylim(T, 0)
    ax.set_xticks(np.arange(n) + 0.5, [str(i) for i in range(n)])
    ax.set_yticks(np.arange(T) + 0.5, [str(t + 1) for t in range(T)])
    ax.set_xlabel("position")
    ax.set_ylabel("forward pass")
    ax.grid(False)
    ax.set_title(f"{title}\nepisode: NFE={T}, {'in' if ok else 'NOT in'} support | exact: "
                 f"E[NFE]={law.expected_nfe:.2f}, KL={max(law.kl(), 0):.3f} nats",
                 fontsize=7.5)


def _rect(i: int, t: int, color: str):
    from matplotlib.patches import Rectangle

    return Rectangle((i, t), 1, 1, facecolor=color, edgecolor="0.6", linewidth=0.6)


def main(outdir: pathlib.Path | None = None) -> list[pathlib.Path]:
    """Draw the figure into ``outdir`` (default: this folder); return the PNG and PDF paths."""
    outdir = pathlib.Path(__file__).resolve().parent if outdir is None else pathlib.Path(outdir)
    rs = families.reed_solomon(5, 2, 5)
    mc = families.binary_symmetric_chain(8, 0.1)
    with style_context():
        fig, axes = new_figure(2, 3, width=12.0, height=6.6)
        _panel(axes[0, 0], rs, RandomK(2), 0, "RS[5,2]_5: random-k, k=2 (sizes 3, 2)")
        _panel(axes[0, 1], rs, ConfidenceThreshold(0.9), 3, "RS[5,2]_5: Fast-dLLM lambda=0.9")
        try:
            from mdmtheory.policies.learned import train_code_family_policy
        except ModuleNotFoundError:
            axes[0, 2].text(0.5, 0.5, "learned policy:\ntorch not installed", ha="center",
                            va="center", transform=axes[0, 2].transAxes)
            axes[0, 2].set_axis_off()
        else:
            pol = train_code_family_policy(5, 5, alpha=1.0, iterations=40, seed=0).policy
            _panel(axes[0, 2], rs, pol, 3, "RS[5,2]_5: learned policy (GRPO, alpha=1)")
        _panel(axes[1, 0], mc, TopK(4, "confidence"), 1, "Markov chain: top-k confidence, k=4")
        _panel(axes[1, 1], mc, ConfidenceThreshold(0.8), 1, "Markov chain: Fast-dLLM lambda=0.8")
        _panel(axes[1, 2], mc, EBSampler(0.5), 1, "Markov chain: EB-sampler gamma=0.5")
        fig.suptitle("Unmasking order (dark: revealed at this pass, light: earlier, blank: "
                     "masked; digits are tokens)", fontsize=10)
        return save_figure(fig, STEM, outdir)


if __name__ == "__main__":
    main()
