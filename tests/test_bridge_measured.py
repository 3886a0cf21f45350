"""The measured loss of arXiv Def 1.1 on exact oracles, against independent truths.

Truths: Thm 1.4 on the exact curve (``information_curve`` + ``left_riemann_error``,
itself checked against the exhaustive sampler in the core tests) for the random-order
k-step sampler, and a brute-force enumeration of all ``q**n`` sequences from the joint
table for the top-confidence sampler.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mdmtheory import families, information_curve  # noqa: E402
from mdmtheory.bridge.estimate import estimate_from_rows  # noqa: E402
from mdmtheory.bridge.measured import (compare_schedules, confidence_nll,  # noqa: E402
                                       sample_rows, t_interval)
from mdmtheory.bridge.models import OracleModel, sample_one_token_per_step  # noqa: E402
from mdmtheory.optimal import optimal_schedule  # noqa: E402
from mdmtheory.schedule import left_riemann_error  # noqa: E402
from mdmtheory.schedule_rules import masking_schedule, uniform_schedule  # noqa: E402

N = 8


def _schedules(Z):
    out = {}
    for k in (2, 3, 4):
        out[f"uniform k={k}"] = uniform_schedule(N, k)
        out[f"cosine k={k}"] = masking_schedule(N, k, "cosine")
        out[f"optimal k={k}"] = optimal_schedule(Z, k).schedule
    return out


def test_sampler_rows_are_the_one_token_per_step_sampler():
    """Plumbing: sample_rows draws the very sequences of sample_one_token_per_step
    (same per-row seeds), whatever the batch size."""
    mu = families.random_dirichlet(6, 3, alpha=0.7, seed=1)
    m = OracleModel(mu)
    a = sample_rows(m, 20, 6, seed=4, batch_size=7, progress=False)
    b = sample_one_token_per_step(m, 20, 6, seed=4, batch_size=20, progress=False)
    np.testing.assert_array_equal(a.x, b)
    # the stored and the re-scored NLLs agree (two code paths for the same numbers)
    c = sample_rows(m, 20, 6, seed=4, batch_size=20, store_bytes=0, progress=False)
    np.testing.assert_array_equal(c.x, a.x)
    np.testing.assert_allclose(c.nll, a.nll, atol=1e-12, equal_nan=True)
    assert c.passes == 2 * a.passes


def test_oracle_predicted_and_measured_agree():
    """Must reach: on an exact oracle, Thm 1.4 on Z^H, on Z^CE and the measured loss
    (same-order likelihood ratio) all cover the exact E_S KL for uniform, cosine and
    optimal schedules at k = 2, 3, 4 (n = 8).  Intervals are Bonferroni-adjusted over
    the 27 (schedule, estimate) pairs, so the test fails with probability <= 0.05 if
    all estimators are right, and fails surely if one is biased by a few se."""
    mu = families.random_dirichlet(N, 2, alpha=0.5, seed=3)
    Z = information_curve(mu)
    m = OracleModel(mu)
    rows = sample_rows(m, 1500, N, seed=11, batch_size=500, progress=False)
    est = estimate_from_rows(m, rows, positions_per_cell=2, batch_size=500, progress=False)
    sch = _schedules(Z)
    level = 1 - 0.05 / (3 * len(sch))
    for row in compare_schedules(rows, est, sch, level=level):
        exact = left_riemann_error(Z, row.schedule)
        for what in ("pred_entropy", "pred_cross_entropy", "measured"):
            mean, lo, hi = getattr(row, what)
            assert lo <= exact <= hi, (row.name, what, mean, exact)
        # the intervals are informative: half-width below half the value
        assert row.measured[2] - row.measured[1] < exact


class _Tempered:
    """The oracle's conditionals raised to a power and renormalised: not the
    conditionals of any one joint law (a model that is not consistent)."""

    def __init__(self, mu, beta):
        self.inner, self.beta = OracleModel(mu), beta
        self.vocab_size, self.name, self.device = mu.q, "tempered", torch.device("cpu")

    def log_probs(self, tokens, masked, valid=None):
        return torch.log_softmax(self.beta * self.inner.log_probs(tokens, masked, valid), -1)


def test_inconsistent_model_is_detected():
    """Negative control: for a model whose conditionals are not one law, the measured
    loss departs from Thm 1.4's entropy-form prediction beyond the intervals (so the
    agreement test above has power)."""
    mu = families.random_dirichlet(N, 2, alpha=0.5, seed=3)
    m = _Tempered(mu, 3.0)
    rows = sample_rows(m, 1500, N, seed=11, batch_size=500, progress=False)
    est = estimate_from_rows(m, rows, batch_size=500, progress=False)
    res = compare_schedules(rows, est, {"u2": uniform_schedule(N, 2)})
    r = res[0]
    assert not (r.pred_entropy[1] <= r.measured[0] <= r.pred_entropy[2]
                and r.measured[1] <= r.pred_entropy[0] <= r.measured[2])


def _brute_confidence_kl(mu, sizes):
    """KL(mu || nu_conf) by enumerating every x, conditionals from the joint table."""
    n, q = mu.n, mu.q
    P = np.asarray(mu.p, dtype=np.float64).reshape((q,) * n)
    kl = 0.0
    for x in itertools.product(range(q), repeat=n):
        px = P[x]
        if px == 0:
            continue
        revealed: list[int] = []
        logq = 0.0
        for st in sizes:
            idx = tuple(x[i] if i in revealed else slice(None) for i in range(n))
            sub = P[idx]
            free = [i for i in range(n) if i not in revealed]
            marg = {}
            for ax, i in enumerate(free):
                other = tuple(a for a in range(len(free)) if a != ax)
                v = sub.sum(axis=other)
                marg[i] = v / v.sum()
            conf = sorted(free, key=lambda i: (-marg[i].max(), i))
            chosen = conf[:st]
            logq += sum(np.log(marg[i][x[i]]) for i in chosen)
            revealed += chosen
        kl += px * (np.log(px) - logq)
    return kl


def test_confidence_sampler_matches_enumeration():
    mu = families.random_dirichlet(6, 2, alpha=0.5, seed=21)
    m = OracleModel(mu)
    rows = sample_rows(m, 4000, 6, seed=2, batch_size=1000, progress=False)
    for sizes in ([3, 3], [2, 2, 2], [1, 2, 3]):
        exact = _brute_confidence_kl(mu, sizes)
        cn, passes = confidence_nll(m, rows.x, sizes, batch_size=1000)
        assert passes == 4000 * len(sizes)
        mean, se, _, _ = t_interval(cn - rows.sequential_nll())
        assert abs(mean - exact) <= 3.5 * se, (sizes, mean, exact, se)


def test_measured_rows_by_hand():
    """One row's same-order log-likelihood ratio, recomputed from the oracle directly."""
    mu = families.random_dirichlet(5, 3, alpha=0.8, seed=5)
    m = OracleModel(mu)
    rows = sample_rows(m, 3, 5, seed=0, progress=False)
    r = 1
    x, order = rows.x[r], rows.order[r]
    sizes = [2, 3]
    total = 0.0
    revealed = np.zeros(5, dtype=bool)
    for st in sizes:
        lp = m.log_probs(torch.as_tensor(x[None]), torch.as_tensor(~revealed[None]))[0]
        block = order[revealed.sum():revealed.sum() + st]
        total -= float(lp[block, x[block]].sum())
        revealed[block] = True
    seq = 0.0
    for t in range(5):
        mk = np.ones(5, dtype=bool)
        mk[order[:t]] = False
        lp = m.log_probs(torch.as_tensor(x[None]), torch.as_tensor(mk[None]))[0]
        seq -= float(lp[order[t], x[order[t]]])
    assert rows.measured_kl_rows(sizes)[r] == pytest.approx(total - seq, abs=1e-12)


def test_tail_passes_on_a_grid_of_j():
    """Tail passes only on the grid; other cells keep exactly their sampling pass, and each
    tail pass adds a disjoint chunk (by hand for one cell)."""
    mu = families.random_dirichlet(6, 2, alpha=0.7, seed=4)
    m = OracleModel(mu)
    rows = sample_rows(m, 5, 6, seed=1, progress=False)
    full = estimate_from_rows(m, rows, positions_per_cell=6, progress=False)
    grid = estimate_from_rows(m, rows, positions_per_cell=6, progress=False, js=[5, 6])
    D0H, _ = rows.curve_draws()
    np.testing.assert_array_equal(grid.draws_entropy[:, :4], D0H[:, :4])
    np.testing.assert_allclose(grid.draws_entropy[:, 4:], full.draws_entropy[:, 4:], atol=1e-14)
    # passes: j = 5 (m = 2) needs 3, j = 6 (m = 1) needs 6 -> 2 + 5 tail passes per row
    assert grid.passes - rows.passes == 5 * 7
    with pytest.raises(ValueError, match="js must lie"):
        estimate_from_rows(m, rows, positions_per_cell=6, progress=False, js=[7])
