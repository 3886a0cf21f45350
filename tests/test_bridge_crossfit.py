"""Cross-fitted schedule error, simultaneous band, diagnostics (Thm 4).

Truth on exact oracles: ``information_curve`` and ``left_riemann_error`` (Thm 4).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mdmtheory import families, information_curve  # noqa: E402
from mdmtheory.bridge.crossfit import (FormsDisagreeWarning, crossfit_schedule,  # noqa: E402
                                       error_rows, isotonic_curve, schedule_report,
                                       simultaneous_band)
from mdmtheory.bridge.estimate import estimate_from_rows  # noqa: E402
from mdmtheory.bridge.measured import sample_rows  # noqa: E402
from mdmtheory.bridge.models import OracleModel  # noqa: E402
from mdmtheory.montecarlo import isotonic_regression as pav  # noqa: E402
from mdmtheory.schedule import compositions, left_riemann_error  # noqa: E402


def _draws(trial: int, rows: int = 40, n: int = 8):
    mu = families.random_dirichlet(n, 2, alpha=0.5, seed=10_000 + trial)
    m = OracleModel(mu)
    r = sample_rows(m, rows, n, seed=trial, batch_size=rows, progress=False)
    return information_curve(mu), estimate_from_rows(m, r, progress=False)


def _coverage(trials, form, k=3):
    cov, naive = [], []
    for t in trials:
        Z, est = _draws(t)
        cf = crossfit_schedule(est.draws(form), k, seed=t)
        theta = np.mean([left_riemann_error(Z, s) for s in cf.fold_schedules])
        cov.append(cf.lo <= theta <= cf.hi)
        full = left_riemann_error(Z, cf.schedule)
        naive.append(cf.naive[1] <= full <= cf.naive[2])
    return float(np.mean(cov)), float(np.mean(naive))


def test_crossfit_coverage_fast():
    cov, _ = _coverage(range(30), "cross_entropy")
    assert cov >= 0.86, cov  # nominal >= 0.95: at most 4 misses in 30 trials


@pytest.mark.slow
@pytest.mark.parametrize("form", ["cross_entropy", "entropy"])
def test_crossfit_coverage_300_trials(form):
    """Must reach: >= 0.93 over 300 seeded oracle trials (n = 8, 40 rows, k = 3)."""
    cov, naive = _coverage(range(300), form)
    print(f"{form}: cross-fitted coverage {cov:.3f}, same-rows coverage {naive:.3f}")
    assert cov >= 0.93, cov


def test_error_rows_on_exact_rows_is_thm_1_4():
    """Rows equal to the exact d_j give exactly Thm 4's error for every composition."""
    mu = families.random_dirichlet(6, 3, alpha=0.6, seed=2)
    Z = information_curve(mu)
    D = np.tile(1.0 - Z, (4, 1))  # d_j = d_1 - Z_j with d_1 = 1
    for s in compositions(6):
        np.testing.assert_allclose(error_rows(D, s), left_riemann_error(Z, s), atol=1e-12)


def test_isotonic_curve_matches_pool_adjacent_violators():
    """scipy's isotonic regression against the package's own PAV (independent code)."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        Z = np.concatenate([[0.0], np.cumsum(rng.normal(0.05, 0.1, 9))])
        se = rng.uniform(0.01, 0.1, 10)
        got = isotonic_curve(Z, se)
        ref = np.concatenate([[0.0], np.maximum(pav(Z[1:], 1 / se[1:] ** 2), 0.0)])
        np.testing.assert_allclose(got, ref, atol=1e-10)
        assert got[0] == 0 and np.all(np.diff(got) >= -1e-15) and got.min() >= 0


def _band_trial(t: int, rows: int, n: int):
    mu = families.random_dirichlet(n, 2, alpha=0.5, seed=30_000 + t)
    m = OracleModel(mu)
    r = sample_rows(m, rows, n, seed=t, batch_size=rows, progress=False)
    return information_curve(mu), estimate_from_rows(m, r, batch_size=rows,
                                                     progress=False).draws("cross_entropy")


@pytest.mark.parametrize("trials, rows, n", [(40, 30, 5),
                                             pytest.param(300, 60, 8, marks=pytest.mark.slow)])
def test_simultaneous_band_covers_the_whole_curve(trials, rows, n):
    """Whole-curve coverage of the default band on exact oracles (a new law per trial).

    Pass mark from a binomial bound, not from a measured number: if the band covered
    at its nominal 0.95, fewer than ``binom(trials, 0.95).ppf(0.001)`` hits would
    happen with probability <= 0.001.  The pointwise intervals read simultaneously
    must do clearly worse (the band is not the pointwise intervals)."""
    from scipy import stats

    hits, point = [], []
    for t in range(trials):
        Z, D = _band_trial(t, rows, n)
        lo, hi, c = simultaneous_band(D, n_boot=500, seed=t)
        hits.append(bool(np.all((lo[1:] <= Z[1:]) & (Z[1:] <= hi[1:]))))
        Zr = D[:, :1] - D
        Zh, se = Zr.mean(0), Zr.std(0, ddof=1) / np.sqrt(rows)
        point.append(bool(np.all(np.abs(Zh - Z)[1:] <= stats.t.ppf(0.975, rows - 1) * se[1:])))
    need = stats.binom.ppf(0.001, trials, 0.95)
    print(f"simultaneous band: {sum(hits)}/{trials} (need >= {need:.0f}); pointwise "
          f"intervals read simultaneously {sum(point)}/{trials}")
    assert sum(hits) >= need, (sum(hits), need)
    assert sum(hits) > sum(point)


def test_bonferroni_critical_value_is_the_t_quantile():
    """c = t_{R-1}(1 - alpha/(2m)) by scipy, m counted from the data (a constant column
    and Z_1 do not count); band = Z_hat +- c se with Z_hat, se recomputed here."""
    from scipy import stats

    rng = np.random.default_rng(4)
    R, n = 25, 7
    D = rng.gamma(0.5, size=(R, n)).cumsum(axis=1)
    D[:, 3] = D[:, 0]  # Z_4 = 0 on every row: se = 0
    for level in (0.9, 0.95, 0.99):
        lo, hi, c = simultaneous_band(D, level=level, method="bonferroni")
        m = n - 2
        assert c == pytest.approx(stats.t.ppf(1 - (1 - level) / (2 * m), R - 1), rel=1e-12)
        Zr = D[:, :1] - D
        Zh, se = Zr.mean(0), Zr.std(0, ddof=1) / np.sqrt(R)
        np.testing.assert_allclose(lo, Zh - c * se, atol=1e-12)
        np.testing.assert_allclose(hi, Zh + c * se, atol=1e-12)
        assert lo[3] == hi[3] == 0.0


@pytest.mark.parametrize("method", ["multiplier_t", "rademacher_t", "min",
                                    "bootstrap_t_corrected"])
def test_one_column_gives_the_student_t_quantile(method):
    """With one unknown (n = 2), or all columns copies of one, the max-|t| is one |t|:
    the t-corrected multiplier value is t_{R-1}(0.975) up to Monte Carlo error
    (sd of the 0.95-quantile of |N(0,1)| from 20 000 draws: about 0.013; tolerance
    0.06); the corrected bootstrap-t is at least that quantile minus the same."""
    from scipy import stats

    rng = np.random.default_rng(5)
    R = 40
    x = rng.normal(size=(R, 1))
    for D in (np.hstack([x, x - rng.normal(size=(R, 1))]),
              np.hstack([x] + [x - rng.normal(size=(R, 1))] * 4)):
        c = simultaneous_band(D, method=method, n_boot=20_000, seed=1)[2]
        tq = stats.t.ppf(0.975, R - 1)
        if method == "bootstrap_t_corrected":
            assert c >= tq - 0.06, c
        else:
            assert abs(c - tq) < 0.06, (c, tq)


def test_band_methods_order():
    """min never exceeds the union bound; every simultaneous value exceeds the pointwise
    Student-t quantile on correlated columns."""
    from scipy import stats

    from mdmtheory.bridge.crossfit import BAND_METHODS

    rng = np.random.default_rng(6)
    D = rng.gamma(0.5, size=(50, 9)).cumsum(axis=1)
    c = {m: simultaneous_band(D, method=m, seed=2)[2] for m in BAND_METHODS}
    assert c["min"] <= c["bonferroni"] + 1e-12
    assert all(v > stats.t.ppf(0.975, 49) for v in c.values()), c


@pytest.mark.parametrize("method", ["bootstrap_t_corrected", "bootstrap_t", "bootstrap_se"])
def test_band_on_four_discrete_rows_is_finite(method):
    """Four rows of few distinct values (many resamples have a constant column): the
    band is finite, contains the estimate, and is exactly 0 at Z_1."""
    D = np.array([[1.0, 0.5, 0.5, 0.0], [1.0, 1.0, 0.5, 0.0], [0.0, 0.0, 0.0, 0.0],
                  [1.0, 0.5, 0.5, 0.5]])
    lo, hi, c = simultaneous_band(D, method=method, seed=0)
    Zh = (D[:, :1] - D).mean(0)
    assert np.isfinite(c) and np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))
    assert lo[0] == hi[0] == 0.0 and np.all((lo <= Zh) & (Zh <= hi))


def test_band_bad_input():
    D = np.random.default_rng(0).normal(size=(10, 4))
    with pytest.raises(ValueError, match="method"):
        simultaneous_band(D, method="max_t")
    with pytest.raises(ValueError, match="method"):
        simultaneous_band(D, method=None)
    with pytest.raises(ValueError, match="n_boot"):
        simultaneous_band(D, n_boot=0)
    with pytest.raises(ValueError, match="level"):
        simultaneous_band(D, level=1.0)
    with pytest.raises(ValueError, match="R >= 4"):
        simultaneous_band(D[:3])
    with pytest.raises(ValueError, match="D"):
        simultaneous_band(np.full((10, 4), np.nan))


class _Tempered:
    def __init__(self, mu, beta):
        self.inner, self.beta = OracleModel(mu), beta
        self.vocab_size, self.name, self.device = mu.q, "tempered", torch.device("cpu")

    def log_probs(self, tokens, masked, valid=None):
        return torch.log_softmax(self.beta * self.inner.log_probs(tokens, masked, valid), -1)


def test_report_warns_when_forms_disagree():
    mu = families.random_dirichlet(8, 2, alpha=0.5, seed=3)
    m = _Tempered(mu, 3.0)
    rows = sample_rows(m, 800, 8, seed=1, batch_size=400, progress=False)
    est = estimate_from_rows(m, rows, batch_size=400, progress=False)
    with pytest.warns(FormsDisagreeWarning):
        lines, notes = schedule_report(est, [1, 2], rows=rows, usual_steps=4)
    names = [ln.name for ln in lines]
    assert names == ["optimal k=1", "uniform k=1", "cosine k=1", "optimal k=2", "uniform k=2",
                     "cosine k=2", "usual (uniform) k=4"]
    assert all(ln.measured is not None for ln in lines)


def test_report_says_when_intervals_cannot_rank():
    """8 rows cannot rank the schedules; 2000 rows of the same oracle can."""
    few = schedule_report(_draws(7, rows=8)[1], [3], warn=False)[1]
    assert any("too wide to rank" in s for s in few), few
    many = schedule_report(_draws(7, rows=2000)[1], [3], warn=False)[1]
    assert not any("too wide to rank" in s for s in many), many


def test_report_notes_useless_intervals_plumbing():
    """Plumbing: the "wider than the error itself" note appears exactly for the lines
    whose interval contains 0 with a half-width above the estimate (8 rows)."""
    lines, notes = schedule_report(_draws(3, rows=8)[1], [2, 3, 5], warn=False)
    useless = {ln.name for ln in lines
               if ln.lo <= 0 <= ln.hi and ln.estimate > 0 and (ln.hi - ln.lo) / 2 > ln.estimate}
    noted = {s.split(":")[0] for s in notes if "wider than the error itself" in s}
    assert noted == useless


def test_bad_input():
    D = np.zeros((3, 5))
    with pytest.raises(ValueError, match="R >= 4"):
        crossfit_schedule(D, 2)
    with pytest.raises(ValueError, match="combine"):
        crossfit_schedule(np.zeros((8, 5)), 2, combine="mean")
    with pytest.raises(ValueError, match="k must be <= n"):
        crossfit_schedule(np.zeros((8, 5)), 6)
