"""Monte Carlo estimation of the information curve for any model with an oracle.

Lemma 13 of the paper: entropy-profile form ``Z_j = d_1 - d_j``, and its
"practical estimator": with an MDM oracle and samples ``x ~ mu``, ``d_j`` is the
average entropy of the oracle's predicted marginal at a random masked ``i`` given
``j-1`` random revealed coordinates of ``x``.

The estimator
-------------
One *draw* ``r`` is a sample ``x ~ mu`` together with one uniform random permutation
``pi`` of the positions.  For ``j = 1..n`` the revealed set is the prefix
``S_j = {pi_1, ..., pi_{j-1}}`` (a uniform ``(j-1)``-subset) and the oracle is asked
for ``p(. | x_{S_j})`` at the masked positions.  The draw's estimate of ``d_j`` is

* ``form="entropy"``: ``H(p(. | x_{S_j}))`` at the masked position(s);
* ``form="cross_entropy"``: ``-log p(x_i | x_{S_j})`` at the masked position(s).

Both are unbiased for ``d_j = E[H(X_i | X_A)]`` (``|A| = j-1``, ``i`` uniform
outside ``A``): the first because ``E[H(p(.|x_S)) | S] = H(X_i | X_S)``, the
second because ``E[-log p(X_i | x_S) | x_S] = H(p(.|x_S))``.  With
``average_masked=True`` (default) the draw averages over *all* ``n-j+1`` masked
positions instead of the single position ``pi_j``; that is the conditional
expectation of the single-position estimate given ``(x, S_j)`` (``pi_j`` is
uniform on the complement of ``S_j``), so it is still unbiased and its variance
is never larger (Rao–Blackwell).

Shared randomness across ``j``: all ``n`` estimates in a row use the same ``x``
and nested prefix sets, so ``Z_j = d_1 - d_j`` is estimated by the *paired*
differences ``D[r, 0] - D[r, j-1]``.  Measured gain over an unpaired estimate
(``benchmarks/bench_montecarlo.py``): none where the per-draw ``d_1`` is exact (entropy
form with ``average_masked=True``: no token is revealed at ``j = 1``, so every draw
gets ``mean_i H(X_i)``); large for the cross-entropy form at small ``j`` (unpaired
s.e. 20x the paired one at ``j = 2`` on a Markov chain with ``n = 1000``), fading as
``j`` grows.  The large reduction on long sequences comes from ``average_masked``
(~4x in standard error for a Markov chain with ``n = 1000``).  Rows are i.i.d., so
per-``j`` Student-t confidence intervals are valid asymptotically (CLT).  They can
under-cover at small ``R`` when the per-draw values are very skewed: a rare
informative event, such as the single next position lying next to the one revealed
token in a long chain, or a rank increment near the top of a code's curve.  See
docs/structured.md, "Monte Carlo caveats".

Oracles
-------
An *oracle* is any ``callable(x_batch, revealed_mask) -> probs`` with ``x_batch``
of shape ``(B, n)`` (int), ``revealed_mask`` of shape ``(B, n)`` (bool, ``True`` =
revealed) and ``probs`` of shape ``(B, n, q)``: ``probs[b, i]`` is the model's
``p(X_i = . | X_S = x_S)`` for ``S = revealed_mask[b]``.  Rows of revealed
positions are ignored.  :class:`DistributionOracle` adapts a dense
:class:`~mdmtheory.Distribution` (exact conditionals, the perfect MDM of Def 11).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np

from ._validation import (
    as_bool,
    as_choice,
    as_int,
    as_int_array,
    as_level,
    as_real_array,
    as_seed,
    as_tokens,
    check_nbytes,
    check_table_size,
    log_base_factor,
    show,
)
from .distribution import Distribution
from .oracle import DistributionOracle
from .oracle import _axis_marginals as _all_axis_marginals

__all__ = [
    "CurveEstimate",
    "Oracle",
    "Sampler",
    "DistributionOracle",
    "curve_estimate_from_draws",
    "estimate_information_curve",
    "prefix_draws",
    "dense_prefix_draws",
    "isotonic_regression",
]

#: ``oracle(x_batch (B, n) int, revealed_mask (B, n) bool) -> (B, n, q) probabilities``.
Oracle = Callable[[np.ndarray, np.ndarray], np.ndarray]
#: ``sampler(size, rng) -> (size, n) int`` i.i.d. draws from ``mu``.
Sampler = Callable[[int, np.random.Generator], np.ndarray]

Form = Literal["entropy", "cross_entropy"]
_FORMS = ("entropy", "cross_entropy")

#: Tolerance on ``|sum_a probs[b, i, a] - 1|`` accepted from an oracle.  Exact
#: oracles are accurate to ~1e-15; 1e-6 also admits float32 model outputs upcast
#: to float64 (float32 softmax rows sum to 1 within ~1e-7 * q).
ORACLE_SUM_ATOL = 1e-6

#: Smallest CI half-width, relative to ``max(1, max|D|)``: absorbs floating-point
#: rounding where every draw agrees (zero sample variance).  Exact references are
#: differences of entropy sums accurate to ~1e-15 relative for n <= 14 and ~1e-13
#: at n = 10^4 (Markov kernel), so 1e-12 covers both with margin while staying
#: far below any statistical half-width.
ROUNDING_ALLOWANCE = 1e-12


# ============================================================================ result type
@dataclass(frozen=True)
class CurveEstimate:
    """A Monte Carlo estimate of the information curve with per-``j`` intervals.

    Attributes
    ----------
    Z : ndarray, shape (n,)
        Estimate of ``Z_j`` at index ``j-1``; ``Z[0] = Z_1 = 0`` exactly.
    Z_lo, Z_hi : ndarray, shape (n,)
        Two-sided Student-t confidence interval at ``level`` for each ``j``
        separately (raw, *not* simultaneous and not forced to be monotone); the
        half-width is at least ``ROUNDING_ALLOWANCE * max(1, max|D|)`` (1e-12, a
        floating-point allowance, see :data:`ROUNDING_ALLOWANCE`).
    Z_se : ndarray, shape (n,)
        Standard error of ``Z`` (paired differences ``d_1 - d_j`` across draws).
    d, d_se : ndarray, shape (n,)
        Estimates of ``d_j`` (Lemma 13) and their standard errors.
    n_draws : int
        Number of i.i.d. draws (rows) behind the estimate.
    level : float
        Confidence level of ``[Z_lo, Z_hi]``.
    form : str
        ``"entropy"`` or ``"cross_entropy"`` (see the module docstring).

    Notes
    -----
    Entries for ``j`` that were not evaluated (see ``js`` in
    :func:`estimate_information_curve`) are NaN.  Units are those of the draws
    (nats unless a ``base`` was given).
    """

    Z: np.ndarray
    Z_lo: np.ndarray
    Z_hi: np.ndarray
    Z_se: np.ndarray
    d: np.ndarray
    d_se: np.ndarray
    n_draws: int
    level: float
    form: str

    @property
    def n(self) -> int:
        """Sequence length."""
        return int(self.Z.shape[0])

    def covers(self, Z_exact) -> np.ndarray:
        """Boolean ``(n,)``: whether ``Z_lo[j] <= Z_exact[j] <= Z_hi[j]`` for each ``j``."""
        Ze = np.asarray(Z_exact, dtype=np.float64)
        if Ze.shape != self.Z.shape:
            raise ValueError(f"Z_exact must have shape {self.Z.shape}, got {Ze.shape}")
        return (self.Z_lo <= Ze) & (Ze <= self.Z_hi)

    def __repr__(self) -> str:
        hw = float(np.max(self.Z_hi - self.Z_lo)) / 2 if self.Z.size else float("nan")
        return (f"CurveEstimate(n={self.n}, Z_n={float(self.Z[-1]):.6g}, "
                f"sum Z={float(np.sum(self.Z)):.6g}, max half-width={hw:.3g}, "
                f"level={self.level:g}, n_draws={self.n_draws}, form={self.form!r})")

    def plot(self, ax=None, **kwargs):
        """Draw the estimate with its pointwise band (:func:`mdmtheory.plotting.plot_curve_estimate`).

        ``kwargs`` (``color``, ``label``, ``truth``, ``base``, ``unit``) are passed on.
        Returns the matplotlib ``Axes``.
        """
        from .plotting import plot_curve_estimate

        return plot_curve_estimate(self, ax, **kwargs)

    def monotone(self) -> np.ndarray:
        """Isotonic (monotone, non-negative) projection of :attr:`Z`.

        The weighted least-squares projection of ``Z_2..Z_n`` onto
        ``0 <= z_2 <= ... <= z_n`` with weights ``1 / Z_se**2`` (pool adjacent
        violators, then clipping at 0, which is the exact projection onto the
        cone with a lower bound), and ``Z_1 = 0``.  The true curve satisfies these
        constraints (``Z_1 = 0``, nondecreasing; Def 3), so the
        projection is never farther from it in the weighted norm than the raw
        estimate.  The raw per-``j`` intervals are *not* adjusted: report them
        alongside.  Unevaluated (NaN) entries stay NaN and are skipped.
        """
        out = np.array(self.Z, dtype=np.float64)
        ok = np.isfinite(out)
        ok[0] = False
        if ok.any():
            se = self.Z_se[ok]
            pos = se[se > 0]
            floor = (pos.min() if pos.size else 1.0) * 1e-3
            w = 1.0 / np.maximum(se, floor) ** 2
            out[ok] = np.maximum(isotonic_regression(out[ok], w), 0.0)
        out[0] = 0.0
        return out


def isotonic_regression(y, weights=None) -> np.ndarray:
    """Weighted least-squares nondecreasing fit (pool adjacent violators), O(n).

    Parameters
    ----------
    y : array_like, shape (n,)
    weights : array_like, shape (n,), optional
        Positive weights (default all 1).

    Returns
    -------
    ndarray, shape (n,)
        ``argmin_{z_1 <= ... <= z_n} sum_i w_i (z_i - y_i)^2``.
    """
    y = as_real_array(y, "y", finite=False, nonempty=False)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y.shape}")
    w = np.ones_like(y) if weights is None else as_real_array(weights, "weights", finite=False,
                                                               nonempty=False)
    if w.shape != y.shape:
        raise ValueError(f"weights must have shape {y.shape}, got {w.shape}")
    if not np.all(np.isfinite(y)) or not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ValueError("y must be finite and weights finite and positive")
    vals: list[float] = []
    wts: list[float] = []
    lens: list[int] = []
    for yi, wi in zip(y.tolist(), w.tolist()):
        vals.append(yi)
        wts.append(wi)
        lens.append(1)
        while len(vals) > 1 and vals[-2] > vals[-1]:
            v2, w2, l2 = vals.pop(), wts.pop(), lens.pop()
            v1, w1, l1 = vals.pop(), wts.pop(), lens.pop()
            ww = w1 + w2
            vals.append((w1 * v1 + w2 * v2) / ww)
            wts.append(ww)
            lens.append(l1 + l2)
    return np.repeat(np.array(vals), np.array(lens))


def _check_level(level: float) -> float:
    return as_level(level, "level")


def _check_form(form: str) -> str:
    return as_choice(form, "form", _FORMS)


def curve_estimate_from_draws(D: np.ndarray, *, level: float = 0.95,
                              form: str = "entropy") -> CurveEstimate:
    """Turn per-draw estimates of ``d_1..d_n`` into a :class:`CurveEstimate`.

    Parameters
    ----------
    D : ndarray, shape (R, n)
        ``D[r, j-1]`` = the ``r``-th draw's estimate of ``d_j``.  Draws must be
        i.i.d. across ``r``; within a row they may (and should) share randomness
        across ``j``.  A column that is entirely NaN marks an unevaluated ``j``;
        column 0 (``d_1``) must be finite.
    level : float
        Two-sided confidence level of the per-``j`` intervals (default 0.95).
    form : {"entropy", "cross_entropy"}
        Recorded in the result.

    Returns
    -------
    CurveEstimate
        ``Z_j = mean_r (D[r,0] - D[r,j-1])`` (Lemma 13: ``Z_j = d_1 - d_j``) with
        standard error ``sd / sqrt(R)`` of the paired differences and a
        Student-t interval with ``R-1`` degrees of freedom.

    Raises
    ------
    ValueError
        If ``D`` is not 2-D with at least 2 rows, has infinities, a partly-NaN
        column or a non-finite first column, or ``level``/``form`` is invalid.
    """
    level = _check_level(level)
    form = _check_form(form)
    D = as_real_array(D, "D", finite=False, nonempty=False)
    if D.ndim != 2 or D.shape[1] < 1:
        raise ValueError(f"D must have shape (R, n) with n >= 1, got {D.shape}")
    R, n = D.shape
    if R < 2:
        raise ValueError(f"need at least 2 draws for a standard error, got {R}")
    if np.isinf(D).any():
        raise ValueError("D contains infinite values (an oracle gave probability 0 to a "
                         "sampled token in the cross-entropy form?)")
    nan_cols = np.isnan(D)
    partial = nan_cols.any(axis=0) & ~nan_cols.all(axis=0)
    if partial.any():
        raise ValueError(f"D has NaN in some but not all rows of column(s) "
                         f"{np.flatnonzero(partial)[:5].tolist()}")
    if nan_cols[:, 0].any():
        raise ValueError("D[:, 0] (the d_1 estimates) must be finite")
    d = D.mean(axis=0)
    d_se = D.std(axis=0, ddof=1) / math.sqrt(R)
    diff = D[:, :1] - D
    Z = diff.mean(axis=0)
    Z_se = diff.std(axis=0, ddof=1) / math.sqrt(R)
    Z[0] = 0.0
    Z_se[0] = 0.0
    from scipy import stats  # imported here: scipy.stats costs ~0.5 s at import

    tq = float(stats.t.ppf(0.5 + level / 2.0, R - 1))
    # Floating-point allowance: when every draw gives the same Z_j (e.g. a curve
    # that is exactly flat there) the sample s.d. is pure rounding (~1e-16) and a
    # zero-width interval would miss an exact value computed by another route by a
    # few ulps.  The half-width is therefore at least ROUNDING_ALLOWANCE * max|D|
    # (Z_se itself is reported unchanged).
    half = np.maximum(tq * Z_se, ROUNDING_ALLOWANCE * max(1.0, float(np.nanmax(np.abs(D)))))
    half[0] = 0.0
    Z_lo, Z_hi = Z - half, Z + half
    for a in (Z, Z_lo, Z_hi, Z_se, d, d_se):
        a.setflags(write=False)
    return CurveEstimate(Z=Z, Z_lo=Z_lo, Z_hi=Z_hi, Z_se=Z_se, d=d, d_se=d_se,
                         n_draws=int(R), level=level, form=form)


# ============================================================================ oracles
def _entropy_rows(P: np.ndarray) -> np.ndarray:
    """``-sum_a P log P`` over the last axis with ``0 log 0 = 0`` (nats)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(P > 0, P * np.log(np.where(P > 0, P, 1.0)), 0.0)
    return -t.sum(axis=-1)


def _random_permutations(rng: np.random.Generator, B: int, n: int) -> np.ndarray:
    return np.argsort(rng.random((B, n)), axis=1)


def _check_js(js, n: int) -> np.ndarray:
    if js is None:
        return np.arange(1, n + 1)
    if isinstance(js, (str, bytes)) or not hasattr(js, "__iter__") and np.ndim(js) != 0:
        raise ValueError(f"js must be a collection of steps in 1..{n}, got {show(js)}")
    items = [js] if np.ndim(js) == 0 else list(js)
    if any(isinstance(v, (bool, np.bool_)) for v in items):
        raise ValueError(f"js must be integers in 1..{n}, not booleans: {show(items)}")
    arr = np.unique(as_int_array(items, "js"))
    if arr.size == 0 or arr.min() < 1 or arr.max() > n:
        raise ValueError(f"js must be values in 1..{n}, got {show(items)}")
    if arr[0] != 1:
        arr = np.concatenate([[1], arr])  # d_1 is needed for every Z_j = d_1 - d_j
    return arr


def _check_probs(P: np.ndarray, B: int, n: int) -> np.ndarray:
    P = np.asarray(P, dtype=np.float64)
    if P.ndim != 3 or P.shape[:2] != (B, n):
        raise ValueError(f"oracle must return shape (B, n, q) = ({B}, {n}, q); got {P.shape}")
    if not np.all(np.isfinite(P)):
        raise ValueError("oracle returned non-finite probabilities")
    if P.min() < -ORACLE_SUM_ATOL:
        raise ValueError(f"oracle returned negative probabilities (min {P.min()!r})")
    s = P.sum(axis=-1)
    if np.max(np.abs(s - 1.0)) > ORACLE_SUM_ATOL:
        raise ValueError(f"oracle rows must sum to 1 (tolerance {ORACLE_SUM_ATOL:g}); "
                         f"worst row sums to {s.flat[np.argmax(np.abs(s - 1.0))]!r}")
    return np.clip(P, 0.0, None)


def prefix_draws(oracle: Oracle, x: np.ndarray, perms: np.ndarray, *, form: str = "entropy",
                 average_masked: bool = True, js=None) -> np.ndarray:
    """Per-draw estimates ``D[r, j-1]`` of ``d_j`` from a generic oracle (nats).

    Parameters
    ----------
    oracle : Oracle
        ``oracle(x, revealed_mask) -> (B, n, q)``.
    x : ndarray of int, shape (B, n)
        One sample of ``mu`` per draw.
    perms : ndarray of int, shape (B, n)
        One permutation of ``range(n)`` per draw; the revealed set for ``d_j`` is
        ``perms[r, :j-1]`` and the single masked position (if
        ``average_masked=False``) is ``perms[r, j-1]``.
    form, average_masked, js
        See :func:`estimate_information_curve`.

    Returns
    -------
    ndarray, shape (B, n)
        Columns not in ``js`` are NaN.  One oracle call per evaluated ``j``.
    """
    form = _check_form(form)
    average_masked = as_bool(average_masked, "average_masked")
    if not callable(oracle):
        raise ValueError(f"oracle must be callable(x, revealed_mask), got {show(oracle)}")
    x = as_int_array(x, "x", minimum=0)
    perms = as_int_array(perms, "perms")
    if x.ndim != 2 or perms.shape != x.shape:
        raise ValueError(f"x and perms must have the same shape (B, n); got {x.shape}, "
                         f"{perms.shape}")
    B, n = x.shape
    if not np.array_equal(np.sort(perms, axis=1), np.broadcast_to(np.arange(n), (B, n))):
        raise ValueError("each row of perms must be a permutation of range(n)")
    js_arr = _check_js(js, n)
    rank = np.empty_like(perms)
    np.put_along_axis(rank, perms, np.broadcast_to(np.arange(n), (B, n)), axis=1)
    D = np.full((B, n), np.nan)
    rows = np.arange(B)
    for j in js_arr:
        mask = rank < (j - 1)
        P = _check_probs(oracle(x, mask), B, n)
        if average_masked:
            if form == "entropy":
                v = _entropy_rows(P)
            else:
                pi = np.take_along_axis(P, x[:, :, None], axis=2)[:, :, 0]
                with np.errstate(divide="ignore"):
                    v = -np.log(pi)
            v = np.where(mask, 0.0, v)
            D[:, j - 1] = v.sum(axis=1) / (n - (j - 1))
        else:
            i = perms[:, j - 1]
            Pi = P[rows, i]
            if form == "entropy":
                D[:, j - 1] = _entropy_rows(Pi)
            else:
                with np.errstate(divide="ignore"):
                    D[:, j - 1] = -np.log(Pi[rows, x[rows, i]])
    return D


def dense_prefix_draws(dist: Distribution, x: np.ndarray, perms: np.ndarray, *,
                       form: str = "entropy", average_masked: bool = True,
                       progress: bool = False) -> np.ndarray:
    """Per-draw estimates of ``d_j`` for a dense table, sharing work along each prefix.

    Exact conditionals by successive slicing: for one draw, the table conditioned
    on ``x_{pi_1..pi_{j-1}}`` is a *view* of the one conditioned on
    ``x_{pi_1..pi_{j-2}}``, and all its one-axis marginals come from
    :func:`_all_axis_marginals` in ``~2 q^(n-j+1)`` additions.  A draw therefore
    costs ``~2 q^n / (q-1)`` additions (the ``j=1`` marginals are shared by all
    draws), with no memory beyond the table: this is the path for tables too
    large for the exact ``(q+1)^n`` sweep, e.g. ``q = 2``, ``n = 24..26``.

    Parameters and return value as :func:`prefix_draws` (all ``j`` evaluated).
    """
    form = _check_form(form)
    average_masked = as_bool(average_masked, "average_masked")
    if not isinstance(dist, Distribution):
        dist = Distribution(dist)
    p = dist.p
    n = dist.n
    x = as_tokens(x, "x", dist.q)
    perms = as_int_array(perms, "perms")
    if x.ndim != 2 or x.shape[1] != n or perms.shape != x.shape:
        raise ValueError(f"x and perms must have shape (B, {n}); got {x.shape}, {perms.shape}")
    if not np.array_equal(np.sort(perms, axis=1), np.broadcast_to(np.arange(n), x.shape)):
        raise ValueError("each row of perms must be a permutation of range(n)")
    B = x.shape[0]
    marg0 = _all_axis_marginals(p)
    marg0 = marg0 / marg0[0].sum()
    H0 = _entropy_rows(marg0)
    D = np.empty((B, n))
    it = range(B)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc="dense MC draws", leave=False)
    for b in it:
        view = p
        free = list(range(n))  # positions still masked, in increasing order (= view axes)
        for j in range(1, n + 1):
            if j == 1:
                marg, H = marg0, H0
            else:
                marg = _all_axis_marginals(view)
                marg = marg / marg[0].sum()
                H = _entropy_rows(marg)
            i = int(perms[b, j - 1])
            ax = free.index(i)
            if average_masked:
                if form == "entropy":
                    D[b, j - 1] = H.mean()
                else:
                    with np.errstate(divide="ignore"):
                        D[b, j - 1] = -np.log(marg[np.arange(len(free)), x[b, free]]).mean()
            else:
                D[b, j - 1] = H[ax] if form == "entropy" else -math.log(marg[ax, x[b, i]]) \
                    if marg[ax, x[b, i]] > 0 else math.inf
            if j < n:
                view = view[(slice(None),) * ax + (int(x[b, i]),)]
                free.pop(ax)
    return D


# ============================================================================ driver
def _draw_samples(sampler_or_samples, n_draws: int | None, rng: np.random.Generator,
                  n_expected: int | None) -> np.ndarray:
    if callable(sampler_or_samples):
        if n_draws is None:
            raise ValueError("n_draws is required when a sampler is given")
        x = as_int_array(sampler_or_samples(n_draws, rng), "sampler output")
        if x.ndim != 2 or x.shape[0] != n_draws:
            raise ValueError(f"sampler(size, rng) must return shape ({n_draws}, n), "
                             f"got {x.shape}")
    else:
        x = as_int_array(sampler_or_samples, "samples")
        if x.ndim != 2:
            raise ValueError(f"samples must have shape (N, n), got {x.shape}")
        if n_draws is not None:
            if n_draws > x.shape[0]:
                raise ValueError(f"n_draws={n_draws} exceeds the {x.shape[0]} samples given")
            x = x[:n_draws]
    if not np.issubdtype(x.dtype, np.integer):
        if not np.all(np.isfinite(x)) or not np.all(x == np.round(x)):
            raise ValueError("samples must be integer token ids")
    x = x.astype(np.int64)
    if n_expected is not None and x.shape[1] != n_expected:
        raise ValueError(f"samples have length {x.shape[1]}, the model has n={n_expected}")
    if x.size and x.min() < 0:
        raise ValueError("samples must be non-negative token ids")
    return x


def estimate_information_curve(oracle, sampler_or_samples=None, n_draws: int | None = None,
                               seed=None, form: str = "entropy", *, level: float = 0.95,
                               average_masked: bool = True, batch_size: int = 256, js=None,
                               base: float | None = None, progress: bool = False
                               ) -> CurveEstimate:
    """Monte Carlo information curve ``Z`` with per-``j`` confidence intervals.

    Implements the practical estimator of Lemma 13: ``Z_j = d_1 - d_j``
    with ``d_j`` estimated from oracle conditionals at random prefixes of a random
    permutation, one permutation and one sample per draw (see the module
    docstring for why both forms are unbiased and how ``j`` shares randomness).

    Parameters
    ----------
    oracle : Oracle or Distribution
        ``oracle(x_batch (B, n) int, revealed_mask (B, n) bool) -> (B, n, q)``.
        A :class:`~mdmtheory.Distribution` is wrapped in :class:`DistributionOracle`;
        if its extended tensor is too large (``(q+1)^n > 2^24``) the table path
        :func:`dense_prefix_draws` is used instead, which shares the slicing
        along each prefix.
    sampler_or_samples : callable or array_like, optional
        ``sampler(size, rng) -> (size, n)`` (e.g. ``Distribution.sample``) or an
        ``(N, n)`` array of samples of ``mu`` used in order.  Defaults to
        ``oracle.sample`` for a Distribution.
    n_draws : int, optional
        Number of draws ``R`` (>= 2).  Required with a sampler; defaults to all
        rows of a sample array.
    seed : int or Generator, optional
        Seeds both the sampler and the permutations (reproducible).
    form : {"entropy", "cross_entropy"}
        Estimate ``d_j`` by the entropy of the predicted marginal or by the
        log-loss of the sampled token.  The entropy form has lower variance; the
        cross-entropy form is what a model's training loss measures (for a
        non-exact model it estimates ``d_j`` plus the model's average KL excess).
    level : float
        Confidence level of the per-``j`` intervals (default 0.95).
    average_masked : bool
        Average over all masked positions of each prefix (Rao–Blackwellised,
        default) or use only the next position of the permutation.
    batch_size : int
        Draws per oracle call.
    js : sequence of int, optional
        Evaluate only these ``j`` (1-based; ``j = 1`` is always added); other
        entries of the result are NaN.  Saves oracle calls on long sequences.
    base : float, optional
        Logarithm base of the result (default nats).
    progress : bool
        Show a tqdm progress bar over batches.

    Returns
    -------
    CurveEstimate
    """
    form = _check_form(form)
    level = _check_level(level)
    factor = log_base_factor(base)
    average_masked = as_bool(average_masked, "average_masked")
    batch_size = as_int(batch_size, "batch_size", minimum=1)
    rng = as_seed(seed)
    dense: Distribution | None = None
    if isinstance(oracle, Distribution):
        dense = oracle
        if sampler_or_samples is None:
            sampler_or_samples = dense.sample
        if (dense.q + 1) ** dense.n <= 2 ** 24:
            oracle = DistributionOracle(dense)
        else:
            check_table_size(dense.q, dense.n, what="dense table for Monte Carlo")
    elif not callable(oracle):
        raise ValueError("oracle must be callable(x, revealed_mask) or a Distribution")
    if sampler_or_samples is None:
        raise ValueError("a sampler or an array of samples is required for a non-table oracle")
    if n_draws is not None:
        n_draws = as_int(n_draws, "n_draws", minimum=2)
        n_pos = dense.n if dense is not None else 1
        # samples, permutations and per-draw estimates: ~3 int64/float64 per draw and position
        check_nbytes(24.0 * n_draws * n_pos, what=f"n_draws={n_draws:,} Monte Carlo draws")
    x = _draw_samples(sampler_or_samples, n_draws, rng,
                      dense.n if dense is not None else None)
    R, n = x.shape
    if R < 2:
        raise ValueError(f"need at least 2 draws, got {R}")
    perms = _random_permutations(rng, R, n)
    use_table = dense is not None and not isinstance(oracle, DistributionOracle)
    if use_table and js is not None:
        raise ValueError("js is not supported on the dense-table path (it evaluates all j)")
    D = np.empty((R, n))
    starts = range(0, R, batch_size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="MC information curve", leave=False)
    for s in starts:
        sl = slice(s, min(s + batch_size, R))
        if use_table:
            D[sl] = dense_prefix_draws(dense, x[sl], perms[sl], form=form,
                                       average_masked=average_masked)
        else:
            D[sl] = prefix_draws(oracle, x[sl], perms[sl], form=form,
                                 average_masked=average_masked, js=js)
    D /= factor
    return curve_estimate_from_draws(D, level=level, form=form)
