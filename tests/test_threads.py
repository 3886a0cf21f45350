"""The package's thread-count setter and the OpenMP wait policy it starts Numba's pool with."""

import subprocess
import sys
import textwrap

import pytest

import mdmtheory


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", None, 10**6])
def test_set_num_threads_refuses_bad_counts(bad):
    with pytest.raises((TypeError, ValueError)):
        mdmtheory.set_num_threads(bad)


_CHILD = textwrap.dedent("""
    import resource, sys
    import numpy as np
    import mdmtheory
    {setup}
    import numba
    if numba.threading_layer() != "omp":
        print("skip"); sys.exit()
    from mdmtheory._kernels import sweep_entropies
    p = np.random.default_rng(0).random(2 ** 14); p /= p.sum()
    sweep_entropies(p, 14, 2, store=False, serial_below=0)
    r0 = resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw
    for _ in range(3):
        sweep_entropies(p, 14, 2, store=False, serial_below=0)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw - r0)
""")


def _voluntary_switches(setup: str) -> int | None:
    env = {"PATH": "/usr/bin:/bin", "NUMBA_NUM_THREADS": "2"}
    import os
    for key in ("HOME", "NUMBA_CACHE_DIR", "PYTHONPATH", "MDMTHEORY_DATA"):
        if key in os.environ:
            env[key] = os.environ[key]
    out = subprocess.run([sys.executable, "-c", _CHILD.format(setup=setup)], env=env,
                         capture_output=True, text=True, check=True).stdout.split()[-1]
    return None if out == "skip" else int(out)


def test_threaded_sweep_threads_sleep_between_regions():
    """The threaded sweep opens hundreds of parallel regions; with the passive policy the
    worker thread sleeps (a voluntary context switch) after each, with OpenMP's default
    active policy it spins and never does.  The comparison run (pool started by
    ``numba.set_num_threads`` first) shows that the observable can fail."""
    passive = _voluntary_switches("mdmtheory.set_num_threads(2)")
    if passive is None:
        pytest.skip("Numba's threading layer is not OpenMP here")
    active = _voluntary_switches("import numba; numba.set_num_threads(2)")
    assert passive > 50
    assert active < passive / 5
