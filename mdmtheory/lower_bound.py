"""The log n factor is necessary: Def 27, Lemma 28 and Thm 30 (App. E).

* :func:`count_pieces` -- Def 27: ``f`` is ``k``-piecewise if
  ``#{i : f(i) != f(i+1)} <= k``; a ``k``-step left-Riemann approximation is
  ``(k-1)``-piecewise.
* :func:`geometric_block_function` -- Lemma 28's ``f``: blocks
  ``B_i = {floor((1+eps)^i), ..., floor((1+eps)^(i+1)) - 1}`` carrying
  ``p_i = (1+eps)^(-i) / (4 ln n)``.  It is *nonincreasing* (``f(x) ~ 1/(4 x ln n)``)
  and ``sum f ~ 1/4``, not increasing with sum 1 as printed (erratum E10).
* :func:`geometric_block_curve` -- its mirror image ``Z_j = f(n + 1 - j)``,
  ``Z_1 = 0``: a nondecreasing information curve (Lemma 29 with ``Z_1 = 0``,
  erratum E11).  Mirroring is legitimate: the set of ``k``-piecewise
  approximants is mirror-invariant and left-Riemann approximants are among them.
* :func:`thm30_optimal_errors` -- Thm 30's content on that curve: the exact
  optimal ``k``-step error ``OPT_k`` (Eq. (1), Thm 4) for ``k <= c ln n/eps``
  stays ``Omega(eps)``; compared with the proof's constant ``(1-c)^2/(16 c)``.

Realisation: Thm 30 applies Lemma 29 (Chen et al. 2009) to realise the curve
approximately by a distribution with a large alphabet.  The package realises
exactly only integer step curves (:func:`mdmtheory.hardness.realize_step_curve`);
by Thm 4 the lower bound is a statement about the curve, so any ``mu`` with this
curve (or within ``o(eps/n)`` of it coordinatewise) has the same ``OPT_k``
(up to ``o(eps)``).
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import as_float, as_int, as_real_array

#: Largest length whose int64 schedule sizes and sums cannot overflow.
_MAX_N = 2**62

__all__ = [
    "count_pieces",
    "geometric_blocks",
    "geometric_block_function",
    "geometric_block_curve",
    "lemma28_conditions",
    "thm30_optimal_errors",
]


def count_pieces(f) -> int:
    """Def 27: ``#{i in [n-1] : f(i) != f(i+1)}`` (``f`` is k-piecewise iff this is <= k)."""
    a = as_real_array(f, "f")
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"f must be a non-empty 1-D array, got shape {a.shape}")
    return int(np.count_nonzero(a[1:] != a[:-1]))


def _eps(eps) -> float:
    return as_float(eps, "eps", minimum=0.0, maximum=1.0, strict_minimum=True,
                    strict_maximum=True)


def geometric_blocks(n: int, eps: float) -> list[range]:
    """Lemma 28's blocks ``B_0..B_m`` as 1-based ranges (many early ones empty)."""
    n = as_int(n, "n", minimum=2, maximum=_MAX_N)
    e = _eps(eps)
    m = math.ceil(math.log(n + 1) / math.log1p(e) - 1)
    out = []
    for i in range(m + 1):
        lo = math.floor((1 + e) ** i)
        hi = min(math.floor((1 + e) ** (i + 1)) - 1, n)
        out.append(range(lo, hi + 1))
    return out


def geometric_block_function(n: int, eps: float) -> np.ndarray:
    """Lemma 28's ``f`` on ``[n]`` (``f[x-1] = f(x)``): ``(1+eps)^(-i)/(4 ln n)`` on ``B_i``."""
    n = as_int(n, "n", minimum=2, maximum=_MAX_N)
    e = _eps(eps)
    f = np.zeros(n)
    covered = np.zeros(n, dtype=bool)
    for i, B in enumerate(geometric_blocks(n, e)):
        for x in B:
            f[x - 1] = (1 + e) ** (-i) / (4 * math.log(n))
            covered[x - 1] = True
    if not covered.all():  # pragma: no cover - the blocks tile [n] by construction
        raise AssertionError("Lemma 28 blocks do not cover [n]")
    return f


def geometric_block_curve(n: int, eps: float) -> np.ndarray:
    """The mirrored Lemma 28 curve ``Z_j = f(n + 1 - j)`` for ``j >= 2``, ``Z_1 = 0``."""
    f = geometric_block_function(n, eps)
    Z = f[::-1].copy()
    Z[0] = 0.0
    return Z


def lemma28_conditions(n: int, eps: float) -> bool:
    """Lemma 28's hypothesis ``(2/n) ln(2/eps) <= eps <= 1/ln n``."""
    n = as_int(n, "n", minimum=2, maximum=_MAX_N)
    e = _eps(eps)
    return (2.0 / n) * math.log(2.0 / e) <= e <= 1.0 / math.log(n)


def thm30_optimal_errors(n: int, eps: float, ks) -> np.ndarray:
    """``OPT_k`` (exact optimal k-step error, Eq. (1)) of the mirrored curve, for each ``k``."""
    from .optimal import optimal_frontier

    Z = geometric_block_curve(n, eps)
    ks = [as_int(k, "ks", minimum=1, maximum=Z.size)
          for k in np.atleast_1d(np.asarray(ks, dtype=object)).ravel()]
    fr = optimal_frontier(Z, max(ks))
    return np.array([fr.errors[k - 1] for k in ks])
