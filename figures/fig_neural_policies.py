"""Learned policy vs every heuristic on small trained dLLMs: accuracy against mean NFE.

One figure per task (``fig_neural_policies_<task>``), read from the results
of ``scripts/policy_experiment.py eval`` (``scripts/policy_results/*.json``;
nothing is recomputed here).  Columns: semi-autoregressive (small block) and
full diffusion (one block); rows: the trained denoiser as the environment
(``neural``) and, where the law is small, the exact law (``exact``, a perfect
model).  Each heuristic family's sweep is drawn as points joined along its
Pareto front (best accuracy at no more NFE); learned policies (GRPO, one point per ``alpha``) are stars;
the optimal oblivious schedule (DP on the bridge's estimate of the prompted curve ``Z`` of
the same environment; per block in semi-AR panels) is the dashed black line.
Heuristic families are told apart by colour (colour-blind-safe palette), marker and line
style together.  NFE: number of forward passes of the denoiser; BL: block length;
``alpha``: the speed weight of the GRPO reward (Jazbec et al. 2025), written next to
each learned point (``(s1)``: training seed 1; seed 0 otherwise) (where learned points coincide, their labels are stacked
below the one marker).  Error bars: 95 % Wilson intervals of the accuracy and 95 % normal intervals
of the mean NFE (pointwise, held-out prompts shared by all policies).
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

from mdmtheory.plotting import LINESTYLES, MARKERS, PALETTE, new_figure, save_figure, style_context

STEM = "fig_neural_policies"
RESULTS = pathlib.Path(__file__).resolve().parent.parent / "scripts" / "policy_results"
HEUR_ORDER = ("random", "top-k confidence", "top-k margin", "top-k entropy",
              "Fast-dLLM threshold", "Fast-dLLM (Dream)", "Fast-dLLM factor", "EB-sampler",
              "KLASS", "DUS", "PC-sampler", "Dream origin", "Dream alg_temp")


def _load(results_dir: pathlib.Path) -> dict:
    out: dict = {}
    for p in sorted(results_dir.glob("*.json")):
        d = json.loads(p.read_text())
        out.setdefault(d["task"], {})[(d["env"], d["block_length"])] = d
    return out


def _style(i: int) -> tuple[str, str, object]:
    """Colour, marker and line style of the ``i``-th heuristic family (all three vary)."""
    colors = PALETTE[1:]  # black is kept for the optimal schedule
    return colors[i % len(colors)], MARKERS[i % len(MARKERS)], LINESTYLES[i % len(LINESTYLES)]


def _panel(ax, d: dict) -> None:
    rows = d["rows"]
    fams = [f for f in HEUR_ORDER if any(r["family"] == f for r in rows)]
    for i, f in enumerate(fams):
        rs = sorted((r for r in rows if r["family"] == f), key=lambda r: (r["nfe"], -r["acc"]))
        x = np.array([r["nfe"] for r in rs])
        y = np.array([r["acc"] for r in rs])
        front = y >= np.maximum.accumulate(np.concatenate([[-1.0], y[:-1]]))  # Pareto front
        color, marker, ls = _style(i)
        ax.plot(x, y, marker, ms=2.5, color=color, alpha=0.6)
        ax.plot(x[front], y[front], ls=ls, marker=marker, ms=2.5, lw=0.9, color=color, label=f)
    ob = sorted((r for r in rows if r["family"] == "oblivious optimal"), key=lambda r: r["nfe"])
    if ob:
        ax.plot([r["nfe"] for r in ob], [r["acc"] for r in ob], "--", color="k", lw=1.2,
                label="oblivious optimal")
    markers = {"neural": "*", "exact": "P"}
    placed: list[tuple[float, float]] = []  # learned points already labelled in this panel
    for r in rows:
        if not r["family"].startswith("learned"):
            continue
        tenv = "exact" if "exact-trained" in r["family"] else "neural"
        es = "ES" in r["family"]
        col = PALETTE[4] if not es else PALETTE[2]
        yerr = np.clip([[r["acc"] - r["acc_lo"]], [r["acc_hi"] - r["acc"]]], 0, None)
        xerr = np.clip([[r["nfe"] - r["nfe_lo"]], [r["nfe_hi"] - r["nfe"]]], 0, None)
        ax.errorbar(r["nfe"], r["acc"], yerr=yerr, xerr=xerr,
                    fmt=markers[tenv], ms=9 if tenv == "neural" else 6, color=col, mec="k",
                    mew=0.5, elinewidth=0.8, zorder=5)
        # coinciding learned points: stack their alpha labels downwards instead of overprinting
        k = sum(abs(x - r["nfe"]) < 0.4 and abs(y - r["acc"]) < 0.04 for x, y in placed)
        placed.append((r["nfe"], r["acc"]))
        lab = f"{r.get('alpha', 0):g}" + (f" (s{r['seed']})" if r.get("seed", 0) else "")
        ax.annotate(lab, (r["nfe"], r["acc"]), fontsize=8,
                    xytext=(3, -7 - 8 * k), textcoords="offset points")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)


def main(outdir: str | pathlib.Path | None = None, results_dir=RESULTS) -> list[pathlib.Path]:
    data = _load(pathlib.Path(results_dir))
    paths: list[pathlib.Path] = []
    for task, byk in sorted(data.items()):
        envs = [e for e in ("neural", "exact") if any(k[0] == e for k in byk)]
        bls = sorted({k[1] for k in byk})
        with style_context():
            fig, axes = new_figure(len(envs), len(bls), size="full",
                                   height=2.6 * len(envs) + 1.6, squeeze=False)
            for i, env in enumerate(envs):
                for j, bl in enumerate(bls):
                    ax = axes[i, j]
                    if (env, bl) not in byk:
                        ax.set_visible(False)
                        continue
                    d = byk[(env, bl)]
                    _panel(ax, d)
                    regime = "full diffusion" if bl >= d["length"] else "semi-AR"
                    ax.set_title(f"{task}, {env} env, BL$={bl}$ ({regime})")
                    ax.set_xlabel("mean NFE")
                    if j == 0:  # text has no answer to check: a validity rate only
                        ax.set_ylabel("validity" if task == "kjv" else "accuracy")
            h, lab = [], []  # every family of every panel, once (the oblivious line is
            for ax in axes.flat:  # only in the full-diffusion panels)
                for hh, ll in zip(*ax.get_legend_handles_labels()):
                    if ll not in lab:
                        h.append(hh)
                        lab.append(ll)
            from matplotlib.lines import Line2D

            h += [Line2D([], [], marker="*", ls="", color=PALETTE[4], mec="k", ms=9),
                  Line2D([], [], marker="P", ls="", color=PALETTE[4], mec="k", ms=6),
                  Line2D([], [], marker="*", ls="", color=PALETTE[2], mec="k", ms=9)]
            lab += [r"learned (neural-trained; label $=\alpha$)", "learned (exact-trained)",
                    "learned + expert steering"]
            fig.legend(h, lab, loc="outside lower center", ncol=3, frameon=False)
            paths += save_figure(fig, f"{STEM}_{task}", outdir)
    if not paths:  # no results yet: an explicit placeholder
        with style_context():
            fig, ax = new_figure(1, 1, size="column", height=2.4)
            ax.text(0.5, 0.5, "no results: run\nscripts/policy_experiment.py eval",
                    ha="center", va="center")
            ax.plot([0, 1], [0, 1], alpha=0)
            paths += save_figure(fig, STEM, outdir)
    return paths


if __name__ == "__main__":
    print("\n".join(map(str, main(pathlib.Path(__file__).resolve().parent))))
