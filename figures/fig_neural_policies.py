"""Learned policy vs every heuristic on small trained dLLMs: accuracy against mean NFE.

One figure per task (``fig_neural_policies_<task>``), read from the results
of ``scripts/policy_experiment.py eval`` (``scripts/policy_results/*.json``;
nothing is recomputed here).  Columns: semi-autoregressive (small block) and
full diffusion (one block); rows: the trained denoiser as the environment
(``neural``) and, where the law is small, the exact law (``exact``, a perfect
model).  Each heuristic family's sweep is drawn as points joined along its
Pareto front (best accuracy at no more NFE); learned policies (GRPO, one point per ``alpha``) are stars;
the optimal oblivious schedule (full diffusion) is the dashed black line.
Error bars: 95 % Wilson intervals of the accuracy and 95 % normal intervals
of the mean NFE (pointwise, held-out prompts shared by all policies).
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

from mdmtheory.plotting import new_figure, save_figure, style_context

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


def _panel(ax, d: dict, cmap) -> None:
    rows = d["rows"]
    fams = [f for f in HEUR_ORDER if any(r["family"] == f for r in rows)]
    for i, f in enumerate(fams):
        rs = sorted((r for r in rows if r["family"] == f), key=lambda r: (r["nfe"], -r["acc"]))
        x = np.array([r["nfe"] for r in rs])
        y = np.array([r["acc"] for r in rs])
        front = y >= np.maximum.accumulate(np.concatenate([[-1.0], y[:-1]]))  # Pareto front
        ax.plot(x, y, "o", ms=2.5, color=cmap(i % 20), alpha=0.6)
        ax.plot(x[front], y[front], "-", lw=0.9, color=cmap(i % 20), label=f, alpha=0.9)
    ob = sorted((r for r in rows if r["family"] == "oblivious optimal"), key=lambda r: r["nfe"])
    if ob:
        ax.plot([r["nfe"] for r in ob], [r["acc"] for r in ob], "--", color="k", lw=1.2,
                label="oblivious optimal")
    markers = {"neural": "*", "exact": "P"}
    for r in rows:
        if not r["family"].startswith("learned"):
            continue
        tenv = "exact" if "exact-trained" in r["family"] else "neural"
        es = "ES" in r["family"]
        col = "crimson" if not es else "darkorange"
        yerr = np.clip([[r["acc"] - r["acc_lo"]], [r["acc_hi"] - r["acc"]]], 0, None)
        xerr = np.clip([[r["nfe"] - r["nfe_lo"]], [r["nfe_hi"] - r["nfe"]]], 0, None)
        ax.errorbar(r["nfe"], r["acc"], yerr=yerr, xerr=xerr,
                    fmt=markers[tenv], ms=9 if tenv == "neural" else 6, color=col, mec="k",
                    mew=0.5, elinewidth=0.8, zorder=5)
        ax.annotate(f"{r.get('alpha', 0):g}", (r["nfe"], r["acc"]), fontsize=6,
                    xytext=(3, -7), textcoords="offset points")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)


def main(outdir: str | pathlib.Path | None = None, results_dir=RESULTS) -> list[pathlib.Path]:
    import matplotlib

    data = _load(pathlib.Path(results_dir))
    paths: list[pathlib.Path] = []
    cmap = matplotlib.colormaps["tab20"]
    for task, byk in sorted(data.items()):
        envs = [e for e in ("neural", "exact") if any(k[0] == e for k in byk)]
        bls = sorted({k[1] for k in byk})
        with style_context():
            fig, axes = new_figure(len(envs), len(bls), width=4.2 * len(bls),
                                   height=3.3 * len(envs), squeeze=False)
            for i, env in enumerate(envs):
                for j, bl in enumerate(bls):
                    ax = axes[i, j]
                    if (env, bl) not in byk:
                        ax.set_visible(False)
                        continue
                    d = byk[(env, bl)]
                    _panel(ax, d, cmap)
                    regime = "full diffusion" if bl >= d["length"] else "semi-AR"
                    ax.set_title(f"{task}, {env} env, BL={bl} ({regime})", fontsize=9)
                    ax.set_xlabel("mean NFE")
                    if j == 0:
                        ax.set_ylabel("accuracy")
            h, lab = axes[0, 0].get_legend_handles_labels()
            from matplotlib.lines import Line2D

            h += [Line2D([], [], marker="*", ls="", color="crimson", mec="k", ms=9),
                  Line2D([], [], marker="P", ls="", color="crimson", mec="k", ms=6),
                  Line2D([], [], marker="*", ls="", color="darkorange", mec="k", ms=9)]
            lab += ["learned (neural-trained; label = alpha)", "learned (exact-trained)",
                    "learned + expert steering"]
            fig.legend(h, lab, loc="outside right center", fontsize=7, frameon=False)
            paths += save_figure(fig, f"{STEM}_{task}", outdir)
    if not paths:  # no results yet: an explicit placeholder
        with style_context():
            fig, ax = new_figure(1, 1, width=5, height=3)
            ax.text(0.5, 0.5, "no results: run scripts/policy_experiment.py eval",
                    ha="center", va="center")
            ax.plot([0, 1], [0, 1], alpha=0)
            paths += save_figure(fig, STEM, outdir)
    return paths


if __name__ == "__main__":
    print("\n".join(map(str, main(pathlib.Path(__file__).resolve().parent))))
