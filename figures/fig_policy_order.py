r"""Unmasking order of policies on examples: which positions each forward pass reveals.

Caption.  Each panel is one seeded episode of a policy (exact oracle, tokens drawn
from the conditionals of the target :math:`\mu`).  Row :math:`t` is the buffer after
the :math:`t`-th forward pass: positions revealed at that pass are dark, earlier ones
light, masked ones blank; each revealed cell shows its token.  Top: the Reed-Solomon
code :math:`\mathrm{RS}[5,2]_5` (length 5, dimension 2, over :math:`\mathbb{F}_5`):
any 2 symbols determine the codeword, so the conditionals stay uniform until 2 are
revealed, then become point masses (the paper's MDS example, Prop 1.5).  Random-:math:`k`
with the uniform 2-step schedule (sizes 3, 2) reveals 3 symbols at once (a codeword
only with probability 1/5); Fast-dLLM's threshold rule :math:`\lambda` (Wu et al. 2025)
reveals one symbol per pass until the rest is determined, then everything.  The
GRPO-learned policy (Jazbec et al. 2025; trained on :math:`\mathrm{RS}[5,d]_5`,
:math:`d = 1..4`, without being told :math:`d`; speed weight :math:`\alpha = 1`) also
reveals few symbols per pass and makes no error, but may take more passes than needed
(its title gives the exact expected NFE).  The learned policy is the committed float16 checkpoint
``figures/policy_checkpoints/code_rs5_p5_alpha1.pt``, never retrained here.
Bottom: a binary symmetric Markov chain (:math:`n = 8`, flip probability 0.1):
top-:math:`k` confidence (:math:`k = 4` steps) grows a contiguous run from the left
(ties broken by index); the threshold and EB-sampler (Ben-Hamu et al. 2025, error
budget :math:`\gamma`) rules add the neighbours of revealed positions.  Panel titles
give the episode's number of forward passes (NFE) and whether its output is in the
support of :math:`\mu`, then the exact expected NFE and :math:`\mathrm{KL}(\mu\,\|\,\nu)`
(nats) of the policy's output law :math:`\nu`.
"""

from __future__ import annotations

import pathlib

import numpy as np

from mdmtheory import families
from mdmtheory.plotting import PALETTE, new_figure, save_figure, style_context
from mdmtheory.policies.exact import evaluate_policy
from mdmtheory.policies.heuristics import ConfidenceThreshold, EBSampler, RandomK, TopK
from mdmtheory.policies.mdp import MASK, UnmaskingMDP

STEM = "fig_policy_order"
CHECKPOINTS = pathlib.Path(__file__).resolve().parent / "policy_checkpoints"
DARK, LIGHT = PALETTE[1], "#B7D7EE"


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
    ax.set_title(f"{title}\nepisode: NFE$={T}$, {'in' if ok else 'NOT in'} support\n"
                 rf"exact: $\mathbb{{E}}[\mathrm{{NFE}}]={law.expected_nfe:.2f}$, "
                 rf"$\mathrm{{KL}}(\mu\|\nu)={max(law.kl(), 0):.3f}$")


def _rect(i: int, t: int, color: str):
    from matplotlib.patches import Rectangle

    return Rectangle((i, t), 1, 1, facecolor=color, edgecolor="0.6", linewidth=0.6)


def main(outdir: pathlib.Path | None = None) -> list[pathlib.Path]:
    """Draw the figure into ``outdir`` (default: this folder); return the PNG and PDF paths."""
    outdir = pathlib.Path(__file__).resolve().parent if outdir is None else pathlib.Path(outdir)
    rs = families.reed_solomon(5, 2, 5)
    mc = families.binary_symmetric_chain(8, 0.1)
    with style_context():
        fig, axes = new_figure(3, 2, size="full", height=9.0)
        _panel(axes[0, 0], rs, RandomK(2), 0, r"$\mathrm{RS}[5,2]_5$: random-$k$, sizes 3, 2")
        _panel(axes[0, 1], rs, ConfidenceThreshold(0.9), 3,
               r"$\mathrm{RS}[5,2]_5$: threshold $\lambda=0.9$")
        try:
            import torch  # noqa: F401
        except ModuleNotFoundError:
            axes[1, 0].text(0.5, 0.5, "learned policy:\ntorch not installed", ha="center",
                            va="center", transform=axes[1, 0].transAxes)
            axes[1, 0].set_axis_off()
        else:
            from mdmtheory.policies.grpo import load_policy

            pol = load_policy(CHECKPOINTS / "code_rs5_p5_alpha1.pt")[0]
            _panel(axes[1, 0], rs, pol, 3, r"$\mathrm{RS}[5,2]_5$: GRPO, $\alpha=1$")
        _panel(axes[1, 1], mc, TopK(4, "confidence"), 1,
               r"Markov chain: top-$k$ confidence, 4 steps")
        _panel(axes[2, 0], mc, ConfidenceThreshold(0.8), 1,
               r"Markov chain: threshold $\lambda=0.8$")
        _panel(axes[2, 1], mc, EBSampler(0.5), 1, r"Markov chain: EB-sampler $\gamma=0.5$")
        return save_figure(fig, STEM, outdir)


if __name__ == "__main__":
    main()
