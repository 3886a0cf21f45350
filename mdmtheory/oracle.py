"""The exact conditional oracle of a dense distribution: a perfect MDM (Def 11 of the paper).

One batched oracle serves the sampler (:mod:`mdmtheory.sampler`), the Monte
Carlo curve estimator (:mod:`mdmtheory.montecarlo`), the unmasking MDP
(:mod:`mdmtheory.policies`) and the torch bridge's exact-oracle model.  The
protocol shared by every oracle in the package (and by wrapped neural models)::

    oracle(x, revealed_mask) -> probs        # (B, n) ints, (B, n) bool -> (B, n, q)

``probs[b, i] = mu(X_i = . | X_U = x_U)`` with ``U = {k : revealed_mask[b, k]}``;
rows of revealed positions are point masses on their token, masked tokens of
``x`` are ignored (any value, e.g. ``-1``, is allowed there).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ._validation import as_choice, as_int, as_real_array, check_finite_nonnegative, show
from .distribution import Distribution, as_distribution

__all__ = ["DistributionOracle", "MASK", "all_axis_marginals"]

#: Token value used for a masked position in partial assignments.
MASK: int = -1


def all_axis_marginals(t: np.ndarray) -> np.ndarray:
    """All one-axis marginals of a ``(q,)*k`` array as a ``(k, q)`` array.

    Divide and conquer: sum out the second half of the axes (one pass), recurse
    on the first half, and vice versa; about ``2 q^k + O(q^{k/2})`` additions
    instead of the ``k q^k`` of ``k`` separate reductions.  ``t`` must be a real,
    finite, non-negative array with every axis of the same length (it need not sum
    to one: a slice of a table is fine).
    """
    arr = as_real_array(t, "t", finite=False)
    check_finite_nonnegative(arr, "t")
    if arr.ndim < 1 or any(s != arr.shape[0] for s in arr.shape):
        raise ValueError(f"t must have shape (q,)*k with k >= 1, got {arr.shape}")
    return _axis_marginals(arr)


def _axis_marginals(t: np.ndarray) -> np.ndarray:
    """:func:`all_axis_marginals` without the checks (hot path on views of a table)."""
    k = t.ndim
    if k == 1:
        return np.asarray(t, dtype=np.float64)[None, :]
    if k == 2:
        return np.stack([t.sum(axis=1), t.sum(axis=0)])
    h = k // 2
    left = t.sum(axis=tuple(range(h, k)))
    right = t.sum(axis=tuple(range(h)))
    return np.concatenate([_axis_marginals(left), _axis_marginals(right)])


def _as_mask(revealed_mask) -> np.ndarray:
    """A boolean revealed mask: bool dtype, or integers that are all 0 or 1."""
    m = np.asarray(revealed_mask)
    if m.dtype == bool:
        return m
    if m.dtype.kind in "iu" and (m.size == 0 or ((m == 0) | (m == 1)).all()):
        return m.astype(bool)
    raise ValueError(f"revealed_mask must be boolean (or 0/1 integers), got {show(m)}")


class DistributionOracle:
    """The exact conditional oracle of a dense :class:`~mdmtheory.Distribution`, batched.

    Parameters
    ----------
    dist : Distribution or array_like
        The target ``mu``.
    null_context : {"raise", "uniform"}
        What a context of probability zero under ``mu`` returns: ``"raise"``
        (default) raises ``ValueError``; ``"uniform"`` returns the uniform law
        on the masked positions.  Samplers that draw the tokens of one step
        independently can reach such contexts (outside the support of ``mu``);
        the convention only decides where those dead rollouts go, and neither
        ``KL(mu || nu)`` nor ``nu(supp mu)`` depends on it.
    max_cells : int
        Largest extended marginal tensor to precompute (``8 * max_cells`` bytes).

    Notes
    -----
    Two exact back-ends, chosen by size:

    * ``(q+1)^n <= max_cells`` (default ``2^24``): the extended marginal tensor
      ``T`` of :func:`mdmtheory.extended_marginal_tensor` is precomputed.  A
      partial assignment is one integer *code* (digit ``i`` in base ``q+1`` is
      ``x_i`` if revealed, ``q`` if masked), ``T[code] = mu(X_U = x_U)`` and
      ``mu(X_i = v | x_U) = T[code + (v - q) w_i] / T[code]`` with
      ``w_i = (q+1)^(n-1-i)``: each query is two vectorised look-ups.  The
      code-level methods (:meth:`encode`, :meth:`decode`, :meth:`mass`,
      :meth:`probs_from_codes`) need this back-end.
    * otherwise (e.g. ``q = 2``, ``n = 24..26``): slice the table at the
      revealed values (a view) and take all one-axis marginals by divide and
      conquer, ``O(q^(n - |U|))`` per row.
    """

    def __init__(self, dist, *, null_context: Literal["raise", "uniform"] = "raise",
                 max_cells: int = 2 ** 24):
        null_context = as_choice(null_context, "null_context", ("uniform", "raise"))
        max_cells = as_int(max_cells, "max_cells", minimum=1)
        self.dist: Distribution = as_distribution(dist)
        self.null_context = null_context
        n, q = self.dist.n, self.dist.q
        self.strides = (q + 1) ** np.arange(n - 1, -1, -1, dtype=np.int64)
        self.strides.setflags(write=False)
        self.full_mask_code = int((q * self.strides).sum())
        self._T: np.ndarray | None = None
        if (q + 1) ** n <= max_cells:
            from .information import extended_marginal_tensor

            self._T = np.ascontiguousarray(extended_marginal_tensor(self.dist)).ravel()

    @property
    def mu(self) -> Distribution:
        return self.dist

    @property
    def n(self) -> int:
        return self.dist.n

    @property
    def q(self) -> int:
        return self.dist.q

    # -------------------------------------------------------------- codes
    def _tensor(self) -> np.ndarray:
        if self._T is None:
            raise ValueError("code look-ups need the extended marginal tensor; this "
                             "distribution is larger than max_cells")
        return self._T

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Codes of partial assignments ``x`` (``(B, n)``, :data:`MASK` for masked)."""
        x = np.asarray(x, dtype=np.int64)
        return np.where(x == MASK, self.q, x) @ self.strides

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """Partial assignments ``(B, n)`` (:data:`MASK` for masked) of ``codes``."""
        c = np.asarray(codes, dtype=np.int64)
        digits = (c[:, None] // self.strides[None, :]) % (self.q + 1)
        return np.where(digits == self.q, MASK, digits)

    def mass(self, codes: np.ndarray) -> np.ndarray:
        """``mu(X_U = y_U)`` of the partial assignments ``codes``."""
        return self._tensor()[np.asarray(codes, dtype=np.int64)]

    def _dead(self, den: np.ndarray) -> np.ndarray:
        dead = ~(den > 0)
        if dead.any() and self.null_context == "raise":
            raise ValueError("a revealed context has probability zero under mu; its "
                             "conditionals are undefined (null_context='raise')")
        return dead

    def probs_from_codes(self, codes: np.ndarray) -> np.ndarray:
        """Conditionals ``(B, n, q)`` at the partial assignments ``codes``."""
        T = self._tensor()
        codes = np.asarray(codes, dtype=np.int64)
        q = self.q
        x = self.decode(codes)
        masked = x == MASK
        den = T[codes]
        idx = codes[:, None, None] + (np.arange(q)[None, None, :] - q) * self.strides[None, :, None]
        num = T[np.where(masked[:, :, None], idx, codes[:, None, None])]
        dead = self._dead(den)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = num / np.where(dead, 1.0, den)[:, None, None]
        out[dead] = 1.0 / q
        rb, rk = np.nonzero(~masked)
        out[rb, rk, :] = 0.0
        out[rb, rk, x[rb, rk]] = 1.0
        return out

    # -------------------------------------------------------------- protocol
    def check_batch(self, x, revealed_mask) -> tuple[np.ndarray, np.ndarray]:
        """Validate a batch: shapes ``(B, n)``, revealed tokens in ``[0, q)``."""
        x = np.asarray(x)
        mask = _as_mask(revealed_mask)
        if x.ndim != 2 or x.shape[1] != self.n or mask.shape != x.shape:
            raise ValueError(f"x (tokens) and revealed_mask must both have shape (B, {self.n}); "
                             f"got {x.shape} and {mask.shape}")
        if not np.issubdtype(x.dtype, np.integer):
            raise ValueError(f"x (tokens) must be integers, got dtype {x.dtype}")
        t = x[mask]
        if t.size and ((t < 0).any() or (t >= self.q).any()):
            raise ValueError(f"x: revealed tokens must lie in [0, {self.q})")
        return np.where(mask, x, MASK).astype(np.int64), mask

    def __call__(self, x: np.ndarray, revealed_mask: np.ndarray) -> np.ndarray:
        """``(B, n)`` tokens and revealed mask -> ``(B, n, q)`` conditionals."""
        xs, mask = self.check_batch(x, revealed_mask)
        if self._T is not None:
            return self.probs_from_codes(self.encode(xs))
        B, n, q = xs.shape[0], self.n, self.q
        out = np.zeros((B, n, q))
        p = self.dist.p
        for b in range(B):
            view = p[tuple(int(xs[b, k]) if mask[b, k] else slice(None) for k in range(n))]
            free = np.flatnonzero(~mask[b])
            tot = float(np.sum(view))
            if self._dead(np.array([tot]))[0]:
                out[b, free] = 1.0 / q
            elif free.size:
                out[b, free] = _axis_marginals(view) / tot
        rb, rk = np.nonzero(mask)
        out[rb, rk, xs[rb, rk]] = 1.0
        return out
