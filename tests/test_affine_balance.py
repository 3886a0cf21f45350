"""Def 18's balance deviation of affine codes against a brute force over all shifts.

:func:`mdmtheory.affine_codes.balance_deviation` and
:func:`~mdmtheory.affine_codes.unshifted_balance_deviation` share one subset loop; here
both are checked against an independent enumeration: every shift ``b`` in ``F_p^n``
(not only ``b_S``), every codeword, every subset ``|S| >= d`` and every ``x``, with
exact fractions.  Codes: Reed-Solomon (MDS: balanced by Lemma 21) and codes that are
not MDS (deviation > 0), so both branches of the comparison are exercised.  The
tolerance 1e-12 covers the float64 rounding of the ratio ``count / p^|S|``.
"""

from __future__ import annotations

import itertools
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest

from mdmtheory import families
from mdmtheory.affine_codes import balance_deviation, unshifted_balance_deviation


def _brute(G: np.ndarray, p: int, shifted: bool) -> float:
    d, n = G.shape
    words = {tuple(int(v) for v in (np.array(u) @ G) % p)
             for u in itertools.product(range(p), repeat=d)}
    shifts = list(itertools.product(range(p), repeat=n)) if shifted else [(0,) * n]
    worst = Fraction(0)
    for m in range(d, n + 1):
        target = Fraction(1, p ** (m - d))
        for S in itertools.combinations(range(n), m):
            hits = Counter()  # x -> number of shifts b with x in (C + b)_S
            for b in shifts:
                hits.update({tuple((w[i] + b[i]) % p for i in S) for w in words})
            for x in itertools.product(range(p), repeat=m):
                worst = max(worst, abs(Fraction(hits[x], len(shifts)) - target))
    return float(worst)


CODES = [
    ("RS[3,1]_3", families.reed_solomon_generator(3, 1, 3), 3),
    ("RS[3,2]_3", families.reed_solomon_generator(3, 2, 3), 3),
    ("RS[4,2]_5", families.reed_solomon_generator(4, 2, 5), 5),
    ("repetition[4]_2", np.ones((1, 4), dtype=np.int64), 2),  # MDS
    ("[4,2]_3 with a repeated column", np.array([[1, 1, 0, 1], [0, 0, 1, 2]]), 3),
    ("[4,2]_2 parity", np.array([[1, 0, 1, 1], [0, 1, 1, 0]]), 2),
    ("[3,2]_2 with a zero column", np.array([[1, 0, 0], [0, 1, 0]]), 2),
]


@pytest.mark.parametrize("name, G, p", CODES, ids=[c[0] for c in CODES])
def test_balance_deviations_match_brute_force(name, G, p):
    assert balance_deviation(G, p) == pytest.approx(_brute(G, p, True), abs=1e-12)
    assert unshifted_balance_deviation(G, p) == pytest.approx(_brute(G, p, False), abs=1e-12)


def test_the_codes_exercise_both_outcomes():
    """At least one balanced and one unbalanced shifted code in the table above."""
    devs = [_brute(G, p, True) for _, G, p in CODES]
    assert min(devs) == 0.0 and max(devs) > 0.1
