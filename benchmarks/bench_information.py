"""Benchmark of the exact information core.

Part A -- side by side, in one run, on the same random Dirichlet(1) tables
(``q=2, n=8..14`` and ``q=3, n=5..9``), the workload

    W = { H(X_T) for all 2^n subsets T,  Z (Def. 1.3),  TC,  DTC }

done three ways:

* **mdmtheory**: :func:`mdmtheory.information_summary` with ``subsets=True`` (one sweep)
  (two Numba sweeps -- conservative: one would do); best of several runs after a
  warm-up call (JIT cache loaded).
* **naive numpy**: :func:`mdmtheory.reference.naive_information_curve` (one explicit
  ``numpy.sum`` per subset for all ``2^n`` marginals, then Def. 1.3 as an average of
  mutual informations) + :func:`mdmtheory.reference.naive_tc_dtc`.
* **dit**: ``dit.shannon.entropy`` looped over all ``2^n`` subsets +
  ``dit.multivariate.total_correlation`` + ``dit.multivariate.dual_total_correlation``
  (building the ``dit.Distribution`` is included).

A baseline whose extrapolated time exceeds ``--max-baseline-s`` (60 s) is not run and is
shown as ``skipped (est. X s)``.  Extrapolation from the last two measured sizes of the
same ``q``: per added position the time grows by the observed factor, clipped to
``[2, 2q]`` (the subset count doubles; each marginal costs at most ``q`` times more).
Agreement of the three answers (max abs difference over all ``2^n`` entropies and TC/DTC,
nats) is printed next to the times.

Part B -- scale runs of exact ``Z`` (:func:`mdmtheory.information_summary`, one sweep) for
``q=2, n=16..22``, ``q=3, n=10..13``, ``q=4, n=8..10``, each in a FRESH subprocess:
seconds (best of up to 3 runs while they take < 3 s in total, else the single run),
marginal entries per second against the ``(q+1)^n`` floor (every entry of every
marginal is touched once; ``(q+1)^n / seconds``), and peak memory.  Peak memory is the
extra resident memory of the sweep: the peak RSS after minus before the call (``VmHWM``
of ``/proc/self/status``, falling back to ``ru_maxrss``; see :func:`_peak_rss_kib` for
why ``ru_maxrss`` alone is wrong in a child process), with the
kernel's high-water mark reset to the current RSS just before (``/proc/self/clear_refs``,
Linux >= 4.0) so that building the table does not mask the sweep, and glibc's mmap
threshold fixed (``MALLOC_MMAP_THRESHOLD_``) so that freed heap pages are not silently
reused; it is reported as a
multiple of the table size, and ``peak/table = 1 + extra/table`` (the issue's target:
about 2 at most).

Usage::

    python benchmarks/bench_information.py            # full run, writes RESULTS.md
    python benchmarks/bench_information.py --quick    # small sizes, prints only
    python benchmarks/bench_information.py --sizes 2:8-12,3:5-7 --scale-sizes 2:16-18

The full table is written with ``benchmarks/_results.py: write_section("bench_information")``
(``--quick`` or custom sizes print only, unless ``--write``).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _results import machine_line, markdown_table, write_section  # noqa: E402

COMPARE_SIZES = [(2, n) for n in range(8, 15)] + [(3, n) for n in range(5, 10)]
SCALE_SIZES = ([(2, n) for n in range(16, 23)] + [(3, n) for n in range(10, 14)]
               + [(4, n) for n in range(8, 11)])
QUICK_COMPARE = [(2, n) for n in range(8, 11)] + [(3, n) for n in range(5, 7)]
QUICK_SCALE = [(2, 16), (2, 17), (3, 10), (4, 8)]
SEED = 20240501


# ----------------------------------------------------------------------------- helpers
def parse_sizes(spec: str) -> list[tuple[int, int]]:
    """``"2:8-14,3:5-9,4:8"`` -> [(2, 8), ..., (2, 14), (3, 5), ..., (4, 8)]."""
    out: list[tuple[int, int]] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        try:
            q_s, n_s = part.split(":")
            lo, _, hi = n_s.partition("-")
            q, lo_i, hi_i = int(q_s), int(lo), int(hi or lo)
        except ValueError:
            raise SystemExit(f"bad size spec {part!r}: expected q:n or q:nlo-nhi") from None
        if q < 2 or lo_i < 1 or hi_i < lo_i:
            raise SystemExit(f"bad size spec {part!r}: need q >= 2 and 1 <= nlo <= nhi")
        out += [(q, n) for n in range(lo_i, hi_i + 1)]
    return out


def fmt_s(t: float | None) -> str:
    if t is None:
        return "–"
    if t < 1e-3:
        return f"{t * 1e6:.0f} µs"
    if t < 1:
        return f"{t * 1e3:.1f} ms"
    return f"{t:.2f} s"


def fmt_bytes(b: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if b < 1024 or unit == "GiB":
            return f"{b:.0f} {unit}" if unit == "B" else f"{b:.1f} {unit}"
        b /= 1024
    return f"{b:.1f} GiB"


def best_time(fn, *, min_total: float = 0.3, max_reps: int = 5) -> tuple[float, object]:
    """Best wall time over up to ``max_reps`` calls (stop once ``min_total`` s were spent)."""
    best, spent, out = math.inf, 0.0, None
    for _ in range(max_reps):
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        best, spent = min(best, dt), spent + dt
        if spent >= min_total:
            break
    return best, out


class Extrapolator:
    """Per-``q`` time extrapolation for one baseline (see module docstring)."""

    def __init__(self) -> None:
        self.points: dict[int, list[tuple[int, float]]] = {}

    def add(self, q: int, n: int, t: float) -> None:
        self.points.setdefault(q, []).append((n, t))

    def estimate(self, q: int, n: int) -> float | None:
        pts = sorted(self.points.get(q, []))
        if not pts:
            return None
        n1, t1 = pts[-1]
        if len(pts) >= 2:
            n0, t0 = pts[-2]
            g = (t1 / t0) ** (1.0 / (n1 - n0)) if t0 > 0 else 2.0 * q
            g = min(max(g, 2.0), 2.0 * q)
        else:
            g = 2.0 * q
        return t1 * g ** (n - n1)


def table(q: int, n: int) -> np.ndarray:
    from mdmtheory import families

    return families.random_dirichlet(n, q, alpha=1.0, seed=SEED + 100 * q + n)


# ----------------------------------------------------------------------------- part A
def run_ours(mu):
    import mdmtheory as mdm

    s = mdm.information_summary(mu, subsets=True)  # one sweep: all 2^n entropies, Z, TC, DTC
    return s.subset_entropies, s.Z, s.TC, s.DTC


def run_naive(mu):
    from mdmtheory import reference

    Z = reference.naive_information_curve(mu.p)  # computes all 2^n marginals explicitly
    tc, dtc = reference.naive_tc_dtc(mu.p)
    return Z, tc, dtc


def run_dit(mu):
    import dit

    n = mu.n
    flat = mu.p.ravel()
    nz = np.flatnonzero(flat)
    outcomes = [tuple(int(v) for v in np.unravel_index(k, mu.shape)) for k in nz]
    d = dit.Distribution(outcomes, flat[nz].tolist())
    H = np.zeros(1 << n)
    for mask in range(1, 1 << n):
        H[mask] = dit.shannon.entropy(d, [i for i in range(n) if (mask >> i) & 1])
    tc = dit.multivariate.total_correlation(d)
    dtc = dit.multivariate.dual_total_correlation(d)
    ln2 = math.log(2.0)
    return H * ln2, tc * ln2, dtc * ln2  # dit works in bits


def compare(sizes: list[tuple[int, int]], max_baseline_s: float) -> list[dict]:
    from tqdm.auto import tqdm

    try:
        import dit  # noqa: F401
        have_dit = True
    except ImportError:
        have_dit = False
    ext = {"naive": Extrapolator(), "dit": Extrapolator()}
    rows = []
    import mdmtheory as mdm

    mdm.information_summary(table(2, 8))  # load the JIT cache once
    for q, n in tqdm(sizes, desc="side by side", unit="size"):
        mu = table(q, n)
        run_ours(mu)  # warm-up at this size
        # many repeats: on a shared 2-core machine a parallel region can stall ~10 ms
        # waiting for a descheduled worker thread; the best run is the kernel's time
        t_ours, (H, Z, TC, DTC) = best_time(lambda: run_ours(mu), min_total=0.5, max_reps=30)
        row = dict(q=q, n=n, ours=t_ours, naive=None, dit=None, naive_note="", dit_note="",
                   diff_naive=None, diff_dit=None)
        for name, fn in (("naive", run_naive), ("dit", run_dit)):
            if name == "dit" and not have_dit:
                row["dit_note"] = "dit not installed"
                continue
            est = ext[name].estimate(q, n)
            if est is not None and est > max_baseline_s:
                row[f"{name}_note"] = f"skipped (est. {est:.0f} s)"
                continue
            if est is not None and est < 0.3:
                t, out = best_time(lambda: fn(mu), min_total=0.3, max_reps=3)
            else:
                t0 = time.perf_counter()
                out = fn(mu)
                t = time.perf_counter() - t0
            ext[name].add(q, n, t)
            row[name] = t
            if name == "naive":
                Zn, tc, dtc = out
                row["diff_naive"] = float(max(np.max(np.abs(Zn - Z)), abs(tc - TC),
                                              abs(dtc - DTC)))
            else:
                Hd, tc, dtc = out
                row["diff_dit"] = float(max(np.max(np.abs(Hd - H)), abs(tc - TC),
                                            abs(dtc - DTC)))
        rows.append(row)
        gc.collect()
    return rows


def compare_markdown(rows: list[dict]) -> str:
    header = ["q", "n", "mdmtheory", "naive numpy", "naive / ours", "dit", "dit / ours",
              "max abs diff vs naive / dit (nats)"]
    body = []
    for r in rows:
        def cell(name):
            return fmt_s(r[name]) if r[name] is not None else r[f"{name}_note"]

        def ratio(name):
            return f"{r[name] / r['ours']:,.0f}x" if r[name] is not None else "–"

        dn = f"{r['diff_naive']:.1e}" if r["diff_naive"] is not None else "–"
        dd = f"{r['diff_dit']:.1e}" if r["diff_dit"] is not None else "–"
        body.append([r["q"], r["n"], fmt_s(r["ours"]), cell("naive"), ratio("naive"),
                     cell("dit"), ratio("dit"), f"{dn} / {dd}"])
    return markdown_table(header, body)


# ----------------------------------------------------------------------------- part B
def _reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark (hence ru_maxrss) to the current RSS."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_rss_kib() -> tuple[int, str]:
    """Peak resident memory of this process so far (KiB) and where it was read.

    ``VmHWM`` from ``/proc/self/status`` where available, else ``ru_maxrss``.  Why not
    ``ru_maxrss`` first: Linux carries the *parent's* high-water mark over ``fork`` +
    ``execve`` into ``ru_maxrss`` (``signal->maxrss``), and ``clear_refs`` does not reset
    that part, so in a child of a large benchmark process ``ru_maxrss`` stays at the
    parent's size and hides the sweep.  ``VmHWM`` is the child's own address space.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]), "VmHWM"
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss), "ru_maxrss"


def worker(q: int, n: int) -> None:
    """Run in a fresh process: time one exact-Z sweep and its extra peak RSS; print JSON."""
    import mdmtheory as mdm

    mdm.information_summary(table(2, 8))  # load the JIT cache, start the thread pool
    mu = table(q, n)
    gc.collect()
    reset = _reset_peak_rss()
    before, source = _peak_rss_kib()
    t0 = time.perf_counter()
    s = mdm.information_summary(mu)
    dt = time.perf_counter() - t0
    after, _ = _peak_rss_kib()
    # short sizes: best of up to 3 runs (the machine may be shared); memory from run 1
    best, spent, reps = dt, dt, 1
    while spent < 3.0 and reps < 3:
        t0 = time.perf_counter()
        mdm.information_summary(mu)
        d = time.perf_counter() - t0
        best, spent, reps = min(best, d), spent + d, reps + 1
    print(json.dumps(dict(q=q, n=n, seconds=best, first_seconds=dt, reps=reps,
                          extra_bytes=(after - before) * 1024, table_bytes=int(mu.nbytes),
                          hwm_reset=reset, rss_source=source, rss_before_bytes=before * 1024,
                          H=s.H)))


# A fixed mmap threshold turns off glibc's dynamic threshold, so every large array is
# mmapped and returned to the OS when freed: the sweep's buffers then show up as new
# resident pages instead of silently reusing heap pages freed while building the table.
_WORKER_ENV = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072")


def scale(sizes: list[tuple[int, int]], timeout: float) -> list[dict]:
    from tqdm.auto import tqdm

    rows = []
    for q, n in tqdm(sizes, desc="scale (fresh process per size)", unit="size"):
        cmd = [sys.executable, str(Path(__file__).resolve()), "--_worker", f"{q}:{n}"]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                 env=_WORKER_ENV)
        except subprocess.TimeoutExpired:
            rows.append(dict(q=q, n=n, error=f"timeout > {timeout:.0f} s"))
            continue
        lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
        if res.returncode != 0 or not lines:
            rows.append(dict(q=q, n=n, error=(res.stderr.strip().splitlines() or ["?"])[-1]))
            continue
        rows.append(json.loads(lines[-1]))
    return rows


def scale_markdown(rows: list[dict]) -> str:
    header = ["q", "n", "table", "(q+1)^n entries", "exact Z time", "entries / s",
              "extra peak RSS", "extra / table", "peak / table"]
    body = []
    for r in rows:
        q, n = r["q"], r["n"]
        if "error" in r:
            body.append([q, n, "", "", r["error"], "", "", "", ""])
            continue
        ent = (q + 1) ** n
        tb, ex = r["table_bytes"], max(r["extra_bytes"], 0)
        mark = "" if r["hwm_reset"] else " (HWM not reset: lower bound)"
        body.append([q, n, fmt_bytes(tb), f"{ent:.2e}", fmt_s(r["seconds"]),
                     f"{ent / r['seconds']:.2e}", fmt_bytes(ex) + mark, f"{ex / tb:.2f}",
                     f"{1 + ex / tb:.2f}"])
    return markdown_table(header, body)


# ----------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes only (prints, no write)")
    ap.add_argument("--sizes", help="side-by-side sizes, e.g. 2:8-14,3:5-9 ('' = skip part A)")
    ap.add_argument("--scale-sizes", help="scale sizes, e.g. 2:16-22,3:10-13 ('' = skip part B)")
    ap.add_argument("--max-baseline-s", type=float, default=60.0,
                    help="skip a baseline whose extrapolated time exceeds this (default 60)")
    ap.add_argument("--timeout", type=float, default=600.0, help="per scale-size timeout (s)")
    ap.add_argument("--write", action="store_true", help="write RESULTS.md even for custom sizes")
    ap.add_argument("--no-write", action="store_true", help="never write RESULTS.md")
    ap.add_argument("--_worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args._worker:
        q, n = (int(v) for v in args._worker.split(":"))
        worker(q, n)
        return 0

    cmp_sizes = QUICK_COMPARE if args.quick else COMPARE_SIZES
    scl_sizes = QUICK_SCALE if args.quick else SCALE_SIZES
    custom = args.quick
    if args.sizes is not None:
        cmp_sizes, custom = parse_sizes(args.sizes), True
    if args.scale_sizes is not None:
        scl_sizes, custom = parse_sizes(args.scale_sizes), True

    import numba

    machine = machine_line()
    load = os.getloadavg()
    threads = numba.get_num_threads()
    t_start = time.perf_counter()
    rows_a = compare(cmp_sizes, args.max_baseline_s) if cmp_sizes else []
    rows_b = scale(scl_sizes, args.timeout) if scl_sizes else []
    total = time.perf_counter() - t_start

    parts = [f"Machine: {machine}; Numba threads: {threads}; load average at start: "
             f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}; total run {total:.0f} s."]
    parts.append("Timings were taken on a machine shared with other jobs; re-measure on a "
                 "quiet machine before quoting them.")
    if rows_a:
        parts.append("### Side by side: all 2^n subset entropies + Z + TC + DTC "
                     "(random Dirichlet(1) tables)\n\n" + compare_markdown(rows_a))
        r14 = next((r for r in rows_a if (r["q"], r["n"]) == (2, 14)), None)
        if r14 is not None and r14["dit"] is not None:
            sp = r14["dit"] / r14["ours"]
            parts.append(f"q=2, n=14: mdmtheory {fmt_s(r14['ours'])} vs dit "
                         f"{fmt_s(r14['dit'])} -> **{sp:,.0f}x** faster (target >= 300x: "
                         f"{'met' if sp >= 300 else 'NOT met'}).")
    if rows_b:
        parts.append("### Scale: exact Z (information_summary, one sweep), fresh process per "
                     "size\n\n" + scale_markdown(rows_b))
        r20 = next((r for r in rows_b if (r["q"], r["n"]) == (2, 20) and "error" not in r),
                   None)
        if r20 is not None:
            pk = 1 + max(r20["extra_bytes"], 0) / r20["table_bytes"]
            parts.append(f"q=2, n=20: exact Z in {fmt_s(r20['seconds'])} (target <= 15 s: "
                         f"{'met' if r20['seconds'] <= 15 else 'NOT met'}); peak memory "
                         f"{pk:.2f} x the table (target about 2x at most).")
    text = "\n\n".join(parts)
    print(text)
    if (args.write or not custom) and not args.no_write:
        write_section("bench_information", text)
        print(f"\n[written to {HERE / 'RESULTS.md'} section bench_information]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
