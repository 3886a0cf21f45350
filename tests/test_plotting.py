"""The public plotting API draws what it claims, checked against independent computations.

* :func:`plot_curve` -- the shaded rectangles are exactly the paper's Figure 1
  list for n = 13, s = (4, 5, 2, 2) (j = 2, 3, 4, 6, 7, 8, 9, 11, 13), and their
  total area equals the expected KL computed by a direct loop over the blocks
  (not through ``left_riemann_error``); the red steps start at the start nodes
  and the last one ends at n + 1;
* :func:`plot_frontier` -- the plotted points are the brute-force optimum over
  all compositions;
* :func:`plot_fronts` -- coinciding series are shifted and say so;
* :func:`plot_curve_estimate` -- the band is the estimate's interval;
* :func:`smallest_font_pt` and :func:`new_figure` -- sizes as documented.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from matplotlib.patches import Rectangle

from mdmtheory import families, information_curve, plotting


def _brute_error(Z: np.ndarray, sizes) -> float:
    """sum over blocks of sum_{j in block} (Z_j - Z_{start}), by a plain loop."""
    total, a = 0.0, 1
    for s in sizes:
        for j in range(a, a + s):
            total += Z[j - 1] - Z[a - 1]
        a += s
    return total


def _compositions(n: int, k: int):
    for cuts in itertools.combinations(range(1, n), k - 1):
        edges = (0, *cuts, n)
        yield [edges[i + 1] - edges[i] for i in range(k)]


@pytest.fixture
def Z13():
    # strictly increasing, concave: every j not a start node has a positive rectangle
    return information_curve(families.binary_symmetric_chain(13, 0.1), base=2)


def test_plot_curve_is_the_papers_figure_1(Z13):
    ax = plotting.plot_curve(Z13, (4, 5, 2, 2))
    rects = [p for p in ax.patches if isinstance(p, Rectangle)]
    lefts = sorted(int(round(r.get_x())) for r in rects)
    assert lefts == [2, 3, 4, 6, 7, 8, 9, 11, 13]  # the paper's list
    assert all(r.get_width() == pytest.approx(1.0) for r in rects)
    area = sum(r.get_width() * r.get_height() for r in rects)
    assert area == pytest.approx(_brute_error(Z13, (4, 5, 2, 2)), rel=1e-12)
    # red steps: [1,5), [5,10), [10,12), [12,14) at heights Z_1, Z_5, Z_10, Z_12
    steps = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 2
             and ln.get_ydata()[0] == ln.get_ydata()[1]]
    spans = sorted((float(ln.get_xdata()[0]), float(ln.get_xdata()[1]), float(ln.get_ydata()[0]))
                   for ln in steps)
    assert [(a, b) for a, b, _ in spans] == [(1, 5), (5, 10), (10, 12), (12, 14)]
    assert [h for *_, h in spans] == pytest.approx([Z13[0], Z13[4], Z13[9], Z13[11]])
    assert list(ax.get_xticks()) == [1, 5, 10, 12, 14]


def test_plot_curve_rejects_bad_input(Z13):
    with pytest.raises(ValueError):
        plotting.plot_curve(Z13, (4, 5, 2))  # sums to 11, not 13
    with pytest.raises(ValueError):
        plotting.plot_curve(Z13[::-1], (4, 5, 2, 2))  # decreasing, Z_1 != 0


def test_plot_frontier_draws_the_brute_force_optimum():
    from mdmtheory.optimal import optimal_frontier

    Z = information_curve(families.binary_symmetric_chain(7, 0.2))
    ax = plotting.plot_frontier(optimal_frontier(Z), logy=False)
    (line,) = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 1]
    brute = [min(_brute_error(Z, c) for c in _compositions(7, k)) for k in range(1, 8)]
    ks = np.asarray(line.get_xdata(), dtype=int)
    np.testing.assert_allclose(line.get_ydata(), np.asarray(brute)[ks - 1], rtol=1e-12,
                               atol=1e-14)
    assert set(ks) == {k for k in range(1, 8) if brute[k - 1] > 0}
    with pytest.raises(ValueError):
        plotting.plot_frontier([np.nan, 1.0])


def test_plot_fronts_shifts_coinciding_series():
    data = {"top-1": ([1, 2, 3], [0.5, 0.2, 0.1]), "top-2": ([1, 2, 3], [0.5, 0.2, 0.1]),
            "threshold": ([1, 2, 3], [0.4, 0.1, 0.05])}
    ax = plotting.plot_fronts(data)
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert labels[0] == "top-1" and "shifted" in labels[1] and labels[2] == "threshold"
    for ln, (xs, ys) in zip(ax.get_lines(), data.values()):
        np.testing.assert_array_equal(ln.get_xdata(), xs)
        np.testing.assert_array_equal(ln.get_ydata(), ys)
    # the shifted copy is drawn to the right of the first one, on the same data
    l0, l1 = ax.get_lines()[:2]
    x0 = l0.get_transform().transform([[2, 0.2]])[0, 0]
    x1 = l1.get_transform().transform([[2, 0.2]])[0, 0]
    assert x1 > x0
    with pytest.raises(ValueError):
        plotting.plot_fronts({})


def test_plot_curve_estimate_band():
    from mdmtheory.montecarlo import estimate_information_curve

    mu = families.binary_symmetric_chain(6, 0.2)
    est = estimate_information_curve(mu, n_draws=200, seed=0)
    ax = plotting.plot_curve_estimate(est, truth=information_curve(mu))
    band = ax.collections[0].get_paths()[0].vertices
    lo = np.asarray(est.Z_lo)
    hi = np.asarray(est.Z_hi)
    assert band[:, 1].min() == pytest.approx(min(lo.min(), hi.min()))
    assert band[:, 1].max() == pytest.approx(hi.max())
    assert "pointwise" in ax.collections[0].get_label()
    with pytest.raises(TypeError, match="CurveEstimate"):
        plotting.plot_curve_estimate(np.zeros(3))


def test_smallest_font_and_sizes():
    with plotting.style_context():
        fig, ax = plotting.new_figure(size="column")
        ax.plot([0, 1], [0, 1])
        assert fig.get_figwidth() == plotting.PAPER_WIDTHS["column"]
        assert plotting.smallest_font_pt(fig) >= plotting.MIN_FONT_PT
        ax.text(0.5, 0.5, "tiny", fontsize=6)
        assert plotting.smallest_font_pt(fig) == 6
    with pytest.raises(ValueError, match="size"):
        plotting.new_figure(size="poster")


def test_plot_methods_draw_the_same_data_as_the_functions():
    """``Frontier.plot`` and ``CurveEstimate.plot`` draw their own numbers (the errors
    OPT_k against k; the estimate Z_j against j), checked against the objects' arrays."""
    import mdmtheory as mt
    from mdmtheory import families
    from mdmtheory.montecarlo import estimate_information_curve
    from mdmtheory.optimal import optimal_frontier

    mu = families.binary_symmetric_chain(6, flip=0.2)
    Z = mt.information_curve(mu)
    fr = optimal_frontier(Z)
    ax = fr.plot(logy=False)
    drawn = False
    for line in ax.get_lines():
        x = np.asarray(line.get_xdata(), float)
        y = np.asarray(line.get_ydata(), float)
        if x.size >= 3 and np.all(x == np.round(x)) and x.min() >= 1 and x.max() <= fr.kmax:
            drawn |= bool(np.allclose(y, fr.errors[x.astype(int) - 1]))
    assert drawn
    est = estimate_information_curve(mu, n_draws=100, seed=1)
    ax = est.plot()
    ys = [np.asarray(line.get_ydata(), float) for line in ax.get_lines()]
    assert any(y.shape == est.Z.shape and np.allclose(y, est.Z) for y in ys)


def test_result_reprs_summarise():
    """Reprs show key figures, not internal integers or whole arrays."""
    import mdmtheory as mt
    from mdmtheory import families
    from mdmtheory.optimal import optimal_frontier, optimal_schedule

    Z = mt.information_curve(families.binary_symmetric_chain(8, flip=0.1))
    r = repr(optimal_schedule(Z, 3))
    assert "scaled_error" not in r and "scale=" not in r and "sizes=[" in r
    f = repr(optimal_frontier(Z))
    assert "OPT_1=" in f and "OPT_8=" in f
