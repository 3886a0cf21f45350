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
from mdmtheory import _conditionals as cond  # noqa: E402
from mdmtheory.policies import adaptive_optimal as ao  # noqa: E402
from mdmtheory.structured import codes, markov  # noqa: E402
from mdmtheory.structured.codes import _inv_mod  # noqa: E402,F401  (used by old_rref_inplace)

REPS = 5
#: Run-to-run spread of the ratios (measured by repeating this script; quoted in RESULTS.md).
SPREAD = ('Ratios move by about +-0.15 between runs on this shared machine (repeated runs '
          'of the same cases: Dirichlet front, kernel only, 1.03-1.22; per-step Markov gap '
          'sums 0.99-1.14; forward-backward 1.03-1.41): the policy-DP, conditional and code'
          ' kernels gain clearly, the two Markov kernels (dominated by logs and tiny q x q '
          'loops) little.')


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


# the forward pass of adaptive_optimal.py before it became a kernel (_children_kernel)
def old_forward(pb, act: np.ndarray, timed: bool):
    """Exact law of the episode under the action table.  Private.

    Returns the reached states ``(codes, t, mass, action)`` and the terminal
    law ``(codes, t, mass)``.
    """
    n, q = pb.n, pb.q
    root = int(pb.oracle.full_mask_code)
    codes = np.array([root], dtype=np.int64)
    mass = np.ones(1)
    reached = []
    term_c, term_t, term_m = [], [], []
    for t in range(n + 1):
        if codes.size == 0:
            break
        done = pb.complete[codes]
        if done.any():
            term_c.append(codes[done])
            term_t.append(np.full(int(done.sum()), t))
            term_m.append(mass[done])
        codes, mass = codes[~done], mass[~done]
        if codes.size == 0:
            break
        a = act[t if timed else 0, codes]
        reached.append((codes, np.full(codes.size, t), mass, a))
        P = pb.oracle.probs_from_codes(codes)
        ch_c, ch_m = [], []
        for A in np.unique(a):
            sel = a == A
            pos = np.flatnonzero((int(A) >> np.arange(n)) & 1)
            k = pos.size
            V = (np.arange(q ** k)[:, None] // q ** np.arange(k - 1, -1, -1)[None, :]) % q
            pr = np.ones((int(sel.sum()), V.shape[0]))
            for j in range(k):
                pr *= P[sel][:, pos[j], :][:, V[:, j]]
            dc = ((V - q) * pb.strides[pos][None, :]).sum(axis=1)
            cc = codes[sel][:, None] + dc[None, :]
            mm = mass[sel][:, None] * pr
            nz = mm > 0
            ch_c.append(cc[nz])
            ch_m.append(mm[nz])
        cc = np.concatenate(ch_c)
        mm = np.concatenate(ch_m)
        codes, inv = np.unique(cc, return_inverse=True)
        mass = np.bincount(inv.reshape(-1), weights=mm, minlength=codes.size)
    cat = (lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt))
    return reached, (cat(term_c, np.int64), cat(term_t, np.int64), cat(term_m, np.float64))


# mdmtheory/_conditionals.py before the change
@njit(cache=True)
def old_conditionals_kernel(p, codes, n, q, out, den):
    pst = np.empty(n, np.int64)  # strides of the C-ordered table
    s = 1
    for i in range(n - 1, -1, -1):
        pst[i] = s
        s *= q
    midx = np.empty(n, np.int64)
    cnt = np.empty(n, np.int64)
    acc = np.empty((n, q))
    for b in range(codes.size):
        c = codes[b]
        base = 0
        nm = 0
        for i in range(n - 1, -1, -1):  # least significant digit = last position
            d = c % (q + 1)
            c //= q + 1
            if d == q:
                midx[nm] = i
                nm += 1
            else:
                base += d * pst[i]
            for v in range(q):
                out[b, i, v] = 0.0
            if d < q:
                out[b, i, d] = 1.0
        for t in range(nm):
            cnt[t] = 0
            for v in range(q):
                acc[t, v] = 0.0
        off = base
        tot = 0.0
        while True:
            w = p[off]
            tot += w
            for t in range(nm):
                acc[t, cnt[t]] += w
            t = 0
            while t < nm:  # odometer over the masked positions, fastest = last position
                cnt[t] += 1
                off += pst[midx[t]]
                if cnt[t] < q:
                    break
                off -= q * pst[midx[t]]
                cnt[t] = 0
                t += 1
            if t == nm:
                break
        den[b] = tot
        if tot > 0.0:
            for t in range(nm):
                for v in range(q):
                    out[b, midx[t], v] = acc[t, v] / tot
        else:
            for t in range(nm):
                for v in range(q):
                    out[b, midx[t], v] = 1.0 / q

# mdmtheory/structured/codes.py before the change
@njit(cache=True)
def old_rref_inplace(A, p, prefix_rank):
    """Reduced row echelon form of ``A`` (d x n, entries in [0, p)) in place.

    ``prefix_rank[k]`` = rank of the first ``k`` columns (``k = 0..n``).  Returns the rank.
    """
    d, n = A.shape
    rank = 0
    prefix_rank[0] = 0
    for c in range(n):
        if rank < d:
            r = -1
            for i in range(rank, d):
                if A[i, c] != 0:
                    r = i
                    break
            if r >= 0:
                if r != rank:
                    for k in range(n):
                        tmp = A[r, k]
                        A[r, k] = A[rank, k]
                        A[rank, k] = tmp
                iv = _inv_mod(A[rank, c], p)
                for k in range(n):
                    A[rank, k] = (A[rank, k] * iv) % p
                for i in range(d):
                    if i != rank:
                        f = A[i, c]
                        if f != 0:
                            g = p - f
                            for k in range(c, n):
                                A[i, k] = (A[i, k] + g * A[rank, k]) % p
                rank += 1
        prefix_rank[c + 1] = rank
    return rank

@njit(cache=True)
def old_rank_sums_kernel(G, p):
    """``sums[m] = sum_{|T| = m} rank_p(G_T)`` over all ``2^n`` subsets (int64).

    Subsets are visited in binary-counter order with position ``k`` at bit
    ``n-1-k``; going from counter ``c-1`` to ``c`` includes position ``p0`` and
    excludes every position after it, so the echelon basis of the prefix
    ``0..p0-1`` (the first ``top_after[p0-1]`` stored vectors) is reused and only
    column ``p0`` is reduced: ``O(d * rank)`` per subset.
    """
    d, n = G.shape
    sums = np.zeros(n + 1, np.int64)
    maxb = min(n, d)
    basis = np.zeros((maxb + 1, d), np.int64)
    piv = np.zeros(maxb + 1, np.int64)
    top_after = np.zeros(n, np.int64)
    inc = np.zeros(n, np.bool_)
    v = np.empty(d, np.int64)
    size = 0
    total = np.int64(1) << n
    for c in range(1, total):
        prev = c - 1
        t = 0
        while prev & 1:
            prev >>= 1
            t += 1
        p0 = n - 1 - t
        for k in range(p0 + 1, n):
            if inc[k]:
                inc[k] = False
                size -= 1
        inc[p0] = True
        size += 1
        top = top_after[p0 - 1] if p0 > 0 else 0
        if top < d:
            for i in range(d):
                v[i] = G[i, p0]
            for b in range(top):
                coef = v[piv[b]]
                if coef != 0:
                    g = p - coef
                    for i in range(d):
                        v[i] = (v[i] + g * basis[b, i]) % p
            r = -1
            for i in range(d):
                if v[i] != 0:
                    r = i
                    break
            if r >= 0:
                iv = _inv_mod(v[r], p)
                for i in range(d):
                    basis[top, i] = (v[i] * iv) % p
                piv[top] = r
                top += 1
        for k in range(p0, n):
            top_after[k] = top
        sums[size] += top
    return sums

@njit(cache=True)
def old_code_draws_kernel(G, p, perms, rao_blackwell, out):
    """Per-permutation increments of the prefix rank (in units of log p)."""
    d, n = G.shape
    R = perms.shape[0]
    A = np.empty((d, n), np.int64)
    pr = np.zeros(n + 1, np.int64)
    last = np.empty(n, np.int64)
    hist = np.zeros(d + 2, np.int64)
    for r in range(R):
        for i in range(d):
            for c in range(n):
                A[i, c] = G[i, perms[r, c]]
        old_rref_inplace(A, p, pr)
        if not rao_blackwell:
            for j in range(1, n + 1):
                out[r, j - 1] = pr[j] - pr[j - 1]
            continue
        for c in range(n):
            L = -1
            for i in range(d - 1, -1, -1):
                if A[i, c] != 0:
                    L = i
                    break
            last[c] = L
        for i in range(d + 2):
            hist[i] = 0
        # k = number revealed (prefix length) = j - 1, from n-1 down to 0
        for k in range(n - 1, -1, -1):
            hist[last[k] + 1] += 1  # column k joins the masked suffix
            Rk = pr[k]
            cnt = 0
            for L1 in range(Rk + 1, d + 1):  # L >= Rk  <=>  L + 1 >= Rk + 1
                cnt += hist[L1]
            out[r, k] = cnt / (n - k)

# mdmtheory/structured/markov.py before the change
@njit(cache=True)
def old_inhomogeneous_gap_sums_kernel(T, marg, tol):
    """Sum of exact pair informations by gap; optional Dobrushin truncation.

    Returns ``(M, gmin)``: ``gmin`` is the smallest gap that was dropped (``n`` if
    none).
    """
    n, q = marg.shape
    M = np.zeros(max(n - 1, 0))
    P = np.empty((q, q))
    tmp = np.empty((q, q))
    gmin = n
    for a in range(n - 1):
        for x in range(q):
            for y in range(q):
                P[x, y] = 1.0 if x == y else 0.0
        pa = marg[a]
        for b in range(a + 1, n):
            Tb = T[b - 1]
            for x in range(q):
                if pa[x] > 0.0:
                    for y in range(q):
                        acc = 0.0
                        for z in range(q):
                            acc += P[x, z] * Tb[z, y]
                        tmp[x, y] = acc
                else:
                    for y in range(q):
                        tmp[x, y] = 0.0
            for x in range(q):
                for y in range(q):
                    P[x, y] = tmp[x, y]
            pb = marg[b]
            I = 0.0
            for x in range(q):
                if pa[x] > 0.0:
                    s = 0.0
                    for y in range(q):
                        v = P[x, y]
                        if v > 0.0:
                            s += v * math.log(v / pb[y])
                    I += pa[x] * s
            if I > 0.0:
                M[b - a - 1] += I
            if tol > 0.0 and b < n - 1:
                # Dobrushin coefficient over the rows reachable from X_a
                eta = 0.0
                for x in range(q):
                    if pa[x] > 0.0:
                        for x2 in range(x + 1, q):
                            if pa[x2] > 0.0:
                                tv = 0.0
                                for y in range(q):
                                    tv += abs(P[x, y] - P[x2, y])
                                tv *= 0.5
                                if tv > eta:
                                    eta = tv
                if eta <= tol:
                    if b - a + 1 < gmin:
                        gmin = b - a + 1
                    break
    return M, gmin

@njit(cache=True)
def old_fb_kernel(x, mask, init, steps, E, out):
    """Masked forward-backward; returns 0 on success, 1 + row on a zero-probability context."""
    B, n = x.shape
    h = init.shape[0]
    q = E.shape[1]
    alpha = np.empty((n, h))
    beta = np.empty((n, h))
    for b in range(B):
        # forward (normalised)
        for z in range(h):
            alpha[0, z] = init[z] * (E[z, x[b, 0]] if mask[b, 0] else 1.0)
        s = 0.0
        for z in range(h):
            s += alpha[0, z]
        if not s > 0.0:
            return 1 + b
        for z in range(h):
            alpha[0, z] /= s
        for t in range(1, n):
            Tt = steps[t - 1]
            s = 0.0
            for z2 in range(h):
                acc = 0.0
                for z in range(h):
                    acc += alpha[t - 1, z] * Tt[z, z2]
                if mask[b, t]:
                    acc *= E[z2, x[b, t]]
                alpha[t, z2] = acc
                s += acc
            if not s > 0.0:
                return 1 + b
            for z2 in range(h):
                alpha[t, z2] /= s
        # backward (normalised)
        for z in range(h):
            beta[n - 1, z] = 1.0
        for t in range(n - 2, -1, -1):
            Tt = steps[t]
            s = 0.0
            for z in range(h):
                acc = 0.0
                for z2 in range(h):
                    e = E[z2, x[b, t + 1]] if mask[b, t + 1] else 1.0
                    acc += Tt[z, z2] * e * beta[t + 1, z2]
                beta[t, z] = acc
                s += acc
            if not s > 0.0:
                return 1 + b
            for z in range(h):
                beta[t, z] /= s
        # predictive marginals at masked positions
        for t in range(n):
            if mask[b, t]:
                for a in range(q):
                    out[b, t, a] = 0.0
                out[b, t, x[b, t]] = 1.0
                continue
            s = 0.0
            for z in range(h):
                s += alpha[t, z] * beta[t, z]
            if not s > 0.0:
                return 1 + b
            for a in range(q):
                acc = 0.0
                for z in range(h):
                    acc += alpha[t, z] * beta[t, z] * E[z, a]
                out[b, t, a] = acc / s
    return 0


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
    for label, mu, reward in gap_families(n):
        def run(fn, mu=mu, reward=reward):
            kern, fwd = fn
            return _front_tables(_patched(ao, "_dp_kernel_lams", kern, lambda: _patched(
                ao, "_forward", fwd, lambda: ao.adaptive_front(mu, reward, tol=1e-6))))
        cases.append(("whole front: `_dp_kernel_lams` + `_forward`",
                      f"adaptive_front, {label}, n={n}, q=2", run,
                      (old_dp_kernel_lams, old_forward), (ao._dp_kernel_lams, ao._forward)))
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


def structured_cases(quick: bool) -> list[tuple]:
    """(kernel, case, runner, old, new) for the oracle and structured kernels."""
    rng = np.random.default_rng(0)
    cases = []
    s = 2 if quick else 1
    # exact conditionals straight from a dense table (ExactOracle's direct path)
    for n, q, mlo, mhi, B in ((16, 2, 6, 14, 3000), (10, 3, 4, 9, 3000), (20, 2, 0, 6, 200000)):
        n -= 2 * (s - 1)
        p = np.ascontiguousarray(families.random_dirichlet(n, q, 0.5, seed=1).p).ravel()
        digits = rng.integers(0, q, (B // s, n))
        for row in digits:
            row[rng.choice(n, rng.integers(mlo, min(mhi, n) + 1), replace=False)] = q
        codes_ = (digits * (q + 1) ** np.arange(n - 1, -1, -1)).sum(axis=1)

        def run(fn, p=p, codes_=codes_, n=n, q=q):
            return list(_patched(cond, "_kernel", fn,
                                 lambda: cond.conditionals_from_codes(p, codes_, n, q)))
        cases.append(("_conditionals._kernel",
                      f"conditionals_from_codes, random Dirichlet n={n}, q={q}, "
                      f"{len(codes_):,} states with {mlo}-{mhi} masked", run,
                      old_conditionals_kernel, cond._kernel))
    # linear codes: exact rank enumeration and Monte Carlo draws
    for d, n, p in ((11 // s, 22 // s, 2), (9 // s, 18 // s, 3)):
        G = rng.integers(0, p, (d, n))

        def run(fn, G=G, p=p):
            return [_patched(codes, "_rank_sums_kernel", fn,
                             lambda: codes.code_entropy_profile(G, p))]
        cases.append(("codes._rank_sums_kernel",
                      f"code_entropy_profile, random [{n},{d}] code over F_{p}", run,
                      old_rank_sums_kernel, codes._rank_sums_kernel))
    G = rng.integers(0, 2, (100, 200))
    perms = np.array([rng.permutation(200) for _ in range(300 // s)])

    def run(fn, G=G, perms=perms):
        return [_patched(codes, "_code_draws_kernel", fn,
                         lambda: codes.code_prefix_draws(G, 2, perms))]
    cases.append(("codes._code_draws_kernel (+ _rref_inplace)",
                  f"code_prefix_draws, random [200,100] code over F_2, {len(perms)} draws", run,
                  old_code_draws_kernel, codes._code_draws_kernel))
    # Markov chains: per-step gap sums, forward-backward conditionals
    n = 2000 // s
    T = rng.dirichlet(np.ones(4), size=(n - 1, 4))

    def run(fn, n=n, T=T):
        return [_patched(markov, "_inhomogeneous_gap_sums_kernel", fn,
                         lambda: markov.gap_information_sums(n, T))]
    cases.append(("markov._inhomogeneous_gap_sums_kernel",
                  f"gap_information_sums, per-step chain n={n}, q=4", run,
                  old_inhomogeneous_gap_sums_kernel, markov._inhomogeneous_gap_sums_kernel))
    B, n, h = 10000 // s, 200, 3
    init = np.full(h, 1 / h)
    st = rng.dirichlet(np.ones(h), size=(n - 1, h))
    E = rng.dirichlet(np.ones(4), size=h)
    x = rng.integers(0, 4, (B, n))
    mask = rng.random((B, n)) < 0.5

    def run(fn, x=x, mask=mask, init=init, st=st, E=E):
        return [_patched(markov, "_fb_kernel", fn, lambda: markov.forward_backward_conditionals(
            x, mask, init, st, E))]
    cases.append(("markov._fb_kernel",
                  f"forward_backward_conditionals, hidden Markov h={h}, q=4, n={n}, "
                  f"{B:,} rows, half revealed", run, old_fb_kernel, markov._fb_kernel))
    return cases



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
        row = [kernel if "`" in kernel else f"`{kernel}`", case,
               f"{best['old']:.3f}", f"{best['new']:.3f}",
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
                  "new kernels cast those indices to `uint64` where the arrays are read.  "
                  "Also, each bit-identical: the policy DP reads each outcome's code offset "
                  "from a per-state table; the direct conditionals read each masked "
                  "position's stride once per state and run the fastest masked position "
                  "as an inner loop (same additions, same order); the F_p rank kernels "
                  "reduce mod p in unsigned arithmetic (no sign fix-up); the forward pass "
                  "that gives each policy's exact law (`_forward`, 411 passes in the "
                  "Dirichlet front) builds its children in a kernel (`_children_kernel`, "
                  "the same order and arithmetic as the numpy code it replaces).  "
                  "'whole front' rows: old DP kernel and old forward pass against both "
                  "new.  'bit-identical': `np.array_equal` on every returned table "
                  "(fronts, values, NFE laws, action tables, curves).  " + SPREAD + "\n\n"
                  + markdown_table(["kernel", "case", "old CPU-s", "new CPU-s", "ratio",
                                    "bit-identical"], rows))


CASE_GROUPS = [adaptive_cases, structured_cases]

if __name__ == "__main__":
    main()
