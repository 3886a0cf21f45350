"""The measured loss of a schedule, by definition (Def 1), on any masked model.

The samplers
------------
For a masked model ``p`` and a uniform random order ``pi`` of the ``n``
positions, the *n-step* (one-token-per-step) sampler draws ``x_{pi_t}`` from
``p(. | x_{pi_<t})`` for ``t = 1..n``; its law given ``pi`` is
``nu_n^pi(x) = prod_t p(x_{pi_t} | x_{pi_<t})``.  The *k-step* sampler of a
schedule ``s`` (Def 1) reveals the blocks ``S_t = pi(B_t)`` of the same
order, each position of a block drawn independently from ``p(. | x_{U_t})``,
``U_t = pi(B_1 u ... u B_{t-1})``: ``nu_s^pi(x) = prod_t prod_{i in S_t}
p(x_i | x_{U_t})``.  (``pi`` cut into consecutive blocks of sizes ``s`` *is* a
uniform ordered partition with those sizes.)

The measured loss
-----------------
    L(s) = E_pi KL(nu_n^pi || nu_s^pi)
         = E_pi E_{x ~ nu_n^pi} [ log nu_n^pi(x) - log nu_s^pi(x) ],

estimated by its definition: each row draws ``pi`` and ``x`` with the n-step
sampler and scores ``x`` under the k-step sampler **with the same order**
(the same-order likelihood ratio).  Both log-likelihoods come from the sampling
passes themselves -- pass ``a`` of the sampler (``pi_<a`` revealed) is the pass
of every block that starts at ``a`` -- so one sampled row gives ``L(s)`` for
every schedule at no extra forward pass.  Rows are i.i.d., so the mean has a
Student-t interval.

For an exact oracle ``p = mu`` every ``nu_n^pi`` is ``mu`` and ``L(s)`` is
Def 1's ``E_S KL(mu || nu^S)``, which Thm 4 predicts exactly.  For a
learned model whose conditionals are not those of one joint law (BERT-like
models in general), ``nu_n^pi`` depends on ``pi`` and ``L(s)`` is the loss of the
k-step sampler against the n-step sampler *run in the same order* -- the only
pairing under which both likelihoods are computable.  Thm 4 then has no
guarantee; :func:`compare_schedules` reports the ratio measured / predicted.

The confidence sampler
----------------------
:func:`confidence_nll` scores ``x`` under the usual "top-confidence" sampler
with the same step sizes: at step ``t`` the ``s_t`` masked positions whose
predictive has the largest maximum probability are revealed (ties to the lower
position), their tokens drawn from the model's conditionals (temperature 1,
so the sampler has a likelihood; LLaDA's low-confidence remasking and Dream's
``maskgit_plus`` choose positions this way).  ``E[log nu_n^pi(x) - log
nu_conf(x)]`` over the same rows is its measured loss against the n-step
sampler: what a user's confidence sampler costs at the same ``k``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch

from .._validation import (as_int, as_level, as_real_array, as_tokens, check_nbytes)
from ..schedule import Schedule, as_schedule
from .models import MaskedModel, masked_entropy_nll, masked_log_probs
from .precision import autocast_context

__all__ = ["SampledRows", "sample_rows", "row_rng", "confidence_nll", "t_interval",
           "ComparisonRow", "compare_schedules", "comparison_table"]

#: Memory budget (bytes) of the per-batch store of sampling log-probabilities
#: ``(B, n, n, q)`` float64; above it the NLLs are recomputed by a scoring pass.
STORE_BYTES = 512 * 2**20


def row_rng(seed: int, row_id: int) -> np.random.Generator:
    """Generator of row ``row_id``: ``SeedSequence(seed, spawn_key=(row_id,))``.

    The order ``pi`` is its first draw (``permutation(n)``), the sampling
    uniforms its second (``random(n)``): row ``r`` depends on nothing but
    ``(seed, r)`` -- not on the batch, the round, or the process that runs it.
    """
    seed = as_int(seed, "seed", minimum=0)
    row_id = as_int(row_id, "row_id", minimum=0)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(row_id,)))


def _check_model(model) -> None:
    if not hasattr(model, "vocab_size") or not hasattr(model, "device"):
        raise TypeError(f"model must be a MaskedModel (vocab_size, device, ...), got "
                        f"{type(model).__name__}")


def diagonal_nll(nll: np.ndarray) -> np.ndarray:
    """Per row ``sum_t nll[r, t, t]``: the one-token-per-step sampler's NLL from the passes
    ``nll[r, a, j] = -log p(x_{pi_j} | x_{pi_<a})``."""
    return np.einsum("raa->r", nll)


def schedule_nll(nll: np.ndarray, schedule) -> np.ndarray:
    """Per row the NLL of the ``k``-step sampler of ``schedule`` on the same order: every
    position of step ``t``'s block scored at the pass of the block's start."""
    n = nll.shape[1]
    s = as_schedule(schedule, n)
    a = np.repeat(s.starts - 1, s.sizes)  # a_t - 1 of the block of each j
    return nll[:, a, np.arange(n)].sum(axis=1)


@dataclass(frozen=True)
class SampledRows:
    """Rows of the n-step sampler with all of its passes.

    Attributes
    ----------
    x : ndarray (R, n) of int64
        Sampled sequences (alphabet indices).
    order : ndarray (R, n) of int64
        ``order[r, t]`` = the position revealed at step ``t`` (0-based), i.e. ``pi_r``.
    ent, nll : ndarray (R, n, n) of float64
        ``ent[r, a, t]`` = entropy and ``nll[r, a, t] = -log p(x_{pi_t} | x_{pi_<a})``
        of the model's predictive at position ``pi_t`` when ``pi_<a`` is
        revealed, for ``t >= a`` (NaN below the diagonal).
    row_ids : ndarray (R,) of int64
        Global row indices (the seeds of the rows).
    seed : int
    passes : int
        Forward passes spent (``R n`` sampling passes, plus ``R n`` scoring
        passes when the log-probabilities did not fit in memory).
    seconds : float
    """

    x: np.ndarray
    order: np.ndarray
    ent: np.ndarray = field(repr=False)
    nll: np.ndarray = field(repr=False)
    row_ids: np.ndarray
    seed: int
    passes: int
    seconds: float

    @property
    def n(self) -> int:
        return int(self.x.shape[1])

    @property
    def n_rows(self) -> int:
        return int(self.x.shape[0])

    def sequential_nll(self) -> np.ndarray:
        """``-log nu_n^pi(x)`` per row (the diagonal ``a = t``)."""
        return diagonal_nll(self.nll)

    def schedule_nll(self, schedule) -> np.ndarray:
        """``-log nu_s^pi(x)`` per row: step ``t``'s block scored at its start pass."""
        return schedule_nll(self.nll, schedule)

    def measured_kl_rows(self, schedule) -> np.ndarray:
        """Same-order log-likelihood ratio per row; its mean estimates ``L(s)``."""
        return self.schedule_nll(schedule) - self.sequential_nll()

    def curve_draws(self) -> tuple[np.ndarray, np.ndarray]:
        """Estimation rows of ``d_j`` from the sampling passes, both forms.

        Pass ``a`` masks ``{pi_a, ..., pi_{n-1}}``: its mean entropy (NLL) over
        those positions is one draw of ``d_{a+1}`` (``j - 1 = a`` revealed).
        """
        with np.errstate(invalid="ignore"):
            return np.nanmean(self.ent, axis=2), np.nanmean(self.nll, axis=2)

    def subset(self, idx) -> "SampledRows":
        idx = np.asarray(idx)
        return SampledRows(self.x[idx], self.order[idx], self.ent[idx], self.nll[idx],
                           self.row_ids[idx], self.seed, self.passes, self.seconds)

    @staticmethod
    def concatenate(parts: Sequence["SampledRows"]) -> "SampledRows":
        if not parts:
            raise ValueError("parts must be non-empty")
        cat = np.concatenate
        return SampledRows(cat([p.x for p in parts]), cat([p.order for p in parts]),
                           cat([p.ent for p in parts]), cat([p.nll for p in parts]),
                           cat([p.row_ids for p in parts]), parts[0].seed,
                           sum(p.passes for p in parts), sum(p.seconds for p in parts))


def _sample_batch(model: MaskedModel, n: int, rids: Sequence[int], seed: int,
                  autocast: str | None, store: bool, bar) -> tuple:
    B, dev, q = len(rids), model.device, model.vocab_size
    rngs = [row_rng(seed, r) for r in rids]
    order = np.stack([g.permutation(n) for g in rngs])
    u = np.stack([g.random(n) for g in rngs])
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(n), (B, n)), 1)
    tok = torch.zeros((B, n), dtype=torch.long, device=dev)
    masked = torch.ones((B, n), dtype=torch.bool, device=dev)
    ent = np.full((B, n, n), np.nan)
    lps = np.zeros((B, n, n, q)) if store else None
    ar = np.arange(B)
    passes = 0
    for a in range(n):
        with autocast_context(dev, autocast):
            lp = masked_log_probs(model, tok, masked).double()
        m = n - a
        lp = lp.reshape(B, m, q)
        # masked positions of row b in increasing position order, and their steps
        pos = np.sort(order[:, a:], axis=1)
        steps = np.take_along_axis(rank, pos, 1)
        logp = lp.cpu().numpy()
        p = np.exp(logp)
        H = -np.where(p > 0, p * logp, 0.0).sum(-1)
        ent[ar[:, None], a, steps] = H
        if store:
            lps[ar[:, None], a, steps] = logp
        k = np.argmax(steps == a, axis=1)  # where the step-a position sits
        probs = p[ar, k]
        cdf = np.cumsum(probs, axis=1)
        draw = np.minimum((cdf < (u[:, a] * cdf[:, -1])[:, None]).sum(1), q - 1)
        where = torch.as_tensor(order[:, a], device=dev)
        art = torch.as_tensor(ar, device=dev)
        tok[art, where] = torch.as_tensor(draw, device=dev)
        masked[art, where] = False
        passes += B
        if bar is not None:
            bar.update(B)
    x = tok.cpu().numpy()
    nll = np.full((B, n, n), np.nan)
    if store:
        xo = np.take_along_axis(x, order, 1)  # x at pi_t
        for a in range(n):
            nll[:, a, a:] = -np.take_along_axis(lps[:, a, a:, :], xo[:, a:, None], 2)[..., 0]
    else:  # scoring passes: the same masked sets, the sampled x now known
        xt = torch.as_tensor(x, device=dev)
        for a in range(n):
            mk = torch.as_tensor(rank >= a, device=dev)
            with autocast_context(dev, autocast):
                _, N = masked_entropy_nll(model, xt, mk)
            N = N.cpu().numpy().reshape(B, n - a)
            pos = np.sort(order[:, a:], axis=1)
            nll[ar[:, None], a, np.take_along_axis(rank, pos, 1)] = N
            passes += B
    return x, order, ent, nll, passes


def sample_rows(model: MaskedModel, num: int, length: int, *, seed: int = 0,
                row_offset: int = 0, row_ids: Sequence[int] | None = None,
                batch_size: int = 64, autocast: str | None = None,
                store_bytes: int = STORE_BYTES, progress: bool = True) -> SampledRows:
    """Draw rows with the n-step sampler and keep every pass (see module docstring).

    Parameters
    ----------
    model : MaskedModel
    num, length : int
        Number of rows and sequence length ``n``.
    seed : int
        Row ``r`` uses :func:`row_rng` ``(seed, r)``: the same sequences as
        :func:`~mdmtheory.bridge.models.sample_one_token_per_step` with
        ``seed=seed`` (rows ``0..num-1``).
    row_offset, row_ids :
        Global row indices (default ``row_offset + arange(num)``).
    batch_size : int
        Rows per forward pass.
    autocast : {None, 'bf16', 'fp16'}
    store_bytes : int
        Budget of the ``(B, n, n, q)`` float64 log-probability store; above it
        the NLLs are recomputed with one scoring pass per sampling pass.

    Returns
    -------
    SampledRows
    """
    from tqdm.auto import tqdm

    _check_model(model)
    num = as_int(num, "num", minimum=1)
    length = as_int(length, "length", minimum=1)
    check_nbytes(8.0 * num * length * 4, what=f"{num} rows of length {length}")
    batch_size = as_int(batch_size, "batch_size", minimum=1)
    seed = as_int(seed, "seed", minimum=0)
    row_offset = as_int(row_offset, "row_offset", minimum=0)
    store_bytes = as_int(store_bytes, "store_bytes", minimum=0)
    ids = (np.arange(num) + row_offset) if row_ids is None else np.asarray(row_ids)
    if ids.shape != (num,):
        raise ValueError(f"row_ids must have {num} entries, got shape {ids.shape}")
    q = model.vocab_size
    B = min(batch_size, num)
    store = B * length * length * q * 8 <= store_bytes
    bar = tqdm(total=num * length * (1 if store else 2), desc=f"sampling {model.name}",
               unit="pass", disable=not progress, leave=False)
    t0 = time.perf_counter()
    parts = []
    passes = 0
    for b0 in range(0, num, batch_size):
        rid = ids[b0:b0 + batch_size]
        x, order, ent, nll, p = _sample_batch(model, length, rid.tolist(), seed, autocast,
                                              store, bar)
        parts.append((x, order, ent, nll))
        passes += p
    bar.close()
    cat = np.concatenate
    return SampledRows(cat([p[0] for p in parts]), cat([p[1] for p in parts]),
                       cat([p[2] for p in parts]), cat([p[3] for p in parts]),
                       ids.astype(np.int64), int(seed), passes, time.perf_counter() - t0)


def confidence_nll(model: MaskedModel, x: np.ndarray, schedule, *, batch_size: int = 64,
                   autocast: str | None = None) -> tuple[np.ndarray, int]:
    """``-log nu_conf(x)`` per row for the top-confidence sampler with sizes ``schedule``.

    Teacher-forced: step ``t`` reveals the ``s_t`` masked positions of largest
    ``max_a p(a | x_{U_t})`` (ties to the lower position) and adds
    ``-log p(x_i | x_{U_t})`` of each.  The choice of ``S_t`` depends only on
    ``x_{U_t}``, so ``nu_conf`` is a probability law (it sums to 1).

    Returns
    -------
    (nll, passes) : ndarray (R,), int
    """
    _check_model(model)
    x = as_tokens(x, "x", model.vocab_size, ndim=2)
    batch_size = as_int(batch_size, "batch_size", minimum=1)
    R, n = x.shape
    s = as_schedule(schedule, n)
    dev, q = model.device, model.vocab_size
    out = np.zeros(R)
    passes = 0
    for b0 in range(0, R, batch_size):
        xb = x[b0:b0 + batch_size]
        B = xb.shape[0]
        masked = np.ones((B, n), dtype=bool)
        xt = torch.as_tensor(xb, device=dev)
        for st in s.sizes:
            with autocast_context(dev, autocast):
                lp = masked_log_probs(model, xt, torch.as_tensor(masked, device=dev))
            m = int(masked[0].sum())
            lp = lp.double().cpu().numpy().reshape(B, m, q)
            pos = np.nonzero(masked)[1].reshape(B, m)  # increasing positions
            conf = lp.max(-1)
            pick = np.argsort(-conf, axis=1, kind="stable")[:, :st]
            chosen = np.take_along_axis(pos, pick, 1)
            tx = np.take_along_axis(xb, chosen, 1)
            out[b0:b0 + B] -= np.take_along_axis(
                np.take_along_axis(lp, pick[..., None], 1), tx[..., None], 2)[..., 0].sum(1)
            np.put_along_axis(masked, chosen, False, 1)
            passes += B
    return out, passes


def t_interval(v: np.ndarray, level: float = 0.95) -> tuple[float, float, float, float]:
    """``(mean, se, lo, hi)``: Student-t interval of the mean of i.i.d. ``v``."""
    from scipy import stats

    v = as_real_array(v, "v")
    level = as_level(level)
    R = v.size
    mean = float(v.mean())
    if R < 2:
        return mean, math.nan, math.nan, math.nan
    se = float(v.std(ddof=1) / math.sqrt(R))
    tq = float(stats.t.ppf(0.5 + level / 2, R - 1))
    return mean, se, mean - tq * se, mean + tq * se


@dataclass(frozen=True)
class ComparisonRow:
    """One schedule: Thm 4's two predictions beside the measured loss.

    Every triple is ``(mean, lo, hi)`` in nats (Student-t, ``level``).
    ``ratio_entropy`` / ``ratio_cross_entropy`` are measured / predicted with a
    paired percentile-bootstrap interval over rows; ``confidence`` is the
    measured loss of the top-confidence sampler with the same sizes (or None).
    """

    name: str
    schedule: Schedule
    pred_entropy: tuple[float, float, float]
    pred_cross_entropy: tuple[float, float, float]
    measured: tuple[float, float, float]
    ratio_entropy: tuple[float, float, float]
    ratio_cross_entropy: tuple[float, float, float]
    confidence: tuple[float, float, float] | None
    level: float

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "k": self.schedule.k, "sizes": self.schedule.tolist(),
                "pred_entropy": list(self.pred_entropy),
                "pred_cross_entropy": list(self.pred_cross_entropy),
                "measured": list(self.measured), "ratio_entropy": list(self.ratio_entropy),
                "ratio_cross_entropy": list(self.ratio_cross_entropy),
                "confidence": None if self.confidence is None else list(self.confidence),
                "level": self.level}


def _ratio_ci(num: np.ndarray, den: np.ndarray, level: float, rng, n_boot: int,
              paired: bool) -> tuple[float, float, float]:
    r = float(num.mean() / den.mean()) if den.mean() != 0 else math.nan
    i = rng.integers(num.size, size=(n_boot, num.size))
    j = i if paired else rng.integers(den.size, size=(n_boot, den.size))
    with np.errstate(divide="ignore", invalid="ignore"):
        b = num[i].mean(1) / den[j].mean(1)
    a = (1 - level) / 2
    lo, hi = np.nanquantile(b, [a, 1 - a])
    return r, float(lo), float(hi)


def compare_schedules(rows: SampledRows, est, schedules: dict[str, Any], *,
                      model: MaskedModel | None = None, level: float = 0.95,
                      n_boot: int = 2000, seed: int = 0, batch_size: int = 64,
                      autocast: str | None = None,
                      confidence_names: Sequence[str] | None = None) -> list[ComparisonRow]:
    """Predicted (Thm 4 on ``Z^H`` and on ``Z^CE``) vs measured loss, per schedule.

    Parameters
    ----------
    rows : SampledRows
        Rows of the n-step sampler (the measured loss, :func:`sample_rows`).
    est : ModelCurveEstimate
        Curve estimate (same length ``n``); when it was built from ``rows``
        (:func:`~mdmtheory.bridge.estimate.estimate_from_rows`) the two share
        rows and the ratio intervals are paired.
    schedules : dict name -> Schedule or sizes
    model : MaskedModel, optional
        When given, the top-confidence sampler with the same sizes is scored
        too (``k`` passes per row and schedule).
    confidence_names : sequence of str, optional
        Score the confidence sampler only for these schedule names (default all).

    Returns
    -------
    list of ComparisonRow
    """
    from .estimate import predicted_error_rows

    if est.n != rows.n:
        raise ValueError(f"curve has n={est.n} but the rows have n={rows.n}")
    paired = (est.n_rows == rows.n_rows and getattr(est, "row_ids", None) is not None
              and np.array_equal(est.row_ids, rows.row_ids))
    rng = np.random.default_rng(seed)
    seq = rows.sequential_nll()
    out = []
    for name, sched in schedules.items():
        s = as_schedule(sched, rows.n)
        meas = rows.schedule_nll(s) - seq
        pH = predicted_error_rows(est, s, form="entropy")
        pC = predicted_error_rows(est, s, form="cross_entropy")
        m = t_interval(meas, level)
        h = t_interval(pH, level)
        c = t_interval(pC, level)
        conf = None
        if model is not None and (confidence_names is None or name in confidence_names):
            cn, _ = confidence_nll(model, rows.x, s, batch_size=batch_size, autocast=autocast)
            cc = t_interval(cn - seq, level)
            conf = (cc[0], cc[2], cc[3])
        out.append(ComparisonRow(
            name, s, (h[0], h[2], h[3]), (c[0], c[2], c[3]), (m[0], m[2], m[3]),
            _ratio_ci(meas, pH, level, rng, n_boot, paired),
            _ratio_ci(meas, pC, level, rng, n_boot, paired), conf, level))
    return out


def comparison_table(rows: Sequence[ComparisonRow]) -> str:
    """Markdown table of :func:`compare_schedules` (nats, intervals at ``level``)."""
    def f(t):
        return f"{t[0]:.3f} [{t[1]:.3f}, {t[2]:.3f}]"

    def g(t):
        return f"{t[0]:.2f} [{t[1]:.2f}, {t[2]:.2f}]"

    head = ["schedule", "k", "pred. Thm 4 on Z^H", "pred. Thm 4 on Z^CE",
            "measured (Def 1, same order)", "measured / pred. Z^H",
            "measured / pred. Z^CE", "top-confidence sampler, same sizes"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        conf = f(r.confidence) if r.confidence is not None else "-"
        lines.append(f"| {r.name} | {r.schedule.k} | {f(r.pred_entropy)} | "
                     f"{f(r.pred_cross_entropy)} | {f(r.measured)} | {g(r.ratio_entropy)} | "
                     f"{g(r.ratio_cross_entropy)} | {conf} |")
    return "\n".join(lines)
