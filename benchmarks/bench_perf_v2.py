"""Benchmark: the second performance pass, each new path side by side with the old one.

Every section runs the first release's path in the same process (kept behind a
flag: ``optimal.LEGACY``, ``structured.markov.LEGACY``,
``ExactOracle.lazy = False`` plus the row-by-row action table) or, for the
import and the extended tensor, the base revision's code, and prints wall and
CPU seconds (``time.process_time``; the machine may be shared) with the ratio
and the largest difference between the two results.

Sections (``--only`` picks some):

* ``frontier``  full frontier ``k = 1..n`` (Knuth), n = 4096..16384
* ``markov``    Markov q = 4, n = 10^4 and 10^5, warm
* ``policy``    exact evaluation of top-k confidence, q = 2, n = 14..20
* ``imports``   ``import mdmtheory`` (fresh processes) and first-call compile cost
* ``tensor``    the extended (q+1)^n marginal tensor of an explicit oracle, n = 14, 16
* ``sweep``     q = 2 exact Z: CPU-seconds against the (q+1)^n floor, n = 20 (22 with
                ``--n22``), and its peak memory from a NumPy array and a Distribution

Usage::

    python benchmarks/bench_perf_v2.py [--only frontier markov ...] [--n22] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import machine_line, markdown_table, write_section  # noqa: E402

BASE_REV = "0b645b5"  # the revision this pass started from (for import / tensor baselines)


def clock(fn, repeat: int = 1):
    """Best wall and CPU seconds over ``repeat`` calls, and the last result."""
    best_w = best_c = math.inf
    out = None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        best_w = min(best_w, time.perf_counter() - w)
        best_c = min(best_c, time.process_time() - c)
    return best_w, best_c, out


def f(t: float) -> str:
    return f"{t * 1e3:.1f} ms" if t < 1 else f"{t:.2f} s"


# ----------------------------------------------------------------------------- frontier
def sec_frontier(lines: list[str]) -> None:
    import numba

    from mdmtheory import optimal as O

    rng = np.random.default_rng(20260101)
    Zs = np.linspace(0, 1, 16) ** 0.5  # compile / load every kernel used below
    for legacy in (True, False):
        O.LEGACY = legacy
        O.optimal_frontier(Zs)
        Zw, Aw, _, _ = O._solve(Zs, 16, "knuth")
        O._all_path_errors_rows_parallel(Zw, Aw, 16, np.array([0, 8, 16]), np.zeros(16))
        O._all_path_errors_parallel(Zw, Aw, 16, 16, np.zeros(16))
    O.LEGACY = False

    def parts(Z):  # the new path's stages, one thread (CPU seconds)
        nth = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            n = Z.size
            _, c_a, A = clock(lambda: O._alloc_argmins(n, n))
            Zarr, Zi, P, _ = O._prepare(Z)
            opt = np.zeros(n + 1, dtype=np.int64)
            _, c_dp, _ = clock(lambda: O._knuth_kernel(Zi, P, n, A, opt))
            _, c_e, _ = clock(lambda: O._all_path_errors(Zarr, A, n, n, np.zeros(n)))
        finally:
            numba.set_num_threads(nth)
        return c_a, c_dp, c_e

    rows, prev = [], None
    for n in (4096, 8192, 16384):
        Z = np.concatenate([[0.0], np.cumsum(rng.random(n - 1))]) / n
        O.LEGACY = False
        w1, c1, new = clock(lambda: O.optimal_frontier(Z), repeat=3)
        c_a, c_dp, c_e = parts(Z)
        O.LEGACY = True
        try:
            w0, c0, old = clock(lambda: O.optimal_frontier(Z), repeat=2)
        finally:
            O.LEGACY = False
        same = np.array_equal(new.scaled_errors, old.scaled_errors) and \
            np.array_equal(new._argmins, old._argmins)
        walk = np.array([O._path_error(Z, new._argmins, n, k)
                         for k in range(1, n + 1, max(1, n // 64))])
        same_walk = np.array_equal(walk, new.errors[::max(1, n // 64)])
        pos = old.errors > 0
        rel = float(np.max(np.abs(new.errors - old.errors)[pos] / old.errors[pos]))
        growth = "" if prev is None else f"{c1 / prev:.1f}x"
        prev = c1
        rows.append([n, f(w0), f(c0), f(w1), f(c1), f"{c_a:.2f} / {c_dp:.2f} / {c_e:.2f}",
                     f"{c0 / c1:.1f}x", growth,
                     "yes" if same else "NO", "yes" if same_walk else "NO", f"{rel:.1e}"])
        del new, old
    lines += ["### Full frontier OPT_1..OPT_n (Knuth), random curve", "",
              "Old (the first release): the Knuth kernel with three int64 streams per "
              "candidate and a branch per candidate, then every k's error backtracked "
              "separately through the (n+1)^2 int16 argmin table (one row stride per step, "
              "fastmath block sums).  New: the DP reads one packed (B_j, Z_j) pair per "
              "candidate (the prefix sum leaves the argmin alone), compares the first two "
              "candidates without a branch and updates B in place; all k are backtracked "
              "together, one table row at a time (two threads, each a range of k), blocks "
              "of <= 4 positions summed without branches, in the fixed order of the "
              "single-schedule path (bit-identical to it).  New: best of 3, old: best of 2; "
              "CPU = process time of all threads.  Stages: one thread, CPU seconds.",
              "",
              markdown_table(["n", "old wall", "old CPU", "new wall", "new CPU",
                              "new stages: table / DP / errors", "CPU ratio",
                              "new CPU growth (n^2: 4x)", "identical optima and argmins",
                              "errors == single-schedule path", "max rel. error diff vs old"],
                             rows), ""]


# ----------------------------------------------------------------------------- markov
def sec_markov(lines: list[str]) -> None:
    from mdmtheory.structured import markov as mk

    rng = np.random.default_rng(0)
    P4 = rng.dirichlet(np.ones(4), size=4)  # the chain of bench_structured.py
    slow = np.full((4, 4), 0.001 / 3) + np.eye(4) * (0.999 - 0.001 / 3)
    mk.markov_information_curve(100, P4)
    rows = []
    for name, T in (("fast mixing (bench_structured)", P4), ("slow mixing, stay 0.999", slow)):
        for n in (10_000, 100_000):
            mk.LEGACY = False
            w1, c1, new = clock(lambda: mk.markov_information_curve(n, T), repeat=5)
            mk.LEGACY = True
            try:
                w0, c0, old = clock(lambda: mk.markov_information_curve(n, T), repeat=2)
            finally:
                mk.LEGACY = False
            rows.append([name, n, f(w0), f(c0), f(w1), f(c1), f"{c0 / c1:.0f}x",
                         f"{np.max(np.abs(new - old)):.1e}"])
    lines += ["### Markov chain q = 4, exact Z (warm: best of 5 new, best of 2 old)", "",
              "Old: marginals in a Python loop, every gap processed (rounding noise keeps "
              "them non-zero); new: marginals in Numba, gaps past the chi^2 mixing bound "
              "cut (certified change <= eps ln q).", "",
              markdown_table(["chain", "n", "old wall", "old CPU", "new wall", "new CPU",
                              "CPU ratio", "max |Z_new - Z_old|"], rows), ""]


# ----------------------------------------------------------------------------- policy
_POLICY_WORKER = r"""
import json, sys, time, numpy as np
sys.path.insert(0, sys.argv[1])
from mdmtheory import Distribution
from mdmtheory.policies import exact as E, heuristics as H, mdp as M
n, k, legacy = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
w = np.random.default_rng(n).dirichlet(np.full(2 ** n, 0.3)).reshape((2,) * n)
mu = Distribution(w)
E.evaluate_policy(Distribution(np.full((2,) * 4, 1 / 16)), H.TopK(2))  # compile / cache
if legacy:
    M.ExactOracle.lazy = False
    H.ScheduledPolicy.action_table = lambda self, obs: H._rowwise_action_table(self, obs)
w0, c0 = time.perf_counter(), time.process_time()
law = E.evaluate_policy(mu, H.TopK(k, "confidence"))
w1, c1 = time.perf_counter() - w0, time.process_time() - c0
hwm = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
print(json.dumps(dict(wall=w1, cpu=c1, kl=law.kl(), nu=law.nu.ravel()[:4096].tolist(),
                      peak_mib=hwm / 1024)))
"""


def _policy_run(n: int, k: int, legacy: bool, timeout: float = 300) -> dict | None:
    try:
        r = subprocess.run([sys.executable, "-c", _POLICY_WORKER, str(ROOT), str(n), str(k),
                            "1" if legacy else "0"], capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if r.returncode != 0:
        return {"error": r.stderr.strip().splitlines()[-1]}
    return json.loads(r.stdout)


def sec_policy(lines: list[str], legacy_max_n: int = 16) -> None:
    rows = []
    for n in (14, 16, 18, 20):
        for k in (n // 4, n):
            new = _policy_run(n, k, False)
            old = _policy_run(n, k, True) if n <= legacy_max_n else None
            if old and "error" not in old and new and "error" not in new:
                diff = float(np.max(np.abs(np.array(new["nu"]) - np.array(old["nu"]))))
                cells = [f(old["wall"]), f(old["cpu"]), f"{old['peak_mib']:.0f} MiB",
                         f"{old['cpu'] / new['cpu']:.1f}x", f"{diff:.1e}"]
            else:
                why = "not run" if old is None else old.get("error", "?")[:40]
                cells = [why, "", "", "", ""]
            rows.append([n, k, *cells[:3], f(new["wall"]), f(new["cpu"]),
                         f"{new['peak_mib']:.0f} MiB", *cells[3:], f"{new['kl']:.6f}"])
    lines += ["### Exact evaluation of top-k confidence (q = 2, uniform k-step schedule)", "",
              "mu: Dirichlet(0.3) table (seed n), one fresh process per cell (peak = VmHWM of "
              "that process).  Old: extended (q+1)^n tensor built up front, action laws "
              "row by row; new: conditionals read off the table per state (tensor only if "
              "it pays), batched top-k.  Old runs only to n = "
              f"{legacy_max_n} (n = 18 took 21 s, n = 19 was refused).", "",
              markdown_table(["n", "k", "old wall", "old CPU", "old peak", "new wall",
                              "new CPU", "new peak", "CPU ratio", "max |nu diff|",
                              "KL(mu||nu)"], rows), ""]


# ----------------------------------------------------------------------------- imports
def _base_tree() -> str | None:
    """The base revision's package, unpacked into a temporary folder (or None)."""
    d = tempfile.mkdtemp(prefix="mdm_base_")
    try:
        arc = subprocess.run(["git", "-C", str(ROOT), "archive", BASE_REV, "mdmtheory"],
                             capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", d], input=arc, check=True)
    except (subprocess.CalledProcessError, FileNotFoundError):
        return None
    return d


def _import_time(path: str, reps: int = 5) -> tuple[float, float]:
    code = ("import time, resource; w = time.perf_counter(); import mdmtheory; "
            "w = time.perf_counter() - w; u = resource.getrusage(resource.RUSAGE_SELF); "
            "print(w, u.ru_utime + u.ru_stime)")
    best_w = best_c = math.inf
    for _ in range(reps):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=dict(os.environ, PYTHONPATH=path), check=True,
                           cwd=tempfile.gettempdir())  # not the checkout: '' is on sys.path
        w, c = map(float, r.stdout.split())
        best_w, best_c = min(best_w, w), min(best_c, c)
    return best_w, best_c


_FIRST_CALL = r"""
import time, sys, numpy as np
sys.path.insert(0, sys.argv[1])
t = time.perf_counter(); import mdmtheory as m; t_imp = time.perf_counter() - t
p = np.random.default_rng(0).dirichlet(np.ones(256)).reshape((2,) * 8)
out = []
for name, fn in [("information_curve n=8", lambda: m.information_curve(p)),
                 ("optimal_frontier n=64", lambda: m.optimal_frontier(np.linspace(0, 1, 64))),
                 ("markov_information_curve n=100", lambda: m.structured.markov_information_curve(
                     100, np.full((2, 2), 0.5))),
                 ("threaded sweep q=2 n=10", lambda: m._kernels.sweep_entropies(
                     np.full(1024, 1 / 1024), 10, 2, store=False, nthreads=2,
                     serial_below=0))]:
    t = time.perf_counter(); fn(); out.append((name, time.perf_counter() - t))
print(repr((t_imp, out)))
"""


def sec_imports(lines: list[str]) -> None:
    new = _import_time(str(ROOT))
    base = _base_tree()
    old = _import_time(base) if base else None
    lines += ["### `import mdmtheory` (fresh process, best of 5)", "",
              markdown_table(["version", "wall", "CPU"],
                             ([["base " + BASE_REV, f(old[0]), f(old[1])]] if old else [])
                             + [["this branch", f(new[0]), f(new[1])]]), ""]
    rows = []
    with tempfile.TemporaryDirectory(prefix="numba_cache_") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        runs = []
        for _ in range(2):  # 1st: empty cache (compile), 2nd: cache load
            r = subprocess.run([sys.executable, "-c", _FIRST_CALL, str(ROOT)],
                               capture_output=True, text=True, env=env, check=True)
            runs.append(eval(r.stdout.strip()))  # noqa: S307 - our own repr
    for (name, c), (_, w) in zip(runs[0][1], runs[1][1]):
        rows.append([name, f(c), f(w)])
    lines += ["### First call in a fresh process (Numba `cache=True`)", "",
              "Compile: empty cache directory (`NUMBA_CACHE_DIR`); cached: the second "
              "process, loading the machine code written by the first.", "",
              markdown_table(["first call", "compile (empty cache)", "cached"], rows), ""]


# ----------------------------------------------------------------------------- tensor
def _concat_tensor(p: np.ndarray) -> np.ndarray:
    T = p  # the base revision's extended_marginal_tensor
    for ax in range(p.ndim):
        T = np.concatenate([T, T.sum(axis=ax, keepdims=True)], axis=ax)
    return T


def sec_tensor(lines: list[str]) -> None:
    from mdmtheory import Distribution
    from mdmtheory.information import extended_marginal_tensor

    rows = []
    for n in (14, 16):
        mu = Distribution(np.random.default_rng(n).dirichlet(np.ones(2 ** n)).reshape((2,) * n))
        res = []
        for fn in (lambda: _concat_tensor(mu.p), lambda: extended_marginal_tensor(mu)):
            tracemalloc.start()
            w, c, T = clock(fn)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            res.append((w, c, peak, T))
        (w0, c0, p0, T0), (w1, c1, p1, T1) = res
        rows.append([n, f(w0), f(c0), f"{p0 / T0.nbytes:.2f}x", f(w1), f(c1),
                     f"{p1 / T1.nbytes:.2f}x", "yes" if np.array_equal(T0, T1) else "NO"])
        del res, T0, T1
    lines += ["### Extended (q+1)^n marginal tensor (explicit oracle), q = 2", "",
              "Peak: traced allocations / tensor size.", "",
              markdown_table(["n", "old wall", "old CPU", "old peak", "new wall", "new CPU",
                              "new peak", "bit-identical"], rows), ""]


# ----------------------------------------------------------------------------- sweep
_SWEEP_WORKER = r"""
import gc, json, sys, time, numpy as np
sys.path.insert(0, sys.argv[1])
n, kind, nth, warm = int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1"
import numba
import mdmtheory as m
if hasattr(m, "set_num_threads"):  # starts the pool with OpenMP's passive wait first
    m.set_num_threads(nth)
else:  # the base revision
    numba.set_num_threads(nth)
m.information_curve(np.full((2,) * 8, 1 / 256))
if warm:  # load the threaded driver's machine code before measuring (a fixed cost)
    m._kernels.sweep_entropies(np.full(1024, 1 / 1024), 10, 2, store=False, nthreads=nth,
                               serial_below=0)
p = np.random.default_rng(n).random(2 ** n); p /= p.sum(); p = p.reshape((2,) * n)
src = m.Distribution(p) if kind == "dist" else p
gc.collect()
open("/proc/self/clear_refs", "w").write("5")
hwm = lambda: [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
before = hwm()
w, c = time.perf_counter(), time.process_time()
Z = m.information_curve(src)
w, c = time.perf_counter() - w, time.process_time() - c
print(json.dumps(dict(wall=w, cpu=c, extra=(hwm() - before) * 1024 / p.nbytes, Z=Z.tolist())))
"""


def _sweep_run(n: int, kind: str, nth: int, root: str | None = None, warm: bool = True) -> dict:
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072")
    r = subprocess.run([sys.executable, "-c", _SWEEP_WORKER, root or str(ROOT), str(n), kind,
                        str(nth), "1" if warm else "0"],
                       capture_output=True, text=True, env=env, check=True, cwd=tempfile.gettempdir())
    return json.loads(r.stdout)


def floor_ns() -> tuple[float, float]:
    """ns per element of one add and of one x log x (NumPy, cache-resident chunks)."""
    x = np.random.default_rng(0).random(1 << 14) + 0.5
    y = np.empty_like(x)
    reps = 2000

    def add():
        for _ in range(reps):
            np.add(x, x, out=y)

    def xlogx():
        for _ in range(reps):
            np.log(x, out=y)
            np.multiply(y, x, out=y)

    _, c_add, _ = clock(add, 3)
    _, c_log, _ = clock(xlogx, 3)
    return c_add / (reps * x.size) * 1e9, c_log / (reps * x.size) * 1e9


def kernel_floor_ns() -> tuple[float, float]:
    """ns per element of the package's own x log x map and of a plain add (Numba, one
    512-entry chunk, L1-resident): the tight floor of the sweep on this CPU."""
    from numba import njit

    from mdmtheory import _kernels as K

    @njit
    def loop_map(x, out, reps):
        for _ in range(reps):
            K._xlogx_map(x, 0, x.size, out)

    @njit
    def loop_add(x, out, reps):
        for _ in range(reps):
            for i in range(x.size):
                out[i] = x[i] + out[i]

    x = np.random.default_rng(0).random(K._CHUNK) + 0.01
    out = np.empty_like(x)
    reps = 100_000
    loop_map(x, out, 1)
    loop_add(x, out, 1)
    _, c_map, _ = clock(lambda: loop_map(x, out, reps), 5)
    _, c_add, _ = clock(lambda: loop_add(x, out, reps), 5)
    return c_add / (reps * x.size) * 1e9, c_map / (reps * x.size) * 1e9


def sec_sweep(lines: list[str], n22: bool) -> None:
    a, l_ = floor_ns()
    ka, kl = kernel_floor_ns()
    base = _base_tree()
    rows = []
    for n in ([20, 22] if n22 else [20]):
        floor = 3.0 ** n * (a + l_) * 1e-9
        tight = 3.0 ** n * (ka + kl) * 1e-9
        old = _sweep_run(n, "dist", 1, base) if (base and n == 20) else None
        for nth in ((1, 2) if n < 22 else (2,)):
            r = _sweep_run(n, "dist", nth)
            diff = f"{np.max(np.abs(np.array(r['Z']) - np.array(old['Z']))):.1e}" if old else ""
            rows.append([n, nth, f(old["wall"]) if old and nth == 1 else "",
                         f(old["cpu"]) if old and nth == 1 else "", f(r["wall"]), f(r["cpu"]),
                         f"{r['cpu'] / floor:.2f}x", f"{r['cpu'] / tight:.2f}x",
                         f"{r['cpu'] / 3.0 ** n * 1e9:.2f} ns", diff])
    lines += ["### Exact Z, q = 2: CPU-seconds against the floor", "",
              f"Floors measured in this run: NumPy's, 3^n x (one add {a:.2f} ns + one "
              f"x log x {l_:.2f} ns, cache-resident chunks), and the tight one of this "
              f"package's own kernels, 3^n x (one add {ka:.2f} ns + one x log x "
              f"{kl:.2f} ns: the branch-free fdlibm log with musl's reduction, 4-wide AVX2 with "
              f"FMA, two interleaved streams).  Threads: ``mdmtheory.set_num_threads`` (OpenMP "
              f"passive wait).  Old: the "
              f"base revision {BASE_REV}, one thread, same table; 'max |dZ|' (nats) is "
              "new against old.", "",
              markdown_table(["n", "threads", "old wall", "old CPU", "new wall", "new CPU",
                              "CPU / NumPy floor", "CPU / tight floor", "CPU per entry",
                              "max |dZ| vs old"], rows), ""]
    rows = []
    n = 21
    for kind in ("array", "dist"):
        for nth in (1, 2):
            r = _sweep_run(n, kind, nth)
            rows.append([n, "NumPy array" if kind == "array" else "Distribution", nth,
                         f"{r['extra']:.2f}x"])
    cold = _sweep_run(n, "array", 2, warm=False)
    lines += ["### Sweep peak memory above the table (VmHWM, fresh process)", "",
              "Measured after one small threaded sweep in the same process, i.e. with the "
              "threaded driver's machine code already loaded.  The first threaded call of "
              "a process also loads that code: at n = 21 (a 16 MiB table) the same "
              f"2-thread run from an array then peaks at {cold['extra']:.2f}x, a fixed "
              "few MiB that does not grow with the table.", "",
              markdown_table(["n", "input", "threads", "extra peak / table"], rows), ""]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="+", default=["frontier", "markov", "policy", "imports",
                                                  "tensor", "sweep"])
    ap.add_argument("--n22", action="store_true", help="also time q=2 n=22 (~1 min)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    # Numba's pool as the package starts it (OpenMP passive wait), before any
    # numba.get/set_num_threads call below would start it with the active one
    from mdmtheory._threads import start_thread_pool

    start_thread_pool()
    lines = ["## Performance v2: new paths side by side with the old ones "
             "(`benchmarks/bench_perf_v2.py`)", "",
             f"Machine: {machine_line()}, no GPU.  Load average at start: "
             f"{os.getloadavg()[0]:.1f}.", ""]
    secs = {"frontier": sec_frontier, "markov": sec_markov, "policy": sec_policy,
            "imports": sec_imports, "tensor": sec_tensor,
            "sweep": lambda ls: sec_sweep(ls, args.n22)}
    for name in args.only:
        t = time.perf_counter()
        secs[name](lines)
        print("\n".join(lines[-8:]), f"\n[{name}: {time.perf_counter() - t:.0f} s]", flush=True)
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("bench_perf_v2", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
