"""Bad input fails loudly, never with a number.

Every case asserts the exception type AND that the message names the problem
(``pytest.raises(..., match=...)``).  The memory guard is tested for two things:
the message states the bytes needed, and it fires *before* the table is
allocated (instantly for ``q=2, n=40``, whose table would be 8 TiB; and, measured with
``tracemalloc``, without allocating anything near the table size under a small budget
set with :func:`mdmtheory.memory_budget`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pytest

import mdmtheory as mdm
from mdmtheory import Distribution, families
from mdmtheory.schedule import Schedule, left_riemann_error

# ----------------------------------------------------------------------------- tables
#: One-position tables with bad values: a flat (1-D) table needs ``n=1`` to be read.
BAD_FLAT_TABLES = [
    ([np.nan, 1.0], "NaN"),
    ([np.inf, 0.0], "infinite"),
    ([-np.inf, 1.0], "infinite"),
    ([-0.1, 1.1], "negative"),
    ([0.5, 0.6], "sum to 1"),
    ([0.2, 0.2], "sum to 1"),
]
BAD_TABLES = [
    ([[0.5, np.nan], [0.25, 0.25]], "NaN"),
    ([[0.5, 0.5], [0.5, -0.5]], "negative"),
    (np.full((2, 2), 0.25 * (1 + 1e-6)), "sum to 1"),   # off by 1e-6 > SUM_ATOL
    (np.zeros((2, 2)), "sum to 1"),
    (np.full((2, 3), 1 / 6), "same length"),             # unequal axes
    (np.full((3, 3, 2), 1 / 18), "same length"),
    ([[0.25, 0.25], [0.5]], "inhomogeneous"),             # ragged nested list (numpy's check)
    ([1.0], "q must be >= 2"),
    ([[1.0]], "q must be >= 2"),
    ([], "q must be >= 2"),
    (np.float64(1.0), "at least 1 position"),              # 0-d
    (1.0, "at least 1 position"),
    (np.array([0.5, 0.5], dtype=complex), "real-valued"),
    (np.array(["0.5", "0.5"]), "real-valued"),
    (np.array([0.5, None], dtype=object), "real-valued"),
]


@pytest.mark.parametrize("table,match", BAD_TABLES)
def test_bad_tables_raise(table, match):
    with pytest.raises(ValueError, match=match):
        Distribution(table)
    # every information function validates raw arrays the same way
    with pytest.raises(ValueError, match=match):
        mdm.information_summary(table)
    with pytest.raises(ValueError, match=match):
        mdm.total_correlation(table)


@pytest.mark.parametrize("table,match", BAD_FLAT_TABLES)
def test_bad_flat_tables_raise(table, match):
    """Read as one position (``n=1``) the bad value is named; without ``n`` a flat table
    is refused first, by the constructor and by every function taking a raw array."""
    with pytest.raises(ValueError, match=match):
        Distribution(table, n=1)
    for f in (Distribution, mdm.information_summary, mdm.total_correlation):
        with pytest.raises(ValueError, match=r"length 2 needs n=.*Distribution\(p, n=1\)"):
            f(table)


def test_float32_rounded_table_is_rejected_not_silently_renormalised():
    """A table off by ~1e-7 (float32 rounding) exceeds SUM_ATOL = 1e-9 (documented choice)."""
    t = np.full(3, np.float32(1 / 3), dtype=np.float32).astype(np.float64) * (1 + 3e-7)
    with pytest.raises(ValueError, match="sum to 1"):
        Distribution(t, n=1)
    Distribution(t, atol=1e-6, n=1)  # accepted with an explicit tolerance


@pytest.mark.parametrize("w,match", [
    ([0.0, 0.0], "positive sum"),
    ([1.0, -1.0], "negative"),
    ([1.0, np.nan], "NaN"),
    ([1.0, np.inf], "infinite"),
    (1.0, "at least 1 position"),
])
def test_bad_weights(w, match):
    with pytest.raises(ValueError, match=match):
        Distribution.from_weights(w, n=1)


@pytest.mark.parametrize("lw,match", [
    ([0.0, np.nan], "NaN"),
    ([0.0, np.inf], r"\+inf"),
    ([-np.inf, -np.inf], "all -inf"),
    (0.0, "at least 1 position"),
    ([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], "same length"),
])
def test_bad_log_weights(lw, match):
    with pytest.raises(ValueError, match=match):
        Distribution.from_log_weights(lw, n=None if np.ndim(lw) != 1 else 1)


@pytest.mark.parametrize("samples,q,match", [
    ([[0, 3]], 3, r"token 3 >= q=3"),
    ([[0, 2], [1, 1]], 2, r"token 2 >= q=2"),
    ([[0, -1]], None, "non-negative"),
    ([[0, 1.5]], None, "integers"),
    ([[0, np.nan]], None, "integers"),
    ([0, 1], None, r"shape \(N, n\)"),
    (np.zeros((0, 3), dtype=int), None, r"shape \(N, n\)"),
    ([[0, 0]], 1, "q must be >= 2"),
    ([[0, 0]], 2.5, "q must be an integer"),
])
def test_bad_samples(samples, q, match):
    with pytest.raises(ValueError, match=match):
        Distribution.from_samples(samples, q=q)


# ----------------------------------------------------------------------------- oracle queries
@pytest.mark.parametrize("call,match", [
    (lambda mu: mu.conditional(3), "position 3 out of range"),
    (lambda mu: mu.conditional(-1), "must be >= 0"),
    (lambda mu: mu.conditional(0, {1: 2}), "revealed value 2 out of range"),
    (lambda mu: mu.conditional(0, {5: 0}), "position 5 out of range"),
    (lambda mu: mu.conditionals(([1, 1], [0, 0])), "repeated"),
    (lambda mu: mu.conditionals(([1, 2], [0])), "2 revealed positions but 1 values"),
    (lambda mu: mu.conditionals(5), "mapping or a \\(positions, values\\) pair"),
    (lambda mu: mu.conditional(0, {1: 0.5}), "revealed value must be an integer"),
    (lambda mu: mu.marginal([0, 0]), "repeated"),
    (lambda mu: mu.marginal([0, 7]), "out of range"),
    (lambda mu: mu.prob([0, 1]), r"shape \(3,\)"),
    (lambda mu: mu.prob([0, 1, 2]), r"tokens must lie in \[0, 2\)"),
    (lambda mu: mu.sample(-1), "size must be >= 0"),
    (lambda mu: mu.sample(2.5), "size must be an integer"),
])
def test_bad_oracle_queries(call, match):
    with pytest.raises(ValueError, match=match):
        call(families.uniform(3, 2))


def test_zero_probability_context_has_no_conditional():
    with pytest.raises(ValueError, match="probability zero"):
        families.parity(3, 2).conditional(2, {0: 0, 1: 1, 2: 0})


# ----------------------------------------------------------------------------- families
@pytest.mark.parametrize("call,match", [
    (lambda: families.uniform(0, 2), "n must be >= 1"),
    (lambda: families.uniform(2.5, 2), "n must be an integer"),
    (lambda: families.uniform(3, 1), "q must be >= 2"),
    (lambda: families.repetition(3, 1), "q must be >= 2"),
    (lambda: families.parity(3, 0), "q must be >= 2"),
    (lambda: families.random_dirichlet(2, 2, -1.0), "alpha must be positive"),
    (lambda: families.random_dirichlet(2, 2, "x"), "alpha must be positive"),
    (lambda: families.product([0.5, 0.5]), r"shape \(n, q\)"),
    (lambda: families.product([[1.0], [1.0]]), r"q >= 2"),
    (lambda: families.product([[0.5, 0.6]]), r"marginals\[0\] must sum to 1"),
    (lambda: families.markov_chain(3, [[0.5, 0.5]]), "square"),
    (lambda: families.markov_chain(3, [[0.5, 0.6], [0.5, 0.5]]), "row .* must sum to 1"),
    (lambda: families.markov_chain(3, [[1.5, -0.5], [0.5, 0.5]]), "negative"),
    (lambda: families.markov_chain(3, [[0.5, 0.5], [0.5, 0.5]], [1.0]), "length q=2"),
    (lambda: families.markov_chain(3, np.eye(2)), "no unique stationary law"),
    (lambda: families.markov_chain(3, np.full((3, 2, 2), 0.5)), r"shape \(n-1, q, q\)"),
    (lambda: families.binary_symmetric_chain(3, 1.5), r"flip must be in \[0, 1\]"),
    (lambda: families.binary_symmetric_chain(3, np.nan), r"flip must be in \[0, 1\]"),
    (lambda: families.hidden_markov(3, np.eye(2), np.full((3, 2), 0.5)), "emission"),
    (lambda: families.hidden_markov(3, [[1.0]], [[1.0]]), "q must be >= 2"),
    (lambda: families.hidden_markov(3, [[0.5, 0.5]], [[1.0, 0.0]]), "square"),
    (lambda: families.mixture([]), "at least one component"),
    (lambda: families.mixture([families.uniform(2, 2), families.uniform(3, 2)]), "share"),
    (lambda: families.mixture([families.uniform(2, 2)], [0.5, 0.5]), "2 weights"),
    (lambda: families.mixture([np.full((2, 2), 0.25)]), "Distribution objects"),
    (lambda: families.potts_chain(3, 2, np.nan), "coupling must be a finite"),
    (lambda: families.potts_chain(3, 2, 1.0, [0.0]), r"field must be .* shape \(2,\)"),
    (lambda: families.ising_chain(3, 1.0, np.inf), "field must be a finite"),
])
def test_bad_family_parameters(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("p", [1, 4, 6, 9, 15, 0])
def test_non_prime_field_is_rejected(p):
    with pytest.raises(ValueError, match="prime|p must be >= 2"):
        families.linear_code([[1, 1, 1]], p)
    with pytest.raises(ValueError, match="prime|p must be >= 2"):
        families.reed_solomon(1, 1, p)


@pytest.mark.parametrize("call,match", [
    (lambda: families.reed_solomon(6, 2, 5), r"n <= p .* n=6 > p=5"),
    (lambda: families.reed_solomon_generator(4, 2, 3), "n=4 > p=3"),
    (lambda: families.reed_solomon(3, 4, 5), "d=4 must be <= n=3"),
    (lambda: families.reed_solomon(3, 0, 5), "d must be >= 1"),
    (lambda: families.linear_code([[0.5, 1]], 3), "integer entries"),
    (lambda: families.linear_code([1, 1], 3), r"shape \(d, n\)"),
])
def test_bad_codes(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----------------------------------------------------------------------------- memory guard
HUGE = [  # q = 2, n = 40: 2^40 cells = 8 TiB of float64
    ("uniform", lambda: families.uniform(40, 2)),
    ("random_dirichlet", lambda: families.random_dirichlet(40, 2, seed=0)),
    ("repetition", lambda: families.repetition(40, 2)),
    ("parity", lambda: families.parity(40, 2)),
    ("product", lambda: families.product(np.full((40, 2), 0.5))),
    ("markov_chain", lambda: families.markov_chain(40, [[0.9, 0.1], [0.1, 0.9]])),
    ("binary_symmetric_chain", lambda: families.binary_symmetric_chain(40, 0.1)),
    ("hidden_markov", lambda: families.hidden_markov(40, np.eye(2) * 0.8 + 0.1,
                                                     [[0.9, 0.1], [0.2, 0.8]])),
    ("potts_chain", lambda: families.potts_chain(40, 2, 1.0)),
    ("ising_chain", lambda: families.ising_chain(40, 1.0)),
    ("linear_code", lambda: families.linear_code(np.ones((1, 40), dtype=int), 2)),
    ("reed_solomon", lambda: families.reed_solomon(40, 2, 41)),
    ("from_samples", lambda: Distribution.from_samples(np.zeros((3, 40), dtype=int))),
]


@pytest.mark.parametrize("name,call", HUGE, ids=[h[0] for h in HUGE])
def test_oversize_table_raises_instantly_with_bytes_needed(name, call):
    """Refused by the budget (default 4 GiB) before allocating: ours, not numpy's
    'Unable to allocate', and within 1 s (allocation/filling of 8 TiB is impossible)."""
    t0 = time.perf_counter()
    with pytest.raises(MemoryError, match=r"would need [0-9.e+]+ [KMGTPE]iB, over the memory budget"):
        call()
    assert time.perf_counter() - t0 < 1.0


def test_oversize_message_states_exact_bytes():
    with pytest.raises(MemoryError, match=r"q=2, n=40 has 1,099,511,627,776 cells and "
                                          r"\(with 2 arrays of that size held at once\) "
                                          r"would need 16\.0 TiB"):
        families.uniform(40, 2)
    with pytest.raises(MemoryError, match=r"q=2, n=40 has 1,099,511,627,776 cells and would "
                                          r"need 8\.0 TiB"):
        Distribution.from_samples(np.zeros((3, 40), dtype=int))
    with mdm.memory_budget(1000):
        with pytest.raises(MemoryError, match=r"would need 16\.0 KiB, over the memory budget of "
                                              r"1000 B"):
            families.uniform(10, 2)


@pytest.mark.parametrize("make", [
    lambda: families.uniform(16, 2),
    lambda: families.random_dirichlet(16, 2, seed=0),
    lambda: families.markov_chain(16, [[0.9, 0.1], [0.1, 0.9]]),
    lambda: families.potts_chain(10, 3, 0.5),
    lambda: families.product(np.full((16, 2), 0.5)),
    lambda: Distribution.from_samples(np.zeros((2, 16), dtype=int)),
])
def test_memory_guard_fires_before_allocation(make):
    """Under a 4 KiB budget, building a 512 KiB (or larger) table raises after allocating
    less than 64 KiB in total (tracemalloc sees numpy's allocations)."""
    tracemalloc.start()
    try:
        with mdm.memory_budget(4096):
            with pytest.raises(MemoryError, match="memory budget"):
                make()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024, peak


def test_memory_budget_is_restored_and_validated():
    old = mdm.get_max_table_bytes()
    with pytest.raises(ValueError, match="boom"):
        with mdm.memory_budget(10):
            assert mdm.get_max_table_bytes() == 10
            raise ValueError("boom")
    assert mdm.get_max_table_bytes() == old
    for bad in (0, -5):
        with pytest.raises(ValueError, match="memory budget must be positive"):
            mdm.set_max_table_bytes(bad)
    assert mdm.get_max_table_bytes() == old


def test_distribution_max_bytes_keyword_and_derived_tables():
    t = np.full((2,) * 10, 2.0**-10)  # 8 KiB
    with pytest.raises(MemoryError, match="would need 8.0 KiB"):
        Distribution(t, max_bytes=4096)
    mu = Distribution(t)
    with mdm.memory_budget(16 * 1024):  # 8 KiB table fits; (q+1)^n = 3^10 cells do not
        with pytest.raises(MemoryError, match=r"\(q\+1\)\^n marginal tensor .* would need"):
            mdm.extended_marginal_tensor(mu)


@pytest.mark.parametrize("value,budget", [
    ("1024", 1024), ("1 KiB", 1024), ("1kib", 1024), ("4e9", 4 * 10**9), ("1 GiB", 2**30),
    ("512MB", 512 * 10**6), (" 2 GB ", 2 * 10**9), ("1.5 KiB", 1536), (2048, 2048),
])
def test_parse_bytes_units(value, budget):
    """The parser of MDMTHEORY_MAX_BYTES: plain, scientific and unit forms."""
    from mdmtheory._validation import parse_bytes

    assert parse_bytes(value) == budget


@pytest.mark.parametrize("value", ["lots", "-5", "0", "1 XB", "nan", "inf", "1e400", "4 GiB x",
                                   "", True])
def test_parse_bytes_nonsense(value):
    from mdmtheory._validation import parse_bytes

    with pytest.raises(ValueError, match="MDMTHEORY_MAX_BYTES must be"):
        parse_bytes(value) if value != "" else parse_bytes("  ")


@pytest.mark.parametrize("value,budget", [("4e9", 4 * 10**9), ("1 GiB", 2**30)])
def test_environment_variable_sets_the_budget(value, budget):
    """MDMTHEORY_MAX_BYTES accepts plain, scientific and unit forms (decimal and binary)."""
    env = dict(os.environ, MDMTHEORY_MAX_BYTES=value)
    code = "import mdmtheory as m; print('BUDGET', m.get_max_table_bytes())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and f"BUDGET {budget}" in out.stdout, out.stdout + out.stderr


def test_environment_variable_budget_is_enforced():
    env = dict(os.environ, MDMTHEORY_MAX_BYTES="1024")
    code = ("import mdmtheory as m\n"
            "try:\n    m.families.uniform(8, 2)\n"
            "except MemoryError as e:\n    print('MEMERR', e)\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert "MEMERR" in out.stdout and "4.0 KiB" in out.stdout, out.stdout + out.stderr


@pytest.mark.parametrize("value", ["lots", "1e400"])
def test_environment_variable_nonsense_warns_and_keeps_default(value):
    """A bad value never gives a traceback at import: one warning line, default budget."""
    env = dict(os.environ, MDMTHEORY_MAX_BYTES=value)
    code = "import mdmtheory as m; print('BUDGET', m.get_max_table_bytes())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"BUDGET {4 * 2**30}" in out.stdout
    assert "Traceback" not in out.stderr and "MDMTHEORY_MAX_BYTES must be a byte count" in \
        out.stderr or "MDMTHEORY_MAX_BYTES must be between" in out.stderr, out.stderr


def test_set_budget_with_units():
    with pytest.raises(ValueError, match="nbytes must be a byte count"):
        mdm.set_max_table_bytes("a lot")
    with mdm.memory_budget("1 MiB"):
        assert mdm.get_max_table_bytes() == 2**20


# ----------------------------------------------------------------------------- base keyword
BASE_FUNCS = [
    mdm.subset_entropies, mdm.entropy_profile, mdm.information_curve, mdm.information_summary,
    mdm.joint_entropy, mdm.marginal_entropies, mdm.total_correlation, mdm.dual_total_correlation,
    mdm.mutual_information_sum, mdm.pairwise_mutual_information,
    mdm.leave_one_out_total_correlations,
    lambda mu, base: mdm.conditional_entropy(mu, [0], [1], base=base),
    lambda mu, base: mdm.conditional_total_correlation(mu, [0, 1], base=base),
]


@pytest.mark.parametrize("base", [0, 1, 1.0, -2, np.nan, np.inf, "two", [2]])
@pytest.mark.parametrize("func", BASE_FUNCS)
def test_bad_base(func, base):
    with pytest.raises(ValueError, match="base must be"):
        func(families.uniform(3, 2), base=base)


# ----------------------------------------------------------------------------- schedules
@pytest.mark.parametrize("sizes,n,match", [
    ([1.5, 2.5], None, "must be integers"),
    ([np.nan, 2], None, "must be integers"),
    (["a", "b"], None, "must be integers"),
    ([0, 3], None, "must be positive"),
    ([-1, 4], None, "must be positive"),
    ([2, 0, 1], 3, "must be positive"),
    ([1, 2], 4, "sum to 3, not n=4"),
    ([3, 3], 5, "sum to 6, not n=5"),
    ([], None, "at least one step"),
    ([[1, 2]], None, "at least one step"),
    ([1, 2], 2.5, "n must be a positive integer"),
    ([1], 0, "n must be a positive integer"),
])
def test_bad_schedules(sizes, n, match):
    with pytest.raises(ValueError, match=match):
        Schedule(sizes, n)


def test_schedule_must_cover_the_curve():
    Z = np.array([0.0, 0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="sum to 3, not n=4"):
        left_riemann_error(Z, [1, 2])
    with pytest.raises(ValueError, match="n=3 positions, but the curve has n=4"):
        left_riemann_error(Z, Schedule([1, 2]))
    # the matching schedule works: blocks {1,2}, {3,4} -> (Z2 - Z1) + (Z4 - Z3) = 0.2
    assert left_riemann_error(Z, [2, 2]) == pytest.approx(0.2, abs=1e-15)


def test_error_messages_show_plain_numbers():
    """Messages quote the offending value as plain text (``-0.1``, ``[1.5, 0.5]``), never
    as a NumPy repr (``np.float64(-0.1)``, ``array([...])``)."""
    from mdmtheory.affine_codes import affine_code
    from mdmtheory.policies.heuristics import threshold_select
    from mdmtheory.policies.learned import speed_reward
    from mdmtheory.random_schedules import bernoulli_process

    calls = [
        lambda: threshold_select(np.array([-0.1, 0.5]), np.array([True, True]), 0.5),
        lambda: speed_reward(np.array([-0.1]), np.array([1]), length=4, alpha=1.0),
        lambda: affine_code(np.array([[1, 0], [0, 1]]), 3, shift=np.array([5, 0])),
        lambda: Distribution(np.array([[-0.1, 1.1], [0.0, 0.0]])),
        lambda: Distribution(np.array([[0.5, 0.6], [0.0, 0.0]])),
        lambda: Distribution(np.full(8, 1 / 8)),
        lambda: bernoulli_process(4, np.array([1.5, 0.5, 0.3, 0.2])),
        lambda: bernoulli_process(2, np.array([0.5, 0.5])),
        lambda: left_riemann_error(np.array([0.0, 0.1, 0.05]), [1, 2]),
    ]
    for call in calls:
        with pytest.raises(ValueError) as info:
            call()
        msg = str(info.value)
        assert "np." not in msg and "array(" not in msg, msg
