"""A **plumbing** check: sequential vs parallel NLL on independent orders.

This is *not* a test of Thm 4 on a real model.  For a sequence ``x`` and a
uniform random order ``pi`` **drawn independently of x**, the sequential
(one-token-per-step) NLL is

    seq(x, pi) = - sum_t log p(x_{pi_t} | x_{pi_<t}),

and the parallel NLL under a k-step schedule ``s`` with ``S_t = pi(B_t)`` is

    par_s(x, pi) = - sum_t sum_{i in S_t} log p(x_i | x_{U_t}),  U_t = pi_<a_t.

For **any** masked model and any law of ``x`` with ``pi`` independent of ``x``,

    E[par_s - seq] = sum_t sum_{j in B_t} (d^CE_{a_t} - d^CE_j)
                   = Thm 4 applied to the cross-entropy-form curve Z^CE,

because position ``pi_j`` given ``pi_<a`` is uniform outside it.  So
:func:`plumbing_identity_check` agrees with Thm 4 on ``Z^CE`` by an
algebraic identity: it checks that the passes, the schedule bookkeeping and the
curve estimator are wired consistently, nothing more.  The measured loss of
Def 1 on a real model -- ``x`` drawn by the model's n-step sampler *in
the order* ``pi`` and scored by the k-step sampler with the same ``pi`` -- is
:mod:`mdmtheory.bridge.measured`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from .._validation import as_int, as_level
from ..schedule import Schedule, as_schedule
from .batching import as_rows as _as_rows
from .estimate import ModelCurveEstimate, predicted_error
from .measured import diagonal_nll, schedule_nll
from .precision import autocast_context
from .models import MaskedModel, entropy_and_nll

__all__ = ["SequentialPasses", "sequential_passes", "DirectKL", "plumbing_identity_kl",
           "ValidationRow", "plumbing_identity_check", "validation_table"]


@dataclass(frozen=True)
class SequentialPasses:
    """Per-position NLLs and entropies of ``R`` sequential decodes.

    Attributes
    ----------
    nll, ent : ndarray, shape (R, n, n)
        ``nll[r, a, j] = -log p(x_{pi_j} | x_{pi_<a})`` and ``ent[r, a, j]`` the
        entropy of that predictive (0-based ``a <= j``; NaN below the diagonal).
    """

    nll: np.ndarray
    ent: np.ndarray

    @property
    def n(self) -> int:
        return int(self.nll.shape[1])

    def sequential_nll(self) -> np.ndarray:
        """``seq(x_r, pi_r)`` per row."""
        return diagonal_nll(self.nll)

    def parallel_nll(self, schedule) -> np.ndarray:
        """``par_s(x_r, pi_r)`` per row."""
        return schedule_nll(self.nll, schedule)

    def entropy_form(self, schedule) -> np.ndarray:
        """Per row ``sum_j (H[a(j), j] - H[j, j])``: the entropy-form Thm 4 error
        measured on the same passes (unbiased for Thm 4 on ``Z^H``)."""
        s = as_schedule(schedule, self.n)
        a = np.repeat(s.starts - 1, s.sizes)
        j = np.arange(self.n)
        return (self.ent[:, a, j] - self.ent[:, j, j]).sum(axis=1)


def sequential_passes(model: MaskedModel, sequences, *, seed: int = 0, batch_size: int = 64,
                      autocast: str | None = None, progress: bool = True) -> SequentialPasses:
    """Run ``n`` passes per sequence (revealing ``pi_<a`` for ``a = 0..n-1``).

    ``pi_r`` comes from ``SeedSequence(seed, spawn_key=(r,))``; all sequences
    must have one length ``n``.
    """
    from tqdm.auto import tqdm

    if not hasattr(model, "vocab_size") or not hasattr(model, "device"):
        raise TypeError(f"model must be a MaskedModel, got {type(model).__name__}")
    batch_size = as_int(batch_size, "batch_size", minimum=1)
    rows = _as_rows(sequences, model.vocab_size)
    n = rows[0].size
    if any(r.size != n for r in rows):
        raise ValueError("sequential_passes needs sequences of one common length")
    R = len(rows)
    nll = np.full((R, n, n), np.nan)
    ent = np.full((R, n, n), np.nan)
    perms = np.stack([np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(r,)))
                      .permutation(n) for r in range(R)])
    jobs = [(r, a) for r in range(R) for a in range(n)]
    dev = model.device
    bar = tqdm(total=len(jobs), desc=f"sequential passes {model.name}", unit="pass",
               disable=not progress, leave=False)
    X = np.stack(rows)
    for b0 in range(0, len(jobs), batch_size):
        chunk = jobs[b0:b0 + batch_size]
        rr = np.array([r for r, _ in chunk])
        aa = np.array([a for _, a in chunk])
        rank = np.empty((len(chunk), n), dtype=np.int64)
        np.put_along_axis(rank, perms[rr], np.broadcast_to(np.arange(n), (len(chunk), n)), 1)
        masked = rank >= aa[:, None]
        t = torch.as_tensor(X[rr], device=dev)
        with autocast_context(dev, autocast):
            lp = model.log_probs(t, torch.as_tensor(masked, device=dev))
        H, N = entropy_and_nll(lp, t.to(lp.device))
        H, N = H.double().cpu().numpy(), N.double().cpu().numpy()
        for b, (r, a) in enumerate(chunk):
            order = perms[r, a:]
            nll[r, a, a:] = N[b, order]
            ent[r, a, a:] = H[b, order]
        bar.update(len(chunk))
    bar.close()
    return SequentialPasses(nll=nll, ent=ent)


@dataclass(frozen=True)
class DirectKL:
    """Monte Carlo ``E[par_s - seq]`` on independent orders for one schedule (plumbing)."""

    schedule: Schedule
    mean: float
    se: float
    lo: float
    hi: float
    n_rows: int
    level: float


def _check_passes(passes) -> "SequentialPasses":
    if not isinstance(passes, SequentialPasses):
        raise TypeError(f"passes must be SequentialPasses (from sequential_passes), got "
                        f"{type(passes).__name__}")
    return passes


def _t_ci(v: np.ndarray, level: float) -> tuple[float, float, float, float]:
    from scipy import stats

    R = v.size
    mean = float(v.mean())
    se = float(v.std(ddof=1) / math.sqrt(R)) if R > 1 else math.nan
    tq = float(stats.t.ppf(0.5 + level / 2, R - 1)) if R > 1 else math.nan
    return mean, se, mean - tq * se, mean + tq * se


def plumbing_identity_kl(passes: SequentialPasses, schedules: Sequence, *,
                         level: float = 0.95) -> list[DirectKL]:
    """``E[par_s - seq]`` on independent orders, Student-t CI over rows (plumbing).

    Equal in expectation to Thm 4 on ``Z^CE`` for any model (module docstring).
    """
    level = as_level(level)
    seq = _check_passes(passes).sequential_nll()
    out = []
    for s in schedules:
        s = as_schedule(s, passes.n)
        v = passes.parallel_nll(s) - seq
        m, se, lo, hi = _t_ci(v, level)
        out.append(DirectKL(s, m, se, lo, hi, int(v.size), level))
    return out


@dataclass(frozen=True)
class ValidationRow:
    """One schedule: predictions (Thm 4 on ``Z^H`` and ``Z^CE``) and direct MC.

    Every value is ``(mean, lo, hi)`` in nats.  ``pred_entropy`` and
    ``pred_cross_entropy`` come from the curve estimate (independent rows);
    ``paired_entropy`` is the entropy-form error on the validation passes
    themselves (same randomness as ``direct``), so ``direct - paired_entropy``
    has a tight interval (``gap``).
    """

    name: str
    schedule: Schedule
    pred_entropy: tuple[float, float, float]
    pred_cross_entropy: tuple[float, float, float]
    direct: tuple[float, float, float]
    paired_entropy: tuple[float, float, float]
    gap: tuple[float, float, float]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "k": self.schedule.k, "sizes": self.schedule.tolist(),
                "pred_entropy": list(self.pred_entropy),
                "pred_cross_entropy": list(self.pred_cross_entropy),
                "direct": list(self.direct), "paired_entropy": list(self.paired_entropy),
                "gap": list(self.gap)}


def plumbing_identity_check(est: ModelCurveEstimate, passes: SequentialPasses,
                            schedules: dict[str, Any], *, level: float = 0.95
                            ) -> list[ValidationRow]:
    """The identity ``E[par_s - seq] = Thm 4 on Z^CE`` on named schedules (plumbing).

    ``direct`` must agree with ``pred_cross_entropy`` within the intervals on
    every model; a disagreement is a bug in the passes or the bookkeeping, not
    a property of the model.

    Parameters
    ----------
    est : ModelCurveEstimate
        Curve estimate of the model (common length ``n``).
    passes : SequentialPasses
        Validation passes on sequences from the same law (length ``n``).
    schedules : dict name -> Schedule or sizes
    """
    level = as_level(level)
    _check_passes(passes)
    if not isinstance(est, ModelCurveEstimate):
        raise TypeError(f"est must be a ModelCurveEstimate, got {type(est).__name__}")
    if est.n != passes.n:
        raise ValueError(f"curve has n={est.n} but the validation passes n={passes.n}")
    seq = passes.sequential_nll()
    out = []
    for name, s in schedules.items():
        s = as_schedule(s, est.n)
        pH = predicted_error(est, s, form="entropy", level=level)
        pC = predicted_error(est, s, form="cross_entropy", level=level)
        direct = passes.parallel_nll(s) - seq
        paired = passes.entropy_form(s)
        d = _t_ci(direct, level)
        p = _t_ci(paired, level)
        g = _t_ci(direct - paired, level)
        out.append(ValidationRow(name, s, (pH.mean, pH.lo, pH.hi), (pC.mean, pC.lo, pC.hi),
                                 (d[0], d[2], d[3]), (p[0], p[2], p[3]), (g[0], g[2], g[3])))
    return out


def validation_table(rows: Sequence[ValidationRow]) -> str:
    """Markdown table of :func:`plumbing_identity_check` output (nats, 95% CI)."""
    def f(t):
        return f"{t[0]:.3f} [{t[1]:.3f}, {t[2]:.3f}]"

    head = ["schedule", "k", "Thm 4 on Z^H (pred.)", "Thm 4 on Z^CE (pred.)",
            "plumbing E[par - seq], independent orders", "plumbing - entropy form (paired)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    if isinstance(rows, (str, bytes)) or not hasattr(rows, "__iter__") \
            or not all(isinstance(r, ValidationRow) for r in rows):
        raise TypeError("rows must be a sequence of ValidationRow (from "
                        "plumbing_identity_check)")
    for r in rows:
        lines.append(f"| {r.name} | {r.schedule.k} | {f(r.pred_entropy)} | "
                     f"{f(r.pred_cross_entropy)} | {f(r.direct)} | {f(r.gap)} |")
    return "\n".join(lines)


#: Former names (the identity check was once presented as a validation).
direct_expected_kl = plumbing_identity_kl
validate_schedules = plumbing_identity_check
