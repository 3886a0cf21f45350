"""Guarded paths stay within the memory budget: peak RSS measured in a subprocess.

Each case runs in a fresh interpreter with a 64 MiB budget: it warms up (imports, JIT
compilation) on a tiny input, reads its current RSS, resets the kernel's high-water mark (``/proc/self/clear_refs``), runs
the guarded path at the largest size the guard lets through, then reads the peak RSS
(``VmHWM``).  The increase must be at most 1.5x the budget.  (Where the mark cannot be
reset, ``ru_maxrss`` is used, which can only over-state the call's own peak.)  A second call one size up must be refused with ``MemoryError`` before
allocating.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

BUDGET = 64 * 2**20

_SCRIPT = textwrap.dedent("""
    import json, resource, sys
    import numpy as np
    import mdmtheory as m
    from mdmtheory import families, sampler

    def status(key):
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
        raise KeyError(key)

    def rss():
        return status("VmRSS")

    def reset_peak():
        # Linux: writing 5 to clear_refs resets the high-water mark VmHWM, so warm-up
        # (e.g. numba compiling after a cache invalidation) does not count
        try:
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
            return True
        except OSError:
            return False

    def peak():
        try:
            return status("VmHWM")
        except (OSError, KeyError):
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    case, budget = sys.argv[1], int(sys.argv[2])
    # warm-up on tiny inputs: imports, numba compilation, numpy's first allocations
    families.linear_code(np.eye(3, dtype=int), 2)
    families.uniform(3, 2).sample(10, rng=0)
    sampler.exact_sampler_errors(families.uniform(3, 2), [2, 1])
    families.potts_chain(3, 2, 0.5)
    if case == "exact_sampler_errors":
        mu = families.uniform(20, 2)          # built before the measurement (8 MiB)
    m.set_max_table_bytes(budget)
    reset_peak()
    before = rss()
    if case == "linear_code":                 # 2 tables of 2^22 float64 = 64 MiB
        run = lambda: families.linear_code(np.ones((2, 22), dtype=int), 2)
        bigger = lambda: families.linear_code(np.ones((2, 23), dtype=int), 2)
    elif case == "linear_code_messages":      # 2^20 messages in chunks, 2 x 8 MiB tables
        run = lambda: families.linear_code(np.eye(20, dtype=int), 2)
        bigger = lambda: families.linear_code(np.eye(23, dtype=int), 2)
    elif case == "exact_sampler_errors":      # 7 tables of 2^20 float64 = 56 MiB
        run = lambda: sampler.exact_sampler_errors(mu, [19, 1])
        bigger = lambda: sampler.exact_sampler_errors(families.uniform(21, 2), [20, 1])
    elif case == "sample":                    # 330k x 22 int64 + CDF = 63.4 MiB
        mu = families.uniform(20, 2)
        reset_peak()
        before = rss()
        run = lambda: mu.sample(330_000, rng=0)
        bigger = lambda: mu.sample(400_000, rng=0)
    elif case == "potts_chain":               # 4 tables of 2^21 float64 = 64 MiB
        run = lambda: families.potts_chain(21, 2, 0.5)
        bigger = lambda: families.potts_chain(22, 2, 0.5)
    out = run()
    grown = peak() - before
    try:
        bigger()
        refused = False
    except MemoryError:
        refused = True
    print(json.dumps({"grown": grown, "refused": refused}))
""")


@pytest.mark.parametrize("case", [
    "linear_code", "exact_sampler_errors", "sample", "potts_chain",
    pytest.param("linear_code_messages", marks=pytest.mark.slow),
])
def test_peak_rss_within_budget(case):
    env = dict(os.environ, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", _SCRIPT, case, str(BUDGET)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["refused"], f"{case}: one size up was not refused"
    assert res["grown"] <= 1.5 * BUDGET, (
        f"{case}: peak RSS grew by {res['grown'] / 2**20:.1f} MiB under a "
        f"{BUDGET / 2**20:.0f} MiB budget (limit 1.5x)")
