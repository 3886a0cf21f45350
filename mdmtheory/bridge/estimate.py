"""Estimate the information curve ``Z`` of a real masked model, then a schedule.

The estimator
-------------
With ``Z_j = d_1 - d_j`` and ``d_j = E[H(X_i | X_A)]``, ``|A| = j-1``, ``i``
uniform outside ``A`` (Def 3 by the chain rule), a masked model and
samples ``x`` give ``d_j`` as the average entropy of the model's predictive at
masked positions given ``j-1`` revealed coordinates of ``x``.

One **row** ``r`` is one sequence ``x_r`` (length ``n_r``) and one uniform random
permutation ``pi_r`` of its positions.  Cell ``(r, j)`` is evaluated by
``b_j = max(1, ceil(positions_per_cell / m))`` passes, ``m = n_r - j + 1``
masked positions each: pass ``c`` masks a consecutive, wrapped chunk of ``m``
entries of ``pi_r``.  Every chunk is marginally a uniform ``m``-subset, so each
pass gives an unbiased draw of ``d_j`` -- the mean over its masked positions of

* ``form="entropy"``: the entropy of the model's predictive;
* ``form="cross_entropy"``: ``-log p(x_i | x_revealed)``;

and ``D[r, j-1]`` is the mean over the ``b_j`` passes.  Rows are i.i.d.: the
statistics are those of :func:`mdmtheory.montecarlo.curve_estimate_from_draws`.

Two sources of rows
-------------------
* :func:`estimate_from_rows` (the default of the CLI): the **sampling passes are
  the rows**.  The n-step sampler that draws ``x_r`` in order ``pi_r``
  (:func:`~mdmtheory.bridge.measured.sample_rows`) runs, at step ``a``, exactly
  the pass that masks ``pi_r(a..n-1)`` -- pass ``c = 0`` of cell ``j = a+1``.
  Only the extra tail passes (``c >= 1``, where few positions remain masked)
  cost anything.  For an exact oracle ``x`` does not depend on ``pi``, so these
  rows have the law of independent ones; for a learned model they estimate the
  curve seen along the sampler's own orders -- the one its measured loss
  (:mod:`mdmtheory.bridge.measured`) is paired with.
* :func:`estimate_model_curve`: given sequences (or a sampler callable),
  an independent ``pi_r`` per row and ``sum_j b_j`` new passes per row (the
  previous behaviour, kept for held-out data and for comparison).

Entropy vs cross-entropy form: both are unbiased for ``d_j`` when ``x`` is drawn
from the law whose conditionals the model computes.  For a model that is not
one joint law they differ, and neither is guaranteed; see
:mod:`mdmtheory.bridge.measured` and :mod:`mdmtheory.bridge.crossfit` for
the measured loss and the default form.

Lengths
-------
``lengths="common"``: all sequences have one length ``n`` (the setting of
Thm 4).  ``lengths="relative"``: sequences of different lengths are put on the
grid ``j = 1..n_ref`` (``n_ref`` = median length by default) by revealing
``j_r - 1 = round((j-1)(n_r-1)/(n_ref-1))`` positions of row ``r``; the result is
the length-mixture curve at matched *fractions* revealed, an approximation that
Thm 4 covers only per fixed length.  Either way batches mix lengths with right
padding (attention mask 0).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import torch

from ..montecarlo import CurveEstimate, curve_estimate_from_draws
from ..schedule import Schedule, as_schedule, left_riemann_error
from .batching import as_rows, pad_batch
from .models import MaskedModel, entropy_and_nll, masked_entropy_nll
from .precision import (AutocastWarning, autocast_context, dtype_name, float32_reference,
                        weights_dtype)

__all__ = [
    "AutocastWarning",
    "DEFAULT_FORM",
    "ModelCurveEstimate",
    "ErrorEstimate",
    "ScheduleEstimate",
    "autocast_context",
    "autocast_accuracy",
    "estimate_model_curve",
    "estimate_information_curve",
    "estimate_from_rows",
    "estimate_from_draws",
    "tail_draws",
    "predicted_error",
    "predicted_error_rows",
    "schedule_from_estimate",
    "row_plan",
]

FORMS = ("entropy", "cross_entropy")

#: The form used for schedules unless told otherwise (see :mod:`mdmtheory.bridge.crossfit`).
DEFAULT_FORM = "cross_entropy"

SequenceSource = (np.ndarray | Sequence[Sequence[int]]
                  | Callable[[int, np.random.SeedSequence], Any])

_as_rows = as_rows


# ============================================================================ pass plan
def _grid_to_length(n_grid: int, nx: int, mode: str) -> np.ndarray:
    """``j_x`` (1-based) for grid ``j = 1..n_grid`` on a sequence of length ``nx``."""
    g = np.arange(n_grid)
    if mode == "common":
        return g + 1
    if n_grid == 1:
        return np.ones(1, dtype=np.int64)
    return 1 + np.rint(g * (nx - 1) / (n_grid - 1)).astype(np.int64)


def _check_model(model) -> None:
    if not hasattr(model, "vocab_size") or not hasattr(model, "device"):
        raise TypeError(f"model must be a MaskedModel (vocab_size, device, ...), got "
                        f"{type(model).__name__}")


def _check_est(est):
    if not isinstance(est, ModelCurveEstimate):
        raise TypeError(f"est must be a ModelCurveEstimate, got {type(est).__name__}")
    return est


def row_plan(nx: int, n_grid: int, positions_per_cell: int, rng: np.random.Generator,
             mode: str = "common") -> tuple[np.ndarray, np.ndarray]:
    """Passes of one row: grid indices ``g`` (``j = g+1``) and masked sets.

    Returns
    -------
    cells : ndarray of int64, shape (J,)
        Grid index ``j - 1`` of each pass.
    masks : ndarray of bool, shape (J, nx)
        True at masked positions; pass ``c`` of cell ``j`` masks
        ``{i : (rank(i) - c m) mod nx < m}`` with ``m = nx - j_x + 1``.
    """
    from .._validation import as_choice, as_int

    nx = as_int(nx, "nx", minimum=1)
    mode = as_choice(mode, "mode", ("common", "relative"))
    n_grid = as_int(n_grid, "n_grid", minimum=1, maximum=nx if mode == "common" else None)
    positions_per_cell = as_int(positions_per_cell, "positions_per_cell", minimum=1)
    perm = rng.permutation(nx)
    rank = np.empty(nx, dtype=np.int64)
    rank[perm] = np.arange(nx)
    jx = _grid_to_length(n_grid, nx, mode)
    cells, masks = [], []
    for g in range(n_grid):
        m = nx - int(jx[g]) + 1
        b = max(1, -(-positions_per_cell // m))
        c = np.arange(b)[:, None]
        masks.append(((rank[None, :] - c * m) % nx) < m)
        cells.append(np.full(b, g, dtype=np.int64))
    return np.concatenate(cells), np.concatenate(masks, axis=0)


# ============================================================================ precision check
def autocast_accuracy(model: Any, sequences, autocast: str | None, *, passes: int = 64,
                      seed: int = 0, batch_size: int = 32) -> dict[str, Any]:
    """Per-position entropies/NLLs of the run's precision against a float32 reference.

    The *run* is ``model`` (its weight dtype) under ``autocast``; the reference
    is :func:`float32_reference` (a float32 copy of the weights when they are
    bf16/fp16) with no autocast.  ``passes`` random masked sets (uniform number
    of masked positions) are drawn on the given sequences and both are compared
    at every masked position.

    Returns
    -------
    dict
        ``run`` (weight dtype and autocast), ``reference`` (``'fp32'``),
        ``mean_abs_dH``, ``max_abs_dH``, ``mean_dH`` (signed: the bias of a
        ``d_j`` estimate), ``mean_abs_dNLL``, ``max_abs_dNLL``, ``positions``.

    Notes
    -----
    ``d_j`` is a mean of per-position entropies, so its precision error is
    bounded by ``max_abs_dH`` and is to first order the signed mean
    ``mean_dH``; ``Z_j = d_1 - d_j`` (Def 3 via the chain rule) cancels
    the part of that bias common to all ``j``.
    """
    ref = float32_reference(model)
    rows = as_rows(sequences, model.vocab_size)
    rng = np.random.default_rng(seed)
    dev = model.device
    diffs_H, diffs_N = [], []
    done = 0
    while done < passes:
        B = min(batch_size, passes - done)
        pick = rng.integers(len(rows), size=B)
        L = max(rows[k].size for k in pick)
        tok = np.zeros((B, L), dtype=np.int64)
        valid = np.zeros((B, L), dtype=bool)
        masked = np.zeros((B, L), dtype=bool)
        for b, k in enumerate(pick):
            nx = rows[k].size
            tok[b, :nx] = rows[k]
            valid[b, :nx] = True
            m = int(rng.integers(1, nx + 1))
            masked[b, rng.choice(nx, size=m, replace=False)] = True
        t, mk, va = (torch.as_tensor(a, device=dev) for a in (tok, masked, valid))
        lp_ref = ref.log_probs(t, mk, va).double()
        with autocast_context(dev, autocast):
            lp_run = model.log_probs(t, mk, va).double()
        H0, N0 = entropy_and_nll(lp_ref, t.to(lp_ref.device))
        H1, N1 = entropy_and_nll(lp_run, t.to(lp_run.device))
        sel = (mk & va).to(H0.device)
        diffs_H.append((H1 - H0)[sel].cpu().numpy())
        diffs_N.append((N1 - N0)[sel].cpu().numpy())
        done += B
    dH, dN = np.concatenate(diffs_H), np.concatenate(diffs_N)
    return {"run": {"weights": dtype_name(weights_dtype(model)), "autocast": autocast},
            "reference": "fp32", "autocast": autocast, "positions": int(dH.size),
            "mean_abs_dH": float(np.abs(dH).mean()), "max_abs_dH": float(np.abs(dH).max()),
            "mean_dH": float(dH.mean()), "mean_abs_dNLL": float(np.abs(dN).mean()),
            "max_abs_dNLL": float(np.abs(dN).max())}


# ============================================================================ results
@dataclass(frozen=True)
class ModelCurveEstimate:
    """The information curve of a masked model, both forms, with provenance.

    Attributes
    ----------
    entropy, cross_entropy : CurveEstimate
        Estimates from the entropy and the cross-entropy form of ``d_j``
        (``Z[j-1] = Z_j``, per-``j`` Student-t intervals at ``level``).
    draws_entropy, draws_cross_entropy : ndarray, shape (R, n)
        The i.i.d. rows ``D[r, j-1]`` behind them (used for the error of a
        schedule, :func:`predicted_error`).
    lengths : ndarray of int, shape (R,)
        Length of each row's sequence.
    n : int
        Grid size (the common length, or ``n_ref``).
    length_mode : str
        ``"common"`` or ``"relative"``.
    positions_per_cell : int
        See the module docstring.
    passes, positions : int
        Forward passes run **in total** (sampling passes included when the rows
        were sampled), and sequence positions processed (excluding special
        tokens and padding).
    seconds : float
        Wall-clock time in total (sampling included; the autocast check not).
    device, model_name : str
    autocast : str or None
    autocast_check : dict or None
        Output of :func:`autocast_accuracy` when autocast was used.
    seed : int
    row_ids : ndarray of int, shape (R,)
        Global index (seed) of each row.
    sampling_passes, sampling_seconds :
        The part of ``passes``/``seconds`` spent by the sampler that drew the
        sequences (0 when sequences were given).
    source : str
        ``"sampling-passes"`` (:func:`estimate_from_rows`) or ``"independent"``.
    weights : str or None
        Weight dtype of the network (``'fp32'``, ``'bf16'``, ...).
    """

    entropy: CurveEstimate
    cross_entropy: CurveEstimate
    draws_entropy: np.ndarray = field(repr=False)
    draws_cross_entropy: np.ndarray = field(repr=False)
    lengths: np.ndarray = field(repr=False)
    n: int
    length_mode: str
    positions_per_cell: int
    passes: int
    positions: int
    seconds: float
    device: str
    model_name: str
    autocast: str | None
    autocast_check: dict | None
    seed: int
    row_ids: np.ndarray | None = field(default=None, repr=False)
    sampling_passes: int = 0
    sampling_seconds: float = 0.0
    source: str = "independent"
    weights: str | None = None

    @property
    def n_rows(self) -> int:
        return int(self.draws_entropy.shape[0])

    def curve(self, form: str = "entropy") -> CurveEstimate:
        if form not in FORMS:
            raise ValueError(f"form must be one of {FORMS}, got {form!r}")
        return self.entropy if form == "entropy" else self.cross_entropy

    def draws(self, form: str = "entropy") -> np.ndarray:
        if form not in FORMS:
            raise ValueError(f"form must be one of {FORMS}, got {form!r}")
        return self.draws_entropy if form == "entropy" else self.draws_cross_entropy

    def __repr__(self) -> str:
        return (f"ModelCurveEstimate(model={self.model_name!r}, n={self.n}, "
                f"rows={self.n_rows}, passes={self.passes}, "
                f"sum_Z_entropy={float(np.sum(self.entropy.Z)):.6g}, "
                f"sum_Z_cross_entropy={float(np.sum(self.cross_entropy.Z)):.6g}, "
                f"device={self.device!r}, seconds={self.seconds:.3g})")

    def plot(self, ax=None, *, form: str | None = None, **kwargs):
        """Draw one form of the curve with its pointwise band.

        Calls :func:`mdmtheory.plotting.plot_curve_estimate` on
        :meth:`curve` ``(form)`` (default :data:`DEFAULT_FORM`); ``kwargs``
        (``color``, ``label``, ``truth``, ``base``, ``unit``) are passed on.
        The curve is in nats.  Returns the matplotlib ``Axes``.
        """
        from ..plotting import plot_curve_estimate

        form = DEFAULT_FORM if form is None else form
        kwargs.setdefault("label", f"{self.model_name}, {form.replace('_', '-')} form "
                                   f"({self.n_rows} rows)")
        return plot_curve_estimate(self.curve(form), ax, **kwargs)

    def max_halfwidth(self, form: str = "entropy") -> float:
        """Largest CI half-width of ``Z_j`` over ``j``."""
        c = self.curve(form)
        return float(np.max((c.Z_hi - c.Z_lo) / 2.0))

    @property
    def positions_per_second(self) -> float:
        return self.positions / self.seconds if self.seconds > 0 else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary (curves, intervals, provenance; not the draws)."""
        out: dict[str, Any] = {
            "n": self.n, "rows": self.n_rows, "length_mode": self.length_mode,
            "positions_per_cell": self.positions_per_cell, "passes": self.passes,
            "positions": self.positions, "seconds": self.seconds, "device": self.device,
            "model": self.model_name, "autocast": self.autocast,
            "autocast_check": self.autocast_check, "seed": self.seed,
            "lengths_min": int(self.lengths.min()), "lengths_max": int(self.lengths.max()),
            "sampling_passes": self.sampling_passes, "sampling_seconds": self.sampling_seconds,
            "source": self.source, "weights": self.weights,
        }
        for form in FORMS:
            c = self.curve(form)
            out[form] = {"Z": c.Z.tolist(), "Z_lo": c.Z_lo.tolist(), "Z_hi": c.Z_hi.tolist(),
                         "Z_se": c.Z_se.tolist(), "d": c.d.tolist(), "d_se": c.d_se.tolist(),
                         "Z_monotone": c.monotone().tolist(), "level": c.level,
                         "max_halfwidth": self.max_halfwidth(form)}
        return out


# ============================================================================ the estimator
def _batches(jobs: Iterator[tuple[int, int, np.ndarray, np.ndarray]], batch_size: int):
    buf = []
    for job in jobs:
        buf.append(job)
        if len(buf) == batch_size:
            yield buf
            buf = []
    if buf:
        yield buf


def _accumulate(model: MaskedModel, jobs, batch_size: int, autocast: str | None,
                fused: bool, sH: np.ndarray, sN: np.ndarray, cnt: np.ndarray, bar
                ) -> tuple[int, int]:
    """Run ``jobs`` = iterable of ``(k, g, x, mask)`` in batches; add each pass's mean
    entropy/NLL over its masked positions into ``sH[k, g]``/``sN[k, g]``."""
    dev = model.device
    n_pass = n_pos = 0
    for batch in _batches(jobs, batch_size):
        B = len(batch)
        tok, msk, val = pad_batch([j[2] for j in batch], [j[3] for j in batch])
        t, m_, v_ = (torch.as_tensor(a, device=dev) for a in (tok, msk, val))
        with autocast_context(dev, autocast):
            H, N = masked_entropy_nll(model, t, m_, v_, fused=fused)
        bidx = np.nonzero(msk & val)[0]
        cntm = np.bincount(bidx, minlength=B)
        mH = np.bincount(bidx, weights=H.double().cpu().numpy(), minlength=B) / cntm
        mN = np.bincount(bidx, weights=N.double().cpu().numpy(), minlength=B) / cntm
        for b, (k, g, _, _) in enumerate(batch):
            sH[k, g] += mH[b]
            sN[k, g] += mN[b]
            cnt[k, g] += 1
        n_pass += B
        n_pos += int(val.sum())
        if bar is not None:
            bar.update(B)
    return n_pass, n_pos


def _run_rows(model: MaskedModel, rows: list[np.ndarray], row_ids: list[int], n_grid: int,
              mode: str, ppc: int, seed: int, batch_size: int, autocast: str | None,
              bar, fused: bool = True) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Draw rows ``D`` (both forms) for the given sequences; returns (DH, DCE, passes, pos)."""
    R = len(rows)
    sH = np.zeros((R, n_grid))
    sN = np.zeros((R, n_grid))
    cnt = np.zeros((R, n_grid))

    def jobs():
        for k, (x, rid) in enumerate(zip(rows, row_ids)):
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(rid,)))
            cells, masks = row_plan(x.size, n_grid, ppc, rng, mode)
            for g, mk in zip(cells, masks):
                yield k, int(g), x, mk

    n_pass, n_pos = _accumulate(model, jobs(), batch_size, autocast, fused, sH, sN, cnt, bar)
    return sH / cnt, sN / cnt, n_pass, n_pos


def tail_plan(n: int, positions_per_cell: int, js=None) -> list[tuple[int, int]]:
    """Extra passes ``(a, c)`` (``a`` revealed, chunk ``c >= 1``) of a sampled row.

    Cell ``j = a + 1`` has ``m = n - a`` masked positions and needs
    ``b = max(1, ceil(positions_per_cell / m))`` passes; the sampler ran
    ``c = 0``, so ``c = 1..b-1`` remain.  ``js`` (1-based), optional: a grid of
    ``j`` values that get tail passes (for long sequences); the other cells keep
    their sampling pass only.
    """
    keep = None if js is None else {int(j) - 1 for j in js}
    if keep is not None and any(not 0 <= a < n for a in keep):
        raise ValueError(f"js must lie in [1, {n}]")
    out = []
    for a in range(n):
        if keep is not None and a not in keep:
            continue
        m = n - a
        b = max(1, -(-positions_per_cell // m))
        out.extend((a, c) for c in range(1, b))
    return out


def tail_draws(model: MaskedModel, rows, positions_per_cell: int, *, batch_size: int = 64,
               autocast: str | None = None, fused: bool = True, progress: bool = False,
               js=None) -> tuple[np.ndarray, np.ndarray, int]:
    """Rows ``D`` (both forms) of sampled rows: sampling passes plus tail passes.

    Returns ``(D_H, D_N, tail_passes)``; see :func:`estimate_from_rows`.
    """
    from tqdm.auto import tqdm

    from .._validation import as_int

    ppc = as_int(positions_per_cell, "positions_per_cell", minimum=1)
    R, n = rows.x.shape
    D0H, D0N = rows.curve_draws()
    sH, sN = D0H.copy(), D0N.copy()
    cnt = np.ones((R, n))
    plan = tail_plan(n, ppc, js)
    rank = np.empty_like(rows.order)
    np.put_along_axis(rank, rows.order, np.broadcast_to(np.arange(n), rows.order.shape), 1)

    def jobs():
        for k in range(R):
            for a, c in plan:
                m = n - a
                yield k, a, rows.x[k], ((rank[k] - a - c * m) % n) < m

    bar = tqdm(total=R * len(plan), desc=f"tail passes {model.name}", unit="pass",
               disable=not progress or not plan, leave=False)
    n_pass, _ = _accumulate(model, jobs(), batch_size, autocast, fused, sH, sN, cnt, bar)
    bar.close()
    return sH / cnt, sN / cnt, n_pass


def estimate_from_draws(model: MaskedModel, D_H: np.ndarray, D_N: np.ndarray, *,
                        row_ids, passes: int, sampling_passes: int, seconds: float,
                        sampling_seconds: float, positions_per_cell: int, seed: int,
                        level: float = 0.95, autocast: str | None = None
                        ) -> ModelCurveEstimate:
    """Wrap rows ``D`` of sampled rows (common length) into a :class:`ModelCurveEstimate`."""
    R, n = D_H.shape
    if R < 2:
        raise ValueError(f"need at least 2 rows, got {R}")
    return ModelCurveEstimate(
        entropy=curve_estimate_from_draws(D_H, level=level, form="entropy"),
        cross_entropy=curve_estimate_from_draws(D_N, level=level, form="cross_entropy"),
        draws_entropy=D_H, draws_cross_entropy=D_N, lengths=np.full(R, n),
        n=n, length_mode="common", positions_per_cell=int(positions_per_cell),
        passes=int(passes), positions=int(passes) * n, seconds=float(seconds),
        device=str(model.device), model_name=model.name, autocast=autocast,
        autocast_check=None, seed=int(seed), row_ids=np.asarray(row_ids),
        sampling_passes=int(sampling_passes), sampling_seconds=float(sampling_seconds),
        source="sampling-passes", weights=dtype_name(weights_dtype(model)))


def estimate_from_rows(model: MaskedModel, rows, *, positions_per_cell: int = 1,
                       batch_size: int = 64, level: float = 0.95,
                       autocast: str | None = None, fused: bool = True,
                       progress: bool = True, js=None) -> ModelCurveEstimate:
    """The curve from the sampler's own passes (plus tail passes): no pass is wasted.

    Parameters
    ----------
    model : MaskedModel
        The model that drew ``rows``.
    rows : SampledRows
        From :func:`mdmtheory.bridge.measured.sample_rows`; pass ``a`` of row
        ``r`` (``pi_r(0..a-1)`` revealed) is pass ``c = 0`` of cell ``j = a+1``.
    positions_per_cell : int
        As in :func:`estimate_model_curve`; the tail passes ``c >= 1``
        mask ``{i : (rank(i) - a - c m) mod n < m}`` (wrapped chunks of the
        sampling order, :func:`tail_plan`).
    fused : bool
        Entropy/NLL only at masked positions (see :mod:`mdmtheory.bridge.heads`).
    js : sequence of int, optional
        Grid of ``j`` values (1-based) that get tail passes; every ``j`` keeps its
        sampling pass (:func:`tail_plan`).

    Returns
    -------
    ModelCurveEstimate
        ``passes``/``seconds`` include the sampling; ``source="sampling-passes"``.
    """
    from .._validation import as_bool, as_int, as_level

    _check_model(model)
    if not hasattr(rows, "n_rows"):
        raise TypeError(f"rows must be SampledRows (from sample_rows), got "
                        f"{type(rows).__name__}")
    positions_per_cell = as_int(positions_per_cell, "positions_per_cell", minimum=1)
    batch_size = as_int(batch_size, "batch_size", minimum=1)
    level = as_level(level)
    fused = as_bool(fused, "fused")
    autocast_context(model.device, autocast)  # validates the autocast name (no side effect)
    if rows.n_rows < 2:
        raise ValueError(f"need at least 2 rows, got {rows.n_rows}")
    t0 = time.perf_counter()
    D_H, D_N, n_pass = tail_draws(model, rows, positions_per_cell, batch_size=batch_size,
                                  autocast=autocast, fused=fused, progress=progress, js=js)
    secs = time.perf_counter() - t0
    return estimate_from_draws(model, D_H, D_N, row_ids=rows.row_ids,
                               passes=rows.passes + n_pass, sampling_passes=rows.passes,
                               seconds=rows.seconds + secs, sampling_seconds=rows.seconds,
                               positions_per_cell=positions_per_cell, seed=rows.seed,
                               level=level, autocast=autocast)


def _passes_per_row(nx: int, n_grid: int, ppc: int, mode: str) -> int:
    jx = _grid_to_length(n_grid, nx, mode)
    m = nx - jx + 1
    return int(np.maximum(1, -(-ppc // m)).sum())


def estimate_model_curve(model: MaskedModel, sequences: SequenceSource, *,
                               num_sequences: int | None = None,
                               positions_per_cell: int = 1, batch_size: int = 64,
                               level: float = 0.95, seed: int = 0,
                               autocast: str | None = None, autocast_tolerance: float = 5e-3,
                               lengths: str = "common", n_ref: int | None = None,
                               target_halfwidth: float | None = None,
                               rows_per_round: int = 32, max_rows: int | None = None,
                               fused: bool = True, progress: bool = True
                               ) -> ModelCurveEstimate:
    """Estimate ``Z`` (both forms of ``d_j``) of a masked model, with intervals.

    Implements the Monte Carlo estimator of ``Z`` (Def 3) on a
    :class:`~mdmtheory.bridge.models.MaskedModel` (see the module docstring for
    the pass plan); the statistics are
    :func:`mdmtheory.montecarlo.curve_estimate_from_draws`.

    Parameters
    ----------
    model : MaskedModel
        Runs on ``model.device`` (CUDA when the model is there, else CPU).
    sequences : array (R, n), list of 1-D arrays, or callable
        Alphabet-index sequences ``x`` (one row each).  A callable
        ``more(num, seed_sequence) -> sequences`` is asked for more sequences in
        rounds of ``rows_per_round`` (e.g. a sampler of the model itself).
    num_sequences : int, optional
        Number of rows to use (default: all given; required for a callable
        without ``target_halfwidth``).
    positions_per_cell : int
        Masked positions evaluated per ``(row, j)`` cell at least (1 = one pass
        per cell; ``n`` = a full stratified sweep of the positions for every
        ``j``).  Cost per row ``sum_j max(1, ceil(ppc / (n-j+1)))`` passes.
    batch_size : int
        Forward passes per batch.
    level : float
        Confidence level of the per-``j`` intervals.
    seed : int
        Row ``r``'s permutation comes from ``SeedSequence(seed, spawn_key=(r,))``,
        so results do not depend on ``batch_size`` or rounds.
    autocast : {None, 'bf16', 'fp16'}
        Reduced-precision forward passes.  Before estimating, 64 random passes
        are compared with float32 (:func:`autocast_accuracy`); if the mean
        signed entropy shift exceeds ``autocast_tolerance`` nats an
        :class:`AutocastWarning` is issued.  The check is in the result.
    lengths : {'common', 'relative'}
        See the module docstring.  ``'common'`` refuses sequences of different
        lengths.
    n_ref : int, optional
        Grid size in ``'relative'`` mode (default: median length).
    target_halfwidth : float, optional
        Sequential stopping: add rounds of ``rows_per_round`` rows until the
        largest CI half-width of ``Z_j`` (entropy form) is at most this, or
        ``max_rows``/the supplied sequences run out.  (Stopping on the observed
        width is a sequential design: the intervals are then valid
        asymptotically, as the widths are estimated from many rows.)
    rows_per_round, max_rows : int
    fused : bool
        Entropy/NLL only at masked positions (LM head there only when the
        network is known, fused float64 entropy; see
        :mod:`mdmtheory.bridge.heads`).  ``False`` is the earlier path (full
        log-probabilities at every position), kept for comparison.
    progress : bool
        tqdm bar over forward passes.

    Returns
    -------
    ModelCurveEstimate

    Raises
    ------
    ValueError
        Bad arguments, fewer than 2 rows, mixed lengths in ``'common'`` mode,
        tokens outside the alphabet.
    """
    from tqdm.auto import tqdm

    if lengths not in ("common", "relative"):
        raise ValueError(f"lengths must be 'common' or 'relative', got {lengths!r}")
    from .._validation import as_float, as_int, as_level

    _check_model(model)
    positions_per_cell = as_int(positions_per_cell, "positions_per_cell", minimum=1)
    batch_size = as_int(batch_size, "batch_size", minimum=1)
    rows_per_round = as_int(rows_per_round, "rows_per_round", minimum=2)
    level = as_level(level)
    if target_halfwidth is not None:
        target_halfwidth = as_float(target_halfwidth, "target_halfwidth", minimum=0.0,
                                    strict_minimum=True)
    q = model.vocab_size
    dev = model.device
    src_callable = callable(sequences) and not isinstance(sequences, np.ndarray)
    pool: list[np.ndarray] = [] if src_callable else _as_rows(sequences, q)
    if src_callable and num_sequences is None and target_halfwidth is None:
        raise ValueError("with a callable source give num_sequences or target_halfwidth")
    cap = num_sequences if num_sequences is not None else (
        max_rows if max_rows is not None else (None if src_callable else len(pool)))
    if cap is not None and cap < 2:
        raise ValueError(f"need at least 2 sequences (rows), got {cap}")
    if not src_callable:
        if len(pool) < 2:
            raise ValueError(f"need at least 2 sequences (rows), got {len(pool)}")
        pool = pool[:cap]

    sampling = {"seconds": 0.0}

    def fetch(k0: int, num: int) -> list[np.ndarray]:
        if not src_callable:
            return pool[k0:k0 + num]
        ss = np.random.SeedSequence(seed, spawn_key=(2**31, k0))
        ts = time.perf_counter()
        out = _as_rows(sequences(num, ss), q)
        sampling["seconds"] += time.perf_counter() - ts
        return out

    # the clock includes every round of sampling, the first one too
    t0 = time.perf_counter()
    # first batch of rows fixes the grid
    first_n = cap if (target_halfwidth is None and cap is not None) else min(
        rows_per_round, cap if cap is not None else rows_per_round)
    rows = fetch(0, first_n)
    lens = [r.size for r in rows]
    if lengths == "common":
        n_grid = lens[0]
    else:
        n_grid = int(n_ref) if n_ref is not None else int(np.median(lens))
        if n_grid < 1:
            raise ValueError(f"n_ref must be >= 1, got {n_ref}")

    check = None
    t_check = 0.0
    if autocast is not None or weights_dtype(model) in (torch.bfloat16, torch.float16):
        autocast_context(dev, autocast)  # validates the name/device
        tc = time.perf_counter()
        check = autocast_accuracy(model, rows, autocast, seed=seed)
        t_check = time.perf_counter() - tc
        if abs(check["mean_dH"]) > autocast_tolerance:
            run = f"{dtype_name(weights_dtype(model))} weights" + (
                f" with {autocast} autocast" if autocast else "")
            warnings.warn(f"{run} shifts the mean per-position entropy by "
                          f"{check['mean_dH']:+.2e} nats (tolerance {autocast_tolerance:g}); "
                          "the d_j estimates are biased by about that much",
                          AutocastWarning, stacklevel=2)

    DH: list[np.ndarray] = []
    DN: list[np.ndarray] = []
    all_lens: list[int] = []
    passes = positions = 0
    bar = tqdm(desc=f"Z-curve {model.name}", unit="pass", disable=not progress, leave=False)
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    k0 = 0
    while True:
        if lengths == "common" and any(r.size != n_grid for r in rows):
            raise ValueError("sequences have different lengths; use lengths='relative' "
                             f"(got lengths {sorted(set(r.size for r in rows))[:8]})")
        bar.total = (bar.total or 0) + sum(_passes_per_row(r.size, n_grid, positions_per_cell,
                                                            lengths) for r in rows)
        bar.refresh()
        dh, dn, np_, npos = _run_rows(model, rows, list(range(k0, k0 + len(rows))), n_grid,
                                      lengths, positions_per_cell, seed, batch_size, autocast,
                                      bar, fused=fused)
        DH.append(dh)
        DN.append(dn)
        all_lens.extend(r.size for r in rows)
        passes += np_
        positions += npos
        k0 += len(rows)
        if target_halfwidth is None or (cap is not None and k0 >= cap):
            break
        if k0 >= 2:
            est = curve_estimate_from_draws(np.concatenate(DH), level=level, form="entropy")
            if float(np.max((est.Z_hi - est.Z_lo) / 2)) <= target_halfwidth:
                break
        num = rows_per_round if cap is None else min(rows_per_round, cap - k0)
        rows = fetch(k0, num)
        if not rows:
            break
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    seconds = time.perf_counter() - t0 - t_check
    bar.close()
    D_H, D_N = np.concatenate(DH), np.concatenate(DN)
    if D_H.shape[0] < 2:
        raise ValueError("need at least 2 rows")
    return ModelCurveEstimate(
        entropy=curve_estimate_from_draws(D_H, level=level, form="entropy"),
        cross_entropy=curve_estimate_from_draws(D_N, level=level, form="cross_entropy"),
        draws_entropy=D_H, draws_cross_entropy=D_N, lengths=np.asarray(all_lens),
        n=n_grid, length_mode=lengths, positions_per_cell=int(positions_per_cell),
        passes=passes, positions=positions, seconds=seconds, device=str(dev),
        model_name=model.name, autocast=autocast, autocast_check=check, seed=int(seed),
        row_ids=np.arange(D_H.shape[0]), sampling_seconds=sampling["seconds"],
        source="independent", weights=dtype_name(weights_dtype(model)))


# ============================================================================ schedules
@dataclass(frozen=True)
class ErrorEstimate:
    """Thm 4's predicted error of one schedule on an estimated curve.

    Attributes
    ----------
    schedule : Schedule
    value : float
        ``left_riemann_error`` on the monotone (isotonic) estimate of ``Z``.
    mean, se, lo, hi : float
        The error as a linear functional of the rows,
        ``err_r = sum_t [s_t D[r, a_t-1] - sum_{j in B_t} D[r, j-1]]``
        (Thm 4 with ``Z_j = d_1 - d_j``; ``d_1`` cancels), its standard error
        and Student-t interval at ``level``: an unbiased estimate of the
        schedule's true error with a valid CI (``mean`` may differ slightly from
        ``value``, which uses the projected curve).
    level : float
    form : str
    """

    schedule: Schedule
    value: float
    mean: float
    se: float
    lo: float
    hi: float
    level: float
    form: str


def predicted_error_rows(est: ModelCurveEstimate, schedule, *, form: str = DEFAULT_FORM
                         ) -> np.ndarray:
    """Per-row Thm 4 error ``err_r = sum_t sum_{j in B_t} (D[r, a_t-1] - D[r, j-1])``.

    Thm 4 with ``Z_j = d_1 - d_j`` is linear in the rows (``d_1`` cancels), so
    the mean of ``err_r`` is an unbiased estimate of the schedule's predicted
    error for a schedule fixed in advance.
    """
    D = _check_est(est).draws(form)
    s = as_schedule(schedule, est.n)
    starts = np.repeat(s.starts - 1, s.sizes)  # a_t - 1 for every j
    return (D[:, starts] - D).sum(axis=1)


def predicted_error(est: ModelCurveEstimate, schedule, *, form: str = DEFAULT_FORM,
                    level: float | None = None) -> ErrorEstimate:
    """Predicted ``E_S KL`` of a *fixed* ``schedule`` (Thm 4) with a Student-t CI.

    The interval is valid for a schedule chosen without looking at these rows;
    for a schedule optimised on them use
    :func:`mdmtheory.bridge.crossfit.crossfit_schedule`.
    """
    from scipy import stats

    from .._validation import as_level

    s = as_schedule(schedule, _check_est(est).n)
    lv = est.curve(form).level if level is None else as_level(level)
    err_rows = predicted_error_rows(est, s, form=form)
    R = err_rows.size
    mean = float(err_rows.mean())
    se = float(err_rows.std(ddof=1) / math.sqrt(R))
    tq = float(stats.t.ppf(0.5 + lv / 2, R - 1))
    value = left_riemann_error(est.curve(form).monotone(), s)
    return ErrorEstimate(schedule=s, value=value, mean=mean, se=se, lo=mean - tq * se,
                         hi=mean + tq * se, level=lv, form=form)


@dataclass(frozen=True)
class ScheduleEstimate:
    """The optimal k-step schedule for an estimated curve, with uncertainty.

    Attributes
    ----------
    k : int
    schedule : Schedule
        ``optimal_schedule`` (Thm 4 / Eq. (1) of Def 2) of the monotone
        estimate of ``Z``.
    error : ErrorEstimate
        Predicted error of that schedule on the rows that chose it (value on the
        estimate).  Its interval ignores the selection (winner's curse: about
        0.89 coverage at 40 rows on an oracle); use
        :func:`mdmtheory.bridge.crossfit.crossfit_schedule` for an honest one.
    opt_lo, opt_hi : float
        Percentile bootstrap interval (rows resampled, curve re-projected,
        schedule re-optimised) of the optimal error ``OPT_k``; it includes the
        selection effect of optimising on a noisy curve.
    n_boot : int
    """

    k: int
    schedule: Schedule
    error: ErrorEstimate
    opt_lo: float
    opt_hi: float
    n_boot: int


def schedule_from_estimate(est: ModelCurveEstimate, k: int, *, form: str = DEFAULT_FORM,
                           n_boot: int = 200, seed: int = 0) -> ScheduleEstimate:
    """``optimal_schedule`` on the estimated curve, with the predicted error and its CI."""
    from .._validation import as_int, as_seed
    from ..montecarlo import curve_estimate_from_draws as _ced
    from ..optimal import optimal_schedule

    _check_est(est)
    n_boot = as_int(n_boot, "n_boot", minimum=2)
    rng = as_seed(seed)

    Zm = est.curve(form).monotone()
    opt = optimal_schedule(Zm, k)
    err = predicted_error(est, opt.schedule, form=form)
    D = est.draws(form)
    boots = []
    for _ in range(n_boot):
        idx = rng.integers(D.shape[0], size=D.shape[0])
        Zb = _ced(D[idx], level=est.curve(form).level, form=form).monotone()
        boots.append(optimal_schedule(Zb, k).error)
    a = (1 - err.level) / 2
    lo, hi = (np.quantile(boots, [a, 1 - a]).tolist() if boots else (math.nan, math.nan))
    return ScheduleEstimate(k=int(k), schedule=opt.schedule, error=err, opt_lo=float(lo),
                            opt_hi=float(hi), n_boot=int(n_boot))


def estimate_information_curve(*args, **kwargs) -> ModelCurveEstimate:
    """Deprecated name of :func:`estimate_model_curve` (a torch model's curve).

    The old name is shared with :func:`mdmtheory.montecarlo.estimate_information_curve`
    (Monte Carlo over a distribution or an exact oracle), which takes other inputs and
    returns another type; use :func:`estimate_model_curve` for a model.
    """
    import warnings

    warnings.warn("mdmtheory.bridge.estimate_information_curve is deprecated: use "
                  "mdmtheory.bridge.estimate_model_curve (the Monte Carlo estimator over a "
                  "distribution is mdmtheory.estimate_information_curve)",
                  DeprecationWarning, stacklevel=2)
    return estimate_model_curve(*args, **kwargs)
