"""Benchmark: unsigned array indices in the policy-DP and structured Numba kernels, old vs new.

Run: ``NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/bench_unsigned_indices.py``
(about 10 minutes on 2 shared cores; ``--quick`` for a smoke run).

Numba emits negative-index wrap-around code for every signed index it cannot
prove non-negative (an index loaded from an array, a DFS depth, a code offset);
the kernels now cast such indices to ``uint64`` where the arrays are read.  This
script keeps the previous kernels (verbatim copies, ``old_*`` below; they are not
part of the package), runs every case with the old and the new kernel alternately,
best of three CPU times (``time.process_time``, one thread), checks the results
are bit-identical (``np.array_equal`` on every returned table), and writes the
``bench_unsigned_indices`` section of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from _results import machine_line, markdown_table, write_section  # noqa: E402

from mdmtheory import families  # noqa: E402
from mdmtheory.policies import adaptive_optimal as ao  # noqa: E402

REPS = 3


# ============================================================================ old kernels
# mdmtheory/policies/adaptive_optimal.py before the change
@njit(cache=True, error_model="numpy")
def old_dp_kernel(codes, maskbits, mass, strides, q, n, V, act, lam, mode, budget, rtol):
    """Fill ``V``/``act`` at the live incomplete ``codes`` (children first).  Private.

    Preconditions: ``codes`` sorted by increasing number of masked positions,
    ``mass > 0`` at every code in ``codes``, ``V`` already holds the values of
    complete and dead codes on every slice.  ``mode`` 0: one slice; 1: slice =
    NFE spent (children one slice up); 2: slice = passes left (children one
    slice down).  For every action ``A`` the value is
    ``sum_{y_A} prod_{i in A} p_i(y_i) V[child]`` over the outcomes of positive
    probability (a ``-inf`` child of probability zero is skipped).
    """
    Tn = V.shape[0]
    P = np.empty((n, q))
    pos = np.empty(n, np.int64)
    sel = np.empty(n, np.int64)
    digit = np.empty(n + 1, np.int64)
    pp = np.empty(n + 1)
    pc = np.empty(n + 1, np.int64)
    for idx in range(codes.size):
        c = codes[idx]
        M = maskbits[c]
        m = 0
        for i in range(n):
            if (M >> i) & 1:
                pos[m] = i
                m += 1
        den = mass[c]
        for j in range(m):
            for v in range(q):
                P[j, v] = mass[c + (v - q) * strides[pos[j]]] / den
        if mode == 0:
            p0, p1, shift = 0, 0, 0
        elif mode == 1:
            if m == n:
                p0, p1 = 0, 0
            else:
                p0, p1 = 1, min(n - m, budget - 1)
            shift = 1
        else:
            p0, p1, shift = 1, m, -1
        if mode != 0:
            for t in range(Tn):
                V[t, c] = -np.inf
                act[t, c] = M
        if p1 < p0:
            continue
        ns = p1 - p0 + 1
        nA = 1 << m
        Q = np.zeros((ns, nA))
        bits = np.zeros(nA, np.int64)
        size = np.zeros(nA, np.int64)
        for a in range(1, nA):
            k = 0
            ab = 0
            for j in range(m):
                if (a >> j) & 1:
                    sel[k] = j
                    k += 1
                    ab |= 1 << pos[j]
            bits[a] = ab
            size[a] = k
            # depth-first over the outcomes y_A, pruning branches of probability zero
            pp[0] = 1.0
            pc[0] = c
            r = 0
            digit[0] = -1
            while r >= 0:
                digit[r] += 1
                if digit[r] == q:
                    r -= 1
                    continue
                j = sel[r]
                v = digit[r]
                pr = pp[r] * P[j, v]
                if pr == 0.0:
                    continue
                cc = pc[r] + (v - q) * strides[pos[j]]
                if r + 1 == k:
                    for s in range(ns):
                        Q[s, a] += pr * V[p0 + s + shift, cc]
                else:
                    pp[r + 1] = pr
                    pc[r + 1] = cc
                    r += 1
                    digit[r] = -1
        for s in range(ns):
            best = -np.inf
            for a in range(1, nA):
                if Q[s, a] - lam > best:
                    best = Q[s, a] - lam
            tol = rtol * max(1.0, abs(best)) if np.isfinite(best) else 0.0
            ba, bk, bb = 1, -1, 0
            for a in range(1, nA):
                val = Q[s, a] - lam
                if val >= best - tol or (not np.isfinite(best)):
                    if size[a] > bk or (size[a] == bk and bits[a] < bb):
                        ba, bk, bb = a, size[a], bits[a]
            V[p0 + s, c] = best
            act[p0 + s, c] = bits[ba]
        if mode == 2 and m < n:
            for t in range(m + 1, Tn):
                V[t, c] = V[m, c]
                act[t, c] = act[m, c]


@njit(cache=True, error_model="numpy")
def old_dp_kernel_lams(codes, maskbits, mass, strides, q, n, V, act, lams, rtol):
    """The one-slice DP of :func:`_dp_kernel` for many prices at once.  Private.

    ``V`` and ``act`` have shape ``(C, L)`` (one column per price in ``lams``,
    contiguous per code, so the inner loop over prices is unit-stride).  The
    outcomes of every action are enumerated once and each product
    ``prod_i p_i(y_i)`` serves all ``L`` prices; every column receives exactly
    the floating-point operations, in the same order, as a single-price solve
    with :func:`_dp_kernel` (so the tables agree bit for bit).
    """
    L = lams.size
    P = np.empty((n, q))
    pos = np.empty(n, np.int64)
    sel = np.empty(n, np.int64)
    digit = np.empty(n + 1, np.int64)
    pp = np.empty(n + 1)
    pc = np.empty(n + 1, np.int64)
    for idx in range(codes.size):
        c = codes[idx]
        M = maskbits[c]
        m = 0
        for i in range(n):
            if (M >> i) & 1:
                pos[m] = i
                m += 1
        den = mass[c]
        for j in range(m):
            for v in range(q):
                P[j, v] = mass[c + (v - q) * strides[pos[j]]] / den
        nA = 1 << m
        Q = np.zeros((nA, L))
        bits = np.zeros(nA, np.int64)
        size = np.zeros(nA, np.int64)
        for a in range(1, nA):
            k = 0
            ab = 0
            for j in range(m):
                if (a >> j) & 1:
                    sel[k] = j
                    k += 1
                    ab |= 1 << pos[j]
            bits[a] = ab
            size[a] = k
            pp[0] = 1.0
            pc[0] = c
            r = 0
            digit[0] = -1
            while r >= 0:
                digit[r] += 1
                if digit[r] == q:
                    r -= 1
                    continue
                j = sel[r]
                v = digit[r]
                pr = pp[r] * P[j, v]
                if pr == 0.0:
                    continue
                cc = pc[r] + (v - q) * strides[pos[j]]
                if r + 1 == k:
                    for s in range(L):
                        Q[a, s] += pr * V[cc, s]
                else:
                    pp[r + 1] = pr
                    pc[r + 1] = cc
                    r += 1
                    digit[r] = -1
        for s in range(L):
            lam = lams[s]
            best = -np.inf
            for a in range(1, nA):
                if Q[a, s] - lam > best:
                    best = Q[a, s] - lam
            tol = rtol * max(1.0, abs(best)) if np.isfinite(best) else 0.0
            ba, bk, bb = 1, -1, 0
            for a in range(1, nA):
                val = Q[a, s] - lam
                if val >= best - tol or (not np.isfinite(best)):
                    if size[a] > bk or (size[a] == bk and bits[a] < bb):
                        ba, bk, bb = a, size[a], bits[a]
            V[c, s] = best
            act[c, s] = bits[ba]


# @@OLD_KERNELS@@


# ============================================================================ cases
def _front_tables(fr) -> list[np.ndarray]:
    """Every array of a front (or of one solution): points, values, NFE laws, action tables."""
    if isinstance(fr, ao.AdaptiveSolution):
        out, sols = [], (fr,)
    else:
        out, sols = [fr.expected_nfe, fr.expected_reward], fr.solutions
    for s in sols:
        out += [np.array([s.value, s.lam, s.expected_reward, s.expected_nfe]), s.nfe_pmf,
                s._actions]
    return out


def _patched(module, name, fn, call):
    """``call()`` with ``module.name`` replaced by ``fn`` (restored afterwards)."""
    keep = getattr(module, name)
    setattr(module, name, fn)
    try:
        return call()
    finally:
        setattr(module, name, keep)


def adaptive_cases(quick: bool) -> list[tuple]:
    """(kernel, case, old runner, new runner) for the policy DP."""
    from bench_adaptive import gap_families

    cases = []
    n = 8 if quick else 10
    for label, mu, reward in gap_families(n):
        def run(fn, mu=mu, reward=reward):
            return _front_tables(_patched(ao, "_dp_kernel_lams", fn,
                                          lambda: ao.adaptive_front(mu, reward, tol=1e-6)))
        cases.append(("adaptive_optimal._dp_kernel_lams",
                      f"adaptive_front, {label}, n={n}, q=2", run,
                      old_dp_kernel_lams, ao._dp_kernel_lams))
    fams = [("Markov chain, flip 0.1", families.binary_symmetric_chain(n, 0.1), "loglik"),
            ("parity code", families.parity(n, 2), "correct")]
    for label, mu, reward in fams:
        for what, call in (
                ("budget_front (B = 1..n)",
                 lambda mu=mu, reward=reward: ao.budget_front(mu, reward)),
                ("budget_front, speed reward",
                 lambda mu=mu: ao.budget_front(mu, "speed", budgets=[2, n // 2])),
                ("solve_adaptive, lam = 0.05",
                 lambda mu=mu, reward=reward: ao.solve_adaptive(mu, reward, lam=0.05))):
            def run(fn, call=call):
                return _front_tables(_patched(ao, "_dp_kernel", fn, call))
            cases.append(("adaptive_optimal._dp_kernel", f"{what}, {label}, n={n}, q=2", run,
                          old_dp_kernel, ao._dp_kernel))
    return cases


# @@CASES@@


def measure(cases) -> list[list]:
    rows = []
    for kernel, case, run, old, new in cases:
        run(old), run(new)  # JIT warm-up (cached kernels)
        best = {"old": math.inf, "new": math.inf}
        res = {}
        for _ in range(REPS):
            for nm, fn in (("old", old), ("new", new)):
                t0 = time.process_time()
                res[nm] = run(fn)
                best[nm] = min(best[nm], time.process_time() - t0)
        a, b = res["old"], res["new"]
        same = len(a) == len(b) and all(np.array_equal(x, y, equal_nan=True)
                                        if np.asarray(x).dtype.kind == "f"
                                        else np.array_equal(x, y) for x, y in zip(a, b))
        row = [f"`{kernel}`", case, f"{best['old']:.3f}", f"{best['new']:.3f}",
               f"{best['old'] / best['new']:.2f}", "yes" if same else "**NO**"]
        print(" | ".join(row), flush=True)
        rows.append(row)
    return rows


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    only = [a for a in sys.argv[1:] if not a.startswith("--")]
    cases = [c for group in CASE_GROUPS for c in group(quick)]
    if only:
        cases = [c for c in cases if any(o in c[0] for o in only)]
    rows = measure(cases)
    if quick or only:
        return
    write_section("bench_unsigned_indices", "## Unsigned indices in the policy-DP and "
                  "structured kernels (bench_unsigned_indices.py)\n\n"
                  f"Machine: {machine_line()} (2-core shared AMD EPYC, no GPU).  CPU seconds "
                  "(`time.process_time`, one thread, `NUMBA_NUM_THREADS=1`), best of "
                  f"{REPS}, old and new kernel alternately in one process.  Numba emits "
                  "negative-index wrap-around code for every signed index it cannot prove "
                  "non-negative (indices loaded from arrays, DFS depths, code offsets); the "
                  "new kernels cast those indices to `uint64` where the arrays are read "
                  "(and, in the policy DP, read each outcome's code offset from a "
                  "per-state table).  'bit-identical': `np.array_equal` on every returned "
                  "table (fronts, values, NFE laws, action tables, curves).\n\n"
                  + markdown_table(["kernel", "case", "old CPU-s", "new CPU-s", "ratio",
                                    "bit-identical"], rows))


CASE_GROUPS = [adaptive_cases]

if __name__ == "__main__":
    main()
