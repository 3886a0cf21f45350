"""The validated dense joint distribution over Sigma^n.

A :class:`Distribution` is the only class of the exact core: it carries the
invariants every other function relies on (float64, shape ``(q,)*n``, finite,
non-negative, sums to one) so that the information measures, schedules and
samplers never re-check them.  It also plays the *perfect MDM*: its
:meth:`Distribution.conditional` is the exact conditional-marginal oracle
``mu(X_i = . | X_U = y_U)`` (Def 11 of the paper).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ._validation import (
    SUM_ATOL,
    as_int,
    as_int_array,
    as_position,
    as_positions,
    as_seed,
    as_tokens,
    as_tolerance,
    check_finite_nonnegative,
    check_nbytes,
    check_table_size,
    show,
)

__all__ = ["Distribution"]

Revealed = Mapping[int, int] | tuple[Sequence[int], Sequence[int]] | None


def _flat_readings(length: int) -> list[tuple[int, int]]:
    """Every ``(q, n)`` with ``q >= 2``, ``n >= 1`` and ``q**n == length``, by decreasing ``n``.

    These are the shapes ``(q,)*n`` a flat (1-D) table of this length can be read
    as; ``(length, 1)`` is always one of them when ``length >= 2``.
    """
    length = as_int(length, "length", minimum=0)
    out = []
    for n in range(max(length, 2).bit_length(), 0, -1):  # q >= 2 needs n <= log2(length)
        guess = length if n == 1 else round(length ** (1.0 / n))
        q = next((c for c in (guess - 1, guess, guess + 1) if c >= 2 and c ** n == length), None)
        if q is not None:
            out.append((q, n))
    return out


def _describe_readings(readings: list[tuple[int, int]], call: str) -> str:
    parts = [f"{call}(p, n={n}) " + ("reads it as " if k == 0 else "as ")
             + (f"one position over {q} symbols" if n == 1 else f"({q},)*{n}")
             for k, (q, n) in enumerate(readings)]
    return ", ".join(parts)


def _unflatten(arr: np.ndarray, n, call: str = "Distribution") -> np.ndarray:
    """Reshape a flat table of length ``q**n`` to ``(q,)*n``; refuse a flat table without ``n``.

    ``call`` names the constructor in the error messages (``Distribution`` or
    ``Distribution.from_weights`` ...), so that the advice is what the user typed.
    """
    if n is None:
        if arr.ndim != 1:
            return arr
        length = arr.shape[0]
        readings = _flat_readings(length)
        if not readings:
            raise ValueError(
                f"a flat table of length {length} has no reading as (q,)*n: the alphabet "
                "size q must be >= 2"
            )
        if len(readings) == 1:
            raise ValueError(
                f"a flat table of length {length} needs n=: its only reading is one position "
                f"over {length} symbols ({call}(p, n=1)); for several positions give the "
                f"table its shape with p.reshape((q,)*n)"
            )
        raise ValueError(
            f"a flat table of length {length} is ambiguous: pass n= "
            f"({_describe_readings(readings, call)}), or reshape it with p.reshape((q,)*n)"
        )
    n = as_int(n, "n", minimum=1)
    if arr.ndim != 1:
        if arr.ndim != n:
            raise ValueError(f"table has {arr.ndim} axes but n={n}")
        return arr
    length = arr.shape[0]
    if n == 1:
        return arr  # one position over `length` symbols (q >= 2 is checked by the caller)
    readings = _flat_readings(length)
    q = next((qq for qq, nn in readings if nn == n), None)
    if q is None:
        valid = ", ".join(f"n={nn} (q={qq})" for qq, nn in readings) or "none (q >= 2)"
        raise ValueError(
            f"a flat table of length {length} is not q**n with q >= 2 for n={n}; "
            f"its readings: {valid}"
        )
    return arr.reshape((q,) * n)


class Distribution:
    """A validated joint probability table over ``Sigma^n`` with ``|Sigma| = q``.

    Parameters
    ----------
    table : array_like
        Array of shape ``(q,)*n`` (all axes the same length ``q >= 2``, ``n >= 1``),
        or a flat (1-D) array together with ``n``.
        Entries must be finite and non-negative and sum to one within ``atol``;
        the stored table is renormalised to sum to exactly one (in float64).
    atol : float, optional
        Accepted ``|sum - 1|``; default :data:`mdmtheory._validation.SUM_ATOL` (1e-9).
    max_bytes : int, optional
        Memory budget for the table; default :func:`mdmtheory.get_max_table_bytes`.
    name : str, optional
        A label used in reprs, figures and the CLI.
    n : int, optional
        Number of positions of a *flat* (1-D) ``table`` of length ``q**n``, which is then
        reshaped to ``(q,)*n`` (C order: the last position varies fastest); ``n=1``
        reads it as one position over ``len(table)`` symbols.  Required for a 1-D
        ``table``: a flat vector of length 64 could be ``(2,)*6``, ``(4,)*3``,
        ``(8,)*2`` or ``(64,)``, so it is never read without ``n`` -- not even when
        its length is not a perfect power and ``n=1`` is its only reading (one rule:
        a 1-D table always needs ``n``).  For a table of ``n >= 2`` axes, ``n`` is
        optional and must match.

    Raises
    ------
    ValueError
        On a 1-D ``table`` without ``n`` (the message lists its readings ``(q, n)``
        and how to reshape it), a length that is not ``q**n``, a wrong shape,
        NaN/inf, a negative entry or a sum other than one.
    MemoryError
        If the table would exceed the memory budget.

    Notes
    -----
    Axis ``i`` of :attr:`p` is position ``i`` (0-based) of the sequence; the value
    along it is the token in ``{0, ..., q-1}``.

    Examples
    --------
    >>> import numpy as np
    >>> flat = np.full(64, 1 / 64)
    >>> Distribution(flat, n=6)
    <Distribution n=6 q=2>
    >>> Distribution(flat, n=1)
    <Distribution n=1 q=64>
    >>> Distribution(flat.reshape((4,) * 3))
    <Distribution n=3 q=4>
    """

    __slots__ = ("_p", "_n", "_q", "name")

    def __init__(self, table, *, atol: float = SUM_ATOL, max_bytes: int | None = None,
                 name: str | None = None, n: int | None = None):
        atol = as_tolerance(atol, "atol")
        if isinstance(table, (str, bytes)):
            raise ValueError(f"table must be a real-valued array, got {show(table)}")
        try:
            arr = np.asarray(table)
        except ValueError as exc:  # ragged nested lists
            raise ValueError(f"table must be a rectangular array ({exc})") from None
        if arr.ndim < 1:
            raise ValueError("a distribution needs at least 1 position; got a 0-d array")
        if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
            raise ValueError(f"table must be real-valued, got dtype {arr.dtype}")
        arr = _unflatten(arr, n)
        q = arr.shape[0]
        if any(s != q for s in arr.shape):
            raise ValueError(
                f"table must have shape (q,)*n with every axis the same length; got {arr.shape}"
            )
        if q < 2:
            raise ValueError(f"alphabet size q must be >= 2, got q={q}")
        check_table_size(q, arr.ndim, max_bytes=max_bytes, what="distribution table")
        arr = np.array(arr, dtype=np.float64, copy=True)
        check_finite_nonnegative(arr, "table")
        s = float(arr.sum())
        if abs(s - 1.0) > atol:
            raise ValueError(
                f"table must sum to 1 (tolerance {atol:g}); it sums to {show(s)}. "
                "Use Distribution.from_weights() to normalise unnormalised weights."
            )
        arr /= s
        arr.setflags(write=False)
        self._p = arr
        self._n = arr.ndim
        self._q = q
        self.name = name

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_weights(cls, weights, *, name: str | None = None,
                     max_bytes: int | None = None, n: int | None = None) -> "Distribution":
        """Build from non-negative unnormalised weights of shape ``(q,)*n``.

        A flat (1-D) ``weights`` needs ``n``, exactly as for :class:`Distribution`.
        """
        w = np.asarray(weights)
        if not np.issubdtype(w.dtype, np.number) or np.iscomplexobj(w):
            raise ValueError(f"weights must be real-valued, got dtype {w.dtype}")
        if w.ndim >= 1:
            w = _unflatten(w, n, "Distribution.from_weights")
        w = w.astype(np.float64)
        if w.ndim >= 1:
            check_finite_nonnegative(w, "weights")
        total = float(w.sum()) if w.ndim >= 1 else 0.0
        if w.ndim >= 1 and not total > 0:
            raise ValueError("weights must have a positive sum")
        return cls(w / total if total > 0 else w, name=name, max_bytes=max_bytes, n=n)

    @classmethod
    def from_log_weights(cls, log_weights, *, name: str | None = None,
                         max_bytes: int | None = None, n: int | None = None
                         ) -> "Distribution":
        """Build from unnormalised log-weights (``-inf`` allowed for zero mass).

        Normalisation uses a max-shift (log-sum-exp), so weights like ``1000``
        or ``-1000`` do not overflow.  A flat (1-D) ``log_weights`` needs ``n``,
        exactly as for :class:`Distribution`.
        """
        lw = np.asarray(log_weights)
        if not np.issubdtype(lw.dtype, np.number) or np.iscomplexobj(lw):
            raise ValueError(f"log_weights must be real-valued, got dtype {lw.dtype}")
        lw = lw.astype(np.float64)
        if lw.ndim < 1:
            raise ValueError("a distribution needs at least 1 position; got a 0-d array")
        lw = _unflatten(lw, n, "Distribution.from_log_weights")
        if np.isnan(lw).any():
            raise ValueError("log_weights contains NaN")
        if np.isposinf(lw).any():
            raise ValueError("log_weights contains +inf")
        m = lw.max()
        if not np.isfinite(m):
            raise ValueError("log_weights are all -inf: no configuration has positive mass")
        w = np.exp(lw - m)
        return cls(w / w.sum(), name=name, max_bytes=max_bytes, n=n)

    @classmethod
    def from_samples(cls, samples, q: int | None = None, *, name: str | None = None,
                     max_bytes: int | None = None) -> "Distribution":
        """Empirical distribution of integer samples of shape ``(N, n)``.

        Parameters
        ----------
        samples : array_like of int, shape (N, n)
            Each row a sequence with tokens in ``{0, ..., q-1}``.
        q : int, optional
            Alphabet size; inferred as ``max(samples) + 1`` (at least 2) if omitted.
        """
        x = as_int_array(samples, "samples")
        if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"samples must have shape (N, n) with N, n >= 1; got {x.shape}")
        if (x < 0).any():
            raise ValueError("samples must be non-negative token ids")
        qq = max(int(x.max()) + 1, 2) if q is None else as_int(q, "q", minimum=2)
        if int(x.max()) >= qq:
            raise ValueError(f"samples contain token {int(x.max())} >= q={qq}")
        n = x.shape[1]
        check_table_size(qq, n, max_bytes=max_bytes, what="empirical distribution table")
        flat = np.ravel_multi_index(tuple(x.T), (qq,) * n)
        counts = np.bincount(flat, minlength=qq**n).astype(np.float64)
        return cls((counts / counts.sum()).reshape((qq,) * n), name=name, max_bytes=max_bytes,
                   n=n)

    # ------------------------------------------------------------------ basic attributes
    @property
    def p(self) -> np.ndarray:
        """The read-only float64 table of shape ``(q,)*n``."""
        return self._p

    @property
    def n(self) -> int:
        """Number of positions (sequence length)."""
        return self._n

    @property
    def q(self) -> int:
        """Alphabet size."""
        return self._q

    @property
    def shape(self) -> tuple[int, ...]:
        return self._p.shape

    @property
    def nbytes(self) -> int:
        return self._p.nbytes

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return f"<Distribution{label} n={self.n} q={self.q}>"

    def __array__(self, dtype=None, copy=None):
        return self._p if dtype is None else self._p.astype(dtype)

    # ------------------------------------------------------------------ marginals / oracle
    def _positions(self, positions, name="positions") -> tuple[int, ...]:
        return as_positions(positions, name, self.n)

    def marginal(self, positions: Sequence[int] | int) -> np.ndarray:
        """Joint marginal table of ``X_positions`` (axes in the order given).

        Returns an array of shape ``(q,)*len(positions)``; a scalar ``1.0`` for ``[]``.
        """
        pos = self._positions(positions)
        others = tuple(i for i in range(self.n) if i not in pos)
        m = self._p.sum(axis=others) if others else self._p
        # sum() keeps the remaining axes in increasing order; reorder as requested
        order = np.argsort(np.argsort(pos)) if pos else ()
        return np.transpose(m, order) if pos else np.asarray(m)

    def marginals(self) -> np.ndarray:
        """All one-position marginals as an ``(n, q)`` array."""
        return np.stack([self.marginal([i]) for i in range(self.n)])

    def _parse_revealed(self, revealed: Revealed) -> tuple[tuple[int, ...], tuple[int, ...]]:
        if revealed is None:
            return (), ()
        if isinstance(revealed, Mapping):
            pos, val = tuple(revealed.keys()), tuple(revealed.values())
        else:
            try:
                pos, val = revealed
            except (TypeError, ValueError):
                raise ValueError(
                    "revealed must be a {position: value} mapping or a (positions, values) pair"
                ) from None
        pos = self._positions(pos, "revealed positions")
        try:
            raw_vals = np.atleast_1d(np.asarray(val, dtype=object)).ravel().tolist()
        except (TypeError, ValueError):
            raise ValueError(f"revealed values must be integers, got {show(val)}") from None
        vals = tuple(as_int(v, "revealed value", minimum=0) for v in raw_vals)
        if len(vals) != len(pos):
            raise ValueError(f"{len(pos)} revealed positions but {len(vals)} values")
        for v in vals:
            if v >= self.q:
                raise ValueError(f"revealed value {v} out of range for q={self.q}")
        return pos, vals

    def conditional(self, i: int, revealed: Revealed = None) -> np.ndarray:
        """The exact MDM oracle ``mu(X_i = . | X_U = y_U)`` (Def 11), shape ``(q,)``.

        Parameters
        ----------
        i : int
            The masked position queried.
        revealed : mapping or (positions, values), optional
            The revealed context ``y_U``.  ``i`` may be in it (the result is then
            a point mass).

        Raises
        ------
        ValueError
            If the context has probability zero (the conditional is undefined).
        """
        i = as_position(i, "i", self.n)
        return self.conditionals(revealed, positions=[i])[0]

    def conditionals(self, revealed: Revealed = None, positions: Sequence[int] | None = None
                     ) -> np.ndarray:
        """Conditional marginals of several positions given one context.

        Returns an ``(len(positions), q)`` array (all ``n`` positions by default);
        rows of revealed positions are point masses on their value.  This is what
        one forward pass of an exact MDM returns.
        """
        pos, vals = self._parse_revealed(revealed)
        want = tuple(range(self.n)) if positions is None else self._positions(positions)
        idx = [slice(None)] * self.n
        for p_, v in zip(pos, vals):
            idx[p_] = v
        sub = self._p[tuple(idx)]
        free = [a for a in range(self.n) if a not in pos]  # axes of `sub`, in order
        mass = float(sub.sum())
        if not mass > 0:
            raise ValueError("the revealed context has probability zero under mu; "
                             "its conditionals are undefined")
        out = np.zeros((len(want), self.q))
        for r, i in enumerate(want):
            if i in pos:
                out[r, vals[pos.index(i)]] = 1.0
            else:
                ax = free.index(i)
                other = tuple(a for a in range(len(free)) if a != ax)
                out[r] = (sub.sum(axis=other) if other else sub) / mass
        return out

    def prob(self, x) -> float:
        """Probability ``mu(x)`` of one full sequence ``x`` (length ``n``)."""
        x = as_tokens(x, "x", self.q)
        if x.shape != (self.n,):
            raise ValueError(f"x must have shape ({self.n},), got {x.shape}")
        return float(self._p[tuple(int(v) for v in x)])

    def sample(self, size: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """Draw ``size`` i.i.d. sequences; returns an ``(size, n)`` int64 array."""
        size = as_int(size, "size", minimum=0)
        # the output (int64, size x n), the uniforms / flat indices and the table's CDF
        check_nbytes(8.0 * size * (self.n + 2) + 8.0 * self._p.size,
                     what=f"a sample of size={size:,} with n={self.n}")
        rng = as_seed(rng, "rng")
        cdf = np.cumsum(self._p.ravel())
        u = rng.random(size)
        u *= cdf[-1]
        flat = np.searchsorted(cdf, u, side="right")
        del u, cdf
        np.minimum(flat, self._p.size - 1, out=flat)
        out = np.empty((size, self.n), dtype=np.int64)
        for i in range(self.n - 1, -1, -1):  # C order: the last position varies fastest
            out[:, i] = flat % self.q
            flat //= self.q
        return out

    def support_size(self) -> int:
        """Number of sequences with positive probability."""
        return int(np.count_nonzero(self._p))

    def is_product(self, atol: float = 1e-12) -> bool:
        """Whether the table equals the product of its one-position marginals."""
        atol = as_tolerance(atol, "atol")
        prod = np.ones(())
        for row in self.marginals():
            prod = np.multiply.outer(prod, row)
        return bool(np.allclose(prod, self._p, atol=atol, rtol=0))


def as_distribution(dist) -> Distribution:
    """Return ``dist`` if it is a :class:`Distribution`, else validate it as a table.

    This is the one validation layer of every function that accepts a raw table:
    a table of shape ``(q,)*n`` is read as it is, and a flat (1-D) array is refused
    with the message of :class:`Distribution` (build ``Distribution(p, n=...)``
    first to say how to read it).
    """
    return dist if isinstance(dist, Distribution) else Distribution(dist)
