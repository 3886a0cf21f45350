"""Information curves Z_j of the families: product, Markov chains, mixtures,
repetition, parity, MDS codes.

Exact curves (Def 3) from the dense entropy sweep, in bits.  (a) Binary
symmetric Markov chains of several flip rates (flip 0.5 is the uniform product
measure, Z = 0); (b) mixtures ``w Bern(b)^n + (1-w) Bern(1-b)^n`` of two product
measures; (c) the binary repetition and parity codes, whose curves are single
jumps at j = 2 and j = n; (d) Reed-Solomon [6, d] codes over F_7 for every d:
a jump of log2 7 bits right after j = d.  Z is nondecreasing with Z_1 = 0,
concave-looking for chains and mixtures and a single step for codes.  In (c) the
product measure (Z = 0 everywhere) and the parity code (Z = 0 until j = n)
coincide for j < n: the product is the wide grey band, parity the dashed line.
"""

from __future__ import annotations

import pathlib

import numpy as np

from mdmtheory import families, information_curve
from mdmtheory.plotting import FAMILY_COLORS, new_figure, save_figure, style_context, unit_label

N = 12
BASE = 2
FLIPS = (0.02, 0.05, 0.1, 0.2, 0.35, 0.5)
BIASES = (0.6, 0.75, 0.9, 0.99)
RS_N, RS_P = 6, 7


def _shades(cmap_name: str, m: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps[cmap_name]
    return [cmap(x) for x in np.linspace(0.98, 0.5, m)]


def _end_labels(ax, j: np.ndarray, items, colors, min_gap: float) -> None:
    """Label each curve at its right end, nudging labels apart by at least ``min_gap``."""
    ys = [float(Z[-1]) for _, Z in items]
    order = np.argsort(ys)
    placed: list[float] = []
    pos = [0.0] * len(ys)
    for i in order:
        y = ys[i] if not placed else max(ys[i], placed[-1] + min_gap)
        placed.append(y)
        pos[i] = y
    for (label, _), c, y in zip(items, colors, pos):
        ax.text(j[-1] + 0.25, y, label, color=c, va="center", fontsize=8)


def _bern_mixture(n: int, b: float, w: float = 0.5):
    c1 = families.product(np.tile([1 - b, b], (n, 1)))
    c2 = families.product(np.tile([b, 1 - b], (n, 1)))
    return families.mixture([c1, c2], [w, 1 - w])


def curves() -> dict[str, list[tuple[str, np.ndarray]]]:
    """The plotted curves, panel by panel: ``{panel: [(label, Z in bits), ...]}``."""
    out: dict[str, list[tuple[str, np.ndarray]]] = {"markov": [], "mixture": [], "codes": [],
                                                    "rs": []}
    for f in FLIPS:
        label = f"flip {f:g}" + (" (= uniform product)" if f == 0.5 else "")
        out["markov"].append((label, information_curve(families.binary_symmetric_chain(N, f),
                                                       base=BASE)))
    for b in BIASES:
        out["mixture"].append((f"b = {b:g}", information_curve(_bern_mixture(N, b), base=BASE)))
    rng = np.random.default_rng(0)
    prod = families.product(rng.dirichlet(np.ones(2), size=N))
    out["codes"].append(("product (random marginals)", information_curve(prod, base=BASE)))
    out["codes"].append(("repetition", information_curve(families.repetition(N, 2), base=BASE)))
    out["codes"].append(("parity", information_curve(families.parity(N, 2), base=BASE)))
    for d in range(1, RS_N + 1):
        Z = information_curve(families.reed_solomon(RS_N, d, RS_P), base=BASE)
        out["rs"].append((f"d = {d}", Z))
    return out


def main(outdir: pathlib.Path | None = None) -> list[pathlib.Path]:
    """Draw the family curves and write ``fig_curves.png``/``.pdf`` (default: figures/)."""
    outdir = pathlib.Path(__file__).resolve().parent if outdir is None else pathlib.Path(outdir)
    data = curves()
    unit = unit_label(BASE)
    j = np.arange(1, N + 1)
    with style_context():
        fig, axes = new_figure(2, 2, size="full", height=5.0)
        ax = axes[0, 0]
        cols = _shades("Blues", len(FLIPS))
        for (label, Z), c in zip(data["markov"], cols):
            ax.plot(j, Z, "o-", color=c, markersize=3.5)
        _end_labels(ax, j, [(lab.split(" (")[0], Z) for lab, Z in data["markov"]], cols, 0.075)
        ax.set_title(f"(a) binary Markov chains, $n = {N}$ (flip 0.5: $Z = 0$)", loc="left")
        ax = axes[0, 1]
        cols = _shades("Oranges", len(BIASES))
        for (label, Z), c in zip(data["mixture"], cols):
            ax.plot(j, Z, "o-", color=c, markersize=3.5)
        _end_labels(ax, j, data["mixture"], cols, 0.07)
        ax.set_title(r"(b) $\frac{1}{2}\mathrm{Bern}(b)^{\otimes n} + "
                     r"\frac{1}{2}\mathrm{Bern}(1-b)^{\otimes n}$" + f", $n = {N}$", loc="left")
        ax = axes[1, 0]
        styles = {"product (random marginals)": dict(color="0.6", linewidth=5, alpha=0.6,
                                                      marker="s", markersize=6),
                  "repetition": dict(color=FAMILY_COLORS["repetition"], marker="o"),
                  "parity": dict(color=FAMILY_COLORS["parity"], marker="D", linestyle="--",
                                 markerfacecolor="white")}
        for label, Z in data["codes"]:
            ax.plot(j, Z, label=label, **styles[label])
        ax.annotate("product = parity = 0\nfor $j < n$", xy=(7, 0.0), xytext=(7, 0.2),
                    ha="center", fontsize=8, arrowprops=dict(arrowstyle="->", lw=0.7))
        ax.set_title(f"(c) product, repetition, parity; $q = 2$, $n = {N}$", loc="left")
        ax.legend(loc="center", bbox_to_anchor=(0.45, 0.6), fontsize=8)
        ax = axes[1, 1]
        jr = np.arange(1, RS_N + 1)
        for d, ((label, Z), c) in enumerate(zip(data["rs"], _shades("Purples", RS_N)), start=1):
            ax.plot(jr, Z, "o-", color=c, markersize=3.5)
            x, y = (d + 0.5, Z.max() / 2) if d < RS_N else (RS_N - 0.5, 0.12)
            ax.text(x, y, label, color=c, fontsize=8, ha="center", va="center",
                    bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none"))
        ax.axhline(np.log2(RS_P), color="0.5", linestyle=":", linewidth=1)
        ax.text(1.05, np.log2(RS_P) * 0.96, r"$\log_2 7$", va="top", fontsize=8, color="0.35")
        ax.set_title(f"(d) Reed-Solomon $[{RS_N}, d]$ codes over $\\mathbb{{F}}_{{{RS_P}}}$",
                     loc="left")
        ax.set_xticks(jr)
        for ax in axes.ravel():
            ax.set_xlabel("$j$")
            ax.set_ylabel(f"$Z_j$ ({unit})")
            ax.set_ylim(bottom=-0.02 * ax.get_ylim()[1])
        for ax in axes[:, 0].tolist() + [axes[0, 1]]:
            ax.set_xticks(np.arange(1, N + 1))
        for ax in axes[0]:
            ax.set_xlim(0.5, N + 2.6)
        return save_figure(fig, "fig_curves", outdir)


if __name__ == "__main__":
    main()
