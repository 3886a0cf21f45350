"""Schedules and Thm 4's error formula (spec theory.md §1-§3, §7 items 9, 10, 15).

Every law is checked against an independent computation written here from the
definitions (explicit loops over positions and blocks), never against the
code path under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from mdmtheory.schedule import (
    Schedule,
    as_schedule,
    compositions,
    left_riemann_approximation,
    left_riemann_error,
    riemann_weights,
    step_errors,
    validate_curve,
    weight_form_error,
)
from tests.strategies import compositions as composition_strategy


# ----------------------------------------------------------------------------- curves
@st.composite
def curves(draw, n_min: int = 1, n_max: int = 12) -> np.ndarray:
    """Nondecreasing curves with Z_1 = 0: smooth, integer-valued (ties), flat, steps."""
    n = draw(st.integers(n_min, n_max))
    kind = draw(st.sampled_from(["random", "integer", "sparse", "step"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if kind == "random":
        d = rng.random(n - 1)
    elif kind == "integer":
        d = rng.integers(0, 3, n - 1).astype(float)
    elif kind == "sparse":
        d = rng.random(n - 1) * (rng.random(n - 1) < 0.3)
    else:
        d = np.zeros(n - 1)
        if n > 1:
            d[rng.integers(n - 1)] = math.log(5)
    return np.concatenate([[0.0], np.cumsum(d)])


@st.composite
def curve_and_schedule(draw, n_min: int = 1, n_max: int = 12):
    Z = draw(curves(n_min, n_max))
    return Z, draw(composition_strategy(Z.size))


def definitional_error(Z: np.ndarray, sizes) -> float:
    """sum_j (Z_j - Z^N_j) with Z^N_j = Z_{a_t} on block t: a plain loop (Def. 1.2)."""
    err, pos = 0.0, 0
    for s in sizes:
        a = pos  # 0-based index of a_t
        for j in range(pos, pos + s):
            err += Z[j] - Z[a]
        pos += s
    return err


# ----------------------------------------------------------------------------- Schedule
def test_schedule_attributes_match_spec_notation():
    s = Schedule([3, 1, 2])
    assert s.k == 3 and s.n == 6 and len(s) == 3
    assert s.cumulative.tolist() == [0, 3, 4, 6]  # N_0..N_k
    assert s.starts.tolist() == [1, 4, 5]  # a_t = N_{t-1} + 1
    assert s.ends.tolist() == [3, 4, 6]  # b_t = N_t
    assert s.remaining.tolist() == [6, 3, 2]  # R_t = n - N_{t-1}
    assert s.block_of().tolist() == [1, 1, 1, 2, 3, 3]
    assert s.tolist() == [3, 1, 2] and list(s) == [3, 1, 2]
    assert Schedule.from_cumulative([0, 3, 4, 6]) == s == Schedule.from_cumulative([3, 4, 6])
    assert hash(s) == hash(Schedule([3, 1, 2])) and s != Schedule([3, 2, 1])
    with pytest.raises(ValueError, match="read-only"):
        s.sizes[0] = 5


@pytest.mark.parametrize("sizes, n, match", [
    ([], None, "at least one step"),
    ([2, 0, 1], None, "positive"),
    ([2, -1, 4], None, "positive"),
    ([1.5, 2.5], None, "integers"),
    ([np.nan, 1], None, "integers"),
    ([True, False], None, "integers"),
    ([2, 2], 5, "sum to 4, not n=5"),
    ([[1, 2], [3, 4]], None, "at least one step"),
    (["a", "b"], None, "integers"),
])
def test_bad_schedules_are_refused(sizes, n, match):
    with pytest.raises(ValueError, match=match):
        Schedule(sizes, n)


def test_schedule_must_match_the_curve_length():
    Z = np.array([0.0, 0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="sum to 5, not n=4"):
        left_riemann_error(Z, [2, 3])
    with pytest.raises(ValueError, match="n=5 positions, but the curve has n=4"):
        left_riemann_error(Z, Schedule([2, 3]))
    with pytest.raises(ValueError, match="cumulative"):
        Schedule.from_cumulative([0, 3, 3, 6])  # an empty step
    with pytest.raises(ValueError):
        as_schedule([0, 4], 4)


@pytest.mark.parametrize("Z, match", [
    ([0.1, 0.2], "Z_1 must be 0"),
    ([0.0, 0.5, 0.2], "nondecreasing"),
    ([0.0, np.nan], "NaN"),
    ([[0.0, 1.0]], "1-D"),
    ([], "non-empty"),
])
def test_bad_curves_are_refused(Z, match):
    with pytest.raises(ValueError, match=match):
        left_riemann_error(Z, [len(np.ravel(Z)) or 1])
    with pytest.raises(ValueError, match=match):
        validate_curve(Z)


def test_compositions_enumerates_every_composition_once():
    for n in range(1, 9):
        every = [tuple(s) for s in compositions(n)]
        assert len(every) == 2 ** (n - 1) == len(set(every))
        assert all(sum(c) == n and min(c) >= 1 for c in every)
        for k in range(1, n + 1):
            assert sum(1 for _ in compositions(n, k)) == math.comb(n - 1, k - 1)
    with pytest.raises(ValueError):
        list(compositions(4, 5))
    with pytest.raises(ValueError):
        list(compositions(0))


# ----------------------------------------------------------------------------- Thm 4 forms
@given(curve_and_schedule())
def test_error_equals_the_area_between_curve_and_left_riemann_steps(case):
    """Def. 1.2 / Thm 4: E KL = sum_j (Z_j - Z^N_j), every term >= 0."""
    Z, sizes = case
    ZN = left_riemann_approximation(Z, sizes)
    # Z^N_j = Z_{a_t} built independently
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    expect = np.concatenate([[Z[a]] * s for a, s in zip(starts, sizes)])
    np.testing.assert_array_equal(ZN, expect)
    assert np.all(Z - ZN >= 0)
    ref = definitional_error(Z, sizes)
    assert left_riemann_error(Z, sizes) == pytest.approx(ref, rel=1e-13, abs=1e-13)
    per_step = step_errors(Z, sizes)
    assert per_step.shape == (len(sizes),) and np.all(per_step >= 0)
    for t, (a, s) in enumerate(zip(starts, sizes)):
        assert per_step[t] == pytest.approx(definitional_error(Z[a:a + s], [s]),
                                            rel=1e-13, abs=1e-13)


@given(curve_and_schedule())
def test_item10_weight_form(case):
    """Item 10: E KL = sum_i w_i delta_i, w_i = distance from i to the end of its block."""
    Z, sizes = case
    n = Z.size
    w = []
    end = 0
    for s in sizes:
        end += s
        w += [end - i for i in range(end - s + 1, end + 1)]  # i = 1-based positions
    w = np.array(w[:-1], dtype=float)  # i = 1..n-1
    np.testing.assert_array_equal(riemann_weights(sizes), w)
    delta = np.diff(Z)
    ref = float(sum(w[i] * delta[i] for i in range(n - 1)))
    assert weight_form_error(Z, sizes) == pytest.approx(ref, rel=1e-12, abs=1e-12)
    assert left_riemann_error(Z, sizes) == pytest.approx(ref, rel=1e-12, abs=1e-12)
    # w_i = 0 exactly at block ends
    ends = np.cumsum(sizes)[:-1]
    assert np.all(riemann_weights(sizes)[ends - 1] == 0)


@given(curves(n_min=1, n_max=14))
def test_item9_one_step_is_tc_area_and_n_steps_is_exact(Z):
    """Item 9 (curve form): k = 1 gives sum_j Z_j (= TC, item 3); k = n gives 0 exactly."""
    n = Z.size
    assert left_riemann_error(Z, [n]) == pytest.approx(math.fsum(Z), rel=1e-13, abs=1e-15)
    assert left_riemann_error(Z, [1] * n) == 0.0


@given(curve_and_schedule(n_min=2), st.data())
def test_item9_splitting_a_block_never_increases_the_error(case, data):
    Z, sizes = case
    splittable = [t for t, s in enumerate(sizes) if s >= 2]
    if not splittable:
        return
    t = data.draw(st.sampled_from(splittable))
    cut = data.draw(st.integers(1, sizes[t] - 1))
    finer = sizes[:t] + [cut, sizes[t] - cut] + sizes[t + 1:]
    before, after = left_riemann_error(Z, sizes), left_riemann_error(Z, finer)
    assert after <= before + 1e-12
    # and the decrease is exactly the reference loss of the split block (Def. 1.2)
    a = sum(sizes[:t])
    drop = definitional_error(Z[a:a + sizes[t]], [sizes[t]]) - \
        definitional_error(Z[a:a + sizes[t]], [cut, sizes[t] - cut])
    assert before - after == pytest.approx(drop, rel=1e-9, abs=1e-12)


@given(curve_and_schedule())
def test_item15_uniform_step_bound(case):
    """Item 15: E KL <= (max_t s_t - 1) Z_n."""
    Z, sizes = case
    assert left_riemann_error(Z, sizes) <= (max(sizes) - 1) * Z[-1] * (1 + 1e-12) + 1e-15


def test_item15_bound_is_attained_by_a_step_at_the_end():
    """A parity-type curve (jump at n) with one big step attains (s - 1) Z_n exactly."""
    Z = np.zeros(6)
    Z[-1] = math.log(3)
    assert left_riemann_error(Z, [6]) == pytest.approx(math.log(3))  # (s - 1) Z_n is 5 log 3
    assert left_riemann_error(Z, [1, 1, 1, 1, 2]) == pytest.approx(math.log(3))  # = (2-1) Z_n


def test_small_hand_worked_example():
    """Z = (0, 1, 1.5, 3), s = (2, 2): blocks {1,2}, {3,4} -> (1 - 0) + (3 - 1.5) = 2.5."""
    Z = [0.0, 1.0, 1.5, 3.0]
    assert left_riemann_error(Z, [2, 2]) == 2.5
    np.testing.assert_array_equal(step_errors(Z, [2, 2]), [1.0, 1.5])
    np.testing.assert_array_equal(left_riemann_approximation(Z, [2, 2]), [0, 0, 1.5, 1.5])
    np.testing.assert_array_equal(riemann_weights([2, 2]), [1, 0, 1])
    assert weight_form_error(Z, [2, 2]) == 2.5  # 1*1 + 0*0.5 + 1*1.5


def test_schedule_rejects_booleans_and_names_a_bad_n():
    # numpy would silently turn True into 1; a schedule of booleans is a caller's bug
    with pytest.raises(ValueError, match="booleans"):
        Schedule([True, 1])
    with pytest.raises(ValueError, match="n must be a positive integer"):
        Schedule([1], n="a")
