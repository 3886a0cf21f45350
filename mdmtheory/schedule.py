"""Schedules and the exact error of Theorem 1.4 (Thm 4 of the paper).

A k-step schedule is a composition ``s_1 + ... + s_k = n`` of positive
integers; :class:`Schedule` carries that invariant.  The error functions take
an information curve ``Z`` as a 1-D array with ``Z[j-1] = Z_j`` (see
:mod:`mdmtheory.information`).

* :func:`left_riemann_error` -- Thm 1.4's exact ``E_S KL(mu || nu^S)``;
  :func:`step_errors` its per-step terms; :func:`weight_form_error` /
  :func:`riemann_weights` the weight form (item 10);
  :func:`left_riemann_approximation` the step function ``Z^N`` (Def. 1.2).
* :func:`compositions` -- every schedule of ``n`` (brute force on small ``n``).

Related modules: :mod:`mdmtheory.schedule_rules` (schedule families and the
derived TC/DTC greedy rules), :mod:`mdmtheory.optimal` (DP-optimal schedules),
:mod:`mdmtheory.sampler` (the sampler itself, an independent check of Thm 1.4).
"""

from __future__ import annotations

from typing import Iterable, Iterator, Sequence

import numpy as np

from ._validation import as_int, as_int_array, as_optional_int, check_curve, show

__all__ = [
    "Schedule",
    "as_schedule",
    "compositions",
    "validate_curve",
    "left_riemann_approximation",
    "left_riemann_error",
    "step_errors",
    "riemann_weights",
    "weight_form_error",
]


class Schedule:
    """A validated k-step schedule ``s_1..s_k`` (positive integers summing to ``n``).

    Parameters
    ----------
    sizes : sequence of int
        Step sizes ``s_t >= 1``.
    n : int, optional
        Expected total; if given, ``sum(sizes)`` must equal it.

    Attributes
    ----------
    sizes : ndarray of int64, shape (k,)
    cumulative : ndarray of int64, shape (k+1,)
        ``N_0 = 0, N_1, ..., N_k = n`` (the paper's notation, Def 2).
    starts, ends : ndarray of int64
        1-based first/last index ``a_t = N_{t-1}+1``, ``b_t = N_t`` of each block.
    """

    __slots__ = ("_s", "_N", "name")

    def __init__(self, sizes: Iterable[int], n: int | None = None, *, name: str | None = None):
        if isinstance(sizes, (str, bytes, dict)) or not hasattr(sizes, "__iter__"):
            raise ValueError(f"schedule sizes must be a sequence of integers, got {show(sizes)}")
        items = sizes if isinstance(sizes, np.ndarray) else list(sizes)
        if not isinstance(items, np.ndarray) and any(isinstance(x, (bool, np.bool_))
                                                     for x in items):
            raise ValueError(f"schedule sizes must be integers, not booleans: {show(items)}")
        try:
            raw = np.asarray(items)
        except ValueError:
            raise ValueError(f"schedule sizes must be a flat sequence of integers, got "
                             f"{show(items)}") from None
        if raw.ndim != 1 or raw.size == 0:
            raise ValueError(f"a schedule needs at least one step; got sizes of shape {raw.shape}")
        if raw.dtype.kind not in "iuf" and raw.dtype != object:
            raise ValueError(f"schedule sizes must be integers, got dtype {raw.dtype}")
        try:
            s = as_int_array(raw, "schedule sizes", ndim=1)
        except ValueError as exc:
            raise ValueError(str(exc).replace("must contain integers", "must be integers")) \
                from None
        if (s < 1).any():
            raise ValueError(f"schedule sizes must be positive, got {s.tolist()}")
        # sizes are < 2^63 each, but their sum can overflow int64: sum in Python ints
        total = sum(int(v) for v in s.tolist()) if s.size < 10**6 else int(s.sum(dtype=object))
        if total >= 2**62:
            raise ValueError(f"schedule sizes sum to {show(total)}, beyond the 2^62 positions "
                             "this package supports")
        if n is not None:
            try:
                nn = as_int(n, "n", minimum=1)
            except ValueError:
                raise ValueError(f"n must be a positive integer, got {show(n)}") from None
            if total != nn:
                raise ValueError(f"schedule sizes sum to {total}, not n={nn}: {s.tolist()}")
        s.setflags(write=False)
        N = np.concatenate([[0], np.cumsum(s)]).astype(np.int64)
        N.setflags(write=False)
        self._s = s
        self._N = N
        self.name = name

    @property
    def sizes(self) -> np.ndarray:
        return self._s

    @property
    def k(self) -> int:
        """Number of steps (rounds, NFE)."""
        return int(self._s.size)

    @property
    def n(self) -> int:
        return int(self._N[-1])

    @property
    def cumulative(self) -> np.ndarray:
        return self._N

    @property
    def starts(self) -> np.ndarray:
        return self._N[:-1] + 1

    @property
    def ends(self) -> np.ndarray:
        return self._N[1:]

    @property
    def remaining(self) -> np.ndarray:
        """``R_t = n - N_{t-1}``: masked positions before step ``t``."""
        return self.n - self._N[:-1]

    def __len__(self) -> int:
        return self.k

    def __iter__(self):
        return iter(int(x) for x in self._s)

    def __eq__(self, other) -> bool:
        if isinstance(other, Schedule):
            return np.array_equal(self._s, other._s)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self._s.tolist()))

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        s = self._s.tolist()
        body = s if len(s) <= 12 else s[:6] + ["..."] + s[-3:]
        return f"Schedule({label}n={self.n}, k={self.k}, sizes={body})"

    def tolist(self) -> list[int]:
        return [int(x) for x in self._s]

    @classmethod
    def from_cumulative(cls, cumulative: Sequence[int], *, name: str | None = None
                        ) -> "Schedule":
        """Build from cumulative counts ``N_0 = 0 < N_1 < ... < N_k = n``.

        ``N_0`` may be omitted; the counts must be strictly increasing integers.
        """
        N = np.asarray(cumulative)
        if N.ndim != 1 or N.size == 0:
            raise ValueError(f"cumulative counts must be a non-empty 1-D array, got {N.shape}")
        if N[0] != 0:
            N = np.concatenate([[0], N])
        if N.size < 2:
            raise ValueError("cumulative counts need at least N_1 = n")
        if np.issubdtype(N.dtype, np.number) and np.any(np.diff(N) <= 0):
            raise ValueError(f"cumulative counts must be strictly increasing, got {N.tolist()}")
        return cls(np.diff(N), name=name)

    def block_of(self) -> np.ndarray:
        """Step index ``t(i)`` (1-based) of every position ``i = 1..n``, shape ``(n,)``."""
        return np.repeat(np.arange(1, self.k + 1, dtype=np.int64), self._s)


def as_schedule(schedule, n: int | None = None) -> Schedule:
    """Coerce a :class:`Schedule` or a sequence of sizes; check the total if ``n`` is given."""
    n = as_optional_int(n, "n", minimum=1)
    if isinstance(schedule, Schedule):
        if n is not None and schedule.n != n:
            raise ValueError(f"schedule covers n={schedule.n} positions, but the curve has n={n}")
        return schedule
    return Schedule(schedule, n)


def compositions(n: int, k: int | None = None) -> Iterator[Schedule]:
    """All compositions of ``n`` (with exactly ``k`` parts if given), as schedules.

    There are ``C(n-1, k-1)`` with ``k`` parts and ``2^(n-1)`` in all; they are
    produced in lexicographic order of the cut points ``N_1 < ... < N_{k-1}``.
    Meant for brute force on small ``n``.
    """
    from itertools import combinations

    n = as_int(n, "n", minimum=1, maximum=2**62)
    k = as_optional_int(k, "k", minimum=1)
    if k is not None and k > n:
        raise ValueError(f"k must satisfy 1 <= k <= n={n}, got {k}")
    ks = range(1, n + 1) if k is None else [k]
    for kk in ks:
        for cuts in combinations(range(1, n), kk - 1):
            yield Schedule(np.diff((0,) + cuts + (n,)), n)


def validate_curve(Z, *, atol: float = 1e-9) -> np.ndarray:
    """Check an information curve: 1-D, finite, ``Z_1 = 0``, nondecreasing.

    ``atol`` absorbs rounding of exact curves (entries are differences of
    averaged entropies, accurate to ~1e-13) and the noise of estimated curves
    should be handled by the estimator (it returns a monotone curve).
    """
    return check_curve(Z, "Z", atol=atol)


def left_riemann_approximation(Z, schedule) -> np.ndarray:
    """The step function ``Z^N_j = Z_{a_t}`` for ``a_t <= j <= b_t`` (Def. 1.2)."""
    Zarr = validate_curve(Z)
    s = as_schedule(schedule, Zarr.size)
    return np.repeat(Zarr[s.starts - 1], s.sizes)


def step_errors(Z, schedule) -> np.ndarray:
    """Per-step contributions ``c(a_t, b_t) = sum_{j in B_t} (Z_j - Z_{a_t})`` (Thm 1.4).

    Each block is summed term by term over the non-negative differences
    ``Z_j - Z_{a_t}`` (``O(n)`` in all), not through prefix sums: there is no
    cancellation, a block of size one contributes exactly ``0.0``, and the
    relative rounding error is ``O(n eps)``.
    """
    Zarr = validate_curve(Z)
    s = as_schedule(schedule, Zarr.size)
    diffs = Zarr - np.repeat(Zarr[s.starts - 1], s.sizes)
    return np.add.reduceat(diffs, s.starts - 1)


def left_riemann_error(Z, schedule) -> float:
    """Exact expected KL of a schedule, Theorem 1.4 (Thm 4).

    ``E_S KL(mu || nu^S) = sum_t sum_{j in B_t} (Z_j - Z_{a_t}) = ||Z - Z^N||_1``.

    Parameters
    ----------
    Z : array_like, shape (n,)
        Information curve, ``Z[j-1] = Z_j`` (any unit; the result is in the same unit).
    schedule : Schedule or sequence of int
        Step sizes summing to ``n``.
    """
    return float(step_errors(Z, schedule).sum())


def riemann_weights(schedule) -> np.ndarray:
    """Weights ``w_i = b_{t(i)} - i`` for ``i = 1..n-1`` (weight form of Thm 4's error)."""
    s = as_schedule(schedule)
    ends = np.repeat(s.ends, s.sizes)  # b_{t(i)} for i = 1..n
    return (ends - np.arange(1, s.n + 1))[:-1].astype(np.float64)


def weight_form_error(Z, schedule) -> float:
    """``sum_i w_i delta_i`` with ``delta_i = Z_{i+1} - Z_i`` (equals Thm 1.4's error)."""
    Zarr = validate_curve(Z)
    s = as_schedule(schedule, Zarr.size)
    return float(riemann_weights(s) @ np.diff(Zarr))
